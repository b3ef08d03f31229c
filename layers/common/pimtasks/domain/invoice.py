"""Purchase invoices received from suppliers over Art-Connect (INSBOU003), with the checks made on them.

Amounts are ``Decimal`` as the invoice wrote them (up to 4 decimals are allowed, see ``services.invoice_checks``).
An invoice's id is ``<seller GLN>_<invoice number>``, the name the trade gives its files.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def invoice_id(*, seller_gln: str, invoice_number: str) -> str:
    """``<seller GLN>_<invoice number>`` with characters unsafe in a file name or key replaced by ``-``."""
    return f"{_UNSAFE.sub('-', seller_gln)}_{_UNSAFE.sub('-', invoice_number)}"


class Party(BaseModel):
    model_config = ConfigDict(frozen=True)

    gln: str | None = None
    vat_number: str | None = None
    name: str | None = None
    street: str | None = None
    city: str | None = None
    country: str | None = None


class InvoiceLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    line_number: str
    delivered_quantity: Decimal | None = None
    quantity_unit: str | None = None
    invoiced_quantity: Decimal
    """``NumberOfInvoicingUnits``: the quantity the line amount is for."""
    net_line_amount: Decimal
    supplier_item_id: str | None = None
    gtin: str | None = None
    description: str | None = None
    price: Decimal | None = None
    price_base_quantity: Decimal = Decimal(1)
    price_base_unit: str | None = None
    vat_rate: str | None = None
    vat_percentage: Decimal | None = None
    order_line_id: str | None = None


class InvoiceTotals(BaseModel):
    model_config = ConfigDict(frozen=True)

    total_invoice_amount: Decimal
    total_net_line_amount: Decimal
    total_vat_amount: Decimal
    total_charge_allowance: Decimal = Decimal(0)
    total_subject_to_payment_discount: Decimal | None = None


class VatSubtotal(BaseModel):
    model_config = ConfigDict(frozen=True)

    vat_amount: Decimal
    vat_rate: str | None = None
    vat_percentage: Decimal | None = None
    base_amount: Decimal | None = None


class CheckLevel(StrEnum):
    INFO = "info"
    WARNING = "warning"


class InvoiceCheck(BaseModel):
    """One finding about an invoice: an amount that does not add up, a price that differs from the catalog."""

    model_config = ConfigDict(frozen=True)

    level: CheckLevel
    code: str
    """``line_amount``, ``total_net``, ``vat_amount``, ``total_vat``, ``total_invoice``, ``decimals``,
    ``net_price``, ``no_net_price``."""
    text: str
    line_number: str | None = None


class ParsedInvoice(BaseModel):
    """What the INSBOU003 message says."""

    model_config = ConfigDict(frozen=True)

    invoice_type: str
    invoice_number: str
    invoice_date: dt.date
    delivery_date: dt.date | None = None
    currency: str = "EUR"
    buyers_order_number: str | None = None
    despatch_advice_number: str | None = None
    buyer: Party = Party()
    supplier: Party = Party()
    invoicee: Party = Party()
    invoicer: Party = Party()
    lines: list[InvoiceLine] = Field(default_factory=list)
    totals: InvoiceTotals
    vat_subtotals: list[VatSubtotal] = Field(default_factory=list)

    @property
    def seller_gln(self) -> str:
        """The supplier's GLN (the invoicer's when the supplier has none): the name of the invoice's files."""
        return self.supplier.gln or self.invoicer.gln or "unknown"


class Invoice(ParsedInvoice):
    """A received invoice as stored: the message it came in, its raw file, the checks."""

    invoice_id: str
    msg_id: str
    raw_key: str
    received_at: dt.datetime
    run_id: str | None = None
    checks: list[InvoiceCheck] = Field(default_factory=list)

    @property
    def warnings(self) -> int:
        return sum(1 for check in self.checks if check.level is CheckLevel.WARNING)


class MessageOutcome(StrEnum):
    STORED = "stored"
    FAILED = "failed"
    DUPLICATE = "duplicate"


class HandledMessage(BaseModel):
    """What became of a hub message (so a message fetched again after a crash is recognised by its MsgId)."""

    model_config = ConfigDict(frozen=True)

    msg_id: str
    outcome: MessageOutcome
    key: str
    """The stored raw file (``Invoices/...`` or ``Failed/...``)."""
    invoice_id: str | None = None
    handled_at: dt.datetime
    run_id: str | None = None
