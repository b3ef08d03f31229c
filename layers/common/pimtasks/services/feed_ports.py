"""What the feed services need from the outside world, as Protocols (no boto3 here).

``CatalogRepository`` (its change feed), ``FeedFiles`` (the files bucket's ``Feeds/`` folder),
``FeedRepository`` (the current-version pointer) and ``FeedTokenRepository`` (the hashed feed tokens) are the
adapters ``pimtasks.wiring`` plugs in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from pimtasks.domain.catalog_storage import StoredChange
from pimtasks.domain.feed import FeedPointer, FeedVersion
from pimtasks.domain.task_types import ImportTarget


class FeedCatalog(Protocol):
    """The catalog's change feed: records and tombstones of one kind in ``changed_at`` order."""

    def changes(self, *, environment: str, target: ImportTarget, after: str | None = None,
                since: dt.datetime | None = None, chunk: int = 100) -> Iterable[StoredChange]: ...


class FeedObjects(Protocol):
    """Objects of the files bucket by full key (``environments/<env>/Feeds/...``)."""

    def put_bytes(self, *, key: str, body: bytes, content_type: str) -> None: ...
    def upload(self, *, key: str, source: Path, content_type: str) -> None: ...
    def get_bytes(self, *, key: str) -> bytes | None:
        """The object's content, or None when there is no such object."""
        ...
    def keys_under(self, *, prefix: str) -> list[str]: ...
    def delete_keys(self, *, keys: Sequence[str]) -> None: ...
    def presigned_get(self, *, key: str, expires_seconds: int, file_name: str) -> str: ...


class FeedVersions(Protocol):
    """Each feed's current-version pointer."""

    def pointer(self, *, environment: str, feed: str) -> FeedPointer | None: ...
    def switch(self, *, environment: str, feed: str, version: FeedVersion, expected: str | None,
               kept: Sequence[str]) -> bool:
        """Point the feed at ``version`` if it still points at ``expected`` (None: at nothing); False when
        another run switched it meanwhile."""
        ...


class FeedTokenStore(Protocol):
    """The hash of each feed's token (never the token)."""

    def put_token_hash(self, *, environment: str, feed: str, token_hash: str, created_at: dt.datetime) -> None: ...
    def token_hash(self, *, environment: str, feed: str) -> str | None: ...
    def delete_token(self, *, environment: str, feed: str) -> bool: ...
