"""The work of an Export task: select catalog records, write them in the task's format, publish the file.

1. **Select.** The catalog is read in change order (``ExportCatalog``): everything, or with ``only_changed``
   what changed since the *start* of the last successful run (``DeltaWindow``; the first run is full). A record
   changed after this run started is left for the next run (whose window starts here), so a record is never
   written twice or in two versions into one file. The filter (field = value) narrows the selection.
2. **Write** to local disk, streamed, at constant memory (``pimtasks.exports``). A text format (CSV, JSON,
   xChange) sends every ``PART_BYTES`` it wrote as a part of a multipart upload to the temporary key and
   checkpoints the feed position after it, so a long export continues in a fresh invocation into the same upload
   (XLSX is zipped at the end: it runs in one invocation).
3. **Publish.** The file goes to a temporary key (``Temp/exports/<run_id>/``) and, only when it is complete,
   is copied to ``Downloads/<export>/<file name>`` and the temporary copy removed: a reader of Downloads (the
   files API, FTPS) never sees half a file. A run that writes nothing (nothing selected, or every selected record
   skipped) publishes no file unless ``publish_empty``, and says so.
4. **Deliver** by e-mail (``email_file_to``: attached up to 7 MB, else a download link) and to the remote
   server of the settings (``RemoteDelivery``).
Another task type that publishes a catalog file (Export Artikelbeheer.nl) calls ``export`` with settings it derives,
a ``SkipRule`` narrowing the selection with a counted reason, and its own ``FileDelivery``.
The run's counts say how many records were selected, written and skipped (each reason a message); its files
list the published file(s); its messages give the file name, size and destination.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pimtasks.clock import Clock, iso, parse_iso
from pimtasks.domain.environment_files import environment_key
from pimtasks.domain.frequency import DEFAULT_TIMEZONE
from pimtasks.domain.run import MessageLevel, RunFileRole, RunStatus
from pimtasks.domain.task_types import ExportFormat, ExportSettings
from pimtasks.exports.columns import Column, export_columns, matches, values_reader
from pimtasks.exports.file_names import render_file_name
from pimtasks.exports.formats import EXTENSIONS, content_type, open_writer
from pimtasks.exports.writers import ExportRow, ExportWarning, ExportWriter, WrittenFile
from pimtasks.services.delta_window import DeltaWindow
from pimtasks.services.export_ports import DownloadLinks, ExportCatalog, ExportRecord, FileMailer, MultipartUploads
from pimtasks.services.ports import EnvironmentLookup, FileStorage
from pimtasks.services.run_job import RunJob, StopRequested, WorkerFailure

MAIL_ATTACHMENT_LIMIT = 7 * 1024 * 1024
"""Files up to this size (all parts together) are attached; larger ones are mailed as a link."""
LINK_SECONDS = 7 * 24 * 3600
"""How long a mailed download link works (a presigned URL's maximum)."""
SAFE_POINT_EVERY = 1000
PART_BYTES = 8 * 1024 * 1024
"""A text export's local file is sent as a multipart part (and checkpointed) once it holds this much (S3's
minimum part is 5 MiB)."""
WARNINGS_LISTED = 50
"""Warnings reported one by one; beyond that a count per field."""

SKIP_REMOVED = "removed from the catalog (set include_removed for a JSON export to list removals)"
SKIP_REMOVED_FORMAT = "removed from the catalog; only a JSON export can list a removal"
SKIP_CHANGED_DURING_RUN = "changed after this run started: exported by the next run"


@dataclass(frozen=True)
class PublishedFile:
    name: str
    key: str
    """Relative to the environment (``Downloads/<export>/<name>``)."""
    size: int
    path: Path


class RemoteDelivery(Protocol):
    """Where published files also go (an FTPS or SFTP server)."""

    def deliver(self, job: RunJob, settings: ExportSettings, files: Sequence[PublishedFile]) -> None: ...


RemoteFactory = Callable[[ExportSettings], RemoteDelivery | None]
SkipRule = Callable[[dict[str, Any]], str | None]
"""Why a record the settings select is still not written (a reason the run counts as skipped), or None to write
it; given a record's JSON-form data."""


class FileDelivery(Protocol):
    """Where the published files go instead of the settings' remote server (a caller's own transport). It gets
    the files while their local copies still exist."""

    def deliver(self, job: RunJob, files: Sequence[PublishedFile]) -> None: ...


class CatalogExport:
    def __init__(self, *, catalog: ExportCatalog, files: FileStorage, environments: EnvironmentLookup,
                 delta: DeltaWindow, clock: Clock, mailer: FileMailer | None = None,
                 links: DownloadLinks | None = None, remote: RemoteFactory | None = None,
                 multipart: MultipartUploads | None = None) -> None:
        self._catalog = catalog
        self._files = files
        self._environments = environments
        self._delta = delta
        self._clock = clock
        self._mailer = mailer
        self._links = links
        self._remote = remote
        self._multipart = multipart

    def run(self, job: RunJob) -> RunStatus | None:
        settings = job.task.spec.settings
        if not isinstance(settings, ExportSettings):
            raise WorkerFailure(f"a {job.task.spec.type} task is not an Export task")
        self.export(job, settings)
        return None

    def export(self, job: RunJob, settings: ExportSettings, *, skip: SkipRule | None = None,
               delivery: FileDelivery | None = None) -> list[PublishedFile]:
        """Select, write, publish and deliver per ``settings``; the files published (none when nothing was
        selected). ``skip`` narrows the selection with a counted reason; ``delivery`` replaces the remote."""
        started = job.run.started_at or self._clock.now()
        resumed = job.checkpoint
        local_start = started.astimezone(self._zone(job.run.environment))
        if resumed is None:
            since = self._since(job, settings)
            file_name = render_file_name(settings.file_name, export=settings.export_name, started_at=local_start,
                                         run_id=job.run.run_id, extension=EXTENSIONS[settings.format])
        else:  # a continuation: the window and the name were fixed by the run's first invocation
            since = parse_iso(resumed["since"]) if resumed.get("since") else None
            file_name = str(resumed["file_name"])
        columns = export_columns(settings)
        with tempfile.TemporaryDirectory(prefix="export-") as directory:
            writer = open_writer(settings, columns=columns, directory=Path(directory), file_name=file_name,
                                 full=since is None, today=local_start.date(),
                                 resume=resumed.get("writer") if resumed else None)
            parts = _Parts.resumed(resumed, key=environment_key(job.run.environment,
                                                                f"Temp/exports/{job.run.run_id}/{file_name}"))
            window = _Window(since=since, started=started, file_name=file_name, content_type=content_type(settings))
            try:
                skipped = self._write_selection(job, settings, writer, columns=columns, window=window, parts=parts,
                                                skip=skip)
            except StopRequested:
                writer.abort()
                self._abort_parts(parts)
                raise
            except BaseException:  # also ContinueLater: the parts sent so far stay, the checkpoint names them
                writer.abort()
                raise
            self._report_warnings(job, writer.output.warnings)
            self._report_skipped(job, skipped)
            if job.run.counts.written == 0 and not self._publishes_empty(job, settings, since=since):
                writer.abort()
                self._abort_parts(parts)
                return []
            published = self._publish(job, settings, writer.finish(), parts=parts,
                                       keep_local=settings.remote is not None or delivery is not None)
            self._deliver(job, settings, published, delivery=delivery)
        return published

    # --- selection ---------------------------------------------------------------------------------
    def _since(self, job: RunJob, settings: ExportSettings) -> dt.datetime | None:
        if not settings.only_changed:
            return None
        since = self._delta.since(environment=job.run.environment, task_id=job.run.task_id,
                                  current_run_id=job.run.run_id)
        job.message(MessageLevel.INFO, f"Only changed records: since {iso(since)} (the start of the last "
                                       "successful run)." if since else
                    "Only changed records: no successful run yet, so everything is exported.")
        return since

    def _zone(self, environment: str) -> ZoneInfo:
        found = self._environments.find_environment(environment)
        return ZoneInfo(found.timezone if found else DEFAULT_TIMEZONE)

    def _write_selection(self, job: RunJob, settings: ExportSettings, writer: ExportWriter, *,
                         columns: Sequence[Column], window: _Window, parts: _Parts,
                         skip: SkipRule | None) -> Counter[str]:
        """Write every selected record; the reasons of those skipped, counted."""
        skipped: Counter[str] = Counter()
        lists_removals = settings.format is ExportFormat.JSON and settings.include_removed
        tally = _Tally()
        read_values = values_reader(columns)
        started, since = window.started, window.since
        after = job.checkpoint.get("after") if job.checkpoint else None
        for record in self._catalog.records_for_export(environment=job.run.environment, entity=settings.entity,
                                                       since=since, after=after):
            tally.handled += 1
            if record.deleted or record.changed_at > started:
                reason = self._skip_reason(record, settings, since=since, started=started,
                                           lists_removals=lists_removals)
            elif not matches(record.data, settings.filter):
                reason = ""  # not selected at all
            else:
                reason = skip(record.data) if skip is not None else None
            if reason is not None:
                if reason:  # a tombstone in a full export is simply not part of the catalog
                    tally.skipped += 1
                    skipped[reason] += 1
            else:
                writer.write(ExportRow(key=record.key, data=record.data, values=read_values(record.data),
                                       deleted=record.deleted))
                tally.written += 1
            if tally.handled % SAFE_POINT_EVERY == 0:
                tally.flush(job)
                job.progress(None, f"{job.run.counts.written} records written")
                self._safe_point(job, writer, parts, skipped, window=window, position=record.position)
        tally.flush(job)
        job.progress(1.0, f"{job.run.counts.written} records written")
        return skipped

    def _safe_point(self, job: RunJob, writer: ExportWriter, parts: _Parts, skipped: Counter[str], *,
                    window: _Window, position: str) -> None:
        """Stop is honoured here (the file is not published). A text format whose local file holds a part's worth
        sends it into the multipart upload and checkpoints after ``position``: a fresh invocation goes on from
        there into the same upload when this one's time runs low."""
        if self._multipart is None or not writer.resumable:
            job.keep_alive()
            return
        path, size = writer.segment()
        if size < PART_BYTES:
            job.keep_alive()
            return
        if parts.upload_id is None:
            parts.upload_id = self._multipart.start_multipart(key=parts.key, content_type=window.content_type)
        number = len(parts.sent) + 1
        parts.sent.append((number, self._multipart.upload_part(key=parts.key, upload_id=parts.upload_id,
                                                               number=number, source=path)))
        parts.size += size
        writer.clear_segment()
        # What this invocation found so far goes into the run now: the checkpoint carries no messages.
        self._report_warnings(job, writer.output.warnings)
        writer.output.warnings.clear()
        self._report_skipped(job, skipped)
        skipped.clear()
        job.keep_alive({"after": position, "since": iso(window.since) if window.since else None,
                        "file_name": window.file_name, "writer": writer.state(), **parts.checkpoint()})

    def _abort_parts(self, parts: _Parts) -> None:
        if self._multipart is not None and parts.upload_id is not None:
            self._multipart.abort_multipart(key=parts.key, upload_id=parts.upload_id)

    @staticmethod
    def _skip_reason(record: ExportRecord, settings: ExportSettings, *, since: dt.datetime | None,
                     started: dt.datetime, lists_removals: bool) -> str | None:
        """Why a record is not written (empty text: not selected at all), or None to write it."""
        if record.changed_at > started:
            return SKIP_CHANGED_DURING_RUN if matches(record.data, settings.filter) else ""
        if record.deleted:
            if since is None or not matches(record.data, settings.filter):
                return ""
            if lists_removals:
                return None
            return SKIP_REMOVED_FORMAT if settings.include_removed else SKIP_REMOVED
        return None

    def _publishes_empty(self, job: RunJob, settings: ExportSettings, *, since: dt.datetime | None) -> bool:
        """Whether a run that wrote no record publishes a file all the same (``publish_empty``); says which. A run
        whose every selected record was skipped writes nothing either: an empty file is never published unasked."""
        skipped = job.run.counts.selected
        if skipped:
            what, nothing = f"Every selected record was skipped ({skipped})", "nothing written"
        else:
            scope = f"changed since {iso(since)}" if since else "in the catalog"
            what = f"No {settings.entity.value.replace('_', ' ')} {scope}" + (
                f" match the filter {settings.filter}" if settings.filter else "")
            nothing = "nothing selected"
        if not settings.publish_empty:
            # Named only when it is the task's own setting (not one of settings derived for another task type).
            named = " (publish_empty is off)" if job.task.spec.settings is settings else ""
            job.message(MessageLevel.INFO, f"{what}: {nothing}, so no file is published{named}.")
            return False
        if settings.format is ExportFormat.ETIM_XCHANGE:
            job.message(MessageLevel.INFO, f"{what}: {nothing}, and an ETIM xChange file needs at least one "
                                           "product, so no file is published.")
            return False
        job.message(MessageLevel.INFO, f"{what}: {nothing}; an empty file is published (publish_empty).")
        return True

    # --- report ------------------------------------------------------------------------------------
    @staticmethod
    def _report_warnings(job: RunJob, warnings: Sequence[ExportWarning]) -> None:
        for warning in warnings[:WARNINGS_LISTED]:
            job.message(MessageLevel.WARNING, f"Record {warning.record}, field {warning.field}: {warning.text}.",
                        column=warning.field, value=warning.record)
        rest = Counter(warning.field for warning in warnings[WARNINGS_LISTED:])
        for name, count in rest.items():
            job.message(MessageLevel.WARNING, f"... and {count} more warnings about field {name}.", column=name)

    @staticmethod
    def _report_skipped(job: RunJob, skipped: Counter[str]) -> None:
        for reason, count in skipped.most_common():
            job.message(MessageLevel.INFO, f"Skipped {count} record{'s' if count != 1 else ''}: {reason}.")

    # --- publish and deliver -----------------------------------------------------------------------
    def _publish(self, job: RunJob, settings: ExportSettings, written: Sequence[WrittenFile], *,
                 parts: _Parts, keep_local: bool) -> list[PublishedFile]:
        environment = job.run.environment
        kind = content_type(settings)
        published = []
        for file in written:
            relative = f"Downloads/{settings.export_name}/{file.name}"
            if parts.upload_id is not None:
                size = self._complete_parts(parts, file, keep_local=keep_local)
                temporary = parts.key
            else:
                temporary = environment_key(environment, f"Temp/exports/{job.run.run_id}/{file.name}")
                self._files.upload(key=temporary, source=file.path, content_type=kind)
                size = file.path.stat().st_size
            self._files.copy(source_key=temporary, version_id=None, target_key=environment_key(environment, relative))
            self._files.remove(key=temporary, version_id=None)
            job.add_file(role=RunFileRole.OUTPUT, key=relative)
            job.message(MessageLevel.INFO, f"Published {file.name} ({size:,} bytes, {job.run.counts.written} "
                                           f"records in all) to {relative}.", file=file.name)
            published.append(PublishedFile(name=file.name, key=relative, size=size, path=file.path))
        return published

    def _complete_parts(self, parts: _Parts, file: WrittenFile, *, keep_local: bool) -> int:
        """Send the rest as the last part, complete the upload; the whole file's size. The local file holds only
        the last part, so an export delivered to a remote server (``keep_local``) fetches the whole file back."""
        assert self._multipart is not None and parts.upload_id is not None
        size = file.path.stat().st_size
        if size:
            number = len(parts.sent) + 1
            parts.sent.append((number, self._multipart.upload_part(key=parts.key, upload_id=parts.upload_id,
                                                                   number=number, source=file.path)))
        self._multipart.complete_multipart(key=parts.key, upload_id=parts.upload_id, parts=parts.sent)
        if keep_local:
            self._files.download(key=parts.key, version_id=None, target=file.path)
        return parts.size + size

    def _deliver(self, job: RunJob, settings: ExportSettings, published: Sequence[PublishedFile], *,
                 delivery: FileDelivery | None) -> None:
        if settings.email_file_to:
            self._mail(job, settings, published)
        if delivery is not None:
            delivery.deliver(job, published)
        elif settings.remote is not None and self._remote is not None:
            remote = self._remote(settings)
            if remote is not None:
                remote.deliver(job, settings, published)

    def _mail(self, job: RunJob, settings: ExportSettings, published: Sequence[PublishedFile]) -> None:
        if self._mailer is None:
            job.message(MessageLevel.WARNING, "The file is not mailed: this installation has no mail sender.")
            return
        subject = f"[pimtasks {job.run.environment}] Export {settings.export_name}: {published[0].name}"
        total = sum(file.size for file in published)
        to = list(settings.email_file_to)
        if total <= MAIL_ATTACHMENT_LIMIT and len(published) == 1:
            file = published[0]
            self._mailer.send_with_file(to=to, subject=subject, file=file.path, file_name=file.name,
                                        content_type=content_type(settings),
                                        text=f"The export {settings.export_name} ({job.run.counts.written} "
                                             f"records) is attached: {file.name}, {file.size:,} bytes.\n")
            job.message(MessageLevel.INFO, f"Mailed {file.name} as an attachment to {', '.join(to)}.")
            return
        if self._links is None:
            raise WorkerFailure("the file is too large to attach and no download links can be made")
        lines = [f"The export {settings.export_name} ({job.run.counts.written} records, {total:,} bytes) is too "
                 f"large to attach (over {MAIL_ATTACHMENT_LIMIT // (1024 * 1024)} MB) or has several parts. "
                 f"Download links (valid {LINK_SECONDS // 86400} days):", ""]
        for file in published:
            url = self._links.presigned_get(key=environment_key(job.run.environment, file.key),
                                            expires_seconds=LINK_SECONDS, file_name=file.name)
            lines.append(f"{file.name} ({file.size:,} bytes): {url}")
        self._mailer.send(to=to, subject=subject, text="\n".join(lines) + "\n")
        job.message(MessageLevel.INFO, f"Mailed a download link for {len(published)} file(s) ({total:,} bytes) to "
                                       f"{', '.join(to)}.")


@dataclass(frozen=True)
class _Window:
    """What one run's invocations share: the delta window, the run's start, the file and its content type."""

    since: dt.datetime | None
    started: dt.datetime
    file_name: str
    content_type: str


@dataclass
class _Parts:
    """The multipart upload of a text export sent in parts (none until the first part is due)."""

    key: str
    upload_id: str | None = None
    sent: list[tuple[int, str]] = field(default_factory=list)
    size: int = 0

    @classmethod
    def resumed(cls, checkpoint: dict[str, Any] | None, *, key: str) -> _Parts:
        if not checkpoint or not checkpoint.get("upload_id"):
            return cls(key=key)
        return cls(key=key, upload_id=str(checkpoint["upload_id"]),
                   sent=[(int(number), str(etag)) for number, etag in checkpoint["parts"]],
                   size=int(checkpoint["parts_size"]))

    def checkpoint(self) -> dict[str, Any]:
        return {"upload_id": self.upload_id, "parts": [list(part) for part in self.sent], "parts_size": self.size}


@dataclass
class _Tally:
    """Counts kept locally and added to the run at safe points (a run's counts are a model copied per change)."""

    handled: int = 0
    written: int = 0
    skipped: int = 0

    def flush(self, job: RunJob) -> None:
        if self.written or self.skipped:
            job.count(selected=self.written + self.skipped, written=self.written, skipped=self.skipped)
        self.written = self.skipped = 0
