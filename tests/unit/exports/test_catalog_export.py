"""The export service with fakes around it: what is selected, skipped (and why), published, stopped, retried."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pimtasks.domain.run import Run, RunStatus, Trigger
from pimtasks.domain.task_types import ExportSettings, ImportTarget, RemoteTarget
from pimtasks.services.catalog_export import (
    SKIP_CHANGED_DURING_RUN,
    SKIP_REMOVED,
    SKIP_REMOVED_FORMAT,
    CatalogExport,
    PublishedFile,
)
from pimtasks.services.export_ports import ExportRecord, RemoteTransferError
from pimtasks.services.remote_delivery import RemoteFileDelivery
from pimtasks.services.run_job import ContinueLater, StopRequested, WorkerFailure

STARTED = dt.datetime(2026, 12, 2, 22, 15, tzinfo=dt.UTC)
BEFORE = STARTED - dt.timedelta(hours=1)


def record(number: int, *, deleted: bool = False, changed_at: dt.datetime = BEFORE, region: str = "APAC") -> Any:
    return ExportRecord(record_id=f"r{number}", key=(f"A-{number}",), deleted=deleted, changed_at=changed_at,
                        position=f"{number:04d}", data={"article_number": f"A-{number}", "region": region,
                                                        "net_price": f"{number}.50"})


@dataclass
class FakeCatalog:
    records: list[Any]
    asked: list[Any] = field(default_factory=list)

    def records_for_export(self, *, environment: str, entity: ImportTarget, since: Any,
                           after: Any = None) -> Iterator[Any]:
        self.asked.append(since)
        return iter(self.records)


@dataclass
class FakeFiles:
    calls: list[tuple[str, str]] = field(default_factory=list)
    contents: dict[str, bytes] = field(default_factory=dict)

    def upload(self, *, key: str, source: Path, content_type: str) -> None:
        self.calls.append(("upload", key))
        self.contents[key] = source.read_bytes()

    def copy(self, *, source_key: str, version_id: str | None, target_key: str) -> None:
        self.calls.append(("copy", target_key))
        if source_key in self.contents:  # (a multipart upload completes elsewhere)
            self.contents[target_key] = self.contents[source_key]

    def remove(self, *, key: str, version_id: str | None) -> None:
        self.calls.append(("remove", key))
        self.contents.pop(key, None)


class FakeJob:
    def __init__(self, settings: ExportSettings, *, stop_after: int | None = None) -> None:
        self.task = SimpleNamespace(spec=SimpleNamespace(settings=settings, type="export"), environment="000001")
        self.run = Run(run_id="run1", environment="000001", task_id="t1", task_type="export", trigger=Trigger.MANUAL,
                       status=RunStatus.RUNNING, created_at=STARTED, started_at=STARTED)
        self.checkpoint = None
        self.texts: list[str] = []
        self._stop_after = stop_after
        self.safe_points = 0

    def count(self, **deltas: int) -> None:
        self.run.counts = self.run.counts.model_copy(
            update={name: getattr(self.run.counts, name) + delta for name, delta in deltas.items()})

    def message(self, level: Any, text: str, **where: Any) -> None:
        self.texts.append(text)

    def add_file(self, *, role: str, key: str, version_id: str | None = None) -> None:
        self.run.files.append(SimpleNamespace(role=role, key=key))  # type: ignore[arg-type]

    def progress(self, fraction: float | None, text: str | None = None) -> None:
        return None

    def keep_alive(self, checkpoint: Any = None) -> None:
        self.safe_points += 1
        if self._stop_after is not None and self.safe_points >= self._stop_after:
            raise StopRequested

    def secret(self, name: str) -> str:
        return {"pw": "remote-password"}[name]


def service(records: list[Any], *, since: dt.datetime | None = None) -> tuple[CatalogExport, FakeFiles]:
    files = FakeFiles()
    delta = SimpleNamespace(since=lambda **kwargs: since)
    export = CatalogExport(catalog=FakeCatalog(records), files=files,  # type: ignore[arg-type]
                           environments=SimpleNamespace(find_environment=lambda environment: None),  # type: ignore[arg-type]
                           delta=delta, clock=SimpleNamespace(now=lambda: STARTED))  # type: ignore[arg-type]
    return export, files


def settings(**values: Any) -> ExportSettings:
    return ExportSettings.model_validate({"export_name": "Conditions", "entity": "sales_conditions",
                                          "format": "csv", "columns": ["article_number", "net_price"],
                                          "file_name": "{export}", **values})


def test_a_delta_skips_removals_and_records_changed_during_the_run_with_their_reasons() -> None:
    records = [record(1), record(2, deleted=True), record(3, changed_at=STARTED + dt.timedelta(seconds=5)),
               record(4, region="EMEA"), record(5, deleted=True, region="EMEA")]
    export, files = service(records, since=BEFORE - dt.timedelta(days=1))
    job = FakeJob(settings(only_changed=True, filter={"region": "APAC"}))
    export.run(job)  # type: ignore[arg-type]
    counts = job.run.counts
    assert (counts.selected, counts.written, counts.skipped) == (3, 1, 2)
    assert f"Skipped 1 record: {SKIP_REMOVED}." in job.texts
    assert f"Skipped 1 record: {SKIP_CHANGED_DURING_RUN}." in job.texts
    assert files.contents["environments/000001/Downloads/Conditions/Conditions.csv"] == \
        b"article_number;net_price\r\nA-1;1.50\r\n"
    assert [call for call, _ in files.calls] == ["upload", "copy", "remove"]  # published only when complete
    assert files.calls[0][1] == "environments/000001/Temp/exports/run1/Conditions.csv"


def test_a_json_delta_lists_removals_when_asked_and_other_formats_say_why_not() -> None:
    export, files = service([record(1), record(2, deleted=True)], since=BEFORE - dt.timedelta(days=1))
    job = FakeJob(settings(only_changed=True, include_removed=True, format="json"))
    export.run(job)  # type: ignore[arg-type]
    text = files.contents["environments/000001/Downloads/Conditions/Conditions.json"].decode()
    assert '"article_number": "A-2", "net_price": 2.50, "deleted": true' in text
    export, _ = service([record(2, deleted=True)], since=BEFORE - dt.timedelta(days=1))
    job = FakeJob(settings(only_changed=True, include_removed=True))
    export.run(job)  # type: ignore[arg-type]
    assert f"Skipped 1 record: {SKIP_REMOVED_FORMAT}." in job.texts


def test_a_full_export_leaves_tombstones_out_without_counting_them() -> None:
    export, _ = service([record(1), record(2, deleted=True)])
    job = FakeJob(settings())
    export.run(job)  # type: ignore[arg-type]
    assert (job.run.counts.selected, job.run.counts.written, job.run.counts.skipped) == (1, 1, 0)


def test_a_stop_mid_export_publishes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pimtasks.services.catalog_export.SAFE_POINT_EVERY", 2)
    export, files = service([record(number) for number in range(10)])
    job = FakeJob(settings(), stop_after=2)
    with pytest.raises(StopRequested):
        export.run(job)  # type: ignore[arg-type]
    assert files.calls == [] and job.run.files == []
    assert job.run.counts.written == 4  # counted up to the safe point where Stop was seen


@dataclass
class FlakyUploader:
    failures: int
    tries: list[str] = field(default_factory=list)

    def __call__(self, target: RemoteTarget, password: str) -> FlakyUploader:
        return self

    def __enter__(self) -> FlakyUploader:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def upload(self, *, local: Path, directory: str, name: str) -> None:
        self.tries.append(name)
        if len(self.tries) <= self.failures:
            raise RemoteTransferError(f"sftp://h:22: try {len(self.tries)} timed out")


def delivery_settings(attempts: int) -> ExportSettings:
    return settings(remote={"protocol": "sftp", "host": "h", "username": "u", "password": "pw",
                            "host_key": "SHA256:x", "attempts": attempts, "path": "/in"})


def test_remote_delivery_retries_a_bounded_number_of_times(tmp_path: Path) -> None:
    file = PublishedFile(name="f.csv", key="Downloads/Conditions/f.csv", size=1, path=tmp_path / "f.csv")
    waits: list[float] = []
    uploader = FlakyUploader(failures=1)
    job = FakeJob(delivery_settings(3))
    RemoteFileDelivery(uploader=uploader, sleep=waits.append, delays=(1.0, 5.0)).deliver(
        job, job.task.spec.settings, [file])  # type: ignore[arg-type]
    assert uploader.tries == ["f.csv", "f.csv"] and waits == [1.0]
    assert "Delivered f.csv to sftp://h/in/f.csv (attempt 2)." in job.texts
    failing = FlakyUploader(failures=5)
    job = FakeJob(delivery_settings(2))
    with pytest.raises(WorkerFailure, match=r"after 2 attempt\(s\): sftp://h:22: try 2 timed out\. The file stays "
                                            r"in Downloads/Conditions/f\.csv"):
        RemoteFileDelivery(uploader=failing, sleep=waits.append).deliver(
            job, job.task.spec.settings, [file])  # type: ignore[arg-type]
    assert len(failing.tries) == 2


@dataclass
class FakeMultipart:
    parts: dict[int, bytes] = field(default_factory=dict)
    completed: dict[str, bytes] = field(default_factory=dict)
    aborted: list[str] = field(default_factory=list)

    def start_multipart(self, *, key: str, content_type: str) -> str:
        return "upload-1"

    def upload_part(self, *, key: str, upload_id: str, number: int, source: Path) -> str:
        self.parts[number] = source.read_bytes()
        return f"etag-{number}"

    def complete_multipart(self, *, key: str, upload_id: str, parts: Any) -> None:
        assert [number for number, _ in parts] == sorted(self.parts)
        self.completed[key] = b"".join(self.parts[number] for number, _ in parts)

    def abort_multipart(self, *, key: str, upload_id: str) -> None:
        self.aborted.append(upload_id)


class ContinuingJob(FakeJob):
    """Runs out of time at every checkpoint, like an invocation whose budget is used up."""

    def keep_alive(self, checkpoint: Any = None) -> None:
        if checkpoint is not None:
            self.run.checkpoint = checkpoint
            raise ContinueLater


@pytest.mark.parametrize("file_format", ["csv", "json", "etim_xchange"])
def test_a_text_export_continues_in_fresh_invocations_into_one_multipart_upload(
        monkeypatch: pytest.MonkeyPatch, file_format: str) -> None:
    monkeypatch.setattr("pimtasks.services.catalog_export.SAFE_POINT_EVERY", 3)
    monkeypatch.setattr("pimtasks.services.catalog_export.PART_BYTES", 40)
    records = [record(number) for number in range(10)]
    extra = {"xchange": {"supplier_name": "S"}, "entity": "products", "columns": []} \
        if file_format == "etim_xchange" else {}
    chosen = settings(format=file_format, csv={"bom": True}, **extra)
    # the same export in one invocation, for comparison
    single, single_files = service(records)
    single.run(FakeJob(chosen))  # type: ignore[arg-type]
    expected = next(v for k, v in single_files.contents.items() if "Downloads" in k)

    multipart = FakeMultipart()
    job = ContinuingJob(chosen)
    invocations = 0
    while True:
        export, _ = service(records[int(job.run.checkpoint["after"]) + 1:] if job.run.checkpoint else records)
        export._multipart = multipart
        job.checkpoint = job.run.checkpoint
        invocations += 1
        try:
            export.run(job)  # type: ignore[arg-type]
            break
        except ContinueLater:
            continue
    assert invocations > 2 and len(multipart.parts) >= invocations
    assert multipart.completed["environments/000001/Temp/exports/run1/" + job.run.files[0].key.rsplit("/", 1)[1]] \
        == expected
    assert job.run.counts.written == 10


def test_users_export_with_their_flags_and_a_filter_on_one() -> None:
    users = [ExportRecord(record_id=f"U-{n}", key=(f"U-{n}",), deleted=False, changed_at=BEFORE, position=f"{n:04d}",
                          data={"user_id": f"U-{n}", "email": f"u{n}@example.nl", "active": n != 2})
             for n in (1, 2, 3)]
    export, files = service(users)
    job = FakeJob(settings(export_name="Users", entity="users", columns=["user_id", "email", "active"],
                           filter={"active": "true"}))
    export.run(job)  # type: ignore[arg-type]
    assert files.contents["environments/000001/Downloads/Users/Users.csv"] == (
        b"user_id;email;active\r\nU-1;u1@example.nl;true\r\nU-3;u3@example.nl;true\r\n")
