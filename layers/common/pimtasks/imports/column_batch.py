"""The import's fast path: a batch of rows converted and validated column by column.

Supplier files repeat themselves: one currency, fifty customer groups, a thousand prices in a hundred
thousand rows. So each column of a batch is resolved through a per-column memo from *raw cell* to
*validated field value* (trim, replacement, case, default, conversion and the field's own validation,
done once per distinct cell), a lookup that runs at C speed (``map(memo.get, column)``). Per row there
is left: assembling the fields, the model's rules across fields and building the record
(``RecordBuilder``), which skips pydantic's per-row validation.

The fast path only ever *accepts* rows. A row with any problem (a cell that does not convert or validate,
a broken rule across fields, a missing key) comes back as None, and the caller maps it the exact way,
one full validation, which words the errors. So the messages of rejected rows do not depend on this
module, and ``tests/unit/imports/test_column_batch.py`` holds the accepted records equal to the exact
path's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import is_, itemgetter
from typing import Any, NamedTuple

from pydantic import ValidationError
from pydantic_core import PydanticUndefined

from pimtasks.catalog.models import key_text
from pimtasks.catalog.record_builder import RecordBuilder
from pimtasks.imports.conversion import ConversionError
from pimtasks.imports.rows import CellValue, MappedRecord, RowError, SourceRow

EMPTY: Any = type("Empty", (), {"__repr__": lambda self: "EMPTY"})()
"""A cell that leaves its field unset (empty, without a default)."""

MEMO_SIZE = 4096
"""Distinct cells remembered per column (and per memo kind): enough for codes and prices; unique numbers
are not worth it. A full memo takes no more entries, so memory is bounded whatever the input: at most
``MEMO_SIZE`` entries per memo of a table, kept until the table is done (``forget``)."""

_MANY = 16
"""Missed cells of a column from which one ``resolve_many`` call beats resolving them one by one."""

Resolver = Callable[[CellValue], Any]
RowCheck = Callable[[dict[str, Any], SourceRow, list[RowError]], None]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of the plan: where its cells are and where their values go."""

    position: int  # -1: the column is not in the file (its layout default fills the field)
    field: str
    plain: bool  # False: the value is one part of a dict/list field (descriptions.nl, features)
    key: str | None  # the part's key inside its field (None for a whole features column)
    path: str
    resolve: Resolver  # raw cell -> validated value or EMPTY; raises ConversionError / ValidationError
    memo: bool  # False for values that must not be shared between records (lists)
    resolve_many: Callable[[list[CellValue]], list[Any] | None] | None = None
    """Many cells at once (None: not all could be, resolve them one by one): plain text columns."""


class _RowPlan(NamedTuple):
    """What the rows with one pattern of empty cells share."""

    fields_order: tuple[str, ...]  # the fields of the filled cells
    pick: Callable[[tuple[Any, ...]], tuple[Any, ...]]  # the filled cells of a row
    fields: frozenset[str]
    cleared: frozenset[str]


_NO_PLAN: Any = object()


