"""An Import 2BA run: one scan per supplier GLN over the trade-item bulk endpoints, joined into catalog products.

Per supplier, in the order of the task's ``supplier_glns``:
1. **Scan**: ``trade-items/bulk/details``, ``descriptions``, ``ordering`` and ``pricings``, each paged whole with the
   same filters (``supplierIdGln``, ``mutationDateTime`` on a delta, ``language``); every page is staged in the
   task's state (``twoba.state``) and then checkpointed as (supplier, endpoint, cursor), so a fresh invocation
   continues with the next page and nothing is read twice. Then ``products/bulk/etim-classifications``,
   ``details`` and ``descriptions``, each for every manufacturer GLN the supplier's trade items name (the Product
   API filters by manufacturer, not supplier). A task's ``selection_id`` goes to every one of these as
   ``selectionId`` (both specs declare it on each bulk endpoint).
2. **Join**: the staged rows are grouped per trade item (a row seen twice, say at a page boundary that moved, is
   kept once) and written through the catalog writer in batches (upsert, matched by the article number rule),
   checkpointed per batch. A delta brings only the rows that changed, so each product is merged with the fields
   its rows set (``twoba.products.JoinedItem``): a changed price leaves the descriptions alone. A product's
   classification, brand and descriptions go to every trade item whose details name it (``<manufacturer
   GLN>#<product number>``, the Product API's key); a delta's changed product finds its items in the lookup
   the previous scans saved, and its descriptions fill only the languages the item does not describe itself
   (the languages the item's own rows had are saved for that).
3. **Watermark**: only then is the supplier's watermark set to when its scan started — the ``Date`` of the
   data pool's first answer, since bulk rows carry no mutation time of their own and the server's clock is the
   one ``mutationDateTime`` is compared with. The filter is inclusive, so what changed in that very second is
   read again next time and reported unchanged.

A supplier whose calls are refused (401/403 for its GLN) or keep failing (5xx, 429, no connection past the
retries) does not stop the others: it is named with the server's words, nothing of it is written, its watermark
stays, and the run ends ``partially_succeeded``. Refused credentials or a 400 fail the whole run.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

from pimtasks.clock import Clock
from pimtasks.domain.run import MessageLevel, RunStatus
from pimtasks.domain.task_types import ArticleNumberRule, Import2baSettings, ImportMode, ImportTarget
from pimtasks.imports.rows import MappedRecord
from pimtasks.services.catalog_writer import CatalogWriter
from pimtasks.services.run_job import RunJob, WorkerFailure
from pimtasks.twoba.client import Page, Params
from pimtasks.twoba.errors import TwobaCallError, TwobaCredentialsError, TwobaError
from pimtasks.twoba.products import (
    ETIM_CLASSIFICATIONS,
    PRODUCT_DESCRIPTIONS,
    PRODUCT_DETAILS,
    ArticleRule,
    ProductRows,
    TradeItemRejected,
    etim_classification,
    staged_row,
    trade_item_record,
)
from pimtasks.twoba.state import ARTICLE, DESCRIBED, MANUFACTURERS, PRODUCT, SCAN, Rows, TwobaStateStore

ENDPOINTS = ("details", "descriptions", "ordering", "pricings")
"""The trade-item bulk endpoints the catalog needs, scanned in this order (``trade-items/bulk/<name>``)."""
PRODUCT_ENDPOINTS = ((ETIM_CLASSIFICATIONS, "etim-classifications"), (PRODUCT_DETAILS, "details"),
                     (PRODUCT_DESCRIPTIONS, "descriptions"))
"""The Product API bulk endpoints, as (staged name, ``products/bulk/<name>``), in this order, each scanned once per
manufacturer GLN the supplier's trade items name."""
PRODUCTS = len(ENDPOINTS)
"""The checkpoint's endpoint index of the first product endpoint (the next ones follow)."""
JOIN = PRODUCTS + len(PRODUCT_ENDPOINTS)
"""The checkpoint's endpoint index once every endpoint of the supplier was scanned."""
LEGACY_JOIN = PRODUCTS + 1
"""``JOIN`` before ``products/bulk/details`` and ``descriptions`` were read (a checkpoint without ``join_index``);
the indexes below it mean what they meant then."""
RESOURCES = (*(f"trade-items/bulk/{name}" for name in ENDPOINTS), *(f"products/bulk/{name}" for _, name in
                                                                   PRODUCT_ENDPOINTS))
