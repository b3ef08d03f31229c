"""Benchmark: spreadsheet and archive bombs are rejected in a moment, with flat memory (issue 8, item 1).

For each bomb: the time until the import refuses it (``read_import`` raising the ``ImportFileError``) and
the peak RSS of the process, as ratios to reading a normal workbook of about the same compressed size
(the 100,000-row sales-conditions XLSX of ``bench_import_reading``, about 5.6 MB): read, mapped and
validated in full. Also the cost of the checks on that normal file: the pre-scan of its package
against python-calamine's own load of the sheet.

Every measured part runs in a fresh subprocess, so its peak RSS is its own. The bombs are built in code
(``tests.unit.imports.bombs``) into ``benchmarks/.cache/`` once.

    .venv/bin/python -m benchmarks.bench_import_bombs
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.bench_import_reading import _cache_dir, conditions_xlsx, peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]
REJECT_RATIO_TARGET = 0.25
"""A bomb must be refused in under a quarter of the time a normal file of its size takes to read."""
RSS_RATIO_TARGET = 1.2
"""... and without the process growing beyond what reading that normal file takes (its peak RSS + 20 %)."""


def _bombs() -> dict[str, Callable[[Path], Path]]:
    from tests.unit.imports import bombs

    csv_unit = b"A;1\r\n" * (1 << 18)

    def forged_csv_zip(path: Path) -> Path:
        member = bombs.repeated("prices.csv", head=b"article_number\r\n", unit=csv_unit, times=1500, tail=b"")
        forged = bombs.RawMember(member.name, member.compressed, member.size, member.crc, declared_size=4096)
        return bombs.raw_zip(path, [forged])

    def nested_zip(path: Path) -> Path:
        inner = bombs.raw_zip(path.with_suffix(".inner"), [bombs.deflated("prices.csv", b"article_number\r\nA\r\n")])
        for _ in range(10):
            inner = bombs.raw_zip(path, [bombs.stored("data.csv", inner.read_bytes())])
        return inner

    def ods_repeat(path: Path) -> Path:
        row = (b'<table:table-row table:number-rows-repeated="1000000">'
               + bombs.FILLED_ODS_CELL % b' table:number-columns-repeated="1000"' + b"</table:table-row>")
        return bombs.write_ods(path, bombs.ods_table(bombs.ODS_HEADER_ROW + row))

    def xlsx_far_cells(path: Path) -> Path:
        far = b'<row r="600000"><c r="ALL600000"><v>1</v></c></row>'
        return bombs.write_xlsx(path, bombs.sheet_xml(bombs.HEADER_ROW + far))

    return {
        # 1.9 GB of sheet XML in about 8 MB, sizes declared honestly
        "xlsx_sheet_bomb": lambda path: bombs.write_sheet_bomb(path),
        # the same, its directory forged to say 700 MiB (ratio 90: passes the directory checks)
        "xlsx_sheet_bomb_forged_700mib": lambda path: bombs.write_sheet_bomb(path, declared_size=700 << 20),
        # the same, its directory forged to say 50 KB
        "xlsx_sheet_bomb_forged_50kb": lambda path: bombs.write_sheet_bomb(path, declared_size=50_000),
        # two cells spanning a 600-million-cell rectangle (calamine would allocate 19 GB)
        "xlsx_far_cells": xlsx_far_cells,
        # a billion repeated ODS cells in 200 bytes
        "ods_repeated_cells": ods_repeat,
        # two XLS cells spanning 4 billion cells (calamine aborts the process)
        "xls_far_cells": lambda path: bombs.write_xls(path, bombs.biff_number(0, 0, 1) + bombs.biff_number(65535,
                                                                                                          65535, 2)),
        # a ZIP whose CSV claims 4 KB and unpacks to 7.5 GB
        "zip_forged_csv": forged_csv_zip,
        # ZIPs nested ten deep
        "zip_nested_10": nested_zip,
    }


def _bomb_file(name: str, build: Callable[[Path], Path]) -> Path:
    suffix = {"ods": ".ods", "xls": ".xls", "zip": ".zip"}.get(name.split("_", 1)[0], ".xlsx")
    path = _cache_dir() / f"bomb_{name}{suffix}"
    if not path.exists():
        partial = path.with_name(f"partial_{path.name}")
        build(partial).rename(path)
    return path


# --- measured parts (each in its own process) ----------------------------------------------------------


def _measure_read(path: Path) -> dict[str, object]:
    from pimtasks.domain.task_types import ImportSettings, ImportTarget
    from pimtasks.imports import ImportFileError, read_import

    target = ImportTarget.SALES_CONDITIONS if "sales_conditions" in path.name else ImportTarget.PRODUCTS
    settings = ImportSettings(import_name="bench", target=target)
    started = time.perf_counter()
    outcome: dict[str, object] = {"rows": 0}
    try:
        with read_import(path, file_name=path.name, settings=settings) as reader:
            for batch in reader.batches(batch_size=1000):
                outcome["rows"] = int(str(outcome["rows"])) + batch.rows_read
    except ImportFileError as error:
        outcome["error"] = error.message
        outcome["limit"] = getattr(error, "limit", None)
    outcome["seconds"] = time.perf_counter() - started
    return outcome


def _measure_scan(path: Path) -> dict[str, object]:
    """The pre-scan of a normal workbook against calamine's load of its sheet."""
    import python_calamine
    from pimtasks.imports.reading.limits import ReadLimits
    from pimtasks.imports.reading.sniffing import FileKind
    from pimtasks.imports.reading.workbook_scan import scan_workbook

    started = time.perf_counter()
    scan_workbook(path, kind=FileKind.XLSX, limits=ReadLimits(), wanted=None)
    scanned = time.perf_counter() - started
    started = time.perf_counter()
    python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    return {"scan_seconds": scanned, "calamine_seconds": time.perf_counter() - started}


