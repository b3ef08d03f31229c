"""From source rows to catalog records: the standard layout or a custom layout, conversions, validation.

A ``RecordMapper`` is built once per import from the task's settings; ``bind(table)`` checks the table's
header against the layout (a missing column fails the file *before* any row is read) and returns a
``TableMapper`` that turns each ``SourceRow`` into a ``MappedRecord`` or a ``RejectedRow``.

Per cell, in this order: trim -> value replacement -> upper/lower case -> empty? (default, else the
empty-cell rule) -> conversion to the field's type. Then the row is validated as a whole by the catalog
model. Empty cells follow the layout's ``empty_cell``: ``keep`` leaves the stored value alone (the field
is simply not in ``MappedRecord.fields``), ``clear`` lists it in ``MappedRecord.cleared``. Without a
custom layout empty cells keep the stored value.

Two paths, one result: ``TableMapper.map_rows`` maps a batch column by column (``column_batch``: each
distinct cell converted and validated once, records built by ``RecordBuilder``); the rows it cannot accept
go through ``map_row_exact``, one full model validation per row, whose errors name the column and value.
``tests/unit/imports/test_column_batch.py`` holds the two paths to the same records.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from pydantic import ValidationError

from pimtasks.catalog.field_catalog import LayoutProblem, layout_problems
from pimtasks.catalog.models import CatalogRecord, ProductStatus, TermsType, key_text
from pimtasks.catalog.record_builder import RecordBuilder, builder_for
from pimtasks.domain.run import MessageLevel, RunMessage
from pimtasks.domain.task_types import (
    ColumnMapping,
    DecimalSeparator,
    EmptyCell,
    ImportLayout,
    ImportMode,
    ImportTarget,
)
from pimtasks.imports.column_batch import EMPTY, ColumnBatch, ColumnSpec, Resolver, RowCheck
from pimtasks.imports.conversion import (
    ConversionError,
    ambiguous_number,
    choice_converter,
    human_date_format,
    to_boolean,
    to_date,
    to_decimal,
    to_digits,
    to_integer,
    to_text,
)
from pimtasks.imports.errors import LayoutMismatchError
from pimtasks.imports.fields import TARGETS, FieldKind, FieldRef, TargetSpec, resolve_field
from pimtasks.imports.reading.tables import Table, column_index, column_letter
from pimtasks.imports.rows import CellValue, MappedRecord, RejectedRow, RowError, SourceRow, describe_value
from pimtasks.imports.validation import describe_errors

Converter = Callable[[CellValue], Any]
Preparer = Callable[[CellValue], CellValue]

_CHOICES: dict[str, Converter] = {
    "status": choice_converter(ProductStatus),
    "terms_type": choice_converter(TermsType),
}
_FEATURE_ENTRY = re.compile(r"^(EF(?:[0-9]{6}|I[0-9]{5}|[A-Z]{2}[0-9]{4}))\s*=\s*(.*?)\s*(?:\[\s*(EU[0-9]{6})\s*\])?$",
                            re.IGNORECASE)


@dataclass(frozen=True)
class ColumnRule:
    """One bound column: where its value is, where it goes, how it is converted."""

    position: int | None
    label: str
    ref: FieldRef
    prepare: Preparer
    convert: Converter
    default: Any = None
    mapping: ColumnMapping | None = None
    """The layout's mapping of the column (None in the standard layout)."""

    @property
    def separator(self) -> DecimalSeparator:
        return self.mapping.decimal_separator if self.mapping else DecimalSeparator.AUTO


def _strip(value: CellValue) -> CellValue:
    return value.strip() if isinstance(value, str) else value


def _preparer(mapping: ColumnMapping) -> Preparer:
    trim, replace, case = mapping.trim, mapping.replace, mapping.case

    def prepare(value: CellValue) -> CellValue:
        if isinstance(value, str):
            if trim:
                value = value.strip()
            if replace:
                value = replace.get(value, value)
            if case == "upper":
                value = value.upper()
            elif case == "lower":
                value = value.lower()
        elif replace and value is not None:
            text = to_text(value)
            if text in replace:
                value = replace[text]
        return value

    return prepare


