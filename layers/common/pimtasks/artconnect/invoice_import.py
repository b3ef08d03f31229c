"""Import Art-Connect invoices: fetch, persist, and only then acknowledge each INVOIC message.

For each message ``GetAvailableMessages(<type>)`` lists (entries of other types, should a hub list them anyway,
are left alone):

1. Known MsgId (handled before, the delete did not happen): ``DeleteMessage`` only; nothing is stored again.
2. ``GetMessage``; decode the content (escaped XML, base64, compressed) and parse the INSBOU003 invoice.
3. Persist: the invoice with its lines and checks, then the raw XML in
   ``Invoices/<yyyy>/<seller GLN>_<invoice number>.xml``; or, when it cannot be read, the content in
   ``Failed/Invoices/<MsgId>.xml`` with the error next to it (``<MsgId>.error.txt``); an invoice already received
   in another message goes there too. Then the MsgId is recorded with what became of it.
4. ``DeleteMessage``, whatever step 3 found (the protocol wants it after every fetch).

A function that dies anywhere in between loses nothing: before step 3's record the message is fetched again and
its invoice written to the same keys (so nothing is stored twice); after it, step 1 applies. A fault while
fetching one message is reported and the run goes on; refused credentials or an unreachable hub fail the run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from pimtasks.artconnect.content import content_bytes
from pimtasks.artconnect.envelope import Message, MessageProperties
from pimtasks.artconnect.errors import (
    ArtConnectAuthError,
    ArtConnectError,
    ArtConnectProtocolError,
    ArtConnectUnavailableError,
    MessageContentError,
)
from pimtasks.artconnect.insbou import InvoiceParseError, parse_invoice
from pimtasks.clock import Clock
from pimtasks.domain.environment_files import relative_key
from pimtasks.domain.invoice import CheckLevel, HandledMessage, Invoice, MessageOutcome, ParsedInvoice, invoice_id
from pimtasks.domain.run import MessageLevel, RunFileRole, RunStatus
from pimtasks.domain.task_types import ImportArtConnectInvoicesSettings
from pimtasks.services.invoice_checks import amount_checks, price_checks
from pimtasks.services.invoice_ports import InvoiceStore, NetPrices, RawFiles
from pimtasks.services.run_job import RunJob, WorkerFailure

_UNSAFE = re.compile(r"[^A-Za-z0-9._{}-]")
"""What a MsgId (any string of up to 50 characters) may keep in a key: a GUID also in .NET's braced form."""
_XML = "application/xml"


class MessageHub(Protocol):
    def get_available_messages(self, msg_type: str = "") -> list[MessageProperties]: ...
    def get_message(self, properties: MessageProperties) -> Message: ...
    def delete_message(self, properties: MessageProperties) -> None: ...


@dataclass(frozen=True)
class _Outcome:
    handled: HandledMessage
    text: str
    level: MessageLevel


@dataclass
class _Report:
    """What handling one message found, applied to the run by the thread that drives it (``RunJob`` is not
    thread-safe)."""

    counts: dict[str, int] = field(default_factory=dict)
    messages: list[tuple[MessageLevel, str, str | None]] = field(default_factory=list)
    files: list[tuple[RunFileRole, str]] = field(default_factory=list)

    def count(self, **deltas: int) -> None:
        for name, delta in deltas.items():
            self.counts[name] = self.counts.get(name, 0) + delta

    def message(self, level: MessageLevel, text: str, file: str | None = None) -> None:
        self.messages.append((level, text, file))

    def apply(self, job: RunJob) -> None:
        job.count(**self.counts)
        for level, text, file in self.messages:
            job.message(level, text, file=file)
        for role, key in self.files:
            job.add_file(role=role, key=key)


@dataclass(frozen=True)
class _Where:
    environment: str
    run_id: str


