"""API response models of received invoices (amounts as decimal strings, exactly as the invoice wrote them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, Field

from pimtasks.domain.invoice import Invoice, InvoiceCheck, InvoiceLine, InvoiceTotals, Party, VatSubtotal
from pimtasks.services.invoice_ports import InvoiceSummary


class InvoiceSummaryOut(BaseModel):
    invoice_id: str = Field(description="<seller GLN>_<invoice number>", examples=["8712345000004_F-1"])
    invoice_number: str
    invoice_date: dt.date
    seller_gln: str
    currency: str
    total_invoice_amount: Decimal
    lines: int
    warnings: int = Field(description="Checks that found a difference (amounts, prices against the catalog)")
    received_at: dt.datetime

    @classmethod
    def of(cls, summary: InvoiceSummary) -> InvoiceSummaryOut:
        return cls(invoice_id=summary.invoice_id, invoice_number=summary.invoice_number,
                   invoice_date=summary.invoice_date, seller_gln=summary.seller_gln, currency=summary.currency,
                   total_invoice_amount=summary.total_invoice_amount, lines=summary.lines, warnings=summary.warnings,
                   received_at=summary.received_at)


class InvoiceOut(BaseModel):
    """An invoice with its lines, totals, VAT, the checks made on it, and where its raw XML is kept."""

    invoice_id: str
    msg_id: str = Field(description="The Art-Connect message it came in")
    invoice_type: str
    invoice_number: str
    invoice_date: dt.date
    delivery_date: dt.date | None
    currency: str
    buyers_order_number: str | None
    despatch_advice_number: str | None
    seller_gln: str
    buyer: Party
    supplier: Party
    invoicee: Party
    invoicer: Party
    lines: list[InvoiceLine]
    totals: InvoiceTotals
    vat_subtotals: list[VatSubtotal]
    checks: list[InvoiceCheck]
    warnings: int
    raw_key: str = Field(description="The raw INSBOU003 XML in the files bucket (Invoices/<yyyy>/<id>.xml)")
    received_at: dt.datetime
    run_id: str | None

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceOut:
        return cls(invoice_id=invoice.invoice_id, msg_id=invoice.msg_id, invoice_type=invoice.invoice_type,
                   invoice_number=invoice.invoice_number, invoice_date=invoice.invoice_date,
                   delivery_date=invoice.delivery_date, currency=invoice.currency,
                   buyers_order_number=invoice.buyers_order_number,
                   despatch_advice_number=invoice.despatch_advice_number, seller_gln=invoice.seller_gln,
                   buyer=invoice.buyer, supplier=invoice.supplier, invoicee=invoice.invoicee,
                   invoicer=invoice.invoicer, lines=invoice.lines, totals=invoice.totals,
                   vat_subtotals=invoice.vat_subtotals, checks=invoice.checks, warnings=invoice.warnings,
                   raw_key=invoice.raw_key, received_at=invoice.received_at, run_id=invoice.run_id)
