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
Temporary names and zero-byte objects are ignored (see ``services.import_files``). An import that waits for
a predecessor (interdependent imports) is not started by its uploads (**decision**): "prices after articles"
must hold for uploads too, so its files wait in Uploads until the predecessor's run ends and starts it.
"""

from __future__ import annotations

from pimtasks.domain.identifiers import upload_run_id
from pimtasks.domain.run import Run, RunStatus, Trigger
from pimtasks.domain.stored_file import StoredFile
from pimtasks.domain.task import Task
from pimtasks.domain.task_types import ImportSettings
from pimtasks.domain.upload_event import UploadEvent
from pimtasks.errors import ConflictError, RunAlreadyActiveError, RunExistsError
from pimtasks.observability import logger
from pimtasks.services.import_files import is_transient_name, parse_upload_key, upload_checkpoint
from pimtasks.services.ports import FileStorage, RunStore, TaskStore
from pimtasks.services.runs import RunService


class ImportTaskBusyError(ConflictError):
    """An upload's import task is running: deliver the upload again later."""

    def __init__(self, *, key: str, busy: list[str]) -> None:
        super().__init__(f"import task(s) {', '.join(busy)} busy; upload {key} is retried later")
        self.key = key
        self.busy = busy


class AutoImport:
    """Turns upload events into import runs."""

    def __init__(self, *, tasks: TaskStore, runs: RunStore, starter: RunService, files: FileStorage,
                 bucket: str) -> None:
        self._tasks = tasks
        self._runs = runs
        self._starter = starter
        self._files = files
        self._bucket = bucket

    def on_upload(self, event: UploadEvent) -> list[Run]:
        """Start the runs ``event`` calls for; returns the runs started now (none for a duplicate)."""
        location = parse_upload_key(event.key)
        if event.bucket != self._bucket or location is None:
            logger.debug("object is not an upload of an import", extra={"key": event.key})
            return []
        if is_transient_name(location.file_name) or event.size == 0:
            logger.info("upload ignored: temporary name or empty object", extra={"key": event.key})
            return []
        tasks = [task for task in self._tasks.list(environment=location.environment)
                 if _auto_imports(task, location.import_name)]
        if not tasks:
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


def _auto_imports(task: Task, import_name: str) -> bool:
    settings = task.spec.settings
    return (isinstance(settings, ImportSettings) and settings.import_name == import_name and settings.auto_import
            and settings.predecessor_task_id is None)
