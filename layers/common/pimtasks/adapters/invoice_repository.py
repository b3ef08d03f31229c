"""Received invoices in their own table (``InvoicesTable``): an invoice is business data of its own kind, read
by the API by date and supplier, and kept as long as the books need it (no TTL, unlike runs).

Items (``pk``, ``sk``), every key starting with the environment:

| item | pk | sk | attributes |
|---|---|---|---|
| invoice | ``ENV#<env>#INVOICE#<invoice id>`` | ``HEADER`` | ``data`` (JSON, no lines), ``msg_id``, listing keys |
| line | ``ENV#<env>#INVOICE#<invoice id>`` | ``LINE#<nnnnn>`` | ``data`` (JSON of the line) |
| claim | ``ENV#<env>#INVOICE#<invoice id>`` | ``CLAIM`` | ``msg_id``: the message the invoice is taken from |
| message | ``ENV#<env>#MESSAGE#<MsgId>`` | ``MESSAGE`` | ``data`` (JSON ``HandledMessage``) |

An invoice's lines are items of their own (an invoice of 2,000 lines would not fit one 400 KB item). The claim
decides, conditionally, which message an invoice is taken from when two carry the same invoice; claim, lines and
header are one transaction (longer invoices: claim, then lines, then the header last), so a listing never shows
an invoice whose lines are missing, and writing the same invoice again (a message fetched again after a crash)
replaces the same items.
Two sparse indexes list headers: ``invoices_by_date`` (``list_pk = ENV#<env>``, ``list_sk = <date>#<id>``)
and ``invoices_by_seller`` (``seller_pk = ENV#<env>#SELLER#<gln>``, same sort key).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from pimtasks.adapters.dynamo import DynamoTable, is_condition_failure
from pimtasks.domain.invoice import HandledMessage, Invoice, InvoiceLine
from pimtasks.services.invoice_ports import InvoiceSummary

HEADER_SK = "HEADER"
CLAIM_SK = "CLAIM"
MESSAGE_SK = "MESSAGE"
DATE_INDEX = "invoices_by_date"
TRANSACTION_LINES = 98
"""Claim, lines and header in one TransactWriteItems (at most 100 items)."""
SELLER_INDEX = "invoices_by_seller"


def invoice_pk(environment: str, invoice_id: str) -> str:
    return f"ENV#{environment}#INVOICE#{invoice_id}"


def message_pk(environment: str, msg_id: str) -> str:
    return f"ENV#{environment}#MESSAGE#{msg_id}"


def _line_sk(index: int) -> str:
    return f"LINE#{index:05d}"


class InvoiceRepository:
    def __init__(self, *, table: DynamoTable, sleep: Callable[[float], None] = time.sleep) -> None:
        self._table = table
        self._sleep = sleep

    # --- messages ---------------------------------------------------------------------------
    def handled(self, *, environment: str, msg_id: str) -> HandledMessage | None:
        item = self._table.get({"pk": message_pk(environment, msg_id), "sk": MESSAGE_SK})
        return HandledMessage.model_validate_json(item["data"]) if item else None

    def record_handled(self, *, environment: str, handled: HandledMessage) -> None:
        self._table.put({"pk": message_pk(environment, handled.msg_id), "sk": MESSAGE_SK,
                         "data": handled.model_dump_json()})

    # --- invoices ---------------------------------------------------------------------------
    def save(self, *, environment: str, invoice: Invoice) -> str | None:
        """Claim the invoice id for its message and store the invoice; when another message claimed it first,
        nothing is written and that MsgId is returned. One transaction (claim, lines, header) for invoices of up to
        ``TRANSACTION_LINES`` lines; longer ones are claimed first, then lines, then the header."""
        pk = invoice_pk(environment, invoice.invoice_id)
        claim = {"pk": pk, "sk": CLAIM_SK, "msg_id": invoice.msg_id}
        condition, values = "attribute_not_exists(pk) OR msg_id = :msg", {":msg": invoice.msg_id}
        lines = [{"pk": pk, "sk": _line_sk(index), "data": line.model_dump_json()}
                 for index, line in enumerate(invoice.lines, start=1)]
        header = _header_item(environment, invoice)
        try:
            if len(lines) <= TRANSACTION_LINES:
                self._table.transact([{"Put": {"Item": claim, "ConditionExpression": condition,
                                               "ExpressionAttributeValues": values}},
                                      *({"Put": {"Item": line}} for line in lines), {"Put": {"Item": header}}])
                return None
            self._table.put(claim, condition=condition, values=values)
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            item = self._table.get({"pk": pk, "sk": CLAIM_SK})
            return str(item["msg_id"]) if item else None
        self._table.write_many(puts=lines, sleep=self._sleep)
        self._table.put(header)
        return None

    def get(self, *, environment: str, invoice_id: str) -> Invoice | None:
        items = self._table.query_all(key_condition="pk = :pk", values={":pk": invoice_pk(environment, invoice_id)},
                                      consistent=True)
        header = next((item for item in items if item["sk"] == HEADER_SK), None)
        if header is None:
            return None
        lines = [InvoiceLine.model_validate_json(item["data"]) for item in
                 sorted((item for item in items if str(item["sk"]).startswith("LINE#")), key=lambda i: i["sk"])]
        document = json.loads(header["data"])
        document["lines"] = [line.model_dump(mode="json") for line in lines]
        return Invoice.model_validate(document)

    def page(self, *, environment: str, seller_gln: str | None, date_from: dt.date | None,
             date_to: dt.date | None, limit: int,
             start_key: dict[str, Any] | None) -> tuple[list[InvoiceSummary], dict[str, Any] | None]:
        """Newest first; ``date_from``/``date_to`` inclusive."""
        if seller_gln:
            index, hash_name, sort_name = SELLER_INDEX, "seller_pk", "seller_sk"
            values: dict[str, Any] = {":h": f"ENV#{environment}#SELLER#{seller_gln}"}
        else:
            index, hash_name, sort_name = DATE_INDEX, "list_pk", "list_sk"
            values = {":h": f"ENV#{environment}"}
        condition = f"{hash_name} = :h"
        values[":low"] = date_from.isoformat() if date_from else "0"
        values[":high"] = f"{date_to.isoformat()}#~" if date_to else "9"
        condition += f" AND {sort_name} BETWEEN :low AND :high"
        items, last = next(self._table.query_pages(key_condition=condition, values=values, index=index,
                                                   forward=False, limit=limit, start_key=start_key))
        return [_summary(item) for item in items], last


def _header_item(environment: str, invoice: Invoice) -> dict[str, Any]:
    sort = f"{invoice.invoice_date.isoformat()}#{invoice.invoice_id}"
    return {"pk": invoice_pk(environment, invoice.invoice_id), "sk": HEADER_SK, "msg_id": invoice.msg_id,
            "data": invoice.model_dump_json(exclude={"lines"}),
            "list_pk": f"ENV#{environment}", "list_sk": sort,
            "seller_pk": f"ENV#{environment}#SELLER#{invoice.seller_gln}", "seller_sk": sort,
            "summary": json.dumps(_summary_fields(invoice))}


def _summary_fields(invoice: Invoice) -> dict[str, Any]:
    return {"invoice_id": invoice.invoice_id, "invoice_number": invoice.invoice_number,
            "invoice_date": invoice.invoice_date.isoformat(), "seller_gln": invoice.seller_gln,
            "currency": invoice.currency, "total_invoice_amount": str(invoice.totals.total_invoice_amount),
            "lines": len(invoice.lines), "warnings": invoice.warnings, "received_at": invoice.received_at.isoformat()}


def _summary(item: dict[str, Any]) -> InvoiceSummary:
    fields = json.loads(item["summary"])
    return InvoiceSummary(invoice_id=fields["invoice_id"], invoice_number=fields["invoice_number"],
                          invoice_date=dt.date.fromisoformat(fields["invoice_date"]), seller_gln=fields["seller_gln"],
                          currency=fields["currency"], total_invoice_amount=Decimal(fields["total_invoice_amount"]),
                          lines=int(fields["lines"]), warnings=int(fields["warnings"]),
                          received_at=dt.datetime.fromisoformat(fields["received_at"]))
