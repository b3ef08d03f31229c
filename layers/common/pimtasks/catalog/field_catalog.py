"""What a user may write in a layout: each import target's fields with their type, meaning and rules, and the
problems of a custom layout, both read off the definitions the import itself validates with.

Nothing here is a list kept by hand: the fields and how a cell is read come from ``catalog.fields`` (what the
import maps), each field's meaning, limits, pattern, allowed values and default from the catalog model's own
field (``catalog.models``: its description, constraints and validators), and the rules across fields from
the model's ``RULES``, which ``record_problem`` words its messages with. ``GET /catalog/fields`` shows
``describe_target``; creating or changing an import task checks its layout with ``layout_problems``, which
the import runs too (a stored layout from before that check fails its file naming every problem at once).
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from pimtasks.catalog.codes import PATTERN_HINTS
from pimtasks.catalog.fields import ALIASES, TARGETS, FieldKind, FieldPattern, TargetSpec, resolve_field
from pimtasks.domain.task_types import ImportLayout, ImportTarget


@dataclass(frozen=True)
class FieldDoc:
    """One field (or name family) a layout's ``field`` or a standard header may name."""

    name: str
    type: FieldKind
    meaning: str
    rules: tuple[str, ...]
    required: bool = False
    """A new record needs it."""
    key: bool = False
    """Part of the record's natural key (which record a row is)."""


@dataclass(frozen=True)
class TargetDoc:
    """An import target: its fields, the rules across them, its natural key and what a standard file needs."""

    target: ImportTarget
    fields: tuple[FieldDoc, ...]
    rules: tuple[str, ...]
    natural_key: tuple[str, ...]
    required_columns: tuple[tuple[str, ...], ...]
    aliases: dict[str, str]

    @property
    def names(self) -> list[str]:
        """The field names, as a layout writes them."""
        return [field.name for field in self.fields]


def describe_target(target: ImportTarget) -> TargetDoc:
    """Every field of ``target`` with its type, meaning and rules (``GET /catalog/fields?target=``)."""
    spec = TARGETS[target]
    model_fields = spec.model.model_fields
    fields = [_plain_doc(name, kind, model_fields[name], key=name in spec.model.KEY_FIELDS)
              for name, kind in spec.fields.items()]
    fields += [_pattern_doc(pattern, model_fields[pattern.fills]) for pattern in spec.patterns]
    rules = list(spec.model.RULES)
    rules += [f"a file in the standard layout needs a column {' or '.join(group)}" for group in spec.required_any]
    aliases = {alias: name for alias, name in ALIASES.items() if name in spec.fields}
    return TargetDoc(target=target, fields=tuple(fields), rules=tuple(rules),
                     natural_key=tuple(spec.model.KEY_FIELDS), required_columns=spec.required_any, aliases=aliases)


def _plain_doc(name: str, kind: FieldKind, info: FieldInfo, *, key: bool) -> FieldDoc:
    rules = _constraint_rules(info, kind)
    if kind is FieldKind.CHOICE:
        choices = _enum_of(info.annotation)
        if choices is not None:
            rules.insert(0, "one of: " + ", ".join(str(member.value) for member in choices))
    default = info.get_default(call_default_factory=True)
    if not info.is_required() and default not in (None, PydanticUndefined, [], {}):
        shown = str(default).lower() if isinstance(default, bool) else getattr(default, "value", default)
        rules.append(f"default {shown}")
    return FieldDoc(name=name, type=kind, meaning=info.description or name.replace("_", " "),
                    rules=tuple(rules), required=info.is_required(), key=key)


def _pattern_doc(pattern: FieldPattern, info: FieldInfo) -> FieldDoc:
    rules = [f"fills {pattern.fills}"]
    if pattern.fills == "features":
        rules += _validator_rules(info)
    return FieldDoc(name=pattern.name, type=pattern.kind, meaning=pattern.meaning, rules=tuple(rules))


def _constraint_rules(info: FieldInfo, kind: FieldKind) -> list[str]:
    """The field's limits in words, from the constraints and validators of its annotated type."""
    rules: list[str] = []
    for item in _metadata(info):
        for attribute, text in _CONSTRAINT_WORDS.items():
            value = getattr(item, attribute, None)
            if value is None:
                continue
            if attribute == "max_length" and kind in (FieldKind.DECIMAL, FieldKind.PERCENT):
                continue
            rules.append(text.format(value=_plain_number(value)))
        pattern = getattr(item, "pattern", None)
        if isinstance(pattern, str):
            hint = PATTERN_HINTS.get(pattern)
            rules.append(f"must be {hint.removeprefix('is not ')}" if hint else f"matches {pattern}")
    rules += _validator_rules(info)
    return list(dict.fromkeys(rules))


