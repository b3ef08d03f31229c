"""A feed's published versions: what a feed run builds and what the feed endpoints serve.

A feed run writes a new *version* (its pages and its whole file under ``Feeds/<feed>/<version>/``) and only
when it is complete switches the feed's pointer to it, so a channel never sees a half-built feed. Versions
are immutable once written: a reader's cursor names its version, and its pages stay the same while the next
version is built and after the switch (until the version is cleaned up, see ``KEPT_VERSIONS``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

KEPT_VERSIONS = 2
"""Versions kept after a switch: the new one and the one before it. A reader that began paging the previous
version just before the switch can finish it; one still paging a version two switches old (a run between
them must have built and switched a whole feed meanwhile) gets 410 and starts again from the first page."""

VERSION_PATTERN = r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$"
_VERSION_RE = re.compile(VERSION_PATTERN)


def version_id(*, started_at: dt.datetime, run_id: str) -> str:
    """A version's name: sortable by when its run started, unique per run (``20261202T161900Z-1a2b3c4d``)."""
    digest = hashlib.sha256(run_id.encode()).hexdigest()[:8]
    return f"{started_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{digest}"


def is_version_id(value: str) -> bool:
    return bool(_VERSION_RE.fullmatch(value))


def feed_prefix(*, environment: str, feed: str) -> str:
    """The feed's folder in the files bucket (every version lives below it)."""
    return f"environments/{environment}/Feeds/{feed}/"


def version_prefix(*, environment: str, feed: str, version: str) -> str:
    return f"{feed_prefix(environment=environment, feed=feed)}{version}/"


def chunk_key(*, environment: str, feed: str, version: str, chunk: int) -> str:
    """One page chunk: ``page_size`` entries of the version, in change order."""
    return f"{version_prefix(environment=environment, feed=feed, version=version)}pages/{chunk:06d}.json"


def manifest_key(*, environment: str, feed: str, version: str) -> str:
    return f"{version_prefix(environment=environment, feed=feed, version=version)}manifest.json"


@dataclass(frozen=True)
class ChunkSummary:
    """What the manifest says of one chunk: its entries' first and last ``changed_at``, how many there are
    and how many of them are records (not removals)."""

    first: str
    last: str
    entries: int
    records: int


@dataclass(frozen=True)
class FeedManifest:
    """The index of a version's chunks (``manifest.json``), read to find where ``since=`` starts."""

    version: str
    built_at: str
    page_size: int
    chunks: tuple[ChunkSummary, ...]


@dataclass(frozen=True)
class FeedFile:
    """A version's whole file."""

    key: str
    size: int
    sha256: str
    content_type: str
    extension: str


@dataclass(frozen=True)
class FeedVersion:
    """A complete version of a feed, as the pointer records it."""

    version: str
    built_at: dt.datetime
    run_id: str
    records: int
    removals: int
    chunks: int
    page_size: int
    file: FeedFile


@dataclass(frozen=True)
class FeedPointer:
    """The version a feed serves now, and every version kept (newest first, the current one included)."""

    current: FeedVersion
    kept: tuple[str, ...] = field(default_factory=tuple)
