"""Export Artikelbeheer.nl with fakes around it: the xChange export its settings make, which products are the
supplier's priced trade items (and why the others are skipped), FULL then CHANGE, and the delivery's retries."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pimtasks.domain.task_types import ExportArtikelbeheerSettings, ExportFormat, ImportTarget
from pimtasks.services.artikelbeheer_export import (
    SKIP_NO_PRICE,
    ArtikelbeheerExport,
    SftpDelivery,
    export_settings,
    supplier_items,
)
from pimtasks.services.catalog_export import SKIP_REMOVED_FORMAT, PublishedFile
from pimtasks.services.export_ports import ExportRecord, RemoteTransferError
from pimtasks.services.remote_delivery import RemoteFileDelivery
from pimtasks.services.run_job import WorkerFailure

from tests.unit.exports.test_catalog_export import BEFORE, FakeJob, service

SUPPLIER = "8712345000004"
OTHER = "8711111000002"
UPLOAD_URL = "https://upload.example.nl/xchange"


def settings(**values: Any) -> ExportArtikelbeheerSettings:
    return ExportArtikelbeheerSettings.model_validate({"supplier_gln": SUPPLIER, "upload_url": UPLOAD_URL,
                                                       "username": "supplier", "password": "pw",
                                                       "file_name": "{export}", **values})


def product(number: int, *, gln: str | None = SUPPLIER, price: str | None = "12.50",
            deleted: bool = False) -> ExportRecord:
    data = {"article_number": f"A-{number}", "supplier_gln": gln, "gross_price": price,
            "descriptions": {"nl": f"Artikel {number}"}}
    return ExportRecord(record_id=f"r{number}", key=(f"A-{number}",), data=data, changed_at=BEFORE,
                        position=f"{number:04d}", deleted=deleted)


@dataclass
class RecordingUploader:
    """Connections to a fake endpoint: fails with ``failures`` (in order) before it takes a file."""

    failures: list[RemoteTransferError] = field(default_factory=list)
    received: list[tuple[str, bytes]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, chosen: ExportArtikelbeheerSettings, password: str) -> RecordingUploader:
        self.logins.append((chosen.username or "", password))
        return self

    def __enter__(self) -> RecordingUploader:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def upload(self, *, local: Path, directory: str, name: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.received.append((name, local.read_bytes()))


class ArtikelbeheerJob(FakeJob):
    def __init__(self, chosen: ExportArtikelbeheerSettings) -> None:
        super().__init__(chosen)  # type: ignore[arg-type]
        self.task = SimpleNamespace(spec=SimpleNamespace(settings=chosen, type="export_artikelbeheer",
                                                         description="Artikelbeheer / weekly"),
                                    environment="000001")


def artikelbeheer(records: list[ExportRecord], *, since: dt.datetime | None = None,
                  uploader: RecordingUploader | None = None) -> tuple[ArtikelbeheerExport, RecordingUploader]:
    export, _ = service(records, since=since)
    uploader = uploader or RecordingUploader()
    sender = RemoteFileDelivery(uploader=lambda target, password: uploader, sleep=lambda seconds: None)
    environments = SimpleNamespace(find_environment=lambda environment: SimpleNamespace(name="Demo groothandel"))
    return ArtikelbeheerExport(export=export, environments=environments,  # type: ignore[arg-type]
                               sender=sender, https_uploader=uploader), uploader


def test_the_settings_make_an_etim_xchange_export_of_products_into_a_folder_of_the_description() -> None:
    derived = export_settings(settings(languages=["nl-NL", "fr-BE"]), description="Artikelbeheer / weekly",
                              supplier_name="Demo")
    assert (derived.entity, derived.format, derived.only_changed) == (ImportTarget.PRODUCTS,
                                                                      ExportFormat.ETIM_XCHANGE, True)
    assert derived.export_name == "Artikelbeheer _ weekly" and derived.filter == {}
    assert derived.xchange is not None
    assert (derived.xchange.supplier_gln, derived.xchange.supplier_name, derived.xchange.languages) == (
        SUPPLIER, "Demo", ["nl-NL", "fr-BE"])
    assert export_settings(settings(export_name="AB"), description="x", supplier_name="D").export_name == "AB"
    assert export_settings(settings(), description="///", supplier_name="D").export_name == "Artikelbeheer"


def test_the_suppliers_priced_items_are_selected_and_the_others_skipped_with_their_reason() -> None:
    skip = supplier_items(settings())
    assert skip(product(1).data) is None
    assert skip(product(2, gln=None).data) is None  # the environment's own article
    assert skip(product(3, gln=OTHER).data) == f"another supplier's item (its supplier_gln is not {SUPPLIER})"
    assert skip(product(4, price=None).data) == SKIP_NO_PRICE
    assert skip(product(5, price="").data) == SKIP_NO_PRICE


def test_a_first_run_sends_a_full_file_of_the_suppliers_items_over_https() -> None:
    records = [product(1), product(2, gln=None), product(3, gln=OTHER), product(4, price=None)]
    work, uploader = artikelbeheer(records)
    job = ArtikelbeheerJob(settings())
    work.run(job)  # type: ignore[arg-type]
    assert (job.run.counts.selected, job.run.counts.written, job.run.counts.skipped) == (4, 2, 2)
    ((name, content),) = uploader.received
    assert name == "Artikelbeheer _ weekly.json" and uploader.logins == [("supplier", "remote-password")]
    document = json.loads(content)
    assert document["CatalogueType"] == "FULL"
    assert document["Supplier"][0]["SupplierName"] == "Demo groothandel"  # the environment's name by default
    assert [p["TradeItem"][0]["ItemIdentification"]["SupplierItemNumber"]
            for p in document["Supplier"][0]["Product"]] == ["A-1", "A-2"]
    assert f"Delivered Artikelbeheer _ weekly.json to {UPLOAD_URL}." in job.texts


def test_a_later_run_sends_a_change_file_and_says_why_a_removal_is_not_in_it() -> None:
    work, uploader = artikelbeheer([product(1), product(2, deleted=True)], since=BEFORE - dt.timedelta(days=1))
    job = ArtikelbeheerJob(settings())
    work.run(job)  # type: ignore[arg-type]
    assert json.loads(uploader.received[0][1])["CatalogueType"] == "CHANGE"
    assert f"Skipped 1 record: {SKIP_REMOVED_FORMAT}." in job.texts
    assert (job.run.counts.written, job.run.counts.skipped) == (1, 1)


def test_a_change_run_that_selects_nothing_sends_nothing_and_says_so() -> None:
    work, uploader = artikelbeheer([], since=BEFORE)
    job = ArtikelbeheerJob(settings())
    work.run(job)  # type: ignore[arg-type]
    assert uploader.received == [] and job.run.files == []
    assert f"Nothing was sent to {UPLOAD_URL}." in job.texts


def test_a_change_run_whose_items_are_all_skipped_sends_no_empty_file() -> None:
    """An xChange file needs a product: a delta of only a removal and another supplier's item sends nothing."""
    work, uploader = artikelbeheer([product(1, deleted=True), product(2, gln=OTHER)], since=BEFORE)
    job = ArtikelbeheerJob(settings())
    work.run(job)  # type: ignore[arg-type]
    assert (job.run.counts.selected, job.run.counts.written, job.run.counts.skipped) == (2, 0, 2)
    assert uploader.received == [] and job.run.files == []
    assert "Every selected record was skipped (2): nothing written, so no file is published." in job.texts


