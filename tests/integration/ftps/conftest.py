"""The local FTPS gateway against moto in server mode, with a fresh bucket, users and gateway per test."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pimtasks.adapters.dynamo import DynamoTable
from pimtasks.adapters.ftps_user_repository import FtpsUserRepository
from pimtasks.domain.ftps_user import LoginPolicy
from pimtasks.services.ftps_users import FtpsUserService
from pimtasks_local.ftps_gateway import FtpsGateway, GatewayOptions, start_ftps_gateway

from tests.integration.core.harness import FakeClock
from tests.integration.ftps.harness import (
    ADMIN_TABLE,
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
def user_service(emulator: Emulator) -> tuple[FtpsUserService, FakeClock]:
    ensure_admin_table(emulator)
    clock = FakeClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC))
    table = DynamoTable(table_name=ADMIN_TABLE, dynamodb_client=emulator.dynamodb)
    return FtpsUserService(store=FtpsUserRepository(table=table), clock=clock, policy=TEST_POLICY), clock


@pytest.fixture
def ftps(emulator: Emulator, gateway_state: Path, user_service: tuple[FtpsUserService, FakeClock]) -> Iterator[Ftps]:
    users, clock = user_service
    bucket = create_files_bucket(emulator)
    gateway = start_ftps_gateway(host="127.0.0.1", port=0, passive_ports=free_port_range(), bucket=bucket.name,
                                 s3_client=emulator.s3, user_service=users, state_dir=gateway_state,
                                 options=GatewayOptions())
    try:
        yield Ftps(gateway=gateway, bucket=bucket, users=users, clock=clock,
                   alice=_account(users, "000001"), bob=_account(users, "000002"))
    finally:
        gateway.stop()
