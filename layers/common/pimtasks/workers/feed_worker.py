"""The work of a Feed task: build a new version of the feed and switch the feed to it (``feeds.builder``).

Separate from the Export task's worker: both run in the export function, each for its own task type
(``pimtasks.wiring.export_workers``)."""

from __future__ import annotations

from pimtasks.clock import Clock
from pimtasks.domain.run import RunStatus
from pimtasks.domain.task_types import FeedSettings
from pimtasks.feeds.builder import FeedBuild
from pimtasks.services.feed_ports import FeedCatalog, FeedObjects, FeedVersions
from pimtasks.services.run_job import RunJob, WorkerFailure


class FeedWorker:
    def __init__(self, *, catalog: FeedCatalog, objects: FeedObjects, versions: FeedVersions, clock: Clock) -> None:
        self._catalog = catalog
        self._objects = objects
        self._versions = versions
        self._clock = clock

    def run(self, job: RunJob) -> RunStatus | None:
        settings = job.task.spec.settings
        if not isinstance(settings, FeedSettings):
            raise WorkerFailure(f"a {job.task.spec.type} task is not a Feed task")
        return FeedBuild(job=job, settings=settings, catalog=self._catalog, objects=self._objects,
                         versions=self._versions, clock=self._clock).run()
