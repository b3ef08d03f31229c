"""Benchmark: reading, mapping and validating import files (issue 3, "Benchmarks").

1. A 100,000-row, 16-column XLSX of sales conditions: read+map+validate rate as a ratio to plain
   python-calamine iteration over the same file in the same run (target >= 0.5), and peak RSS of both.
2. A 1,000,000-row CSV of products: rows per second and peak RSS (target < 400 MB).
3. A workbook of two products formatted down to Excel's last row (1,048,576): the import's time as a ratio to
   python-calamine's own load and iteration of the same file (target >= 0.25: the import streams the sheet XML
   twice, once in the bomb pre-scan and once to read it, then maps; the million formatted rows must cost it no
   more than that, never a row's work each). This was a timing assertion in the unit tests once.

Every measured part runs in a fresh subprocess, so its peak RSS (``ru_maxrss``) is its own. The input
files are generated once into ``benchmarks/.cache/`` (ignored by git) and reused.

    .venv/bin/python benchmarks/bench_import_reading.py
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
XLSX_ROWS = 100_000
CSV_ROWS = 1_000_000
CONDITION_COLUMNS = (
    "supplier_gln",
    "customer_group",
    "debtor",
    "region",
    "discount_group",
    "article_number",
    "net_price",
    "discount_1",
    "discount_2",
    "discount_3",
    "valid_from",
    "valid_until",
    "terms_type",
    "project_number",
    "quantity_lower_limit",
    "currency",
)
RATIO_TARGET = 0.5
FORMATTED_RATIO_TARGET = 0.25
CSV_RSS_TARGET_MB = 400


def _cache_dir() -> Path:
    CACHE.mkdir(exist_ok=True)
    ignore = CACHE / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    return CACHE


def _check_digit(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def conditions_xlsx(rows: int = XLSX_ROWS) -> Path:
    """The sales-conditions workbook (openpyxl write-only), generated once."""
    path = _cache_dir() / f"sales_conditions_{rows}.xlsx"
    if path.exists():
        return path
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Conditions")
    sheet.append(list(CONDITION_COLUMNS))
    start = dt.date(2024, 1, 1)
    for n in range(rows):
        by_group = n % 2 == 0
        project = n % 7 == 0
        sheet.append(
            [
                "8712345000004",
                f"GROUP{n % 50}",
                None,
                ("APAC", "EMEA", "NA")[n % 3],
                f"DG{n}" if by_group else None,
                None if by_group else f"ART-{n}",
                round(10 + (n % 1000) * 0.37, 2),
                (n % 40) + 0.5,
                n % 5,
                None,
                start + dt.timedelta(days=n % 365),
                dt.date(2025, 12, 31),
                "project" if project else "basic",
                f"PRJ{n}" if project else None,
                (n % 4) * 10,
                "EUR",
            ]
        )
    partial = path.with_suffix(".tmp")
    workbook.save(partial)
    partial.rename(path)
    return path


def products_csv(rows: int = CSV_ROWS) -> Path:
    """A products CSV in the standard layout with Dutch decimal commas, generated once."""
    path = _cache_dir() / f"products_{rows}.csv"
    if path.exists():
        return path
    partial = path.with_suffix(".tmp")
    with partial.open("w", encoding="utf-8", newline="") as out:
        out.write("article_number;gtin;description_nl;brand;gross_price;currency;order_unit;discount_group\r\n")
        for n in range(rows):
            body = f"871234{n:06d}"
            gtin = body + _check_digit(body)
            price = f"{n % 9000 + 1},{n % 100:02d}"
            out.write(f"P{n:07d};{gtin};Artikel nummer {n};Merk{n % 30};{price};EUR;C62;DG{n % 200}\r\n")
    partial.rename(path)
    return path


def formatted_empty_rows_xlsx() -> Path:
    """Two products, then formatting down to row 1,048,576 (the unit tests' corpus file), generated once."""
    path = _cache_dir() / "formatted_empty_rows.xlsx"
    if not path.exists():
        from tests.unit.imports.corpus import write_formatted_empty_rows_xlsx

        write_formatted_empty_rows_xlsx(path.with_suffix(".tmp"))
        path.with_suffix(".tmp").rename(path)
    return path


# --- measured parts (each runs in its own process) ---------------------------------------------------


def _measure_calamine(path: Path) -> dict[str, float]:
    import python_calamine

    started = time.perf_counter()
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    sheet = workbook.get_sheet_by_index(0)
    rows = sum(1 for _ in sheet.iter_rows()) - 1
    return {"seconds": time.perf_counter() - started, "rows": rows}


def _measure_import(path: Path, target: str, file_format: str = "standard") -> dict[str, float]:
    from pimtasks.domain.task_types import FileFormat, ImportSettings, ImportTarget
    from pimtasks.imports import read_import

    settings = ImportSettings(import_name="bench", target=ImportTarget(target), file_format=FileFormat(file_format))
    rows = rejected = 0
    started = time.perf_counter()
    with read_import(path, file_name=path.name, settings=settings) as reader:
        for batch in reader.batches(batch_size=1000):
            rows += batch.rows_read
            rejected += len(batch.rejected)
    return {"seconds": time.perf_counter() - started, "rows": rows, "rejected": rejected}


def peak_rss_mb() -> float:
    """This process's own peak RSS. ``VmHWM`` belongs to the address space, which exec replaces; ``ru_maxrss``
    would carry over the forking parent's peak (the benchmark runner, big after in-process emulators)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(kind: str, path: str, target: str) -> None:
    result = _measure_calamine(Path(path)) if kind == "calamine" else _measure_import(Path(path), target)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def _run_child(kind: str, path: Path, target: str = "products") -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, __file__, "--measure", kind, str(path), target], capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run() -> dict[str, object]:
    """Run both benchmarks; returns the figures (and prints them)."""
    xlsx = conditions_xlsx()
    csv_path = products_csv()
    # Best of three for each timing, interleaved, so a busy moment does not decide the ratio.
    calamine_runs = []
    import_runs = []
    for _ in range(3):
        calamine_runs.append(_run_child("calamine", xlsx))
        import_runs.append(_run_child("import", xlsx, "sales_conditions"))
    calamine = min(calamine_runs, key=lambda r: r["seconds"])
    imported = min(import_runs, key=lambda r: r["seconds"])
    ratio = calamine["seconds"] / imported["seconds"]
    csv_run = _run_child("import", csv_path, "products")
    formatted = formatted_empty_rows_xlsx()
    formatted_calamine = min((_run_child("calamine", formatted) for _ in range(3)), key=lambda r: r["seconds"])
    formatted_import = min((_run_child("import", formatted) for _ in range(3)), key=lambda r: r["seconds"])
    formatted_ratio = formatted_calamine["seconds"] / formatted_import["seconds"]
    figures: dict[str, object] = {
        "xlsx_rows": imported["rows"],
        "xlsx_rejected": imported["rejected"],
        "xlsx_calamine_rows_per_s": round(calamine["rows"] / calamine["seconds"]),
        "xlsx_import_rows_per_s": round(imported["rows"] / imported["seconds"]),
        "xlsx_rate_ratio": round(ratio, 3),
        "xlsx_rate_ratio_target": RATIO_TARGET,
        "xlsx_calamine_peak_rss_mb": round(calamine["peak_rss_mb"], 1),
        "xlsx_import_peak_rss_mb": round(max(r["peak_rss_mb"] for r in import_runs), 1),
        "csv_rows": csv_run["rows"],
        "csv_rejected": csv_run["rejected"],
        "csv_rows_per_s": round(csv_run["rows"] / csv_run["seconds"]),
        "csv_seconds": round(csv_run["seconds"], 1),
        "csv_peak_rss_mb": round(csv_run["peak_rss_mb"], 1),
        "csv_peak_rss_target_mb": CSV_RSS_TARGET_MB,
        "formatted_rows_imported": formatted_import["rows"],
        "formatted_import_seconds": round(formatted_import["seconds"], 2),
        "formatted_calamine_seconds": round(formatted_calamine["seconds"], 2),
        "formatted_rate_ratio": round(formatted_ratio, 3),
        "formatted_rate_ratio_target": FORMATTED_RATIO_TARGET,
        "formatted_import_peak_rss_mb": round(formatted_import["peak_rss_mb"], 1),
        "passed": ratio >= RATIO_TARGET and csv_run["peak_rss_mb"] < CSV_RSS_TARGET_MB
        and formatted_ratio >= FORMATTED_RATIO_TARGET,
    }
    for name, value in figures.items():
        print(f"{name:28} {value}")
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--measure":
        _child(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        run()
