"""Demo data for ``make run``: environment 000001, an admin API key and a few demo tasks.

The environment and the key are made in-process through the service layer (there is no key yet to call
the API with); the tasks go through the HTTP API like any client's, so they are validated, stored and
scheduled exactly as in AWS.

On a restart over a restored emulator state the seed makes nothing twice: an existing environment is kept
(and its tasks are not created again), and the admin key of the last seed (``seed.json``; the emulator only
holds its hash) is reused while it still works.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pimtasks_local.http_client import ApiClient

LOGGER = logging.getLogger(__name__)

DEMO_ENVIRONMENT = "000001"
DEMO_ENVIRONMENT_NAME = "Demo wholesaler"
DEMO_TIMEZONE = "Europe/Amsterdam"
DEMO_TASKS_FILE = Path(__file__).with_name("demo_tasks.json")
# The credentials the demo tasks name (a task may only name a secret that exists): placeholders, never used
# against a real system by the local stack.
DEMO_SECRETS = {"etim-secret": "demo-placeholder: set the real ETIM client secret with PUT .../secrets/etim-secret"}


@dataclass
class SeedResult:
    admin_key_id: str
    admin_api_key: str
    environment: str | None
    task_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"admin_key_id": self.admin_key_id, "admin_api_key": self.admin_api_key,
                "environment": self.environment, "demo_task_ids": list(self.task_ids)}

    @classmethod
    def from_dict(cls, saved: dict[str, Any]) -> SeedResult | None:
        """The result saved by ``to_dict``; None for anything else."""
        try:
            return cls(admin_key_id=str(saved["admin_key_id"]), admin_api_key=str(saved["admin_api_key"]),
                       environment=saved.get("environment"), task_ids=[str(t) for t in saved["demo_task_ids"]])
        except (KeyError, TypeError):
            return None


def demo_tasks() -> list[dict[str, Any]]:
    """The demo task definitions (``demo_tasks.json`` next to this module)."""
    text = DEMO_TASKS_FILE.read_text(encoding="utf-8")
    loaded = json.loads(text)
    if not isinstance(loaded, list):
        raise ValueError("demo_tasks.json must hold a list of task definitions")
    return loaded


def issue_admin_key(*, environments: list[str]) -> tuple[str, str]:
    """(key_id, api_key) of a fresh admin key, made through the access service."""
    from pimtasks.wiring import access_service

    issued = access_service().issue_api_key(environments=environments, admin=True, description="local admin")
    return issued.key_id, issued.api_key


def seed(*, api_url: str, with_demo_data: bool = True, saved: SeedResult | None = None,
         etim_api_url: str | None = None) -> SeedResult:
    """Create the demo environment (unless ``with_demo_data`` is False), an admin key and the demo tasks.

    With ``etim_api_url`` (the local fake ETIM API) the demo Import ETIM task talks to it, with its demo
    account's credentials in the environment's secret, so it can be started and succeeds (a restored demo
    task is pointed at this start's fake, whose port may have changed).

    What exists already is kept: ``saved`` (the last seed of this state directory) gives back its key while
    the key still works for the environment, and the demo tasks are only made with a new environment.
    """
    environment = DEMO_ENVIRONMENT if with_demo_data else None
    created = environment is not None and _create_environment(environment)
    if saved is not None and _still_works(saved.admin_api_key, environment=environment):
        result = SeedResult(admin_key_id=saved.admin_key_id, admin_api_key=saved.admin_api_key, environment=environment)
    else:
        key_id, api_key = issue_admin_key(environments=[environment] if environment else [])
        result = SeedResult(admin_key_id=key_id, admin_api_key=api_key, environment=environment)
    if environment is None:
        return result
    client = ApiClient(api_url, api_key=result.admin_api_key)
    if not created:
        kept = [task_id for task_id in (saved.task_ids if saved else [])
                if client.get(f"/environments/{environment}/tasks/{task_id}").ok]
        LOGGER.info("environment %s was restored; its tasks are kept as they are", environment)
        if etim_api_url:
            _repoint_local_etim(client, environment=environment, task_ids=kept, etim_api_url=etim_api_url)
        return SeedResult(result.admin_key_id, result.admin_api_key, environment, kept)
    for name, value in DEMO_SECRETS.items():
        reply = client.request("PUT", f"/environments/{environment}/secrets/{name}", {"value": value})
        if not reply.ok:
            LOGGER.error("demo secret %s not set: %s %s", name, reply.status, reply.error_message)
    for task in demo_tasks():
        if etim_api_url and task.get("type") == "import_etim":
            task = _local_etim(client, task, environment=environment, etim_api_url=etim_api_url)
        reply = client.post(f"/environments/{environment}/tasks", task)
        if not reply.ok:
            LOGGER.error("demo task %r not created: %s %s", task.get("description"), reply.status,
                         reply.error_message)
            continue
        result.task_ids.append(str(reply.body["task_id"]))
    LOGGER.info("seeded environment %s with %d demo tasks", environment, len(result.task_ids))
    return result


def _local_etim(client: ApiClient, task: dict[str, Any], *, environment: str, etim_api_url: str) -> dict[str, Any]:
    """The demo Import ETIM task pointed at the local fake ETIM API, its secret set to the demo account's."""
    from pimtasks_local.etim_server import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    settings = {**task["settings"], "client_id": DEMO_CLIENT_ID, "api_url": etim_api_url, "auth_url": etim_api_url}
    reply = client.request("PUT", f"/environments/{environment}/secrets/{settings['client_secret']}",
                           {"value": DEMO_CLIENT_SECRET})
    if not reply.ok:
        LOGGER.error("demo ETIM secret not set: %s %s", reply.status, reply.error_message)
    return {**task, "settings": settings}


def _repoint_local_etim(client: ApiClient, *, environment: str, task_ids: list[str], etim_api_url: str) -> None:
    """Restored demo Import ETIM tasks (those of the fake's demo account) follow the fake to its new URL."""
    from pimtasks_local.etim_server import DEMO_CLIENT_ID

    for task_id in task_ids:
        path = f"/environments/{environment}/tasks/{task_id}"
        task = client.get(path).body
        if not isinstance(task, dict) or task.get("type") != "import_etim" \
                or task.get("settings", {}).get("client_id") != DEMO_CLIENT_ID:
            continue
        reply = client.request("PATCH", path, {"settings": {"api_url": etim_api_url, "auth_url": etim_api_url}},
                               headers={"Content-Type": "application/merge-patch+json"})
        if not reply.ok:
            LOGGER.error("demo ETIM task not pointed at the fake ETIM API: %s %s", reply.status, reply.error_message)


def _create_environment(environment: str) -> bool:
    """Create the demo environment; False when it exists already."""
    from pimtasks.errors import ConflictError
    from pimtasks.wiring import access_service

    try:
        access_service().create_environment(environment=environment, name=DEMO_ENVIRONMENT_NAME,
                                            timezone=DEMO_TIMEZONE)
    except ConflictError:
        return False
    return True


def _still_works(api_key: str, *, environment: str | None) -> bool:
    """Whether ``api_key`` is a stored admin key (for ``environment``, if given)."""
    from pimtasks.errors import AuthenticationError
    from pimtasks.wiring import access_service

    try:
        principal = access_service().authenticate(api_key)
    except AuthenticationError:
        return False
    return principal.admin and (environment is None or principal.may_access(environment))
