"""Issue 2's acceptance, over HTTP against the local stack: schedules, validation, isolation, start/stop,
duplicate triggers and sequence order."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e.local_stack import LocalStack

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound for a moment, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


HUB_URL = f"http://127.0.0.1:{_closed_port()}/ArtConnectV30.svc"
# A task whose runs fail within seconds, for a reason a user can act on: its Art-Connect hub cannot be reached (a
# refused connection, retried briefly). Its credential names a secret the demo environment has (a task may name
# only an existing secret).
WEEKLY: dict[str, Any] = {
    "type": "import_artconnect_invoices",
    "description": "Weekly Art-Connect invoices",
    "frequency": {"every": "week", "days": ["MON"], "time": "12:53", "timezone": "Europe/Amsterdam"},
    "sequence_no": 10,
    "notification": {"emails": ["pim@example.com"], "when": "always"},
    "settings": {"endpoint_url": HUB_URL, "username": "pim", "password": "etim-secret"},
}


def eventually(probe: Callable[[], Any], *, seconds: float = 20, what: str = "condition") -> Any:
    """Poll until ``probe`` returns something truthy (the stack is asynchronous by design)."""
    deadline = time.monotonic() + seconds
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def schedule_of(stack: LocalStack, task_id: str) -> dict[str, Any] | None:
    scheduler = stack.aws("scheduler")
    group = f"{stack.state['schedule_group_prefix']}-000001"
    try:
        return scheduler.get_schedule(GroupName=group, Name=f"task-{task_id}")
    except scheduler.exceptions.ResourceNotFoundException:
        return None


def create_task(stack: LocalStack, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    reply = stack.post("/environments/000001/tasks", body, **kwargs)
    assert reply.status == 201, reply.body
    return reply.body


def runs_of(stack: LocalStack, task_id: str) -> list[dict[str, Any]]:
    return stack.get(f"/environments/000001/tasks/{task_id}/runs").body["items"]


def test_a_weekly_task_gets_its_schedule_and_follows_the_task(local_stack: LocalStack) -> None:
    task = create_task(local_stack, WEEKLY)
    schedule = eventually(lambda: schedule_of(local_stack, task["task_id"]), what="the schedule")
    assert schedule["ScheduleExpression"] == "cron(53 12 ? * MON *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Amsterdam"
    assert schedule["State"] == "ENABLED"
    # next_run_at: the coming Monday 12:53 in Amsterdam, with that day's offset
    next_run = dt.datetime.fromisoformat(task["next_run_at"])
    local = next_run.astimezone(AMSTERDAM)
    assert (local.weekday(), local.hour, local.minute) == (0, 12, 53)
    assert next_run.utcoffset() == local.utcoffset()
    assert next_run > dt.datetime.now(dt.UTC)
    path = f"/environments/000001/tasks/{task['task_id']}"
    assert local_stack.patch(path, {"active": False}).status == 200
    eventually(lambda: (schedule_of(local_stack, task["task_id"]) or {}).get("State") == "DISABLED",
               what="the schedule to be disabled")
    assert local_stack.delete(path).status == 204
    eventually(lambda: schedule_of(local_stack, task["task_id"]) is None, what="the schedule to be deleted")


def test_missing_description_is_422_and_another_environments_key_is_403(local_stack: LocalStack) -> None:
    body = {k: v for k, v in WEEKLY.items() if k != "description"}
    reply = local_stack.post("/environments/000001/tasks", body)
    assert reply.status == 422
    assert [error["field"] for error in reply.body["errors"]] == ["description"]
    created = local_stack.post("/environments", {"environment": "000042", "name": "Other wholesaler"})
    assert created.status in (201, 409)
    other_key = local_stack.post("/api-keys", {"environments": ["000042"]}).body["api_key"]
    assert local_stack.get("/environments/000001/tasks", api_key=other_key).status == 403
    assert local_stack.post("/environments/000001/tasks", WEEKLY, api_key=other_key).status == 403
    assert local_stack.get("/environments/000042/tasks", api_key=other_key).status == 200


def test_a_started_run_that_cannot_reach_its_hub_fails_naming_it_and_mails(local_stack: LocalStack) -> None:
    task = create_task(local_stack, WEEKLY)
    started = local_stack.post(f"/environments/000001/tasks/{task['task_id']}/start")
    assert started.status == 202 and started.body["status"] == "queued"
    run_path = f"/environments/000001/runs/{started.body['run_id']}"
    ended = eventually(lambda: (r := local_stack.get(run_path).body)["status"] not in ("queued", "running") and r,
                       what="the run to end")
    assert ended["status"] == "failed" and f"{HUB_URL} cannot be reached" in ended["error"], ended
    mails = eventually(lambda: [m for m in local_stack.get("/_local/mail").body
                                if "Weekly Art-Connect invoices" in m["subject"]], what="the report e-mail")
    assert "pim@example.com" in str(mails[0]["to"])


def test_the_same_scheduled_time_fired_twice_gives_one_run(local_stack: LocalStack) -> None:
    task = create_task(local_stack, WEEKLY)
    eventually(lambda: schedule_of(local_stack, task["task_id"]), what="the schedule")
    fire = f"/_local/fire/000001/{task['task_id']}"
    minute = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    body = {"scheduled_time": minute.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert local_stack.post(fire, body).status == 202
    assert local_stack.post(fire, body).status == 202
    runs = eventually(lambda: [r for r in runs_of(local_stack, task["task_id"]) if r["status"] == "failed"],
                      what="the fired run to end")
    time.sleep(1)
    runs = runs_of(local_stack, task["task_id"])
    assert len(runs) == 1 and runs[0]["trigger"] == "schedule"


def test_tasks_due_in_the_same_minute_run_in_sequence_order(local_stack: LocalStack) -> None:
    # two one-off tasks at the next whole minute (real schedules, fired by the runner), sequence 20 created first
    now = dt.datetime.now(AMSTERDAM)
    due = (now + dt.timedelta(minutes=2 if now.second > 45 else 1)).replace(second=0, microsecond=0)
    frequency = {"every": "once", "date": due.date().isoformat(), "time": due.strftime("%H:%M"),
                 "timezone": "Europe/Amsterdam"}
    late = create_task(local_stack, {**WEEKLY, "description": "sequence 20", "sequence_no": 20,
                                     "frequency": frequency, "notification": {"emails": [], "when": "never"}})
    early = create_task(local_stack, {**WEEKLY, "description": "sequence 10", "sequence_no": 10,
                                      "frequency": frequency, "notification": {"emails": [], "when": "never"}})
    seconds_left = (due - dt.datetime.now(AMSTERDAM)).total_seconds()

    def both_ended() -> Any:
        runs = [runs_of(local_stack, t["task_id"]) for t in (early, late)]
        if all(r and r[0]["status"] not in ("queued", "running") for r in runs):
            return [r[0] for r in runs]
        return None

    first, second = eventually(both_ended, seconds=seconds_left + 45, what="both scheduled runs to end")
    assert first["trigger"] == second["trigger"] == "schedule"
    assert first["sequence_no"] == 10 and second["sequence_no"] == 20
    assert first["ended_at"] <= second["started_at"], (first, second)  # 10 first, never in parallel
