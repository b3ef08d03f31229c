"""AutoImport: an upload into ``Uploads/<Import>/`` starts the environment's import tasks for that folder.

S3 ``ObjectCreated`` events reach the import function through the uploads queue. For each upload, every
import task of the environment with that ``import_name`` and AutoImport on gets a run (trigger ``upload``)
for exactly that object version:
- the run id derives from (task, bucket, key, version): a redelivered message finds its run already there
  and starts nothing new (a run still queued, e.g. after a crash between queueing and dispatching, is
  dispatched again, which is harmless: a run is claimed only once);
- the version must still be the waiting one: a message that arrives after its file was imported, removed
  or replaced starts nothing;
- when a task already has an active run, ``ImportTaskBusyError`` is raised so the message is reported as
  a batch item failure and SQS delivers it again after the queue's visibility timeout (the file waits in
  Uploads meanwhile; a scheduled AutoCheck run, if the task has one, may import it first, and then the
  redelivered message finds nothing waiting). After ``maxReceiveCount`` busy deliveries the message goes to
  the uploads dead-letter queue, which has an alarm; the file itself is still in Uploads.
What cannot be imported as it is still gets its run, which fails it with the reason and moves it to
``Failed/`` (see ``services.import_files``): an empty file, a file in a subfolder of the import, and a file
left under a temporary name. A temporary name (``x.xlsx.part``) is what FTPS clients upload to before they
rename the file, so its upload starts nothing at once; AutoImport asks to see it again after
``TEMPORARY_UPLOAD_GRACE_SECONDS`` (a delayed message on the uploads queue, ``UploadRechecks``): renamed
meanwhile, it is gone and the rename's own upload was imported; still there, it was left behind and its run
fails it.
An import that waits for a predecessor (interdependent imports) is not started by its uploads
(**decision**): "prices after articles" must hold for uploads too, so its files wait in Uploads until the
predecessor's run ends and starts it.
"""

from __future__ import annotations

from typing import Protocol

from pimtasks.domain.identifiers import upload_run_id
from pimtasks.domain.run import Run, RunStatus, Trigger
from pimtasks.domain.stored_file import StoredFile
from pimtasks.domain.task import Task
from pimtasks.domain.task_types import ImportSettings
from pimtasks.domain.upload_event import UploadEvent
from pimtasks.errors import ConflictError, RunAlreadyActiveError, RunExistsError
from pimtasks.observability import logger
from pimtasks.services.import_files import (
    TEMPORARY_UPLOAD_GRACE_SECONDS,
    UploadLocation,
    is_transient_name,
    parse_upload_key,
    upload_checkpoint,
)
from pimtasks.services.ports import FileStorage, RunStore, TaskStore
from pimtasks.services.runs import RunService


class ImportTaskBusyError(ConflictError):
    """An upload's import task is running: deliver the upload again later."""

    def __init__(self, *, key: str, busy: list[str]) -> None:
        super().__init__(f"import task(s) {', '.join(busy)} busy; upload {key} is retried later")
        self.key = key
        self.busy = busy


class UploadRechecks(Protocol):
    """Brings an upload event back later (``pimtasks.adapters.upload_queue``: a delayed SQS message)."""

    def recheck_later(self, event: UploadEvent, *, delay_seconds: int) -> None: ...


class AutoImport:
    """Turns upload events into import runs."""

    def __init__(self, *, tasks: TaskStore, runs: RunStore, starter: RunService, files: FileStorage,
                 bucket: str, rechecks: UploadRechecks | None = None,
                 recheck_delay_seconds: int = TEMPORARY_UPLOAD_GRACE_SECONDS) -> None:
        self._tasks = tasks
        self._runs = runs
        self._starter = starter
        self._files = files
        self._bucket = bucket
        self._rechecks = rechecks
        self._recheck_delay = recheck_delay_seconds

    def on_upload(self, event: UploadEvent) -> list[Run]:
        """Start the runs ``event`` calls for; returns the runs started now (none for a duplicate)."""
        location = parse_upload_key(event.key)
        if event.bucket != self._bucket or location is None:
            logger.debug("object is not an upload of an import", extra={"key": event.key})
            return []
        tasks = [task for task in self._tasks.list(environment=location.environment)
                 if _auto_imports(task, location.import_name)]
        if not tasks:
            return []
        if _awaits_rename(location) and not event.recheck:
            self._recheck_later(event)
            return []
        waiting = self._waiting(event)
        if waiting is None:
            logger.info("upload no longer waiting; nothing to start", extra={"key": event.key})
            return []
        started: list[Run] = []
        busy: list[str] = []
        for task in tasks:
            try:
                run = self._start(task, event, version_id=event.version_id or waiting.version_id)
            except RunAlreadyActiveError:
                busy.append(task.task_id)
                continue
            if run is not None:
                started.append(run)
        if busy:
            raise ImportTaskBusyError(key=event.key, busy=busy)
        return started

    def _recheck_later(self, event: UploadEvent) -> None:
        """Look at a temporary name again once its client had time to rename it."""
        if self._rechecks is None:  # only where no uploads queue is configured (some tests, tools)
            logger.warning("upload under a temporary name is not looked at again: no uploads queue",
                           extra={"key": event.key})
            return
        self._rechecks.recheck_later(event, delay_seconds=self._recheck_delay)
        logger.info("upload under a temporary name: looked at again later",
                    extra={"key": event.key, "delay_seconds": self._recheck_delay})

    def _waiting(self, event: UploadEvent) -> StoredFile | None:
        """The upload as it waits in its folder; None when it was imported, removed or replaced meanwhile."""
        current = self._files.current_version(key=event.key)
        if current is None or (event.version_id and current.version_id != event.version_id):
            return None
        return current

    def _start(self, task: Task, event: UploadEvent, *, version_id: str | None) -> Run | None:
        run_id = upload_run_id(environment=task.environment, task_id=task.task_id, bucket=event.bucket,
                               key=event.key, upload_identity=event.identity)
        checkpoint = upload_checkpoint(key=event.key, version_id=version_id)
        try:
            run = self._starter.queue_run(task, trigger=Trigger.UPLOAD, run_id=run_id, checkpoint=checkpoint)
        except RunExistsError:
            existing = self._runs.find(environment=task.environment, run_id=run_id)
            if existing is not None and existing.status is RunStatus.QUEUED:
                self._starter.dispatch(existing)
            return None
        self._starter.dispatch(run)
        logger.info("AutoImport run started", extra={"run_id": run.run_id, "task_id": task.task_id})
        return run


def _awaits_rename(location: UploadLocation) -> bool:
    """A temporary name directly in the import's folder: the client's rename is still to come (in a subfolder
    the file fails whatever its name, so there is nothing to wait for)."""
    return not location.subfolder and is_transient_name(location.file_name)


def _auto_imports(task: Task, import_name: str) -> bool:
    settings = task.spec.settings
    return (isinstance(settings, ImportSettings) and settings.import_name == import_name and settings.auto_import
            and settings.predecessor_task_id is None)
