"""Task repository and scheduler sync against moto."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pimtasks.errors import ConflictError, NotFoundError, ValidationFailedError
from pimtasks.services.schedule_sync import TaskChange

from tests.integration.core.harness import Core
from tests.integration.core.specs import etim_daily, weekly_import


def test_created_task_reads_back_with_environment_timezone_default(core: Core) -> None:
    # given a frequency without a time zone in an environment that lives in New York
    created = core.tasks.create(environment="000002", spec=etim_daily())
    # when it is read back
    stored = core.tasks.get(environment="000002", task_id=created.task_id)
    # then it took the environment's zone and round-trips exactly
    assert stored.spec.frequency.timezone == "America/New_York"
    assert stored.spec == created.spec
    assert stored.version == 1


def test_tasks_of_one_environment_are_invisible_to_another(core: Core) -> None:
    created = core.tasks.create(environment="000001", spec=weekly_import())
    with pytest.raises(NotFoundError):
        core.tasks.get(environment="000002", task_id=created.task_id)
    assert core.tasks.list(environment="000002") == []
    assert [t.task_id for t in core.tasks.list(environment="000001")] == [created.task_id]


def test_patch_changes_one_field_and_keeps_the_rest(core: Core) -> None:
    created = core.tasks.create(environment="000001", spec=weekly_import())
    patched = core.tasks.patch(environment="000001", task_id=created.task_id,
                               patch={"active": False, "settings": {"archived": False}})
    assert patched.spec.active is False
    assert patched.spec.settings.archived is False
    assert patched.spec.settings.import_name == "Sales conditions APAC"
    assert patched.version == 2


def test_type_is_fixed_after_creation(core: Core) -> None:
    created = core.tasks.create(environment="000001", spec=weekly_import())
    with pytest.raises(ValidationFailedError) as raised:
        core.tasks.replace(environment="000001", task_id=created.task_id, spec=etim_daily())
    assert raised.value.field == "type"


def test_concurrent_writers_conflict_instead_of_overwriting(core: Core) -> None:
    created = core.tasks.create(environment="000001", spec=weekly_import())
    newer = created.model_copy(update={"version": 2})
    core.task_store.replace(newer, expected_version=1)
    with pytest.raises(ConflictError):
        core.task_store.replace(created.model_copy(update={"version": 2}), expected_version=1)


def test_import_cycle_is_rejected(core: Core) -> None:
    first = core.tasks.create(environment="000001", spec=weekly_import())
    second = core.tasks.create(environment="000001", spec=weekly_import(
        settings={"import_name": "Prices", "predecessor_task_id": first.task_id}))
    with pytest.raises(ValidationFailedError) as raised:
        core.tasks.patch(environment="000001", task_id=first.task_id,
                         patch={"settings": {"predecessor_task_id": second.task_id}})
    assert raised.value.field == "settings.predecessor_task_id"


def test_next_run_crosses_daylight_saving_in_wall_clock_time(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=weekly_import())
    before_spring = dt.datetime(2026, 3, 27, 12, 0, tzinfo=dt.UTC)
    before_autumn = dt.datetime(2026, 10, 23, 12, 0, tzinfo=dt.UTC)
    assert core.tasks.next_run_at(task, now=before_spring).isoformat() == "2026-03-30T12:53:00+02:00"
    assert core.tasks.next_run_at(task, now=before_autumn).isoformat() == "2026-10-26T12:53:00+01:00"


def _schedule(core: Core, task_id: str, environment: str = "000001") -> dict:
    return core.scheduler.get_schedule(GroupName=f"pimtasks-{environment}", Name=f"task-{task_id}")


def test_sync_creates_one_schedule_per_task_in_the_environment_group(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=weekly_import())
    assert core.sync.apply(TaskChange(old=None, new=task)) == "upserted"
    schedule = _schedule(core, task.task_id)
    assert schedule["ScheduleExpression"] == "cron(53 12 ? * MON *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Amsterdam"
    assert schedule["State"] == "ENABLED"
    target = schedule["Target"]
    assert target["Arn"].endswith(":function:pimtasks-task-import")
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 3
    assert target["DeadLetterConfig"]["Arn"] == core.deployment.attribute("SchedulesDeadLetterQueue", "Arn")
    assert json.loads(target["Input"]) == {"environment": "000001", "task_id": task.task_id, "trigger": "schedule",
                                           "scheduled_time": "<aws.scheduler.scheduled-time>"}


def test_sync_disables_on_deactivation_and_deletes_with_the_task(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=weekly_import())
    core.sync.apply(TaskChange(old=None, new=task))
    inactive = core.tasks.patch(environment="000001", task_id=task.task_id, patch={"active": False})
    assert core.sync.apply(TaskChange(old=task, new=inactive)) == "upserted"
    assert _schedule(core, task.task_id)["State"] == "DISABLED"
    assert core.sync.apply(TaskChange(old=inactive, new=None)) == "deleted"
    with pytest.raises(core.scheduler.exceptions.ResourceNotFoundException):
        _schedule(core, task.task_id)
    # a redelivered removal is harmless
    assert core.sync.apply(TaskChange(old=inactive, new=None)) == "deleted"


def test_sync_is_idempotent_and_ignores_stale_records(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=weekly_import())
    core.sync.apply(TaskChange(old=None, new=task))
    changed = core.tasks.patch(environment="000001", task_id=task.task_id,
                               patch={"frequency": {"every": "day", "time": "07:15"}})
    assert core.sync.apply(TaskChange(old=task, new=changed)) == "upserted"
    # the insert record delivered again, late: it must not roll the schedule back
    assert core.sync.apply(TaskChange(old=None, new=task)) == "stale"
    assert core.sync.apply(TaskChange(old=task, new=changed)) == "stale"
    assert _schedule(core, task.task_id)["ScheduleExpression"] == "cron(15 7 * * ? *)"


def test_bookkeeping_changes_do_not_touch_the_schedule(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=weekly_import())
    with_last_run = task.model_copy(update={"last_run": None})
    assert core.sync.apply(TaskChange(old=task, new=with_last_run)) == "unchanged"


def test_every_task_of_an_environment_keeps_its_own_schedule(core: Core) -> None:
    # given two tasks of one environment, each synced by a fresh (cold) sync service
    first = core.tasks.create(environment="000001", spec=weekly_import())
    second = core.tasks.create(environment="000001", spec=etim_daily())
    for task in (first, second):
        core.cold_sync().apply(TaskChange(old=None, new=task))
    # then both schedules exist side by side in the environment's group
    names = {s["Name"] for s in core.scheduler.list_schedules(GroupName="pimtasks-000001")["Schedules"]}
    assert names == {f"task-{first.task_id}", f"task-{second.task_id}"}
