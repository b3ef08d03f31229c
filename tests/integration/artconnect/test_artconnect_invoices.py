"""A whole Import Art-Connect invoices run against the local hub: every invoice fetched, stored, then deleted
exactly once; other message types untouched; amounts exact; bad messages in Failed/ with their error."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pimtasks.catalog.models import SalesCondition
from pimtasks.domain.invoice import CheckLevel, MessageOutcome
from pimtasks.domain.run import MessageLevel, Run, RunStatus

from tests.integration.artconnect.harness import ENV, ArtConnectTasks, artconnect_tasks
from tests.support.artconnect_server import DESPATCH_SAMPLE, INVOICE_SAMPLE, invoice_xml

SELLER = "8712345000004"


def texts(run: Run, level: MessageLevel | None = None) -> list[str]:
    return [m.text for m in run.messages if level is None or m.level is level]


def test_a_whole_run(artconnect: ArtConnectTasks) -> None:
    hub = artconnect.hub
    artconnect.put_conditions([
        SalesCondition(article_number="ART-1", net_price=Decimal("12.50"), valid_from=dt.date(2026, 1, 1)),
        SalesCondition(article_number="ART-2", net_price=Decimal("3.00")),
    ])
    documents = {
        "escaped": invoice_xml(number="F-1", seller_gln=SELLER, lines=[("ART-1", "4", "12.50"), ("ART-2", "7", "3.1")]),
        "base64": invoice_xml(number="F-2", seller_gln=SELLER, lines=[("ART-3", "3", "0.175")]),
        "gzip": invoice_xml(number="F-3", seller_gln=SELLER, date="2025-12-31"),
        "zip": INVOICE_SAMPLE.read_bytes(),
    }
    invoices = {name: hub.add_message(data, encoding=name) for name, data in documents.items()}  # type: ignore[arg-type]
    malformed = hub.add_message(b"<Invoice>\n  <InvoiceNumber>9</InvoiceNumbr>\n</Invoice>",  # .NET's braced GUID
                                msg_id="{1b9e2c4d-5f60-4a7b-8c9d-0e1f2a3b4c5d}")
    not_insbou = hub.add_message(b"<Order><OrderNumber>1</OrderNumber></Order>", encoding="base64")
    others = [hub.add_message(DESPATCH_SAMPLE.read_bytes(), msg_type="DESADV"),
              hub.add_message(b"<OrderResponse/>", msg_type="ORDRSP")]

    run = artconnect.run(artconnect.create_task())

    assert run.status is RunStatus.PARTIALLY_SUCCEEDED, texts(run)
    assert (run.counts.read, run.counts.created, run.counts.rejected) == (6, 4, 2)
    for msg_id in [*invoices.values(), malformed, not_insbou]:
        assert (hub.state.gets[msg_id], hub.state.deletes[msg_id]) == (1, 1)
    assert sorted(hub.state.messages) == sorted(others) and not any(hub.state.gets[o] for o in others)

    stored = artconnect.keys("Invoices")
    assert stored == [f"environments/{ENV}/Invoices/2022/1234567899121_12345678.xml",
                      f"environments/{ENV}/Invoices/2025/{SELLER}_F-3.xml",
                      f"environments/{ENV}/Invoices/2026/{SELLER}_F-1.xml",
                      f"environments/{ENV}/Invoices/2026/{SELLER}_F-2.xml"]
    assert artconnect.object(stored[2]) == documents["escaped"]
    assert artconnect.object(stored[0]) == documents["zip"]

    failed = artconnect.keys("Failed")
    assert f"environments/{ENV}/Failed/Invoices/{malformed}.xml" in failed
    error = artconnect.object(f"environments/{ENV}/Failed/Invoices/{malformed}.error.txt").decode()
    assert "not well-formed XML: mismatched tag (line 2, column 21)" in error
    assert any(f"Message {not_insbou}: the root element is <Order>" in text for text in texts(run, MessageLevel.ERROR))

    invoice = artconnect.invoices.get(environment=ENV, invoice_id=f"{SELLER}_F-1")
    assert invoice is not None and invoice.msg_id == invoices["escaped"]
    assert [line.net_line_amount for line in invoice.lines] == [Decimal("50.00"), Decimal("21.70")]
    assert invoice.totals.total_net_line_amount == Decimal("71.70")
    assert invoice.totals.total_vat_amount == Decimal("15.06")  # 71.70 x 21% = 15.057
    assert invoice.totals.total_invoice_amount == Decimal("86.76")
    assert [(c.code, c.level, c.line_number) for c in invoice.checks] == [("net_price", CheckLevel.WARNING, "20")]
    assert any(f"Invoice {SELLER}_F-1: line 20: article ART-2 invoiced at 3.1 per unit" in text
               for text in texts(run, MessageLevel.WARNING))
    gzip_one = artconnect.invoices.get(environment=ENV, invoice_id=f"{SELLER}_F-3")
    assert gzip_one is not None and gzip_one.lines[0].net_line_amount == Decimal("5.55")
    assert artconnect.invoices.handled(environment=ENV, msg_id=malformed).outcome is MessageOutcome.FAILED  # type: ignore[union-attr]
    assert not any("listed message(s)" in t for t in texts(run))  # this hub filters by MsgType itself


def test_a_message_whose_delete_failed_is_recognised_and_only_deleted(artconnect: ArtConnectTasks) -> None:
    hub = artconnect.hub
    msg_id = hub.add_message(invoice_xml(number="F-1", seller_gln=SELLER))
    hub.inject_fault("DeleteMessage", "Service busy", msg_id=msg_id)
    task = artconnect.create_task()

    first = artconnect.run(task)
    assert any("DeleteMessage failed: Service busy" in text for text in texts(first, MessageLevel.WARNING))
    assert msg_id in hub.state.messages

    second = artconnect.run(task)
    assert (second.counts.read, second.counts.created, second.counts.unchanged) == (0, 0, 1)
    assert (hub.state.gets[msg_id], hub.state.deletes[msg_id]) == (1, 1) and not hub.state.messages
    key = f"environments/{ENV}/Invoices/2026/{SELLER}_F-1.xml"
    assert artconnect.versions(key) == 1


class CrashingOnce:
    """The invoice store, dying once after the invoice is written and before the MsgId is recorded."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.crashed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def record_handled(self, **kwargs: Any) -> None:
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("the function died here")
        self._store.record_handled(**kwargs)


