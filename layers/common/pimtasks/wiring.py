"""The composition root: builds services with their default AWS adapters from the function's settings.

Handlers call these; each builder runs once per process (cached) and creates no AWS client until the
first real call. Each builder imports what it builds: a function imports only the adapters and services it
uses (the authorizer never loads the run engine), which keeps cold starts short (``bench_handler_imports``).
Tests build services directly with their own adapters or fakes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from pimtasks.clock import SystemClock
from pimtasks.domain.task_types import TaskFunction, TaskType
from pimtasks.settings import get_settings
from pimtasks.workers import NotAvailableWorker, TaskWorker, WorkerFactory, not_available_workers

if TYPE_CHECKING:
    from pimtasks.adapters.admin_repository import AdminRepository
    from pimtasks.adapters.catalog_repository import CatalogRepository
    from pimtasks.adapters.etim_repository import EtimRepository
    from pimtasks.adapters.feed_files import FeedFiles
    from pimtasks.adapters.feed_repository import FeedRepository
    from pimtasks.adapters.feed_token_repository import FeedTokenRepository
    from pimtasks.adapters.file_store import FileStore
    from pimtasks.adapters.ftps_user_repository import FtpsUserRepository
    from pimtasks.adapters.function_invoker import LambdaFunctionInvoker
    from pimtasks.adapters.invoice_repository import InvoiceRepository
    from pimtasks.adapters.run_repository import RunRepository
    from pimtasks.adapters.scheduler_gateway import SchedulerGateway
    from pimtasks.adapters.secret_store import SecretStore
    from pimtasks.adapters.task_repository import TaskRepository
    from pimtasks.domain.run import Run
    from pimtasks.domain.task import Task
    from pimtasks.domain.task_types import ExportSettings, Import2baSettings, ImportEtimSettings
    from pimtasks.feeds.reader import FeedReader
    from pimtasks.services.access import AccessService
    from pimtasks.services.auto_import import AutoImport
    from pimtasks.services.catalog_export import CatalogExport, RemoteDelivery
    from pimtasks.services.catalog_reading import CatalogReadService
    from pimtasks.services.environment_files import FilesService
    from pimtasks.services.etim_model import EtimModelReader
    from pimtasks.services.etim_ports import EtimSource
    from pimtasks.services.feed_tokens import FeedTokenService
    from pimtasks.services.ftps_users import FtpsUserService
    from pimtasks.services.import_chain import ImportChain
    from pimtasks.services.invoices import InvoiceService
    from pimtasks.services.run_engine import RunEngine
    from pimtasks.services.run_finisher import RunFinisher
    from pimtasks.services.run_sweeper import RunSweeper
    from pimtasks.services.runs import RunService
    from pimtasks.services.schedule_sync import ScheduleSync
    from pimtasks.services.secrets import SecretService
    from pimtasks.services.sequencer import Sequencer
    from pimtasks.services.tasks import TaskService
    from pimtasks.services.uploads import UploadService
    from pimtasks.twoba.importer import TwobaSource
    from pimtasks.workers.artconnect_worker import (
        ArtConnectExportWorker,
        ArtConnectInvoicesWorker,
        ArtConnectUsersExportWorker,
    )
    from pimtasks.workers.etim_worker import EtimWorker
    from pimtasks.workers.export_worker import ArtikelbeheerWorker, ExportWorker
    from pimtasks.workers.feed_worker import FeedWorker
    from pimtasks.workers.import_worker import ImportWorker
    from pimtasks.workers.magento_worker import MagentoWorker
    from pimtasks.workers.twoba_worker import TwobaWorker

clock = SystemClock()


@lru_cache(maxsize=1)
def admin_repository() -> AdminRepository:
    from pimtasks.adapters.admin_repository import AdminRepository
    from pimtasks.adapters.dynamo import DynamoTable

    return AdminRepository(table=DynamoTable(table_name=get_settings().require("admin_table")))


@lru_cache(maxsize=1)
def task_repository() -> TaskRepository:
    from pimtasks.adapters.dynamo import DynamoTable
    from pimtasks.adapters.task_repository import TaskRepository

    return TaskRepository(table=DynamoTable(table_name=get_settings().require("tasks_table")))


@lru_cache(maxsize=1)
def run_repository() -> RunRepository:
    from pimtasks.adapters.dynamo import DynamoTable
    from pimtasks.adapters.run_repository import RunRepository

    settings = get_settings()
    return RunRepository(table=DynamoTable(table_name=settings.require("runs_table")),
                         retention_days=settings.run_retention_days)


@lru_cache(maxsize=1)
def function_invoker() -> LambdaFunctionInvoker:
    from pimtasks.adapters.function_invoker import LambdaFunctionInvoker

    return LambdaFunctionInvoker(function_name_prefix=get_settings().function_name_prefix)


@lru_cache(maxsize=1)
def secret_store() -> SecretStore:
    from pimtasks.adapters.secret_store import SecretStore

    return SecretStore(prefix=get_settings().secrets_prefix)


@lru_cache(maxsize=1)
def ftps_user_repository() -> FtpsUserRepository:
    from pimtasks.adapters.dynamo import DynamoTable
    from pimtasks.adapters.ftps_user_repository import FtpsUserRepository

    return FtpsUserRepository(table=DynamoTable(table_name=get_settings().require("admin_table")))


def ftps_user_service() -> FtpsUserService:
    """FTPS users: administration (API) and logins (the local gateway and the Transfer Family identity function)."""
    from pimtasks.services.ftps_users import FtpsUserService

    return FtpsUserService(store=ftps_user_repository(), clock=clock, environments=admin_repository())


def access_service() -> AccessService:
    from pimtasks.services.access import AccessService

    return AccessService(store=admin_repository(), clock=clock)


def task_service() -> TaskService:
    from pimtasks.services.tasks import TaskService

    return TaskService(tasks=task_repository(), environments=admin_repository(), clock=clock,
                       secrets=admin_repository())


@lru_cache(maxsize=1)
def sequencer() -> Sequencer:
    from pimtasks.services.sequencer import Sequencer

    settings = get_settings()
    return Sequencer(runs=run_repository(), invoker=function_invoker(), clock=clock,
                     settle_seconds=settings.sequence_settle_seconds, stall_seconds=settings.slot_stall_seconds)


@lru_cache(maxsize=1)
def run_finisher() -> RunFinisher:
    from pimtasks.adapters.mailer import SesMailer
    from pimtasks.services.run_finisher import RunFinisher

    settings = get_settings()
    mailer = SesMailer(sender=settings.mail_sender) if settings.mail_sender else None
    finisher = RunFinisher(runs=run_repository(), tasks=task_repository(), mailer=mailer, clock=clock,
                           advance_slot=lambda environment, slot: _advance(environment, slot))
    finisher.add_listener(_start_or_skip_successors)
    return finisher


def _start_or_skip_successors(task: Task, run: Run) -> None:
    import_chain().on_run_ended(task, run)


def _advance(environment: str, slot: str) -> None:
    sequencer().advance(environment, slot)


def run_service() -> RunService:
    from pimtasks.services.runs import RunService

    return RunService(tasks=task_repository(), runs=run_repository(), invoker=function_invoker(),
                      finisher=run_finisher(), clock=clock,
                      queued_timeout_seconds=get_settings().queued_timeout_seconds)


def run_engine(workers: WorkerFactory = not_available_workers) -> RunEngine:
    from pimtasks.services.run_engine import RunEngine

    settings = get_settings()
    return RunEngine(tasks=task_repository(), runs=run_repository(), workers=workers, finisher=run_finisher(),
                     sequencer=sequencer(), invoker=function_invoker(), secrets=secret_store(), clock=clock,
                     heartbeat_seconds=settings.heartbeat_seconds, stale_after_seconds=settings.stale_after_seconds,
                     queued_timeout_seconds=settings.queued_timeout_seconds,
                     continuation_margin_seconds=settings.continuation_margin_seconds)


def run_sweeper(*, stale_after_seconds: float | None = None, queued_timeout_seconds: float | None = None) -> RunSweeper:
    """The sweeper with the settings' limits, or others: the local stack sweeps the runs of a stack process
    that died at once (0, 0), as their invocations certainly died with it."""
    from pimtasks.services.run_sweeper import RunSweeper

    settings = get_settings()
    return RunSweeper(runs=run_repository(), finisher=run_finisher(), sequencer=sequencer(), clock=clock,
                      stale_after_seconds=settings.stale_after_seconds if stale_after_seconds is None
                      else stale_after_seconds,
                      queued_timeout_seconds=settings.queued_timeout_seconds if queued_timeout_seconds is None
                      else queued_timeout_seconds,
                      stall_seconds=settings.slot_stall_seconds)


@lru_cache(maxsize=1)
def scheduler_gateway() -> SchedulerGateway:
    from pimtasks.adapters.scheduler_gateway import SchedulerGateway

    settings = get_settings()
    return SchedulerGateway(role_arn=settings.require("scheduler_role_arn"),
                            dead_letter_arn=settings.require("schedules_dlq_arn"))


def schedule_sync() -> ScheduleSync:
    from pimtasks.services.schedule_sync import ScheduleSync

    settings = get_settings()
    return ScheduleSync(gateway=scheduler_gateway(), group_prefix=settings.schedule_group_prefix,
                        function_arn=task_function_arn, clock_now=clock.now)


def task_function_arn(function: TaskFunction) -> str:
    settings = get_settings()
    return (f"arn:{settings.aws_partition}:lambda:{settings.aws_region}:{settings.require('aws_account_id')}:function:"
            f"{settings.function_name_prefix}{function.value}")


def secret_service() -> SecretService:
    from pimtasks.services.secrets import SecretService

    return SecretService(store=secret_store(), index=admin_repository(), clock=clock)


def upload_service() -> UploadService:
    from pimtasks.adapters.file_store import FileStore
    from pimtasks.services.uploads import UploadService

    settings = get_settings()
    return UploadService(tasks=task_repository(), presigner=FileStore(bucket=settings.require("files_bucket")),
                         clock=clock, expires_seconds=settings.upload_url_seconds)


def files_service() -> FilesService:
    """The files API: listings and presigned downloads of the environment's files."""
    from pimtasks.services.environment_files import FilesService
    return FilesService(files=file_store(), clock=clock, expires_seconds=get_settings().download_url_seconds)