def _child(kind: str, path: str) -> None:
    result = _measure_scan(Path(path)) if kind == "scan" else _measure_read(Path(path))
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def _run_child(kind: str, path: Path) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_import_bombs", "--measure", kind, str(path)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def _number(value: object) -> float:
    return float(str(value))


def run() -> dict[str, object]:
    """Measure every bomb against the baseline; returns the figures (and prints them)."""
    baseline_file = conditions_xlsx()
    baseline = min((_run_child("read", baseline_file) for _ in range(2)), key=lambda r: _number(r["seconds"]))
    scan = min((_run_child("scan", baseline_file) for _ in range(3)), key=lambda r: _number(r["scan_seconds"]))
    figures: dict[str, object] = {
        "baseline_file_mb": round(baseline_file.stat().st_size / 1e6, 1),
        "baseline_read_seconds": round(_number(baseline["seconds"]), 2),
        "baseline_peak_rss_mb": round(_number(baseline["peak_rss_mb"]), 1),
        "prescan_to_calamine_load_ratio": round(_number(scan["scan_seconds"]) / _number(scan["calamine_seconds"]), 2),
    }
    passed = True
    for name, build in _bombs().items():
        path = _bomb_file(name, build)
        result = _run_child("read", path)
        reject = _number(result["seconds"]) / _number(baseline["seconds"])
        rss = _number(result["peak_rss_mb"]) / _number(baseline["peak_rss_mb"])
        refused = "error" in result
        passed = passed and refused and reject < REJECT_RATIO_TARGET and rss < RSS_RATIO_TARGET
        figures[name] = {
            "file_mb": round(path.stat().st_size / 1e6, 2),
            "refused": refused,
            "limit": result.get("limit"),
            "reject_ms": round(_number(result["seconds"]) * 1000, 1),
            "reject_time_ratio": round(reject, 4),
            "peak_rss_mb": round(_number(result["peak_rss_mb"]), 1),
            "peak_rss_ratio": round(rss, 2),
        }
    figures["reject_time_ratio_target"] = REJECT_RATIO_TARGET
    figures["peak_rss_ratio_target"] = RSS_RATIO_TARGET
    figures["passed"] = passed
    for name, value in figures.items():
        print(f"{name:34} {value}")
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        _child(sys.argv[2], sys.argv[3])
    else:
        run()
