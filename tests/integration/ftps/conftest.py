"""The local FTPS gateway against moto in server mode, with a fresh bucket, users and gateway per test."""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pimtasks.adapters.admin_repository import AdminRepository
from pimtasks.adapters.dynamo import DynamoTable
from pimtasks.adapters.ftps_user_repository import FtpsUserRepository
from pimtasks.adapters.task_repository import TaskRepository
from pimtasks.domain.ftps_user import LoginPolicy
from pimtasks.services.ftps_users import FtpsUserService
from pimtasks.services.tasks import TaskService
from pimtasks_local.ftps_gateway import FtpsGateway, GatewayOptions, start_ftps_gateway

from tests.integration.core.harness import FakeClock, create_table, template_tables
from tests.integration.ftps.harness import (
    ADMIN_TABLE,
    CountingHasher,
    Emulator,
    FilesBucket,
    create_files_bucket,
    ensure_admin_table,
    free_port_range,
    start_emulator,
)

# Short refusal delays keep the tests quick; the lockout itself is the production rule (5 failures).
TEST_POLICY = LoginPolicy(first_delay_seconds=0.01, max_delay_seconds=0.05)


@dataclass
class Account:
    username: str
    password: str
    environment: str


@dataclass
class Ftps:
    """A running gateway with its bucket, user service, clock and two environments' accounts."""

    gateway: FtpsGateway
    bucket: FilesBucket
    users: FtpsUserService
    clock: FakeClock
    alice: Account  # environment 000001
    bob: Account  # environment 000002

    @property
    def port(self) -> int:
        return self.gateway.port

    @property
    def certificate(self) -> Path:
        return self.gateway.certificate_path


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    started = start_emulator()
    yield started
    started.server.stop()


@pytest.fixture(scope="session")
def gateway_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ftps-state")


def _account(users: FtpsUserService, environment: str) -> Account:
    username = f"user-{environment}-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    users.create_user(environment=environment, username=username, password=password)
    return Account(username=username, password=password, environment=environment)


@pytest.fixture
def hasher() -> CountingHasher:
    """The production password hasher, counting its checks."""
    return CountingHasher()


@pytest.fixture
def user_service(emulator: Emulator, hasher: CountingHasher) -> tuple[FtpsUserService, FakeClock]:
    ensure_admin_table(emulator)
    clock = FakeClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC))
    table = DynamoTable(table_name=ADMIN_TABLE, dynamodb_client=emulator.dynamodb)
    return FtpsUserService(store=FtpsUserRepository(table=table), clock=clock, policy=TEST_POLICY,
                           hasher=hasher), clock


@contextlib.contextmanager
def _running_gateway(emulator: Emulator, gateway_state: Path, user_service: tuple[FtpsUserService, FakeClock],
                     options: GatewayOptions) -> Iterator[Ftps]:
    users, clock = user_service
    bucket = create_files_bucket(emulator)
    gateway = start_ftps_gateway(host="127.0.0.1", port=0, passive_ports=free_port_range(), bucket=bucket.name,
                                 s3_client=emulator.s3, user_service=users, state_dir=gateway_state,
                                 options=options)
    try:
        yield Ftps(gateway=gateway, bucket=bucket, users=users, clock=clock,
                   alice=_account(users, "000001"), bob=_account(users, "000002"))
    finally:
        gateway.stop()


@pytest.fixture
def ftps(emulator: Emulator, gateway_state: Path, user_service: tuple[FtpsUserService, FakeClock]) -> Iterator[Ftps]:
    """A gateway without import rules: any valid import folder is writable (the transport on its own)."""
    with _running_gateway(emulator, gateway_state, user_service, GatewayOptions()) as running:
        yield running


@pytest.fixture
def ftps_for_bursts(emulator: Emulator, gateway_state: Path,
                    user_service: tuple[FtpsUserService, FakeClock]) -> Iterator[Ftps]:
    """A gateway that lets 64 sessions of one address in at once (the default is 16), for login bursts."""
    options = GatewayOptions(max_connections=128, max_connections_per_ip=64)
    with _running_gateway(emulator, gateway_state, user_service, options) as running:
        yield running


IMPORTS_TTL_SECONDS = 0.3


@pytest.fixture
def tasks_table(emulator: Emulator) -> Iterator[TaskRepository]:
    """A fresh tasks table (from the template) in the session's emulator."""
    name = f"TasksTable-{uuid.uuid4().hex[:8]}"
    create_table(emulator.dynamodb, name, template_tables()["TasksTable"])
    yield TaskRepository(table=DynamoTable(table_name=name, dynamodb_client=emulator.dynamodb))
    emulator.dynamodb.delete_table(TableName=name)


@pytest.fixture
def ftps_with_imports(emulator: Emulator, gateway_state: Path, user_service: tuple[FtpsUserService, FakeClock],
                      tasks_table: TaskRepository) -> Iterator[Ftps]:
    """A gateway as the local stack runs it: the environments' import tasks (``tasks_table``) decide where
    FTPS uploads may go; their answers are reused for ``IMPORTS_TTL_SECONDS``."""
    ensure_admin_table(emulator)
    tasks = TaskService(tasks=tasks_table, clock=user_service[1],
                        environments=AdminRepository(table=DynamoTable(table_name=ADMIN_TABLE,
                                                                       dynamodb_client=emulator.dynamodb)))
    options = GatewayOptions(import_folders=tasks.import_folders, import_folders_ttl_seconds=IMPORTS_TTL_SECONDS)
    with _running_gateway(emulator, gateway_state, user_service, options) as running:
        yield running