def converter_for(ref: FieldRef, mapping: ColumnMapping | None = None) -> Converter:
    """The conversion of a cell for ``ref``, with the mapping's decimal comma and date format."""
    kind = ref.kind
    if kind in (FieldKind.DECIMAL, FieldKind.PERCENT):
        return partial(to_decimal, separator=mapping.decimal_separator if mapping else DecimalSeparator.AUTO)
    if kind is FieldKind.DATE:
        return partial(to_date, date_format=mapping.date_format if mapping else None)
    if kind is FieldKind.DIGITS:
        return to_digits
    if kind is FieldKind.INTEGER:
        return to_integer
    if kind is FieldKind.UPPER:
        return _upper_text
    if kind is FieldKind.CHOICE:
        return _CHOICES[ref.field]
    if kind is FieldKind.FEATURES:
        return parse_features
    if kind is FieldKind.BOOLEAN:
        return to_boolean
    return to_text


def _upper_text(value: CellValue) -> str:
    return to_text(value).upper()


def parse_features(value: CellValue) -> list[dict[str, str | None]]:
    """``EF000008=12.5[EU570448]; EF000007=EV000123`` as feature dicts (code, value, unit)."""
    features: list[dict[str, str | None]] = []
    for entry in to_text(value).split(";"):
        if not entry.strip():
            continue
        match = _FEATURE_ENTRY.match(entry.strip())
        if not match or not match.group(2):
            raise ConversionError(
                f"{entry.strip()!r} is not a feature "
                "(expected CODE=VALUE or CODE=VALUE[UNIT], e.g. EF000008=12.5[EU570448])"
            )
        features.append(
            {"code": match.group(1).upper(), "value": match.group(2), "unit": _upper_or_none(match.group(3))}
        )
    return features


def _upper_or_none(text: str | None) -> str | None:
    return text.upper() if text else None


