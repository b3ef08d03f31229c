"""The real API stack in-process: the template's authorizer and api_handler hosted by the local stack's
function host, behind its API Gateway emulation (``LocalApi``, a WSGI app), on moto.

What an HTTP client gets here is what it gets from ``make run`` (and, for the handler's own answers, from
API Gateway): a handler exception becomes a 502, as API Gateway answers for a failed Lambda.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from moto import mock_aws
from pimtasks.wiring import access_service, clear_caches
from pimtasks_local.api_server import LocalApi
from pimtasks_local.functions import LOCAL_DEFAULTS, FunctionHost, union_environment
from werkzeug.test import Client

from tests.integration.core.harness import REGION, RecordingInvoker, deploy_stack

ENVIRONMENT = "000001"
OTHER_ENVIRONMENT = "000002"


@dataclass
class LocalApiStack:
    """The WSGI app, a test client for it, and the admin key of environment 000001."""

    app: LocalApi
    client: Client
    admin_key: str
    admin_key_id: str
    invoker: RecordingInvoker

    def headers(self, **extra: str) -> dict[str, str]:
        return {"x-api-key": self.admin_key, **extra}


@contextmanager
def local_api_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalApiStack]:
    """Deploy the template into moto, host its functions and serve the API through ``LocalApi``."""
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", **LOCAL_DEFAULTS}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_LAMBDA", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    invoker = RecordingInvoker()
    monkeypatch.setattr("pimtasks.wiring.function_invoker", lambda: invoker)
    with mock_aws():
        clear_caches()
        deployment = deploy_stack()
        for name, value in union_environment(deployment.functions.values()).items():
            monkeypatch.setenv(name, value)
        clear_caches()
        host = FunctionHost(deployment.functions.values())
        access = access_service()
        access.create_environment(environment=ENVIRONMENT, name="Demo")
        access.create_environment(environment=OTHER_ENVIRONMENT, name="Other")
        admin = access.issue_api_key(environments=[ENVIRONMENT], admin=True, description="fuzz admin")
        app = LocalApi(deployment=deployment, host=host)
        try:
            yield LocalApiStack(app=app, client=Client(app), admin_key=admin.api_key, admin_key_id=admin.key_id,
                                invoker=invoker)
        finally:
            host.close()
            clear_caches()