@lru_cache(maxsize=1)
def file_store() -> FileStore:
    from pimtasks.adapters.file_store import FileStore

    return FileStore(bucket=get_settings().require("files_bucket"))


@lru_cache(maxsize=1)
def catalog_repository() -> CatalogRepository:
    from pimtasks.adapters.catalog_repository import CatalogRepository
    from pimtasks.adapters.dynamo import DynamoTable

    return CatalogRepository(table=DynamoTable(table_name=get_settings().require("catalog_table")))


def catalog_reader() -> CatalogReadService:
    """The catalog read API and single-record removal over the catalog table."""
    from pimtasks.services.catalog_reading import CatalogReadService
    return CatalogReadService(catalog=catalog_repository(), clock=clock)


def import_workers(task_type: TaskType) -> TaskWorker:
    """The import function's workers: ``import`` does the work; nothing else runs there."""
    if task_type is TaskType.IMPORT:
        return import_worker()
    return NotAvailableWorker(task_type)


def import_worker() -> ImportWorker:
    # Imported here: the reading library (calamine, XML, ...) is the import function's business alone, so the
    # other functions that use this module do not pay for it at cold start.
    from pimtasks.services.catalog_writer import CatalogWriter
    from pimtasks.workers.import_worker import ImportWorker

    return ImportWorker(files=file_store(), catalog=CatalogWriter(store=catalog_repository(), clock=clock),
                        clock=clock, removals=catalog_repository(),
                        etim=lambda environment: etim_model_reader().for_import(environment=environment))


