"""Serving a feed: the pages and the whole file of the version the feed points at.

- A page starts at the current version's first chunk (or, with ``since``, the first chunk whose entries reach
  ``since``), or where a cursor says; the cursor names its version, so a reader's pages all come from one
  version, whatever runs switch the feed meanwhile. Without ``since`` a page holds records only; with it, the
  records and removals changed at or after ``since`` (a delta).
- Every answer is derived from an immutable version and the request, so its ETag is known before anything
  is read: ``locate`` finds it (one pointer read, and the manifest, cached per version), the route answers
  304 for a matching ``If-None-Match``, and only then ``read`` fetches the chunks.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from pimtasks.clock import iso, parse_iso
from pimtasks.domain.feed import VERSION_PATTERN, FeedManifest, FeedVersion, chunk_key, manifest_key
from pimtasks.errors import GoneError, NotFoundError, ValidationFailedError
from pimtasks.feeds.builder import parse_manifest
from pimtasks.services.feed_ports import FeedObjects, FeedVersions
from pimtasks.services.page_tokens import decode_page_token, encode_page_token

MAX_CHUNKS_PER_PAGE = 8
"""Chunks one page request reads at most (a page of a feed whose filter leaves most records out may end
short, with a cursor to go on from)."""
INLINE_FILE_BYTES = 4 * 1024 * 1024
"""A whole file up to this size is answered in the response; a larger one by a redirect to a short-lived
download of the same version (a Lambda response holds 6 MB)."""
FILE_URL_SECONDS = 300
MANIFESTS_CACHED = 64
_CURSOR_AGAIN = "not a cursor of this feed (read again from the first page, without cursor)"


class FeedCursor(BaseModel):
    """Where the next page starts: version, chunk, entry in the chunk, and the delta's ``since``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Annotated[str, Field(pattern=VERSION_PATTERN)]
    c: Annotated[int, Field(ge=0, le=10_000_000)]
    o: Annotated[int, Field(ge=0, le=10_000)]
    s: str | None = None


@dataclass(frozen=True)
class PageRequest:
    """A located page: its version and start, and the validators of its answer."""

    environment: str
    feed: str
    manifest: FeedManifest
    chunk: int
    offset: int
    since: str | None
    etag: str
    last_modified: dt.datetime


@dataclass(frozen=True)
class FeedPage:
    version: str
    built_at: str
    since: str | None
    records: list[dict[str, Any]]
    next_cursor: str | None


@dataclass(frozen=True)
class FileAnswer:
    """The whole file of the current version: its content, or (too large to answer inline) a download URL."""

    version: FeedVersion
    etag: str
    content: bytes | None
    download_url: str | None
    file_name: str


