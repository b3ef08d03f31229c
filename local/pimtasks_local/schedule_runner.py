"""The schedule runner: fires EventBridge Scheduler schedules, which moto stores but never fires.

It keeps the schedules in a cache: a refresh lists the schedules of all groups and reads the details of
new or changed ones only (by LastModificationDate). Under ``run`` refreshes happen in a thread of their own
every ``refresh_seconds`` (less often when listing is slow: it never takes more than a tenth of the time), so
with thousands of schedules firing is never held up by reading them. Every tick (about once a second) fires,
from the cache alone, every fire time up to now of each ENABLED schedule, computed by
``pimtasks.schedules.evaluator.next_fire_time`` with the schedule's time zone and start/end dates. A late
tick catches up on every fire time it missed; a schedule first seen (or changed) by a refresh fires its times
since the previous refresh began (and since it was modified), so the refresh interval can delay a new
schedule's first fire time, never drop it. On start nothing from the past is fired.

Firing does what EventBridge Scheduler does for a Lambda target: the target ``Input`` with the
``<aws.scheduler.*>`` context attributes filled in is sent to the function asynchronously; a failure is
retried with exponential backoff per the target's RetryPolicy, then sent to its DeadLetterConfig queue
with the error attributes the service sets; ``ActionAfterCompletion: DELETE`` deletes the schedule after
its last fire time.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import json
import logging
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pimtasks.clock import Clock, SystemClock
from pimtasks.schedules.evaluator import next_fire_time

from pimtasks_local.functions import FunctionInvoker

LOGGER = logging.getLogger(__name__)

_MAX_CATCH_UP = 10_000
_DETAILS_CHUNK = 100
_DEFAULT_RETRY = {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}


def task_schedule_location(*, prefix: str, environment: str, task_id: str) -> tuple[str, str]:
    """(group, name) of a task's schedule: named as by pimtasks.domain.schedule, in one place."""
    from pimtasks.domain.schedule import schedule_group_name, schedule_name

    return schedule_group_name(prefix=prefix, environment=environment), schedule_name(task_id)


def scheduled_time_text(moment: dt.datetime) -> str:
    """``<aws.scheduler.scheduled-time>``: ISO 8601 in UTC to the second, e.g. ``2026-11-30T11:53:00Z``."""
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def render_input(template: str, *, scheduled_time: dt.datetime, execution_id: str, attempt: int,
                 schedule_arn: str) -> str:
    """The target input with EventBridge Scheduler's context attributes substituted."""
    values = {
        "<aws.scheduler.scheduled-time>": scheduled_time_text(scheduled_time),
        "<aws.scheduler.execution-id>": execution_id,
        "<aws.scheduler.attempt-number>": str(attempt),
        "<aws.scheduler.schedule-arn>": schedule_arn,
    }
    for placeholder, value in values.items():
        template = template.replace(placeholder, value)
    return template