@lru_cache(maxsize=1)
def etim_repository() -> EtimRepository:
    """The ETIM model's store: its own key prefix in the catalog table (see ``adapters.etim_repository``)."""
    from pimtasks.adapters.dynamo import DynamoTable
    from pimtasks.adapters.etim_repository import EtimRepository

    return EtimRepository(table=DynamoTable(table_name=get_settings().require("catalog_table")))


@lru_cache(maxsize=1)
def etim_model_reader() -> EtimModelReader:
    """Reads the ETIM model (API, imports); one per process, so its cache of immutable manifests is shared."""
    from pimtasks.services.etim_model import EtimModelReader

    return EtimModelReader(store=etim_repository())


def etim_workers(task_type: TaskType) -> TaskWorker:
    """The ETIM function's workers: ``import_etim`` does the work; nothing else runs there."""
    if task_type is TaskType.IMPORT_ETIM:
        return etim_worker()
    return NotAvailableWorker(task_type)


def etim_worker() -> EtimWorker:
    from pimtasks.workers.etim_worker import EtimWorker

    return EtimWorker(store=etim_repository(), source_factory=etim_source, clock=clock)


def etim_source(settings: ImportEtimSettings, client_secret: str) -> EtimSource:
    """A connection to the ETIM API of the task's settings (``requests`` is imported only here)."""
    from pimtasks.adapters.etim_api import EtimApiClient

    return EtimApiClient(api_url=str(settings.api_url), auth_url=str(settings.auth_url), client_id=settings.client_id,
                         client_secret=client_secret, clock=clock, timeout_seconds=settings.request_timeout_seconds)