class RecordMapper:
    """Maps tables of one import (the task's target, layout and mode) to catalog records."""

    def __init__(
        self,
        *,
        target: ImportTarget,
        layout: ImportLayout | None = None,
        mode: ImportMode | None = None,
    ) -> None:
        self.target = target
        self.spec: TargetSpec = TARGETS[target]
        self.layout = layout
        self.mode = mode or (layout.mode if layout else ImportMode.UPSERT)
        self.clear_empty = bool(layout and layout.empty_cell is EmptyCell.CLEAR)

    def bind(self, table: Table) -> TableMapper:
        """Check ``table``'s header against the layout; fails with ``LayoutMismatchError``."""
        if self.layout is not None:
            _check_layout(self.target, self.layout)
            rules, warnings = self._custom_rules(table, self.layout)
            key_fields = self._layout_keys(self.layout, rules)
        else:
            rules, warnings = self._standard_rules(table)
            key_fields = tuple(self.spec.model.KEY_FIELDS)
        rules = _with_percent_cells(table, rules, warnings)
        warnings.extend(_uncalculated_formulas(table))
        warnings.extend(table.reading_warnings())
        warnings.extend(_date_readings(table, rules))
        return TableMapper(
            table=table,
            rules=rules,
            model=self.spec.model,
            key_fields=key_fields,
            required_keys=self.layout is not None,
            clear_empty=self.clear_empty,
            partial=self.mode is ImportMode.UPDATE_ONLY,
            warnings=warnings,
        )

    # --- standard layout ---------------------------------------------------------------------------

    def _standard_rules(self, table: Table) -> tuple[list[ColumnRule], list[RunMessage]]:
        rules: list[ColumnRule] = []
        unknown: list[str] = []
        by_path: dict[str, int] = {}
        for position, name in enumerate(table.header):
            if not name:
                continue
            ref = resolve_field(name, self.target)
            if ref is None:
                unknown.append(name)
                continue
            if ref.path in by_path:
                raise _duplicate_header(table, ref.path, [by_path[ref.path], position])
            by_path[ref.path] = position
            rules.append(ColumnRule(position, name, ref, _strip, converter_for(ref)))
        fields = {rule.ref.field for rule in rules}
        for group in self.spec.required_any:
            if not fields.intersection(group):
                missing = " or ".join(repr(name) for name in group)
                raise LayoutMismatchError(
                    f"column {missing} is missing: the header row (row {table.header_row}) of {table.location()} "
                    f"has {_header_list(table)}",
                    file=table.file,
                    sheet=table.sheet,
                    row=table.header_row,
                    column=group[0],
                )
        warnings = []
        if unknown:
            ignored = ", ".join(repr(name) for name in unknown)
            warnings.append(
                table.message(MessageLevel.WARNING, f"columns ignored, they are not catalog fields: {ignored}",
                              row=table.header_row)
            )
        return rules, warnings

    # --- custom layout -----------------------------------------------------------------------------

    def _custom_rules(self, table: Table, layout: ImportLayout) -> tuple[list[ColumnRule], list[RunMessage]]:
        rules: list[ColumnRule] = []
        warnings: list[RunMessage] = []
        for mapping in layout.columns:
            ref = resolve_field(mapping.field, self.target)
            assert ref is not None  # _check_layout refused unknown fields
            position = _find_column(table, mapping.column)
            default = self._default(mapping, ref)
            if position is None:
                if default is None:
                    raise LayoutMismatchError(
                        f"column {mapping.column!r} (mapped to {ref.path}) is not in the header row "
                        f"(row {table.header_row}) of {table.location()}; the header has {_header_list(table)}",
                        file=table.file,
                        sheet=table.sheet,
                        row=table.header_row,
                        column=mapping.column,
                    )
                warnings.append(
                    table.message(
                        MessageLevel.WARNING,
                        f"column {mapping.column!r} is not in the file; "
                        f"{ref.path} gets its default {mapping.default!r}",
                        column=mapping.column,
                    )
                )
            label = table.column_label(position) if position is not None else mapping.column
            rules.append(ColumnRule(position, label, ref, _preparer(mapping), converter_for(ref, mapping), default,
                                    mapping))
        return rules, warnings

    def _default(self, mapping: ColumnMapping, ref: FieldRef) -> Any:
        """The converted default (``_check_layout`` made sure it converts and is valid)."""
        if mapping.default is None or mapping.default == "":
            return None
        return converter_for(ref, mapping)(_preparer(mapping)(mapping.default))

    def _layout_keys(self, layout: ImportLayout, rules: list[ColumnRule]) -> tuple[str, ...]:
        """The paths of the layout's key columns (``_check_layout`` made sure each is mapped)."""
        keys: list[str] = []
        for key in layout.key_columns:
            ref = resolve_field(key, self.target)
            keys.append(ref.path if ref else key)
        return tuple(keys)


def _check_layout(target: ImportTarget, layout: ImportLayout) -> None:
    """A layout with unknown fields or unmapped key columns fails the file naming every problem at once (the API
    refuses such layouts; one stored before it did still reaches here)."""
    problems = layout_problems(target, layout) + default_problems(target, layout)
    if problems:
        raise LayoutMismatchError("the layout is wrong: " + "; ".join(problem.message for problem in problems),
                                  column=problems[0].column)


def default_problems(target: ImportTarget, layout: ImportLayout, *, prefix: str = "layout") -> list[LayoutProblem]:
    """Every column default that does not convert to its field, or is not a valid value of it: otherwise each
    row with an empty cell there would be rejected."""
    problems: list[LayoutProblem] = []
    builder = builder_for(TARGETS[target].model)
    for index, mapping in enumerate(layout.columns):
        ref = resolve_field(mapping.field, target)
        if ref is None or mapping.default is None or mapping.default == "":
            continue
        try:
            value = converter_for(ref, mapping)(_preparer(mapping)(mapping.default))
            if ref.key is None and ref.kind is not FieldKind.FEATURES:
                builder.field_validator(ref.field)(value)
        except ConversionError as error:
            reason = str(error)
        except ValidationError as error:
            reason = "; ".join(text.removeprefix(f"{path}: ") for path, text in describe_errors(error))
        else:
            continue
        problems.append(LayoutProblem(
            f"{prefix}.columns.{index}.default", f"the default {mapping.default!r} of column {mapping.column!r} "
            f"cannot fill {ref.path}: {reason}", "invalid_default", column=mapping.column))
    return problems


