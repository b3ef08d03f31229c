"""Make moto's DynamoDB item operations atomic, as DynamoDB's are.

moto evaluates a ``ConditionExpression`` and then applies the update as two steps of Python, so two
requests served by two threads of moto's server can both pass the same condition (30 concurrent
``ADD n :one`` with ``n < :max`` let 6 or 7 through when the threads interleave). The code relies on
DynamoDB's guarantee, that a conditional write is checked and applied as one step (leases, slots, the FTPS
login attempt counter), so the emulator has to keep it: ``serialize_item_operations`` wraps moto's
single-item reads and writes and its transactions in one process-wide lock. Queries and scans are left
alone; moto's work is pure Python under the GIL anyway, so the lock costs next to nothing.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_OPERATIONS = ("put_item", "update_item", "delete_item", "get_item", "transact_write_items")
_MARKER = "_pimtasks_serialized"
# Reentrant: moto's transact_write_items calls its own put/update/delete.
_LOCK = threading.RLock()


def serialize_item_operations() -> None:
    """Wrap moto's DynamoDB item operations in one lock (idempotent; affects every moto backend in-process)."""
    from moto.dynamodb.models import DynamoDBBackend  # imported here: moto is a local-stack dependency only

    for name in _OPERATIONS:
        operation = getattr(DynamoDBBackend, name)
        if not getattr(operation, _MARKER, False):
            setattr(DynamoDBBackend, name, _serialized(operation))


def _serialized(operation: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(operation)
    def serialized(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return operation(*args, **kwargs)

    setattr(serialized, _MARKER, True)
    return serialized
