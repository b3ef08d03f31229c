"""Runs, task leases and sequence slots in the runs table.

Items (all keys carry the environment, so one environment can never address another's runs):
- run:    ``pk = ENV#<env>#RUN#<run_id>``, ``sk = RUN``; GSI ``runs_by_task`` (``task_pk``, ``task_sk`` =
  created time + run id, newest first); sparse GSI ``active_runs`` (only while queued/running) for the sweeper;
  ``expires_at`` (TTL) set when the run ends, for the retention period.
- lease:  ``pk = ENV#<env>#TASK#<task_id>``, ``sk = LEASE``: the one active run of a task, until ``lease_until``.
- slot:   ``pk = ENV#<env>#SLOT#<minute>``: ``sk = SLOT`` holds the run currently allowed to execute (and since
  when), the minute's settler and whether it has settled; ``sk = MEMBER#<sequence no>#<run_id>`` lists the
  scheduled runs due in that minute, in sequence order.
- sweep cursor: ``pk = SWEEPER``, ``sk = CURSOR``: where in ``active_runs`` the sweeper continues (it reads the
  index a bounded page at a time, across invocations).
"""

from __future__ import annotations

import datetime as dt
import json

from botocore.exceptions import ClientError

from pimtasks.adapters.dynamo import DynamoTable, Item, is_condition_failure
from pimtasks.clock import iso, parse_iso
from pimtasks.domain.run import ActiveRun, Run, RunCounts, RunFile, RunMessage, RunStatus
from pimtasks.domain.slot import SlotArrival, SlotMember, SlotState
from pimtasks.errors import LeaseTakenError, NotFoundError, RunExistsError

ACTIVE_PK = "ACTIVE"
RUNS_BY_TASK_INDEX = "runs_by_task"
ACTIVE_RUNS_INDEX = "active_runs"
SLOT_TTL_DAYS = 2
SWEEP_CURSOR_KEY: Item = {"pk": "SWEEPER", "sk": "CURSOR"}
# What the sweeper reads of an active run (all through names: ``status`` is a reserved word).
_ACTIVE_FIELDS = ("run_id", "environment", "task_id", "status", "created_at", "started_at", "heartbeat_at", "slot")
_ACTIVE_NAMES = {f"#f{i}": name for i, name in enumerate(_ACTIVE_FIELDS)}
_ACTIVE_PROJECTION = ", ".join(_ACTIVE_NAMES)
_STATUS_NAMES = {"#r": "run_id", "#s": "status"}


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


def _when(item: Item, name: str) -> dt.datetime | None:
    value = item.get(name) or ""
    return parse_iso(value) if value else None


def active_run_from_item(item: Item) -> ActiveRun:
    return ActiveRun(run_id=item["run_id"], environment=item["environment"], task_id=item["task_id"],
                     status=RunStatus(item["status"]), created_at=parse_iso(item["created_at"]),
                     started_at=_when(item, "started_at"), heartbeat_at=_when(item, "heartbeat_at"),
                     slot=item.get("slot") or None)