def _with_percent_cells(table: Table, rules: list[ColumnRule], messages: list[RunMessage]) -> list[ColumnRule]:
    """Percent fields read from cells *formatted* as percentages: the cell stores 0.1 and shows 10%.

    Such a cell's number is multiplied by 100 (text such as ``10%`` already reads as 10); a message
    says which columns, so a surprising figure can be traced.
    """
    if not any(rule.ref.kind is FieldKind.PERCENT and rule.position is not None for rule in rules):
        return rules
    formatted = table.percent_positions()
    result: list[ColumnRule] = []
    for rule in rules:
        if rule.ref.kind is FieldKind.PERCENT and rule.position in formatted:
            rule = replace(rule, convert=_from_percent_cell(rule.convert))
            text = f"column {rule.label!r} is formatted as percentages: a cell showing 10% is read as 10"
            messages.append(table.message(MessageLevel.INFO, text, column=rule.label))
        result.append(rule)
    return result


def _uncalculated_formulas(table: Table) -> list[RunMessage]:
    cells = table.uncalculated_formulas()
    if not cells:
        return []
    shown = ", ".join(cells[:10]) + (", ..." if len(cells) > 10 else "")
    text = (
        f"cells {shown} hold formulas without a calculated result, so they read as empty: the file was written by "
        "a program that does not calculate formulas; open and save it in Excel or LibreOffice"
    )
    return [table.message(MessageLevel.WARNING, text)]


def _date_readings(table: Table, rules: list[ColumnRule]) -> list[RunMessage]:
    """Which way each date column of this file is read, for the run's messages and report.

    Text dates without a ``date_format`` are read day first; said per column so that a surprising date can be
    traced to the rule (and the setting that changes it).
    """
    messages: list[RunMessage] = []
    for rule in rules:
        if rule.ref.kind is not FieldKind.DATE or rule.position is None:
            continue
        date_format = rule.mapping.date_format if rule.mapping else None
        if date_format:
            how = (f"read as {human_date_format(date_format)} (date_format {date_format}, e.g. "
                   f"{_APRIL_3.strftime(date_format)} is 3 April 2027)")
        else:
            how = ("read day first: DD-MM-YYYY, DD.MM.YYYY or DD/MM/YYYY (03-04-2027 is 3 April 2027), as the "
                   "column has no date_format")
        text = (f"dates in column {rule.label!r} ({rule.ref.path}): text dates are {how}; ISO dates (2027-04-03), "
                "date cells and Excel day numbers are read as they are")
        messages.append(table.message(MessageLevel.INFO, text, column=rule.label))
    return messages


_APRIL_3 = dt.date(2027, 4, 3)


def _from_percent_cell(convert: Converter) -> Converter:
    def convert_percent(value: CellValue) -> Any:
        if value.__class__ is float or value.__class__ is int:
            value = value * 100  # type: ignore[operator]
        return convert(value)

    return convert_percent


def _find_column(table: Table, wanted: str) -> int | None:
    """The position of the header ``wanted`` (case/space-insensitive), else of the column letter."""
    target = " ".join(wanted.split()).casefold()
    matches = [position for position, name in enumerate(table.header) if name.casefold() == target]
    if len(matches) > 1:
        raise _duplicate_header(table, wanted, matches)
    if matches:
        return matches[0]
    index = column_index(wanted)
    if index is not None and index - table.first_column >= 0:
        return index - table.first_column
    return None


def _duplicate_header(table: Table, name: str, positions: Sequence[int]) -> LayoutMismatchError:
    letters = ", ".join(column_letter(table.first_column + position) for position in positions)
    merges = sorted({table.merged_headers[position] for position in positions if position in table.merged_headers})
    cause = f" (merged cell {', '.join(merges)})" if merges else ""
    return LayoutMismatchError(
        f"header {name!r} appears in columns {letters}{cause} of {table.location()}, row {table.header_row}; "
        "give each column its own header, or map the columns by letter in a custom layout",
        file=table.file,
        sheet=table.sheet,
        row=table.header_row,
        column=name,
    )