def test_a_refusal_is_final_and_a_server_error_is_tried_again() -> None:
    refused = RecordingUploader(failures=[RemoteTransferError("https://h: HTTP 401 Unauthorized", retryable=False)])
    work, _ = artikelbeheer([product(1)], uploader=refused)
    job = ArtikelbeheerJob(settings(attempts=3))
    with pytest.raises(WorkerFailure, match=r"after 1 attempt\(s\): https://h: HTTP 401 Unauthorized\. The file "
                                            r"stays in Downloads/Artikelbeheer _ weekly/"):
        work.run(job)  # type: ignore[arg-type]
    assert refused.received == []
    busy = RecordingUploader(failures=[RemoteTransferError("https://h: HTTP 503 Service Unavailable")])
    work, _ = artikelbeheer([product(1)], uploader=busy)
    job = ArtikelbeheerJob(settings(attempts=2))
    work.run(job)  # type: ignore[arg-type]
    assert len(busy.received) == 1 and any(text.endswith("(attempt 2).") for text in job.texts)


def test_sftp_goes_to_the_remote_server_of_the_settings(tmp_path: Path) -> None:
    uploader = RecordingUploader()
    sender = RemoteFileDelivery(uploader=lambda target, password: uploader, sleep=lambda seconds: None)
    chosen = settings(transport="sftp", upload_url=None, username=None, password=None,
                      remote={"protocol": "sftp", "host": "sftp.example.com", "path": "/in", "username": "u",
                              "password": "pw", "host_key": "SHA256:x"})
    file = PublishedFile(name="f.json", key="Downloads/A/f.json", size=2, path=tmp_path / "f.json")
    file.path.write_bytes(b"{}")
    job = ArtikelbeheerJob(chosen)
    SftpDelivery(settings=chosen, sender=sender).deliver(job, [file])  # type: ignore[arg-type]
    assert uploader.received == [("f.json", b"{}")]
    assert "Delivered f.json to sftp://sftp.example.com/in/f.json." in job.texts
