"""Stream the items of nested JSON arrays without loading the document.

Only the containers on the wanted path are walked here; every other value, and every wanted item, is
decoded by the C JSON decoder (``raw_decode``) straight from a sliding text buffer. So a 1 GB ETIM
xChange file costs one product object of memory at a time, at nearly ``json.loads`` speed.

Numbers with a fraction decode as ``Decimal`` (prices stay exact).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, TextIO

from pimtasks.imports.errors import CorruptFileError, TooLargeError

_CHUNK = 1 << 20
_WHITESPACE = " \t\r\n"
_TRUNCATION_MARGIN = 64 * 1024

JsonContext = dict[str, Any]
"""Scalar members (and lists of scalars) met on the way down, e.g. ``CurrencyCode``, ``SupplierIdGln``."""


class JsonArrayStream:
    """Yields ``(context, item)`` for the items of the arrays at ``path`` (``"*"`` = every array element)."""

    def __init__(self, stream: TextIO, *, path: tuple[str, ...], max_item_chars: int) -> None:
        self._stream = stream
        self._path = path
        self._max_item_chars = max_item_chars
        self._decoder = json.JSONDecoder(parse_float=Decimal)
        self._buffer = ""
        self._pos = 0
        self._offset = 0  # characters dropped from the buffer's front so far
        self._eof = False
        self._trail: list[str | int] = []
        self.root_types: dict[str, str] = {}
        """The top-level members met so far, name -> JSON type (``string``, ``array``...); complete once
        ``items()`` is exhausted (a member may follow the arrays walked, e.g. ``SchemaVersion`` last)."""
        self.root: JsonContext = {}
        """The top-level scalar members (and lists of scalars); complete once ``items()`` is exhausted."""

    def location(self, steps: int | None = None) -> str:
        """The JSON path of the item just yielded, e.g. ``$.Supplier[0].Product[3]`` (its first ``steps``
        steps only, if given: ``$.Supplier[0]`` for 2)."""
        return json_path(self._trail[:steps])

    def items(self) -> Iterator[tuple[JsonContext, Any]]:
        """Walk the document; fails with ``CorruptFileError`` on invalid JSON."""
        self._skip_whitespace()
        if self._peek() == "\ufeff":
            self._pos += 1
            self._skip_whitespace()
        if self._peek() != "{":
            raise self._error("the JSON does not start with an object ({...})")
        self._pos += 1
        yield from self._object(self._path, {}, scalars=self.root, types=self.root_types)
        self._skip_whitespace()
        if self._peek() != "":
            raise self._error("unexpected data after the end of the JSON document")

    def _object(
        self,
        path: tuple[str, ...],
        context: JsonContext,
        *,
        scalars: JsonContext | None = None,
        types: dict[str, str] | None = None,
    ) -> Iterator[tuple[JsonContext, Any]]:
        scalars = {} if scalars is None else scalars
        self._skip_whitespace()
        if self._peek() == "}":
            self._pos += 1
            return
        while True:
            self._skip_whitespace()
            key = self._decode()
            if not isinstance(key, str):
                raise self._error("an object key must be a string")
            self._expect(":")
            self._skip_whitespace()
            if path and path[0] == key and self._peek() == "[":
                self._pos += 1
                if types is not None:
                    types[key] = "array"
                self._trail.append(key)
                yield from self._array(path[1:], {**context, **scalars})
                self._trail.pop()
            else:
                value = self._decode()
                if types is not None:
                    types[key] = json_type(value)
                if not isinstance(value, dict) and (
                    not isinstance(value, list) or all(not isinstance(item, dict | list) for item in value)
                ):
                    scalars[key] = value
            self._skip_whitespace()
            char = self._take()
            if char == "}":
                return
            if char != ",":
                raise self._error("expected ',' or '}' in an object")

    def _array(self, path: tuple[str, ...], context: JsonContext) -> Iterator[tuple[JsonContext, Any]]:
        self._skip_whitespace()
        if self._peek() == "]":
            self._pos += 1
            return
        self._trail.append(0)
        while True:
            self._skip_whitespace()
            if not path:
                yield context, self._decode()
            elif path[0] == "*" and self._peek() == "{":
                self._pos += 1
                yield from self._object(path[1:], context)
            else:
                self._decode()
            self._skip_whitespace()
            char = self._take()
            if char == "]":
                self._trail.pop()
                return
            self._trail[-1] = int(self._trail[-1]) + 1
            if char != ",":
                raise self._error("expected ',' or ']' in an array")

    # --- buffer handling ---------------------------------------------------------------------------

    def _decode(self) -> Any:
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as error:
                # Near the buffer's end the value may just be cut off: read on. Far from it, it is broken.
                if self._eof or error.pos < len(self._buffer) - _TRUNCATION_MARGIN:
                    raise self._error(f"invalid JSON ({error.msg})", at=error.pos) from error
                self._more()
                continue
            # A number may end exactly at the buffer's end although the file goes on ("12" of "123").
            if end >= len(self._buffer) and not self._eof:
                self._more()
                continue
            self._pos = end
            return value

    def _more(self) -> None:
        if self._pos > len(self._buffer) // 2:
            self._offset += self._pos
            self._buffer = self._buffer[self._pos :]
            self._pos = 0
        if len(self._buffer) - self._pos > self._max_item_chars:
            raise TooLargeError(f"one JSON value is larger than {self._max_item_chars} characters")
        chunk = self._stream.read(_CHUNK)
        if not chunk:
            self._eof = True
        self._buffer += chunk

    def _peek(self) -> str:
        if self._pos >= len(self._buffer) and not self._eof:
            self._more()
        return self._buffer[self._pos] if self._pos < len(self._buffer) else ""

    def _take(self) -> str:
        char = self._peek()
        self._pos += 1
        return char

    def _expect(self, wanted: str) -> None:
        self._skip_whitespace()
        if self._take() != wanted:
            raise self._error(f"expected {wanted!r}")

    def _skip_whitespace(self) -> None:
        while True:
            while self._pos < len(self._buffer) and self._buffer[self._pos] in _WHITESPACE:
                self._pos += 1
            if self._pos < len(self._buffer) or self._eof:
                return
            self._more()

    def _error(self, message: str, *, at: int | None = None) -> CorruptFileError:
        position = self._offset + (self._pos if at is None else at)
        return CorruptFileError(f"the JSON file is damaged: {message} (at character {position})")


def json_path(trail: list[str | int]) -> str:
    """``["Supplier", 0, "Product", 3]`` -> ``$.Supplier[0].Product[3]``."""
    return "$" + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in trail)


def json_type(value: Any) -> str:
    """The JSON Schema type name of a decoded value (``Decimal`` is a ``number``, ``True`` a ``boolean``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