_CONSTRAINT_WORDS: dict[str, str] = {
    "max_length": "at most {value} characters",
    "ge": "at least {value}",
    "gt": "more than {value}",
    "le": "at most {value}",
    "max_digits": "at most {value} digits",
    "decimal_places": "at most {value} decimals",
}


def _validator_rules(info: FieldInfo) -> list[str]:
    """The first docstring line of each ``AfterValidator`` of the field's type: what it checks."""
    rules: list[str] = []
    for item in _metadata(info):
        func = getattr(item, "func", None)
        doc = getattr(func, "__doc__", None)
        if doc:
            rules.append(doc.strip().splitlines()[0])
    return rules


def _metadata(info: FieldInfo) -> list[Any]:
    """Every constraint object on the field: its own metadata and that of the Annotated types in its type."""
    found: list[Any] = []
    pending: list[Any] = [*info.metadata, info.annotation]
    while pending:
        item = pending.pop(0)
        origin = get_origin(item)
        if origin is Annotated:
            base, *extras = get_args(item)
            pending[:0] = [*extras, base]
        elif origin in (Union, types.UnionType, list, dict):
            pending.extend(get_args(item))
        elif isinstance(item, FieldInfo):
            pending[:0] = list(item.metadata)
        elif not isinstance(item, type) and item is not None:
            found.append(item)
    return found


def _enum_of(annotation: Any) -> type[Enum] | None:
    candidates = [annotation, *get_args(annotation)]
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, Enum)), None)


def _plain_number(value: Any) -> str:
    return format(value, "f").rstrip("0").rstrip(".") if not isinstance(value, int) else str(value)


# --- a custom layout's problems -----------------------------------------------------------------------


@dataclass(frozen=True)
class LayoutProblem:
    """One mistake in a layout: where (a path under the layout), what, and its kind."""

    field: str
    message: str
    type: str
    column: str | None = None
    """The file column the problem is about, if any (for the import's message)."""


def layout_problems(target: ImportTarget, layout: ImportLayout, *, prefix: str = "layout") -> list[LayoutProblem]:
    """Every unknown field, every field mapped twice and every ``key_columns`` entry the layout does not map."""
    spec = TARGETS[target]
    problems: list[LayoutProblem] = []
    mapped: dict[str, int] = {}
    for index, mapping in enumerate(layout.columns):
        ref = resolve_field(mapping.field, target)
        where = f"{prefix}.columns.{index}.field"
        if ref is None:
            problems.append(LayoutProblem(
                where, f"column {mapping.column!r} is mapped to {mapping.field!r}, which is not a field of "
                f"{_target_words(target)}; valid fields: {valid_fields_text(spec)}", "unknown_field",
                column=mapping.column))
        elif ref.path in mapped:
            problems.append(LayoutProblem(
                where, f"column {mapping.column!r} is mapped to {ref.path}, which column "
                f"{layout.columns[mapped[ref.path]].column!r} fills already", "field_mapped_twice",
                column=mapping.column))
        else:
            mapped[ref.path] = index
    for index, key in enumerate(layout.key_columns):
        ref = resolve_field(key, target)
        if ref is not None and ref.path in mapped:
            continue
        why = "is not mapped by the layout's columns" if ref is not None else (
            f"is not a field of {_target_words(target)}")
        mapped_text = ", ".join(sorted(mapped)) or "none"
        problems.append(LayoutProblem(
            f"{prefix}.key_columns.{index}", f"key column {key!r} {why}; map a file column to it, or list only "
            f"mapped fields (mapped: {mapped_text})", "key_column_not_mapped", column=key))
    return problems


def valid_fields_text(spec: TargetSpec) -> str:
    """``article_number, gtin, ..., description_<language>, ...`` for messages."""
    return ", ".join([*spec.fields, *(pattern.name for pattern in spec.patterns)])


def _target_words(target: ImportTarget) -> str:
    return target.value.replace("_", " ")