def run_from_item(item: Item) -> Run:
    def when(name: str) -> dt.datetime | None:
        return _when(item, name)

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

    def active_page(self, *, start_key: Item | None, limit: int) -> tuple[list[ActiveRun], Item | None]:
        """Up to ``limit`` queued/running runs from ``start_key`` on (index order), and the key to go on from.

        One index query (keys only) and one BatchGetItem of the fields the sweeper decides on; a run that ended
        since the index was written is left out.
        """
        pages = self._table.query_pages(key_condition="active_pk = :pk", values={":pk": ACTIVE_PK},
                                        index=ACTIVE_RUNS_INDEX, limit=limit, start_key=start_key)
        keys, last = next(pages)
        items = self._table.get_many([{"pk": key["pk"], "sk": key["sk"]} for key in keys],
                                      projection=_ACTIVE_PROJECTION, names=_ACTIVE_NAMES)
        by_pk = {run_key(item["environment"], item["run_id"])["pk"]: item for item in items}
        ordered = (by_pk.get(key["pk"]) for key in keys)
        return [active_run_from_item(item) for item in ordered
                if item is not None and RunStatus(item["status"]).is_active], last

    def statuses(self, *, environment: str, run_ids: list[str]) -> dict[str, RunStatus]:
        """The stored status of each of ``run_ids`` that exists (one BatchGetItem per 100 runs)."""
        items = self._table.get_many([run_key(environment, run_id) for run_id in run_ids],
                                      projection="#r, #s", names=_STATUS_NAMES)
        return {str(item["run_id"]): RunStatus(item["status"]) for item in items}

    def sweep_cursor(self) -> Item | None:
        """Where the sweeper's last invocation stopped in ``active_runs`` (None: at the start)."""
        item = self._table.get(SWEEP_CURSOR_KEY)
        return json.loads(item["start_key"]) if item and item.get("start_key") else None

    def save_sweep_cursor(self, start_key: Item | None, *, now: dt.datetime) -> None:
        self._table.put({**SWEEP_CURSOR_KEY, "start_key": json.dumps(start_key) if start_key else "",
                         "updated_at": iso(now)})

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
    def join_slot(self, *, environment: str, slot: str, run_id: str, task_id: str, sequence_no: int,
                  function: str, now: dt.datetime) -> None:
        self._table.put({"pk": slot_pk(environment, slot), "sk": f"MEMBER#{sequence_no:07d}#{run_id}",
                         "run_id": run_id, "task_id": task_id, "sequence_no": sequence_no, "function": function,
                         "joined_at": iso(now), "expires_at": _slot_expiry(now)})

    def slot_members(self, *, environment: str, slot: str) -> list[SlotMember]:
        """A slot's runs in ascending sequence no (read consistently: a run that joined is never missed)."""
        items = self._table.query_all(key_condition="pk = :pk AND begins_with(sk, :m)",
                                      values={":pk": slot_pk(environment, slot), ":m": "MEMBER#"}, consistent=True)
        return [SlotMember(run_id=str(i["run_id"]), function=str(i["function"]), task_id=i.get("task_id"),
                           sequence_no=int(i.get("sequence_no", str(i["sk"]).split("#")[1])),
                           joined_at=_when(i, "joined_at"))
                for i in items]

    def arrive_at_slot(self, *, environment: str, slot: str, run_id: str, now: dt.datetime) -> SlotArrival:
        """Record ``run_id`` as the slot's settler unless one arrived first; says which, and whether it settled.

        One unconditional update (``if_not_exists``) that returns the slot as it is afterwards, so arriving
        costs no extra read and no failed condition.
        """
        item = self._table.update({"pk": slot_pk(environment, slot), "sk": "SLOT"},
                                  update="SET settler = if_not_exists(settler, :me), expires_at = :expires",
                                  values={":me": run_id, ":expires": _slot_expiry(now)}, return_new=True) or {}
        return SlotArrival(settler=item.get("settler") == run_id, settled=bool(item.get("settled", False)))

    def mark_settled(self, *, environment: str, slot: str, now: dt.datetime) -> None:
        """The settler stops waiting: runs arriving from now on move the sequence on themselves."""
        self._table.update({"pk": slot_pk(environment, slot), "sk": "SLOT"},
                           update="SET settled = :yes, expires_at = :expires",
                           values={":yes": True, ":expires": _slot_expiry(now)})

    def slot_holder(self, *, environment: str, slot: str) -> str | None:
        return self.slot_state(environment=environment, slot=slot).holder

    def slot_state(self, *, environment: str, slot: str) -> SlotState:
        item = self._table.get({"pk": slot_pk(environment, slot), "sk": "SLOT"}) or {}
        return SlotState(holder=str(item["holder"]) if item.get("holder") else None,
                         claimed_at=_when(item, "claimed_at"), settled=bool(item.get("settled", False)))

    def claim_slot(self, *, environment: str, slot: str, previous: str | None, holder: str | None,
                   now: dt.datetime) -> bool:
        """Compare-and-set the slot's holder; False when someone else changed it first."""
        values: Item
        if previous is None:
            condition, values = "attribute_not_exists(holder) OR holder = :empty", {":empty": ""}
        else:
            condition, values = "holder = :previous", {":previous": previous}
        values.update({":holder": holder or "", ":expires": _slot_expiry(now), ":now": iso(now)})
        try:
            self._table.update({"pk": slot_pk(environment, slot), "sk": "SLOT"},
                               update="SET holder = :holder, claimed_at = :now, expires_at = :expires",
                               condition=condition, values=values)
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True


def _slot_expiry(now: dt.datetime) -> int:
    return int((now + dt.timedelta(days=SLOT_TTL_DAYS)).timestamp())
