"""Delivery of an export's published files to its remote server, with bounded retries.

Each file is tried ``attempts`` times (a fresh connection each time, waiting ``RETRY_DELAYS`` between tries); when
every try failed the run fails naming the host and the server's last reply. The file stays in Downloads/ either
way: the remote is a copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pimtasks.domain.run import MessageLevel
from pimtasks.domain.task_types import ExportSettings, RemoteTarget
from pimtasks.errors import NotFoundError
from pimtasks.services.catalog_export import PublishedFile
from pimtasks.services.export_ports import RemoteTransferError, RemoteUploader
from pimtasks.services.run_job import RunJob, WorkerFailure

RETRY_DELAYS: tuple[float, ...] = (2.0, 10.0, 30.0)
UploaderFactory = Callable[[RemoteTarget, str], RemoteUploader]


class RemoteFileDelivery:
    def __init__(self, *, uploader: UploaderFactory, sleep: Callable[[float], None],
                 delays: Sequence[float] = RETRY_DELAYS) -> None:
        self._uploader = uploader
        self._sleep = sleep
        self._delays = delays

    def deliver(self, job: RunJob, settings: ExportSettings, files: Sequence[PublishedFile]) -> None:
        target = settings.remote
        assert target is not None
        try:
            password = job.secret(target.password)
        except NotFoundError as missing:
            raise WorkerFailure(f"the password of {target.protocol}://{target.host} cannot be read: {missing}; the "
                                "file stays in Downloads/") from missing
        for file in files:
            self._send(job, target, password, file)

    def _send(self, job: RunJob, target: RemoteTarget, password: str, file: PublishedFile) -> None:
        last = ""
        for attempt in range(1, target.attempts + 1):
            try:
                with self._uploader(target, password) as connection:
                    connection.upload(local=file.path, directory=target.path, name=file.name)
            except RemoteTransferError as failure:
                last = str(failure)
                if attempt < target.attempts:
                    job.keep_alive()
                    self._sleep(self._delays[min(attempt - 1, len(self._delays) - 1)])
                continue
            where = f"{target.protocol}://{target.host}{target.path.rstrip('/')}/{file.name}"
            job.message(MessageLevel.INFO, f"Delivered {file.name} to {where}"
                                           + (f" (attempt {attempt})." if attempt > 1 else "."), file=file.name)
            return
        raise WorkerFailure(f"Delivery failed after {target.attempts} attempt(s): {last}. The file stays in "
                            f"{file.key}.")