"""Every resource a scan reads."""
SELECTION_RESOURCES = frozenset(RESOURCES)
"""The resources that take ``selectionId``: in both Preview3 specs every bulk endpoint lists it (the single-item
endpoints do not); kept apart from ``RESOURCES`` so an endpoint added later is a decision, not an accident."""
WRITE_BATCH = 500
CLOCK_MARGIN = dt.timedelta(minutes=5)
"""Without a ``Date`` from the server, the watermark is our clock less this (the two clocks may differ)."""
SUPPLIER_FAILURES = frozenset({0, 401, 403, 429})
"""Statuses (besides 5xx) that fail one supplier, not the run: 0 = no answer."""


class TwobaSource(Protocol):
    """What the import needs of the Product Data OpenAPI (``twoba.client.TwobaClient``)."""

    def page(self, resource: str, *, params: Params, cursor: str | None, limit: int) -> Page: ...

    def document(self, resource: str, *, params: Params = ()) -> dict[str, Any]: ...


@dataclass
class SupplierCounts:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def text(self) -> str:
        return (f"{self.read:,} trade items read, {self.created:,} created, {self.updated:,} updated, "
                f"{self.unchanged:,} unchanged, {self.rejected:,} rejected")


@dataclass
class Checkpoint:
    """Where the run is: supplier index, endpoint index (from ``PRODUCTS`` on: the manufacturers' products,
    ``JOIN``: joining), the next cursor, the next page number to stage, the scan's filter and start, the
    manufacturers to scan and the index of the current one (per product endpoint), the items written so far, and
    the suppliers that failed."""

    supplier: int = 0
    endpoint: int = 0
    cursor: str | None = None
    page: int = 0
    since: str | None = None
    started: str | None = None
    joined: int = 0
    manufacturers: list[str] = field(default_factory=list)
    manufacturer: int = 0
    counts: SupplierCounts = field(default_factory=SupplierCounts)
    failed: list[str] = field(default_factory=list)
    join_index: int = JOIN
    """The ``JOIN`` of the version that wrote the checkpoint (absent: ``LEGACY_JOIN``)."""

    @classmethod
    def of(cls, stored: dict[str, Any] | None) -> Checkpoint:
        if not stored:
            return cls()
        point = cls(**{**stored, "counts": SupplierCounts(**stored.get("counts", {})), "join_index": JOIN})
        if stored.get("join_index", LEGACY_JOIN) == LEGACY_JOIN and point.endpoint == LEGACY_JOIN:
            # A run from before the product details and descriptions, stopped while joining: its index is now
            # that of products/bulk/details, so it reads both for every manufacturer and joins (writes) anew.
            point.manufacturer, point.joined, point.counts = 0, 0, SupplierCounts()
        return point

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def at_supplier_start(self) -> bool:
        return self.endpoint == 0 and self.cursor is None and self.page == 0

    def next_supplier(self) -> None:
        self.supplier += 1
        self.endpoint, self.cursor, self.page, self.joined, self.manufacturer = 0, None, 0, 0, 0
        self.since = self.started = None
        self.manufacturers = []
        self.counts = SupplierCounts()


