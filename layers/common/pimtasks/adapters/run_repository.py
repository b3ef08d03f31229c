"""Runs, task leases and sequence slots in the runs table.

Items (all keys carry the environment, so one environment can never address another's runs):
- run:    ``pk = ENV#<env>#RUN#<run_id>``, ``sk = RUN``; GSI ``runs_by_task`` (``task_pk``, ``task_sk`` =
  created time + run id, newest first); sparse GSI ``active_runs`` (only while queued/running) for the sweeper;
  ``expires_at`` (TTL) set when the run ends, for the retention period.
- lease:  ``pk = ENV#<env>#TASK#<task_id>``, ``sk = LEASE``: the one active run of a task, until ``lease_until``.
- slot:   ``pk = ENV#<env>#SLOT#<minute>``: ``sk = SLOT`` holds the run currently allowed to execute;
  ``sk = MEMBER#<sequence no>#<run_id>`` lists the scheduled runs due in that minute, in sequence order.
"""

from __future__ import annotations

import datetime as dt
import json

from botocore.exceptions import ClientError

from pimtasks.adapters.dynamo import DynamoTable, Item, is_condition_failure
from pimtasks.clock import iso, parse_iso
from pimtasks.domain.run import Run, RunCounts, RunFile, RunMessage, RunStatus
from pimtasks.errors import LeaseTakenError, NotFoundError, RunExistsError

ACTIVE_PK = "ACTIVE"
RUNS_BY_TASK_INDEX = "runs_by_task"
ACTIVE_RUNS_INDEX = "active_runs"
SLOT_TTL_DAYS = 2


def run_key(environment: str, run_id: str) -> Item:
    return {"pk": f"ENV#{environment}#RUN#{run_id}", "sk": "RUN"}


def lease_key(environment: str, task_id: str) -> Item:
    return {"pk": f"ENV#{environment}#TASK#{task_id}", "sk": "LEASE"}


def slot_pk(environment: str, slot: str) -> str:
    return f"ENV#{environment}#SLOT#{slot}"


def task_runs_pk(environment: str, task_id: str) -> str:
    return f"ENV#{environment}#TASK#{task_id}"


def run_to_item(run: Run, *, retention_days: int) -> Item:
    item: Item = {
        **run_key(run.environment, run.run_id),
        "task_pk": task_runs_pk(run.environment, run.task_id),
        "task_sk": f"{iso(run.created_at)}#{run.run_id}",
        **_mutable_attributes(run, retention_days=retention_days),
        "run_id": run.run_id,
        "environment": run.environment,
        "task_id": run.task_id,
        "task_type": run.task_type,
        "trigger": run.trigger.value,
        "created_at": iso(run.created_at),
    }
    for name, value in (("scheduled_time", run.scheduled_time), ("sequence_no", run.sequence_no), ("slot", run.slot)):
        if value is not None:
            item[name] = iso(value) if isinstance(value, dt.datetime) else value
    return item


def _mutable_attributes(run: Run, *, retention_days: int) -> Item:
    """Attributes that change during a run (written by heartbeats and transitions)."""
    attributes: Item = {
        "status": run.status.value,
        "counts": run.counts.model_dump(),
        "messages": json.dumps([m.model_dump(exclude_none=True) for m in run.messages]),
        "messages_truncated": run.messages_truncated,
        "files": json.dumps([f.model_dump() for f in run.files]),
        "cancel_requested": run.cancel_requested,
        "invocations": run.invocations,
        "progress_text": run.progress_text or "",
        "error": run.error or "",
        "checkpoint": json.dumps(run.checkpoint) if run.checkpoint is not None else "",
    }
    for name in ("started_at", "ended_at", "heartbeat_at"):
        value = getattr(run, name)
        attributes[name] = iso(value) if value else ""
    attributes["progress"] = str(run.progress) if run.progress is not None else ""
    if run.status.is_active:
        attributes["active_pk"] = ACTIVE_PK
        attributes["active_sk"] = f"{run.environment}#{run.run_id}"
    elif run.ended_at is not None:
        attributes["expires_at"] = int((run.ended_at + dt.timedelta(days=retention_days)).timestamp())
    return attributes


