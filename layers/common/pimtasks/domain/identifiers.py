"""Identifier types shared by every model: environments, tasks, runs, secret references.

Every pattern is anchored and admits no control characters. pydantic checks ``pattern`` with its Rust regex
engine, where ``$`` is the end of the text; Python's ``re`` lets ``$`` match before a trailing newline, so
the ``is_...`` helpers here use ``fullmatch`` (``"000001\\n"`` is not an environment anywhere).
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from pydantic import GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

ENVIRONMENT_PATTERN = r"^[0-9]{6}$"
TASK_ID_PATTERN = r"^[0-9a-f]{32}$"
RUN_ID_PATTERN = r"^[0-9a-f]{32}$"
# Folder-safe names (imports, exports, feeds): no path separators, no leading dot, no control characters.
FOLDER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 _.()-]{0,63}$"
SECRET_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"  # noqa: S105 (a name pattern, not a password)
API_KEY_ID_PATTERN = r"^[0-9a-f]{16}$"

EnvironmentId = Annotated[
    str,
    StringConstraints(pattern=ENVIRONMENT_PATTERN),
]
"""A tenant: a 6-digit zero-padded number such as ``000001``."""

TaskId = Annotated[str, StringConstraints(pattern=TASK_ID_PATTERN)]
RunId = Annotated[str, StringConstraints(pattern=RUN_ID_PATTERN)]
FolderName = Annotated[str, StringConstraints(pattern=FOLDER_NAME_PATTERN)]



SECRET_REF_SCHEMA_MARK = "x-secret-ref"  # noqa: S105 (an OpenAPI keyword, not a password)
"""The OpenAPI extension marking a credential field: clients (the web console) offer the environment's secret
names for it."""


class SecretReference:
    """Marks a settings field as a credential: its value must name a secret of the environment."""

    def __repr__(self) -> str:
        return "SecretReference()"

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # Nothing else tells a secret's name from any other short string in the schema.
        schema: dict[str, Any] = handler(core_schema)
        schema[SECRET_REF_SCHEMA_MARK] = True
        return schema


SECRET_REFERENCE = SecretReference()

SecretRef = Annotated[str, StringConstraints(pattern=SECRET_NAME_PATTERN), SECRET_REFERENCE]
"""The *name* of a secret of the task's environment (stored with ``PUT /environments/{env}/secrets/{name}``).

Task settings never hold credential values: only these references, resolved at run time inside the
environment's own secret namespace, so one environment can never point at another's secret. A reference
must name a secret that exists when the task is saved, and the API shows a stored one only while it does
(``REDACTED_SECRET_REF`` otherwise), so a value pasted into such a field is neither kept nor echoed.
"""

REDACTED_SECRET_REF = "REDACTED"  # noqa: S105 (a placeholder, reserved: no secret may be called so)
"""What the API shows instead of a credential field that names no existing secret."""

_ENVIRONMENT_RE = re.compile(ENVIRONMENT_PATTERN)
_FOLDER_RE = re.compile(FOLDER_NAME_PATTERN)


def is_environment_id(value: str) -> bool:
    """True when ``value`` is a well-formed environment number."""
    return bool(_ENVIRONMENT_RE.fullmatch(value))


def is_folder_name(value: str) -> bool:
    """True when ``value`` can be used as one folder level under an environment prefix."""
    return bool(_FOLDER_RE.fullmatch(value)) and ".." not in value


def folder_name_from(text: str, *, fallback: str) -> str:
    """``text`` (a task's description) made a folder name: characters a folder name cannot hold become ``_``,
    runs of dots and a leading non-alphanumeric are dropped, at most 64 characters; ``fallback`` when nothing
    is left."""
    name = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9 _.()-]", "_", text.strip()))
    name = re.sub(r"^[^A-Za-z0-9]+", "", name)[:64].rstrip()
    return name if is_folder_name(name) else fallback


def is_reserved_secret_name(name: str) -> bool:
    """The redaction placeholder is no secret's name (else a redacted field would look like a real one)."""
    return name.casefold() == REDACTED_SECRET_REF.casefold()


def new_task_id() -> str:
    """A fresh random task id (32 hex characters)."""
    return uuid.uuid4().hex


def new_run_id() -> str:
    """A fresh random run id (32 hex characters)."""
    return uuid.uuid4().hex


_SCHEDULED_RUN_NAMESPACE = uuid.UUID("6f1d3c1e-2a8b-4f57-9a52-3f0c4e8d1b20")


def scheduled_run_id(*, environment: str, task_id: str, scheduled_time: str) -> str:
    """The run id of a scheduled trigger: deterministic, so a redelivered trigger maps to the same run."""
    return uuid.uuid5(_SCHEDULED_RUN_NAMESPACE, f"{environment}/{task_id}/{scheduled_time}").hex


_TRIGGERED_RUN_NAMESPACE = uuid.UUID("0b7e5d0c-9a41-4c8e-b1a6-5d2f7e3c9a84")


def upload_run_id(*, environment: str, task_id: str, bucket: str, key: str, upload_identity: str) -> str:
    """The run id of an AutoImport trigger: one run per (task, object version), whatever the redeliveries."""
    return uuid.uuid5(_TRIGGERED_RUN_NAMESPACE, f"upload/{environment}/{task_id}/{bucket}/{key}#{upload_identity}").hex


def successor_run_id(*, environment: str, task_id: str, predecessor_run_id: str) -> str:
    """The run id of an interdependent import started (or skipped) by its predecessor's run."""
    return uuid.uuid5(_TRIGGERED_RUN_NAMESPACE, f"predecessor/{environment}/{task_id}/{predecessor_run_id}").hex
