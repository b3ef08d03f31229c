"""What the operation statuses of a bulk say about each of its request items.

``GET /V1/bulk/{uuid}/status`` lists the bulk's operations with an ``id`` and a ``status`` (1 complete,
2 failed but retriable, 3 failed, 4 open, 5 rejected) but not which request item each one is. Magento creates one
operation per *accepted* item, in request order, with increasing ids (the operation key is the item's index on
2.4, a table id elsewhere), so the operations sorted by id pair with the accepted items in order; a server that
also lists the rejected items pairs with every item. Anything else is paired through ``detailed-status``, whose
``serialized_data`` holds each operation's request body with its SKU. The bulk-level status is never used: it is
wrong while work is in progress (magento/magento2#36911).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pimtasks.magento.client import BulkStatus, OperationStatus
from pimtasks.magento.state import BulkEntry

COMPLETE = 1
RETRIABLE = 2
FAILED = 3
OPEN = 4
REJECTED = 5


def pair_by_order(entries: Sequence[BulkEntry], status: BulkStatus) -> list[OperationStatus | None] | None:
    """Each entry's operation (None for an item Magento did not queue), or None when the ids cannot tell."""
    operations = sorted(status.operations, key=lambda op: op.id)
    accepted = [index for index, entry in enumerate(entries) if entry.accepted]
    if len(operations) == len(accepted):
        targets = accepted
    elif len(operations) == len(entries):
        targets = list(range(len(entries)))
    else:
        return None
    paired: list[OperationStatus | None] = [None] * len(entries)
    for index, operation in zip(targets, operations, strict=True):
        paired[index] = operation
    return paired


def pair_by_sku(entries: Sequence[BulkEntry], status: BulkStatus) -> list[OperationStatus | None]:
    """Each entry's operation found by the SKU in its ``serialized_data`` (None where none names it)."""
    by_sku: dict[str, OperationStatus] = {}
    for operation in status.operations:
        sku = serialized_sku(operation.serialized_data)
        if sku is not None:
            by_sku.setdefault(sku, operation)
    return [by_sku.get(entry.sku) if entry.accepted else None for entry in entries]


def serialized_sku(serialized: str | None) -> str | None:
    """The SKU in an operation's ``serialized_data`` (``{"meta_information": "<request body JSON>"}``)."""
    if not serialized:
        return None
    try:
        outer = json.loads(serialized)
        meta: Any = outer.get("meta_information", outer.get("meta_info")) if isinstance(outer, dict) else None
        body = json.loads(meta) if isinstance(meta, str) else meta
    except (ValueError, TypeError):
        return None
    if not isinstance(body, dict):
        return None
    product = body.get("product")
    sku = body.get("sku") or (product.get("sku") if isinstance(product, dict) else None)
    return str(sku) if sku is not None else None


def still_open(entries: Sequence[BulkEntry], status: BulkStatus) -> int:
    """How many queued items of the bulk are not finished (open operations, and operations not listed yet)."""
    queued = sum(1 for entry in entries if entry.accepted)
    listed = len(status.operations)
    expected = max(queued, status.operation_count or 0)
    return sum(1 for op in status.operations if op.status == OPEN) + max(0, expected - listed)
