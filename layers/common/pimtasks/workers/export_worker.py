"""The work of an Export task: the catalog out to a file (``pimtasks.services.catalog_export``); and of an Export
Artikelbeheer.nl task: the same file machinery, as ETIM xChange, uploaded (``pimtasks.services.artikelbeheer_export``).
"""

from __future__ import annotations

from pimtasks.domain.run import RunStatus
from pimtasks.services.artikelbeheer_export import ArtikelbeheerExport
from pimtasks.services.catalog_export import CatalogExport
from pimtasks.services.run_job import RunJob


class ExportWorker:
    def __init__(self, *, export: CatalogExport) -> None:
        self._export = export

    def run(self, job: RunJob) -> RunStatus | None:
        return self._export.run(job)


class ArtikelbeheerWorker:
    def __init__(self, *, export: ArtikelbeheerExport) -> None:
        self._export = export

    def run(self, job: RunJob) -> RunStatus | None:
        return self._export.run(job)
