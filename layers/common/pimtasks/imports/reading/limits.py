"""Safety limits for reading untrusted files, and the error that names the one a file passes.

The defaults fit the import function: 1769 MB of memory and 4 GiB of ``/tmp`` (see ``infra/template.yaml``).
They are checked *while* a file is unpacked or scanned, so a file over a limit fails as soon as the reader
gets there, without the work or the memory the rest would take:

- ZIP archives and the parts of XLSX/ODS packages: the bytes each member really unpacks to are counted as
  they come out of the decompressor (the sizes in the ZIP directory are only a first check: a hostile file
  can forge them), with its compression ratio and the running total;
- spreadsheets, before python-calamine loads a sheet: the cells it would hold (calamine keeps the rectangle
  from the first to the last filled cell in memory, about 75 bytes a cell at its peak), the rows, the
  columns, the text copied into cells from the shared-strings table, the merged ranges and the sheets
  (``workbook_scan`` for XLSX/ODS, ``xls_scan`` for XLS);
- CSV/TXT: the rows, while they are read.

Each ``ReadLimits`` field can be set per worker (``ImportWorker(limits=...)``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pimtasks.imports.errors import LimitExceededError

MIB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """Caps applied while reading; every one produces a clear file-level error when exceeded."""

    max_file_bytes: int = 2048 * MIB
    """An uploaded file (a ZIP member counts too)."""
    max_archive_total_bytes: int = 1536 * MIB
    """Bytes all members of one ZIP archive unpack to (counted while unpacking). The upload and its unpacked
    members share the function's 4 GiB ``/tmp``: 2 GiB + 1.5 GiB leaves room for the reports."""
    max_compression_ratio: int = 100
    """Unpacked / compressed size of one ZIP member or package part. Supplier files compress 5-20 times (an
    XLSX sheet about 10, a sheet of a million formatted empty rows about 11); bombs 300-1000 times."""
    max_archive_members: int = 1000
    """Files of one ZIP archive to import (folders and macOS/hidden files not counted)."""
    max_zip_entries: int = 20_000
    """Entries of one ZIP directory (files, folders, the parts of a workbook), checked before the directory
    is parsed: a directory of millions of tiny entries is a memory bomb of its own."""
    max_workbook_xml_bytes: int = 768 * MIB
    """Bytes all parts of one XLSX/ODS package unpack to (counted while scanning them). A sheet of
    750,000 rows x 16 columns (the cell limit) is about 430 MB of XML."""
    max_metadata_part_bytes: int = 32 * MIB
    """One part that is parsed whole (``styles.xml``, ``workbook.xml``, relationships, ODS styles and
    settings); a bloated ``styles.xml`` of a real workbook is a few MB."""
    max_xls_bytes: int = 256 * MIB
    """An XLS (BIFF) file: python-calamine reads its workbook stream whole into memory."""
    max_sheets: int = 1000
    """Sheets of one workbook."""
    max_rows: int = 1_048_576
    """Rows of one sheet (up to its last used row) or of a CSV file: Excel's and LibreOffice's own maximum."""
    max_columns: int = 1000
    max_cells: int = 12_000_000
    """Cells python-calamine would hold for one sheet (an ODS: for all its sheets, which it loads together):
    the rectangle from the first to the last used cell, e.g. 750,000 rows x 16 columns; about 900 MB at the
    peak of loading."""
    max_shared_strings: int = 3_000_000
    """Entries of an XLSX shared-strings table (loaded whole when the workbook is opened)."""
    max_text_bytes: int = 256 * MIB
    """Text a sheet's cells hold beyond the sheet's own XML: a shared string (XLSX, XLS) is copied into every
    cell that uses it, a repeated ODS cell or row into every repetition."""
    max_merged_ranges: int = 10_000
    """Merged cell ranges of one sheet."""
    max_header_row: int = 1000
    max_cell_chars: int = 32767
    """Excel's own limit; longer cells mean a broken or hostile file."""
    max_json_item_bytes: int = 64 * MIB
    """One product object of an ETIM xChange file."""

    def exceeded(
        self, limit: str, what: str, *, file: str | None = None, sheet: str | None = None, value: str | None = None
    ) -> LimitExceededError:
        """The error for ``what`` (e.g. "sheet 'Prices' uses 2,000,000 rows") passing the limit ``limit``."""
        limit_value = getattr(self, limit)
        return LimitExceededError(
            f"{what}, more than the {describe_limit(limit, limit_value)} accepted (limit {limit}); "
            "the file is not imported",
            limit=limit,
            limit_value=limit_value,
            file=file,
            sheet=sheet,
            value=value,
        )


def describe_limit(limit: str, value: int) -> str:
    """``value`` of the limit ``limit`` in words: "768 MiB", "100 times", "1,048,576 rows"."""
    if limit.endswith("_bytes"):
        return size_text(value)
    if limit == "max_compression_ratio":
        return f"{value:,} times"
    noun = limit.removeprefix("max_").replace("_", " ")
    return f"{value:,} {noun}"


def size_text(count: int) -> str:
    """A byte count for people: "768 MiB" from 1 MiB up (rounded down), else "1,000 bytes"."""
    return f"{count // MIB:,} MiB" if count >= MIB else f"{count:,} bytes"
