"""ETIM xChange imports end to end on moto (issue 11 item 5): ETIM's official 2.0 sample, read from the shared
spec folder, imports without a rejection through the real import worker; a bad 2.0 file fails naming the
file, the JSON path and the value; a 1.x file still imports."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from pimtasks.domain.run import MessageLevel, Run, RunStatus
from pimtasks.domain.task_types import ImportTarget

from tests.integration.imports.harness import Imports

SAMPLE = Path("/work/shared/specs/etim-xchange/ETIM-xChange_SampleFile_V2.0-2025-11-27.json")
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"
IMPORT = "xChange"

pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="the ETIM xChange 2.0 spec folder is not on this machine")


def run_file(imports: Imports, name: str, data: bytes) -> Run:
    task = imports.create_task(description="Supplier catalog (ETIM xChange)", import_name=IMPORT, target="products",
                               file_format="etim_xchange", custom_layout=False, layout=None, auto_import=False)
    imports.upload(name, data, import_name=IMPORT)
    return imports.run(task)


def test_the_official_2_0_sample_imports_without_a_rejection(imports: Imports) -> None:
    run = run_file(imports, "sample.json", SAMPLE.read_bytes())

    assert run.status is RunStatus.SUCCEEDED, run.error
    assert (run.counts.read, run.counts.created, run.counts.rejected) == (1, 1, 0)
    (record,) = imports.records(ImportTarget.PRODUCTS)
    assert record.key == ("221099",)
    assert (Decimal(str(record.data["gross_price"])), record.data["currency"], record.data["etim_class"]) == (
        Decimal("23"), "GBP", "EC011533")
    assert any(f["code"] == "EFNL0001" for f in record.data["features"]), "local ETIM features are kept"
    warnings = [m for m in run.messages if m.level is MessageLevel.WARNING and "GLN" in m.text]
    assert {m.column for m in warnings} == {"$.Supplier[0].SupplierIdGln",
                                            "$.Supplier[0].Product[0].ProductIdentification.ManufacturerIdGln"}


def test_a_bad_2_0_file_fails_naming_file_json_path_and_value(imports: Imports) -> None:
    document = json.loads(SAMPLE.read_text(encoding="utf-8"))
    document["Supplier"][0]["Product"][0]["TradeItem"][0]["Pricing"][0]["GrossListPrice"] = 23

    run = run_file(imports, "bad price.json", json.dumps(document).encode())

    assert run.status is RunStatus.FAILED
    failure = next(m for m in run.messages if m.level is MessageLevel.ERROR and m.file == "bad price.json")
    assert failure.column == "$.Supplier[0].Product[0].TradeItem[0].Pricing[0].GrossListPrice"
    assert failure.value == "integer" and "must be a JSON string" in failure.text
    assert imports.records(ImportTarget.PRODUCTS) == []


def test_an_unknown_schema_version_fails_naming_it(imports: Imports) -> None:
    document = json.loads(SAMPLE.read_text(encoding="utf-8"))
    document["SchemaVersion"] = "3.0"

    run = run_file(imports, "future.json", json.dumps(document).encode())

    assert run.status is RunStatus.FAILED
    failure = next(m for m in run.messages if m.level is MessageLevel.ERROR and m.file == "future.json")
    assert (failure.column, failure.value) == ("$.SchemaVersion", "3.0")


def test_a_1_x_file_still_imports(imports: Imports) -> None:
    run = run_file(imports, "v1.json", (FIXTURES / "etim_xchange.json").read_bytes())

    assert run.status is RunStatus.PARTIALLY_SUCCEEDED  # its third row has a GTIN with a wrong check digit
    assert sorted(record.key[0] for record in imports.records(ImportTarget.PRODUCTS)) == ["XC-100", "XC-100-R500"]