def rfc3339(moment: dt.datetime) -> str:
    """``mutationDateTime`` as the spec wants it: RFC 3339, UTC, with ``Z``, whole seconds."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TwobaImport:
    """One run of an Import 2BA task (not thread-safe: one worker drives it)."""

    def __init__(self, *, settings: Import2baSettings, source: TwobaSource, state: TwobaStateStore,
                 writer: CatalogWriter, clock: Clock, write_batch: int = WRITE_BATCH) -> None:
        self._settings = settings
        self._source = source
        self._state = state
        self._writer = writer
        self._clock = clock
        self._batch = write_batch
        self._rule = ArticleRule(settings.article_number, settings.article_prefix)

    def run(self, job: RunJob) -> RunStatus | None:
        """Scan, join and write every supplier from the job's checkpoint on; the final status (None: derived)."""
        point = Checkpoint.of(job.checkpoint)
        glns = self._settings.supplier_glns
        while point.supplier < len(glns):
            gln = glns[point.supplier]
            where = {"environment": job.task.environment, "task_id": job.task.task_id, "supplier_gln": gln}
            if point.at_supplier_start:
                self._start_supplier(job, point, gln)
            try:
                self._scan(job, point, gln)
                self._join(job, point, gln)
            except TwobaCallError as failure:
                if not _fails_supplier_only(failure):
                    raise WorkerFailure(f"supplier {gln}: {failure}") from failure
                self._supplier_failed(job, point, gln, failure)
            except TwobaCredentialsError as failure:
                raise WorkerFailure(str(failure)) from failure
            except TwobaError as failure:
                raise WorkerFailure(f"supplier {gln}: {failure}") from failure
            else:
                self._supplier_done(job, point, gln)
            self._state.clear_staged(**where)
            point.next_supplier()
            job.keep_alive(point.as_dict())
        return self._outcome(job, point)

    # --- one supplier ---------------------------------------------------------------------------
    def _start_supplier(self, job: RunJob, point: Checkpoint, gln: str) -> None:
        environment, task_id = job.task.environment, job.task.task_id
        self._state.clear_staged(environment=environment, task_id=task_id, supplier_gln=gln)  # a stopped run's
        mark = self._state.watermarks(environment=environment, task_id=task_id).get(gln)
        point.since = rfc3339(mark) if mark is not None and self._settings.only_changed else None
        if point.since and self._state.lookups(environment=environment, task_id=task_id, supplier_gln=gln, kind=SCAN,
                                               keys=["shape"]).get("shape") != self._scan_shape():
            job.message(MessageLevel.INFO, f"Supplier {gln}: a full scan, not the changes since {point.since}: its "
                                           f"last complete scan read other endpoints, or another selection_id or "
                                           f"languages, so what did not change since would be missing.")
            point.since = None
        known = self._state.lookups(environment=environment, task_id=task_id, supplier_gln=gln, kind=MANUFACTURERS,
                                    keys=["all"]).get("all")
        point.manufacturers = json.loads(known) if known and point.since else []

    def _scan_shape(self) -> str:
        """What a delta must share with the last complete scan, besides the GLN: the resources and the filters
        that choose rows. A delta reads only the rows changed since, so an endpoint added (a new version of this
        import), another selection or another language would miss every row that did not change."""
        return json.dumps({"resources": list(RESOURCES), "selectionId": self._settings.selection_id,
                           "languages": sorted(self._settings.languages)}, sort_keys=True)

    def _params(self, resource: str, point: Checkpoint, gln: str) -> Params:
        """The filters of a scan of ``resource``, the same for each of its pages: the supplier's GLN (the Product
        API: the manufacturer's), the delta's ``mutationDateTime``, the languages of descriptions, the
        selection."""
        key = "manufacturerIdGln" if resource.startswith("products/") else "supplierIdGln"
        params: list[tuple[str, str]] = [(key, gln)]
        if point.since:
            params.append(("mutationDateTime", point.since))
        if resource.endswith("/descriptions"):
            params += [("language", language) for language in self._settings.languages]
        if self._settings.selection_id and resource in SELECTION_RESOURCES:
            params.append(("selectionId", self._settings.selection_id))
        return params

    def _scan(self, job: RunJob, point: Checkpoint, gln: str) -> None:
        total = len(self._settings.supplier_glns)
        while point.endpoint < PRODUCTS:
            endpoint = ENDPOINTS[point.endpoint]
            resource = f"trade-items/bulk/{endpoint}"
            page = self._source.page(resource, params=self._params(resource, point, gln), cursor=point.cursor,
                                     limit=self._settings.page_size)
            if point.started is None:
                started = page.server_time or self._clock.now() - CLOCK_MARGIN
                point.started = started.astimezone(dt.UTC).isoformat()
            self._state.stage(environment=job.task.environment, task_id=job.task.task_id, supplier_gln=gln,
                              endpoint=endpoint, page=point.page, rows=page.rows)
            if endpoint == "details":
                named = {str(r["manufacturerIdGln"]) for r in page.rows if r.get("manufacturerIdGln")}
                point.manufacturers = sorted(set(point.manufacturers) | named)
            point.page += 1
            point.cursor = page.cursor
            if not page.has_next:
                point.endpoint, point.cursor, point.page = point.endpoint + 1, None, 0
            job.progress((point.supplier + 0.5 * point.endpoint / JOIN) / total,
                         f"supplier {gln}: reading {endpoint} (page {point.page})")
            job.keep_alive(point.as_dict())
        self._scan_products(job, point, gln)

    def _scan_products(self, job: RunJob, point: Checkpoint, gln: str) -> None:
        """Each product endpoint for every manufacturer the supplier's items name (the Product API is filtered by
        manufacturer, not supplier); staged like the trade-item pages, page numbers running on per endpoint."""
        total = len(self._settings.supplier_glns)
        while PRODUCTS <= point.endpoint < JOIN:
            staged, name = PRODUCT_ENDPOINTS[point.endpoint - PRODUCTS]
            if point.manufacturer >= len(point.manufacturers):
                point.endpoint, point.cursor, point.page, point.manufacturer = point.endpoint + 1, None, 0, 0
                continue
            manufacturer = point.manufacturers[point.manufacturer]
            resource = f"products/bulk/{name}"
            page = self._source.page(resource, params=self._params(resource, point, manufacturer),
                                     cursor=point.cursor, limit=self._settings.page_size)
            self._state.stage(environment=job.task.environment, task_id=job.task.task_id, supplier_gln=gln,
                              endpoint=staged, page=point.page, rows=[staged_row(staged, row) for row in page.rows])
            point.page += 1
            point.cursor = page.cursor
            if not page.has_next:
                point.manufacturer, point.cursor = point.manufacturer + 1, None
            job.progress((point.supplier + 0.5 * point.endpoint / JOIN) / total,
                         f"supplier {gln}: reading products/bulk/{name} of manufacturer {manufacturer}")
            job.keep_alive(point.as_dict())

    def _join(self, job: RunJob, point: Checkpoint, gln: str) -> None:
        rows = _group(self._state.staged(environment=job.task.environment, task_id=job.task.task_id,
                                         supplier_gln=gln))
        if point.since:
            self._read_unchanged_products(job, gln, rows)
        product_keys = set().union(*(rows[staged] for staged, _ in PRODUCT_ENDPOINTS))
        product_items = self._product_items(job, gln, rows, product_keys)
        item_products = {item: key for key, numbers in product_items.items() if key in product_keys
                         for item in numbers}
        items = sorted(set().union(*(rows[endpoint] for endpoint in ENDPOINTS)) | set(item_products))
        total = len(self._settings.supplier_glns)
        while point.joined < len(items):
            batch = items[point.joined:point.joined + self._batch]
            self._write(job, point, gln, batch, rows=rows, products=item_products, first_row=point.joined + 1)
            point.joined += len(batch)
            job.progress((point.supplier + 0.5 + 0.5 * point.joined / len(items)) / total,
                         f"supplier {gln}: {point.joined:,} of {len(items):,} trade items written")
            job.keep_alive(point.as_dict())
        self._remember(job, gln, point, product_items, rows)

    def _read_unchanged_products(self, job: RunJob, gln: str, rows: dict[str, dict[str, Any]]) -> None:
        """A delta's bulk product scans leave out the products that did not change, so a trade item that names a
        product it did not name before (new since the watermark, or moved) would get none of its data: read
        those products one by one (``products/{gln}/{number}/details``, ``descriptions``, ``etim-classifications``:
        sub-resources answer 200 with empty data, never 404) into ``rows`` as the bulk rows would have been."""
        named: dict[str, set[str]] = {}
        for item, details in rows["details"].items():
            key = product_key(details)
            if key and not any(key in rows[staged] for staged, _ in PRODUCT_ENDPOINTS):
                named.setdefault(key, set()).add(item)
        if not named:
            return
        stored = self._state.lookups(environment=job.task.environment, task_id=job.task.task_id, supplier_gln=gln,
                                     kind=PRODUCT, keys=sorted(named))
        languages = [("language", language) for language in self._settings.languages]
        for key in sorted(named):
            if named[key] <= set(json.loads(stored.get(key, "[]"))):
                continue  # its items had it before: the catalog holds its data
            manufacturer, number = key.split("#", 1)
            base = f"products/{quote(manufacturer, safe='')}/{quote(number, safe='')}"
            identity = {"manufacturerIdGln": manufacturer, "manufacturerProductNumber": number}
            details = self._source.document(f"{base}/details").get("details")
            if isinstance(details, dict):
                rows[PRODUCT_DETAILS][key] = {**details, **identity}
            texts = self._source.document(f"{base}/descriptions", params=languages).get("descriptions") or []
            described = {str(r.get("descriptionLanguage")): {**r, **identity} for r in texts if isinstance(r, dict)}
            if described:
                rows[PRODUCT_DESCRIPTIONS][key] = described
            classes = self._source.document(f"{base}/etim-classifications").get("etimClassifications") or []
            flat = [staged_row(ETIM_CLASSIFICATIONS, row) for row in _flat_classifications(classes, identity)]
            if flat:
                rows[ETIM_CLASSIFICATIONS][key] = flat

    def _product_items(self, job: RunJob, gln: str, rows: dict[str, dict[str, Any]],
                       product_keys: set[str]) -> dict[str, list[str]]:
        """``<manufacturer GLN>#<product number>`` -> the supplier's item numbers: from this scan's details, and
        for a product that changed without its items' details, from the lookup of earlier scans."""
        mapping: dict[str, list[str]] = {}
        for item, details in rows["details"].items():
            key = product_key(details)
            if key:
                mapping.setdefault(key, []).append(item)
        unknown = sorted(key for key in product_keys if key not in mapping)
        if unknown:
            stored = self._state.lookups(environment=job.task.environment, task_id=job.task.task_id,
                                         supplier_gln=gln, kind=PRODUCT, keys=unknown)
            mapping.update({key: json.loads(numbers) for key, numbers in stored.items()})
        return mapping

    def _remember(self, job: RunJob, gln: str, point: Checkpoint, product_items: dict[str, list[str]],
                  rows: dict[str, dict[str, Any]]) -> None:
        """Save what the next delta needs: the items of each product this scan named, the manufacturers, the
        scan's shape."""
        environment, task_id = job.task.environment, job.task.task_id
        named = {product_key(details) for details in rows["details"].values()} - {None}
        keys = sorted(k for k in named if k)
        if keys and point.since:  # a delta names some items of a product: keep those named before
            stored = self._state.lookups(environment=environment, task_id=task_id, supplier_gln=gln, kind=PRODUCT,
                                         keys=keys)
            for key, numbers in stored.items():
                product_items[key] = sorted(set(product_items.get(key, [])) | set(json.loads(numbers)))
        self._state.save_lookups(environment=environment, task_id=task_id, supplier_gln=gln, kind=PRODUCT,
                                 values={key: json.dumps(sorted(product_items[key])) for key in keys})
        self._state.save_lookups(environment=environment, task_id=task_id, supplier_gln=gln, kind=MANUFACTURERS,
                                 values={"all": json.dumps(point.manufacturers)})
        self._state.save_lookups(environment=environment, task_id=task_id, supplier_gln=gln, kind=SCAN,
                                 values={"shape": self._scan_shape()})

    def _write(self, job: RunJob, point: Checkpoint, gln: str, batch: Sequence[str], *,
               rows: dict[str, dict[str, Any]], products: dict[str, str], first_row: int) -> None:
        environment, task_id = job.task.environment, job.task.task_id
        complete = point.since is None
        gtin_rule = self._rule.rule is ArticleNumberRule.GTIN
        known = self._state.lookups(environment=environment, task_id=task_id, supplier_gln=gln, kind=ARTICLE,
                                    keys=[i for i in batch if i not in rows["details"]]) if gtin_rule else {}
        described = self._described(job, gln, batch, rows=rows, products=products, complete=complete)
        records: list[MappedRecord] = []
        rejected = 0
        for row, item in enumerate(batch, start=first_row):
            try:
                joined = trade_item_record(
                    supplier_gln=gln, item_number=item, details=rows["details"].get(item),
                    descriptions=list(rows["descriptions"].get(item, {}).values()),
                    ordering=rows["ordering"].get(item), pricing_rows=rows["pricings"].get(item, []),
                    rule=self._rule, today=self._clock.now().date(), complete=complete,
                    known_article=known.get(item), product=_product_rows(rows, products.get(item)),
                    described=() if complete else described.get(item, ()))
            except TradeItemRejected as refused:
                rejected += 1
                job.message(MessageLevel.ERROR, str(refused), file=f"2BA supplier {gln}", row=row,
                            column=refused.field, value=refused.value)
                continue
            for warning in joined.warnings:
                job.message(MessageLevel.WARNING, warning, file=f"2BA supplier {gln}", row=row)
            records.append(MappedRecord(file=f"2BA supplier {gln}", sheet=None, row=row, record=joined.product,
                                        key=joined.product.natural_key(), fields=joined.fields,
                                        cleared=joined.cleared))
        outcome = self._writer.write(environment=environment, target=ImportTarget.PRODUCTS, mode=ImportMode.UPSERT,
                                     records=records, run_id=job.run.run_id)
        for record, reason in outcome.refused:
            item = record.record.supplier_item_number  # type: ignore[attr-defined]
            job.message(MessageLevel.ERROR, f"supplier {gln}, item {item!r}: {reason}", file=f"2BA supplier {gln}",
                        row=record.row)
        rejected += len(outcome.refused)
        if gtin_rule:
            # the items this scan brought details for: their article number is their (first) GTIN, whether or not
            # the GTIN itself was fit for the catalog
            self._state.save_lookups(environment=environment, task_id=task_id, supplier_gln=gln, kind=ARTICLE, values={
                r.record.supplier_item_number: r.record.article_number  # type: ignore[attr-defined]
                for r in records if rows["details"].get(r.record.supplier_item_number) is not None})  # type: ignore[attr-defined]
        counts = point.counts
        counts.read += len(batch)
        counts.created += outcome.created
        counts.updated += outcome.updated
        counts.unchanged += outcome.unchanged
        counts.rejected += rejected
        job.count(read=len(batch), created=outcome.created, updated=outcome.updated, unchanged=outcome.unchanged,
                  rejected=rejected)

    def _described(self, job: RunJob, gln: str, batch: Sequence[str], *, rows: dict[str, dict[str, Any]],
                   products: dict[str, str], complete: bool) -> dict[str, list[str]]:
        """The languages each item of the batch describes itself, and saved for the next delta (``DESCRIBED``):
        a full scan's are what its rows have (saved for the items with their own or their product's
        descriptions), a delta adds its rows' languages to the saved ones (a language missing from a delta is
        not known to be gone). Only the items whose product brought descriptions need them on a delta."""
        environment, task_id = job.task.environment, job.task.task_id
        own = rows["descriptions"]
        with_product_texts = {item for item in batch if products.get(item) in rows[PRODUCT_DESCRIPTIONS]}
        wanted = [item for item in batch if item in own or item in with_product_texts]
        stored = {} if complete or not wanted else self._state.lookups(
            environment=environment, task_id=task_id, supplier_gln=gln, kind=DESCRIBED, keys=wanted)
        described = {item: sorted(set(own.get(item, {})) | set(json.loads(stored.get(item, "[]"))))
                     for item in wanted}
        changed = {item: languages for item, languages in described.items()
                   if complete or json.loads(stored.get(item, "[]")) != languages}
        if changed:
            self._state.save_lookups(environment=environment, task_id=task_id, supplier_gln=gln, kind=DESCRIBED,
                                     values={item: json.dumps(languages) for item, languages in changed.items()})
        return described

    def _supplier_done(self, job: RunJob, point: Checkpoint, gln: str) -> None:
        assert point.started is not None  # the scan's first page set it
        started = dt.datetime.fromisoformat(point.started)
        self._state.save_watermark(environment=job.task.environment, task_id=job.task.task_id, supplier_gln=gln,
                                   at=started)
        scan = f"changes since {point.since}" if point.since else "full scan"
        job.message(MessageLevel.INFO, f"Supplier {gln} ({scan}): {point.counts.text()}; next delta from "
                                       f"{rfc3339(started)}.")

    def _supplier_failed(self, job: RunJob, point: Checkpoint, gln: str, failure: TwobaCallError) -> None:
        point.failed.append(gln)
        kept = f"its watermark stays at {point.since}" if point.since else \
            "it has no complete scan yet, so the next run reads it whole"
        job.message(MessageLevel.ERROR, f"Supplier {gln} failed: {failure}. Nothing of it was written in this run; "
                                        f"{kept}.")

    def _outcome(self, job: RunJob, point: Checkpoint) -> RunStatus | None:
        glns = self._settings.supplier_glns
        job.message(MessageLevel.INFO, f"{len(glns) - len(point.failed)} of {len(glns)} suppliers imported.")
        job.progress(1.0, "done")
        if point.failed and len(point.failed) == len(glns):
            raise WorkerFailure(f"every supplier failed: {', '.join(point.failed)} (see the messages)")
        return RunStatus.PARTIALLY_SUCCEEDED if point.failed else None


