"""The whole-file feed's formats, behind one small protocol.

A format opens a writer on a binary sink; the feed run writes the version's records into it one at a time
(constant memory) and closes it. Four formats: JSON (an array), NDJSON, CSV and XML. A feed is read by
programs, not people: values are written as the catalog holds them (``12.5``, ``2026-12-02``, ``true``), never
localised as an Export's layout may (decimal comma, date formats), and a nested value (descriptions per
language, a list) keeps its structure (JSON text in a CSV cell, child elements in XML). Another format plugs in
by adding its ``FeedFileFormat`` to ``FILE_FORMATS``; nothing else changes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from typing import Any, Protocol
from xml.sax.saxutils import escape, quoteattr


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


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_bytes(record: dict[str, Any]) -> bytes:
    return _json_text(record).encode("utf-8")


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


def _csv_cell(value: Any) -> str:
    """A CSV cell: empty for no value, ``true``/``false``, numbers and text as they are, nested values as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return _json_text(value)
    return str(value)


class _CsvWriter:
    def __init__(self, sink: BinarySink, columns: Sequence[str]) -> None:
        self._sink = sink
        self._columns = list(columns)
        self._buffer = io.StringIO()
        # RFC 4180: comma, CRLF, quotes only where a cell needs them
        self._csv = csv.writer(self._buffer, lineterminator="\r\n")
        self._row(self._columns)

    def _row(self, cells: Sequence[str]) -> None:
        self._csv.writerow(cells)
        self._sink.write(self._buffer.getvalue().encode("utf-8"))
        self._buffer.seek(0)
        self._buffer.truncate()

    def write(self, record: dict[str, Any]) -> None:
        self._row([_csv_cell(record.get(column)) for column in self._columns])

    def close(self) -> None:
        return None


class CsvFormat:
    """RFC 4180 CSV in UTF-8 (no BOM: the readers are programs): a header of the feed's columns, a record a row."""

    name = "csv"
    content_type = "text/csv; charset=utf-8"
    extension = "csv"

    def open(self, sink: BinarySink, *, entity: str, columns: Sequence[str]) -> FeedFileWriter:
        return _CsvWriter(sink, columns)


_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot hold at all (not even escaped): each becomes U+FFFD, so the file stays well-formed."""


_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def _xml_chars(value: Any) -> str:
    """The value's text with the characters XML cannot hold replaced (not yet escaped)."""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return _NOT_XML.sub("\ufffd", text)


def _xml_text(value: Any) -> str:
    return escape(_xml_chars(value))


def _xml_element(name: str, value: Any) -> str:
    """``<name>value</name>``; a dict's keys as child elements, a list's items as ``<item>`` children, and no
    value as an empty element. A key that is no XML name (``nl-BE`` is one, ``1x`` is not) is kept in an
    ``<entry key="...">``."""
    tag, attributes = (name, "") if _XML_NAME.fullmatch(name) else ("entry", f" key={quoteattr(_xml_chars(name))}")
    if value is None:
        return f"<{tag}{attributes}/>"
    if isinstance(value, dict):
        inner = "".join(_xml_element(str(key), item) for key, item in value.items())
    elif isinstance(value, list):
        inner = "".join(_xml_element("item", item) for item in value)
    else:
        inner = _xml_text(value)
    return f"<{tag}{attributes}>{inner}</{tag}>"


class _XmlWriter:
    def __init__(self, sink: BinarySink, entity: str, columns: Sequence[str]) -> None:
        self._sink = sink
        self._columns = list(columns)
        sink.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<feed entity={quoteattr(entity)}>\n'.encode())

    def write(self, record: dict[str, Any]) -> None:
        fields = "".join(_xml_element(column, record.get(column)) for column in self._columns)
        self._sink.write(f"<record>{fields}</record>\n".encode())

    def close(self) -> None:
        self._sink.write(b"</feed>\n")


class XmlFormat:
    """``<feed entity="products"><record><article_number>P-1</article_number>...</record>...</feed>`` in UTF-8:
    a ``<record>`` per record with the feed's columns as child elements, in the columns' order."""

    name = "xml"
    content_type = "application/xml"
    extension = "xml"

    def open(self, sink: BinarySink, *, entity: str, columns: Sequence[str]) -> FeedFileWriter:
        return _XmlWriter(sink, entity, columns)


FILE_FORMATS: dict[str, FeedFileFormat] = {"json": JsonArrayFormat(), "ndjson": NdjsonFormat(), "csv": CsvFormat(),
                                           "xml": XmlFormat()}
"""The formats a feed run can write, by ``FeedSettings.format``."""


def file_format(name: str) -> FeedFileFormat:
    """The format of ``FeedSettings.format``; ``FeedFormatUnavailableError`` for one not built yet."""
    try:
        return FILE_FORMATS[name]
    except KeyError:
        raise FeedFormatUnavailableError(
            f"the feed file format '{name}' is not available yet in this version of pimtasks (use "
            f"{' or '.join(sorted(FILE_FORMATS))})") from None
