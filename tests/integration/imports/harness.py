"""Import tasks on moto: the core services (tables from the template) plus a versioned files bucket, the
catalog repository, the import worker and the interdependent-imports listener, wired like ``pimtasks.wiring``."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import openpyxl
import pytest
from pimtasks.adapters.catalog_repository import CatalogRepository
from pimtasks.adapters.dynamo import DynamoTable
from pimtasks.adapters.file_store import FileStore
from pimtasks.catalog.codes import gs1_check_digit
from pimtasks.domain.catalog_storage import RecordKey, RecordWrite, StoredDigest, StoredRecord
from pimtasks.domain.run import Run
from pimtasks.domain.task import Task
from pimtasks.domain.task_types import ImportTarget, TaskType
from pimtasks.domain.trigger import TaskTriggerEvent
from pimtasks.services.auto_import import AutoImport
from pimtasks.services.catalog_writer import CatalogWriter
from pimtasks.services.import_chain import ImportChain
from pimtasks.services.ports import CatalogStore
from pimtasks.workers import NotAvailableWorker, TaskWorker, WorkerFactory
from pimtasks.workers.import_worker import EtimModels, ImportWorker

from tests.integration.core.harness import FILES_BUCKET, REGION, TABLES, Core, core_services
from tests.integration.core.specs import weekly_import

ENV = "000001"
BUCKET = FILES_BUCKET
CONDITIONS_IMPORT = "Sales conditions APAC"


def gln(body: str) -> str:
    """A valid GLN from a 12-digit body."""
    return body + str(gs1_check_digit(body))


SUPPLIER = gln("871234500000")

CONDITIONS_LAYOUT: dict[str, Any] = {
    "sheet": "Conditions APAC",
    "header_row": 3,
    "first_data_row": 4,
    "columns": [
        {"column": "Leverancier GLN", "field": "supplier_gln"},
        {"column": "Klantgroep", "field": "customer_group", "case": "upper"},
        {"column": "Regio", "field": "region", "default": "APAC"},
        {"column": "Kortingsgroep", "field": "discount_group"},
        {"column": "Artikelnummer", "field": "article_number"},
        {"column": "Nettoprijs", "field": "net_price", "decimal_separator": "comma"},
        {"column": "Korting 1", "field": "discount_1", "decimal_separator": "comma"},
        {"column": "Geldig van", "field": "valid_from", "date_format": "%d-%m-%Y"},
        {"column": "Geldig tot", "field": "valid_until", "date_format": "%d-%m-%Y"},
        {"column": "Soort", "field": "terms_type", "replace": {"Basis": "basic", "Actie": "action"}},
        {"column": "Staffel", "field": "quantity_lower_limit"},
    ],
    "key_columns": ["supplier_gln", "customer_group", "region", "article_number", "valid_from",
                    "quantity_lower_limit"],
}
CONDITIONS_HEADER = ["Leverancier GLN", "Klantgroep", "Regio", "Kortingsgroep", "Artikelnummer", "Nettoprijs",
                     "Korting 1", "Geldig van", "Geldig tot", "Soort", "Staffel"]


def condition_rows(count: int) -> list[list[Any]]:
    """``count`` good rows, one article each: net prices (decimal comma text) and action discounts, with dates
    as real dates and as text, a region left empty (the layout's default) and quantity brackets."""
    rows: list[list[Any]] = []
    for index in range(count):
        valid_from: Any = dt.datetime(2027, 1, 1) if index % 2 else "01-01-2027"
        article = f"ART-{index:04d}"
        if index % 3 == 2:
            rows.append([SUPPLIER, "inst", "", "", article, "", f"{10 + index},5", valid_from, "31-12-2027",
                         "Actie", 0])
        else:
            rows.append([SUPPLIER, "inst", "APAC", "", article, f"{index + 1},25", "", valid_from, "", "Basis",
                         10 if index % 4 == 0 else 0])
    return rows


def conditions_xlsx(rows: Sequence[Sequence[Any]]) -> bytes:
    """A workbook with a custom layout: a title row, a blank row, the header in row 3, data from row 4."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Conditions APAC"
    sheet.append(["Verkoopcondities APAC 2027"])
    sheet.append([])
    sheet.append(CONDITIONS_HEADER)
    for row in rows:
        sheet.append(list(row))
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def products_csv(rows: Sequence[Sequence[Any]], header: Sequence[str] = ("article_number", "gross_price",
                                                                         "description_nl")) -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return stream.getvalue().encode("utf-8")


def product_rows(count: int, *, bad: Sequence[int] = ()) -> list[list[str]]:
    """Products P-0000.. with a Dutch decimal comma; rows at the indexes in ``bad`` get an unreadable price."""
    return [[f"P-{index:04d}", "12,5x" if index in bad else f"{index},50", f"Product {index}"]
            for index in range(count)]


@dataclass
class RecordingStore:
    """A catalog store that records what each ``put_many`` wrote and can run a hook after the n-th one."""

    inner: CatalogStore
    hooks: dict[int, Callable[[], None]] = field(default_factory=dict)
    written: list[list[RecordKey]] = field(default_factory=list)

    def get_digests(self, **kwargs: Any) -> dict[RecordKey, StoredDigest]:
        return self.inner.get_digests(**kwargs)

    def get_many(self, **kwargs: Any) -> dict[RecordKey, StoredRecord]:
        return self.inner.get_many(**kwargs)

    def put_many(self, *, records: Sequence[RecordWrite], **kwargs: Any) -> None:
        self.inner.put_many(records=records, **kwargs)
        self.written.append([record.key for record in records])
        hook = self.hooks.get(len(self.written))
        if hook is not None:
            hook()

    def get(self, **kwargs: Any) -> StoredRecord | None:
        return self.inner.get(**kwargs)

    def list_records(self, **kwargs: Any) -> Iterator[StoredRecord]:
        return self.inner.list_records(**kwargs)


@dataclass
class Imports:
    """The import machinery on moto, and shortcuts the tests use."""

    core: Core
    s3: Any
    files: FileStore
    catalog: CatalogRepository
    chain: ImportChain

    def worker(self, *, batch_size: int = 500, store: CatalogStore | None = None,
               etim: EtimModels | None = None) -> ImportWorker:
        writer = CatalogWriter(store=store or self.catalog, clock=self.core.clock)
        return ImportWorker(files=self.files, catalog=writer, clock=self.core.clock, removals=self.catalog,
                            batch_size=batch_size, etim=etim)

    def workers(self, *, batch_size: int = 500, store: CatalogStore | None = None,
                etim: EtimModels | None = None) -> WorkerFactory:
        worker = self.worker(batch_size=batch_size, store=store, etim=etim)

        def factory(task_type: TaskType) -> TaskWorker:
            return worker if task_type is TaskType.IMPORT else NotAvailableWorker(task_type)

        return factory

    def auto_import(self) -> AutoImport:
        return AutoImport(tasks=self.core.task_store, runs=self.core.run_store, starter=self.core.runs,
                          files=self.files, bucket=BUCKET)

    def create_task(self, *, description: str = "Weekly import of sales conditions for APAC",
                    **settings: Any) -> Task:
        document = {"import_name": CONDITIONS_IMPORT, "target": "sales_conditions", "auto_import": True,
                    "custom_layout": True, "layout": CONDITIONS_LAYOUT, **settings}
        return self.core.tasks.create(environment=ENV, spec=weekly_import(description=description,
                                                                          settings=document))

    def upload(self, file_name: str, data: bytes, *, import_name: str = CONDITIONS_IMPORT,
               modified_at: dt.datetime | None = None) -> str:
        """Put a file into Uploads/<import>/ (optionally dated ``modified_at``); returns its key."""
        key = f"environments/{ENV}/Uploads/{import_name}/{file_name}"
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        if modified_at is not None:
            backdate(key, modified_at)
        return key

    def run(self, task: Task, *, workers: WorkerFactory | None = None, batch_size: int = 500) -> Run:
        """Start the task by hand and deliver every invocation; the run as it ended."""
        run = self.core.runs.start(environment=ENV, task_id=task.task_id)
        self.core.pump(workers or self.workers(batch_size=batch_size))
        return self.core.runs.get(environment=ENV, run_id=run.run_id)

    def keys(self, folder: str) -> list[str]:
        """Current object keys under ``environments/<env>/<folder>``, relative to the environment."""
        prefix = f"environments/{ENV}/"
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix + folder)
        return sorted(item["Key"].removeprefix(prefix) for page in pages for item in page.get("Contents", []))

    def read(self, relative_key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=BUCKET, Key=f"environments/{ENV}/{relative_key}")["Body"].read())

    def records(self, target: ImportTarget = ImportTarget.SALES_CONDITIONS) -> list[StoredRecord]:
        return list(self.catalog.list_records(environment=ENV, target=target))


def backdate(key: str, when: dt.datetime) -> None:
    """Set the emulator's LastModified of the key's newest version (S3 dates objects itself, to the second)."""
    from moto.s3.models import s3_backends

    bucket = s3_backends["123456789012"]["aws"].buckets[BUCKET]
    bucket.keys.getlist(key)[-1].last_modified = when.astimezone(dt.UTC).replace(tzinfo=None)


@contextmanager
def import_services(monkeypatch: pytest.MonkeyPatch) -> Iterator[Imports]:
    with core_services(monkeypatch) as core:
        yield imports_on(core)


def imports_on(core: Core) -> Imports:
    """The import machinery on the core services ``core`` (shared with, e.g., the ETIM services)."""
    s3 = boto3.client("s3", region_name=REGION)  # the bucket (versioned) comes from the template
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    catalog = CatalogRepository(table=DynamoTable(table_name=TABLES["CatalogTable"], dynamodb_client=dynamodb),
                                sleep=lambda seconds: None)
    chain = ImportChain(tasks=core.task_store, runs=core.runs, run_store=core.run_store, finisher=core.finisher)
    core.finisher.add_listener(chain.on_run_ended)
    return Imports(core=core, s3=s3, files=FileStore(bucket=BUCKET, s3_client=s3), catalog=catalog, chain=chain)


def deliver(core: Core, workers: WorkerFactory, *, remaining_ms: Callable[[], int]) -> list[dict[str, Any]]:
    """Deliver the recorded invocations once each with ``remaining_ms`` (not those they cause)."""
    delivered = core.invoker.take()
    for _, payload in delivered:
        core.engine(workers).handle(TaskTriggerEvent.model_validate(payload), remaining_ms=remaining_ms)
    return [payload for _, payload in delivered]