def _payload(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class Firing:
    """One delivery attempt of one fire time of one schedule."""

    group: str
    name: str
    schedule_arn: str
    target: dict[str, Any]
    scheduled_time: dt.datetime
    execution_id: str
    attempt: int = 1

    @property
    def input_text(self) -> str:
        return render_input(str(self.target.get("Input") or "{}"), scheduled_time=self.scheduled_time,
                            execution_id=self.execution_id, attempt=self.attempt,
                            schedule_arn=self.schedule_arn)


@dataclass
class _Tracked:
    modified: Any
    details: dict[str, Any] | None
    next_due: dt.datetime | None
    fired_until: dt.datetime | None = None  # the last fire time delivered

    @property
    def enabled(self) -> bool:
        return self.details is not None and self.details.get("State") == "ENABLED"


@dataclass(order=True)
class _Retry:
    due: dt.datetime
    sequence: int
    firing: Firing = field(compare=False)


class ScheduleRunner:
    """Fires due schedules of the Scheduler API at ``scheduler`` into the functions of ``invoker``."""

    def __init__(
        self,
        *,
        scheduler: Any,
        sqs: Any,
        invoker: FunctionInvoker,
        clock: Clock | None = None,
        retry_base_seconds: float = 1.0,
        retry_max_seconds: float = 60.0,
        page_size: int = 100,
        refresh_seconds: float = 10.0,
    ) -> None:
        self._scheduler = scheduler
        self._sqs = sqs
        self._invoker = invoker
        self._clock: Clock = clock or SystemClock()
        self._retry_base = retry_base_seconds
        self._retry_max = retry_max_seconds
        self._page_size = page_size
        self._refresh_seconds = refresh_seconds
        self._tracked: dict[tuple[str, str], _Tracked] = {}
        self._tracked_lock = threading.Lock()  # the refresher thread applies changes while ticks fire
        self._last_tick: dt.datetime | None = None
        self._refreshed_from: dt.datetime | None = None  # when the last completed refresh began listing
        self._refreshed_at: dt.datetime | None = None
        self._listing_seconds = 0.0
        self._background_refresh = False
        self._retries: list[_Retry] = []
        self._retry_lock = threading.Lock()
        self._sequence = itertools.count()
        self._queue_urls: dict[str, str] = {}

    # --- the loop --------------------------------------------------------------------------------

    def start(self) -> None:
        """Begin at the clock's now: fire times before it are not fired."""
        self._last_tick = self._clock.now()
        self._refreshed_from = self._last_tick

    def run(self, stop: threading.Event, *, interval_seconds: float = 1.0) -> None:
        """Tick every ``interval_seconds`` until ``stop`` is set; refresh the cache in a thread of its own."""
        if self._last_tick is None:
            self.start()
        self._background_refresh = True
        threading.Thread(target=self._refresh_loop, args=(stop,), name="schedule-refresh", daemon=True).start()
        while not stop.wait(interval_seconds):
            try:
                self.tick()
            except (ClientError, BotoCoreError) as exc:
                LOGGER.warning("schedule runner tick failed, retrying next tick: %s", exc)
            except Exception:  # the runner must survive a bad tick; the error is logged
                LOGGER.exception("schedule runner tick failed")

    def tick(self) -> list[Firing]:
        """Fire every cached fire time up to now and every retry that is due; returns the firings.

        Outside ``run`` (tests, one-off use) the tick refreshes the cache itself when a refresh is due.
        """
        if self._last_tick is None:
            self.start()
        now = self._clock.now()
        if not self._background_refresh and self._refresh_due(now):
            self.refresh()  # raises on failure: the fire times are fired by a later tick
        fired: list[Firing] = []
        completed: list[tuple[str, str]] = []
        with self._tracked_lock:
            for key, tracked in self._tracked.items():
                if tracked.enabled and tracked.next_due is not None and tracked.next_due <= now:
                    fired += self._fire_due(key, tracked, now)
                    if tracked.next_due is None and (tracked.details or {}).get("ActionAfterCompletion") == "DELETE":
                        completed.append(key)
        for key in completed:
            self._delete(key)
        self._last_tick = now
        fired += self._due_retries(now)
        return fired

    def _refresh_due(self, now: dt.datetime) -> bool:
        if self._refreshed_at is None:
            return True
        return (now - self._refreshed_at).total_seconds() >= max(self._refresh_seconds, 9 * self._listing_seconds)

    def _refresh_loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                if self._refresh_due(self._clock.now()):
                    self.refresh()
            except (ClientError, BotoCoreError) as exc:
                LOGGER.warning("schedule runner refresh failed, retrying: %s", exc)
            except Exception:  # the refresher must survive a bad refresh; the error is logged
                LOGGER.exception("schedule runner refresh failed")
            stop.wait(1.0)

    # --- firing ----------------------------------------------------------------------------------

    def fire_now(self, *, group: str, name: str, scheduled_time: dt.datetime | None = None) -> dict[str, Any]:
        """Fire one schedule now, as a due fire time would be; returns the function and the payload sent.

        ``scheduled_time`` defaults to the current minute. Raises ``LookupError`` for an unknown schedule.
        """
        try:
            details = self._scheduler.get_schedule(GroupName=group, Name=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise LookupError(f"no schedule {name} in group {group}") from exc
            raise
        moment = scheduled_time or self._clock.now().replace(second=0, microsecond=0)
        firing = self._firing(group, name, details, moment)
        self._deliver(firing)
        return {
            "schedule": f"{group}/{name}",
            "function": firing.target.get("Arn"),
            "scheduled_time": scheduled_time_text(moment),
            "payload": _payload(firing.input_text),
        }

    def _fire_due(self, key: tuple[str, str], tracked: _Tracked, now: dt.datetime) -> list[Firing]:
        details = tracked.details
        assert details is not None
        fired: list[Firing] = []
        while tracked.next_due is not None and tracked.next_due <= now:
            if len(fired) >= _MAX_CATCH_UP:
                LOGGER.error("schedule %s/%s: more than %s fire times missed; the rest are fired next tick",
                             *key, _MAX_CATCH_UP)
                break
            firing = self._firing(key[0], key[1], details, tracked.next_due)
            self._deliver(firing)
            fired.append(firing)
            tracked.fired_until = tracked.next_due
            tracked.next_due = self._next(details, after=tracked.next_due)
        if len(fired) > 1:
            LOGGER.warning("schedule %s/%s: caught up on %d missed fire times", *key, len(fired))
        return fired

    def _firing(self, group: str, name: str, details: dict[str, Any], moment: dt.datetime) -> Firing:
        return Firing(
            group=group,
            name=name,
            schedule_arn=str(details.get("Arn", "")),
            target=dict(details.get("Target") or {}),
            scheduled_time=moment.astimezone(dt.UTC),
            execution_id=str(uuid.uuid4()),
        )

    def _deliver(self, firing: Firing) -> None:
        arn = str(firing.target.get("Arn", ""))
        if self._invoker.find(arn) is None:
            LOGGER.error("schedule %s/%s targets %s, which is not a hosted function", firing.group, firing.name, arn)
            self._dead_letter(firing, code="AWS.Scheduler.ResourceNotFound",
                              message=f"target {arn} is not a function of the local stack",
                              condition="MaximumRetryAttempts")
            return
        LOGGER.info("firing %s/%s for %s (attempt %d) -> %s", firing.group, firing.name,
                    scheduled_time_text(firing.scheduled_time), firing.attempt, arn.rsplit(":", 1)[-1])
        future = self._invoker.invoke_async(arn, _payload(firing.input_text))
        future.add_done_callback(lambda done: self._completed(firing, done))

    def _completed(self, firing: Firing, future: Future[Any]) -> None:
        error = None if future.cancelled() else future.exception()
        if error is None:
            return
        policy = {**_DEFAULT_RETRY, **(firing.target.get("RetryPolicy") or {})}
        now = self._clock.now()
        retries_done = firing.attempt - 1
        age = (now - firing.scheduled_time).total_seconds()
        if retries_done >= int(policy["MaximumRetryAttempts"]):
            self._dead_letter(firing, code="AWS.Lambda.FunctionError", message=str(error),
                              condition="MaximumRetryAttempts")
        elif age >= float(policy["MaximumEventAgeInSeconds"]):
            self._dead_letter(firing, code="AWS.Lambda.FunctionError", message=str(error),
                              condition="MaximumEventAgeInSeconds")
        else:
            delay = min(self._retry_max, self._retry_base * 2 ** retries_done)
            LOGGER.warning("schedule %s/%s attempt %d failed (%s); retrying in %.0f s", firing.group, firing.name,
                           firing.attempt, error, delay)
            retry = _Retry(now + dt.timedelta(seconds=delay), next(self._sequence),
                           replace(firing, attempt=firing.attempt + 1))
            with self._retry_lock:
                heapq.heappush(self._retries, retry)

    def _due_retries(self, now: dt.datetime) -> list[Firing]:
        due: list[Firing] = []
        with self._retry_lock:
            while self._retries and self._retries[0].due <= now:
                due.append(heapq.heappop(self._retries).firing)
        for firing in due:
            self._deliver(firing)
        return due

    def pending_retries(self) -> int:
        with self._retry_lock:
            return len(self._retries)

    def _dead_letter(self, firing: Firing, *, code: str, message: str, condition: str) -> None:
        queue_arn = (firing.target.get("DeadLetterConfig") or {}).get("Arn")
        if not queue_arn:
            LOGGER.error("schedule %s/%s: %s for %s and no dead-letter queue; the event is dropped",
                         firing.group, firing.name, message, scheduled_time_text(firing.scheduled_time))
            return
        attributes = {
            "ERROR_CODE": code,
            "ERROR_MESSAGE": message[:1000] or "unknown error",
            "EXHAUSTED_RETRY_CONDITION": condition,
            "RETRY_ATTEMPTS": str(firing.attempt - 1),
            "SCHEDULE_ARN": firing.schedule_arn,
            "TARGET_ARN": str(firing.target.get("Arn", "")),
        }
        try:
            self._sqs.send_message(
                QueueUrl=self._queue_url(str(queue_arn)),
                MessageBody=firing.input_text,
                MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
            )
        except (ClientError, BotoCoreError) as exc:
            LOGGER.error("schedule %s/%s: dead-letter delivery to %s failed: %s", firing.group, firing.name,
                         queue_arn, exc)
            return
        LOGGER.warning("schedule %s/%s: %s for %s sent to the dead-letter queue %s", firing.group, firing.name,
                       message, scheduled_time_text(firing.scheduled_time), str(queue_arn).rsplit(":", 1)[-1])

    def _queue_url(self, queue_arn: str) -> str:
        if queue_arn not in self._queue_urls:
            parts = queue_arn.split(":")
            self._queue_urls[queue_arn] = self._sqs.get_queue_url(
                QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
        return self._queue_urls[queue_arn]

    # --- reading schedules -----------------------------------------------------------------------

    def refresh(self) -> None:
        """List the schedules; read the details of new and changed ones only; forget deleted ones."""
        if self._last_tick is None:
            self.start()
        began = self._clock.now()
        listing_started = time.monotonic()
        summaries = {(summary["GroupName"], summary["Name"]): summary for summary in self._list_schedules()}
        self._listing_seconds = time.monotonic() - listing_started
        with self._tracked_lock:
            for key in set(self._tracked) - set(summaries):
                del self._tracked[key]
            changed = [(key, summary) for key, summary in summaries.items() if key not in self._tracked
                       or self._tracked[key].modified != summary.get("LastModificationDate")]
        # Applied a chunk at a time: while a first read of thousands of schedules goes on, the first ones fire.
        for start in range(0, len(changed), _DETAILS_CHUNK):
            read = [(key, summary, self._details(key)) for key, summary in changed[start:start + _DETAILS_CHUNK]]
            with self._tracked_lock:
                for key, summary, details in read:
                    self._tracked[key] = self._tracking(key, summary, details)
        self._refreshed_from, self._refreshed_at = began, self._clock.now()
        if len(changed) > _DETAILS_CHUNK:
            LOGGER.info("schedule runner: read %d new or changed schedules of %d", len(changed), len(summaries))

    def _list_schedules(self) -> list[dict[str, Any]]:
        # One ListSchedules without a group filter covers every group (the API allows it), so a refresh
        # costs one request per page rather than one per environment.
        schedules: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            arguments: dict[str, Any] = {"MaxResults": self._page_size}
            if token:
                arguments["NextToken"] = token
            page = self._scheduler.list_schedules(**arguments)
            schedules += page.get("Schedules", [])
            token = page.get("NextToken")
            if not token:
                return schedules

    def _details(self, key: tuple[str, str]) -> dict[str, Any] | None:
        try:
            return dict(self._scheduler.get_schedule(GroupName=key[0], Name=key[1]))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            return None  # deleted between listing and reading

    def _tracking(self, key: tuple[str, str], summary: dict[str, Any], details: dict[str, Any] | None) -> _Tracked:
        """The cache entry of a new or changed schedule. Its next fire time follows the start of the previous
        refresh (so none is missed while it was not yet seen), the schedule's modification (none from before it
        was made) and the last fire time already delivered (none twice)."""
        previous = self._tracked.get(key)
        fired_until = previous.fired_until if previous else None
        assert self._refreshed_from is not None
        after = max(moment for moment in (self._refreshed_from, self._modified_at(summary), fired_until) if moment)
        return _Tracked(modified=summary.get("LastModificationDate"), details=details,
                        next_due=self._next(details, after=after) if details else None, fired_until=fired_until)

    def _modified_at(self, summary: dict[str, Any]) -> dt.datetime | None:
        """LastModificationDate, when it is a moment of this runner's clock (a test's clock runs elsewhere)."""
        modified = summary.get("LastModificationDate")
        if isinstance(modified, dt.datetime) and modified.tzinfo is not None and modified <= self._clock.now():
            return modified
        return None

    def _next(self, details: dict[str, Any], *, after: dt.datetime) -> dt.datetime | None:
        try:
            return next_fire_time(
                expression=str(details["ScheduleExpression"]),
                timezone=str(details.get("ScheduleExpressionTimezone") or "UTC"),
                after=after,
                start_date=details.get("StartDate"),
                end_date=details.get("EndDate"),
            )
        except ValueError as exc:
            LOGGER.error("schedule %s/%s cannot be evaluated: %s", details.get("GroupName"), details.get("Name"), exc)
            return None

    def _delete(self, key: tuple[str, str]) -> None:
        try:
            self._scheduler.delete_schedule(GroupName=key[0], Name=key[1])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
        LOGGER.info("schedule %s/%s completed and deleted (ActionAfterCompletion DELETE)", *key)
        with self._tracked_lock:
            self._tracked.pop(key, None)
