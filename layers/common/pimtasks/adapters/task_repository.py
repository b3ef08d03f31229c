"""Tasks in DynamoDB (the tasks table, whose stream drives EventBridge Scheduler).

Item layout: ``pk = ENV#<env>``, ``sk = TASK#<task_id>``; the definition is stored as JSON text in ``spec``
(exact round trip, no Decimal conversions) next to a few plain attributes for humans and the stream
consumer. Every write of a definition is conditional on ``version`` (optimistic concurrency). ``list_sk``
(``listing_key``) is the sort key of the ``tasks_in_order`` index, which returns an environment's tasks in
list order, a page at a time.
"""

from __future__ import annotations

import builtins
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, TypeAdapter

from pimtasks.adapters.dynamo import DynamoTable, is_condition_failure
from pimtasks.clock import iso, parse_iso
from pimtasks.domain.run import RunSummary
from pimtasks.domain.task import Task, TaskSpec, listing_key
from pimtasks.errors import ConflictError, NotFoundError

# Built on first use: a function that never reads a task does not pay for every type's settings at import.
_SPEC: TypeAdapter[Any] = TypeAdapter(TaskSpec, config=ConfigDict(defer_build=True))
TASK_PREFIX = "TASK#"
TASKS_IN_ORDER_INDEX = "tasks_in_order"


class TaskItem(BaseModel):
    """A task as stored (the persisted edge model); mapped to and from ``Task`` explicitly."""

    pk: str
    sk: str
    task_id: str
    environment: str
    type: str
    active: bool
    sequence_no: int
    spec: str
    version: int
    created_at: str
    updated_at: str
    schedule_anchor: str
    list_sk: str | None = None  # None only on items stored before the index existed (see _index_unlisted)
    last_run: str | None = None

    @classmethod
    def from_task(cls, task: Task) -> TaskItem:
        return cls(
            pk=environment_pk(task.environment),
            sk=task_sk(task.task_id),
            task_id=task.task_id,
            environment=task.environment,
            type=task.spec.type,
            active=task.spec.active,
            sequence_no=task.spec.sequence_no,
            spec=_SPEC.dump_json(task.spec).decode(),
            version=task.version,
            created_at=iso(task.created_at),
            updated_at=iso(task.updated_at),
            schedule_anchor=iso(task.schedule_anchor),
            list_sk=listing_key(task),
            last_run=task.last_run.model_dump_json() if task.last_run else None,
        )

    def to_task(self) -> Task:
        return Task(
            task_id=self.task_id,
            environment=self.environment,
            spec=_SPEC.validate_json(self.spec),
            version=self.version,
            created_at=parse_iso(self.created_at),
            updated_at=parse_iso(self.updated_at),
            schedule_anchor=parse_iso(self.schedule_anchor),
            last_run=RunSummary.model_validate_json(self.last_run) if self.last_run else None,
        )


def environment_pk(environment: str) -> str:
    return f"ENV#{environment}"


def task_sk(task_id: str) -> str:
    return f"{TASK_PREFIX}{task_id}"


def task_from_item(item: dict[str, Any]) -> Task:
    """A ``Task`` from a plain (deserialized) item, e.g. a stream image."""
    return TaskItem.model_validate(item).to_task()


def is_task_item(item: dict[str, Any]) -> bool:
    return str(item.get("sk", "")).startswith(TASK_PREFIX)


