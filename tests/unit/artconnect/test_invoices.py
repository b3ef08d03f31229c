"""The INSBOU003 parser and the invoice checks (amounts per the standard's rounding, prices against the catalog)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from pimtasks.artconnect.insbou import InvoiceParseError, parse_invoice
from pimtasks.catalog.subjects import article_subject
from pimtasks.domain.catalog_storage import StoredChange
from pimtasks.domain.invoice import CheckLevel, invoice_id
from pimtasks.domain.task_types import ImportTarget
from pimtasks.services.invoice_checks import amount_checks, price_checks
from pimtasks.services.invoice_prices import CatalogNetPrices

from tests.support.artconnect_server import INVOICE_SAMPLE, invoice_xml


def test_the_shared_sample() -> None:
    invoice = parse_invoice(INVOICE_SAMPLE.read_bytes())
    assert (invoice.invoice_number, invoice.invoice_date, invoice.currency) == ("12345678", dt.date(2022, 6, 1), "EUR")
    assert invoice.seller_gln == "1234567899121" and invoice.buyer.gln == "1234567890123"
    assert invoice.invoicee.name == "Alfana" and invoice.invoicer.city == "Leeuwarden"
    [line] = invoice.lines
    assert line.supplier_item_id == "2700175908" and line.invoiced_quantity == Decimal("3.000")
    assert line.net_line_amount == Decimal("5.55") and line.price == Decimal("1.85")
    assert line.vat_percentage == Decimal("21.00") and line.price_base_unit == "PCE"
    assert line.description == "92.944.0053.1 WIE VEERKLEMCONN.4P MALE ZWRT"
    assert invoice.totals.total_invoice_amount == Decimal("6.72")
    [vat] = invoice.vat_subtotals
    assert (vat.vat_amount, vat.vat_percentage, vat.base_amount) == (Decimal("1.17"), Decimal("21.00"), Decimal("5.55"))
    assert amount_checks(invoice) == []
    assert invoice_id(seller_gln=invoice.seller_gln, invoice_number="12/34 A") == "1234567899121_12-34-A"


def test_malformed_xml_names_line_and_column() -> None:
    with pytest.raises(InvoiceParseError) as caught:
        parse_invoice(b"<Invoice>\n  <InvoiceNumber>1</InvoiceNumbr>\n</Invoice>")
    assert (caught.value.line, caught.value.column) == (2, 21)
    assert "line 2, column 21" in str(caught.value)


@pytest.mark.parametrize(("document", "element"), [
    (b"<Order/>", "Order"),
    (invoice_xml(number="1").replace(b"<InvoiceNumber>1</InvoiceNumber>", b""), "InvoiceNumber"),
    (invoice_xml(number="1").replace(b"<NetLineAmount>5.55</NetLineAmount>", b"<NetLineAmount>5,55</NetLineAmount>"),
     "NetLineAmount"),
    (invoice_xml(number="1").replace(b"2026-11-20", b"20-11-2026"), "InvoiceDate"),
])
def test_not_insbou003_names_the_element(document: bytes, element: str) -> None:
    with pytest.raises(InvoiceParseError) as caught:
        parse_invoice(document)
    assert caught.value.element == element and element in str(caught.value)


def test_entities_are_refused() -> None:
    with pytest.raises(InvoiceParseError, match="refused XML"):
        parse_invoice(b'<!DOCTYPE x [<!ENTITY a "aaaa">]><Invoice>&a;</Invoice>')


def test_amounts_round_half_up_per_step() -> None:
    # 3 x 0.175 = 0.525 -> 0.53; VAT 21% of 0.53 = 0.1113 -> 0.11; 0.5 x 21% = 0.105 -> 0.11 (half up).
    invoice = parse_invoice(invoice_xml(number="1", lines=[("A", "3", "0.175")]))
    assert invoice.lines[0].net_line_amount == Decimal("0.53")
    assert amount_checks(invoice) == []


def test_amount_differences_are_warnings() -> None:
    document = invoice_xml(number="1", lines=[("A", "2", "10.00"), ("B", "1", "5.00")], total_override="30.00")
    document = document.replace(b"<NetLineAmount>5.00</NetLineAmount>", b"<NetLineAmount>5.10</NetLineAmount>")
    checks = amount_checks(parse_invoice(document))
    codes = {check.code for check in checks}
    assert codes == {"line_amount", "total_net", "total_invoice"}
    assert all(check.level is CheckLevel.WARNING for check in checks)
    line = next(check for check in checks if check.code == "line_amount")
    assert line.line_number == "20" and "5.10" in line.text and "= 5.00" in line.text


def test_more_than_four_decimals() -> None:
    document = invoice_xml(number="1", lines=[("A", "1", "1.12345")])
    assert "decimals" in {check.code for check in amount_checks(parse_invoice(document))}
    assert amount_checks(parse_invoice(invoice_xml(number="1", lines=[("A", "1", "1.1234")]))) == []


class FakeCatalog:
    def __init__(self, conditions: list[dict[str, Any]]) -> None:
        self.conditions = conditions

    def about(self, *, environment: str, subjects: Sequence[str]) -> dict[ImportTarget, list[StoredChange]]:
        found = [StoredChange(key=(), record_id=str(i), data=c, changed_at="", position="")
                 for i, c in enumerate(self.conditions)
                 if article_subject(str(c.get("article_number"))) in subjects]
        return {ImportTarget.SALES_CONDITIONS: found}


SELLER = "1234567899121"


def test_net_price_selection() -> None:
    catalog = FakeCatalog([
        {"article_number": "A", "net_price": "2.00", "valid_from": "2026-01-01", "valid_until": "2026-06-30"},
        {"article_number": "A", "net_price": "1.90", "valid_from": "2026-07-01"},
        {"article_number": "A", "net_price": "1.50", "valid_from": "2026-07-01", "quantity_lower_limit": "100"},
        {"article_number": "A", "net_price": "1.00", "customer_group": "VIP"},
        {"article_number": "A", "net_price": "0.50", "supplier_gln": "8712345000004"},
        {"article_number": "A", "discount_1": "10"},
    ])
    prices = CatalogNetPrices(catalog=catalog)

    def price(on: str, quantity: str = "1") -> Decimal | None:
        return prices.net_price(environment="1", article="A", gtin=None, seller_gln=SELLER,
                                on=dt.date.fromisoformat(on), quantity=Decimal(quantity))

    assert price("2026-03-01") == Decimal("2.00")
    assert price("2026-11-20") == Decimal("1.90")
    assert price("2026-11-20", "150") == Decimal("1.50")
    assert price("2025-12-31") == Decimal("1.00")  # only the customer-specific one applies then
    assert prices.net_price(environment="1", article="B", gtin=None, seller_gln=SELLER, on=dt.date(2026, 1, 1),
                            quantity=Decimal(1)) is None


def test_price_checks() -> None:
    catalog = FakeCatalog([{"article_number": "A", "net_price": "1.85"}, {"article_number": "B", "net_price": "2.00"}])
    invoice = parse_invoice(invoice_xml(number="1", lines=[("A", "3", "1.85"), ("B", "1", "2.10"), ("C", "1", "1")]))
    checks = price_checks(invoice, environment="1", prices=CatalogNetPrices(catalog=catalog))
    assert [(check.code, check.level, check.line_number) for check in checks] == [
        ("net_price", CheckLevel.WARNING, "20"), ("no_net_price", CheckLevel.INFO, "30")]
    assert "invoiced at 2.1 per unit, the catalog's net price on 2026-11-20 is 2.00 (+0.10, +5.00%)" in checks[0].text