def magento_workers(task_type: TaskType) -> TaskWorker:
    """The Magento function's workers: ``magento`` pushes products to a shop."""
    if task_type is TaskType.MAGENTO:
        return magento_worker()
    return NotAvailableWorker(task_type)


def magento_worker() -> MagentoWorker:
    # Imported here: the HTTP client is the Magento function's business alone.
    from pimtasks.adapters.catalog_changes import FeedCatalogChanges
    from pimtasks.adapters.dynamo import DynamoTable
    from pimtasks.adapters.magento_state_repository import MagentoStateRepository
    from pimtasks.services.delta_window import DeltaWindow
    from pimtasks.workers.magento_worker import MagentoWorker

    state = MagentoStateRepository(table=DynamoTable(table_name=get_settings().require("catalog_table")))
    return MagentoWorker(changes=FeedCatalogChanges(catalog=catalog_repository()), state=state,
                         delta=DeltaWindow(runs=run_repository()), clock=clock)


def twoba_workers(task_type: TaskType) -> TaskWorker:
    """The 2BA function's workers: ``import_2ba`` reads the data pool into the catalog."""
    if task_type is TaskType.IMPORT_2BA:
        return twoba_worker()
    return NotAvailableWorker(task_type)


def twoba_worker() -> TwobaWorker:
    # Imported here: the HTTP client and the catalog writer are the 2BA function's business alone.
    from pimtasks.adapters.dynamo import DynamoTable
    from pimtasks.adapters.twoba_state_repository import TwobaStateRepository
    from pimtasks.services.catalog_writer import CatalogWriter
    from pimtasks.workers.twoba_worker import TwobaWorker

    state = TwobaStateRepository(table=DynamoTable(table_name=get_settings().require("catalog_table")))
    return TwobaWorker(writer=CatalogWriter(store=catalog_repository(), clock=clock), state=state,
                       source_factory=twoba_source, clock=clock)


def twoba_source(settings: Import2baSettings, client_secret: str) -> TwobaSource:
    """A connection to the Product Data OpenAPI of the task's settings (``requests`` is imported only here)."""
    from pimtasks.twoba.client import TwobaClient

    return TwobaClient(api_url=str(settings.api_url), token_url=str(settings.token_url), client_id=settings.client_id,
                       client_secret=client_secret, clock=clock, timeout_seconds=settings.request_timeout_seconds)


