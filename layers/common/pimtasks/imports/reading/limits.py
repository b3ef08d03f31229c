"""Safety limits for reading untrusted files. Defaults fit a Lambda with ~2-3 GB memory and 10 GB /tmp."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """Caps applied while reading; every one produces a clear file-level error when exceeded."""

    max_file_bytes: int = 2048 * MIB
    """An uploaded file (a ZIP member counts too)."""
    max_archive_total_bytes: int = 4096 * MIB
    """Sum of the decompressed sizes of all members of a ZIP archive."""
    max_compression_ratio: int = 200
    """Decompressed / compressed size of one ZIP member; supplier files compress 5-20x, bombs 1000x+."""
    max_archive_members: int = 1000
    max_workbook_xml_bytes: int = 2048 * MIB
    """Declared decompressed size of all parts of one XLSX/ODS package (a bomb dressed as a workbook)."""
    max_header_row: int = 1000
    max_columns: int = 1000
    max_cell_chars: int = 32767
    """Excel's own limit; longer cells mean a broken or hostile file."""
    max_json_item_bytes: int = 64 * MIB
    """One product object of an ETIM xChange file."""
