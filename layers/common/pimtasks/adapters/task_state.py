"""What a task keeps between its runs, in the catalog table next to the records it is about.

Every item of a task's state has a partition key that starts ``ENV#<env>#<KIND>#<task_id>`` (``KIND`` is the
task family: ``MAGENTO``, ``TWOBA``), so the state of one task family is one IAM ``dynamodb:LeadingKeys``
pattern (``ENV#*#TWOBA#*``), no attribute of the catalog's listing index is set (a state item is never listed as
a catalog record), and deleting the task leaves it behind harmlessly. The families' repositories
(``magento_state_repository``, ``twoba_state_repository``) build on this base: the key scheme and the batch
reads and writes that retry unprocessed items.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pimtasks.adapters.dynamo import DynamoTable, batch_get_retrying, batch_write_retrying

READ_BATCH = 100
WRITE_BATCH = 25


class TaskStateError(RuntimeError):
    """DynamoDB kept refusing part of a batch after every retry."""


def task_state_pk(environment: str, kind: str, task_id: str) -> str:
    """The partition key of a task's state (and the prefix of its per-record state items)."""
    return f"ENV#{environment}#{kind}#{task_id}"


class TaskStateTable:
    """The base of a task family's state repository: its key prefix and retrying batch calls."""

    kind: str = ""
    """The task family's key word (``MAGENTO``); set by each subclass."""

    def __init__(self, *, table: DynamoTable, sleep: Callable[[float], None] = time.sleep,
                 max_attempts: int = 10) -> None:
        self._table = table
        self._sleep = sleep
        self._max_attempts = max_attempts

    def task_pk(self, environment: str, task_id: str) -> str:
        return task_state_pk(environment, self.kind, task_id)

    def _batch_get(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        return batch_get_retrying(self._table, request, max_attempts=self._max_attempts, back_off=self._back_off,
                                  failure=lambda: TaskStateError(
                                      f"{self.kind.lower()} state reads still unprocessed after "
                                      f"{self._max_attempts} attempts"))

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        """BatchWriteItem of typed put/delete requests, ``WRITE_BATCH`` at a time."""
        for start in range(0, len(requests), WRITE_BATCH):
            batch_write_retrying(self._table, {self._table.name: requests[start:start + WRITE_BATCH]},
                                 max_attempts=self._max_attempts, back_off=self._back_off,
                                 failure=lambda: TaskStateError(
                                     f"{self.kind.lower()} state writes still unprocessed after "
                                     f"{self._max_attempts} attempts"))

    def _back_off(self, attempt: int) -> None:
        self._sleep(min(0.05 * (2 ** attempt), 5.0))