def test_a_crash_before_the_record_stores_nothing_twice(artconnect: ArtConnectTasks) -> None:
    hub = artconnect.hub
    msg_id = hub.add_message(invoice_xml(number="F-1", seller_gln=SELLER))
    task = artconnect.create_task()
    first = artconnect.run(task, workers=artconnect.workers(CrashingOnce(artconnect.invoices)))
    assert first.status is RunStatus.FAILED and msg_id in hub.state.messages

    second = artconnect.run(task)
    assert second.status is RunStatus.SUCCEEDED, texts(second)
    assert (hub.state.gets[msg_id], hub.state.deletes[msg_id]) == (2, 1)
    assert artconnect.keys("Invoices") == [f"environments/{ENV}/Invoices/2026/{SELLER}_F-1.xml"]
    invoice = artconnect.invoices.get(environment=ENV, invoice_id=f"{SELLER}_F-1")
    assert invoice is not None and len(invoice.lines) == 1 and invoice.msg_id == msg_id
    listed, _ = artconnect.invoices.page(environment=ENV, seller_gln=None, date_from=None, date_to=None, limit=10,
                                         start_key=None)
    assert [summary.invoice_id for summary in listed] == [f"{SELLER}_F-1"]


def test_the_same_invoice_in_two_messages(artconnect: ArtConnectTasks) -> None:
    hub = artconnect.hub
    first = hub.add_message(invoice_xml(number="F-1", seller_gln=SELLER))
    second = hub.add_message(invoice_xml(number="F-1", seller_gln=SELLER), encoding="base64")
    run = artconnect.run(artconnect.create_task())
    assert (run.counts.created, run.counts.unchanged) == (1, 1)
    # Messages are handled concurrently: whichever claims the invoice first is imported, the other is the copy.
    invoice = artconnect.invoices.get(environment=ENV, invoice_id=f"{SELLER}_F-1")
    assert invoice is not None and invoice.msg_id in (first, second)
    copy = second if invoice.msg_id == first else first
    assert any(f"Message {copy}: invoice F-1 of {SELLER} was received before in message {invoice.msg_id}" in text
               for text in texts(run, MessageLevel.WARNING))
    assert f"environments/{ENV}/Failed/Invoices/{copy}.xml" in artconnect.keys("Failed")
    assert not hub.state.messages


