"""The handle e2e tests get on a running local stack (see ``conftest.local_stack``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from pimtasks_local.http_client import ApiClient, ApiResponse

ADMIN: Any = ...  # default of ``api_key``: the stack's admin key (None sends no key at all)


@dataclass
class LocalStack:
    """A running local stack: where it is, its admin key, and helpers to call it."""

    api_url: str
    admin_key: str
    emulator_url: str
    ftps_port: int | None
    state: dict[str, Any]
    state_dir: Path
    log_path: Path

    @classmethod
    def of(cls, launched: Any, state_dir: Path) -> LocalStack:
        """The handle on a stack ``pimtasks_local.launcher.launched_stack`` started."""
        state = launched.state
        return cls(api_url=state["api_url"], admin_key=state["admin_api_key"], emulator_url=state["emulator_url"],
                   ftps_port=state.get("ftps_port"), state=state, state_dir=state_dir, log_path=launched.log_path)

    def request(self, method: str, path: str, body: Any = None, *, api_key: str | None = ADMIN,
                headers: dict[str, str] | None = None) -> ApiResponse:
        """``method path`` with ``body`` as JSON; ``api_key`` defaults to the admin key (None: no key)."""
        key = self.admin_key if api_key is ADMIN else (api_key or "")
        return ApiClient(self.api_url).request(method, path, body, api_key=key, headers=headers)

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("DELETE", path, **kwargs)

    def aws(self, service: str) -> Any:
        """A boto3 client for the stack's emulator (to look at schedules, queues, buckets)."""
        return boto3.client(service, endpoint_url=self.emulator_url, region_name=self.state["region"],
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
