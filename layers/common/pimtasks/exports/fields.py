"""Which catalog fields an export can name, and how a record's value of one is read.

The names are the catalog's own field names (``pimtasks.catalog.models``), so they match the standard import
layout. Beyond plain fields a product has ``descriptions.<language>``, ``custom_fields.<name>`` and
``features.<EF code>`` (the feature's value); ``descriptions`` alone is one column per language of the layout.
Lists (``features`` as a whole, ``pricings``) are not columns: they exist only in ETIM xChange.

The kinds are read from the models' annotations, so a field added to a model is exportable at once.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

from pydantic import BaseModel

from pimtasks.catalog.models import Attachment, Product, SalesCondition, User


class ValueKind(StrEnum):
    """How an exported value is written."""

    TEXT = "text"
    DECIMAL = "decimal"
    INTEGER = "integer"
    DATE = "date"
    BOOLEAN = "boolean"


DICT_FIELDS: dict[str, ValueKind] = {"descriptions": ValueKind.TEXT, "custom_fields": ValueKind.TEXT,
                                     "features": ValueKind.TEXT}
"""Product fields that hold one value per key (language, custom field name, feature code)."""
ENTITY_MODELS: dict[str, type[BaseModel]] = {"products": Product, "sales_conditions": SalesCondition,
                                              "attachments": Attachment, "users": User}


def _kind(annotation: Any) -> ValueKind | None:
    """The value kind of a scalar annotation (``Decimal | None`` is decimal); None for lists and dicts."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _kind(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        kinds = {_kind(arg) for arg in typing.get_args(annotation) if arg is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    if origin is not None:
        return None
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return ValueKind.BOOLEAN
        if issubclass(annotation, Decimal):
            return ValueKind.DECIMAL
        if issubclass(annotation, int):
            return ValueKind.INTEGER
        if issubclass(annotation, dt.date):
            return ValueKind.DATE
        if issubclass(annotation, str | Enum):
            return ValueKind.TEXT
    return None


def plain_fields(entity: str) -> dict[str, ValueKind]:
    """The scalar fields of ``entity`` in the model's order, with their kinds."""
    fields: dict[str, ValueKind] = {}
    for name, info in ENTITY_MODELS[entity].model_fields.items():
        kind = _kind(info.annotation)
        if kind is not None:
            fields[name] = kind
    return fields


_PLAIN: dict[str, dict[str, ValueKind]] = {entity: plain_fields(entity) for entity in ENTITY_MODELS}


def valid_field_names(entity: str) -> list[str]:
    """What an export of ``entity`` may name (for error messages and documentation)."""
    names = list(_PLAIN[entity])
    if entity == "products":
        names += ["descriptions", "descriptions.<language>", "custom_fields.<name>", "features.<EF code>"]
    return names


def field_kind(name: str, entity: str) -> ValueKind | None:
    """The kind of field ``name`` of ``entity``; None when the entity has no such field."""
    plain = _PLAIN[entity].get(name)
    if plain is not None:
        return plain
    head, _, key = name.partition(".")
    if entity == "products" and head in DICT_FIELDS and (key or head == "descriptions"):
        return DICT_FIELDS[head]
    return None


def unknown_field_text(name: str, entity: str, *, where: str) -> str:
    """The 422 text for a field ``name`` that ``entity`` has not."""
    return (f"{where}: unknown field {name!r} for {entity}; valid fields: {', '.join(valid_field_names(entity))}")


def raw_value(data: dict[str, Any], name: str) -> Any:
    """The value of field ``name`` in a record's JSON form (None when absent); ``features.EF000007`` is that
    feature's value."""
    head, _, key = name.partition(".")
    if not key:
        return data.get(name)
    if head == "features":
        for feature in data.get("features") or ():
            if isinstance(feature, dict) and feature.get("code") == key:
                return feature.get("value")
        return None
    container = data.get(head)
    return container.get(key) if isinstance(container, dict) else None
