"""Benchmark: reading ETIM xChange 2.0 against 1.x (issue 11 item 5).

The same 20,000 products (one trade item, ten features each) written as a 1.x file (numbers as JSON numbers,
no SchemaVersion) and as a 2.0 file (SchemaVersion first, numbers as strings, the members 2.0 requires), plus
a 2.0 file with SchemaVersion last (its structure check takes a second pass). Each is read, mapped and
validated through ``read_import`` in a fresh subprocess: rows per second, the 2.0/1.x rate ratio (best of
three, interleaved) and peak RSS (the reader streams one product at a time, so RSS must not grow with the
file).

    .venv/bin/python benchmarks/bench_etim_xchange.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_import_reading import _cache_dir, _check_digit, _measure_import, peak_rss_mb

PRODUCTS = 20_000
RATIO_TARGET = 0.7
"""2.0 may cost more than 1.x (a structure check per product), but not much more."""
RSS_TARGET_MB = 300


def _product(n: int, *, v2: bool) -> dict[str, Any]:
    def number(value: str) -> Any:
        return value if v2 else json.loads(value)

    body = f"871234{n:06d}"
    features = [{"EtimFeatureCode": f"EF{index:06d}", "EtimValueNumeric": number(f"{n % 90 + index}.5")}
                for index in range(1, 11)]
    ordering: dict[str, Any] = {"OrderUnit": "C62", "MinimumOrderQuantity": number("1")}
    pricing: dict[str, Any] = {"PriceQuantity": number("1"), "GrossListPrice": number(f"{n % 9000 + 1}.25")}
    if v2:
        ordering["OrderStepSize"] = "1"
        pricing["PriceUnit"] = "C62"
    return {
        "ProductIdentification": {"ManufacturerName": "Maker", "ManufacturerProductNumber": f"M{n:07d}",
                                  "ProductGtin": [body + _check_digit(body)], "BrandName": "Mymake"},
        "ProductDetails": {"ProductStatus": "ACTIVE", "ProductDescriptions": [
            {"DescriptionLanguage": "nl-NL", "MinimalProductDescription": f"Artikel {n}"}]},
        "EtimClassification": [{"EtimReleaseVersion": "10.0", "EtimClassCode": "EC000057", "EtimFeatures": features}],
        "TradeItem": [{"ItemIdentification": {"SupplierItemNumber": f"P{n:07d}", "DiscountGroupId": f"DG{n % 200}"},
                       "Ordering": ordering, "Pricing": [pricing]}],
    }


def xchange_file(kind: str, products: int = PRODUCTS) -> Path:
    """``v1``, ``v2`` or ``v2_version_last``: written once, one product at a time."""
    path = _cache_dir() / f"xchange_{kind}_{products}.json"
    if path.exists():
        return path
    v2 = kind != "v1"
    head: dict[str, Any] = {"SchemaVersion": "2.0"} if kind == "v2" else {}
    head |= {"CatalogueId": "BENCH", "CatalogueType": "FULL", "CatalogueValidityStart": "2026-01-01",
             "Language": ["nl-NL"], "CurrencyCode": "EUR"}
    partial = path.with_suffix(".tmp")
    with partial.open("w", encoding="utf-8") as out:
        out.write(json.dumps(head)[:-1] + ', "Supplier": [{"SupplierName": "Bench", "SupplierIdGln": "8712345000004", '
                  '"Product": [\n')
        for n in range(products):
            out.write(("," if n else "") + json.dumps(_product(n, v2=v2)) + "\n")
        out.write("]}]" + (', "SchemaVersion": "2.0"' if kind == "v2_version_last" else "") + "}\n")
    partial.rename(path)
    return path


def _measure(path: Path) -> dict[str, float]:
    return {**_measure_import(path, "products", "etim_xchange"), "peak_rss_mb": peak_rss_mb()}


def _run_child(path: Path) -> dict[str, float]:
    completed = subprocess.run([sys.executable, __file__, "--measure", str(path)], capture_output=True, text=True,
                               check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run() -> dict[str, object]:
    """Run the benchmark; returns the figures (and prints them)."""
    files = {kind: xchange_file(kind) for kind in ("v1", "v2", "v2_version_last")}
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in files}
    for _ in range(3):
        for kind, path in files.items():
            runs[kind].append(_run_child(path))
    best = {kind: min(results, key=lambda r: r["seconds"]) for kind, results in runs.items()}
    rate = {kind: result["rows"] / result["seconds"] for kind, result in best.items()}
    peak = max(result["peak_rss_mb"] for results in runs.values() for result in results)
    figures: dict[str, object] = {
        "products": PRODUCTS,
        **{f"{kind}_rows_per_s": round(value) for kind, value in rate.items()},
        **{f"{kind}_rejected": int(result["rejected"]) for kind, result in best.items()},
        **{f"{kind}_file_mb": round(path.stat().st_size / 2**20, 1) for kind, path in files.items()},
        "v2_to_v1_rate_ratio": round(rate["v2"] / rate["v1"], 3),
        "v2_version_last_to_v1_rate_ratio": round(rate["v2_version_last"] / rate["v1"], 3),
        "ratio_target": RATIO_TARGET,
        "peak_rss_mb": round(peak, 1),
        "peak_rss_target_mb": RSS_TARGET_MB,
        "passed": rate["v2"] / rate["v1"] >= RATIO_TARGET and peak < RSS_TARGET_MB
        and all(result["rejected"] == 0 for result in best.values()),
    }
    for name, value in figures.items():
        print(f"{name:34} {value}")
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(_measure(Path(sys.argv[2]))))
    else:
        run()
