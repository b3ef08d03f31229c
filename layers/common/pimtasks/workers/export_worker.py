"""The work of an Export task: the catalog out to a file (``pimtasks.services.catalog_export``)."""

from __future__ import annotations

from pimtasks.domain.run import RunStatus
from pimtasks.services.catalog_export import CatalogExport
from pimtasks.services.run_job import RunJob


class ExportWorker:
    def __init__(self, *, export: CatalogExport) -> None:
        self._export = export

    def run(self, job: RunJob) -> RunStatus | None:
        return self._export.run(job)
