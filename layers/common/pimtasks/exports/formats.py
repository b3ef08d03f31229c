"""The writer of an export's format, and the format's file extension and content type."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pimtasks.domain.task_types import ExportFormat, ExportLayout, ExportSettings
from pimtasks.exports.columns import Column
from pimtasks.exports.writers import CsvExportWriter, ExportWriter, JsonExportWriter

EXTENSIONS: dict[ExportFormat, str] = {ExportFormat.XLSX: "xlsx", ExportFormat.CSV: "csv",
                                       ExportFormat.JSON: "json", ExportFormat.ETIM_XCHANGE: "json"}
CONTENT_TYPES: dict[ExportFormat, str] = {
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.CSV: "text/csv", ExportFormat.JSON: "application/json",
    ExportFormat.ETIM_XCHANGE: "application/json",
}


def content_type(settings: ExportSettings) -> str:
    if settings.format is ExportFormat.CSV:
        return f"text/csv; charset={settings.csv.encoding}"
    if settings.format is ExportFormat.JSON and settings.json_style == "ndjson":
        return "application/x-ndjson"
    return CONTENT_TYPES[settings.format]


def open_writer(settings: ExportSettings, *, columns: Sequence[Column], directory: Path, file_name: str,
                full: bool, today: dt.date, resume: dict[str, Any] | None = None) -> ExportWriter:
    """A writer for ``settings.format`` writing ``file_name`` (and its parts) into ``directory``; ``resume`` (a
    writer's ``state()``) continues a file a previous invocation began."""
    layout = settings.layout or ExportLayout()
    path = directory / file_name
    if settings.format is ExportFormat.CSV:
        return CsvExportWriter(path=path, name=file_name, columns=columns, options=settings.csv,
                               decimal_comma=layout.decimal_comma, date_format=layout.date_format,
                               header=layout.header, resume=resume)
    if settings.format is ExportFormat.JSON:
        return JsonExportWriter(path=path, name=file_name, columns=columns, date_format=layout.date_format,
                                ndjson=settings.json_style == "ndjson", resume=resume)
    if settings.format is ExportFormat.XLSX:
        from pimtasks.exports.xlsx_writer import XlsxExportWriter  # openpyxl only where it is used

        return XlsxExportWriter(directory=directory, name=file_name, columns=columns,
                                date_format=layout.date_format, header=layout.header)
    from pimtasks.exports.xchange_writer import XchangeExportWriter

    assert settings.xchange is not None  # the settings model requires it for this format
    return XchangeExportWriter(path=path, name=file_name, options=settings.xchange, full=full, today=today,
                               resume=resume)
