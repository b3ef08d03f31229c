"""Delivery of an export's published files to its remote server, with bounded retries.

Each file is tried ``attempts`` times (a fresh connection each time, waiting ``RETRY_DELAYS`` between tries); when
every try failed the run fails naming the host and the server's last reply. The file stays in Downloads/ either
way: the remote is a copy. ``send`` is the retry loop alone, for a transport of another shape (Export
Artikelbeheer.nl's HTTPS upload).
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


def remote_password(job: RunJob, secret: str, *, where: str) -> str:
    """The password in the environment's secret ``secret``; a missing one fails the run naming ``where``."""
    try:
        return job.secret(secret)
    except NotFoundError as missing:
        raise WorkerFailure(f"the password of {where} cannot be read: {missing}; the file stays in "
                            "Downloads/") from missing


class RemoteFileDelivery:
    def __init__(self, *, uploader: UploaderFactory, sleep: Callable[[float], None],
                 delays: Sequence[float] | None = None) -> None:
        self._uploader = uploader
        self._sleep = sleep
        self._delays = RETRY_DELAYS if delays is None else delays  # read now: tests shorten RETRY_DELAYS

    def deliver(self, job: RunJob, settings: ExportSettings, files: Sequence[PublishedFile]) -> None:
        assert settings.remote is not None
        self.deliver_to(job, settings.remote, files)

    def deliver_to(self, job: RunJob, target: RemoteTarget, files: Sequence[PublishedFile]) -> None:
        """Every file to ``target`` (its password read from the environment's secrets)."""
        password = remote_password(job, target.password, where=f"{target.protocol}://{target.host}")
        for file in files:
            self.send(job, file, connect=lambda: self._uploader(target, password), directory=target.path,
                      attempts=target.attempts,
                      where=f"{target.protocol}://{target.host}{target.path.rstrip('/')}/{file.name}")

    def send(self, job: RunJob, file: PublishedFile, *, connect: Callable[[], RemoteUploader], directory: str,
             attempts: int, where: str) -> None:
        """One file, tried up to ``attempts`` times over a fresh connection each (``connect``); ``where`` names the
        destination in the run's message. A failure the server says will not change on a retry (a refused HTTP
        login: ``RemoteTransferError.retryable`` false) ends the tries at once."""
        last = ""
        for attempt in range(1, attempts + 1):
            try:
                with connect() as connection:
                    connection.upload(local=file.path, directory=directory, name=file.name)
            except RemoteTransferError as failure:
                last = str(failure)
                if not failure.retryable:
                    attempts = attempt
                    break
                if attempt < attempts:
                    job.keep_alive()
                    self._sleep(self._delays[min(attempt - 1, len(self._delays) - 1)])
                continue
            job.message(MessageLevel.INFO, f"Delivered {file.name} to {where}"
                                           + (f" (attempt {attempt})." if attempt > 1 else "."), file=file.name)
            return
        raise WorkerFailure(f"Delivery failed after {attempts} attempt(s): {last}. The file stays in "
                            f"{file.key}.")
