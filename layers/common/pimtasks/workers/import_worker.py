"""The Import task worker: files waiting in ``Uploads/<Import>/`` into the catalog, batch by batch.

Which files: a run started by an upload (AutoImport) imports that one object version, if it is still the
waiting version of its name; any other run imports every file waiting in the folder, oldest first (on
schedule only with AutoCheck Uploads on). See ``services.import_files`` for when a file counts as waiting.

Per file, in this order:
1. download the pinned version to ``/tmp`` (streamed);
2. open it and read every row once without writing (``scan``): whatever makes a file fail *as a whole*
   (unreadable, unsafe, password-protected, a missing key column, a corrupt row deep down) fails it here,
   so such a file leaves the catalog untouched and goes to ``Failed/<Import>/<run_id>/`` with its report;
3. map, validate and write batch by batch; after each committed batch ``job.keep_alive(checkpoint)`` with
   the file, its version and the resume row: Stop ends the run there, a low time budget continues it in a
   fresh invocation from the next row (the rejected rows so far travel with it);
   With ``full`` set, once every row is written (and unless every row was rejected), the target's records the
   file does not hold are removed (``services.full_import``; tombstones, so deltas carry the removals);
4. write the rejected-rows file and the report under ``Reports/<Import>/<run_id>/``; then, with Archived =
   yes, copy the file to ``Archived/<Import>/<yyyy>/<mm>/<run_id>/``; then delete it from Uploads.
Stopped part-way, the file stays in Uploads; what was committed stays, and the report and run say up to
which row. Imported again later, the committed rows count as ``unchanged`` (writes are idempotent).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pimtasks.clock import Clock
from pimtasks.domain.environment_files import environment_key
from pimtasks.domain.run import MessageLevel, RunCounts, RunFileRole, RunMessage, RunStatus, Trigger
from pimtasks.domain.stored_file import StoredFile
from pimtasks.domain.task_types import ImportMode, ImportSettings, ImportTarget
from pimtasks.imports import (
    DEFAULT_BATCH_SIZE,
    ImportBatch,
    ImportFileError,
    ImportReader,
    MappedRecord,
    NothingImportedError,
    ReadLimits,
    RejectedRow,
    RowError,
    SourceRow,
    TooLargeError,
    read_import,
)
from pimtasks.imports.etim_check import EtimReference
from pimtasks.imports.reading.limits import MIB
from pimtasks.observability import logger
from pimtasks.services.catalog_ports import CatalogReader
from pimtasks.services.catalog_writer import CatalogWriter
from pimtasks.services.full_import import remove_absent
from pimtasks.services.import_files import (
    SETTLE_SECONDS,
    archived_file,
    failed_file,
    is_ready,
    rejected_rows_file,
    report_file,
    uploads_folder,
)
from pimtasks.services.import_report import FileReport, file_report_text
from pimtasks.services.ports import FileStorage
from pimtasks.services.run_job import ContinueLater, RunJob, StopRequested, WorkerFailure
from pimtasks.services.unimportable_uploads import check_importable
from pimtasks.workers.attachment_import import AttachmentImport
from pimtasks.workers.import_checkpoint import FileState, ImportCheckpoint, UploadRef, file_identity
from pimtasks.workers.process_memory import release_freed_memory
from pimtasks.workers.rejected_rows_file import CONTENT_TYPE as REJECTS_CONTENT_TYPE
from pimtasks.workers.rejected_rows_file import RejectsFile

SCAN_KEEP_ALIVE_ROWS = 5000
EtimModels = Callable[[str], EtimReference | None]
"""Environment -> its ETIM model as an import run checks against it (None when it has none)."""


class ImportWorker:
    """The ``TaskWorker`` of type ``import``."""

    def __init__(self, *, files: FileStorage, catalog: CatalogWriter, clock: Clock,
                 removals: CatalogReader | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                 limits: ReadLimits | None = None, workdir: Path | None = None,
                 settle_seconds: float = SETTLE_SECONDS, etim: EtimModels | None = None) -> None:
        self.files = files
        self.catalog = catalog
        self.removals = removals
        self.clock = clock
        self.batch_size = batch_size
        self.limits = limits or ReadLimits()
        self.workdir = workdir
        self.settle_seconds = settle_seconds
        self.etim = etim
        """The environment's ETIM model for product imports (``services.etim_model``); None: never checked."""

    def run(self, job: RunJob) -> RunStatus | None:
        settings = job.task.spec.settings
        if not isinstance(settings, ImportSettings):
            raise WorkerFailure(f"task {job.task.task_id} is not an import task")
        try:
            return ImportRun(worker=self, job=job, settings=settings).execute()
        finally:
            # The run's file, memos and batches are garbage now; a warm function would keep their pages.
            release_freed_memory()