def _header_list(table: Table) -> str:
    names = [repr(name) for name in table.header if name]
    shown = ", ".join(names[:30]) + (", ..." if len(names) > 30 else "")
    return shown or "no column names"


_PLAIN, _FEATURE, _DICT = 0, 1, 2
AMBIGUOUS_WARNINGS_PER_COLUMN = 20
MappedOutcome = tuple[MappedRecord | RejectedRow, tuple[str, ...] | None]
"""A row's record or rejection, and its duplicate key (None when the row has no key values)."""


@dataclass(frozen=True, slots=True)
class _Step:
    """A ``ColumnRule`` compiled for the per-row loop."""

    position: int
    prepare: Preparer | None
    convert: Converter
    default: Any
    target: int
    field: str
    key: str | None
    path: str
    label: str


def _compile(rule: ColumnRule) -> _Step:
    target = _PLAIN if rule.ref.key is None and rule.ref.kind is not FieldKind.FEATURES else _DICT
    if rule.ref.field == "features":
        target = _FEATURE
    return _Step(
        position=-1 if rule.position is None else rule.position,
        prepare=None if rule.prepare is _strip else rule.prepare,
        convert=rule.convert,
        default=rule.default,
        target=target,
        field=rule.ref.field,
        key=rule.ref.key,
        path="features" if target == _FEATURE else rule.ref.path,
        label=rule.label,
    )


def _column_spec(step: _Step, builder: RecordBuilder[Any]) -> ColumnSpec:
    """``step`` for the fast path: a plain field's cells are validated as the field, parts per row."""
    plain = step.target == _PLAIN
    return ColumnSpec(
        position=step.position,
        field=step.field,
        plain=plain,
        key=step.key,
        path=step.path,
        resolve=_resolver(step, builder.field_validator(step.field) if plain else None),
        memo=step.target != _FEATURE or step.key is not None,  # a features column is a list: never shared
        resolve_many=partial(_resolve_texts, builder.field_list_validator(step.field)) if plain and _plain_text(step)
        else None,
    )


def _plain_text(step: _Step) -> bool:
    """A text column without a layout's preparation or default: trimmed, then validated as the field."""
    return step.prepare is None and step.convert is to_text and step.default is None


def _resolve_texts(validate_many: Callable[[list[Any]], list[Any]], cells: list[CellValue]) -> list[Any] | None:
    """``_resolve_text`` for many text cells, validated in one call; None unless every cell is non-empty text
    and valid (then they are resolved one by one, which words the errors)."""
    if any(cell.__class__ is not str for cell in cells):
        return None
    texts = [cell.strip() for cell in cells]  # type: ignore[union-attr]
    if "" in texts:
        return None
    try:
        return validate_many(texts)
    except ValidationError:
        return None


def _resolver(step: _Step, validate: Callable[[Any], Any] | None) -> Resolver:
    """Raw cell -> validated value (or EMPTY)."""
    if validate is None:
        return partial(convert_cell, step)
    if _plain_text(step):
        return partial(_resolve_text, validate)

    def resolve(raw: CellValue) -> Any:
        value = convert_cell(step, raw)
        return value if value is EMPTY else validate(value)

    return resolve


def _resolve_text(validate: Callable[[Any], Any], raw: CellValue) -> Any:
    """``convert_cell`` + ``validate`` of a plain text column: the cells an import sees most (article numbers)."""
    if raw.__class__ is str:
        text = raw.strip()  # type: ignore[union-attr]
        return validate(text) if text else EMPTY
    return EMPTY if raw is None else validate(to_text(raw))


