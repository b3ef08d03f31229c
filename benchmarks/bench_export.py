"""Export throughput and memory (issue 9, benchmarks 1-2), each figure a ratio to a baseline in the same run:

- XLSX export of ``PRODUCTS`` products x 16 columns through the export service (``CatalogExport``: selection,
  filter check, typed values, the XLSX writer, publishing) against the same catalog read plus openpyxl's
  write-only workbook appending the same values directly (target ratio >= 0.8, peak RSS <= 200 MB);
- CSV export of ``CONDITIONS`` sales conditions through the service against the same read plus the csv module
  writing the same text (target >= 0.8, peak RSS <= 250 MB).

The catalog is in memory here and generated on the fly (each record's stored JSON text is made and parsed as the
change feed parses it), so the figures are the export's, not DynamoDB's or moto's, and the peak RSS is the
pipeline's own, not a data set's. Publishing is a stat of the finished file and of each 8 MiB part of a CSV
(S3 is not part of the figure).
Every variant runs in a child process of its own, so each peak RSS is that variant's.

    .venv/bin/python -m benchmarks export
    BENCH_EXPORT_CONDITIONS=200000 .venv/bin/python -m benchmarks export   # scaled down
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PRODUCTS = int(os.environ.get("BENCH_EXPORT_PRODUCTS", "100000"))
CONDITIONS = int(os.environ.get("BENCH_EXPORT_CONDITIONS", "1000000"))
ROUNDS = int(os.environ.get("BENCH_EXPORT_ROUNDS", "2"))
"""Each variant runs this many times, alternating with its baseline; the best of each counts. Ratios are of CPU
time (both sides are single-threaded and CPU-bound; on a shared machine wall time mostly measures the neighbours),
wall times are given too."""
CHANGED_AT = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
PRODUCT_COLUMNS = ["article_number", "gtin", "descriptions.nl", "brand", "manufacturer_gln",
                   "manufacturer_product_number", "supplier_gln", "supplier_item_number", "etim_class",
                   "discount_group", "gross_price", "currency", "price_unit", "order_unit", "minimum_order_quantity",
                   "status"]
CONDITION_COLUMNS = ["supplier_gln", "customer_group", "region", "article_number", "net_price", "discount_1",
                     "valid_from", "valid_until", "terms_type", "quantity_lower_limit", "currency"]
_DECIMALS = {"gross_price", "price_unit", "minimum_order_quantity", "net_price", "discount_1", "quantity_lower_limit"}
_DATES = {"valid_from", "valid_until"}


def product_text(number: int) -> str:
    return json.dumps({
        "article_number": f"ART-{number:07d}", "gtin": f"87{number:011d}", "descriptions": {
            "nl": f"Kraan \u2013 chroom {number}", "en": f"Tap {number}"}, "brand": f"Brand {number % 40}",
        "manufacturer_gln": "8712345000004", "manufacturer_product_number": f"MPN-{number}",
        "supplier_gln": "8712345000004", "supplier_item_number": f"S-{number}", "etim_class": "EC000042",
        "discount_group": f"DG{number % 100}", "gross_price": f"{number % 1000}.{number % 100:02d}",
        "currency": "EUR", "price_unit": "1", "order_unit": "C62", "minimum_order_quantity": "1",
        "status": "active"})


def condition_text(number: int) -> str:
    return json.dumps({
        "supplier_gln": "8712345000004", "customer_group": f"CG{number % 20}", "region": "APAC",
        "article_number": f"ART-{number:07d}", "net_price": f"{number % 1000}.{number % 100:02d}",
        "discount_1": "5.5", "valid_from": "2027-01-01", "valid_until": "2027-12-31", "terms_type": "basic",
        "quantity_lower_limit": "0", "currency": "EUR"})


def _stored(entity: str, count: int) -> Iterator[dict[str, Any]]:
    """The records as the change feed hands them over: each one's stored JSON text, parsed."""
    make = product_text if entity == "products" else condition_text
    for number in range(count):
        yield json.loads(make(number))


class _Catalog:
    def records_for_export(self, *, environment: str, entity: Any, since: Any, after: Any = None) -> Iterator[Any]:
        from pimtasks.services.export_ports import ExportRecord

        count = PRODUCTS if entity.value == "products" else CONDITIONS
        for number, data in enumerate(_stored(entity.value, count)):
            yield ExportRecord(record_id=str(number), key=(str(data["article_number"]),), data=data,
                               changed_at=CHANGED_AT, position=f"{number:010d}")


class _Files:
    """Publishing without S3: the finished file's size is all a run reports."""

    def upload(self, *, key: str, source: Path, content_type: str) -> None:
        source.stat()

    def copy(self, **_: Any) -> None:
        return None

    def remove(self, **_: Any) -> None:
        return None


class _Multipart:
    """Parts "sent" by their size only (a text export sends every 8 MiB as a part, as in AWS)."""

    def start_multipart(self, **_: Any) -> str:
        return "bench"

    def upload_part(self, *, source: Path, number: int, **_: Any) -> str:
        source.stat()
        return f"etag-{number}"

    def complete_multipart(self, **_: Any) -> None:
        return None

    def abort_multipart(self, **_: Any) -> None:
        return None


