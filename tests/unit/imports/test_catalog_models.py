"""Catalog models: identifiers with check digits, sales condition rules and natural keys."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pimtasks.catalog import Attachment, Product, SalesCondition
from pimtasks.catalog.codes import gs1_check_digit
from pydantic import ValidationError


def test_gs1_check_digit() -> None:
    assert gs1_check_digit("871234567890") == 6
    assert gs1_check_digit("871234500000") == 4  # GLN 8712345000004


@pytest.mark.parametrize("gtin", ["8712345678906", "96385074", "012345678905", "18712345678903"])
def test_valid_gtins(gtin: str) -> None:
    assert Product(article_number="A", gtin=gtin).gtin == gtin


@pytest.mark.parametrize(
    ("gtin", "problem"),
    [
        ("8712345678905", "wrong check digit (the last digit should be 6)"),
        ("87123456789", "has 8 or 12 or 13 or 14 digits"),
        ("871234567890X", "digits only"),
    ],
)
def test_invalid_gtins(gtin: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        Product(article_number="A", gtin=gtin)


def condition(**values: object) -> SalesCondition:
    return SalesCondition.model_validate({"discount_group": "DG1", "discount_1": Decimal("10"), **values})


def test_sales_condition_rules() -> None:
    with pytest.raises(ValidationError, match="exactly one of discount_group, article_number, gtin"):
        condition(article_number="A1")
    with pytest.raises(ValidationError, match="customer_group or debtor, not both"):
        condition(customer_group="G", debtor="D")
    with pytest.raises(ValidationError, match="valid_until 2024-01-01 is before valid_from 2024-02-01"):
        condition(valid_from=dt.date(2024, 2, 1), valid_until=dt.date(2024, 1, 1))
    with pytest.raises(ValidationError, match="terms_type project needs a project_number"):
        condition(terms_type="project")
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        condition(discount_1=Decimal("120"))


def test_sales_condition_natural_key() -> None:
    record = condition(supplier_gln="8712345000004", customer_group="G", quantity_lower_limit=Decimal("10.00"))
    assert record.natural_key() == ("8712345000004", "G", "", "", "DG1", "", "", "basic", "", "10", "")
    assert (
        condition(quantity_lower_limit=Decimal("10")).natural_key()
        == condition(quantity_lower_limit=Decimal("10.0")).natural_key()
    )


def test_attachment_key() -> None:
    attachment = Attachment(article_number="A1", type_code="PPI", file_name="a1.jpg")
    assert attachment.natural_key() == ("A1", "PPI", "", "1")