@lru_cache(maxsize=1)
def invoice_repository() -> InvoiceRepository:
    from pimtasks.adapters.dynamo import DynamoTable
    from pimtasks.adapters.invoice_repository import InvoiceRepository
    return InvoiceRepository(table=DynamoTable(table_name=get_settings().require("invoices_table")))


def invoice_service() -> InvoiceService:
    from pimtasks.services.invoices import InvoiceService
    return InvoiceService(store=invoice_repository())


def artconnect_workers(task_type: TaskType) -> TaskWorker:
    """The Art-Connect function's workers: invoices import, article export and users export."""
    if task_type is TaskType.IMPORT_ARTCONNECT_INVOICES:
        return artconnect_invoices_worker()
    if task_type is TaskType.EXPORT_ARTCONNECT:
        return artconnect_export_worker()
    if task_type is TaskType.EXPORT_ARTCONNECT_USERS:
        return artconnect_users_export_worker()
    return NotAvailableWorker(task_type)


def artconnect_export_worker() -> ArtConnectExportWorker:
    from pimtasks.adapters.catalog_changes import FeedCatalogChanges
    from pimtasks.services.delta_window import DeltaWindow
    from pimtasks.workers.artconnect_worker import ArtConnectExportWorker

    return ArtConnectExportWorker(changes=FeedCatalogChanges(catalog=catalog_repository()),
                                  delta=DeltaWindow(runs=run_repository()), clock=clock)


def artconnect_users_export_worker() -> ArtConnectUsersExportWorker:
    from pimtasks.services.delta_window import DeltaWindow
    from pimtasks.workers.artconnect_worker import ArtConnectUsersExportWorker

    return ArtConnectUsersExportWorker(catalog=catalog_repository(), delta=DeltaWindow(runs=run_repository()),
                                       clock=clock)


def artconnect_invoices_worker() -> ArtConnectInvoicesWorker:
    # Imported here: the SOAP client is the Art-Connect function's business alone.
    from pimtasks.services.invoice_prices import CatalogNetPrices
    from pimtasks.workers.artconnect_worker import ArtConnectInvoicesWorker

    return ArtConnectInvoicesWorker(invoices=invoice_repository(), files=file_store(),
                                    prices=CatalogNetPrices(catalog=catalog_repository()), clock=clock)


def export_workers(task_type: TaskType) -> TaskWorker:
    """The export function's workers: ``export`` writes catalog files, ``feed`` builds a feed version,
    ``export_artikelbeheer`` writes an ETIM xChange file and uploads it."""
    if task_type is TaskType.EXPORT:
        return export_worker()
    if task_type is TaskType.FEED:
        return feed_worker()
    if task_type is TaskType.EXPORT_ARTIKELBEHEER:
        return artikelbeheer_worker()
    return NotAvailableWorker(task_type)


@lru_cache(maxsize=1)
def feed_repository() -> FeedRepository:
    """Feed pointers: their own key prefix in the catalog table (see ``adapters.feed_repository``)."""
    from pimtasks.adapters.dynamo import DynamoTable
    from pimtasks.adapters.feed_repository import FeedRepository
    return FeedRepository(table=DynamoTable(table_name=get_settings().require("catalog_table")))


@lru_cache(maxsize=1)
def feed_files() -> FeedFiles:
    from pimtasks.adapters.feed_files import FeedFiles
    return FeedFiles(store=file_store())


def feed_worker() -> FeedWorker:
    from pimtasks.workers.feed_worker import FeedWorker

    return FeedWorker(catalog=catalog_repository(), objects=feed_files(), versions=feed_repository(), clock=clock)


@lru_cache(maxsize=1)
def feed_reader() -> FeedReader:
    """Serves feeds (API); one per process, so its cache of immutable version manifests is shared."""
    from pimtasks.feeds.reader import FeedReader

    return FeedReader(versions=feed_repository(), objects=feed_files())


