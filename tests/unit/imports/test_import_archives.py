"""ZIP archives of import files: read member by member, refused as a whole when unsafe."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from pimtasks.domain.task_types import ImportTarget
from pimtasks.imports import (
    CorruptFileError,
    ImportFileError,
    LimitExceededError,
    ReadLimits,
    UnsafeArchiveError,
    read_records,
)

from tests.unit.imports.bombs import RawMember, deflated, raw_zip, read_failure, repeated, stored, write_sheet_bomb
from tests.unit.imports.corpus import PRODUCTS_CSV, nested_zip_bytes, write_zip, write_zip_bomb


def fail(path: Path, *, limits: ReadLimits | None = None) -> ImportFileError:
    return read_failure(path, limits=limits)


def csv_bomb(name: str = "prices.csv", *, megabytes: int = 64, declared_size: int | None = None) -> RawMember:
    """A CSV member of ``megabytes`` MiB of repeated lines (compresses about 1000 times)."""
    member = repeated(name, head=b"article_number;gross_price\r\n", unit=b"A;1\r\n" * (1 << 18),
                      times=megabytes, tail=b"")
    if declared_size is None:
        return member
    return RawMember(member.name, member.compressed, member.size, member.crc, declared_size=declared_size)


def test_zip_members_are_read_in_name_order_and_named_in_messages(tmp_path: Path, fixtures_dir: Path) -> None:
    archive = write_zip(
        tmp_path / "upload.zip",
        {
            "b/more.xlsx": (fixtures_dir / "formulas.xlsx").read_bytes(),
            "a/prices.csv": PRODUCTS_CSV + b"Z-3;12,5x\r\n",
            "__MACOSX/a/._prices.csv": b"junk",
            ".DS_Store": b"junk",
        },
    )
    records, rejected, _ = read_records(archive, file_name="upload.zip", target=ImportTarget.PRODUCTS)
    assert [(r.file, r.record.article_number) for r in records] == [
        ("upload.zip/a/prices.csv", "Z-1"),
        ("upload.zip/a/prices.csv", "Z-2"),
        ("upload.zip/b/more.xlsx", "F-1"),
        ("upload.zip/b/more.xlsx", "F-2"),
    ]
    assert rejected[0].errors[0].file == "upload.zip/a/prices.csv"


def test_zip_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    archive = write_zip_bomb(tmp_path / "bomb.zip", megabytes=64)
    assert archive.stat().st_size < 1_000_000
    error = fail(archive)
    assert isinstance(error, LimitExceededError) and error.limit == "max_compression_ratio"
    assert "'prices.csv' in the ZIP archive is compressed 1,0" in error.message
    assert "more than the 100 times accepted (limit max_compression_ratio)" in error.message
    assert error.file == "bomb.zip"


def test_zip_bigger_than_the_total_cap_is_refused_by_its_directory(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "big.zip", {"a.csv": PRODUCTS_CSV * 1000, "b.csv": PRODUCTS_CSV * 1000})
    error = fail(archive, limits=ReadLimits(max_archive_total_bytes=1000))
    assert isinstance(error, LimitExceededError) and error.limit == "max_archive_total_bytes"
    assert "declares 96,000 bytes of content, more than the 1,000 bytes accepted" in error.message


def test_a_member_that_unpacks_to_more_than_its_directory_says_is_stopped_there(tmp_path: Path) -> None:
    # given a ZIP whose directory says its CSV holds 2 KB while it unpacks to 64 MiB (ratio check blind)
    archive = raw_zip(tmp_path / "forged.zip", [csv_bomb(declared_size=2048)])

    # when it is read, then unpacking stops at byte 2,049 and the archive is refused as forged
    error = fail(archive)
    assert isinstance(error, UnsafeArchiveError)
    assert "'prices.csv' unpacks to more than the 2,048 bytes the ZIP archive's directory declares" in error.message
    assert "forged" in error.message


def test_the_ratio_is_also_judged_while_unpacking(tmp_path: Path) -> None:
    # given a member whose directory claims 1 MiB of compressed bytes (ratio 64: believable) while its
    # Deflate stream takes a few KB of them and the rest is padding
    bomb = csv_bomb(megabytes=64)
    padded = RawMember(bomb.name, bomb.compressed.ljust(1 << 20, b"\x00"), bomb.size, bomb.crc)
    archive = raw_zip(tmp_path / "padded.zip", [padded])

    # when it is read, then the ratio of what really came out to what was really used stops it
    error = fail(archive)
    assert isinstance(error, LimitExceededError) and error.limit == "max_compression_ratio"
    assert "in the ZIP archive unpacks" in error.message and "times its compressed size" in error.message


def test_duplicate_member_names_are_refused(tmp_path: Path) -> None:
    archive = raw_zip(tmp_path / "dup.zip", [deflated("a.csv", PRODUCTS_CSV), deflated("a.csv", b"x;1\r\n" * 10)])
    error = fail(archive)
    assert isinstance(error, UnsafeArchiveError) and "lists 'a.csv' twice" in error.message


def test_members_sharing_their_compressed_bytes_are_refused(tmp_path: Path) -> None:
    # given a "better zip bomb": several directory entries pointing at one compressed kernel
    kernel = deflated("a.csv", PRODUCTS_CSV)
    archive = raw_zip(tmp_path / "overlap.zip", [kernel])
    data = bytearray(archive.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    entry_start = data.rfind(b"PK\x01\x02", 0, end)
    entry = bytes(data[entry_start:end]).replace(b"a.csv", b"b.csv")
    directory_size = end - entry_start
    data[end:end] = entry
    end_record = data.rfind(b"PK\x05\x06")
    data[end_record + 8:end_record + 16] = struct.pack("<HHI", 2, 2, directory_size * 2)
    archive.write_bytes(bytes(data))
    error = fail(archive)
    assert isinstance(error, UnsafeArchiveError)
    assert "'b.csv' overlaps 'a.csv'" in error.message or "forged" in error.message


def test_a_directory_of_too_many_entries_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    archive = raw_zip(tmp_path / "many.zip", [stored(f"{n}.csv", PRODUCTS_CSV) for n in range(30)])
    error = fail(archive, limits=ReadLimits(max_zip_entries=20))
    assert isinstance(error, LimitExceededError) and error.limit == "max_zip_entries"
    assert "lists 30 entries, more than the 20 zip entries accepted" in error.message


def test_a_member_with_a_header_that_contradicts_the_directory_is_refused(tmp_path: Path) -> None:
    archive = raw_zip(tmp_path / "lie.zip", [deflated("a.csv", PRODUCTS_CSV)])
    data = bytearray(archive.read_bytes())
    data[22:26] = struct.pack("<I", 10)  # the member's own header: another unpacked size
    archive.write_bytes(bytes(data))
    error = fail(archive)
    assert isinstance(error, UnsafeArchiveError) and "other sizes in its own header" in error.message


def test_a_member_whose_checksum_does_not_match_fails_as_damaged(tmp_path: Path) -> None:
    member = deflated("a.csv", PRODUCTS_CSV)
    archive = raw_zip(tmp_path / "crc.zip", [RawMember(member.name, member.compressed, member.size, member.crc ^ 1)])
    error = fail(archive)
    assert isinstance(error, CorruptFileError) and "does not unpack to what the ZIP directory says" in error.message


def test_a_workbook_bomb_inside_a_zip_is_refused(tmp_path: Path) -> None:
    # given an honest ZIP (stored, ratio 1) holding the XLSX bomb
    bomb = write_sheet_bomb(tmp_path / "bomb.xlsx", xml_bytes=256 << 20)
    archive = raw_zip(tmp_path / "outer.zip", [stored("prices.xlsx", bomb.read_bytes())])

    # when it is read, then the member is unpacked and its workbook check refuses it
    error = fail(archive)
    assert isinstance(error, LimitExceededError) and error.limit == "max_compression_ratio"
    assert error.file == "outer.zip/prices.xlsx"


def test_zips_nested_deeply_are_refused_at_the_first_level(tmp_path: Path) -> None:
    inner = nested_zip_bytes()
    for level in range(10):
        path = raw_zip(tmp_path / f"level{level}.zip", [deflated("data.csv", inner)])
        inner = path.read_bytes()
    error = fail(path)
    assert isinstance(error, UnsafeArchiveError) and "is itself a ZIP archive" in error.message
    assert error.file == "level9.zip/data.csv"


@pytest.mark.parametrize(
    "name", ["../evil.csv", "ok/../../evil.csv", "/etc/cron.d/evil.csv", "C:/evil.csv", "..\\evil.csv"]
)
def test_paths_leaving_the_archive_are_refused(tmp_path: Path, name: str) -> None:
    archive = write_zip(tmp_path / "traversal.zip", {"prices.csv": PRODUCTS_CSV, name: PRODUCTS_CSV})
    error = fail(archive)
    assert isinstance(error, UnsafeArchiveError)
    assert f"unsafe path {name!r}" in error.message
    assert not (tmp_path / "evil.csv").exists()


def test_nested_zip_is_refused(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "nested.zip", {"inner.zip": nested_zip_bytes()})
    error = fail(archive)
    assert "nested archives are not accepted" in error.message


def test_nested_zip_hidden_behind_another_extension_is_refused(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "nested.zip", {"inner.csv": nested_zip_bytes()})
    error = fail(archive)
    assert "is itself a ZIP archive" in error.message
    assert error.file == "nested.zip/inner.csv"


def test_a_bad_member_fails_the_whole_archive(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "mixed.zip", {"a.csv": PRODUCTS_CSV, "b.csv": b"Artikel;Prijs\r\nX;1\r\n"})
    error = fail(archive)
    assert "column 'article_number' is missing" in error.message
    assert error.file == "mixed.zip/b.csv"


def test_duplicate_keys_across_members_are_found(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "dups.zip", {"a.csv": PRODUCTS_CSV, "b.csv": PRODUCTS_CSV})
    records, rejected, _ = read_records(archive, file_name="dups.zip", target=ImportTarget.PRODUCTS)
    assert len(records) == 2
    assert rejected[0].reason == (
        "duplicate key article_number='Z-1': first used in dups.zip/a.csv, row 2; this row is not imported"
    )
