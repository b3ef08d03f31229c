"""The FTPS user repository on DynamoDB and the Transfer Family identity provider Lambda (moto server mode)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pimtasks.adapters.dynamo import DynamoTable
from pimtasks.adapters.ftps_user_repository import FtpsUserRepository
from pimtasks.adapters.task_repository import TaskRepository
from pimtasks.clock import SystemClock
from pimtasks.domain.ftps_user import FtpsUser
from pimtasks.domain.identifiers import new_task_id
from pimtasks.domain.task import Task
from pimtasks.errors import ConflictError, NotFoundError
from pimtasks.services.ftps_users import FtpsUserService
from pimtasks.wiring import clear_caches
from pimtasks_local.functions import lambda_context

from tests.integration.core.harness import REGION, create_table, template_tables
from tests.integration.core.specs import weekly_import
from tests.integration.ftps.harness import Emulator

ROLE = "arn:aws:iam::123456789012:role/pimtasks-ftps-user"
BUCKET = "pimtasks-files"
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)



@pytest.fixture
def tables(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[DynamoTable, DynamoTable]]:
    """Fresh admin and tasks tables (from the template) in the session's emulator, and the function's variables."""
    suffix = uuid.uuid4().hex[:8]
    names = {"AdminTable": f"AdminTable-{suffix}", "TasksTable": f"TasksTable-{suffix}"}
    for table, name in names.items():
        create_table(emulator.dynamodb, name, template_tables()[table])
    variables = {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_ENDPOINT_URL": emulator.endpoint, "ADMIN_TABLE": names["AdminTable"],
                 "TASKS_TABLE": names["TasksTable"], "FILES_BUCKET": BUCKET,
                 "TRANSFER_USER_ROLE_ARN": ROLE, "POWERTOOLS_TRACE_DISABLED": "true",
                 "POWERTOOLS_METRICS_NAMESPACE": "Pimtasks"}
    for variable, value in variables.items():
        monkeypatch.setenv(variable, value)
    clear_caches()  # settings, clients and adapters are cached per process, as in a Lambda container
    yield (DynamoTable(table_name=names["AdminTable"], dynamodb_client=emulator.dynamodb),
           DynamoTable(table_name=names["TasksTable"], dynamodb_client=emulator.dynamodb))
    clear_caches()
    for name in names.values():
        emulator.dynamodb.delete_table(TableName=name)


@pytest.fixture
def admin_table(tables: tuple[DynamoTable, DynamoTable]) -> DynamoTable:
    return tables[0]


def _user(username: str, environment: str) -> FtpsUser:
    return FtpsUser(username=username, environment=environment, password_hash="scrypt$n=2,r=1,p=1$AA$AA",
                    created_at=NOW, password_changed_at=NOW)


def test_the_repository_keeps_users_per_environment_and_usernames_global(admin_table: DynamoTable) -> None:
    repository = FtpsUserRepository(table=admin_table)
    repository.create(_user("acme", "000001"))
    repository.create(_user("acme-2", "000001"))
    repository.create(_user("bolt", "000002"))
    with pytest.raises(ConflictError):
        repository.create(_user("acme", "000002"))

    assert [u.username for u in repository.list_for_environment("000001")] == ["acme", "acme-2"]
    assert repository.find("bolt") == _user("bolt", "000002")
    with pytest.raises(NotFoundError):
        repository.delete(environment="000001", username="bolt")
    with pytest.raises(NotFoundError):
        repository.set_password(environment="000001", username="bolt", password_hash="x", changed_at=NOW)
    repository.delete(environment="000002", username="bolt")
    assert repository.find("bolt") is None
    assert repository.list_for_environment("000002") == []


def test_login_attempts_are_reserved_up_to_the_limit_and_a_lock_or_success_settles_them(
        admin_table: DynamoTable) -> None:
    repository = FtpsUserRepository(table=admin_table)
    repository.create(_user("acme", "000001"))
    since = NOW - dt.timedelta(minutes=15)

    def reserve(at: dt.datetime = NOW) -> int | None:
        return repository.reserve_attempt(username="acme", at=at, counting_since=at - dt.timedelta(minutes=15),
                                          max_attempts=5)

    # Five attempts are numbered 1..5; the sixth gets none (the fifth may still be being checked)
    assert [reserve() for _ in range(6)] == [1, 2, 3, 4, 5, None]
    lock = NOW + dt.timedelta(minutes=15)
    repository.lock(username="acme", until=lock, max_attempts=5)
    assert repository.find("acme").locked_until == lock  # type: ignore[union-attr]
    assert reserve(lock - dt.timedelta(seconds=1)) is None
    # An expired lock starts afresh
    assert reserve(lock) == 1
    # A success clears the count and notes the login; a lock after it does not apply (nothing to lock)
    repository.record_success(username="acme", at=NOW, source_ip="192.0.2.1")
    repository.lock(username="acme", until=lock, max_attempts=5)
    found = repository.find("acme")
    assert found is not None and found.failed_attempts == 0 and found.locked_until is None
    assert found.last_login_at == NOW
    item = admin_table.get({"pk": "FTPSUSER#acme", "sk": "FTPSUSER"})
    assert item is not None and item["last_login_ip"] == "192.0.2.1"
    # Attempts older than the window no longer count
    assert [reserve() for _ in range(5)] == [1, 2, 3, 4, 5]
    assert reserve(NOW + dt.timedelta(minutes=15, milliseconds=1)) == 1
    # An unknown user reserves nothing
    assert repository.reserve_attempt(username="nobody", at=NOW, counting_since=since, max_attempts=5) is None


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    from functions.ftps_identity.app import handler

    return handler(event, lambda_context("pimtasks-ftps-identity", timeout_seconds=15))


def test_the_identity_provider_answers_a_good_login_with_a_scoped_home(admin_table: DynamoTable,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    service = FtpsUserService(store=FtpsUserRepository(table=admin_table), clock=SystemClock())
    issued = service.create_user(environment="000001", username="acme")
    assert issued.password

    answer = _invoke({"username": "acme", "password": issued.password, "protocol": "FTPS", "serverId": "s-1",
                      "sourceIp": "192.0.2.7"})

    assert answer["Role"] == ROLE
    assert answer["HomeDirectoryType"] == "LOGICAL"
    targets = [entry["Target"] for entry in json.loads(answer["HomeDirectoryDetails"])]
    assert targets == [f"/{BUCKET}/environments/000001/{folder}" for folder in ("Uploads", "Archived", "Downloads")]
    assert "environments/000001/Uploads/*" in answer["Policy"]
    assert "000002" not in answer["Policy"]


def test_the_identity_provider_answers_every_refusal_with_an_empty_object(admin_table: DynamoTable,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import functions.ftps_identity.app as app

    monkeypatch.setattr(app, "MAX_REFUSAL_DELAY_SECONDS", 0.0)
    service = FtpsUserService(store=FtpsUserRepository(table=admin_table), clock=SystemClock())
    issued = service.create_user(environment="000001", username="acme")
    good = {"username": "acme", "password": issued.password, "protocol": "FTPS", "serverId": "s-1",
            "sourceIp": "192.0.2.7"}

    assert _invoke({**good, "password": "wrong password"}) == {}
    assert _invoke({**good, "username": "nobody"}) == {}
    assert _invoke({**good, "protocol": "SFTP"}) == {}
    assert _invoke({"protocol": "FTPS"}) == {}
    for _ in range(4):
        _invoke({**good, "password": "wrong password"})
    assert _invoke(good) == {}  # locked after five failures


def test_the_session_policy_lets_the_login_write_only_into_imports_with_ftps_upload_on(
        tables: tuple[DynamoTable, DynamoTable]) -> None:
    # Given an environment with an import open to FTPS and one closed to it
    admin, tasks = tables
    repository = TaskRepository(table=tasks)
    for import_name, ftps_upload in (("Sales conditions APAC", True), ("Locked", False)):
        spec = weekly_import(settings={"import_name": import_name, "manual_upload": False,
                                       "ftps_upload": ftps_upload, "auto_import": True})
        repository.create(Task(task_id=new_task_id(), environment="000001", spec=spec, created_at=NOW,
                               updated_at=NOW, version=1, schedule_anchor=NOW))
    issued = FtpsUserService(store=FtpsUserRepository(table=admin), clock=SystemClock()).create_user(
        environment="000001", username="acme")

    # When the user logs in through Transfer Family
    answer = _invoke({"username": "acme", "password": issued.password, "protocol": "FTPS", "serverId": "s-1",
                      "sourceIp": "192.0.2.7"})

    # Then only the open import's folder is writable
    statements = json.loads(answer["Policy"])["Statement"]
    [write] = [statement for statement in statements if "s3:PutObject" in statement["Action"]]
    assert write["Resource"] == [f"arn:aws:s3:::{BUCKET}/environments/000001/Uploads/Sales conditions APAC/*"]
