"""Routes: purchase invoices received over Art-Connect (read only; Import Art-Connect invoices tasks write them)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from pimtasks.api.context import environment_caller
from pimtasks.api.invoice_models import InvoiceOut, InvoiceSummaryOut
from pimtasks.api.models import ItemList
from pimtasks.api.responses import EnvPath, responses
from pimtasks.services.invoices import MAX_PAGE_SIZE
from pimtasks.wiring import invoice_service

router = APIGatewayRouter()
TAGS = ["Invoices"]
InvoiceIdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,200}$",
                                    description="<seller GLN>_<invoice number>, e.g. 8712345000004_F-1")]


@router.get("/environments/<env>/invoices", summary="Received invoices, newest first; by date and supplier",
            tags=TAGS, responses=responses(200, ItemList[InvoiceSummaryOut], "A page of invoices"))
def list_invoices(env: EnvPath,
                  supplier_gln: Annotated[str | None, Query(pattern=r"^[0-9]{13}$",
                                                            description="Only this seller's invoices")] = None,
                  date_from: Annotated[dt.date | None, Query(description="Invoice date from (inclusive)")] = None,
                  date_to: Annotated[dt.date | None, Query(description="Invoice date up to (inclusive)")] = None,
                  limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
                  next_token: Annotated[str | None, Query(max_length=2000)] = None) -> ItemList[InvoiceSummaryOut]:
    """The invoices Import Art-Connect invoices received and stored, newest first, paged with next_token;
    filtered by seller GLN and by invoice date (inclusive range)."""
    environment_caller(router, env)
    page, token = invoice_service().list(environment=env, seller_gln=supplier_gln, date_from=date_from,
                                         date_to=date_to, limit=limit, next_token=next_token)
    return ItemList[InvoiceSummaryOut](items=[InvoiceSummaryOut.of(summary) for summary in page], next_token=token)


@router.get("/environments/<env>/invoices/<invoice_id>", summary="An invoice with its lines, checks and raw XML key",
            tags=TAGS, responses=responses(200, InvoiceOut, "The invoice"))
def get_invoice(env: EnvPath, invoice_id: InvoiceIdPath) -> InvoiceOut:
    """One invoice: header, parties, lines, totals and VAT as parsed from the INSBOU003 message, the checks
    (totals against the lines, prices against the catalog's net prices) and the key of the raw XML under
    Invoices/ (download it through the files API). 404 for an unknown invoice."""
    environment_caller(router, env)
    return InvoiceOut.of(invoice_service().get(environment=env, invoice_id=invoice_id))
