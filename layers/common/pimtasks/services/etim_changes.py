"""Change detection of one kind of the ETIM model against the generation it replaces.

An entity is *created* (not in the previous manifest), *unchanged* (same content hash), *deprecated* (its
content changed and it became deprecated, or it is no longer served for the release at all) or *changed*.
Only created, changed and newly deprecated versions are stored: an unchanged entity costs no write, and
what is gone simply is not in the new manifest (the report counts it as deprecated, "removed").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pimtasks.domain.etim import (
    ChangeCounts,
    EtimEntity,
    EtimKind,
    ManifestEntry,
    canonical_json,
    content_hash,
    manifest_digest,
    manifest_entry,
)
from pimtasks.domain.etim_source import StoredVersion


def classify(previous: ManifestEntry | None, entry: ManifestEntry) -> str:
    """``created``, ``unchanged``, ``deprecated`` or ``changed`` (a ``ChangeCounts`` field name)."""
    if previous is None:
        return "created"
    if previous.hash == entry.hash:
        return "unchanged"
    if entry.deprecated and not previous.deprecated:
        return "deprecated"
    return "changed"


class KindChanges:
    """Entities of one kind as a sync meets them: what to store, the new manifest, the counts.

    Plain data in and out (``to_json``/``from_json``), so a sync that continues in a fresh invocation keeps
    what it had decided so far.
    """

    def __init__(self, *, kind: EtimKind, previous: dict[str, ManifestEntry]) -> None:
        self.kind = kind
        self.previous = previous
        self.entries: dict[str, ManifestEntry] = {}
        self.counts = ChangeCounts()

    def add(self, entity: EtimEntity) -> StoredVersion | None:
        """Record ``entity``; returns the version to store, or None when the stored one is the same."""
        body = canonical_json(entity)
        entry = manifest_entry(self.kind, entity, content_hash(body))
        known = self.entries.get(entry.code)
        if known is not None:  # listed twice (overlapping pages): the later answer wins, counted once
            self._count(classify(self.previous.get(entry.code), known), -1)
        self.entries[entry.code] = entry
        outcome = classify(self.previous.get(entry.code), entry)
        self._count(outcome, 1)
        return None if outcome == "unchanged" else StoredVersion(code=entry.code, hash=entry.hash, body=body)

    def finish(self) -> tuple[list[ManifestEntry], str]:
        """The new manifest (code order) and its digest; what is no longer there is counted deprecated."""
        removed = [code for code in self.previous if code not in self.entries]
        self.counts = self.counts.model_copy(update={"deprecated": self.counts.deprecated + len(removed),
                                                     "removed": self.counts.removed + len(removed)})
        entries = sorted(self.entries.values(), key=lambda e: e.code)
        return entries, manifest_digest(entries)

    def codes(self) -> Iterable[str]:
        return self.entries.keys()

    def _count(self, field: str, delta: int) -> None:
        self.counts = self.counts.model_copy(update={field: getattr(self.counts, field) + delta})

    # --- continuation -------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"entries": [e.model_dump(mode="json") for e in self.entries.values()],
                "counts": self.counts.model_dump()}

    def load(self, data: dict[str, Any]) -> None:
        self.entries = {row["code"]: ManifestEntry.model_validate(row) for row in data["entries"]}
        self.counts = ChangeCounts.model_validate(data["counts"])
