"""The whole-file feed's formats, behind one small protocol.

A format opens a writer on a binary sink; the feed run writes the version's records into it one at a time
(constant memory) and closes it. JSON (an array) and NDJSON are built here; CSV and XML plug in by adding
their ``FeedFileFormat`` to ``FILE_FORMATS`` (e.g. wrapping the Export task's writers), nothing else changes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol


class BinarySink(Protocol):
    """Where a writer writes (an open binary file, or anything with its ``write``)."""

    def write(self, data: bytes, /) -> object: ...


class FeedFileWriter(Protocol):
    def write(self, record: dict[str, Any]) -> None:
        """Add one record (the catalog record in JSON form, reduced to the feed's columns)."""
        ...

    def close(self) -> None:
        """End the document (the sink itself stays open: the caller owns it)."""
        ...


class FeedFileFormat(Protocol):
    name: str
    content_type: str
    extension: str

    def open(self, sink: BinarySink, *, entity: str, columns: Sequence[str]) -> FeedFileWriter:
        """A writer of ``entity`` records into ``sink``; ``columns`` are the fields in order (for formats with
        a fixed column set, e.g. CSV's header; JSON writes each record's own fields)."""
        ...


class FeedFormatUnavailableError(Exception):
    """The settings name a format this version of pimtasks cannot write yet."""


def _json_bytes(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _JsonArrayWriter:
    def __init__(self, sink: BinarySink) -> None:
        self._sink = sink
        self._first = True
        sink.write(b"[")

    def write(self, record: dict[str, Any]) -> None:
        self._sink.write(b"\n" if self._first else b",\n")
        self._first = False
        self._sink.write(_json_bytes(record))

    def close(self) -> None:
        self._sink.write(b"]\n" if self._first else b"\n]\n")


class JsonArrayFormat:
    """One JSON array of records, a record a line (readable, and still one valid JSON document)."""

    name = "json"
    content_type = "application/json"
    extension = "json"

    def open(self, sink: BinarySink, *, entity: str, columns: Sequence[str]) -> FeedFileWriter:
        return _JsonArrayWriter(sink)


class _NdjsonWriter:
    def __init__(self, sink: BinarySink) -> None:
        self._sink = sink

    def write(self, record: dict[str, Any]) -> None:
        self._sink.write(_json_bytes(record) + b"\n")

    def close(self) -> None:
        return None


class NdjsonFormat:
    """Newline-delimited JSON: one record a line, nothing around them."""

    name = "ndjson"
    content_type = "application/x-ndjson"
    extension = "ndjson"

    def open(self, sink: BinarySink, *, entity: str, columns: Sequence[str]) -> FeedFileWriter:
        return _NdjsonWriter(sink)


FILE_FORMATS: dict[str, FeedFileFormat] = {"json": JsonArrayFormat(), "ndjson": NdjsonFormat()}
"""The formats a feed run can write, by ``FeedSettings.format``. CSV and XML plug in here."""


def file_format(name: str) -> FeedFileFormat:
    """The format of ``FeedSettings.format``; ``FeedFormatUnavailableError`` for one not built yet."""
    try:
        return FILE_FORMATS[name]
    except KeyError:
        raise FeedFormatUnavailableError(
            f"the feed file format '{name}' is not available yet in this version of pimtasks (use "
            f"{' or '.join(sorted(FILE_FORMATS))})") from None
