"""A ``full`` import: after its file succeeded, the records of the target the file did not hold are removed.

The sweep lists the target's change feed (``CatalogReader.changes``) up to the time it started and tombstones,
a batch at a time with ``remove_listed``, every live record whose natural key no row of the file had. Each
removal is conditional on the record still standing where it was listed, so a record written meanwhile (by
another run, or the API) is left alone; records changed after the sweep started are not looked at. It can be
run again (a continuation after a time-out): what it removed already is a tombstone and skipped.

Each file is taken as the whole of its target: with two files waiting in one run, the second one's sweep
removes what only the first held (the newest file wins, as it would one run later).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pimtasks.clock import iso
from pimtasks.domain.catalog_storage import RecordKey, StoredChange
from pimtasks.domain.task_types import ImportTarget
from pimtasks.services.catalog_ports import CatalogReader

REMOVAL_BATCH = 100
LISTING_CHUNK = 1000
"""Items per shard query while sweeping: the sweep reads the whole listing, so large pages (fewer calls)."""


def remove_absent(*, catalog: CatalogReader, environment: str, target: ImportTarget,
                  holds: Callable[[RecordKey], bool], started_at: dt.datetime, run_id: str,
                  removed: Callable[[int], None]) -> int:
    """Tombstone the live records of ``target`` that ``holds`` says the file did not have; how many.

    ``removed(n)`` is called after each batch (the caller counts and checkpoints there; it may raise to stop).
    """
    cutoff = iso(started_at)
    pending: list[StoredChange] = []
    total = 0

    def flush() -> None:
        nonlocal total
        done = catalog.remove_listed(environment=environment, target=target, listed=pending, removed_at=started_at,
                                     run_id=run_id)
        pending.clear()
        total += done
        removed(done)

    for change in catalog.changes(environment=environment, target=target, chunk=LISTING_CHUNK):
        if change.changed_at > cutoff:
            break  # written after the sweep began: not this file's business (and last in change order)
        if change.deleted or holds(change.key):
            continue
        pending.append(change)
        if len(pending) >= REMOVAL_BATCH:
            flush()
    if pending:
        flush()
    return total
