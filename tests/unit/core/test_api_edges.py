"""Pure pieces of the API edge: error field names, the authorizer's policy, JSON merge patch, the report."""

from __future__ import annotations

import datetime as dt
import fnmatch

import pytest
from pimtasks.api.error_mapping import field_of
from pimtasks.domain.environment import Principal
from pimtasks.domain.run import MessageLevel, Run, RunCounts, RunMessage, RunStatus, Trigger
from pimtasks.services.authorization import allowed_resources, authorizer_response
from pimtasks.services.run_report import report_subject, report_text
from pimtasks.services.tasks import merge_patch

from tests.unit.core.test_models import SPEC, task

METHOD = "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/GET/environments/000001/tasks"


@pytest.mark.parametrize(("location", "field"), [
    (("body", "import", "description"), "description"),
    (("body", "import", "settings", "import_name"), "settings.import_name"),
    (("body", "import", "frequency", "week", "days", 0), "frequency.days.0"),
    (("path", "env"), "env"),
    (("body",), "body"),
])
def test_error_locations_become_field_names(location: tuple, field: str) -> None:
    assert field_of(location) == field


def _allowed(principal: Principal, arn: str) -> bool:
    return any(fnmatch.fnmatchcase(arn, pattern) for pattern in allowed_resources(principal, method_arn=METHOD))


def test_an_environment_key_reaches_only_its_environments() -> None:
    key = Principal(key_id="k", environments=("000001", "000003"))
    prefix = "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1"
    assert _allowed(key, f"{prefix}/GET/environments/000001/tasks")
    assert _allowed(key, f"{prefix}/POST/environments/000003/tasks/x/start")
    assert _allowed(key, f"{prefix}/GET/environments")
    assert not _allowed(key, f"{prefix}/GET/environments/000002/tasks")
    assert not _allowed(key, f"{prefix}/GET/environments/0000010/tasks")
    assert not _allowed(key, f"{prefix}/POST/api-keys")
    assert not _allowed(key, f"{prefix}/POST/environments")


def test_an_admin_key_reaches_everything_and_the_context_says_so() -> None:
    admin = Principal(key_id="k", environments=("000001",), admin=True)
    assert _allowed(admin, "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/POST/api-keys")
    assert authorizer_response(admin, method_arn=METHOD)["context"] == {
        "key_id": "k", "environments": "000001", "admin": "true"}


def test_merge_patch_follows_rfc_7396() -> None:
    target = {"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]}
    assert merge_patch(target, {"a": None, "b": {"c": 9}, "e": [3]}) == {"b": {"c": 9, "d": 3}, "e": [3]}


def test_the_report_names_outcome_counts_and_where_bad_input_was() -> None:
    from pimtasks.domain.task import Task

    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    spec = SPEC.validate_python(task("import"))
    stored = Task(task_id="t" * 32, environment="000001", spec=spec, created_at=now, updated_at=now, version=1,
                  schedule_anchor=now)
    run = Run(run_id="r" * 32, environment="000001", task_id=stored.task_id, task_type="import",
              trigger=Trigger.SCHEDULE, status=RunStatus.PARTIALLY_SUCCEEDED, created_at=now, started_at=now,
              ended_at=now, counts=RunCounts(read=10, created=8, rejected=2),
              messages=[RunMessage(level=MessageLevel.ERROR, text="not a number", file="apac.xlsx", sheet="Prices",
                                   row=7, column="Net price", value="12,5x")])
    assert report_subject(stored, run) == "[pimtasks 000001] Partially succeeded: A task"
    text = report_text(stored, run)
    assert "read 10, created 8, updated 0, unchanged 0, rejected 2" in text
    assert "file apac.xlsx, sheet Prices, row 7, column Net price, value '12,5x': not a number" in text
