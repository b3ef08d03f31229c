"""ZIP containers (archives, XLSX and ODS packages) opened and unpacked without trusting their directory.

A ZIP's directory says how big each member is, but a hostile file can forge it (declare 1 KB and unpack
to 2 GB; a Rust or Python reader that trusts it fills memory before the CRC check at the end). So:

1. before ``zipfile`` parses the central directory, its size is bounded (a directory of millions of
   entries is a memory bomb of its own);
2. the directory is checked: duplicate names (two readers may pick different ones), overlapping members
   (one compressed kernel listed many times), encryption, compression methods, each member's own header
   against the directory, and the declared sizes and ratios against the limits (a cheap first refusal);
3. ``ZipContainer.chunks`` unpacks a member itself, from the raw compressed bytes, counting what really
   comes out: it stops the moment a member passes its declared size, the compression ratio, its cap or
   the container's total, and checks the CRC at the end. Memory stays at one chunk.
"""

from __future__ import annotations

import bz2
import itertools
import struct
import zipfile
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from pimtasks.imports.errors import CorruptFileError, UnsafeArchiveError
from pimtasks.imports.reading.limits import ReadLimits, size_text

CHUNK_BYTES = 1 << 20
"""Most bytes a member yields at once (and so the memory one unpacking holds)."""
_INPUT_BYTES = 1 << 16
RATIO_FLOOR_BYTES = 1 << 20
"""Below this many unpacked bytes the ratio is not judged: tiny members compress oddly and cost nothing."""
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_END_RECORD = struct.Struct("<4sHHHHIIH")
_END_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sIQI")
_ZIP64_END = struct.Struct("<4sQHHIIQQQQ")
_DIRECTORY_ENTRY_BYTES = 4096
"""Room per directory entry when bounding the directory's size (names of up to a few hundred bytes)."""
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "Deflate", zipfile.ZIP_BZIP2: "BZIP2"}
_DATA_DESCRIPTOR = 0x8


@dataclass
class ExpansionBudget:
    """What all members of one container may unpack to together (``limit`` names the ``ReadLimits`` field)."""

    limits: ReadLimits
    limit: str
    what: str
    used: int = 0

    @property
    def total(self) -> int:
        return int(getattr(self.limits, self.limit))

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > self.total:
            raise self.limits.exceeded(self.limit, f"{self.what} unpacks to {size_text(self.used)} so far")


@dataclass(frozen=True)
class ZipMember:
    """A directory entry, with where its compressed bytes start (read from its own header)."""

    info: zipfile.ZipInfo
    data_offset: int

    @property
    def name(self) -> str:
        return self.info.filename

    @property
    def end_offset(self) -> int:
        return self.data_offset + self.info.compress_size


