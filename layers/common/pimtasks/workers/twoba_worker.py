"""The Import 2BA task worker: resolve the client secret, connect to the data pool, run ``twoba.importer``."""

from __future__ import annotations

from collections.abc import Callable

from pimtasks.clock import Clock
from pimtasks.domain.run import RunStatus
from pimtasks.domain.task_types import Import2baSettings
from pimtasks.services.catalog_writer import CatalogWriter
from pimtasks.services.run_job import RunJob, WorkerFailure
from pimtasks.twoba.importer import TwobaImport, TwobaSource
from pimtasks.twoba.state import TwobaStateStore

SourceFactory = Callable[[Import2baSettings, str], TwobaSource]
"""``factory(settings, client_secret)`` -> a connection to the Product Data OpenAPI."""


class TwobaWorker:
    """The ``TaskWorker`` of type ``import_2ba``."""

    def __init__(self, *, writer: CatalogWriter, state: TwobaStateStore, source_factory: SourceFactory,
                 clock: Clock) -> None:
        self._writer = writer
        self._state = state
        self._source_factory = source_factory
        self._clock = clock
        self.last_source: TwobaSource | None = None

    def run(self, job: RunJob) -> RunStatus | None:
        settings = job.task.spec.settings
        if not isinstance(settings, Import2baSettings):
            raise WorkerFailure(f"task {job.task.task_id} is not an Import 2BA task")
        source = self._source_factory(settings, job.required_secret(settings.client_secret))
        self.last_source = source
        return TwobaImport(settings=settings, source=source, state=self._state, writer=self._writer,
                           clock=self._clock).run(job)

