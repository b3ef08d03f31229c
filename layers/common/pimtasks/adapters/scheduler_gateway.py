"""EventBridge Scheduler: one schedule per task, in one schedule group per environment.

Names are deterministic (group ``<prefix>-<env>``, schedule ``task-<task_id>``) so a redelivered stream
record finds the schedule it made before. The schedule's Description carries the task version it was made
from, so an older record arriving late never overwrites a newer schedule.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

from pimtasks.adapters.aws_clients import client
from pimtasks.domain.schedule import DesiredSchedule

_VERSION_RE = re.compile(r"\(task version (\d+)\)")


class SchedulerGateway:
    def __init__(self, *, role_arn: str, dead_letter_arn: str, scheduler_client: Any | None = None,
                 max_retries: int = 3, max_event_age_seconds: int = 3600) -> None:
        self._role_arn = role_arn
        self._dead_letter_arn = dead_letter_arn
        self._client = scheduler_client
        self._max_retries = max_retries
        self._max_event_age = max_event_age_seconds
        self._known_groups: set[str] = set()

    @property
    def _scheduler(self) -> Any:
        if self._client is None:
            self._client = client("scheduler")
        return self._client

    def stored_version(self, *, group: str, name: str) -> int | None:
        """The task version the existing schedule was made from; None when there is no schedule."""
        try:
            found = self._scheduler.get_schedule(GroupName=group, Name=name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise
        match = _VERSION_RE.search(found.get("Description", ""))
        return int(match.group(1)) if match else 0

    def create(self, desired: DesiredSchedule) -> bool:
        """Create the schedule; False when it exists already (the caller then compares versions)."""
        self._ensure_group(desired.group)
        try:
            self._scheduler.create_schedule(**self._arguments(desired))
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConflictException":
                return False
            raise
        return True

    def upsert(self, desired: DesiredSchedule) -> None:
        """Create or update the schedule (creating the environment's group on first use)."""
        arguments = self._arguments(desired)
        try:
            self._scheduler.update_schedule(**arguments)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            self._ensure_group(desired.group)
            self._scheduler.create_schedule(**arguments)

    def delete(self, *, group: str, name: str) -> None:
        try:
            self._scheduler.delete_schedule(GroupName=group, Name=name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise

    def _ensure_group(self, group: str) -> None:
        """Create the environment's group once. Look before creating: re-creating an existing group must never
        happen (the emulator replaces the group, and with it every schedule of the environment)."""
        if group in self._known_groups:
            return
        try:
            self._scheduler.get_schedule_group(Name=group)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            try:
                self._scheduler.create_schedule_group(Name=group)
            except ClientError as create_exc:
                if create_exc.response["Error"]["Code"] != "ConflictException":
                    raise
        self._known_groups.add(group)

    def _arguments(self, desired: DesiredSchedule) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "GroupName": desired.group,
            "Name": desired.name,
            "ScheduleExpression": desired.expression,
            "ScheduleExpressionTimezone": desired.timezone,
            "State": "ENABLED" if desired.enabled else "DISABLED",
            "Description": f"{desired.description[:400]} (task version {desired.version})",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {
                "Arn": desired.target_arn,
                "RoleArn": self._role_arn,
                "Input": desired.target_input,
                "RetryPolicy": {
                    "MaximumRetryAttempts": self._max_retries,
                    "MaximumEventAgeInSeconds": self._max_event_age,
                },
                "DeadLetterConfig": {"Arn": self._dead_letter_arn},
            },
        }
        if desired.start_date is not None:
            arguments["StartDate"] = desired.start_date
        return arguments