def run_from_item(item: Item) -> Run:
    def when(name: str) -> dt.datetime | None:
        value = item.get(name) or ""
        return parse_iso(value) if value else None

    return Run(
        run_id=item["run_id"],
        environment=item["environment"],
        task_id=item["task_id"],
        task_type=item["task_type"],
        trigger=item["trigger"],
        status=RunStatus(item["status"]),
        scheduled_time=when("scheduled_time"),
        created_at=parse_iso(item["created_at"]),
        started_at=when("started_at"),
        ended_at=when("ended_at"),
        heartbeat_at=when("heartbeat_at"),
        progress=float(item["progress"]) if item.get("progress") else None,
        progress_text=item.get("progress_text") or None,
        counts=RunCounts.model_validate(item.get("counts") or {}),
        messages=[RunMessage.model_validate(m) for m in json.loads(item.get("messages") or "[]")],
        messages_truncated=int(item.get("messages_truncated", 0)),
        files=[RunFile.model_validate(f) for f in json.loads(item.get("files") or "[]")],
        cancel_requested=bool(item.get("cancel_requested", False)),
        invocations=int(item.get("invocations", 0)),
        sequence_no=item.get("sequence_no"),
        slot=item.get("slot"),
        checkpoint=json.loads(item["checkpoint"]) if item.get("checkpoint") else None,
        error=item.get("error") or None,
    )


