"""A message's ``MsgContent`` as bytes.

The WSDL: XML messages are carried XML-escaped (UTF-8, no envelope of their own), ASCII or binary content as
base64. With ``IsContentCompressed`` the content is compressed; servers send gzip or zip, base64-encoded. The
answer may say so in its ``CustomInfo`` header or not, so compression is recognised by its magic bytes too.
Decompression is bounded (a hub's message is one invoice, not a zip bomb).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import zipfile
import zlib

from pimtasks.artconnect.errors import MessageContentError

MAX_CONTENT_BYTES = 64 << 20
_GZIP = b"\x1f\x8b"
_ZIP = b"PK\x03\x04"


def content_bytes(text: str, *, compressed: bool | None = None, limit: int = MAX_CONTENT_BYTES) -> bytes:
    """The message itself: escaped XML as UTF-8, else base64 decoded (and decompressed when it is)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<") and not compressed:
        return stripped.encode("utf-8")
    try:
        raw = base64.b64decode("".join(stripped.split()), validate=True)
    except (binascii.Error, ValueError):
        raise MessageContentError("MsgContent is neither XML nor base64") from None
    if raw.startswith(_GZIP):
        return _gunzip(raw, limit=limit)
    if raw.startswith(_ZIP):
        return _unzip(raw, limit=limit)
    if compressed:
        raise MessageContentError("MsgContent is marked compressed but is neither gzip nor zip")
    return raw


def _gunzip(raw: bytes, *, limit: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            data = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise MessageContentError(f"the compressed MsgContent (gzip) is broken: {error}") from None
    if len(data) > limit:
        raise MessageContentError(f"the compressed MsgContent unpacks to more than {limit:,} bytes")
    return data


def _unzip(raw: bytes, *, limit: int) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if len(members) != 1:
                raise MessageContentError(f"the compressed MsgContent (zip) holds {len(members)} files, not one")
            with archive.open(members[0]) as stream:
                data = stream.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
        raise MessageContentError(f"the compressed MsgContent (zip) is broken: {error}") from None
    if len(data) > limit:
        raise MessageContentError(f"the compressed MsgContent unpacks to more than {limit:,} bytes")
    return data


def gzip_base64(data: bytes) -> str:
    """Content for a compressed ``PostMessage`` (and for test servers)."""
    return base64.b64encode(gzip.compress(data, mtime=0)).decode("ascii")
