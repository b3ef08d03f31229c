"""An export's columns: which field each column holds, under which header, of which kind.

The layout's columns come in its order; ``descriptions`` becomes one column per language of the layout. Without a
layout the task's ``columns`` list is used (headers are the field names), and without that every plain field of the
entity (plus the descriptions in the layout's languages).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pimtasks.domain.task_types import ExportColumn, ExportLayout, ExportSettings
from pimtasks.exports.fields import ValueKind, field_kind, plain_fields, raw_value


@dataclass(frozen=True)
class Column:
    """One column of the file."""

    field: str
    header: str
    kind: ValueKind

    @property
    def plain(self) -> bool:
        """A top-level field of the record (read with one lookup)."""
        return "." not in self.field


def export_columns(settings: ExportSettings) -> list[Column]:
    """The columns of ``settings`` in file order."""
    layout = settings.layout or ExportLayout()
    entity = settings.entity.value
    if layout.columns:
        chosen = list(layout.columns)
    elif settings.columns:
        chosen = [ExportColumn(field=name) for name in settings.columns]
    else:
        chosen = [ExportColumn(field=name) for name in plain_fields(entity)]
        if entity == "products" and layout.languages:
            chosen.append(ExportColumn(field="descriptions", header="description_{language}"))
    columns: list[Column] = []
    for column in chosen:
        kind = field_kind(column.field, entity)
        assert kind is not None  # the settings model refuses unknown fields
        if column.field == "descriptions":
            columns.extend(_per_language(column, layout.languages))
        else:
            columns.append(Column(field=column.field, header=column.header or column.field, kind=kind))
    return columns


def _per_language(column: ExportColumn, languages: Sequence[str]) -> list[Column]:
    header = column.header or "description_{language}"
    return [Column(field=f"descriptions.{language}", kind=ValueKind.TEXT,
                   header=header.replace("{language}", language) if "{language}" in header
                   else f"{header} {language}") for language in languages]


def row_values(data: dict[str, Any], columns: Sequence[Column]) -> list[Any]:
    """A record's values for ``columns`` in their JSON form (the writers convert them)."""
    return values_reader(columns)(data)


def values_reader(columns: Sequence[Column]) -> Callable[[dict[str, Any]], list[Any]]:
    """A function giving a record's values for ``columns`` (built once per export: one lookup per plain field)."""
    names = [column.field for column in columns]
    if all(column.plain for column in columns):
        return lambda data: list(map(data.get, names))
    return lambda data: [data.get(name) if "." not in name else raw_value(data, name) for name in names]


def matches(data: dict[str, Any], wanted: dict[str, str]) -> bool:
    """Whether a record passes the filter: each field's catalog value, as text, equals the given text (a flag
    as its JSON form reads, ``true`` or ``false``)."""
    for name, expected in wanted.items():
        value = raw_value(data, name)
        text = "" if value is None else ("true" if value else "false") if isinstance(value, bool) else str(value)
        if text != expected:
            return False
    return True