@dataclass
class ZipContainer:
    """An opened, checked ZIP file; ``what`` names it in messages ("the ZIP archive", "the workbook")."""

    path: Path
    members: list[ZipMember]
    limits: ReadLimits
    budget: ExpansionBudget
    what: str
    member_limit: str
    """The ``ReadLimits`` field capping one member."""
    _unpacked: dict[str, int] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path, *, limits: ReadLimits, what: str, total_limit: str, member_limit: str) -> ZipContainer:
        """Open ``path`` and check its directory (steps 1 and 2 of the module docstring)."""
        max_entries = limits.max_zip_entries
        with path.open("rb") as stream:
            bound_directory(stream, limits=limits, what=what)
            try:
                with zipfile.ZipFile(stream) as archive:
                    infos = archive.infolist()
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
                raise CorruptFileError(f"{what} is damaged and cannot be opened ({error})") from error
            if len(infos) > max_entries:
                raise limits.exceeded("max_zip_entries", f"{what} lists {len(infos):,} entries")
            members = [_member(stream, info, what=what) for info in infos]
        budget = ExpansionBudget(limits=limits, limit=total_limit, what=what)
        container = cls(path=path, members=members, limits=limits, budget=budget, what=what, member_limit=member_limit)
        container._check_directory()
        return container

    def _check_directory(self) -> None:
        seen: set[str] = set()
        declared = 0
        for member in self.members:
            info = member.info
            if info.filename in seen:
                raise UnsafeArchiveError(
                    f"{self.what} lists {info.filename!r} twice; readers may pick different copies, so it is refused",
                    value=info.filename,
                )
            seen.add(info.filename)
            if info.flag_bits & 0x1:
                raise UnsafeArchiveError(f"{info.filename!r} in {self.what} is password-protected", value=info.filename)
            if info.compress_type not in _METHODS:
                raise UnsafeArchiveError(
                    f"{info.filename!r} in {self.what} is compressed with method {info.compress_type}, which is not "
                    "accepted (save it with the standard Deflate compression)",
                    value=info.filename,
                )
            self._check_declared(info)
            declared += info.file_size
        if declared > self.budget.total:
            raise self.limits.exceeded(self.budget.limit, f"{self.what} declares {size_text(declared)} of content")
        ordered = sorted(self.members, key=lambda member: member.info.header_offset)
        for before, after in itertools.pairwise(ordered):
            if after.info.header_offset < before.end_offset:
                raise UnsafeArchiveError(
                    f"{self.what} is forged: {after.name!r} overlaps {before.name!r} (a zip bomb?)", value=after.name
                )

    def _check_declared(self, info: zipfile.ZipInfo) -> None:
        cap = int(getattr(self.limits, self.member_limit))
        if info.file_size > cap:
            raise self.limits.exceeded(
                self.member_limit,
                f"{info.filename!r} in {self.what} declares {size_text(info.file_size)}",
                value=info.filename,
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > self.limits.max_compression_ratio:
            raise self.limits.exceeded(
                "max_compression_ratio",
                f"{info.filename!r} in {self.what} is compressed {ratio:,.0f} times (a zip bomb?)",
                value=info.filename,
            )

    def member(self, name: str) -> ZipMember | None:
        return next((member for member in self.members if member.name == name), None)

    def chunks(self, member: ZipMember, *, cap_limit: str | None = None, again: bool = False) -> Iterator[bytes]:
        """The member's bytes as they unpack, at most ``CHUNK_BYTES`` at a time (step 3).

        ``cap_limit`` names a ``ReadLimits`` field capping this member below the container's own member cap
        (e.g. a part that is parsed whole); ``again``: the member was unpacked before, its bytes are
        already counted in the container's total.
        """
        meter = _Meter(container=self, member=member, cap_limit=cap_limit or self.member_limit, counted=not again)
        with self.path.open("rb") as stream:
            stream.seek(member.data_offset)
            for piece in _unpack(stream, member, meter=meter):
                meter.count(piece)
                yield piece
        meter.finish()

    def read_head(self, member: ZipMember, size: int) -> bytes:
        """The first ``size`` bytes of a member (for sniffing), unpacking no more than needed."""
        meter = _Meter(container=self, member=member, cap_limit=self.member_limit)
        head = bytearray()
        with self.path.open("rb") as stream:
            stream.seek(member.data_offset)
            pieces = _unpack(stream, member, meter=meter)
            for piece in pieces:
                meter.count(piece)
                head += piece
                if len(head) >= size:
                    break
            pieces.close()
        return bytes(head[:size])


@dataclass
class _Meter:
    """Counts one member's output against its declared size, its cap, the ratio and the container's total."""

    container: ZipContainer
    member: ZipMember
    cap_limit: str
    counted: bool = True
    produced: int = 0
    consumed: int = 0
    crc: int = 0

    def count(self, piece: bytes) -> None:
        container, info = self.container, self.member.info
        self.produced += len(piece)
        self.crc = zlib.crc32(piece, self.crc)
        if self.produced > info.file_size:
            raise UnsafeArchiveError(
                f"{info.filename!r} unpacks to more than the {info.file_size:,} bytes {container.what}'s directory "
                "declares: the file is forged (a zip bomb?) and refused",
                value=info.filename,
            )
        limits = container.limits
        cap = int(getattr(limits, self.cap_limit))
        if self.produced > cap:
            raise limits.exceeded(
                self.cap_limit,
                f"{info.filename!r} in {container.what} unpacks to more than {size_text(cap)}",
                value=info.filename,
            )
        if self.produced > RATIO_FLOOR_BYTES and self.produced > limits.max_compression_ratio * max(self.consumed, 1):
            raise limits.exceeded(
                "max_compression_ratio",
                f"{info.filename!r} in {container.what} unpacks {self.produced // max(self.consumed, 1):,} times its "
                "compressed size (a zip bomb?)",
                value=info.filename,
            )
        if self.counted:
            container.budget.spend(len(piece))

    def finish(self) -> None:
        info = self.member.info
        if self.produced != info.file_size or self.crc != info.CRC:
            raise CorruptFileError(
                f"{info.filename!r} in {self.container.what} is damaged: it does not unpack to what the ZIP directory "
                "says (size or checksum)",
                value=info.filename,
            )


def _unpack(stream: BinaryIO, member: ZipMember, *, meter: _Meter) -> Generator[bytes, None, None]:
    """Decompress the member's raw bytes; ``meter.consumed`` follows the compressed bytes used."""
    info = member.info
    remaining = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while remaining:
            piece = stream.read(min(CHUNK_BYTES, remaining))
            if not piece:
                raise _truncated(info)
            remaining -= len(piece)
            meter.consumed += len(piece)
            yield piece
        return
    decompressor: _Decompressor = _Inflater() if info.compress_type == zipfile.ZIP_DEFLATED else _Bunzipper()
    fed = 0
    while not decompressor.eof:
        data = b""
        if decompressor.needs_input and remaining:
            data = stream.read(min(_INPUT_BYTES, remaining))
            if not data:
                raise _truncated(info)
            remaining -= len(data)
            fed += len(data)
        try:
            piece = decompressor.decompress(data)
        except (zlib.error, OSError, EOFError, ValueError) as error:
            raise CorruptFileError(
                f"{info.filename!r} is damaged and cannot be unpacked ({error})", value=info.filename
            ) from error
        meter.consumed = fed - decompressor.pending_input
        if piece:
            yield piece
        elif not data and decompressor.needs_input:
            raise _truncated(info)  # no input left, nothing more comes out, and the stream has not ended


class _Decompressor(Protocol):
    @property
    def eof(self) -> bool: ...

    @property
    def needs_input(self) -> bool: ...

    @property
    def pending_input(self) -> int: ...

    def decompress(self, data: bytes) -> bytes: ...


class _Inflater:
    """Raw Deflate, at most ``CHUNK_BYTES`` out per call whatever the input holds."""

    def __init__(self) -> None:
        self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)

    @property
    def eof(self) -> bool:
        return self._zlib.eof

    @property
    def needs_input(self) -> bool:
        return not self._zlib.unconsumed_tail

    @property
    def pending_input(self) -> int:
        return len(self._zlib.unconsumed_tail)

    def decompress(self, data: bytes) -> bytes:
        return self._zlib.decompress(self._zlib.unconsumed_tail + data, CHUNK_BYTES)