def _fails_supplier_only(failure: TwobaCallError) -> bool:
    return failure.status in SUPPLIER_FAILURES or failure.status >= 500


def product_key(row: dict[str, Any]) -> str | None:
    """``<manufacturerIdGln>#<manufacturerProductNumber>`` of a details or classification row, if it has both."""
    gln, number = row.get("manufacturerIdGln"), row.get("manufacturerProductNumber")
    return f"{gln}#{number}" if gln and number else None


def _product_rows(rows: dict[str, dict[str, Any]], key: str | None) -> ProductRows | None:
    """What this scan's product endpoints brought for the product ``key`` (None: no product, or nothing)."""
    if key is None:
        return None
    classification = rows[ETIM_CLASSIFICATIONS].get(key)
    return ProductRows(details=rows[PRODUCT_DETAILS].get(key),
                       descriptions=tuple(rows[PRODUCT_DESCRIPTIONS].get(key, {}).values()),
                       classification=etim_classification(classification) if classification else None)


def _flat_classifications(classes: Sequence[Any], identity: dict[str, str]) -> list[dict[str, Any]]:
    """A product's nested ``etimClassifications[].etimFeatures[]`` as ``products/bulk/etim-classifications`` rows
    (one per feature; a classification without features one row without ``etimFeatureCode``)."""
    flat: list[dict[str, Any]] = []
    for cls in classes:
        if not isinstance(cls, dict):
            continue
        head = {**{k: v for k, v in cls.items() if k != "etimFeatures"}, **identity}
        features = [f for f in cls.get("etimFeatures") or [] if isinstance(f, dict)]
        flat += [{**head, **feature} for feature in features] or [head]
    return flat


