"""What invoice imports and the invoices API need from storage, as Protocols (adapters in
``pimtasks.adapters.invoice_repository``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from pimtasks.domain.catalog_storage import StoredChange
from pimtasks.domain.invoice import HandledMessage, Invoice
from pimtasks.domain.task_types import ImportTarget


@dataclass(frozen=True)
class InvoiceSummary:
    """An invoice as listed (no lines)."""

    invoice_id: str
    invoice_number: str
    invoice_date: dt.date
    seller_gln: str
    currency: str
    total_invoice_amount: Decimal
    lines: int
    warnings: int
    received_at: dt.datetime


class InvoiceStore(Protocol):
    def handled(self, *, environment: str, msg_id: str) -> HandledMessage | None: ...
    def record_handled(self, *, environment: str, handled: HandledMessage) -> None: ...
    def get(self, *, environment: str, invoice_id: str) -> Invoice | None: ...
    def save(self, *, environment: str, invoice: Invoice) -> str | None:
        """Store the invoice unless another message has it already (then that MsgId is returned)."""
        ...
    def page(self, *, environment: str, seller_gln: str | None, date_from: dt.date | None,
             date_to: dt.date | None, limit: int,
             start_key: dict[str, Any] | None) -> tuple[list[InvoiceSummary], dict[str, Any] | None]: ...


class NetPrices(Protocol):
    def net_price(self, *, environment: str, article: str, gtin: str | None, seller_gln: str, on: dt.date,
                  quantity: Decimal) -> Decimal | None:
        """The net price per unit the catalog's sales conditions give for this article on that date."""
        ...


class SubjectRecords(Protocol):
    """The catalog's conditions and attachments by subject (``CatalogRepository.about``)."""

    def about(self, *, environment: str, subjects: Sequence[str]) -> dict[ImportTarget, list[StoredChange]]: ...


class RawFiles(Protocol):
    """Where received messages are kept (the files bucket; keys are full object keys)."""

    def put_bytes(self, *, key: str, data: bytes, content_type: str) -> None: ...
    def put_text(self, *, key: str, text: str, content_type: str = "text/plain; charset=utf-8") -> None: ...