def convert_cell(step: _Step, raw: CellValue) -> Any:
    """One cell for ``step``: trim (or the layout's preparation), the default or EMPTY when empty, conversion.

    Raises ``ConversionError``.
    """
    if step.prepare is not None:
        raw = step.prepare(raw)
    elif raw.__class__ is str:
        raw = raw.strip()  # type: ignore[union-attr]
    if raw is None or raw == "":
        return EMPTY if step.default is None else step.default
    return step.convert(raw)


class TableMapper:
    """Maps the rows of one table; built by ``RecordMapper.bind``.

    ``map_rows`` maps a batch column by column (``column_batch``); a row that fails there is mapped again
    by ``map_row_exact``, one row at a time with a full model validation, which words its errors.
    """

    def __init__(
        self,
        *,
        table: Table,
        rules: list[ColumnRule],
        model: type[CatalogRecord],
        key_fields: tuple[str, ...],
        required_keys: bool,
        clear_empty: bool,
        partial: bool,
        warnings: list[RunMessage],
    ) -> None:
        self.table = table
        self.rules = rules
        self.model = model
        self.key_fields = key_fields
        self.warnings = warnings
        self._required_keys = required_keys
        self._clear_empty = clear_empty
        self._context = {"partial": partial}
        self._labels = {rule.ref.path: rule.label for rule in rules}
        self._field_labels = {rule.ref.field: rule.label for rule in reversed(rules)}
        self._steps = [_compile(rule) for rule in rules]
        self._number_checks: list[tuple[int, str, str, DecimalSeparator]] = [
            (rule.position, rule.label, rule.ref.path, rule.separator) for rule in rules
            if rule.position is not None and rule.ref.kind in (FieldKind.DECIMAL, FieldKind.PERCENT)]
        self._ambiguous_counts: dict[int, int] = {}
        self._row_warnings: list[RunMessage] = []
        self._has_parts = any(step.target == _FEATURE for step in self._steps)
        self._validate = model.model_validate
        # Duplicates within a file are rows of the same catalog record: the same natural key (the layout's
        # key columns only have to be filled). Absent fields count with the model's default, exactly as
        # natural_key() sees them.
        self.identity_fields: tuple[str, ...] = model.KEY_FIELDS
        self._key_steps = [step for step in self._steps if step.path in self.identity_fields]
        self._key_defaults: dict[str, Any] = {}
        for name in self.identity_fields:
            field_info = model.model_fields[name]
            if not field_info.is_required() and field_info.default is not None:
                self._key_defaults[name] = field_info.default
        builder = builder_for(model)
        self._batch = ColumnBatch(
            columns=[_column_spec(step, builder) for step in self._steps],
            builder=builder,
            partial=partial,
            clear_empty=clear_empty,
            required_paths=key_fields if required_keys else (),
            row_checks=self._row_checks(),
        )

    @property
    def column_batch(self) -> ColumnBatch:
        """The column-wise mapper of ``map_rows``, with its memos (``forget`` them when the table is done)."""
        return self._batch

    def _row_checks(self) -> list[RowCheck]:
        if not self._has_parts:
            return []
        return [lambda data, row, errors: self._collect_dict_parts(data, row=row, errors=errors)]

    def map_rows(self, rows: Sequence[SourceRow]) -> list[MappedOutcome]:
        """``map_row_keyed`` of each row, for a batch at once (much faster)."""
        outcomes = [
            self.map_row_exact(row) if mapped is None else (mapped, mapped.key if any(mapped.key) else None)
            for row, mapped in zip(rows, self._batch.run(rows), strict=True)
        ]
        if self._number_checks:
            self._note_ambiguous_numbers(rows, outcomes)
        return outcomes

    def take_warnings(self) -> list[RunMessage]:
        """The row warnings of the rows mapped since the last call (ambiguous numbers), oldest first."""
        taken, self._row_warnings = self._row_warnings, []
        return taken

    def _note_ambiguous_numbers(self, rows: Sequence[SourceRow], outcomes: list[MappedOutcome]) -> None:
        """A warning per imported cell that could mean another number (``1,234``), at most
        ``AMBIGUOUS_WARNINGS_PER_COLUMN`` per column (then one saying the rest are not listed)."""
        for check in list(self._number_checks):
            position, label, path, separator = check
            for row, (outcome, _) in zip(rows, outcomes, strict=True):
                if outcome.__class__ is not MappedRecord or position >= len(row.values):
                    continue
                raw = row.values[position]
                problem = ambiguous_number(raw, separator=separator) if raw.__class__ is str else None
                if problem is None:
                    continue
                count = self._ambiguous_counts[position] = self._ambiguous_counts.get(position, 0) + 1
                if count > AMBIGUOUS_WARNINGS_PER_COLUMN:
                    self._row_warnings.append(self.table.message(
                        MessageLevel.WARNING, f"column {label!r} has more numbers that could be read two ways; "
                        f"only the first {AMBIGUOUS_WARNINGS_PER_COLUMN} are listed", row=row.row, column=label))
                    self._number_checks.remove(check)
                    break
                self._row_warnings.append(RunMessage(level=MessageLevel.WARNING, text=f"{path}: {problem}",
                                                     file=row.file, sheet=row.sheet, row=row.row, column=label,
                                                     value=describe_value(raw)))

    def map_row(self, row: SourceRow) -> MappedRecord | RejectedRow:
        """The record of ``row``, or the reasons it is rejected."""
        return self.map_row_keyed(row)[0]

    def map_row_keyed(self, row: SourceRow) -> MappedOutcome:
        """``map_row`` plus the row's duplicate key (None when the row has no key values)."""
        return self.map_rows([row])[0]

    def map_row_exact(self, row: SourceRow) -> MappedOutcome:
        """``map_row_keyed`` the exact way: one full model validation, which words every error."""
        data, fields, cleared, errors = self._convert(row)
        if errors:
            return RejectedRow(row, tuple(errors)), self.duplicate_key(row)
        if self._has_parts:
            self._collect_dict_parts(data, row=row, errors=errors)
        if self._required_keys:
            self._check_keys(data, row=row, errors=errors)
        if errors:
            return RejectedRow(row, tuple(errors)), self.duplicate_key(row)
        try:
            record = self._validate(data, context=self._context)
        except ValidationError as error:
            rejected = RejectedRow(row, tuple(self._validation_errors(error, row=row, data=data)))
            return rejected, self.duplicate_key(row)
        if cleared:
            cleared -= fields
        natural_key = record.natural_key()
        mapped = MappedRecord(row.file, row.sheet, row.row, record, natural_key, frozenset(fields), frozenset(cleared))
        return mapped, natural_key if any(natural_key) else None

    def duplicate_key(self, row: SourceRow) -> tuple[str, ...] | None:
        """The row's natural key from its key cells alone, converted not validated (cheap, for a resume)."""
        values = row.values
        count = len(values)
        data = dict(self._key_defaults)
        for step in self._key_steps:
            raw = values[step.position] if 0 <= step.position < count else None
            try:
                value = convert_cell(step, raw)
            except ConversionError:
                return None
            if value is not EMPTY:
                data[step.path] = value
        parts = tuple([key_text(data.get(name)) for name in self.identity_fields])
        return parts if any(parts) else None

    def label_for(self, path: str) -> str | None:
        """The file column that fills the field ``path``, if any."""
        return self._labels.get(path) or self._field_labels.get(path.split(".")[0])

    def key_text(self, key: tuple[str, ...]) -> str:
        """``article_number='A1'`` for messages."""
        return ", ".join(f"{name}={value!r}" for name, value in zip(self.identity_fields, key, strict=True) if value)

    def key_cell(self, key: tuple[str, ...]) -> tuple[str | None, str | None]:
        """The file column and value that show a duplicate ``key`` best: its first filled part from a column."""
        filled = [(name, value) for name, value in zip(self.identity_fields, key, strict=True) if value]
        for name, value in filled:
            label = self.label_for(name)
            if label:
                return label, value
        return None, filled[0][1] if filled else None

    def _convert(self, row: SourceRow) -> tuple[dict[str, Any], set[str], set[str], list[RowError]]:
        values = row.values
        count = len(values)
        data: dict[str, Any] = {}
        fields: set[str] = set()
        cleared: set[str] = set()
        errors: list[RowError] = []
        for step in self._steps:
            raw = values[step.position] if 0 <= step.position < count else None
            try:
                value = convert_cell(step, raw)
            except ConversionError as error:
                errors.append(self._conversion_error(row, step.path, step.key, step.target, raw, error))
                continue
            if value is EMPTY:
                if self._clear_empty:
                    cleared.add(step.path)
                continue
            if step.target == _PLAIN:
                data[step.field] = value
            else:
                # Features are replaced as a whole; their parts are assembled in _collect_dict_parts.
                data.setdefault(step.field, {})[step.key] = value
            fields.add(step.path)
        return data, fields, cleared, errors

    def _conversion_error(
        self, row: SourceRow, path: str, key: str | None, target: int, raw: CellValue, error: ConversionError
    ) -> RowError:
        shown = (f"features.{key}" if key else "features") if target == _FEATURE else path
        label = self._labels.get(f"features.{key}" if target == _FEATURE and key else path)
        return self._error(row, label, raw, f"{shown}: {error}")

    def _collect_dict_parts(self, data: dict[str, Any], *, row: SourceRow, errors: list[RowError]) -> None:
        """Turn ``feature_<n>_<part>`` cells into feature entries (after a ``features`` column's own)."""
        features = data.get("features")
        if not isinstance(features, dict):
            return
        listed: list[dict[str, Any]] = list(features.pop(None, None) or [])
        numbered: dict[int, dict[str, Any]] = {}
        for key, value in features.items():
            number_text, part = str(key).split(".")
            numbered.setdefault(int(number_text), {})[part] = value
        for number in sorted(numbered):
            parts = numbered[number]
            if not parts.get("code"):
                label = self._labels.get(f"features.{number}.value") or self._labels.get(f"features.{number}.unit")
                errors.append(
                    self._error(
                        row, label, parts.get("value"), f"feature {number}: a value without feature_{number}_code"
                    )
                )
                continue
            if not parts.get("value") or parts.get("value") == "-":
                continue  # ETIM: a feature without a value (or "-") is "not applicable"
            listed.append({"code": parts["code"], "value": str(parts["value"]), "unit": parts.get("unit")})
        data["features"] = listed

    def _check_keys(self, data: dict[str, Any], *, row: SourceRow, errors: list[RowError]) -> None:
        for path in self.key_fields:
            field, _, key = path.partition(".")
            value = data.get(field)
            if isinstance(value, dict):
                value = value.get(key)
            if value is None or value == "":
                errors.append(self._error(row, self._labels.get(path), None, f"{path} is empty; it is a key column"))

    def _validation_errors(self, error: ValidationError, *, row: SourceRow, data: dict[str, Any]) -> list[RowError]:
        result: list[RowError] = []
        for path, reason in describe_errors(error):
            label = None
            value: str | None = None
            if not path:
                path = self._problem_field(data)
            if path:
                label = self._labels.get(path) or self._field_labels.get(path.split(".")[0])
                raw = _value_at(data, path)
                value = describe_value(raw) if raw is not None and not isinstance(raw, list | dict) else None
            result.append(RowError(row.file, row.sheet, row.row, label, value, reason))
        return result

    def _problem_field(self, data: dict[str, Any]) -> str | None:
        """The field a rule across fields names (see ``record_problem``), to point at its column.

        Such a rule runs only once every field is valid, so ``data`` completed with the defaults is what the
        model checked.
        """
        values = self.model.model_construct(**data).__dict__
        problem = self.model.record_problem(values, bool(self._context["partial"]))
        return problem.field if problem else None

    @staticmethod
    def _error(row: SourceRow, column: str | None, raw: Any, reason: str) -> RowError:
        value = describe_value(raw) if raw is not None and not isinstance(raw, list | dict) else None
        return RowError(row.file, row.sheet, row.row, column, value, reason)


def _value_at(data: dict[str, Any], path: str) -> Any:
    """The converted value at ``descriptions.nl`` / ``features.0.code`` / ``gross_price``."""
    value: Any = data
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value
