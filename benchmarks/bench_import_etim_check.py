"""Benchmark: the ETIM check of product imports (issue 10, item 6) against importing without it.

A 100,000-row product CSV (article number, ETIM class, three features in the ``features`` notation, a price),
its rows spread over 1,000 classes of a model of ETIM's real size (5,500 classes, 10,000 features, 15,000
values, 300 units; ``pimtasks_local.etim_fake_model``), with one row in a hundred naming a code the model does
not have. Measured, best of three, interleaved in the same run: reading, mapping and validating the file
(``read_import`` + every batch) without a model, and with the environment's model through the real
``EtimModelReader`` and a fresh ``ImportEtimModel`` each time (so its first reads are included).

The model is served by an in-memory ``EtimModelStore`` (the port the DynamoDB repository implements), which
counts its calls: the figures show the store is read a bounded number of times per run (one manifest per
kind, and one batch of class versions per batch of rows that meets new classes), not per row. Times are the
process's CPU seconds, so that other work on a shared machine counts less. The import without the check is
column-wise and costs some 25 us a row; the check is per feature (about 2 us each, judged once per class,
feature, unit and EV value and then looked up): target ratio <= 1.5 for rows with three features.

    .venv/bin/python -m benchmarks bench_import_etim_check
"""

from __future__ import annotations

import csv
import io
import random
import time
from collections.abc import Sequence
from typing import Any

ROWS = 100_000
CLASSES_USED = 1_000
RATIO_TARGET = 1.5
ENV = "000001"
RELEASE = "ETIM-9.0"


class MemoryEtimStore:
    """The ``EtimModelStore`` reads an import needs, from dicts; counts the calls."""

    def __init__(self, model: Any, manifests: dict[Any, list[Any]], bodies: dict[tuple[Any, str], bytes]) -> None:
        self.model = model
        self.manifests = manifests
        self.bodies = bodies
        self.calls: dict[str, int] = {}

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def current(self, *, environment: str, release: str) -> Any:
        self._count("current")
        return self.model if release == RELEASE else None

    def list_releases(self, *, environment: str) -> list[Any]:
        self._count("list_releases")
        return [self.model]

    def load_manifest(self, *, environment: str, release: str, kind: Any, digest: str) -> list[Any]:
        self._count("load_manifest")
        return self.manifests[kind]

    def get_versions(self, *, environment: str, release: str, kind: Any,
                     refs: Sequence[tuple[str, str]]) -> dict[str, bytes]:
        self._count("get_versions")
        return {code: self.bodies[(kind, hash_)] for code, hash_ in refs if (kind, hash_) in self.bodies}


def _store() -> tuple[MemoryEtimStore, Any]:
    """The generated real-size model as stored entities, manifests and a release pointer."""
    from pimtasks.domain.etim import (
        EtimClass,
        EtimClassFeature,
        EtimClassFeatureValue,
        EtimFeature,
        EtimGroup,
        EtimKind,
        EtimUnit,
        EtimValue,
        ReleaseModel,
        canonical_json,
        content_hash,
        manifest_digest,
        manifest_entry,
    )
    from pimtasks_local.etim_fake_model import REAL_SIZE, generate_model

    fake = generate_model(REAL_SIZE, languages=("EN",))
    entities: dict[EtimKind, list[Any]] = {
        EtimKind.GROUP: [EtimGroup(code=g.code, descriptions=g.descriptions) for g in fake.groups.values()],
        EtimKind.UNIT: [EtimUnit(code=u.code, descriptions=u.descriptions) for u in fake.units.values()],
        EtimKind.VALUE: [EtimValue(code=v.code, descriptions=v.descriptions) for v in fake.values.values()],
        EtimKind.FEATURE: [EtimFeature(code=f.code, type=f.type, descriptions=f.descriptions)
                           for f in fake.features.values()],
        EtimKind.CLASS: [EtimClass(code=c.code, group=c.group, descriptions=c.descriptions, features=[
            EtimClassFeature(code=f.code, order=f.order, unit=f.unit, type=fake.features[f.code].type,
                             values=[EtimClassFeatureValue(code=v, order=n) for n, v in enumerate(f.values)])
            for f in c.features]) for c in fake.classes.values()],
    }
    manifests: dict[Any, list[Any]] = {}
    bodies: dict[tuple[Any, str], bytes] = {}
    for kind, items in entities.items():
        entries = []
        for entity in items:
            body = canonical_json(entity)
            hash_ = content_hash(body)
            bodies[(kind, hash_)] = body
            entries.append(manifest_entry(kind, entity, hash_))
        manifests[kind] = entries
    pointer = ReleaseModel(environment=ENV, release=RELEASE, generation="bench",
                           manifests={kind: manifest_digest(entries) for kind, entries in manifests.items()},
                           languages=["EN"], synced_at="2026-12-01T00:00:00Z")
    return MemoryEtimStore(pointer, manifests, bodies), fake


