"""Credential fields are marked in the OpenAPI document (``x-secret-ref``), so clients such as the web console offer
the environment's secret names for exactly those fields, and for no other."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pimtasks.domain.identifiers import SECRET_REF_SCHEMA_MARK, SECRET_REFERENCE
from pimtasks.domain.task_types import SETTINGS_FOR_TYPE
from pydantic import BaseModel

OPENAPI = Path(__file__).resolve().parents[3] / "openapi.json"


def credential_fields(model: type[BaseModel]) -> set[tuple[str, str]]:
    found = set()
    for name, info in model.model_fields.items():
        if SECRET_REFERENCE in info.metadata:
            found.add((model.__name__, name))
        nested = [a for a in getattr(info.annotation, "__args__", (info.annotation,))
                  if isinstance(a, type) and issubclass(a, BaseModel)]
        for inner in nested:
            found |= credential_fields(inner)
    return found


def marked_fields(schemas: dict[str, Any]) -> set[tuple[str, str]]:
    return {(model, name) for model, schema in schemas.items()
            for name, field in (schema.get("properties") or {}).items() if field.get(SECRET_REF_SCHEMA_MARK)}


def test_exactly_the_credential_fields_carry_the_mark() -> None:
    schemas = json.loads(OPENAPI.read_text())["components"]["schemas"]
    expected = set().union(*(credential_fields(model) for model in SETTINGS_FOR_TYPE.values()))
    assert ("ImportEtimSettings", "client_secret") in expected and ("RemoteTarget", "password") in expected
    assert marked_fields(schemas) == expected
    # the mark adds to the field's schema, it does not replace its pattern
    assert schemas["ImportEtimSettings"]["properties"]["client_secret"]["pattern"]