class InvoiceImport:
    """Messages are handled ``max_in_flight`` at a time (each one fetched, persisted, deleted in that order): with
    a hub that answers in tens of milliseconds, one at a time would leave the function waiting most of the run."""

    def __init__(self, *, hub: MessageHub, invoices: InvoiceStore, files: RawFiles, prices: NetPrices | None,
                 clock: Clock, max_in_flight: int = 4) -> None:
        self._hub = hub
        self._invoices = invoices
        self._files = files
        self._prices = prices
        self._clock = clock
        self._in_flight = max_in_flight

    def run(self, job: RunJob, settings: ImportArtConnectInvoicesSettings) -> RunStatus | None:
        listed = _hub_call(lambda: self._hub.get_available_messages(settings.message_type))
        waiting = [entry for entry in listed if entry.msg_type.upper() == settings.message_type]
        if len(waiting) < len(listed):
            job.message(MessageLevel.INFO, f"{len(listed) - len(waiting)} listed message(s) of other types than "
                                           f"{settings.message_type} were left on the hub")
        if job.checkpoint is None:
            job.message(MessageLevel.INFO, f"{len(waiting)} {settings.message_type} message(s) waiting on the hub")
        where = _Where(environment=job.run.environment, run_id=job.run.run_id)
        window = self._in_flight * 4
        with ThreadPoolExecutor(max_workers=self._in_flight, thread_name_prefix="artconnect") as pool:
            for start in range(0, len(waiting), window):
                batch = waiting[start:start + window]
                for report in pool.map(lambda entry: self._one(where, entry), batch):
                    report.apply(job)
                done = start + len(batch)
                job.progress(done / len(waiting), f"{done:,} of {len(waiting):,} messages")
                # Every message of the window is committed (stored, recorded, deleted): a continuation lists
                # the hub again and finds only what is left.
                counts = job.run.counts
                job.keep_alive({"handled": counts.read + counts.unchanged + counts.rejected})
        return None

    def _one(self, where: _Where, entry: MessageProperties) -> _Report:
        report = _Report()
        known = self._invoices.handled(environment=where.environment, msg_id=entry.msg_id)
        if known is None:
            try:
                message = self._hub.get_message(entry)
            except (ArtConnectAuthError, ArtConnectUnavailableError) as error:
                raise WorkerFailure(str(error)) from error
            except ArtConnectError as error:
                report.count(rejected=1)
                report.message(MessageLevel.ERROR, f"Message {entry.msg_id}: {error}; it stays on the hub")
                return report
            report.count(read=1)
            outcome = self._persist(where, report, message)
            self._invoices.record_handled(environment=where.environment, handled=outcome.handled)
            report.message(outcome.level, outcome.text, outcome.handled.key)
        else:
            report.count(unchanged=1)
            report.message(MessageLevel.INFO, f"Message {entry.msg_id} was handled before ({known.outcome}, "
                                              f"{known.key}); acknowledged now", known.key)
        self._delete(report, entry)
        return report

    def _delete(self, report: _Report, entry: MessageProperties) -> None:
        try:
            self._hub.delete_message(entry)
        except (ArtConnectAuthError, ArtConnectUnavailableError) as error:
            raise WorkerFailure(str(error)) from error
        except ArtConnectError as error:
            # Persisted already: the next run recognises the MsgId and only deletes it.
            report.message(MessageLevel.WARNING, f"Message {entry.msg_id}: {error}; it is deleted on the next run")

    def _persist(self, where: _Where, report: _Report, message: Message) -> _Outcome:
        msg_id = message.properties.msg_id
        try:
            data = content_bytes(message.content, compressed=message.compressed)
        except MessageContentError as error:
            return self._failed(where, report, msg_id=msg_id, data=message.content.encode("utf-8"), error=str(error))
        try:
            parsed = parse_invoice(data)
        except InvoiceParseError as error:
            return self._failed(where, report, msg_id=msg_id, data=data, error=str(error))
        return self._store(where, report, msg_id=msg_id, data=data, parsed=parsed)

    def _store(self, where: _Where, report: _Report, *, msg_id: str, data: bytes,
               parsed: ParsedInvoice) -> _Outcome:
        environment = where.environment
        identifier = invoice_id(seller_gln=parsed.seller_gln, invoice_number=parsed.invoice_number)
        key = f"environments/{environment}/Invoices/{parsed.invoice_date.year:04d}/{identifier}.xml"
        checks = amount_checks(parsed)
        if self._prices is not None:
            checks += price_checks(parsed, environment=environment, prices=self._prices)
        now = self._clock.now()
        invoice = Invoice(**dict(parsed), invoice_id=identifier, msg_id=msg_id, raw_key=key, received_at=now,
                          run_id=where.run_id, checks=checks)
        earlier = self._invoices.save(environment=environment, invoice=invoice)
        if earlier is not None:
            return self._failed(where, report, msg_id=msg_id, data=data, outcome=MessageOutcome.DUPLICATE,
                                error=f"invoice {parsed.invoice_number} of {parsed.seller_gln} was received before "
                                      f"in message {earlier}; this copy is not imported")
        self._files.put_bytes(key=key, data=data, content_type=_XML)
        report.files.append((RunFileRole.INPUT, relative_key(environment, key)))  # the message as received
        report.count(created=1)
        for check in checks:
            if check.level is CheckLevel.WARNING:
                report.message(MessageLevel.WARNING, f"Invoice {identifier}: {check.text}", key)
        summary = (f"Invoice {parsed.invoice_number} of {parsed.seller_gln} ({parsed.invoice_date.isoformat()}, "
                   f"{len(parsed.lines)} line(s), {parsed.currency} {parsed.totals.total_invoice_amount:f}) stored"
                   + (f" with {invoice.warnings} warning(s)" if invoice.warnings else ""))
        return _Outcome(handled=HandledMessage(msg_id=msg_id, outcome=MessageOutcome.STORED, key=key,
                                               invoice_id=identifier, handled_at=now, run_id=where.run_id),
                        text=f"Message {msg_id}: {summary}", level=MessageLevel.INFO)

    def _failed(self, where: _Where, report: _Report, *, msg_id: str, data: bytes, error: str,
                outcome: MessageOutcome = MessageOutcome.FAILED) -> _Outcome:
        base = f"environments/{where.environment}/Failed/Invoices/{_UNSAFE.sub('-', msg_id)}"
        key = f"{base}.xml"
        self._files.put_bytes(key=key, data=data, content_type=_XML)
        self._files.put_text(key=f"{base}.error.txt", text=f"MsgId {msg_id}: {error}\n")
        report.files.append((RunFileRole.FAILED, relative_key(where.environment, key)))
        if outcome is MessageOutcome.DUPLICATE:
            report.count(unchanged=1)
            level = MessageLevel.WARNING
        else:
            report.count(rejected=1)
            level = MessageLevel.ERROR
        return _Outcome(handled=HandledMessage(msg_id=msg_id, outcome=outcome, key=key,
                                               handled_at=self._clock.now(), run_id=where.run_id),
                        text=f"Message {msg_id}: {error}; kept in {key}", level=level)


def _hub_call(call: Callable[[], list[MessageProperties]]) -> list[MessageProperties]:
    """The list of waiting messages, or the run fails naming the operation and the hub's fault."""
    try:
        return call()
    except (ArtConnectError, ArtConnectProtocolError) as error:
        raise WorkerFailure(f"Art-Connect {error}") from error
