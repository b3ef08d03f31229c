"""DynamoDB transactions in the emulator at a constant cost.

moto's ``TransactWriteItems`` deep-copies every table a transaction touches, as a backup to roll back to, so a
transaction costs time in proportion to the table: about 1 s at 3,000 runs, holding the interpreter lock the
whole stack shares. Every run starts with one (the run and its task's lease, atomically), so with thousands of
tasks the local stack slowed down as its runs table grew, until the minute's triggers no longer kept up; and
the copy iterates the table while other request threads write it ("dictionary changed size during iteration").

``install()`` keeps moto's implementation and replaces only the backup: transactions are serialised, the items
a transaction addresses are copied before it runs, and those items are put back if it is cancelled (a failed
condition) or refused. The semantics are moto's; only the cost of the backup changes. In AWS none of this
applies: DynamoDB transactions cost the same whatever the table's size.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from typing import Any

_LOCK = threading.RLock()
_ORIGINAL: dict[str, Any] = {}


class _CopyWithoutTableBackups:
    """Stands in for the ``copy`` module inside ``moto.dynamodb.models``: a table "copied" as a transaction's
    backup is the table itself (the items are backed up by ``_transact_write_items`` instead); everything else
    is copied as before."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, self._table_type):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def install() -> None:
    """Make the emulator's DynamoDB transactions cost the same whatever the table's size (idempotent)."""
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    with _LOCK:
        if _ORIGINAL:
            return
        _ORIGINAL.update(copy=models.copy, transact=models.DynamoDBBackend.transact_write_items)
        models.copy = _CopyWithoutTableBackups(Table)  # type: ignore[assignment]
        models.DynamoDBBackend.transact_write_items = _with_item_backups(  # type: ignore[method-assign]
            _ORIGINAL["transact"])


def uninstall() -> None:
    """Back to moto's own transactions (for tests)."""
    from moto.dynamodb import models

    with _LOCK:
        if _ORIGINAL:
            models.copy = _ORIGINAL.pop("copy")
            models.DynamoDBBackend.transact_write_items = _ORIGINAL.pop("transact")  # type: ignore[method-assign]


def _with_item_backups(transact: Callable[[Any, list[dict[str, Any]]], None]) -> Callable[..., None]:
    @functools.wraps(transact)
    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        with _LOCK:
            backups = [_backup(backend, operation) for operation in transact_items]
            try:
                transact(backend, transact_items)
            except Exception:
                for backup in reversed(backups):
                    if backup is not None:
                        _restore(backend, *backup)
                raise

    return transact_write_items


def _backup(backend: Any, operation: dict[str, Any]) -> tuple[str, dict[str, Any], Any] | None:
    """(table, key, a copy of the item or None) of one operation; None when moto will refuse it anyway."""
    if len(operation) != 1:
        return None
    (kind, body), = operation.items()
    table_name = body.get("TableName")
    if table_name not in backend.tables or kind not in ("Put", "Update", "Delete"):
        return None
    table = backend.tables[table_name]
    source = body["Item"] if kind == "Put" else body.get("Key", {})
    key = {name: source[name] for name in (table.hash_key_attr, table.range_key_attr) if name and name in source}
    from moto.dynamodb.exceptions import MockValidationException

    try:
        item = backend.get_item(table_name, key)
    except (MockValidationException, KeyError):  # an invalid key: moto refuses it when the transaction runs
        return None
    return table_name, key, copy.deepcopy(item)


def _restore(backend: Any, table_name: str, key: dict[str, Any], item: Any) -> None:
    current = backend.get_item(table_name, key)
    if item is None:
        if current is not None:
            backend.delete_item(table_name, key)
    elif current is None or current.to_json() != item.to_json():
        backend.put_item(table_name, item.to_json()["Attributes"])
