"""Task definitions used across the core tests."""

from __future__ import annotations

from typing import Any

from pimtasks.domain.task import TaskSpec
from pydantic import TypeAdapter

_SPEC: TypeAdapter[Any] = TypeAdapter(TaskSpec)


def weekly_import(**overrides: Any) -> Any:
    document: dict[str, Any] = {
        "type": "import",
        "description": "Weekly import of sales conditions for APAC",
        "frequency": {"every": "week", "days": ["MON"], "time": "12:53", "timezone": "Europe/Amsterdam"},
        "sequence_no": 10,
        "notification": {"emails": ["sales@example.com"], "when": "always"},
        "settings": {"import_name": "Sales conditions APAC", "target": "sales_conditions", "auto_import": True},
    }
    document.update(overrides)
    return _SPEC.validate_python(document)


def etim_daily(**overrides: Any) -> Any:
    document: dict[str, Any] = {
        "type": "import_etim",
        "description": "ETIM model",
        "frequency": {"every": "day", "time": "06:00"},
        "settings": {"client_id": "client", "client_secret": "etim-secret", "languages": ["EN", "nl-NL"]},
    }
    document.update(overrides)
    return _SPEC.validate_python(document)
