"""Serving a feed version: paging, deltas, removals, cursors, ETags (in memory: the reader over fake ports)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from pimtasks.domain.feed import (
    ChunkSummary,
    FeedFile,
    FeedManifest,
    FeedPointer,
    FeedVersion,
    chunk_key,
    manifest_key,
)
from pimtasks.errors import GoneError, NotFoundError, ValidationFailedError
from pimtasks.feeds.builder import manifest_json
from pimtasks.feeds.reader import FeedReader, etag_matches, weak_etag

ENV, FEED, VERSION = "000001", "Channel", "20261202T120000Z-0123abcd"


class MemoryObjects:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.gets: list[str] = []

    def put_bytes(self, *, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = body

    def upload(self, *, key: str, source: Path, content_type: str) -> None:
        self.objects[key] = source.read_bytes()

    def get_bytes(self, *, key: str) -> bytes | None:
        self.gets.append(key)
        return self.objects.get(key)

    def keys_under(self, *, prefix: str) -> list[str]:
        return [key for key in self.objects if key.startswith(prefix)]

    def delete_keys(self, *, keys: Sequence[str]) -> None:
        for key in keys:
            self.objects.pop(key, None)

    def presigned_get(self, *, key: str, expires_seconds: int, file_name: str) -> str:
        return f"https://download.example/{key}"


class OnePointer:
    def __init__(self, version: FeedVersion | None) -> None:
        self.version = version

    def pointer(self, *, environment: str, feed: str) -> FeedPointer | None:
        return FeedPointer(current=self.version, kept=(self.version.version,)) if self.version else None

    def switch(self, **kwargs: object) -> bool:
        raise AssertionError("readers never switch")


def entry(number: int, *, removed: bool = False, minute: int = 0) -> dict:
    return {"id": f"P-{number:03d}", "changed_at": f"2026-12-02T10:{minute:02d}:00.000Z", "removed": removed,
            "data": None if removed else {"article_number": f"P-{number:03d}"}}


def publish(chunks: list[list[dict]], *, page_size: int) -> tuple[FeedReader, MemoryObjects]:
    objects = MemoryObjects()
    for number, entries in enumerate(chunks):
        objects.put_bytes(key=chunk_key(environment=ENV, feed=FEED, version=VERSION, chunk=number),
                          body=json.dumps(entries).encode(), content_type="application/json")
    summaries = tuple(ChunkSummary(first=c[0]["changed_at"], last=c[-1]["changed_at"], entries=len(c),
                                   records=sum(1 for e in c if not e["removed"])) for c in chunks)
    manifest = FeedManifest(version=VERSION, built_at="2026-12-02T12:05:00.000Z", page_size=page_size,
                            chunks=summaries)
    objects.put_bytes(key=manifest_key(environment=ENV, feed=FEED, version=VERSION), body=manifest_json(manifest),
                      content_type="application/json")
    file = FeedFile(key="k/feed.json", size=2, sha256="ab" * 32, content_type="application/json", extension="json")
    version = FeedVersion(version=VERSION, built_at=dt.datetime(2026, 12, 2, 12, 5, tzinfo=dt.UTC), run_id="r",
                          records=0, removals=0, chunks=len(chunks), page_size=page_size, file=file)
    objects.put_bytes(key=file.key, body=b"[]", content_type="application/json")
    return FeedReader(versions=OnePointer(version), objects=objects), objects


def read_all(reader: FeedReader, *, since: dt.datetime | None = None) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = reader.read(reader.locate(environment=ENV, feed=FEED, cursor=cursor, since=since))
        pages.append([record["id"] for record in page.records])
        cursor = page.next_cursor
        if cursor is None:
            return pages
        since = None  # the cursor carries it


def test_a_full_read_skips_removals_and_fills_its_pages_from_the_next_chunk() -> None:
    reader, _ = publish([[entry(1), entry(2, removed=True), entry(3)], [entry(4), entry(5), entry(6)]], page_size=3)
    assert read_all(reader) == [["P-001", "P-003", "P-004"], ["P-005", "P-006"]]


def test_since_starts_at_the_first_chunk_that_reaches_it_and_includes_removals() -> None:
    reader, objects = publish([[entry(1, minute=1), entry(2, minute=2)], [entry(3, minute=3),
                               entry(4, removed=True, minute=4)], [entry(5, minute=5), entry(6, minute=6)]],
                              page_size=2)
    since = dt.datetime(2026, 12, 2, 10, 4, tzinfo=dt.UTC)
    assert read_all(reader, since=since) == [["P-004", "P-005"], ["P-006"]]
    assert not any(key.endswith("pages/000000.json") for key in objects.gets)  # chunk 0 is before since


def test_chunks_of_removals_only_are_not_even_read_by_a_full_read() -> None:
    reader, objects = publish([[entry(1, removed=True), entry(2, removed=True)], [entry(3), entry(4)]], page_size=2)
    assert read_all(reader) == [["P-003", "P-004"]]
    assert not any(key.endswith("pages/000000.json") for key in objects.gets)


def test_the_etag_is_known_before_the_pages_are_read_and_differs_per_page() -> None:
    reader, objects = publish([[entry(1), entry(2)], [entry(3), entry(4)]], page_size=2)
    first = reader.locate(environment=ENV, feed=FEED, cursor=None, since=None)
    assert not any("/pages/" in key for key in objects.gets)
    second = reader.locate(environment=ENV, feed=FEED, cursor=reader.read(first).next_cursor, since=None)
    assert first.etag != second.etag and first.etag.startswith('W/"')
    assert first.last_modified == dt.datetime(2026, 12, 2, 12, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize("header", ['W/"x", {etag}', "{etag}", "*", '{bare}'])
def test_if_none_match_compares_weakly(header: str) -> None:
    etag = weak_etag("v1")
    assert etag_matches(header.format(etag=etag, bare=etag.removeprefix("W/")), etag)


def test_if_none_match_of_another_answer_does_not_match() -> None:
    assert not etag_matches(weak_etag("v2"), weak_etag("v1"))
    assert not etag_matches(None, weak_etag("v1"))


@pytest.mark.parametrize("cursor", ["garbage", "eyJ2IjoiLi4vLi4vIiwiYyI6MCwibyI6MH0="])
def test_a_forged_cursor_is_a_422_naming_cursor(cursor: str) -> None:
    reader, _ = publish([[entry(1)]], page_size=10)
    with pytest.raises(ValidationFailedError) as raised:
        reader.locate(environment=ENV, feed=FEED, cursor=cursor, since=None)
    assert raised.value.field == "cursor"


def test_a_cursor_of_a_cleaned_up_version_is_gone_and_a_feed_never_built_is_not_found() -> None:
    reader, objects = publish([[entry(1), entry(2)], [entry(3)]], page_size=2)
    cursor = reader.read(reader.locate(environment=ENV, feed=FEED, cursor=None, since=None)).next_cursor
    fresh = FeedReader(versions=OnePointer(None), objects=objects)
    objects.delete_keys(keys=objects.keys_under(prefix=f"environments/{ENV}/Feeds/{FEED}/{VERSION}/"))
    with pytest.raises(GoneError):
        fresh.locate(environment=ENV, feed=FEED, cursor=cursor, since=None)
    with pytest.raises(NotFoundError):
        fresh.locate(environment=ENV, feed=FEED, cursor=None, since=None)


def test_the_whole_file_is_inline_when_small_and_none_when_the_etag_matches() -> None:
    reader, _ = publish([[entry(1)]], page_size=10)
    answer = reader.file(environment=ENV, feed=FEED, if_none_match=None)
    assert answer.content == b"[]" and answer.file_name == "Channel.json"
    assert reader.file(environment=ENV, feed=FEED, if_none_match=answer.etag).content is None


def test_a_large_whole_file_is_a_short_lived_download_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pimtasks.feeds.reader.INLINE_FILE_BYTES", 1)
    reader, _ = publish([[entry(1)]], page_size=10)
    answer = reader.file(environment=ENV, feed=FEED, if_none_match=None)
    assert answer.content is None and answer.download_url == "https://download.example/k/feed.json"