@lru_cache(maxsize=1)
def feed_token_repository() -> FeedTokenRepository:
    from pimtasks.adapters.dynamo import DynamoTable
    from pimtasks.adapters.feed_token_repository import FeedTokenRepository
    return FeedTokenRepository(table=DynamoTable(table_name=get_settings().require("admin_table")))


def feed_token_service() -> FeedTokenService:
    from pimtasks.services.feed_tokens import FeedTokenService
    return FeedTokenService(store=feed_token_repository(), tasks=task_repository(), environments=admin_repository(),
                            clock=clock)


def export_worker() -> ExportWorker:
    from pimtasks.workers.export_worker import ExportWorker

    return ExportWorker(export=catalog_export())


def catalog_export() -> CatalogExport:
    # Imported here: the writers (openpyxl) are the export function's business alone.
    from pimtasks.adapters.export_catalog import FeedExportCatalog
    from pimtasks.adapters.mailer import SesMailer
    from pimtasks.services.catalog_export import CatalogExport
    from pimtasks.services.delta_window import DeltaWindow

    settings = get_settings()
    mailer = SesMailer(sender=settings.mail_sender) if settings.mail_sender else None
    return CatalogExport(catalog=FeedExportCatalog(catalog=catalog_repository()), files=file_store(),
                         environments=admin_repository(), delta=DeltaWindow(runs=run_repository()), clock=clock,
                         mailer=mailer, links=file_store(), remote=remote_delivery, multipart=file_store())


def artikelbeheer_worker() -> ArtikelbeheerWorker:
    from pimtasks.adapters.remote_servers import artikelbeheer_uploader, remote_uploader
    from pimtasks.services.artikelbeheer_export import ArtikelbeheerExport
    from pimtasks.services.remote_delivery import RemoteFileDelivery
    from pimtasks.workers.export_worker import ArtikelbeheerWorker

    return ArtikelbeheerWorker(export=ArtikelbeheerExport(
        export=catalog_export(), environments=admin_repository(),
        sender=RemoteFileDelivery(uploader=remote_uploader, sleep=clock.sleep), https_uploader=artikelbeheer_uploader))


def remote_delivery(settings: ExportSettings) -> RemoteDelivery | None:
    """The delivery to the export's remote server (None: none is set)."""
    if settings.remote is None:
        return None
    from pimtasks.adapters.remote_servers import remote_uploader
    from pimtasks.services.remote_delivery import RemoteFileDelivery

    return RemoteFileDelivery(uploader=remote_uploader, sleep=clock.sleep)


def import_chain() -> ImportChain:
    from pimtasks.services.import_chain import ImportChain

    return ImportChain(tasks=task_repository(), runs=run_service(), run_store=run_repository(),
                       finisher=run_finisher())


def auto_import() -> AutoImport:
    from pimtasks.adapters.upload_queue import UploadQueue
    from pimtasks.services.auto_import import AutoImport

    settings = get_settings()
    rechecks = UploadQueue(queue_url=settings.uploads_queue_url) if settings.uploads_queue_url else None
    return AutoImport(tasks=task_repository(), runs=run_repository(), starter=run_service(), files=file_store(),
                      bucket=settings.require("files_bucket"), rechecks=rechecks)


def clear_caches() -> None:
    """Forget settings, clients and adapters built so far (for tests and the local stack, whose environment
    variables are set after import)."""
    from pimtasks.adapters.aws_clients import reset_clients

    get_settings.cache_clear()
    reset_clients()
    for builder in (admin_repository, task_repository, run_repository, function_invoker, secret_store, sequencer,
                    run_finisher, scheduler_gateway, file_store, catalog_repository, ftps_user_repository,
                    etim_repository, etim_model_reader, invoice_repository, feed_repository, feed_files,
                    feed_reader, feed_token_repository):
        clear = getattr(builder, "cache_clear", None)  # a test may have replaced the builder
        if clear is not None:
            clear()