@pytest.mark.parametrize("style", ["soap", "wcf"])
def test_wrong_credentials_fail_before_anything_is_fetched(monkeypatch: pytest.MonkeyPatch, style: str) -> None:
    with artconnect_tasks(monkeypatch, fault_style=style) as artconnect:
        artconnect.hub.add_message(invoice_xml(number="F-1"))
        artconnect.set_secret("artconnect-password", "wrong")
        run = artconnect.run(artconnect.create_task())
        assert run.status is RunStatus.FAILED
        assert any("GetAvailableMessages failed: The security token could not be authenticated" in text
                   for text in texts(run, MessageLevel.ERROR)), texts(run)
        assert not artconnect.hub.state.gets and len(artconnect.hub.state.messages) == 1


@pytest.mark.parametrize("style", ["soap", "wcf"])
def test_a_get_message_fault_is_reported_and_the_others_go_on(monkeypatch: pytest.MonkeyPatch, style: str) -> None:
    with artconnect_tasks(monkeypatch, fault_style=style) as artconnect:
        hub = artconnect.hub
        locked = hub.add_message(invoice_xml(number="F-1"))
        other = hub.add_message(invoice_xml(number="F-2"))
        hub.inject_fault("GetMessage", "Message is locked", msg_id=locked)
        run = artconnect.run(artconnect.create_task(password_type="text"))
        assert run.status is RunStatus.PARTIALLY_SUCCEEDED
        assert any(f"Message {locked}: GetMessage failed: Message is locked" in text
                   for text in texts(run, MessageLevel.ERROR))
        assert list(hub.state.messages) == [locked] and hub.state.deletes[other] == 1


def test_continuations_take_up_where_the_run_stopped(artconnect: ArtConnectTasks) -> None:
    hub = artconnect.hub
    ids = [hub.add_message(invoice_xml(number=f"F-{n}", seller_gln=SELLER)) for n in range(5)]
    run = artconnect.run(artconnect.create_task(check_prices=False), remaining_ms=30_000)  # below the margin
    assert run.status is RunStatus.SUCCEEDED, texts(run)
    assert run.counts.created == 5 and not hub.state.messages
    assert all((hub.state.gets[i], hub.state.deletes[i]) == (1, 1) for i in ids)
    assert len(artconnect.keys("Invoices")) == 5


def test_a_hub_that_lists_every_type_keeps_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    with artconnect_tasks(monkeypatch, filters_types=False) as artconnect:
        hub = artconnect.hub
        invoice = hub.add_message(invoice_xml(number="F-1"))
        orders = [hub.add_message(b"<Order/>", msg_type="ORDRSP"), hub.add_message(b"<Despatch/>", msg_type="DESADV")]
        run = artconnect.run(artconnect.create_task())
        assert run.status is RunStatus.SUCCEEDED and run.counts.created == 1
        assert "2 listed message(s) of other types than INVOIC were left on the hub" in texts(run)
        assert sorted(hub.state.messages) == sorted(orders) and not any(hub.state.gets[o] for o in orders)
        assert hub.state.deletes[invoice] == 1


def test_a_long_invoice_and_its_copy(artconnect: ArtConnectTasks) -> None:
    hub = artconnect.hub
    lines = [(f"ART-{n}", "1", f"{n}.10") for n in range(1, 131)]  # beyond one transaction
    first = hub.add_message(invoice_xml(number="L-1", seller_gln=SELLER, lines=lines))
    run = artconnect.run(artconnect.create_task(check_prices=False, max_in_flight=1))
    assert run.status is RunStatus.SUCCEEDED, texts(run)
    invoice = artconnect.invoices.get(environment=ENV, invoice_id=f"{SELLER}_L-1")
    assert invoice is not None and [line.line_number for line in invoice.lines] == [str(n * 10) for n in range(1, 131)]
    assert invoice.totals.total_net_line_amount == sum(Decimal(f"{n}.10") for n in range(1, 131))
    copy = hub.add_message(invoice_xml(number="L-1", seller_gln=SELLER, lines=lines[:3]))
    again = artconnect.run(artconnect.create_task(check_prices=False))
    assert any(f"Message {copy}: invoice L-1 of {SELLER} was received before in message {first}" in text
               for text in texts(again, MessageLevel.WARNING))
    stored = artconnect.invoices.get(environment=ENV, invoice_id=f"{SELLER}_L-1")
    assert stored is not None and len(stored.lines) == 130
