"""The invoices API: pages by date and supplier, one invoice with lines and checks, environments kept apart."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pimtasks.artconnect.insbou import parse_invoice
from pimtasks.domain.invoice import Invoice, invoice_id
from pimtasks.services.invoice_checks import amount_checks
from pimtasks.wiring import invoice_repository

from tests.integration.api.conftest import Api
from tests.support.artconnect_server import invoice_xml

SELLER_A = "8712345000004"
SELLER_B = "1234567899121"


def store(environment: str, *, number: str, seller: str, date: str, total: str | None = None) -> Invoice:
    parsed = parse_invoice(invoice_xml(number=number, seller_gln=seller, date=date,
                                       lines=[("ART-1", "2", "1.255"), ("ART-2", "1", "10")], total_override=total))
    identifier = invoice_id(seller_gln=seller, invoice_number=number)
    invoice = Invoice(**dict(parsed), invoice_id=identifier, msg_id=f"msg-{number}", checks=amount_checks(parsed),
                      raw_key=f"environments/{environment}/Invoices/{date[:4]}/{identifier}.xml",
                      received_at=dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC))
    invoice_repository().save(environment=environment, invoice=invoice)
    return invoice


def test_list_filter_page_and_detail(api: Api) -> None:
    store("000001", number="1", seller=SELLER_A, date="2026-10-01")
    store("000001", number="2", seller=SELLER_B, date="2026-11-01", total="99.99")
    store("000001", number="3", seller=SELLER_A, date="2026-11-15")
    store("000002", number="4", seller=SELLER_A, date="2026-11-16")

    listed = api.call("GET", "/environments/000001/invoices", key=api.admin_key)
    assert listed.status == 200, listed.body
    assert [i["invoice_number"] for i in listed.body["items"]] == ["3", "2", "1"]
    assert listed.body["items"][1]["warnings"] == 1 and listed.body["items"][0]["total_invoice_amount"] == "15.14"

    by_seller = api.call("GET", "/environments/000001/invoices", key=api.admin_key,
                         query={"supplier_gln": SELLER_A, "date_from": "2026-11-01"})
    assert [i["invoice_id"] for i in by_seller.body["items"]] == [f"{SELLER_A}_3"]
    window = api.call("GET", "/environments/000001/invoices", key=api.admin_key,
                      query={"date_from": "2026-10-01", "date_to": "2026-11-01"})
    assert [i["invoice_number"] for i in window.body["items"]] == ["2", "1"]

    first = api.call("GET", "/environments/000001/invoices", key=api.admin_key, query={"limit": "2"})
    assert len(first.body["items"]) == 2 and first.body["next_token"]
    rest = api.call("GET", "/environments/000001/invoices", key=api.admin_key,
                    query={"limit": "2", "next_token": first.body["next_token"]})
    assert [i["invoice_number"] for i in rest.body["items"]] == ["1"]

    detail = api.call("GET", f"/environments/000001/invoices/{SELLER_B}_2", key=api.admin_key)
    assert detail.status == 200, detail.body
    body = detail.body
    assert [line["net_line_amount"] for line in body["lines"]] == ["2.51", "10.00"]
    assert Decimal(body["totals"]["total_vat_amount"]) == Decimal("2.63")  # 12.51 x 21% = 2.6271
    assert [c["code"] for c in body["checks"]] == ["total_invoice"]
    assert body["raw_key"] == f"environments/000001/Invoices/2026/{SELLER_B}_2.xml"
    assert body["msg_id"] == "msg-2" and body["seller_gln"] == SELLER_B


def test_environments_are_kept_apart_and_bad_input_is_named(api: Api) -> None:
    store("000002", number="4", seller=SELLER_A, date="2026-11-16")
    assert api.call("GET", f"/environments/000001/invoices/{SELLER_A}_4", key=api.admin_key).status == 404
    assert api.call("GET", "/environments/000001/invoices", key=api.admin_key).body["items"] == []
    other = api.call("POST", "/api-keys", key=api.admin_key, body={"environments": ["000002"]}).body["api_key"]
    assert api.call("GET", "/environments/000001/invoices", key=other).status == 403
    assert api.call("GET", f"/environments/000001/invoices/{SELLER_A}_4", key=other).status == 403
    store("000002", number="5", seller=SELLER_A, date="2026-11-17")
    first = api.call("GET", "/environments/000002/invoices", key=other, query={"limit": "1"})
    assert [i["invoice_number"] for i in first.body["items"]] == ["5"] and first.body["next_token"]
    stolen = api.call("GET", "/environments/000001/invoices", key=api.admin_key,
                      query={"next_token": first.body["next_token"]})
    assert stolen.status == 422 and "next_token" in stolen.body["message"]
    reversed_window = api.call("GET", "/environments/000001/invoices", key=api.admin_key,
                               query={"date_from": "2026-11-02", "date_to": "2026-11-01"})
    assert reversed_window.status == 422 and "date_to" in reversed_window.body["message"]
    assert api.call("GET", "/environments/000001/invoices", key=api.admin_key,
                    query={"supplier_gln": "123"}).status == 422
    assert api.call("GET", "/environments/000001/invoices", key=api.admin_key,
                    query={"next_token": "garbage"}).status == 422
