"""Export Artikelbeheer.nl: the environment's trade items of one supplier, with their prices, as an ETIM xChange 2.0
file for the national article database, delivered by HTTPS upload or SFTP.

No public upload specification exists (EXTERNAL-SYSTEMS §5), so the decision of issue 9 is built on the Export
task's own machinery rather than beside it: the settings are turned into those of an ETIM xChange export
(``export_settings``) and ``CatalogExport`` selects, writes (``XchangeExportWriter``), publishes to
``Downloads/<export>/`` and continues long runs exactly as an Export task does. What is particular here:

- **Selection.** Products whose ``supplier_gln`` is the settings' (or empty: the environment's own articles);
  another supplier's product and a product without a gross price are skipped, each reason counted. With
  ``only_changed`` the first run is ``CatalogueType`` FULL and later runs CHANGE with the items changed since the
  *start* of the last successful run (``DeltaWindow``); a removed item is skipped with its reason (an xChange
  file has no removal). A CHANGE run that selects nothing publishes and delivers nothing, and says so.
- **Delivery** (``transport``): ``https`` posts the file as multipart field ``file`` to ``upload_url`` with basic
  auth; ``sftp`` writes it to the ``remote`` server (host key pinned; temporary name, then rename). Both retry a
  bounded number of times (``RemoteFileDelivery.send``); a refused login or a server that does not answer fails
  the run naming the host and the server's reply, and the file stays in Downloads/.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pimtasks.domain.identifiers import folder_name_from
from pimtasks.domain.run import MessageLevel, RunStatus
from pimtasks.domain.task_types import (
    ArtikelbeheerTransport,
    ExportArtikelbeheerSettings,
    ExportFormat,
    ExportSettings,
    ImportTarget,
    XchangeOptions,
)
from pimtasks.services.catalog_export import CatalogExport, PublishedFile, SkipRule
from pimtasks.services.export_ports import RemoteUploader
from pimtasks.services.ports import EnvironmentLookup
from pimtasks.services.remote_delivery import RemoteFileDelivery, remote_password
from pimtasks.services.run_job import RunJob, WorkerFailure

DEFAULT_FOLDER = "Artikelbeheer"
"""The Downloads/ folder when the task's description leaves no folder-safe name."""
CATALOGUE_ID = "ARTIKELBEHEER"
SKIP_OTHER_SUPPLIER = "another supplier's item (its supplier_gln is not {gln})"
SKIP_NO_PRICE = "no gross price (Artikelbeheer.nl gets trade items with their prices)"

HttpsUploaderFactory = Callable[[ExportArtikelbeheerSettings, str], RemoteUploader]
"""An upload connection to ``upload_url`` with the basic auth password (``HttpsUploader``)."""


def export_settings(settings: ExportArtikelbeheerSettings, *, description: str,
                    supplier_name: str) -> ExportSettings:
    """The ETIM xChange export an Export Artikelbeheer.nl task is: products, FULL then CHANGE, into
    ``Downloads/<export_name or the description>/``; no filter (``supplier_items`` narrows with reasons)."""
    return ExportSettings(
        export_name=settings.export_name or folder_name_from(description, fallback=DEFAULT_FOLDER),
        entity=ImportTarget.PRODUCTS, format=ExportFormat.ETIM_XCHANGE, only_changed=settings.only_changed,
        include_removed=True,  # a removal is then reported as one the format cannot list
        file_name=settings.file_name,
        xchange=XchangeOptions(supplier_name=supplier_name[:80], supplier_gln=settings.supplier_gln,
                               catalogue_id=CATALOGUE_ID, languages=list(settings.languages)))


def supplier_items(settings: ExportArtikelbeheerSettings) -> SkipRule:
    """Why a product is not one of the supplier's priced trade items (None: it is)."""
    other = SKIP_OTHER_SUPPLIER.format(gln=settings.supplier_gln)

    def skip(data: dict[str, Any]) -> str | None:
        gln = data.get("supplier_gln")
        if gln and gln != settings.supplier_gln:
            return other
        if data.get("gross_price") in (None, ""):
            return SKIP_NO_PRICE
        return None

    return skip


def destination(settings: ExportArtikelbeheerSettings) -> str:
    """Where the task's files go, as its messages name it."""
    if settings.transport is ArtikelbeheerTransport.HTTPS:
        assert settings.upload_url is not None  # the settings model requires it for https
        return str(settings.upload_url)
    assert settings.remote is not None
    return f"sftp://{settings.remote.host}{settings.remote.path}"


class HttpsDelivery:
    """The published file posted to ``upload_url`` (basic auth, bounded retries)."""

    def __init__(self, *, settings: ExportArtikelbeheerSettings, uploader: HttpsUploaderFactory,
                 sender: RemoteFileDelivery) -> None:
        self._settings = settings
        self._uploader = uploader
        self._sender = sender

    def deliver(self, job: RunJob, files: Sequence[PublishedFile]) -> None:
        settings = self._settings
        assert settings.password is not None  # the settings model requires it for https
        password = remote_password(job, settings.password, where=str(settings.upload_url))
        for file in files:
            self._sender.send(job, file, connect=lambda: self._uploader(settings, password), directory="",
                              attempts=settings.attempts, where=destination(settings))


class SftpDelivery:
    """The published file written to the ``remote`` SFTP server (``RemoteFileDelivery``)."""

    def __init__(self, *, settings: ExportArtikelbeheerSettings, sender: RemoteFileDelivery) -> None:
        self._settings = settings
        self._sender = sender

    def deliver(self, job: RunJob, files: Sequence[PublishedFile]) -> None:
        assert self._settings.remote is not None  # the settings model requires it for sftp
        self._sender.deliver_to(job, self._settings.remote, files)


class ArtikelbeheerExport:
    def __init__(self, *, export: CatalogExport, environments: EnvironmentLookup, sender: RemoteFileDelivery,
                 https_uploader: HttpsUploaderFactory) -> None:
        self._export = export
        self._environments = environments
        self._sender = sender
        self._https_uploader = https_uploader

    def run(self, job: RunJob) -> RunStatus | None:
        settings = job.task.spec.settings
        if not isinstance(settings, ExportArtikelbeheerSettings):
            raise WorkerFailure(f"a {job.task.spec.type} task is not an Export Artikelbeheer.nl task")
        derived = export_settings(settings, description=job.task.spec.description,
                                  supplier_name=settings.supplier_name or self._environment_name(job))
        delivery: HttpsDelivery | SftpDelivery
        if settings.transport is ArtikelbeheerTransport.HTTPS:
            delivery = HttpsDelivery(settings=settings, uploader=self._https_uploader, sender=self._sender)
        else:
            delivery = SftpDelivery(settings=settings, sender=self._sender)
        published = self._export.export(job, derived, skip=supplier_items(settings), delivery=delivery)
        if not published:
            job.message(MessageLevel.INFO, f"Nothing was sent to {destination(settings)}.")
        return None

    def _environment_name(self, job: RunJob) -> str:
        found = self._environments.find_environment(job.run.environment)
        return found.name if found else job.run.environment