class _Job:
    """What the export service uses of a ``RunJob``."""

    def __init__(self, settings: Any) -> None:
        from pimtasks.domain.run import Run, RunStatus, Trigger

        self.task = SimpleNamespace(spec=SimpleNamespace(settings=settings, type="export"), environment="000001")
        self.run = Run(run_id="bench", environment="000001", task_id="t", task_type="export", trigger=Trigger.MANUAL,
                       status=RunStatus.RUNNING, created_at=CHANGED_AT, started_at=CHANGED_AT + dt.timedelta(days=1))
        self.messages: list[str] = []
        self.checkpoint = None

    def count(self, **deltas: int) -> None:
        counts = self.run.counts
        for name, delta in deltas.items():
            setattr(counts, name, getattr(counts, name) + delta)

    def message(self, level: Any, text: str, **where: Any) -> None:
        self.messages.append(text)

    def add_file(self, **_: Any) -> None:
        return None

    def progress(self, fraction: float | None, text: str | None = None) -> None:
        return None

    def keep_alive(self, checkpoint: Any = None) -> None:
        return None


def _export(entity: str, file_format: str, columns: list[str]) -> dict[str, Any]:
    from pimtasks.domain.task_types import ExportSettings
    from pimtasks.services.catalog_export import CatalogExport
    from pimtasks.services.delta_window import DeltaWindow

    settings = ExportSettings.model_validate({"export_name": "Bench", "entity": entity, "format": file_format,
                                              "columns": columns})
    export = CatalogExport(catalog=_Catalog(), files=_Files(),  # type: ignore[arg-type]
                           environments=SimpleNamespace(find_environment=lambda environment: None),  # type: ignore[arg-type]
                           delta=DeltaWindow(runs=None),  # type: ignore[arg-type]
                           clock=SimpleNamespace(now=lambda: CHANGED_AT),  # type: ignore[arg-type]
                           multipart=_Multipart())
    job = _Job(settings)
    started, cpu = time.perf_counter(), time.process_time()
    export.run(job)  # type: ignore[arg-type]
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    size = next((int(t.split("(")[1].split(" bytes")[0].replace(",", "")) for t in job.messages
                 if t.startswith("Published")), 0)
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "written": job.run.counts.written, "bytes": size}


def _raw_value(data: dict[str, Any], name: str) -> Any:
    head, _, key = name.partition(".")
    value = data.get(head) if not key else (data.get(head) or {}).get(key)
    if value is None:
        return None
    if name in _DECIMALS:
        return Decimal(value)
    if name in _DATES:
        return dt.date.fromisoformat(value)
    return value


def _read(entity: str) -> Iterator[Any]:
    """The same catalog read the export makes."""
    from pimtasks.domain.task_types import ImportTarget

    return _Catalog().records_for_export(environment="000001", entity=ImportTarget(entity), since=None)


def _raw_xlsx() -> dict[str, Any]:
    from openpyxl import Workbook

    started, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as directory:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Export")
        sheet.append(PRODUCT_COLUMNS)
        for record in _read("products"):
            data = record.data
            sheet.append([_raw_value(data, name) for name in PRODUCT_COLUMNS])
        path = Path(directory) / "raw.xlsx"
        workbook.save(path)
        size = path.stat().st_size
    return {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu, "written": PRODUCTS,
            "bytes": size}


def _raw_csv() -> dict[str, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "raw.csv"
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
            writer.writerow(CONDITION_COLUMNS)
            for record in _read("sales_conditions"):
                data = record.data
                writer.writerow(["" if data.get(name) is None else data[name] for name in CONDITION_COLUMNS])
        size = path.stat().st_size
    return {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu,
            "written": CONDITIONS, "bytes": size}


VARIANTS = {
    "export_xlsx": lambda: _export("products", "xlsx", PRODUCT_COLUMNS),
    "raw_xlsx": _raw_xlsx,
    "export_csv": lambda: _export("sales_conditions", "csv", CONDITION_COLUMNS),
    "raw_csv": _raw_csv,
}


def _child(variant: str) -> int:
    figures = VARIANTS[variant]()
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))
    return 0


def _measure(variant: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "benchmarks.bench_export", "--variant", variant], cwd=ROOT,
                          check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run() -> dict[str, Any]:
    figures: dict[str, Any] = {"products": PRODUCTS, "product_columns": len(PRODUCT_COLUMNS),
                               "sales_conditions": CONDITIONS, "condition_columns": len(CONDITION_COLUMNS)}
    for kind in ("xlsx", "csv"):
        rounds = [(_measure(f"raw_{kind}"), _measure(f"export_{kind}")) for _ in range(ROUNDS)]
        raw = min((pair[0] for pair in rounds), key=lambda figures: figures["cpu_seconds"])
        export = min((pair[1] for pair in rounds), key=lambda figures: figures["cpu_seconds"])
        assert export["written"] == raw["written"], (export, raw)
        figures[f"{kind}_raw_cpu_seconds"] = round(raw["cpu_seconds"], 2)
        figures[f"{kind}_export_cpu_seconds"] = round(export["cpu_seconds"], 2)
        figures[f"{kind}_ratio_export_to_raw"] = round(raw["cpu_seconds"] / export["cpu_seconds"], 2)
        figures[f"{kind}_raw_wall_seconds"] = round(raw["seconds"], 2)
        figures[f"{kind}_export_wall_seconds"] = round(export["seconds"], 2)
        figures[f"{kind}_export_bytes"] = export["bytes"]
        figures[f"{kind}_raw_bytes"] = raw["bytes"]
        figures[f"{kind}_export_peak_rss_mb"] = round(export["peak_rss_mb"], 1)
        figures[f"{kind}_raw_peak_rss_mb"] = round(raw["peak_rss_mb"], 1)
    figures["rounds"] = ROUNDS
    figures["target_ratio"] = 0.8
    figures["target_xlsx_peak_rss_mb"] = 200
    figures["target_csv_peak_rss_mb"] = 250
    return figures


if __name__ == "__main__":
    if sys.argv[1:2] == ["--variant"]:
        sys.exit(_child(sys.argv[2]))
    print(json.dumps(run(), indent=2))
