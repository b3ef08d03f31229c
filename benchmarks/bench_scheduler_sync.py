"""scheduler_sync throughput: 1,000 task changes (stream INSERT records in batches of 100, as Lambda delivers
them) through the real handler into the emulator's EventBridge Scheduler, as a ratio to 1,000 raw
``create_schedule`` calls against the same emulator in the same run."""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from benchmarks.support import moto_server

CHANGES = 1000
BATCH = 100



def _task_items(count: int) -> list[dict[str, Any]]:
    from pimtasks.adapters.task_repository import TaskItem
    from pimtasks.domain.task import Task, TaskSpec
    from pydantic import TypeAdapter

    spec = TypeAdapter(TaskSpec).validate_python({
        "type": "import", "description": "Weekly import", "settings": {"import_name": "Bench"},
        "frequency": {"every": "week", "days": ["MON"], "time": "12:53", "timezone": "Europe/Amsterdam"}})
    now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    items = []
    for index in range(count):
        task = Task(task_id=f"{index:032x}", environment=f"{index % 10 + 1:06d}", spec=spec, created_at=now,
                    updated_at=now, version=1, schedule_anchor=now)
        items.append(TaskItem.from_task(task).model_dump(exclude_none=True))
    return items


def _stream_event(items: list[dict[str, Any]]) -> dict[str, Any]:
    serializer = TypeSerializer()
    records = []
    for number, item in enumerate(items):
        image = {k: serializer.serialize(v) for k, v in item.items()}
        records.append({"eventID": str(number), "eventName": "INSERT", "eventSource": "aws:dynamodb",
                        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/T/stream/x",
                        "dynamodb": {"Keys": {"pk": image["pk"], "sk": image["sk"]}, "NewImage": image,
                                     "SequenceNumber": str(number), "StreamViewType": "NEW_AND_OLD_IMAGES"}})
    return {"Records": records}


def _raw_baseline(client: Any, count: int) -> float:
    client.create_schedule_group(Name="raw-baseline")
    started = time.perf_counter()
    for index in range(count):
        client.create_schedule(GroupName="raw-baseline", Name=f"raw-{index}",
                               ScheduleExpression="cron(53 12 ? * MON *)",
                               ScheduleExpressionTimezone="Europe/Amsterdam", FlexibleTimeWindow={"Mode": "OFF"},
                               Target={"Arn": "arn:aws:lambda:eu-west-1:123456789012:function:x",
                                       "RoleArn": "arn:aws:iam::123456789012:role/r", "Input": "{}"})
    return time.perf_counter() - started


def run() -> dict[str, Any]:
    with moto_server():
        os.environ.update({"SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/scheduler",
                           "SCHEDULES_DLQ_ARN": "arn:aws:sqs:eu-west-1:123456789012:dlq",
                           "AWS_ACCOUNT_ID": "123456789012", "FUNCTION_NAME_PREFIX": "bench-task-",
                           "SCHEDULE_GROUP_PREFIX": "bench", "POWERTOOLS_TRACE_DISABLED": "true",
                           "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"})
        import boto3
        from pimtasks.wiring import clear_caches

        clear_caches()
        from pimtasks_local.functions import lambda_context

        from functions.scheduler_sync.app import handler

        context = lambda_context("bench-scheduler-sync", timeout_seconds=120)

        raw_seconds = _raw_baseline(boto3.client("scheduler"), CHANGES)
        items = _task_items(CHANGES)
        started = time.perf_counter()
        failures = 0
        for offset in range(0, CHANGES, BATCH):
            result = handler(_stream_event(items[offset:offset + BATCH]), context)
            failures += len(result.get("batchItemFailures", []))
        sync_seconds = time.perf_counter() - started
        paginator = boto3.client("scheduler").get_paginator("list_schedules")
        created = sum(len(page["Schedules"]) for e in range(1, 11)
                      for page in paginator.paginate(GroupName=f"bench-{e:06d}"))
    return {
        "changes": CHANGES, "failures": failures, "schedules_created": created,
        "sync_changes_per_second": round(CHANGES / sync_seconds, 1),
        "raw_create_schedule_per_second": round(CHANGES / raw_seconds, 1),
        "ratio_to_raw": round(raw_seconds / sync_seconds, 2),
    }


if __name__ == "__main__":
    print(run())