class ImportRun:
    """One invocation's work on one import run."""

    def __init__(self, *, worker: ImportWorker, job: RunJob, settings: ImportSettings) -> None:
        self.worker = worker
        self.files = worker.files
        self.job = job
        self.settings = settings
        self.environment = job.task.environment
        self.run_id = job.run.run_id
        self.state = ImportCheckpoint.model_validate(job.checkpoint or {})
        layout = settings.layout if settings.custom_layout else None
        self.mode = layout.mode if layout else ImportMode.UPSERT
        self._file_position = (0, 1)  # (files before the current one, all files): for the run's progress
        self._etim: EtimReference | None = None
        self._etim_loaded = False

    def execute(self) -> RunStatus:
        """Import every file of this run; the run's status follows from what happened to them."""
        pending = self._pending_files()
        already = len(self.state.done)
        for position, stored in enumerate(pending):
            total = already + len(pending)
            self._file_position = (already + position, total)
            self.job.progress((already + position) / total, f"file {already + position + 1} of {total}: "
                                                             f"{stored.name}")
            self._process(stored)
        self.job.progress(1.0, f"{len(self.state.done)} file(s) done")
        return self._status()

    # --- which files ------------------------------------------------------------------------------
    def _key(self, relative: str) -> str:
        return environment_key(self.environment, relative)

    def _pending_files(self) -> list[StoredFile]:
        if self.state.current is not None:
            resumed = self.state.current.stored()
            rest = [] if self.state.upload is not None else self._waiting_files(exclude=resumed)
            return [resumed, *rest]
        if self.state.upload is not None:
            return self._uploaded_file(self.state.upload)
        if self.job.run.trigger is Trigger.SCHEDULE and not self.settings.auto_check_uploads:
            self._note("AutoCheck Uploads is off: a scheduled run does not look into Uploads "
                       f"({uploads_folder(self.settings.import_name)}).")
            return []
        waiting = self._waiting_files(exclude=None)
        if not waiting and not self.state.done:
            self._note(f"No files waiting in {uploads_folder(self.settings.import_name)}.")
        return waiting

    def _waiting_files(self, *, exclude: StoredFile | None) -> list[StoredFile]:
        # Subfolders too: a file there is never imported, so the run fails it (named) rather than leave it unseen.
        listed = self.files.list_folder(prefix=self._key(uploads_folder(self.settings.import_name)), subfolders=True)
        now = self.worker.clock.now()
        skipped = {file_identity(f.key, f.version_id) for f in ([exclude] if exclude else [])}
        skipped.update(self.state.done)
        ready = [f for f in listed if file_identity(f.key, f.version_id) not in skipped
                 and is_ready(f, now=now, settle_seconds=self.worker.settle_seconds)]
        arriving = [f.name for f in listed if not is_ready(f, now=now, settle_seconds=self.worker.settle_seconds)]
        if arriving and self.job.run.invocations <= 1:
            self._note(f"Left for later (still being uploaded or temporary names): {', '.join(sorted(arriving))}.")
        return sorted(ready, key=lambda f: (f.last_modified, f.key))

    def _uploaded_file(self, upload: UploadRef) -> list[StoredFile]:
        if file_identity(upload.key, upload.version_id) in self.state.done:
            return []
        if not upload.key.startswith(self._key(uploads_folder(self.settings.import_name))):
            raise WorkerFailure(f"the upload {upload.key} is not in this import's folder "
                                f"{uploads_folder(self.settings.import_name)}")
        current = self.files.current_version(key=upload.key)
        if current is None or (upload.version_id is not None and current.version_id != upload.version_id):
            self._note(f"{upload.key.rsplit('/', 1)[-1]} is no longer waiting in "
                       f"{uploads_folder(self.settings.import_name)} (already imported, removed, or replaced by a "
                       "newer upload, which has its own run): nothing to import.")
            return []
        return [current]

    # --- one file ---------------------------------------------------------------------------------
    def _process(self, stored: StoredFile) -> None:
        current = self.state.current
        if current is None or file_identity(current.key, current.version_id) != file_identity(
                stored.key, stored.version_id):
            current = self.state.current = FileState.of(stored)
            self.job.add_file(role=RunFileRole.INPUT, key=self._relative(stored.key), version_id=stored.version_id)
        with tempfile.TemporaryDirectory(prefix="pimtasks-import-", dir=self.worker.workdir) as scratch_dir:
            scratch = Path(scratch_dir)
            rejects = RejectsFile(scratch / "rejected.csv")
            try:
                self._import_file(current, scratch=scratch, rejects=rejects)
            except StopRequested:
                self._end_stopped(current, rejects)
                raise
            except ContinueLater:
                self._hand_over(current, rejects)
                raise
            except ImportFileError as error:
                self._end_failed(current, error, rejects)
            except Exception:  # re-raised at once: only notes in the run how far the file got
                self._note_interrupted(current)
                raise
            else:
                if _nothing_imported(current.counts):
                    self._end_failed(current, NothingImportedError(
                        f"every row was rejected ({current.counts.rejected}); nothing was imported; the reasons are "
                        "in the rejected-rows file"), rejects)
                else:
                    self._end_imported(current, rejects)
        self.job.keep_alive(self._checkpoint())

    def _import_file(self, current: FileState, *, scratch: Path, rejects: RejectsFile) -> None:
        check_importable(key=current.key, size=current.size)  # empty, temporary name, in a subfolder: fails
        if current.size > self.worker.limits.max_file_bytes:
            raise TooLargeError(f"the file is larger than {self.worker.limits.max_file_bytes // MIB} MiB",
                                file=current.name)
        local = scratch / "input"
        self.files.download(key=current.key, version_id=current.version_id, target=local)
        if self.settings.target is ImportTarget.ATTACHMENTS:
            self._import_attachments(current, local, scratch=scratch, rejects=rejects)
            return
        with read_import(local, file_name=current.name, settings=self.settings, limits=self.worker.limits,
                         workdir=scratch, etim=self._etim_model()) as reader:
            if not current.scanned:
                for warning in reader.warnings:
                    self._post(warning)
                current.rows = self._scan(reader)
                current.scanned = True
            rejects.open(header=reader.header, resumed_rows=current.counts.rejected,
                         fetch_partial=lambda path: self.files.download(
                             key=self._key(self._rejects_key(current)), version_id=None, target=path))
            try:
                for batch in reader.batches(resume=current.resume, batch_size=self.worker.batch_size):
                    self._apply(current, batch, rejects)
                    current.resume = batch.resume
                    self.job.keep_alive(self._checkpoint())
                if self.settings.full and not _nothing_imported(current.counts):
                    self._remove_absent(current, reader)
            finally:
                rejects.close()

    def _remove_absent(self, current: FileState, reader: ImportReader) -> None:
        """A full import: remove what the file (read to its end, every key seen) does not hold."""
        if self.worker.removals is None:
            raise WorkerFailure("this import function cannot remove catalog records (full import)")

        def removed(count: int) -> None:
            self.job.count(removed=count)
            current.counts = current.counts.add(RunCounts(removed=count))
            self.job.keep_alive(self._checkpoint())

        remove_absent(catalog=self.worker.removals, environment=self.environment, target=self.settings.target,
                      holds=reader.holds, started_at=self.worker.clock.now(), run_id=self.run_id, removed=removed)

    def _import_attachments(self, current: FileState, local: Path, *, scratch: Path, rejects: RejectsFile) -> None:
        """A ZIP of files (see ``attachment_import``) instead of the row pipeline; counted once, when done.

        Its rejections go to the same rejected-rows file as a row import's, published by the same endings.
        """
        importer = AttachmentImport(files=self.files, catalog=self.worker.catalog, job=self.job,
                                    environment=self.environment, run_id=self.run_id, limits=self.worker.limits,
                                    batch_size=self.worker.batch_size, key=self._key)
        try:
            counts = importer.run(local, file_name=current.name, scratch=scratch, rejects=rejects)
        finally:
            rejects.close()
        self.job.count(**counts.model_dump())
        current.counts = current.counts.add(counts)

    def _etim_model(self) -> EtimReference | None:
        """The environment's ETIM model, read once per invocation and only for products (no model: None)."""
        if not self._etim_loaded:
            self._etim_loaded = True
            if self.worker.etim is not None and self.settings.target is ImportTarget.PRODUCTS:
                self._etim = self.worker.etim(self.environment)
        return self._etim

    def _scan(self, reader: ImportReader) -> int:
        """Read every row once, writing nothing: a file that fails as a whole fails here. Returns the rows."""
        rows = 0
        for table in reader.source.tables:
            for _ in table.rows():
                rows += 1
                if rows % SCAN_KEEP_ALIVE_ROWS == 0:
                    self.job.keep_alive()
        return rows

    def _apply(self, current: FileState, batch: ImportBatch, rejects: RejectsFile) -> None:
        """Write one batch to the catalog and report it."""
        outcome = self.worker.catalog.write(environment=self.environment, target=self.settings.target,
                                            mode=self.mode, records=batch.records, run_id=self.run_id)
        rejected = [*batch.rejected, *(refused_row(record, reason) for record, reason in outcome.refused)]
        rejects.write(rejected)
        for row in rejected:
            for error in row.errors:
                self._post(error.to_message())
        for warning in batch.warnings:
            self._post(warning)
        delta = RunCounts(read=batch.rows_read, created=outcome.created, updated=outcome.updated,
                          unchanged=outcome.unchanged, rejected=len(rejected))
        self.job.count(**delta.model_dump())
        current.counts = current.counts.add(delta)
        current.kept_existing += outcome.kept_existing
        self._report_progress(current, batch.resume.row)

    def _report_progress(self, current: FileState, row: int) -> None:
        """The run's fraction: whole files done plus the share of the current file's rows read."""
        before, total = self._file_position
        share = min(current.counts.read / current.rows, 1.0) if current.rows else 0.0
        of_rows = f" ({current.counts.read} of {current.rows} rows)" if current.rows else ""
        self.job.progress((before + share) / total, f"{current.name}: row {row}{of_rows}")

    # --- endings ----------------------------------------------------------------------------------
    def _end_imported(self, current: FileState, rejects: RejectsFile) -> None:
        rejected_key = self._publish_rejects(current, rejects)
        destination = "deleted from Uploads (Archived = no)"
        if self.settings.archived:
            archived = archived_file(import_name=self.settings.import_name, run_id=self.run_id,
                                     file_name=current.name, when=self.worker.clock.now())
            self.files.copy(source_key=current.key, version_id=current.version_id, target_key=self._key(archived))
            self.job.add_file(role=RunFileRole.ARCHIVED, key=archived)
            destination = archived
        if self.settings.full:
            self._note(f"Full import: removed {current.counts.removed} {self.settings.target.value} record(s) "
                       f"{current.name} does not hold.", file=current.name)
        if current.kept_existing:
            self._note(f"{current.kept_existing} row(s) left alone: their records are already in the catalog "
                       "(mode insert_only).", file=current.name)
        outcome = "imported" + (f"; {current.counts.rejected} row(s) rejected" if current.counts.rejected else "")
        if self.settings.full:
            outcome += f"; full import: {current.counts.removed} record(s) it does not hold removed"
        self._write_report(current, outcome=outcome, destination=destination, rejected_key=rejected_key)
        self.files.remove(key=current.key, version_id=current.version_id)
        counts = current.counts
        self._note(f"Imported {current.name}: {counts.text()}.", file=current.name)
        self._file_done(current, imported=True)

    def _end_failed(self, current: FileState, error: ImportFileError, rejects: RejectsFile) -> None:
        error.with_file(current.name)
        self._post(error.to_message())
        failed = failed_file(import_name=self.settings.import_name, run_id=self.run_id, file_name=current.name)
        self.files.copy(source_key=current.key, version_id=current.version_id, target_key=self._key(failed))
        self.job.add_file(role=RunFileRole.FAILED, key=failed)
        if current.resume is None or isinstance(error, NothingImportedError):
            outcome = f"failed as a whole, the catalog is unchanged by this file: {error.message}"
        else:
            # Not expected after the scan (the version is pinned); said plainly if it ever happens.
            outcome = (f"failed after row {current.resume.row}: {error.message}; the rows up to there were "
                       "imported and stay in the catalog")
        rejected_key = self._publish_rejects(current, rejects)
        text = self._write_report(current, outcome=outcome, destination=failed, rejected_key=rejected_key)
        self.files.put_text(key=self._key(f"{failed}.report.txt"), text=text)
        self.files.remove(key=current.key, version_id=current.version_id)
        self._file_done(current, imported=False)

    def _end_stopped(self, current: FileState, rejects: RejectsFile) -> None:
        rejected_key = self._publish_rejects(current, rejects)
        folder = uploads_folder(self.settings.import_name)
        if current.resume is None:
            outcome = f"stopped by request before any row was imported; the file stays in {folder}"
        else:
            outcome = (f"stopped by request after row {current.resume.row}: the rows up to there are committed; "
                       f"the file stays in {folder} and is imported again (from its first row) next time")
        self._write_report(current, outcome=outcome, destination=self._relative(current.key),
                           rejected_key=rejected_key)
        self.job.message(MessageLevel.WARNING, f"{current.name}: {outcome}.", file=current.name,
                         row=current.resume.row if current.resume else None)

    def _hand_over(self, current: FileState, rejects: RejectsFile) -> None:
        """Before a continuation: keep the rejected rows so far where the next invocation finds them."""
        rejects.close()
        if rejects.has_rows:
            self.files.upload(key=self._key(self._rejects_key(current)), source=rejects.path,
                              content_type=REJECTS_CONTENT_TYPE)

    def _note_interrupted(self, current: FileState) -> None:
        last = current.resume.row if current.resume else None
        where = f"after row {last} (rows up to there are committed)" if last else "before any row was imported"
        self.job.message(MessageLevel.ERROR, f"{current.name}: the import broke off {where}; the file stays in "
                         f"{uploads_folder(self.settings.import_name)}.", file=current.name, row=last)
        logger.warning("import of a file broke off", extra={"run_id": self.run_id, "last_row": last})

    def _file_done(self, current: FileState, *, imported: bool) -> None:
        self.state.done.append(file_identity(current.key, current.version_id))
        self.state.current = None
        if imported:
            self.state.files_imported += 1
        else:
            self.state.files_failed += 1

    def _status(self) -> RunStatus:
        if self.state.files_failed and not self.state.files_imported:
            raise WorkerFailure(f"{self.state.files_failed} file(s) failed as a whole; they are in "
                                f"Failed/{self.settings.import_name}/{self.run_id}/ with their reports.")
        if self.state.files_failed or self.job.run.counts.rejected:
            return RunStatus.PARTIALLY_SUCCEEDED
        return RunStatus.SUCCEEDED

    # --- reports and files ------------------------------------------------------------------------
    def _rejects_key(self, current: FileState) -> str:
        return rejected_rows_file(import_name=self.settings.import_name, run_id=self.run_id, file_name=current.name)

    def _publish_rejects(self, current: FileState, rejects: RejectsFile) -> str | None:
        rejects.close()
        if not rejects.has_rows:
            return None
        key = self._rejects_key(current)
        self.files.upload(key=self._key(key), source=rejects.path, content_type=REJECTS_CONTENT_TYPE)
        self.job.add_file(role=RunFileRole.REJECTED_ROWS, key=key)
        return key

    def _write_report(self, current: FileState, *, outcome: str, destination: str,
                      rejected_key: str | None) -> str:
        messages = [m for m in self.job.run.messages if m.file and (m.file == current.name
                                                                     or m.file.startswith(current.name + "/"))]
        text = self._report_text(current, outcome=outcome, destination=destination, rejected_key=rejected_key,
                                 messages=messages)
        key = report_file(import_name=self.settings.import_name, run_id=self.run_id, file_name=current.name)
        self.files.put_text(key=self._key(key), text=text)
        self.job.add_file(role=RunFileRole.REPORT, key=key)
        return text

    def _report_text(self, current: FileState, *, outcome: str, destination: str, rejected_key: str | None,
                     messages: list[RunMessage]) -> str:
        return file_report_text(FileReport(
            task_description=self.job.task.spec.description, environment=self.environment, run_id=self.run_id,
            trigger=self.job.run.trigger.value, file_name=current.name, file_key=self._relative(current.key),
            version_id=current.version_id, size=current.size, uploaded_at=current.stored().last_modified,
            outcome=outcome, counts=current.counts, last_row=current.resume.row if current.resume else None,
            destination=destination, rejected_rows_key=rejected_key, messages=messages,
            messages_not_shown=self.job.run.messages_truncated,
        ))

    def _relative(self, key: str) -> str:
        return key.removeprefix(environment_key(self.environment, ""))

    def _checkpoint(self) -> dict[str, Any]:
        return self.state.model_dump(mode="json")

    def _post(self, message: RunMessage) -> None:
        self.job.message(message.level, message.text, file=message.file, sheet=message.sheet, row=message.row,
                         column=message.column, value=message.value)

    def _note(self, text: str, *, file: str | None = None) -> None:
        self.job.message(MessageLevel.INFO, text, file=file)


def refused_row(record: MappedRecord, reason: str) -> RejectedRow:
    """A mapped row the catalog refused (mode, or an invalid merge), as a rejected row.

    The mapped record does not carry the input cells, so the row shows the catalog fields the file set
    (named by field; the rejected-rows file puts them under ``other_columns`` when the header differs).
    """
    data = record.record.model_dump(mode="json")
    names = tuple(sorted(record.fields))
    values = tuple(_field_text(data, name) for name in names)
    source = SourceRow(record.file, record.sheet, record.row, names, values)
    key_text = ", ".join(part for part in record.key if part) or None
    return RejectedRow(source, (RowError(record.file, record.sheet, record.row, None, key_text, reason),))


def _field_text(data: dict[str, Any], path: str) -> str | None:
    name, _, part = path.partition(".")
    value = data.get(name)
    if part and isinstance(value, dict):
        value = value.get(part)
    if value is None:
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _nothing_imported(counts: RunCounts) -> bool:
    """Rows were read and every one was rejected (an empty file fails earlier, with its own message)."""
    return counts.rejected > 0 and counts.created + counts.updated + counts.unchanged == 0
