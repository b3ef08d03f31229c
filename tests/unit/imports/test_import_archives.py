"""ZIP archives of import files: read member by member, refused as a whole when unsafe."""

from __future__ import annotations

from pathlib import Path

import pytest
from pimtasks.domain.task_types import ImportSettings, ImportTarget
from pimtasks.imports import ImportFileError, ReadLimits, UnsafeArchiveError, read_import, read_records

from tests.unit.imports.corpus import PRODUCTS_CSV, nested_zip_bytes, write_zip, write_zip_bomb


def fail(path: Path, **kwargs: object) -> ImportFileError:
    with pytest.raises(ImportFileError) as caught:
        read_records(path, file_name=path.name, target=ImportTarget.PRODUCTS, **kwargs)  # type: ignore[arg-type]
    return caught.value


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
    assert isinstance(error, UnsafeArchiveError)
    assert "looks like a zip bomb" in error.message and "'prices.csv'" in error.message
    assert error.file == "bomb.zip"


def test_zip_bigger_than_the_total_cap_is_refused(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "big.zip", {"a.csv": PRODUCTS_CSV * 1000, "b.csv": PRODUCTS_CSV * 1000})
    settings = ImportSettings(import_name="x")
    with (
        pytest.raises(UnsafeArchiveError, match="unpacks to 0 MiB, more than the 0 MiB"),
        read_import(archive, file_name="big.zip", settings=settings, limits=ReadLimits(max_archive_total_bytes=1000)),
    ):
        pass


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