class _Bunzipper:
    """BZIP2; its buffered input is not visible, so the ratio counts all input fed as used."""

    def __init__(self) -> None:
        self._bz2 = bz2.BZ2Decompressor()

    @property
    def eof(self) -> bool:
        return self._bz2.eof

    @property
    def needs_input(self) -> bool:
        return self._bz2.needs_input

    @property
    def pending_input(self) -> int:
        return 0

    def decompress(self, data: bytes) -> bytes:
        return self._bz2.decompress(data, CHUNK_BYTES)


def _truncated(info: zipfile.ZipInfo) -> CorruptFileError:
    return CorruptFileError(f"{info.filename!r} is cut short: the ZIP file is incomplete", value=info.filename)


def _member(stream: BinaryIO, info: zipfile.ZipInfo, *, what: str) -> ZipMember:
    """The entry with its data offset, after checking its local header agrees with the directory."""
    stream.seek(info.header_offset)
    header = stream.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        raise _truncated(info)
    signature, _, flags, method, _, _, crc, compressed, size, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    name = stream.read(name_length).decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
    if signature != _LOCAL_SIGNATURE or method != info.compress_type or name != info.orig_filename:
        raise UnsafeArchiveError(
            f"{what} is forged or damaged: the header of {info.filename!r} does not match the ZIP directory",
            value=info.filename,
        )
    if not flags & _DATA_DESCRIPTOR and 0xFFFFFFFF not in (compressed, size) and (compressed, size, crc) != (
        info.compress_size, info.file_size, info.CRC
    ):
        raise UnsafeArchiveError(
            f"{what} is forged: {info.filename!r} declares other sizes in its own header than in the ZIP directory",
            value=info.filename,
        )
    return ZipMember(info=info, data_offset=info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)


def bound_directory(stream: BinaryIO, *, limits: ReadLimits, what: str) -> None:
    """Fail before ``zipfile`` parses a central directory of more than ``max_zip_entries`` entries."""
    max_entries = limits.max_zip_entries
    entries, directory_bytes = _directory_extent(stream)
    if entries > max_entries or directory_bytes > max_entries * _DIRECTORY_ENTRY_BYTES:
        shown = max(entries, directory_bytes // _DIRECTORY_ENTRY_BYTES)
        raise limits.exceeded("max_zip_entries", f"{what} lists {shown:,} entries")


def _directory_extent(stream: BinaryIO) -> tuple[int, int]:
    """``(entries, bytes)`` of the central directory, from the end record (0, 0 when none is found:
    ``zipfile`` then reports the file as damaged)."""
    stream.seek(0, 2)
    size = stream.tell()
    tail_size = min(size, _END_RECORD.size + 0xFFFF)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    position = tail.rfind(_END_SIGNATURE)
    if position < 0 or len(tail) - position < _END_RECORD.size:
        return 0, 0
    fields = _END_RECORD.unpack_from(tail, position)
    entries, directory_bytes = fields[4], fields[5]
    if entries == 0xFFFF or directory_bytes == 0xFFFFFFFF:
        return _zip64_extent(stream, end_record_at=size - tail_size + position, fallback=(entries, directory_bytes))
    return entries, directory_bytes


def _zip64_extent(stream: BinaryIO, *, end_record_at: int, fallback: tuple[int, int]) -> tuple[int, int]:
    if end_record_at < _ZIP64_LOCATOR.size:
        return fallback
    stream.seek(end_record_at - _ZIP64_LOCATOR.size)
    signature, _, offset, _ = _ZIP64_LOCATOR.unpack(stream.read(_ZIP64_LOCATOR.size))
    if signature != b"PK\x06\x07":
        return fallback
    stream.seek(offset)
    record = stream.read(_ZIP64_END.size)
    if len(record) < _ZIP64_END.size or record[:4] != b"PK\x06\x06":
        return fallback
    fields = _ZIP64_END.unpack(record)
    return fields[7], fields[8]