def _picker(positions: Sequence[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """``itemgetter`` that always returns a tuple (itemgetter of one position returns the item)."""
    if len(positions) == 1:
        only = positions[0]
        return lambda values: (values[only],)
    if not positions:
        return lambda values: ()
    return itemgetter(*positions)


class ColumnBatch:
    """Maps batches of one table's rows; ``run`` returns a ``MappedRecord`` or None (take the exact path) per row.

    A record's ``key`` is its natural key (``record.natural_key()``, computed column by column).
    """

    def __init__(
        self,
        *,
        columns: Sequence[ColumnSpec],
        builder: RecordBuilder[Any],
        partial: bool,
        clear_empty: bool,
        required_paths: Sequence[str],
        row_checks: Sequence[RowCheck],
    ) -> None:
        self._columns = list(columns)
        self._memos: list[dict[Any, Any] | None] = [{} if column.memo else None for column in columns]
        # Cells that may not key the plain memo (see _memoizable), remembered by (class, value) instead.
        self._typed_memos: list[dict[tuple[type, Any], Any]] = [{} for _ in columns]
        self._memos_with_zero_one: set[int] = set()  # columns whose memo holds 0 or 1 (see _resolve_column)
        self._builder = builder
        self._partial = partial
        self._clear_empty = clear_empty
        self._row_checks = list(row_checks)
        self._fields = [column.field for column in columns]
        self._paths = [column.path for column in columns]
        self._required = frozenset(required_paths)
        self._plans: dict[tuple[bool, ...], _RowPlan | None] = {}
        self._plain = all(column.plain for column in columns) and not row_checks
        self._dict_fields = sorted({column.field for column in columns if not column.plain})
        present = [column.position for column in columns if column.position >= 0]
        self._width = max(present, default=-1) + 1
        self._pick: Callable[[Sequence[CellValue]], tuple[CellValue, ...]] | None = (
            itemgetter(*present) if len(present) > 1 else None
        )
        self._present = present
        self._key_sources = self._natural_key_sources()
        self._text_memos: dict[int, dict[Any, str]] = {}

    def remembered(self) -> int:
        """How many entries the memos hold now (each memo holds at most ``MEMO_SIZE``)."""
        memos: list[dict[Any, Any]] = [memo for memo in self._memos if memo is not None]
        memos += [*self._typed_memos, *self._text_memos.values(), self._plans]
        return sum(map(len, memos))

    def forget(self) -> None:
        """Drop what the memos hold (the table is done): mapping more rows afterwards fills them again."""
        for memo in (*self._memos, *self._typed_memos):
            if memo is not None:
                memo.clear()
        self._text_memos.clear()
        self._plans.clear()
        self._memos_with_zero_one.clear()

    def _natural_key_sources(self) -> list[int | str]:
        """Per natural-key field: the column that fills it, or the text of its default."""
        by_field = {column.field: index for index, column in enumerate(self._columns) if column.plain}
        return [by_field.get(name, self._default_text(name)) for name in self._builder.model.KEY_FIELDS]

    def _default_text(self, field: str) -> str:
        default = self._builder.model.model_fields[field].default
        return "" if default is PydanticUndefined else key_text(default)

    def run(self, rows: Sequence[SourceRow]) -> list[MappedRecord | None]:
        """The rows this path accepts, None for every other."""
        if not rows or not self._columns:
            return [None] * len(rows)
        failed: set[int] = set()
        cells = self._raw_columns(rows)
        values = [self._resolve_column(index, column, failed) for index, column in enumerate(cells)]
        keys = self._natural_keys(values, len(rows))
        if self._plain:
            # Which cells are empty, per row: rows with the same pattern share one plan.
            patterns = zip(*[list(map(is_, column, repeat(EMPTY))) for column in values], strict=True)
            return self._build_plain(rows, values, keys, patterns, failed)
        return [
            None if index in failed else self._build_general(row, row_values, key)
            for index, (row, row_values, key) in enumerate(zip(rows, zip(*values, strict=True), keys, strict=True))
        ]

    def _natural_keys(self, values: list[list[Any]], count: int) -> list[tuple[str, ...]]:
        """Every row's natural key, column by column (what ``record.natural_key()`` returns)."""
        parts: list[list[str]] = []
        for source in self._key_sources:
            if isinstance(source, str):
                parts.append([source] * count)
                continue
            memo = self._text_memos.get(source)
            if memo is None:
                memo = self._text_memos[source] = {EMPTY: self._default_text(self._columns[source].field)}
            column = values[source]
            if self._columns[source].field in self._builder.text_fields:
                # The value is its own key text; only EMPTY (the default's text) is looked up.
                parts.append(list(map(memo.get, column, column)))
                continue
            texts: list[Any] = list(map(memo.get, column))
            for position in _misses(texts):
                value = column[position]
                text = texts[position] = value if value.__class__ is str else key_text(value)
                if len(memo) < MEMO_SIZE and value.__class__ is not str:
                    memo[value] = text
            parts.append(texts)
        return list(zip(*parts, strict=True)) if parts else [()] * count

    def _raw_columns(self, rows: Sequence[SourceRow]) -> list[Sequence[CellValue]]:
        """The raw cells of every planned column, column by column."""
        count = len(rows)
        lines: list[Sequence[CellValue]] = [row.values for row in rows]
        if min(map(len, lines), default=0) < self._width:
            width = self._width
            lines = [tuple(line) + (None,) * (width - len(line)) if len(line) < width else line for line in lines]
        picked: list[Sequence[CellValue]]
        if self._pick is not None:
            picked = list(zip(*map(self._pick, lines), strict=True)) if count else [()] * len(self._present)
        else:
            picked = [[line[position] for line in lines] for position in self._present]
        present = iter(picked)
        return [next(present) if column.position >= 0 else (None,) * count for column in self._columns]

    def _resolve_column(self, index: int, cells: Sequence[CellValue], failed: set[int]) -> list[Any]:
        column = self._columns[index]
        memo = self._memos[index]
        if memo is not None and index in self._memos_with_zero_one and any(map(isinstance, cells, repeat(bool))):
            # True would find the entry of 1 (True == 1), which reads differently: this batch resolves
            # its cells one by one, through the memo keyed by (class, value).
            memo = None
        try:
            # A miss is None: no cell resolves to None (an empty one is EMPTY).
            values: list[Any] = list(map(memo.get, cells)) if memo is not None else [None] * len(cells)
        except TypeError:  # an unhashable cell (a list from a JSON source): resolve each cell
            values, memo = [None] * len(cells), None
        resolve = column.resolve
        typed = self._typed_memos[index] if column.memo else None
        misses = _misses(values)
        if len(misses) >= _MANY and column.resolve_many is not None and self._resolved_many(
                values, cells, misses, column.resolve_many, memo):
            return values
        for position in misses:
            cell = cells[position]
            if memo is not None and (cell.__class__ is str or _memoizable(cell)):
                store: dict[Any, Any] | None = memo
                key: Any = cell
            else:
                store, key = typed, (cell.__class__, cell)
            value = store.get(key) if store is not None else None  # a repeat of a miss of this batch
            if value is None:
                try:
                    value = resolve(cell)
                except (ConversionError, ValidationError):
                    failed.add(position)
                    values[position] = EMPTY
                    continue
                if store is not None and len(store) < MEMO_SIZE:
                    store[key] = value
                    if store is memo and (cell == 0 or cell == 1):
                        self._memos_with_zero_one.add(index)
            values[position] = value
        return values

    @staticmethod
    def _resolved_many(values: list[Any], cells: Sequence[CellValue], misses: list[int],
                       resolve_many: Callable[[list[CellValue]], list[Any] | None],
                       memo: dict[Any, Any] | None) -> bool:
        """Resolve the missed cells in one call (unique article numbers, say); False: do it cell by cell."""
        missed = [cells[position] for position in misses]
        resolved = resolve_many(missed)
        if resolved is None:
            return False
        for position, value in zip(misses, resolved, strict=True):
            values[position] = value
        if memo is not None and len(memo) < MEMO_SIZE:
            room = MEMO_SIZE - len(memo)
            memo.update(zip(missed[:room], resolved[:room], strict=True))
        return True

    def _build_plain(
        self,
        rows: Sequence[SourceRow],
        values: list[list[Any]],
        keys: list[tuple[str, ...]],
        patterns: Iterable[tuple[bool, ...]],
        failed: set[int],
    ) -> list[MappedRecord | None]:
        """Rows of plain fields only: each row is built by the plan its pattern of empty cells shares."""
        known = self._plans.get
        patterns = list(patterns)
        plans: list[_RowPlan | None] = [known(pattern, _NO_PLAN) for pattern in patterns]
        if _NO_PLAN in plans:  # a pattern not seen before (rare after the first rows)
            plans = [self._plan_for(pattern) if plan is _NO_PLAN else plan for plan, pattern in zip(
                plans, patterns, strict=True)]
        for index in failed:
            plans[index] = None
        records = self._builder.build_many(
            [
                None if plan is None else (zip(plan.fields_order, plan.pick(row_values), strict=True), plan.fields)
                for plan, row_values in zip(plans, zip(*values, strict=True), strict=True)
            ],
            self._partial,
        )
        return [
            None if record is None or plan is None
            else MappedRecord(row.file, row.sheet, row.row, record, key, plan.fields, plan.cleared)
            for row, record, key, plan in zip(rows, records, keys, plans, strict=True)
        ]

    def _plan_for(self, pattern: tuple[bool, ...]) -> _RowPlan | None:
        plan = self._plans.get(pattern, _NO_PLAN)
        if plan is _NO_PLAN:
            plan = self._plan(pattern)
            if len(self._plans) < MEMO_SIZE:
                self._plans[pattern] = plan
        return plan

    def _plan(self, pattern: tuple[bool, ...]) -> _RowPlan | None:
        """How to build a row whose empty cells are ``pattern``; None when a key column is empty."""
        filled = [index for index, empty in enumerate(pattern) if not empty]
        fields = frozenset(self._paths[index] for index in filled)
        if not self._required <= fields:
            return None
        cleared = frozenset(
            path for path, empty in zip(self._paths, pattern, strict=True) if empty and path not in fields
        ) if self._clear_empty else frozenset()
        return _RowPlan(tuple(self._fields[index] for index in filled), _picker(filled), fields, cleared)

    def _build_general(self, row: SourceRow, values: tuple[Any, ...], key: tuple[str, ...]) -> MappedRecord | None:
        data: dict[str, Any] = {}
        fields: set[str] = set()
        for column, value in zip(self._columns, values, strict=True):
            if value is EMPTY:
                continue
            if column.plain:
                data[column.field] = value
            else:
                part = data.get(column.field)
                if part is None:
                    part = data[column.field] = {}
                part[column.key] = value
            fields.add(column.path)
        if not self._required <= fields:
            return None
        errors: list[RowError] = []
        for check in self._row_checks:
            check(data, row, errors)
        if errors:
            return None
        try:
            for name in self._dict_fields:
                if name in data:
                    data[name] = self._builder.field_validator(name)(data[name])
        except ValidationError:
            return None
        record = self._builder.build(data, data.keys(), self._partial)
        if record is None:
            return None
        return MappedRecord(row.file, row.sheet, row.row, record, key, frozenset(fields), self._cleared(values, fields))

    def _cleared(self, values: tuple[Any, ...], fields: set[str] | dict[str, Any]) -> frozenset[str]:
        if not self._clear_empty:
            return frozenset()
        return frozenset(
            path for path, value in zip(self._paths, values, strict=True) if value is EMPTY and path not in fields
        )


def _misses(found: list[Any]) -> list[int]:
    """Positions of the memo misses (None) in ``found``, by identity: ``Decimal == None`` is slow."""
    return list(compress(range(len(found)), map(is_, found, repeat(None))))


_EXACT_NUMBERS = 1e15
"""Below this, an integral float converts exactly like the int it equals (``2.0`` and ``2`` both read "2")."""


def _memoizable(cell: CellValue) -> bool:
    """Whether ``cell`` may key the memo, where equal keys share a value.

    ``True == 1 == 1.0`` and ``1e16 == 10**16`` as dict keys, but they convert differently ("true", "1",
    "1e+16"). Numbers below 1e15 convert alike whether int or float (2 and 2.0 both read "2"), so they may
    share; booleans and huge numbers never key the memo, and a batch with a boolean does not read a memo
    that holds 0 or 1. They go to the memo keyed by (class, value).
    """
    kind = cell.__class__
    if kind is int or kind is float:
        return -_EXACT_NUMBERS < cell < _EXACT_NUMBERS  # type: ignore[operator]
    return kind is not bool
