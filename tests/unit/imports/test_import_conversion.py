"""Cell conversions: numbers, dates, features."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pimtasks.domain.task_types import ColumnMapping, DecimalSeparator
from pimtasks.imports.conversion import (
    ConversionError,
    ambiguous_number,
    to_date,
    to_decimal,
    to_digits,
    to_text,
)
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
    assert to_decimal("1.234", separator=DecimalSeparator.COMMA) == Decimal("1234")
    with pytest.raises(ConversionError):
        to_decimal("1.5", separator=DecimalSeparator.COMMA)


@pytest.mark.parametrize("cell", ["12,5x", "1_000", "NaN", "1e5", "", "1,2,3,4"])
def test_not_numbers(cell: str) -> None:
    with pytest.raises(ConversionError, match=r"is not a number \(expected e\.g\. 1234\.56, 1,234\.56 or 1\.234,56\)"):
        to_decimal(cell)


@pytest.mark.parametrize(
    ("separator", "cell", "expected"),
    [
        (DecimalSeparator.POINT, "769.75", "769.75"),
        (DecimalSeparator.POINT, "1,234.56", "1234.56"),
        (DecimalSeparator.POINT, "1,234", "1234"),
        (DecimalSeparator.POINT, "1,234,567", "1234567"),
        (DecimalSeparator.COMMA, "769,75", "769.75"),
        (DecimalSeparator.COMMA, "1.234,56", "1234.56"),
        (DecimalSeparator.COMMA, "1.234", "1234"),
        (DecimalSeparator.COMMA, "12,5%", "12.5"),
        (DecimalSeparator.AUTO, "769,75", "769.75"),
        (DecimalSeparator.AUTO, "1,234", "1.234"),
    ],
)
def test_numbers_by_decimal_separator(separator: DecimalSeparator, cell: str, expected: str) -> None:
    assert to_decimal(cell, separator=separator) == Decimal(expected)


@pytest.mark.parametrize(
    ("separator", "cell", "shown", "hidden"),
    [
        # The hint shows what the setting reads, never the form it has just rejected.
        (DecimalSeparator.COMMA, "769.75", "1234,56 or 1.234,56", "e.g. 1234.56"),
        (DecimalSeparator.POINT, "769,75", "1234.56 or 1,234.56", "e.g. 1234,56"),
        (DecimalSeparator.POINT, "0,125", "decimal_separator 'comma'", "e.g. 1234,56"),
        (DecimalSeparator.COMMA, "1,234.56", "decimal_separator 'point'", "e.g. 1234.56"),
    ],
)
def test_a_rejected_number_names_the_setting_and_what_it_reads(
    separator: DecimalSeparator, cell: str, shown: str, hidden: str
) -> None:
    with pytest.raises(ConversionError) as raised:
        to_decimal(cell, separator=separator)
    text = str(raised.value)
    assert f"decimal_separator is '{separator.value}'" in text and shown in text and hidden not in text


@pytest.mark.parametrize(
    ("separator", "cell", "words"),
    [
        (DecimalSeparator.POINT, "1,234", ["read as 1234", "decimal_separator 'point'", "set the column's "
                                           "decimal_separator to 'comma'"]),
        (DecimalSeparator.COMMA, "1.234", ["read as 1234", "decimal_separator 'comma'", "to 'point'"]),
        (DecimalSeparator.AUTO, "1,234", ["1.234 or 1234", "read as 1.234", "decimal_separator 'auto'", "to 'point'"]),
        (DecimalSeparator.AUTO, "1.234", ["read as 1.234", "to 'comma'"]),
    ],
)
def test_ambiguous_numbers_are_named_with_the_setting(separator: DecimalSeparator, cell: str,
                                                       words: list[str]) -> None:
    problem = ambiguous_number(cell, separator=separator)
    assert problem is not None
    for word in words:
        assert word in problem


@pytest.mark.parametrize(
    ("separator", "cell"),
    [(DecimalSeparator.POINT, "1.234"), (DecimalSeparator.COMMA, "1,234"), (DecimalSeparator.POINT, "1,234.5"),
     (DecimalSeparator.AUTO, "769,75"), (DecimalSeparator.AUTO, "0,125"), (DecimalSeparator.AUTO, "1234"),
     (DecimalSeparator.AUTO, 1.234)],
)
def test_unambiguous_numbers_have_no_warning(separator: DecimalSeparator, cell: object) -> None:
    assert ambiguous_number(cell, separator=separator) is None  # type: ignore[arg-type]


def test_the_former_decimal_comma_still_reads() -> None:
    assert ColumnMapping.model_validate({"column": "a", "field": "gross_price", "decimal_comma": True}
                                        ).decimal_separator is DecimalSeparator.COMMA
    assert ColumnMapping.model_validate({"column": "a", "field": "gross_price", "decimal_comma": False}
                                        ).decimal_separator is DecimalSeparator.AUTO
    mapping = ColumnMapping.model_validate({"column": "a", "field": "gross_price", "decimal_comma": False,
                                            "decimal_separator": "point"})
    assert mapping.decimal_separator is DecimalSeparator.POINT
    assert "decimal_comma" not in mapping.model_dump()
    with pytest.raises(ValueError, match="contradicts"):
        ColumnMapping.model_validate({"column": "a", "field": "x", "decimal_comma": True, "decimal_separator": "point"})


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
