"""Demo data for ``make run``: environment 000001, an admin API key and a few demo tasks.

The environment and the key are made in-process through the service layer (there is no key yet to call
the API with); the tasks go through the HTTP API like any client's, so they are validated, stored and
scheduled exactly as in AWS.
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


def seed(*, api_url: str, with_demo_data: bool = True, etim_api_url: str | None = None) -> SeedResult:
    """Create the demo environment (unless ``with_demo_data`` is False), an admin key and the demo tasks.

    With ``etim_api_url`` (the local fake ETIM API) the demo Import ETIM task talks to it, with its demo
    account's credentials in the environment's secret, so it can be started and succeeds.
    """
    from pimtasks.wiring import access_service

    if not with_demo_data:
        key_id, api_key = issue_admin_key(environments=[])
        return SeedResult(admin_key_id=key_id, admin_api_key=api_key, environment=None)
    access_service().create_environment(environment=DEMO_ENVIRONMENT, name=DEMO_ENVIRONMENT_NAME,
                                        timezone=DEMO_TIMEZONE)
    key_id, api_key = issue_admin_key(environments=[DEMO_ENVIRONMENT])
    result = SeedResult(admin_key_id=key_id, admin_api_key=api_key, environment=DEMO_ENVIRONMENT)
    client = ApiClient(api_url, api_key=api_key)
    for name, value in DEMO_SECRETS.items():
        reply = client.request("PUT", f"/environments/{DEMO_ENVIRONMENT}/secrets/{name}", {"value": value})
        if not reply.ok:
            LOGGER.error("demo secret %s not set: %s %s", name, reply.status, reply.error_message)
    for task in demo_tasks():
        if etim_api_url and task.get("type") == "import_etim":
            task = _local_etim(client, task, etim_api_url)
        reply = client.post(f"/environments/{DEMO_ENVIRONMENT}/tasks", task)
        if not reply.ok:
            LOGGER.error("demo task %r not created: %s %s", task.get("description"), reply.status,
                         reply.error_message)
            continue
        result.task_ids.append(str(reply.body["task_id"]))
    LOGGER.info("seeded environment %s with %d demo tasks", DEMO_ENVIRONMENT, len(result.task_ids))
    return result


def _local_etim(client: ApiClient, task: dict[str, Any], etim_api_url: str) -> dict[str, Any]:
    """The demo Import ETIM task pointed at the local fake ETIM API, its secret set to the demo account's."""
    from pimtasks_local.etim_server import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    settings = {**task["settings"], "client_id": DEMO_CLIENT_ID, "api_url": etim_api_url, "auth_url": etim_api_url}
    reply = client.request("PUT", f"/environments/{DEMO_ENVIRONMENT}/secrets/{settings['client_secret']}",
                           {"value": DEMO_CLIENT_SECRET})
    if not reply.ok:
        LOGGER.error("demo ETIM secret not set: %s %s", reply.status, reply.error_message)
    return {**task, "settings": settings}
