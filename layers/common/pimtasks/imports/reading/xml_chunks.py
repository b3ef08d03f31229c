"""Unpacked XML in pieces that never split a tag, for scanners that count with regular expressions.

A piece ends just before a ``<`` (preferably before a *marker* such as ``<c `` or ``<table:table-row``, so
that a whole cell or row stays in one piece), and the rest is carried into the next one. A single tag
longer than ``MAX_TAG_BYTES`` is refused: no spreadsheet writes one, and carrying it would hold memory.
A DTD (and so any entity declaration) is refused too: spreadsheets never have one, and XML entity
expansion ("billion laughs") and external entities (XXE) need one. XML allows a DTD only before the root
element, so only the start of a part is searched (a parser rejects one later on as malformed).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pimtasks.imports.errors import UnsafeXmlError

MAX_TAG_BYTES = 4 << 20
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_PROLOG_BYTES = 64 << 10


@dataclass(frozen=True)
class XmlPiece:
    """Complete tags (text may continue in the next piece only when ``cut_in_text``)."""

    data: bytes
    offset: int
    """Where ``data`` starts in the part."""
    at_marker: bool
    """The next piece starts at one of the markers (or this is the last piece)."""
    cut_in_text: bool = False


def xml_pieces(chunks: Iterable[bytes], *, part: str, markers: tuple[bytes, ...] = ()) -> Iterator[XmlPiece]:
    """Re-cut ``chunks`` (a part as it unpacks) into ``XmlPiece`` s; ``part`` names it in errors."""
    carry = b""
    offset = 0
    prolog = b""
    for chunk in chunks:
        if len(prolog) < _PROLOG_BYTES:
            prolog += chunk[: _PROLOG_BYTES - len(prolog)]
            _refuse_dtd(prolog, part=part)
        carry += chunk
        cut, at_marker = _cut(carry, markers)
        if cut <= 0:
            if len(carry) <= MAX_TAG_BYTES:
                continue
            if carry.find(b">") < 0:
                raise UnsafeXmlError(f"{part!r} holds an XML tag longer than {MAX_TAG_BYTES >> 20} MiB; it is refused")
            # A long text without tags (a huge cell): hand it on whole; the scanners only count tags.
            yield XmlPiece(carry, offset, at_marker=False, cut_in_text=True)
            offset += len(carry)
            carry = b""
            continue
        yield XmlPiece(carry[:cut], offset, at_marker=at_marker)
        offset += cut
        carry = carry[cut:]
    if carry:
        yield XmlPiece(carry, offset, at_marker=True)


def _cut(data: bytes, markers: tuple[bytes, ...]) -> tuple[int, bool]:
    """Where to end the piece: before the last marker in the second half of ``data``, else before its last ``<``."""
    half = len(data) // 2
    for marker in markers:
        position = data.rfind(marker, half)
        if position > 0:
            return position, True
    return data.rfind(b"<"), False


def _refuse_dtd(data: bytes, *, part: str) -> None:
    for marker in _DTD_MARKERS:
        if marker in data:
            raise UnsafeXmlError(
                f"{part!r} declares a DTD or entities ({marker.decode()}), which spreadsheets never do "
                "(XML entity expansion, external entities); the file is refused"
            )
