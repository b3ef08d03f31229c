"""The work of Art-Connect tasks: connect to the hub with the task's credentials, import its invoices
(``pimtasks.artconnect.invoice_import``), post the changed articles (``pimtasks.artconnect.article_export``) or
the changed users (``pimtasks.artconnect.user_export``)."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from pimtasks.artconnect.article_export import ArticleExport
from pimtasks.artconnect.client import ClientSettings, MessageServiceClient
from pimtasks.artconnect.envelope import CustomInfo
from pimtasks.artconnect.invoice_import import InvoiceImport, MessageHub
from pimtasks.artconnect.posting import ChangePosting, MessagePoster
from pimtasks.artconnect.security import UsernameToken
from pimtasks.artconnect.user_export import UserExport
from pimtasks.clock import Clock
from pimtasks.domain.run import RunStatus
from pimtasks.domain.task_types import (
    ArtConnectSettings,
    ExportArtConnectSettings,
    ExportArtConnectUsersSettings,
    ImportArtConnectInvoicesSettings,
)
from pimtasks.errors import NotFoundError
from pimtasks.services.delta_window import DeltaWindow
from pimtasks.services.feed_ports import FeedCatalog
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


ExportSettingsT = TypeVar("ExportSettingsT", ExportArtConnectSettings, ExportArtConnectUsersSettings)


class _PostingWorker(ABC, Generic[ExportSettingsT]):
    """What both exports do before they post: check the task's settings, fix the window, connect to the hub."""

    def __init__(self, *, settings_type: type[ExportSettingsT], name: str, delta: DeltaWindow, clock: Clock,
                 hub_factory: HubFactory | None) -> None:
        self._settings_type: type[ExportSettingsT] = settings_type
        self._name = name
        self._delta = delta
        self._hub_factory = hub_factory or message_service(clock)

    @abstractmethod
    def posting(self, hub: Hub, settings: ExportSettingsT) -> ChangePosting[Any]:
        """The posting of this export's changes to ``hub``."""

    def run(self, job: RunJob) -> RunStatus | None:
        settings = job.task.spec.settings
        if not isinstance(settings, self._settings_type):
            raise WorkerFailure(f"a {job.task.spec.type} task is not an {self._name} task")
        since = window_start(self._delta, job, only_changed=settings.only_changed)
        self.posting(self._hub_factory(settings, hub_password(settings, job)), settings).run(job, since=since)
        return None


class ArtConnectExportWorker(_PostingWorker[ExportArtConnectSettings]):
    def __init__(self, *, changes: CatalogChanges, delta: DeltaWindow, clock: Clock,
                 hub_factory: HubFactory | None = None) -> None:
        super().__init__(settings_type=ExportArtConnectSettings, name="Export Art-Connect", delta=delta, clock=clock,
                         hub_factory=hub_factory)
        self._changes = changes

    def posting(self, hub: Hub, settings: ExportArtConnectSettings) -> ChangePosting[Any]:
        return ArticleExport(hub=hub, changes=self._changes, settings=settings)


class ArtConnectUsersExportWorker(_PostingWorker[ExportArtConnectUsersSettings]):
    def __init__(self, *, catalog: FeedCatalog, delta: DeltaWindow, clock: Clock,
                 hub_factory: HubFactory | None = None) -> None:
        super().__init__(settings_type=ExportArtConnectUsersSettings, name="Export Art-Connect Users", delta=delta,
                         clock=clock, hub_factory=hub_factory)
        self._catalog = catalog

    def posting(self, hub: Hub, settings: ExportArtConnectUsersSettings) -> ChangePosting[Any]:
        return UserExport(hub=hub, catalog=self._catalog, settings=settings)


def window_start(delta: DeltaWindow, job: RunJob, *, only_changed: bool) -> dt.datetime | None:
    """Where a delta export's window starts: the start of the last successful run (None: send everything).

    Fixed when the run starts; continuations carry it in their checkpoint, so this is asked on the first
    invocation only."""
    if job.checkpoint is not None or not only_changed:
        return None
    return delta.since(environment=job.run.environment, task_id=job.run.task_id, current_run_id=job.run.run_id)


def hub_password(settings: ArtConnectSettings, job: RunJob) -> str:
    try:
        return job.secret(settings.password)
    except NotFoundError as missing:
        raise WorkerFailure(f"the Art-Connect password cannot be read: {missing}") from missing