class TaskRepository:
    """CRUD of tasks; one environment per partition."""

    def __init__(self, *, table: DynamoTable) -> None:
        self._table = table
        # Environments whose tasks all have list_sk (every write sets it): checked once per process.
        self._indexed: set[str] = set()

    def create(self, task: Task) -> None:
        self._put(task, condition="attribute_not_exists(pk)", values=None)

    def replace(self, task: Task, *, expected_version: int) -> None:
        """Store a new version of an existing task; ``ConflictError`` when someone changed it meanwhile."""
        self._put(task, condition="version = :expected", values={":expected": expected_version})

    def _put(self, task: Task, *, condition: str, values: dict[str, Any] | None) -> None:
        item = TaskItem.from_task(task).model_dump(exclude_none=True)
        try:
            self._table.put(item, condition=condition, values=values)
        except ClientError as exc:
            if is_condition_failure(exc):
                raise ConflictError(f"task {task.task_id} was changed by someone else; reload and retry") from exc
            raise

    def get(self, *, environment: str, task_id: str) -> Task:
        item = self._table.get({"pk": environment_pk(environment), "sk": task_sk(task_id)})
        if item is None:
            raise NotFoundError(f"task {task_id} not found in environment {environment}")
        return TaskItem.model_validate(item).to_task()

    def find(self, *, environment: str, task_id: str) -> Task | None:
        try:
            return self.get(environment=environment, task_id=task_id)
        except NotFoundError:
            return None

    def list(self, *, environment: str) -> list[Task]:
        """Every task of an environment, in list order (``listing_key``: by sequence no, then description);
        for the internal readers (import folders, AutoImport, import chains), which need every task."""
        items = self._table.query_all(
            key_condition="pk = :pk AND begins_with(sk, :prefix)",
            values={":pk": environment_pk(environment), ":prefix": TASK_PREFIX},
        )
        return sorted((TaskItem.model_validate(item).to_task() for item in items), key=listing_key)

    def page(self, *, environment: str, start_key: dict[str, Any] | None,
             limit: int) -> tuple[builtins.list[Task], dict[str, Any] | None]:
        """Up to ``limit`` tasks in list order from the ``tasks_in_order`` index, after ``start_key``, and
        the key to continue from (None on the last page: one item more is read to know)."""
        if start_key is None and environment not in self._indexed:
            self._index_unlisted(environment)
            self._indexed.add(environment)
        pages = self._table.query_pages(key_condition="pk = :pk", values={":pk": environment_pk(environment)},
                                        index=TASKS_IN_ORDER_INDEX, limit=limit + 1, start_key=start_key)
        items, _ = next(pages)
        tasks = [TaskItem.model_validate(item).to_task() for item in items[:limit]]
        if len(items) <= limit:
            return tasks, None
        last = items[limit - 1]
        return tasks, {"pk": last["pk"], "sk": last["sk"], "list_sk": last["list_sk"]}

    def _index_unlisted(self, environment: str) -> None:
        """Give ``list_sk`` to tasks stored before the index existed (the index leaves them out otherwise).

        Runs before the first first page of an environment in this process; the filter makes DynamoDB return
        only such items (normally none), and writes always set ``list_sk``, so once is enough.
        """
        unlisted = self._table.query_all(
            key_condition="pk = :pk AND begins_with(sk, :prefix)",
            values={":pk": environment_pk(environment), ":prefix": TASK_PREFIX},
            filter_expression="attribute_not_exists(list_sk)",
        )
        for item in unlisted:
            stored = TaskItem.model_validate(item)
            try:
                self._table.update({"pk": stored.pk, "sk": stored.sk}, update="SET list_sk = :key",
                                   condition="version = :version",
                                   values={":key": listing_key(stored.to_task()), ":version": stored.version})
            except ClientError as exc:
                if not is_condition_failure(exc):  # changed meanwhile: the new version has its list_sk
                    raise

    def delete(self, *, environment: str, task_id: str) -> None:
        try:
            self._table.delete({"pk": environment_pk(environment), "sk": task_sk(task_id)},
                               condition="attribute_exists(pk)")
        except ClientError as exc:
            if is_condition_failure(exc):
                raise NotFoundError(f"task {task_id} not found in environment {environment}") from exc
            raise

    def record_last_run(self, *, environment: str, task_id: str, summary: RunSummary) -> None:
        """Store the last run's summary on the task (ignored when the task was deleted meanwhile).

        The scheduler sync sees this change on the stream and skips it: the schedule does not depend on it.
        """
        try:
            self._table.update(
                {"pk": environment_pk(environment), "sk": task_sk(task_id)},
                update="SET last_run = :summary",
                condition="attribute_exists(pk)",
                values={":summary": summary.model_dump_json()},
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
