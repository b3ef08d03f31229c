"""Reading received invoices (the invoices API): a page by date and supplier, one invoice with its lines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pimtasks.domain.invoice import Invoice
from pimtasks.errors import NotFoundError, ValidationFailedError
from pimtasks.services.invoice_ports import InvoiceStore, InvoiceSummary
from pimtasks.services.page_tokens import decode_page_token, encode_page_token

MAX_PAGE_SIZE = 200


class InvoicePagePosition(BaseModel):
    """Where a page of invoices starts: the last header's key in the date or the seller index."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pk: str = Field(pattern=r"^ENV#[0-9]{6}#INVOICE#[A-Za-z0-9._-]{1,200}$")
    sk: str = Field(pattern=r"^HEADER$")
    list_pk: str | None = Field(default=None, max_length=20)
    list_sk: str | None = Field(default=None, max_length=250)
    seller_pk: str | None = Field(default=None, max_length=120)
    seller_sk: str | None = Field(default=None, max_length=250)


class InvoiceService:
    def __init__(self, *, store: InvoiceStore) -> None:
        self._store = store

    def list(self, *, environment: str, seller_gln: str | None, date_from: dt.date | None, date_to: dt.date | None,
             limit: int, next_token: str | None) -> tuple[list[InvoiceSummary], str | None]:
        """Newest invoice date first; the token of the next page (None on the last)."""
        if date_from and date_to and date_to < date_from:
            raise ValidationFailedError(field="date_to", message="date_to is before date_from")
        start_key = _decode_token(next_token, environment=environment)
        page, last = self._store.page(environment=environment, seller_gln=seller_gln, date_from=date_from,
                                      date_to=date_to, limit=max(1, min(limit, MAX_PAGE_SIZE)), start_key=start_key)
        return page, encode_page_token(InvoicePagePosition.model_validate(last)) if last else None

    def get(self, *, environment: str, invoice_id: str) -> Invoice:
        invoice = self._store.get(environment=environment, invoice_id=invoice_id)
        if invoice is None:
            raise NotFoundError(f"invoice {invoice_id} not found")
        return invoice


def _decode_token(token: str | None, *, environment: str) -> dict[str, Any] | None:
    """The start key in a page token; it must belong to this environment (a token is no way into other data)."""
    position = decode_page_token(token, position=InvoicePagePosition)
    if position is None:
        return None
    if not position.pk.startswith(f"ENV#{environment}#"):
        raise ValidationFailedError(field="next_token", message="not a token of this environment's invoices")
    return position.model_dump(exclude_none=True)
