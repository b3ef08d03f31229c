"""The fast, column-wise mapping accepts exactly what the exact per-row mapping accepts, with equal records.

``TableMapper.map_rows`` (the fast path of ``column_batch``) against ``TableMapper.map_row_exact`` (one full
model validation per row) on seeded random rows full of the cells that make conversions differ: booleans
next to 0 and 1, integral floats next to ints, huge numbers, blanks, padding, Dutch decimals, text dates,
over-long codes, broken rules across fields. Each batch is mapped twice, so the second pass runs on warm
memos (the state a long import is in).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from pimtasks.domain.task_types import (
    ColumnMapping,
    DecimalSeparator,
    EmptyCell,
    ImportLayout,
    ImportMode,
    ImportTarget,
)
from pimtasks.imports.mapping import MappedOutcome, RecordMapper, TableMapper
from pimtasks.imports.reading.tables import Table
from pimtasks.imports.rows import CellValue, MappedRecord, RejectedRow, SourceRow

ROWS = 1500


class ListTable(Table):
    """A table over rows in memory."""

    def __init__(self, header: Sequence[str], lines: Sequence[Sequence[CellValue]]) -> None:
        super().__init__(file="t.xlsx", sheet="S", header_row=1, header=header)
        self.lines = lines

    def rows(self, *, after_row: int = 0) -> Iterator[SourceRow]:
        for number, values in enumerate(self.lines, start=2):
            if number > after_row:
                yield SourceRow(self.file, self.sheet, number, self.header, values)


def pick(rng: random.Random, *choices: Any) -> Any:
    """The first choice (a valid cell) more often than not, else any."""
    return choices[0] if rng.random() < 0.7 else rng.choice(choices)


CONDITION_HEADER = (
    "supplier_gln", "customer_group", "debtor", "region", "discount_group", "article_number", "gtin",
    "net_price", "discount_1", "discount_2", "valid_from", "valid_until", "terms_type", "project_number",
    "quantity_lower_limit", "currency",
)  # fmt: skip


def condition_line(rng: random.Random) -> list[CellValue]:
    scope = rng.randrange(4)
    return [
        pick(rng, "8712345000004", 8712345000004, 8712345000004.0, "8712345000005", None, ""),
        pick(rng, "GROUP1", " GROUP1 ", "group2", None, "", "X" * 36, 1, True),
        pick(rng, None, None, None, "D100", 100.0),
        pick(rng, "APAC", "EMEA", None, 0, 1.0),
        f"DG{rng.randrange(30)}" if scope == 0 else pick(rng, None, "", "   "),
        pick(rng, f"ART-{rng.randrange(10**6)}", 12345, 1.0, True) if scope == 1 else None,
        pick(rng, "8712345678906", "8712345678905", 8712345678906) if scope == 2 else None,
        pick(rng, 10.37, "12,50", "1.234,56", 0, 1, 0.0, 1.0, True, False, -3, 1e16, 10**16, "abc", None, 3),
        pick(rng, 0, 1, 1.0, 0.0, 2.5, "2,5", 150, None, False, True, "0", "1"),
        pick(rng, None, 0, 1, 5, 5.0, "5%", 99.99999),
        pick(rng, dt.date(2024, 1, 1), dt.datetime(2024, 1, 1, 0, 0), 45292, 45292.0, "1-2-2024", "2024-02-30", None),
        pick(rng, dt.date(2025, 12, 31), dt.date(2023, 1, 1), None, "31.12.2025", True),
        pick(rng, "basic", "Basic", "project", "action", None, "promo", 1),
        pick(rng, None, None, "PRJ1", 7, 0),
        pick(rng, 0, 1, 10, 10.0, "10,0", None, -1, True, 1e20),
        pick(rng, "EUR", "eur", "USD", None, "EURO", 1),
    ][: rng.choice((16, 16, 16, 12))]  # some lines shorter than the header


PRODUCT_HEADER = (
    "article_number", "gtin", "description_nl", "Description EN", "brand", "gross_price", "status",
    "features", "feature_1_code", "feature_1_value", "feature_1_unit", "custom_colour",
)  # fmt: skip


def product_line(rng: random.Random) -> list[CellValue]:
    return [
        pick(rng, f"P{rng.randrange(500)}", " P1 ", None, 1, 1.0, True, "Y" * 40),
        pick(rng, "8712345678906", None, "871234567890", 8712345678906.0),
        pick(rng, "Kabel", "  ", None, "Z" * 300, 0, True),
        pick(rng, "Cable", None),
        pick(rng, "Acme", None, "", "B" * 60),
        pick(rng, "12,50", 9.99, 0, 1, None, True, "x"),
        pick(rng, "active", "On-hold", "gone", None),
        pick(rng, None, "EF000008=12.5[EU570448]", "EF000008=1; EF000008=2", "nonsense", "EF000007=EV000123"),
        pick(rng, None, "EF000001", "EF000008", "bad"),
        pick(rng, None, "5", 1, True, "-"),
        pick(rng, None, "EU570448", "xx"),
        pick(rng, None, "red", 1, "C" * 1001),
    ]


def compare(mapper: TableMapper, lines: Sequence[Sequence[CellValue]]) -> tuple[int, int]:
    """Map every line both ways; assert equal outcomes; return (accepted, rejected)."""
    rows = list(ListTable(mapper.table.header, lines).rows())
    accepted = rejected = 0
    for _ in range(2):  # cold memos, then warm ones
        fast = mapper.map_rows(rows)
        for row, outcome in zip(rows, fast, strict=True):
            exact = mapper.map_row_exact(row)
            assert_same(row, outcome, exact)
            accepted += isinstance(outcome[0], MappedRecord)
            rejected += isinstance(outcome[0], RejectedRow)
    return accepted, rejected


def assert_same(row: SourceRow, fast: MappedOutcome, exact: MappedOutcome) -> None:
    where = f"row {row.row}: {list(row.values)!r}"
    assert type(fast[0]) is type(exact[0]), where
    assert fast[1] == exact[1], where
    if isinstance(exact[0], RejectedRow):
        assert fast[0] == exact[0], where
        return
    got, want = fast[0], exact[0]
    assert isinstance(got, MappedRecord) and isinstance(want, MappedRecord)
    assert (got.file, got.sheet, got.row, got.key, got.fields, got.cleared) == (
        want.file, want.sheet, want.row, want.key, want.fields, want.cleared,
    ), where  # fmt: skip
    assert got.record == want.record, where
    assert got.record.model_dump_json() == want.record.model_dump_json(), where
    assert got.record.model_fields_set == want.record.model_fields_set, where
    assert got.key == want.record.natural_key(), where


def bind(target: ImportTarget, header: Sequence[str], layout: ImportLayout | None = None,
         mode: ImportMode | None = None) -> TableMapper:
    return RecordMapper(target=target, layout=layout, mode=mode).bind(ListTable(header, []))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sales_conditions_in_the_standard_layout(seed: int) -> None:
    rng = random.Random(seed)
    mapper = bind(ImportTarget.SALES_CONDITIONS, CONDITION_HEADER)
    accepted, rejected = compare(mapper, [condition_line(rng) for _ in range(ROWS)])
    assert accepted > 100 and rejected > 100  # both paths really ran


@pytest.mark.parametrize("mode", [ImportMode.UPSERT, ImportMode.UPDATE_ONLY])
def test_sales_conditions_in_a_custom_layout(mode: ImportMode) -> None:
    layout = ImportLayout(
        columns=[
            ColumnMapping(column="Groep", field="discount_group", case="upper", trim=True),
            ColumnMapping(column="Klant", field="customer_group", default="INSTALLERS",
                          replace={"1": "ONE", "group2": "GROUP2"}),
            ColumnMapping(column="Korting", field="discount_1", decimal_separator=DecimalSeparator.COMMA),
            ColumnMapping(column="Prijs", field="net_price", decimal_separator=DecimalSeparator.COMMA,
                          replace={"abc": "0"}),
            ColumnMapping(column="Vanaf", field="valid_from", date_format="%d-%m-%Y"),
            ColumnMapping(column="Soort", field="terms_type", case="lower"),
            ColumnMapping(column="Missing", field="currency", default="EUR"),
        ],
        key_columns=["discount_group", "customer_group"],
        empty_cell=EmptyCell.CLEAR,
        mode=mode,
    )
    rng = random.Random(7)
    lines = [
        [
            pick(rng, "dg1", " dg2 ", None, "", "G" * 21, 1, True),
            pick(rng, "GROUP1", "group2", 1, 1.0, True, None, ""),
            pick(rng, "12,5", 12.5, 0, 1, True, None, "1.234,5"),
            pick(rng, "10,00", "abc", None, 0, 1.0),
            pick(rng, "01-02-2024", "2024-02-01", 45292, True, None, "31-02-2024"),
            pick(rng, "BASIC", "Project", None, "x"),
        ]
        for _ in range(ROWS)
    ]
    mapper = bind(ImportTarget.SALES_CONDITIONS, ("Groep", "Klant", "Korting", "Prijs", "Vanaf", "Soort"), layout,
                  mode)
    accepted, rejected = compare(mapper, lines)
    assert accepted > 100 and rejected > 100


@pytest.mark.parametrize("seed", [4, 5])
def test_products_with_descriptions_features_and_custom_fields(seed: int) -> None:
    rng = random.Random(seed)
    mapper = bind(ImportTarget.PRODUCTS, PRODUCT_HEADER)
    accepted, rejected = compare(mapper, [product_line(rng) for _ in range(ROWS)])
    assert accepted > 100 and rejected > 100


def test_booleans_never_share_a_memo_entry_with_one_and_zero() -> None:
    mapper = bind(ImportTarget.SALES_CONDITIONS, ("discount_group", "customer_group", "net_price"))
    lines: list[list[CellValue]] = [["DG", 1, 1], ["DG", True, True], ["DG", 1.0, 1.0], ["DG", True, 0]]
    outcomes = mapper.map_rows(list(ListTable(mapper.table.header, lines).rows()))
    customer_groups = [o.record.customer_group if isinstance(o, MappedRecord) else None for o, _ in outcomes]
    assert customer_groups == ["1", None, "1", "true"]  # True is no price (row 3), but it is text (row 5)
    (bad,) = outcomes[1][0].errors  # type: ignore[union-attr]
    assert bad.reason == "net_price: 'true' is not a number (expected e.g. 1234.56, 1,234.56 or 1.234,56)"


def test_users_with_flags_addresses_and_glns() -> None:
    rng = random.Random(9)
    lines = [
        [
            pick(rng, f"U{rng.randrange(400)}", " u-1 ", None, "", "U" * 65),
            pick(rng, "Jan de Vries", None, ""),
            pick(rng, "jan@example.nl", "JAN@Example.NL", "jan@example", "jan @example.nl", None),
            pick(rng, "8712345000004", 8712345000004, 8712345000004.0, "8712345000005", "871234500000", None),
            pick(rng, "ja", True, False, 1, 0, 1.0, "Nee", "maybe", None, ""),
        ]
        for _ in range(ROWS)
    ]
    mapper = bind(ImportTarget.USERS, ("user_id", "name", "E-mail", "gln", "active"))
    accepted, rejected = compare(mapper, lines)
    assert accepted > 100 and rejected > 100