def _products_csv(fake: Any) -> bytes:
    """Rows over ``CLASSES_USED`` classes, each with three of its class's features; 1 % with a foreign code."""
    rng = random.Random(7)
    classes = [c for c in fake.classes.values() if len(c.features) >= 3][:CLASSES_USED]
    stream = io.StringIO()
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    writer.writerow(["article_number", "etim_class", "features", "gross_price"])
    for index in range(ROWS):
        chosen = rng.choice(classes)
        parts = []
        for feature in chosen.features[:3]:
            if feature.values:
                parts.append(f"{feature.code}={rng.choice(feature.values)}")
            elif feature.unit:
                parts.append(f"{feature.code}={rng.randint(1, 999)}.5[{feature.unit}]")
            else:
                parts.append(f"{feature.code}=true")
        code = "EC999999" if index % 100 == 99 else chosen.code
        writer.writerow([f"P-{index:06d}", code, "; ".join(parts), f"{index % 997}.95"])
    return stream.getvalue().encode("utf-8")


def _import(data: bytes, etim: Any) -> tuple[float, int, int]:
    """CPU seconds to read, map and validate every row (CPU time: the machine may be shared); records; warnings."""
    from pimtasks.domain.task_types import ImportSettings, ImportTarget
    from pimtasks.imports import read_import

    settings = ImportSettings(import_name="bench", target=ImportTarget.PRODUCTS)
    started = time.process_time()
    records = warnings = 0
    with read_import(io.BytesIO(data), file_name="products.csv", settings=settings, etim=etim) as reader:
        for batch in reader.batches():
            records += len(batch.records)
            warnings += len(batch.warnings)
    return time.process_time() - started, records, warnings


def run() -> dict[str, Any]:
    """Best of three of each, interleaved; the ratio, the warnings and the store calls of one checked run."""
    from pimtasks.services.etim_model import EtimModelReader

    store, fake = _store()
    data = _products_csv(fake)
    plain: list[float] = []
    checked: list[float] = []
    calls: dict[str, int] = {}
    warnings = records = 0
    for _ in range(3):
        seconds, records, _ = _import(data, None)
        plain.append(seconds)
        store.calls.clear()
        reader = EtimModelReader(store=store)  # a cold process: nothing cached
        seconds, _, warnings = _import(data, reader.for_import(environment=ENV))
        checked.append(seconds)
        calls = dict(store.calls)
    ratio = min(checked) / min(plain)
    figures = {
        "rows": ROWS, "classes_used": CLASSES_USED, "records": records,
        "without_check_seconds": round(min(plain), 2), "with_check_seconds": round(min(checked), 2),
        "ratio_with_to_without": round(ratio, 3), "ratio_target": RATIO_TARGET, "ratio_ok": ratio <= RATIO_TARGET,
        "warnings": warnings, "store_calls_per_run": calls,
    }
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