class RunRepository:
    def __init__(self, *, table: DynamoTable, retention_days: int = 90) -> None:
        self._table = table
        self._retention_days = retention_days

    # --- runs ---------------------------------------------------------------------------------
    def create_with_lease(self, run: Run, *, lease_until: dt.datetime, now: dt.datetime) -> None:
        """Store a new run and take its task's lease, atomically.

        ``RunExistsError`` when the run id exists (a duplicate trigger); ``LeaseTakenError`` when another run
        holds an unexpired lease.
        """
        operations = [
            {"Put": {"Item": run_to_item(run, retention_days=self._retention_days),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"Item": {**lease_key(run.environment, run.task_id), "run_id": run.run_id,
                              "lease_until": int(lease_until.timestamp())},
                     "ConditionExpression": "attribute_not_exists(pk) OR lease_until < :now OR run_id = :me",
                     "ExpressionAttributeValues": {":now": int(now.timestamp()), ":me": run.run_id}}},
        ]
        try:
            self._table.transact(operations)
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise RunExistsError(run.run_id) from exc
            if not reasons and self.find(environment=run.environment, run_id=run.run_id) is not None:
                raise RunExistsError(run.run_id) from exc
            raise LeaseTakenError(self.lease_holder(environment=run.environment, task_id=run.task_id)) from exc

    def create(self, run: Run) -> None:
        """Store a run without a lease (a skipped run); ``RunExistsError`` when it exists."""
        try:
            self._table.put(run_to_item(run, retention_days=self._retention_days),
                            condition="attribute_not_exists(pk)")
        except ClientError as exc:
            if is_condition_failure(exc):
                raise RunExistsError(run.run_id) from exc
            raise

    def find(self, *, environment: str, run_id: str) -> Run | None:
        item = self._table.get(run_key(environment, run_id))
        return run_from_item(item) if item else None

    def get(self, *, environment: str, run_id: str) -> Run:
        run = self.find(environment=environment, run_id=run_id)
        if run is None:
            raise NotFoundError(f"run {run_id} not found in environment {environment}")
        return run

    def list_for_task(self, *, environment: str, task_id: str, limit: int,
                      start_key: Item | None) -> tuple[list[Run], Item | None]:
        """One page of a task's runs, newest first, and the key to continue from."""
        pages = self._table.query_pages(
            key_condition="task_pk = :pk",
            values={":pk": task_runs_pk(environment, task_id)},
            index=RUNS_BY_TASK_INDEX,
            forward=False,
            limit=limit,
            start_key=start_key,
        )
        items, last = next(pages)
        return [run_from_item(i) for i in items], last

    def save(self, run: Run, *, expected: tuple[RunStatus, ...], require_no_cancel: bool = False) -> bool:
        """Write the run's changing attributes if its stored status is one of ``expected``.

        With ``require_no_cancel`` the write also fails when a stop was requested meanwhile. Returns False
        when the condition failed (the caller reloads to find out why).
        """
        attributes = _mutable_attributes(run, retention_days=self._retention_days)
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        values: Item = {f":a{i}": attributes[name] for i, name in enumerate(attributes)}
        update = "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(attributes)))
        if not run.status.is_active:
            update += " REMOVE active_pk, active_sk"
        statuses = [f":s{i}" for i in range(len(expected))]
        values.update({f":s{i}": status.value for i, status in enumerate(expected)})
        names["#status"] = "status"
        condition = f"#status IN ({', '.join(statuses)})"
        if require_no_cancel:
            condition += " AND cancel_requested = :no"
            values[":no"] = False
        try:
            self._table.update(run_key(run.environment, run.run_id), update=update, condition=condition,
                               values=values, names=names)
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def request_cancel(self, *, environment: str, run_id: str) -> bool:
        """Flag a running run to stop at its next safe point; False when it is not running."""
        try:
            self._table.update(run_key(environment, run_id), update="SET cancel_requested = :yes",
                               condition="#status = :running", values={":yes": True, ":running": "running"},
                               names={"#status": "status"})
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def list_active(self) -> list[Run]:
        keys = self._table.query_all(key_condition="active_pk = :pk", values={":pk": ACTIVE_PK},
                                     index=ACTIVE_RUNS_INDEX)
        runs = (self._table.get({"pk": key["pk"], "sk": key["sk"]}) for key in keys)
        return [run_from_item(item) for item in runs if item]

    # --- leases -------------------------------------------------------------------------------
    def lease_holder(self, *, environment: str, task_id: str) -> str | None:
        item = self._table.get(lease_key(environment, task_id))
        return str(item["run_id"]) if item else None

    def extend_lease(self, *, environment: str, task_id: str, run_id: str, until: dt.datetime) -> bool:
        """Push the lease out; False when this run no longer holds it."""
        try:
            self._table.update(lease_key(environment, task_id), update="SET lease_until = :until",
                               condition="run_id = :me", values={":until": int(until.timestamp()), ":me": run_id})
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def release_lease(self, *, environment: str, task_id: str, run_id: str) -> None:
        try:
            self._table.delete(lease_key(environment, task_id), condition="run_id = :me", values={":me": run_id})
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    # --- sequence slots -----------------------------------------------------------------------
    def join_slot(self, *, environment: str, slot: str, run_id: str, sequence_no: int, function: str,
                  now: dt.datetime) -> None:
        expires = int((now + dt.timedelta(days=SLOT_TTL_DAYS)).timestamp())
        self._table.put({"pk": slot_pk(environment, slot), "sk": f"MEMBER#{sequence_no:07d}#{run_id}",
                         "run_id": run_id, "function": function, "expires_at": expires})

    def slot_members(self, *, environment: str, slot: str) -> list[tuple[str, str]]:
        """(run_id, function) of a slot's runs in ascending sequence no."""
        items = self._table.query_all(key_condition="pk = :pk AND begins_with(sk, :m)",
                                      values={":pk": slot_pk(environment, slot), ":m": "MEMBER#"})
        return [(str(i["run_id"]), str(i["function"])) for i in items]

    def slot_holder(self, *, environment: str, slot: str) -> str | None:
        item = self._table.get({"pk": slot_pk(environment, slot), "sk": "SLOT"})
        return str(item["holder"]) if item and item.get("holder") else None

    def claim_slot(self, *, environment: str, slot: str, previous: str | None, holder: str | None,
                   now: dt.datetime) -> bool:
        """Compare-and-set the slot's holder; False when someone else changed it first."""
        expires = int((now + dt.timedelta(days=SLOT_TTL_DAYS)).timestamp())
        values: Item
        if previous is None:
            condition, values = "attribute_not_exists(holder) OR holder = :empty", {":empty": ""}
        else:
            condition, values = "holder = :previous", {":previous": previous}
        values.update({":holder": holder or "", ":expires": expires})
        try:
            self._table.update({"pk": slot_pk(environment, slot), "sk": "SLOT"},
                               update="SET holder = :holder, expires_at = :expires",
                               condition=condition, values=values)
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True
