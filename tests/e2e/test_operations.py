"""Operations on `make run`: a failed run sets off the template's alarm in the emulator, and every function logs
under its own service name."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from tests.e2e.local_stack import LocalStack
from tests.e2e.test_platform import WEEKLY, create_task, eventually


def _fail_a_run(stack: LocalStack) -> dict[str, Any]:
    task = create_task(stack, {**WEEKLY, "description": "Fails for the alarm",
                               "notification": {"emails": [], "when": "never"}})
    started = stack.post(f"/environments/000001/tasks/{task['task_id']}/start")
    assert started.status == 202, started.body
    path = f"/environments/000001/runs/{started.body['run_id']}"
    run = eventually(lambda: (r := stack.get(path).body)["status"] not in ("queued", "running") and r,
                     what="the run to end")
    assert run["status"] == "failed"
    return dict(run)


def test_a_failed_run_sets_off_the_failed_runs_alarm(local_stack: LocalStack) -> None:
    cloudwatch = local_stack.aws("cloudwatch")
    alarm_name = f"{local_stack.state['stack_name']}-FailedRunsAlarm"

    _fail_a_run(local_stack)

    alarm = eventually(lambda: [a for a in cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
                                if a["StateValue"] == "ALARM"], what="the alarm to fire")[0]
    now = dt.datetime.now(dt.UTC)
    statistics = cloudwatch.get_metric_statistics(
        Namespace=alarm["Namespace"], MetricName=alarm["MetricName"], Dimensions=alarm["Dimensions"],
        StartTime=now - dt.timedelta(hours=1), EndTime=now + dt.timedelta(minutes=1), Period=alarm["Period"],
        Statistics=["Sum"])
    assert sum(point["Sum"] for point in statistics["Datapoints"]) >= 1
    metrics = cloudwatch.list_metrics(Namespace=alarm["Namespace"], MetricName=alarm["MetricName"])["Metrics"]
    assert alarm["Dimensions"] in [m["Dimensions"] for m in metrics]  # the exact dimension set exists


def test_every_function_logs_under_its_own_service_name(local_stack: LocalStack) -> None:
    stack_name = local_stack.state["stack_name"]
    # the API logs when it creates an FTPS user (in an environment of its own: other tests list 000001's users)
    local_stack.post("/environments", {"environment": "000045", "name": "Logs"})
    assert local_stack.post("/environments/000045/ftps-users", {"username": "supplier-logs"}).status == 201
    assert local_stack.delete("/environments/000045/ftps-users/supplier-logs").status == 204
    run = _fail_a_run(local_stack)

    def lines() -> list[dict[str, Any]]:
        text = local_stack.log_path.read_text(errors="replace")
        return [json.loads(line) for line in text.splitlines() if line.startswith('{"level"')]

    ended = eventually(lambda: [line for line in lines() if line.get("run_id") == run["run_id"]
                                and line["message"] == "run ended"], what="the run's log line")
    # (WEEKLY imports Art-Connect invoices from a hub that cannot be reached: its runs fail within seconds, in the
    # Art-Connect function)
    assert ended[0]["service"] == "artconnect" and ended[0]["function_name"] == f"{stack_name}-task-artconnect"
    services = {(line["function_name"], line["service"]) for line in lines() if "function_name" in line}
    assert (f"{stack_name}-api", "api") in services
    expected = {f"{stack_name}-api": "api", f"{stack_name}-authorizer": "authorizer",
                f"{stack_name}-task-etim": "etim", f"{stack_name}-task-twoba": "twoba",
                f"{stack_name}-task-artconnect": "artconnect", f"{stack_name}-task-export": "export",
                f"{stack_name}-task-import": "import",
                f"{stack_name}-scheduler-sync": "scheduler_sync", f"{stack_name}-run-sweeper": "run_sweeper"}
    wrong = {(name, service) for name, service in services if expected.get(name, service) != service}
    assert wrong == set()
    # and the stack's own log goes on once the handlers (and their Logger) are loaded
    text = local_stack.log_path.read_text(errors="replace")
    assert "pimtasks_local: function host:" in text and "pimtasks_local: API on" in text
