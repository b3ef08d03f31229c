"""Each feed's current-version pointer, in the catalog table (``FeedVersions``).

Item ``pk = ENV#<env>#FEED#<feed>``, ``sk = CURRENT``: the served version (its counts and whole file) and the
versions kept. The switch is a conditional put on the version it replaces, so two runs never both switch
from the same version, and a reader always sees one complete version or the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pimtasks.adapters.dynamo import DynamoTable, put_if_current
from pimtasks.clock import iso, parse_iso
from pimtasks.domain.feed import FeedFile, FeedPointer, FeedVersion

POINTER_SK = "CURRENT"


def pointer_pk(environment: str, feed: str) -> str:
    return f"ENV#{environment}#FEED#{feed}"


class FeedRepository:
    def __init__(self, *, table: DynamoTable) -> None:
        self._table = table

    def pointer(self, *, environment: str, feed: str) -> FeedPointer | None:
        item = self._table.get({"pk": pointer_pk(environment, feed), "sk": POINTER_SK})
        return _pointer(item) if item else None

    def switch(self, *, environment: str, feed: str, version: FeedVersion, expected: str | None,
               kept: Sequence[str]) -> bool:
        item: dict[str, Any] = {
            "pk": pointer_pk(environment, feed), "sk": POINTER_SK, "environment": environment, "feed": feed,
            "version": version.version, "built_at": iso(version.built_at), "run_id": version.run_id,
            "records": version.records, "removals": version.removals, "chunks": version.chunks,
            "page_size": version.page_size, "kept": list(kept),
            "file": {"key": version.file.key, "size": version.file.size, "sha256": version.file.sha256,
                     "content_type": version.file.content_type, "extension": version.file.extension},
        }
        return put_if_current(self._table, item, attribute="version", expected=expected)


def _pointer(item: dict[str, Any]) -> FeedPointer:
    file = item["file"]
    current = FeedVersion(
        version=str(item["version"]), built_at=parse_iso(str(item["built_at"])), run_id=str(item["run_id"]),
        records=int(item["records"]), removals=int(item["removals"]), chunks=int(item["chunks"]),
        page_size=int(item["page_size"]),
        file=FeedFile(key=str(file["key"]), size=int(file["size"]), sha256=str(file["sha256"]),
                      content_type=str(file["content_type"]), extension=str(file["extension"])))
    return FeedPointer(current=current, kept=tuple(str(v) for v in item.get("kept", [])))