def weak_etag(*parts: str) -> str:
    # Weak: the same answer may go out gzipped or not (RFC 9110 §8.8.3).
    return 'W/"' + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of ``If-None-Match`` against ``etag`` (``*`` matches any)."""
    if not if_none_match:
        return False
    opaque = etag.removeprefix("W/")
    for candidate in (part.strip() for part in if_none_match.split(",")):
        if candidate == "*" or candidate.removeprefix("W/") == opaque:
            return True
    return False


class FeedReader:
    def __init__(self, *, versions: FeedVersions, objects: FeedObjects) -> None:
        self._versions = versions
        self._objects = objects
        self._manifests: OrderedDict[tuple[str, str, str], FeedManifest] = OrderedDict()
        self._lock = threading.Lock()

    # --- pages ----------------------------------------------------------------------------------
    def locate(self, *, environment: str, feed: str, cursor: str | None, since: dt.datetime | None) -> PageRequest:
        """Where the page starts and its ETag; NotFoundError (no version yet), GoneError (cursor too old)."""
        position = _cursor(cursor)
        if position is not None:
            manifest = self._manifest(environment=environment, feed=feed, version=position.v)
            chunk, offset, since_text = position.c, position.o, position.s
        else:
            version = self._current(environment=environment, feed=feed).version
            manifest = self._manifest(environment=environment, feed=feed, version=version)
            since_text = iso(since) if since is not None else None
            chunk, offset = (_first_chunk(manifest, since_text) if since_text else 0), 0
        etag = weak_etag(manifest.version, str(chunk), str(offset), since_text or "")
        return PageRequest(environment=environment, feed=feed, manifest=manifest, chunk=chunk, offset=offset,
                           since=since_text, etag=etag, last_modified=parse_iso(manifest.built_at))

    def read(self, request: PageRequest) -> FeedPage:
        """The page's entries (up to the version's page size) and the cursor of the next page."""
        manifest = request.manifest
        size, delta, since = manifest.page_size, request.since is not None, request.since or ""
        chunk, offset, loaded = request.chunk, request.offset, 0
        records: list[dict[str, Any]] = []
        while chunk < len(manifest.chunks) and len(records) < size and loaded < MAX_CHUNKS_PER_PAGE:
            if not delta and manifest.chunks[chunk].records == 0:
                chunk, offset = chunk + 1, 0  # removals only: nothing a full read shows
                continue
            entries = self._chunk(request, chunk)
            loaded += 1
            index = offset
            while index < len(entries) and len(records) < size:
                entry = entries[index]
                index += 1
                if (entry["removed"] and not delta) or entry["changed_at"] < since:
                    continue
                records.append(entry)
            chunk, offset = (chunk + 1, 0) if index >= len(entries) else (chunk, index)
        next_cursor = None
        if chunk < len(manifest.chunks):
            next_cursor = encode_page_token(FeedCursor(v=manifest.version, c=chunk, o=offset, s=request.since))
        return FeedPage(version=manifest.version, built_at=manifest.built_at, since=request.since, records=records,
                        next_cursor=next_cursor)

    def _chunk(self, request: PageRequest, number: int) -> list[dict[str, Any]]:
        body = self._objects.get_bytes(key=chunk_key(environment=request.environment, feed=request.feed,
                                                     version=request.manifest.version, chunk=number))
        if body is None:
            raise _gone(request.manifest.version)
        entries: list[dict[str, Any]] = json.loads(body)
        return entries

    # --- the whole file -------------------------------------------------------------------------
    def file(self, *, environment: str, feed: str, if_none_match: str | None) -> FileAnswer:
        """The current version's whole file (no content when ``if_none_match`` matches: a 304)."""
        version = self._current(environment=environment, feed=feed)
        etag = weak_etag(version.file.sha256)
        name = f"{feed}.{version.file.extension}"
        answer = FileAnswer(version=version, etag=etag, content=None, download_url=None, file_name=name)
        if etag_matches(if_none_match, etag):
            return answer
        if version.file.size > INLINE_FILE_BYTES:
            url = self._objects.presigned_get(key=version.file.key, expires_seconds=FILE_URL_SECONDS, file_name=name)
            return FileAnswer(version=version, etag=etag, content=None, download_url=url, file_name=name)
        content = self._objects.get_bytes(key=version.file.key)
        if content is None:
            raise _gone(version.version)
        return FileAnswer(version=version, etag=etag, content=content, download_url=None, file_name=name)

    # --- versions -------------------------------------------------------------------------------
    def _current(self, *, environment: str, feed: str) -> FeedVersion:
        pointer = self._versions.pointer(environment=environment, feed=feed)
        if pointer is None:
            raise NotFoundError(f"feed '{feed}' has no published version yet (no feed run has succeeded)")
        return pointer.current

    def _manifest(self, *, environment: str, feed: str, version: str) -> FeedManifest:
        """A version's manifest; versions never change, so each is read once per process (LRU-bounded)."""
        key = (environment, feed, version)
        with self._lock:
            cached = self._manifests.get(key)
            if cached is not None:
                self._manifests.move_to_end(key)
                return cached
        body = self._objects.get_bytes(key=manifest_key(environment=environment, feed=feed, version=version))
        if body is None:
            raise _gone(version)
        manifest = parse_manifest(body)
        with self._lock:
            self._manifests[key] = manifest
            while len(self._manifests) > MANIFESTS_CACHED:
                self._manifests.popitem(last=False)
        return manifest


def _cursor(cursor: str | None) -> FeedCursor | None:
    try:
        return decode_page_token(cursor, position=FeedCursor)
    except ValidationFailedError:
        # The listing helpers name next_token; a feed's parameter is cursor.
        raise ValidationFailedError(field="cursor", message=_CURSOR_AGAIN) from None


def _first_chunk(manifest: FeedManifest, since: str) -> int:
    """The first chunk with an entry changed at or after ``since`` (chunks are in change order)."""
    return bisect.bisect_left([chunk.last for chunk in manifest.chunks], since)


def _gone(version: str) -> GoneError:
    return GoneError(f"feed version {version} is no longer served (newer versions replaced it); read the feed "
                     "again from the first page")
