"""The work of Art-Connect tasks: connect to the hub with the task's credentials, import its invoices
(``pimtasks.artconnect.invoice_import``) or post the changed articles (``pimtasks.artconnect.article_export``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from pimtasks.artconnect.article_export import ArticleExport, MessagePoster
from pimtasks.artconnect.client import ClientSettings, MessageServiceClient
from pimtasks.artconnect.envelope import CustomInfo
from pimtasks.artconnect.invoice_import import InvoiceImport, MessageHub
from pimtasks.artconnect.security import UsernameToken
from pimtasks.clock import Clock
from pimtasks.domain.run import RunStatus
from pimtasks.domain.task_types import ArtConnectSettings, ExportArtConnectSettings, ImportArtConnectInvoicesSettings
from pimtasks.errors import NotFoundError
from pimtasks.services.delta_window import DeltaWindow
from pimtasks.services.invoice_ports import InvoiceStore, NetPrices, RawFiles
from pimtasks.services.ports import CatalogChanges
from pimtasks.services.run_job import RunJob, WorkerFailure


class Hub(MessageHub, MessagePoster, Protocol):
    """The four operations (``MessageServiceClient``)."""


HubFactory = Callable[[ArtConnectSettings, str], Hub]


def message_service(clock: Clock) -> HubFactory:
    """Connections to the hub of a task's settings, with the password read from its secret."""

    def connect(settings: ArtConnectSettings, password: str) -> Hub:
        return MessageServiceClient(ClientSettings(
            endpoint_url=str(settings.endpoint_url),
            token=UsernameToken(username=settings.username, password=password, password_type=settings.password_type),
            custom_info=CustomInfo(is_test_message=settings.test_messages, application_id=settings.application_id,
                                   relation_id=settings.relation_id),
            timeout_seconds=settings.request_timeout_seconds),
            clock=clock,
            pool_size=settings.max_in_flight if isinstance(settings, ImportArtConnectInvoicesSettings) else 1)

    return connect


class ArtConnectInvoicesWorker:
    def __init__(self, *, invoices: InvoiceStore, files: RawFiles, prices: NetPrices, clock: Clock,
                 hub_factory: HubFactory | None = None) -> None:
        self._invoices = invoices
        self._files = files
        self._prices = prices
        self._clock = clock
        self._hub_factory = hub_factory or message_service(clock)

    def run(self, job: RunJob) -> RunStatus | None:
        settings = job.task.spec.settings
        if not isinstance(settings, ImportArtConnectInvoicesSettings):
            raise WorkerFailure(f"a {job.task.spec.type} task is not an Import Art-Connect invoices task")
        hub = self._hub_factory(settings, hub_password(settings, job))
        work = InvoiceImport(hub=hub, invoices=self._invoices, files=self._files,
                             prices=self._prices if settings.check_prices else None, clock=self._clock,
                             max_in_flight=settings.max_in_flight)
        return work.run(job, settings)


class ArtConnectExportWorker:
    def __init__(self, *, changes: CatalogChanges, delta: DeltaWindow, clock: Clock,
                 hub_factory: HubFactory | None = None) -> None:
        self._changes = changes
        self._delta = delta
        self._hub_factory = hub_factory or message_service(clock)

    def run(self, job: RunJob) -> RunStatus | None:
        settings = job.task.spec.settings
        if not isinstance(settings, ExportArtConnectSettings):
            raise WorkerFailure(f"a {job.task.spec.type} task is not an Export Art-Connect task")
        # The window is fixed when the run starts; continuations carry it in the checkpoint.
        since = None
        if job.checkpoint is None and settings.only_changed:
            since = self._delta.since(environment=job.run.environment, task_id=job.run.task_id,
                                      current_run_id=job.run.run_id)
        hub = self._hub_factory(settings, hub_password(settings, job))
        return ArticleExport(hub=hub, changes=self._changes).run(job, settings, since=since)


def hub_password(settings: ArtConnectSettings, job: RunJob) -> str:
    try:
        return job.secret(settings.password)
    except NotFoundError as missing:
        raise WorkerFailure(f"the Art-Connect password cannot be read: {missing}") from missing
