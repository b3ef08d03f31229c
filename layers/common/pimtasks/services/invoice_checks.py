"""The checks a wholesaler's buyer makes on a purchase invoice.

Amounts: the Ketenstandaard FAQ allows up to 4 decimals and rounds every intermediate step to 2 decimals (half
up). So a line's amount is ``round2(invoiced quantity x price / price base)``; the net total is the sum of the
(rounded) line amounts; each VAT subtotal is ``round2(base x percentage / 100)``; the VAT total their sum; the
invoice total net + charges/allowances + VAT. Each difference is a warning naming both amounts.

Prices: each line's unit price against the net price the catalog's sales conditions give for the article on the
invoice date (``NetPrices``); a difference is a warning; no net price is an info.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from pimtasks.domain.invoice import CheckLevel, InvoiceCheck, InvoiceLine, ParsedInvoice
from pimtasks.services.invoice_ports import NetPrices

CENT = Decimal("0.01")
MAX_DECIMALS = 4


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> str:
    return f"{value:f}"


def amount_checks(invoice: ParsedInvoice) -> list[InvoiceCheck]:
    checks = list(_decimals(invoice))
    line_total = Decimal(0)
    for line in invoice.lines:
        line_total += round2(line.net_line_amount)
        if line.price is None:
            continue
        expected = round2(line.invoiced_quantity * line.price / line.price_base_quantity)
        if expected != round2(line.net_line_amount):
            checks.append(_warning("line_amount", f"line {line.line_number}: NetLineAmount "
                                   f"{_money(line.net_line_amount)} but {_money(line.invoiced_quantity)} x "
                                   f"{_money(line.price)} / {_money(line.price_base_quantity)} = {_money(expected)}",
                                   line.line_number))
    totals = invoice.totals
    if line_total != round2(totals.total_net_line_amount):
        checks.append(_warning("total_net", f"TotalNetLineAmount {_money(totals.total_net_line_amount)} but the "
                               f"lines add up to {_money(line_total)}"))
    vat_total = Decimal(0)
    for subtotal in invoice.vat_subtotals:
        vat_total += round2(subtotal.vat_amount)
        if subtotal.base_amount is None or subtotal.vat_percentage is None:
            continue
        expected = round2(subtotal.base_amount * subtotal.vat_percentage / 100)
        if expected != round2(subtotal.vat_amount):
            checks.append(_warning("vat_amount", f"VAT {_money(subtotal.vat_percentage)}%: VATAmount "
                                   f"{_money(subtotal.vat_amount)} but {_money(subtotal.base_amount)} x "
                                   f"{_money(subtotal.vat_percentage)}% = {_money(expected)}"))
    if invoice.vat_subtotals and vat_total != round2(totals.total_vat_amount):
        checks.append(_warning("total_vat", f"TotalVATAmount {_money(totals.total_vat_amount)} but the VAT "
                               f"subtotals add up to {_money(vat_total)}"))
    expected_total = round2(totals.total_net_line_amount) + round2(totals.total_charge_allowance) + round2(
        totals.total_vat_amount)
    if expected_total != round2(totals.total_invoice_amount):
        checks.append(_warning("total_invoice", f"TotalInvoiceAmount {_money(totals.total_invoice_amount)} but net "
                               f"{_money(totals.total_net_line_amount)} + charges/allowances "
                               f"{_money(totals.total_charge_allowance)} + VAT {_money(totals.total_vat_amount)} = "
                               f"{_money(expected_total)}"))
    return checks


def _decimals(invoice: ParsedInvoice) -> Iterable[InvoiceCheck]:
    amounts: list[tuple[str, Decimal | None, str | None]] = []
    for line in invoice.lines:
        amounts += [("NetLineAmount", line.net_line_amount, line.line_number),
                    ("Price", line.price, line.line_number)]
    totals = invoice.totals
    amounts += [("TotalInvoiceAmount", totals.total_invoice_amount, None),
                ("TotalNetLineAmount", totals.total_net_line_amount, None),
                ("TotalVATAmount", totals.total_vat_amount, None)]
    for name, value, line_number in amounts:
        if value is not None and -int(value.as_tuple().exponent) > MAX_DECIMALS:
            where = f"line {line_number}: " if line_number else ""
            yield _warning("decimals", f"{where}{name} {_money(value)} has more than {MAX_DECIMALS} decimals",
                           line_number)


def price_checks(invoice: ParsedInvoice, *, environment: str, prices: NetPrices) -> list[InvoiceCheck]:
    checks: list[InvoiceCheck] = []
    for line in invoice.lines:
        check = _price_check(line, invoice=invoice, environment=environment, prices=prices)
        if check is not None:
            checks.append(check)
    return checks


def _price_check(line: InvoiceLine, *, invoice: ParsedInvoice, environment: str,
                 prices: NetPrices) -> InvoiceCheck | None:
    if line.price is None or not (line.supplier_item_id or line.gtin):
        return None
    article = line.supplier_item_id or line.gtin or ""
    net = prices.net_price(environment=environment, article=article, gtin=line.gtin, seller_gln=invoice.seller_gln,
                           on=invoice.invoice_date, quantity=line.invoiced_quantity)
    if net is None:
        return InvoiceCheck(level=CheckLevel.INFO, code="no_net_price", line_number=line.line_number,
                            text=f"line {line.line_number}: no net price in the catalog for article {article} on "
                                 f"{invoice.invoice_date.isoformat()}")
    unit_price = line.price / line.price_base_quantity
    if unit_price.quantize(Decimal("0.0001")) == net.quantize(Decimal("0.0001")):
        return None
    difference = unit_price - net
    percent = f", {difference / net * 100:+.2f}%" if net else ""
    return _warning("net_price", f"line {line.line_number}: article {article} invoiced at "
                    f"{_money(unit_price.normalize())} per unit, the catalog's net price on "
                    f"{invoice.invoice_date.isoformat()} is {_money(net)} ({difference:+f}{percent})",
                    line.line_number)


def _warning(code: str, text: str, line_number: str | None = None) -> InvoiceCheck:
    return InvoiceCheck(level=CheckLevel.WARNING, code=code, text=text, line_number=line_number)
