"""What a Magento task remembers between runs, and the port of the store that keeps it.

- per SKU and scope (the global values or a store view): the hash of the payload Magento last accepted, so an
  unchanged product is not sent again;
- the open bulks: every bulk request Magento queued whose operations have not all finished, with the SKU and
  payload hash of each request item, so polling survives continuations and a run that ended with operations
  still open has them checked again by the next run;
- the SKUs to send again: a product whose push failed is sent again next run even if the catalog did not change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

ScopeKey = tuple[str, str]
"""(SKU, scope): the scope is ``mapping.GLOBAL_SCOPE`` or a store view code."""


@dataclass
class BulkEntry:
    """One request item of a bulk: which SKU, which payload, whether Magento queued it, the how-many-th try."""

    sku: str
    hash: str
    accepted: bool = True
    attempt: int = 0


@dataclass
class OpenBulk:
    """A bulk request Magento queued, until no operation of it is open."""

    bulk_uuid: str
    scope: str
    action: str
    """What the items do: ``create`` / ``update`` (global values), ``store`` (a store view), ``disable``, ``delete``."""
    run_id: str
    sent_at: str
    entries: list[BulkEntry] = field(default_factory=list)


class PushStateStore(Protocol):
    """The push state of one task (all methods are scoped by environment and task)."""

    def accepted(self, *, environment: str, task_id: str, keys: Sequence[ScopeKey]) -> dict[ScopeKey, str]:
        """The accepted payload hashes among ``keys`` (absent: never accepted)."""
        ...

    def accept(self, *, environment: str, task_id: str, hashes: Mapping[ScopeKey, str], run_id: str) -> None: ...

    def forget(self, *, environment: str, task_id: str, keys: Sequence[ScopeKey]) -> None: ...

    def open_bulks(self, *, environment: str, task_id: str) -> list[OpenBulk]:
        """Every open bulk of the task, oldest first."""
        ...

    def save_bulk(self, *, environment: str, task_id: str, bulk: OpenBulk) -> None: ...

    def remove_bulk(self, *, environment: str, task_id: str, bulk: OpenBulk) -> None: ...

    def retry_skus(self, *, environment: str, task_id: str) -> dict[str, str]:
        """SKU -> the run whose push of it failed."""
        ...

    def mark_retry(self, *, environment: str, task_id: str, skus: Sequence[str], run_id: str) -> None: ...

    def clear_retry(self, *, environment: str, task_id: str, skus: Sequence[str]) -> None: ...


class MemoryPushState:
    """A ``PushStateStore`` in memory (tests, benchmarks)."""

    def __init__(self) -> None:
        self.hashes: dict[tuple[str, str, ScopeKey], str] = {}
        self.bulks: dict[tuple[str, str], dict[str, OpenBulk]] = {}
        self.retries: dict[tuple[str, str], dict[str, str]] = {}

    def accepted(self, *, environment: str, task_id: str, keys: Sequence[ScopeKey]) -> dict[ScopeKey, str]:
        found = ((key, self.hashes.get((environment, task_id, key))) for key in keys)
        return {key: value for key, value in found if value is not None}

    def accept(self, *, environment: str, task_id: str, hashes: Mapping[ScopeKey, str], run_id: str) -> None:
        for key, value in hashes.items():
            self.hashes[(environment, task_id, key)] = value

    def forget(self, *, environment: str, task_id: str, keys: Sequence[ScopeKey]) -> None:
        for key in keys:
            self.hashes.pop((environment, task_id, key), None)

    def open_bulks(self, *, environment: str, task_id: str) -> list[OpenBulk]:
        bulks = self.bulks.get((environment, task_id), {})
        return sorted(bulks.values(), key=lambda bulk: (bulk.sent_at, bulk.bulk_uuid))

    def save_bulk(self, *, environment: str, task_id: str, bulk: OpenBulk) -> None:
        self.bulks.setdefault((environment, task_id), {})[bulk.bulk_uuid] = bulk

    def remove_bulk(self, *, environment: str, task_id: str, bulk: OpenBulk) -> None:
        self.bulks.get((environment, task_id), {}).pop(bulk.bulk_uuid, None)

    def retry_skus(self, *, environment: str, task_id: str) -> dict[str, str]:
        return dict(self.retries.get((environment, task_id), {}))

    def mark_retry(self, *, environment: str, task_id: str, skus: Sequence[str], run_id: str) -> None:
        self.retries.setdefault((environment, task_id), {}).update({sku: run_id for sku in skus})

    def clear_retry(self, *, environment: str, task_id: str, skus: Sequence[str]) -> None:
        markers = self.retries.get((environment, task_id), {})
        for sku in skus:
            markers.pop(sku, None)