def _group(pages: Any) -> dict[str, dict[str, Any]]:
    """Staged rows per endpoint and item number (product rows per product key: classification rows as a list,
    descriptions per language); a row seen twice is kept once (the later one)."""
    grouped: dict[str, dict[str, Any]] = {endpoint: {} for endpoint in (*ENDPOINTS, *(s for s, _ in PRODUCT_ENDPOINTS))}
    shared: dict[str, str] = {}
    for endpoint, rows in pages:
        target = grouped[endpoint]
        _share_values(rows, shared)
        if endpoint in (ETIM_CLASSIFICATIONS, PRODUCT_DETAILS, PRODUCT_DESCRIPTIONS):
            _group_products(endpoint, rows, target)
            continue
        for row in _rows(rows):
            item = row["supplierItemNumber"]
            if endpoint == "descriptions":
                target.setdefault(item, {})[str(row.get("descriptionLanguage"))] = row
            elif endpoint == "pricings":
                target.setdefault(item, []).append(row)
            else:
                target[item] = row
    return grouped


SHARED_FIELDS = ("supplierIdGln", "supplierItemNumber", "manufacturerIdGln", "manufacturerProductNumber",
                 "descriptionLanguage", "etimClassCode", "etimReleaseVersion", "etimFeatureCode", "etimUnitCode")
"""Row fields whose values repeat across a supplier's rows: the keys (each trade item and product is named by
several endpoints' rows), GLNs, languages and ETIM codes."""


def _share_values(rows: Rows, shared: dict[str, str]) -> None:
    """Let the rows share one string object per value of ``SHARED_FIELDS`` (the first seen, kept in ``shared``
    for one join): a parse makes a new one for each row, and a large supplier's join holds hundreds of thousands
    of rows at once (a dict, not ``sys.intern``, so the strings go with the join)."""
    for row in rows:
        for name in SHARED_FIELDS:
            value = row.get(name)
            if isinstance(value, str):
                row[name] = shared.setdefault(value, value)


def _group_products(endpoint: str, rows: Rows, target: dict[str, Any]) -> None:
    for row in rows:
        key = product_key(row)
        if not key:
            continue
        if endpoint == ETIM_CLASSIFICATIONS:
            target.setdefault(key, []).append(row)
        elif endpoint == PRODUCT_DESCRIPTIONS:
            target.setdefault(key, {})[str(row.get("descriptionLanguage"))] = row
        else:
            target[key] = row


def _rows(rows: Rows) -> Rows:
    return [row for row in rows if isinstance(row.get("supplierItemNumber"), str)]
