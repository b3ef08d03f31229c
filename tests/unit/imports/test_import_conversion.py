"""Cell conversions: numbers, dates, features."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pimtasks.imports.conversion import ConversionError, to_date, to_decimal, to_digits, to_text
from pimtasks.imports.mapping import parse_features


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1,5", "1.5"),
        ("1.234.567", "1234567"),
        ("€ 12,50", "12.50"),
        ("12,5%", "12.5"),
        ("-3", "-3"),
        (12.5, "12.5"),
        (0.1 + 0.2, "0.3"),
        (7, "7"),
    ],
)
def test_numbers(cell: object, expected: str) -> None:
    assert to_decimal(cell) == Decimal(expected)  # type: ignore[arg-type]


def test_decimal_comma_forced() -> None:
    assert to_decimal("1.234", decimal_comma=True) == Decimal("1234")
    with pytest.raises(ConversionError):
        to_decimal("1.5", decimal_comma=True)


@pytest.mark.parametrize("cell", ["12,5x", "1_000", "NaN", "1e5", "", "1,2,3,4"])
def test_not_numbers(cell: str) -> None:
    with pytest.raises(ConversionError, match=r"is not a number \(expected e\.g\. 1234\.56 or 1\.234,56\)"):
        to_decimal(cell)


@pytest.mark.parametrize(
    ("cell", "date_format", "expected"),
    [
        (45292, None, dt.date(2024, 1, 1)),
        (45292.75, None, dt.date(2024, 1, 1)),
        ("45292", None, dt.date(2024, 1, 1)),
        ("2024-01-31", None, dt.date(2024, 1, 31)),
        ("2024-01-31T13:00:00", None, dt.date(2024, 1, 31)),
        ("31-01-2024", None, dt.date(2024, 1, 31)),
        ("31.01.2024", None, dt.date(2024, 1, 31)),
        ("20240131", "%Y%m%d", dt.date(2024, 1, 31)),
        ("01/31/2024", "%m/%d/%Y", dt.date(2024, 1, 31)),
        (dt.datetime(2024, 1, 31, 8, 0), None, dt.date(2024, 1, 31)),
    ],
)
def test_dates(cell: object, date_format: str | None, expected: dt.date) -> None:
    assert to_date(cell, date_format=date_format) == expected  # type: ignore[arg-type]


def test_date_problem_names_the_expected_format() -> None:
    with pytest.raises(ConversionError) as caught:
        to_date("2024/31/01", date_format="%d-%m-%Y")
    assert str(caught.value) == "'2024/31/01' is not a date (expected DD-MM-YYYY, e.g. 31-12-2024)"
    with pytest.raises(ConversionError, match="is not a date"):
        to_date(0)


def test_text_and_digits_from_number_cells() -> None:
    assert to_text(12345.0) == "12345"
    assert to_digits(8712345678906.0) == "8712345678906"
    assert to_digits("87 12345 678906") == "8712345678906"


def test_feature_notation() -> None:
    assert parse_features("EF000008=12.5[EU570448]; ef000007 = EV000123") == [
        {"code": "EF000008", "value": "12.5", "unit": "EU570448"},
        {"code": "EF000007", "value": "EV000123", "unit": None},
    ]
    with pytest.raises(ConversionError, match="is not a feature"):
        parse_features("colour=red")


def test_a_month_first_date_says_how_to_read_it() -> None:
    with pytest.raises(ConversionError) as caught:
        to_date("06/30/2027")
    assert str(caught.value) == (
        "'06/30/2027' is not a valid date: dates without a format are read day first (DD-MM-YYYY); if the file "
        "writes the month first, give the column date_format %m/%d/%Y in a custom layout"
    )
    assert to_date("06/30/2027", date_format="%m/%d/%Y") == dt.date(2027, 6, 30)
