"""The push of changed catalog products to Magento, one run of a Magento task.

A run has two stages, each with three phases:

1. **global values** (``/rest/all/``): every selected product's global payload (or its removal);
2. **store views**: the payload of each store view of ``store_views``, only for products Magento has (their global
   values were accepted, in an earlier run or in stage 1), so a store view never creates a product.

Each stage first sends again the SKUs whose push failed before (``retries``), then goes through the products
changed since the start of the last successful run (``changes``), and finally, in bulk mode, polls the operation
statuses of every open bulk until no operation is open (``poll``). A scope whose payload hash equals the hash
Magento last accepted is ``unchanged`` and not sent; one that an open bulk already carries is not sent twice.

Requests go out ``max_in_flight`` at a time. The checkpoint (this module's ``PushProgress``) is saved at quiescent
points only (nothing in flight, every bulk recorded), so a continuation resumes exactly there, and counts and
messages stay in step with the work. Open bulks live in the push state, so polling survives continuations and a
run that gives up waiting leaves them to the next run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from pimtasks.clock import Clock, iso
from pimtasks.domain.catalog_changes import ProductChange
from pimtasks.domain.run import MAX_MESSAGES_STORED, MessageLevel, RunCounts, RunStatus
from pimtasks.domain.task_types import MagentoSettings
from pimtasks.magento.client import BulkStatus, MagentoClient, OperationStatus
from pimtasks.magento.errors import (
    MagentoAuthError,
    MagentoError,
    MagentoRequestError,
    operation_message,
)
from pimtasks.magento.mapping import GLOBAL_SCOPE, MappingProblem, Payload, ProductMapper, attribute_infos
from pimtasks.magento.operations import COMPLETE, RETRIABLE, pair_by_order, pair_by_sku, still_open
from pimtasks.magento.state import BulkEntry, OpenBulk, PushStateStore, ScopeKey
from pimtasks.services.ports import CatalogChanges
from pimtasks.services.run_job import ContinueLater, RunJob, StopRequested, WorkerFailure

Stage = Literal["global", "stores", "done"]
Phase = Literal["retries", "changes", "poll"]
WINDOW = 100
"""Products looked at together (one read of their accepted hashes)."""
DEFAULT_POLL_DELAYS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0)


class ScopeCounts(BaseModel):
    """What happened to one scope (the global values or one store view) in a run."""

    selected: int = 0
    sent: int = 0
    succeeded: int = 0
    failed: int = 0
    unchanged: int = 0
    queued: int = Field(default=0, description="Carried by a bulk of an earlier run that is still open")
    created: int = Field(default=0, description="Products created (global scope)")


class PushProgress(BaseModel):
    """The checkpoint of a push."""

    since: dt.datetime | None = None
    stage: Stage = "global"
    phase: Phase = "retries"
    cursor: str | None = None
    deadline: dt.datetime | None = None
    counts: dict[str, ScopeCounts] = Field(default_factory=dict)
    earlier: ScopeCounts = Field(default_factory=ScopeCounts)
    unknown_attributes: dict[str, int] = Field(default_factory=dict)
    failures_reported: int = 0


@dataclass(frozen=True)
class _Item:
    """A product in a phase: its SKU, its data (None: removed) and where the phase resumes after it."""

    sku: str
    data: dict[str, Any] | None
    position: str


@dataclass
class _Unit:
    """What one request carries: payloads of one scope and action."""

    scope: str
    action: str
    payloads: list[Payload]
    attempt: int = 0


class MagentoPush:
    """One run's push; built per invocation by the worker."""

    def __init__(self, *, settings: MagentoSettings, client: MagentoClient, state: PushStateStore,
                 changes: CatalogChanges, clock: Clock, poll_delays: Sequence[float] = DEFAULT_POLL_DELAYS,
                 checkpoint_every: int = 1000) -> None:
        self._settings = settings
        self._client = client
        self._state = state
        self._changes = changes
        self._clock = clock
        self._poll_delays = tuple(poll_delays) or DEFAULT_POLL_DELAYS
        self._checkpoint_every = checkpoint_every
        self._mapper = ProductMapper(settings)
        self._executor: ThreadPoolExecutor | None = None
        self._in_flight: set[Future[tuple[_Unit, Any]]] = set()
        self._buffers: dict[tuple[str, str], list[Payload]] = {}
        self._accepted: dict[ScopeKey, str] = {}
        self._retry_marks: set[str] = set()
        self._markers: dict[str, str] = {}
        self._pending: dict[ScopeKey, tuple[str, str]] = {}
        self._forget: list[str] = []
        self._forget_stores: list[str] = []

    # --- the run ----------------------------------------------------------------------------------
    def run(self, job: RunJob, *, since: dt.datetime | None) -> RunStatus:
        """Push, resuming from ``job.checkpoint``; the run's final status (raises ``WorkerFailure`` when the run
        cannot go on: refused credentials, not a Magento API, operations still open after the time limit)."""
        self._job = job
        self._environment, self._task_id, self._run_id = job.run.environment, job.run.task_id, job.run.run_id
        self.progress = PushProgress.model_validate(job.checkpoint) if job.checkpoint else PushProgress(since=since)
        self._executor = ThreadPoolExecutor(max_workers=self._settings.max_in_flight,
                                            thread_name_prefix="magento")
        try:
            self._check_shop()
            while self.progress.stage != "done":
                self._advance()
            self._clear_settled_markers()
            self._report()
            return self._status()
        except StopRequested:
            self._drain()
            self._report()
            raise
        except ContinueLater:
            raise
        except MagentoError as error:
            self._drain(quietly=True)
            self._report()
            raise WorkerFailure(str(error)) from error
        finally:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def _advance(self) -> None:
        """Do the current phase of the current stage and move on (saving the checkpoint in between)."""
        progress = self.progress
        self._markers = self._state.retry_skus(environment=self._environment, task_id=self._task_id)
        self._load_pending()
        if progress.phase == "retries":
            self._send_items(self._retry_items())
            progress.phase, progress.cursor = "changes", None
        elif progress.phase == "changes":
            self._send_items(self._changed_items())
            progress.phase, progress.cursor = "poll", None
            progress.deadline = self._clock.now() + dt.timedelta(minutes=self._settings.open_operations_minutes)
        else:
            still = self._poll()
            if still:
                self._report()
                raise WorkerFailure(f"Magento accepted {still} operations that are still open after "
                                    f"{self._settings.open_operations_minutes:g} minutes: is the async.operations.all "
                                    f"consumer running?")
            progress.stage = "stores" if progress.stage == "global" else "done"
            progress.phase, progress.cursor, progress.deadline = "retries", None, None
        self._checkpoint()

    def _check_shop(self) -> None:
        """The store views exist, and what Magento knows of the mapped attributes (asked every invocation)."""
        try:
            views = self._client.store_views()
        except MagentoRequestError as error:
            if not self.progress.counts:
                self._job.message(MessageLevel.WARNING, f"The store views could not be checked: {error}")
        else:
            codes = {str(view.get("code")) for view in views}
            missing = [f"{code} (language {language})" for language, code in self._settings.store_views.items()
                       if code not in codes]
            if missing:
                raise WorkerFailure(f"Magento at {self._client.base_url} has no store view {', '.join(missing)}; "
                                    f"its store views are {', '.join(sorted(codes)) or 'none'}")
        options: dict[str, Sequence[Mapping[str, Any]] | None] = {}
        unknown: list[str] = []
        for code in self._mapper.mapped_attribute_codes():
            try:
                options[code] = self._client.attribute_options(code)
            except MagentoRequestError as error:
                if error.status in (400, 404) and code in error.message:
                    unknown.append(code)
                else:
                    options[code] = None
        self._mapper = ProductMapper(self._settings, attribute_infos(options, unknown))
        for code in unknown:
            self.progress.unknown_attributes.setdefault(code, 0)

    # --- selection --------------------------------------------------------------------------------
    def _retry_items(self) -> Iterator[_Item]:
        """The SKUs whose push failed in an earlier run, with their current data (sorted, resumable)."""
        skus = sorted(sku for sku, run_id in self._markers.items() if run_id != self._run_id
                      and (self.progress.cursor is None or sku > self.progress.cursor))
        for start in range(0, len(skus), WINDOW):
            batch = skus[start:start + WINDOW]
            current = self._changes.current_products(environment=self._environment, article_numbers=batch)
            for sku in batch:
                yield _Item(sku, current.get(sku), sku)

    def _changed_items(self) -> Iterator[_Item]:
        since = self.progress.since if self._settings.only_changed else None
        changes: Iterable[ProductChange] = self._changes.changed_products(
            environment=self._environment, since=since, after=self.progress.cursor)
        for change in changes:
            if change.article_number not in self._markers:  # the retries phase had it
                yield _Item(change.article_number, change.data, change.position)

    def _send_items(self, items: Iterator[_Item]) -> None:
        since_checkpoint = 0
        window: list[_Item] = []
        for item in items:
            window.append(item)
            if len(window) >= WINDOW:
                since_checkpoint += self._look_at(window)
                window = []
                if since_checkpoint >= self._checkpoint_every:
                    self._checkpoint()
                    since_checkpoint = 0
                else:
                    self._keep_alive()
        if window:
            self._look_at(window)
        self._flush()

    def _look_at(self, window: list[_Item]) -> int:
        """Decide for each product of ``window`` what to send (queued into the request buffers)."""
        if self.progress.stage == "global":
            self._look_at_global(window)
        else:
            self._look_at_stores(window)
        self.progress.cursor = window[-1].position
        self._job.progress(None, f"{self._stage_title()}: {self._scope_total('selected')} selected, "
                                 f"{self._scope_total('sent')} sent")
        return len(window)

    def _look_at_global(self, window: list[_Item]) -> None:
        accepted = self._state.accepted(environment=self._environment, task_id=self._task_id,
                                        keys=[(item.sku, GLOBAL_SCOPE) for item in window])
        for item in window:
            known = (item.sku, GLOBAL_SCOPE) in accepted
            if item.data is None:
                if not known and (item.sku, GLOBAL_SCOPE) not in self._pending:
                    continue  # removed before Magento ever had it
                payload: Payload | MappingProblem = self._mapper.removal(item.sku)
            else:
                payload = self._mapper.global_payload(item.sku, item.data)
            self._decide(payload, accepted=accepted, action=_global_action(payload, known=known))

    def _look_at_stores(self, window: list[_Item]) -> None:
        present = [item for item in window if item.data is not None]
        keys = [(item.sku, scope) for item in present for scope in (GLOBAL_SCOPE, *self._settings.store_views.values())]
        accepted = self._state.accepted(environment=self._environment, task_id=self._task_id, keys=keys)
        for item in present:
            if (item.sku, GLOBAL_SCOPE) not in accepted:
                continue  # Magento does not have the product (its global values failed and were reported)
            assert item.data is not None
            for payload in self._mapper.store_payloads(item.sku, item.data):
                self._decide(payload, accepted=accepted, action="store")

    def _decide(self, payload: Payload | MappingProblem, *, accepted: dict[ScopeKey, str], action: str) -> None:
        counts = self._counts(payload.scope)
        counts.selected += 1
        if isinstance(payload, MappingProblem):
            if payload.unknown_attribute in self.progress.unknown_attributes:
                self.progress.unknown_attributes[payload.unknown_attribute] += 1
            self._fail(payload.sku, payload.scope, f"not sent: {payload.text}")
            return
        key = (payload.sku, payload.scope)
        if accepted.get(key) == payload.hash:
            counts.unchanged += 1
            return
        pending = self._pending.get(key)
        if pending is not None and pending[0] == payload.hash:
            if pending[1] != self._run_id:
                counts.queued += 1
            else:  # sent by this run before a continuation and selected then (seen again: it changed since)
                counts.selected -= 1
            return
        self._enqueue(_Unit(payload.scope, action, [payload]))

    # --- sending ------------------------------------------------------------------------------------
    def _enqueue(self, unit: _Unit) -> None:
        size = self._settings.chunk_size if self._settings.bulk else 1
        buffer = self._buffers.setdefault((unit.scope, unit.action), [])
        buffer.extend(unit.payloads)
        while len(buffer) >= size:
            self._submit(_Unit(unit.scope, unit.action, buffer[:size], unit.attempt))
            del buffer[:size]

    def _submit(self, unit: _Unit) -> None:
        assert self._executor is not None
        while len(self._in_flight) >= self._settings.max_in_flight:
            self._collect(wait(self._in_flight, return_when=FIRST_COMPLETED).done)
        send = self._send_bulk if self._settings.bulk else self._send_one
        self._in_flight.add(self._executor.submit(send, unit))

    def _flush(self) -> None:
        """Send what the buffers hold and wait for every answer (a quiescent point)."""
        for (scope, action), buffer in list(self._buffers.items()):
            if buffer:
                self._submit(_Unit(scope, action, list(buffer)))
                buffer.clear()
        while self._in_flight:
            self._collect(wait(self._in_flight, return_when=FIRST_COMPLETED).done)
        self._save_results()

    def _drain(self, *, quietly: bool = False) -> None:
        """Wait for what is in flight (after Stop or a failure), keeping every bulk Magento queued."""
        self._buffers.clear()
        try:
            while self._in_flight:
                self._collect(wait(self._in_flight, return_when=FIRST_COMPLETED).done)
        except MagentoError:
            if not quietly:
                raise
        finally:
            self._in_flight.clear()
            self._save_results()

    def _send_bulk(self, unit: _Unit) -> tuple[_Unit, Any]:
        store = self._store_code(unit.scope)
        if unit.action == "create":
            items: list[dict[str, Any]] = [{"product": p.product} for p in unit.payloads]
            method, route = "POST", "products"
        elif unit.action == "delete":
            items, method, route = [{"sku": p.sku} for p in unit.payloads], "DELETE", "products/bySku"
        else:
            items = [{"sku": p.sku, "product": p.product} for p in unit.payloads]
            method, route = "PUT", "products/bySku"
        return unit, self._client.bulk(method=method, store=store, route=route, items=items)

    def _send_one(self, unit: _Unit) -> tuple[_Unit, Any]:
        """Sync mode: one request per SKU; the answer is ``None`` or the failure's message."""
        payload = unit.payloads[0]
        store = self._store_code(unit.scope)
        try:
            if unit.action == "delete":
                self._client.delete_product(store=store, sku=payload.sku)
            else:
                method = "POST" if unit.action == "create" else "PUT"
                body = {"product": payload.product}
                try:
                    self._client.save_product(method=method, store=store, sku=payload.sku, body=body)
                except MagentoRequestError as error:
                    if error.status != 404 or unit.action != "update":
                        raise
                    # Gone from the shop since it was accepted: create it again.
                    self._client.save_product(method="POST", store=store, sku=payload.sku, body=body)
        except MagentoAuthError:
            raise
        except MagentoRequestError as error:
            return unit, error.message
        return unit, None

    def _collect(self, done: Iterable[Future[tuple[_Unit, Any]]]) -> None:
        for future in list(done):
            self._in_flight.discard(future)
            unit, answer = future.result()  # a MagentoError here ends the run
            if self._settings.bulk:
                self._record_bulk(unit, answer)
                continue
            self._counts(unit.scope).sent += 1
            if answer is None:
                self._succeeded(unit.payloads[0], action=unit.action, earlier=False)
            else:
                self._fail(unit.payloads[0].sku, unit.scope, answer)

    def _record_bulk(self, unit: _Unit, ack: Any) -> None:
        entries = [BulkEntry(sku=p.sku, hash=p.hash, accepted=accepted, attempt=unit.attempt)
                   for p, (accepted, _) in zip(unit.payloads, ack.items, strict=True)]
        bulk = OpenBulk(bulk_uuid=ack.bulk_uuid, scope=unit.scope, action=unit.action, run_id=self._run_id,
                        sent_at=iso(self._clock.now()), entries=entries)
        self._state.save_bulk(environment=self._environment, task_id=self._task_id, bulk=bulk)
        counts = self._counts(unit.scope)
        for payload, (accepted, error) in zip(unit.payloads, ack.items, strict=True):
            counts.sent += unit.attempt == 0  # a retriable failure sent again is still one product sent
            if accepted:
                self._pending[(payload.sku, unit.scope)] = (payload.hash, self._run_id)
            else:
                self._fail(payload.sku, unit.scope, f"rejected: {error}")

    # --- polling --------------------------------------------------------------------------------------
    def _poll(self) -> int:
        """Poll every open bulk until none has an open operation or the deadline passed; the operations still
        open then (0 when all finished)."""
        delays = iter(self._poll_delays)
        deadline = self.progress.deadline or self._clock.now()
        while True:
            bulks = self._state.open_bulks(environment=self._environment, task_id=self._task_id)
            if not bulks:
                return 0
            open_count = 0
            retry: list[tuple[OpenBulk, BulkEntry]] = []
            for bulk, status in zip(bulks, self._statuses(bulks), strict=True):
                if status is None:
                    self._forgotten(bulk)
                    continue
                pairs = pair_by_order(bulk.entries, status)
                if pairs is None:
                    status = self._client.bulk_status(bulk.bulk_uuid, detailed=True)
                    pairs = pair_by_sku(bulk.entries, status)
                still = still_open(bulk.entries, status)
                if still:
                    open_count += still
                    continue
                retry.extend(self._settle(bulk, pairs))
                self._state.remove_bulk(environment=self._environment, task_id=self._task_id, bulk=bulk)
            self._save_results()
            if retry:
                self._resend(retry)
                open_count += len(retry)
            if open_count == 0:
                return 0
            if self._clock.now() >= deadline:
                return open_count
            self._job.progress(None, f"{self._stage_title()}: waiting for Magento to process {open_count} "
                                     "operations")
            self._checkpoint()
            self._clock.sleep(next(delays, self._poll_delays[-1]))

    def _statuses(self, bulks: list[OpenBulk]) -> list[BulkStatus | None]:
        """Each bulk's status; None for a bulk Magento answers 404 for ("Bulk uuid %bulkUuid not exist")."""
        assert self._executor is not None
        return list(self._executor.map(self._bulk_status, [bulk.bulk_uuid for bulk in bulks]))

    def _bulk_status(self, bulk_uuid: str) -> BulkStatus | None:
        try:
            return self._client.bulk_status(bulk_uuid)
        except MagentoRequestError as error:
            if error.status == 404:
                return None
            raise

    def _forgotten(self, bulk: OpenBulk) -> None:
        """A bulk Magento no longer knows (its cron deletes bulks older than ``system/bulk/lifetime``, 60 days by
        default, and a restored shop database lacks newer ones): nothing tells whether its items were applied, so
        each counts as failed and is sent again next run, instead of every later run failing on the 404."""
        earlier = bulk.run_id != self._run_id
        for entry in bulk.entries:
            if entry.accepted:
                self._pending.pop((entry.sku, bulk.scope), None)
                self._fail(entry.sku, bulk.scope, f"Magento no longer knows bulk {bulk.bulk_uuid} (HTTP 404), so "
                           "whether it was applied is unknown: sent again next run", earlier=earlier)
        self._state.remove_bulk(environment=self._environment, task_id=self._task_id, bulk=bulk)

    def _settle(self, bulk: OpenBulk, pairs: list[OperationStatus | None]) -> list[tuple[OpenBulk, BulkEntry]]:
        """Record the outcome of every queued item of a finished bulk; the retriable ones to try once more."""
        earlier = bulk.run_id != self._run_id
        retry: list[tuple[OpenBulk, BulkEntry]] = []
        for entry, operation in zip(bulk.entries, pairs, strict=True):
            if not entry.accepted:
                continue  # rejected when it was sent, and reported then
            self._pending.pop((entry.sku, bulk.scope), None)
            if operation is None:
                self._fail(entry.sku, bulk.scope, "Magento lists no operation for it", earlier=earlier)
            elif operation.status == COMPLETE:
                self._succeeded(Payload(entry.sku, bulk.scope, "save", None, entry.hash), action=bulk.action,
                                earlier=earlier)
            elif operation.status == RETRIABLE and entry.attempt == 0:
                retry.append((bulk, entry))
            else:
                self._fail(entry.sku, bulk.scope, operation_message(operation.result_message), earlier=earlier)
        return retry

    def _resend(self, retry: list[tuple[OpenBulk, BulkEntry]]) -> None:
        """Send the retriable failures once more, built from the catalog as it is now."""
        current = self._changes.current_products(environment=self._environment,
                                                 article_numbers=[entry.sku for _, entry in retry])
        for bulk, entry in retry:
            data = current.get(entry.sku)
            payload: Payload | MappingProblem
            if bulk.action in ("disable", "delete") or data is None:
                payload = self._mapper.removal(entry.sku)
            elif bulk.scope == GLOBAL_SCOPE:
                payload = self._mapper.global_payload(entry.sku, data)
            else:
                payload = next(p for p in self._mapper.store_payloads(entry.sku, data) if p.scope == bulk.scope)
            if isinstance(payload, MappingProblem):
                self._fail(entry.sku, bulk.scope, f"not sent again: {payload.text}",
                           earlier=bulk.run_id != self._run_id)
                continue
            self._submit(_Unit(bulk.scope, bulk.action, [payload], attempt=1))
        self._flush()

    # --- outcomes ---------------------------------------------------------------------------------------
    def _succeeded(self, payload: Payload, *, action: str, earlier: bool) -> None:
        counts = self.progress.earlier if earlier else self._counts(payload.scope)
        counts.succeeded += 1
        if action == "create":
            counts.created += 1
        if action == "delete":
            self._forget.append(payload.sku)
        elif action == "disable":
            self._accepted[(payload.sku, GLOBAL_SCOPE)] = payload.hash
            self._forget_stores.append(payload.sku)
        else:
            self._accepted[(payload.sku, payload.scope)] = payload.hash

    def _fail(self, sku: str, scope: str, text: str, *, earlier: bool = False) -> None:
        counts = self.progress.earlier if earlier else self._counts(scope)
        counts.failed += 1
        self._retry_marks.add(sku)
        where = "sent by an earlier run, " if earlier else ""
        if self.progress.failures_reported < MAX_MESSAGES_STORED:
            self.progress.failures_reported += 1
            self._job.message(MessageLevel.ERROR, f"SKU {sku}, {where}{self._scope_title(scope)}: {text}")
        else:
            self._job.run.messages_truncated += 1

    def _save_results(self) -> None:
        """Write the accepted hashes and the SKUs to send again collected so far."""
        environment, task_id = self._environment, self._task_id
        if self._accepted:
            self._state.accept(environment=environment, task_id=task_id, hashes=self._accepted, run_id=self._run_id)
            self._accepted = {}
        forget = [(sku, GLOBAL_SCOPE) for sku in self._forget] + [
            (sku, code) for sku in self._forget + self._forget_stores for code in self._settings.store_views.values()]
        if forget:
            self._state.forget(environment=environment, task_id=task_id, keys=forget)
        self._forget, self._forget_stores = [], []
        if self._retry_marks:
            self._state.mark_retry(environment=environment, task_id=task_id, skus=sorted(self._retry_marks),
                                   run_id=self._run_id)
            self._retry_marks = set()

    def _clear_settled_markers(self) -> None:
        """Forget the SKUs earlier runs failed on that this run sent again without failing."""
        markers = self._state.retry_skus(environment=self._environment, task_id=self._task_id)
        settled = [sku for sku, run_id in markers.items() if run_id != self._run_id]
        if settled:
            self._state.clear_retry(environment=self._environment, task_id=self._task_id, skus=settled)

    # --- checkpoints and reports -------------------------------------------------------------------------
    def _load_pending(self) -> None:
        self._pending = {}
        for bulk in self._state.open_bulks(environment=self._environment, task_id=self._task_id):
            for entry in bulk.entries:
                if entry.accepted:
                    self._pending[(entry.sku, bulk.scope)] = (entry.hash, bulk.run_id)

    def _checkpoint(self) -> None:
        """A quiescent point: everything sent is answered and recorded; save the checkpoint."""
        self._flush()
        self._sync_counts()
        self._job.keep_alive(self.progress.model_dump(mode="json"))

    def _keep_alive(self) -> None:
        self._job.keep_alive()

    def _sync_counts(self) -> None:
        """The run's counts: per product and scope (the global values count as one scope)."""
        totals = RunCounts(
            read=self._scope_total("selected"),
            created=self._scope_total("created"),
            updated=self._scope_total("succeeded") - self._scope_total("created"),
            unchanged=self._scope_total("unchanged"),
            rejected=self._scope_total("failed"),
        )
        current = self._job.run.counts
        self._job.count(**{name: getattr(totals, name) - getattr(current, name) for name in RunCounts.model_fields})

    def _report(self) -> None:
        """The summary lines: counts per scope, earlier runs' operations, attributes Magento does not know."""
        self._sync_counts()
        scopes = [GLOBAL_SCOPE, *self._settings.store_views.values()]
        for scope in scopes:
            counts = self.progress.counts.get(scope, ScopeCounts())
            line = (f"{self._scope_title(scope)}: selected {counts.selected}, sent {counts.sent}, succeeded "
                    f"{counts.succeeded}, failed {counts.failed}, unchanged {counts.unchanged}")
            if counts.queued:
                line += f", still queued by an earlier run {counts.queued}"
            self._job.message(MessageLevel.INFO, line)
        earlier = self.progress.earlier
        if earlier.succeeded or earlier.failed:
            self._job.message(MessageLevel.INFO, f"Operations sent by earlier runs, finished now: succeeded "
                                                 f"{earlier.succeeded}, failed {earlier.failed}")
        for code, skipped in sorted(self.progress.unknown_attributes.items()):
            level = MessageLevel.ERROR if skipped else MessageLevel.WARNING
            self._job.message(level, f"Magento has no attribute '{code}' (mapped from catalog field "
                                     f"{self._mapper.field_of(code)}): {skipped} product(s) with a value for it "
                                     "were not sent")

    def _status(self) -> RunStatus:
        failed = self._scope_total("failed") + self.progress.earlier.failed
        if not failed:
            return RunStatus.SUCCEEDED
        good = self._scope_total("succeeded") + self._scope_total("unchanged") + self.progress.earlier.succeeded
        return RunStatus.PARTIALLY_SUCCEEDED if good else RunStatus.FAILED

    def _counts(self, scope: str) -> ScopeCounts:
        return self.progress.counts.setdefault(scope, ScopeCounts())

    def _scope_total(self, name: str) -> int:
        return sum(getattr(counts, name) for counts in self.progress.counts.values())

    def _store_code(self, scope: str) -> str:
        return self._settings.global_store_code if scope == GLOBAL_SCOPE else scope

    def _scope_title(self, scope: str) -> str:
        if scope == GLOBAL_SCOPE:
            return f"global values (/rest/{self._settings.global_store_code})"
        language = next((lang for lang, code in self._settings.store_views.items() if code == scope), "?")
        return f"store view {scope} ({language})"

    def _stage_title(self) -> str:
        return "global values" if self.progress.stage == "global" else "store views"


def _global_action(payload: Payload | MappingProblem, *, known: bool) -> str:
    """``create`` (POST) for a product Magento never accepted, ``update`` (PUT bySku) for one it has, else the
    removal's ``disable`` / ``delete``."""
    if isinstance(payload, MappingProblem):
        return ""
    if payload.action == "save":
        return "update" if known else "create"
    return payload.action
