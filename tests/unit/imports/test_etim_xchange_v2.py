"""ETIM xChange 2.0 files (``SchemaVersion``), checked against the official 2.0 schema and sample file."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pimtasks.catalog.codes import gs1_check_digit
from pimtasks.domain.task_types import FileFormat, ImportSettings
from pimtasks.imports import CorruptFileError, ImportFileError, UnsupportedFileError, read_records

SPECS = Path(__file__).resolve().parents[2] / "fixtures" / "import" / "etim_xchange_2_0"  # copies of the specs
SCHEMA = SPECS / "ETIM-xChange_Schema_V2.0-2025-11-27.json"
SAMPLE = SPECS / "ETIM-xChange_SampleFile_V2.0-2025-11-27.json"
SETTINGS = ImportSettings(import_name="xchange", file_format=FileFormat.ETIM_XCHANGE)


def _valid_gln(gln: str) -> str:
    return gln[:12] + str(gs1_check_digit(gln[:12]))


def sample(**top: Any) -> dict[str, Any]:
    """The official sample, its GLNs given their GS1 check digits (the sample's own have wrong ones, and the
    catalog rejects a GLN whose check digit is wrong), with ``top`` members replaced (None: removed)."""
    document = json.loads(SAMPLE.read_text(encoding="utf-8"))
    for supplier in document["Supplier"]:
        supplier["SupplierIdGln"] = _valid_gln(supplier["SupplierIdGln"])
        for product in supplier["Product"]:
            identification = product["ProductIdentification"]
            identification["ManufacturerIdGln"] = _valid_gln(identification["ManufacturerIdGln"])
    for name, value in top.items():
        if value is None:
            document.pop(name)
        else:
            document[name] = value
    return document


def write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "xchange-2.0.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_official_sample_and_the_test_copy_are_valid_against_the_2_0_schema(tmp_path: Path) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(json.loads(SAMPLE.read_text(encoding="utf-8")))) == []
    assert list(validator.iter_errors(sample())) == []


def test_a_2_0_file_imports_without_a_rejection(tmp_path: Path) -> None:
    records, rejected, _ = read_records(write(tmp_path, sample()), file_name="x.json", settings=SETTINGS)

    assert rejected == []
    assert len(records) == 1
    product = records[0].record
    assert product.article_number == "221099" and product.gtin == "08012542783404"  # type: ignore[attr-defined]
    assert product.etim_class == "EC011533" and product.etim_release == "10.0"  # type: ignore[attr-defined]
    codes = {feature.code: feature.value for feature in product.features}  # type: ignore[attr-defined]
    assert codes["EFI06272"] == "0.59" and codes["EFNL0001"] == "true"  # imperial and local features
    assert product.gross_price == Decimal("23") and product.currency == "GBP"  # type: ignore[attr-defined]
    assert set(product.descriptions) == {"en-GB", "nl-NL"}  # type: ignore[attr-defined]


def test_the_official_sample_as_published_is_rejected_only_for_its_glns_check_digits() -> None:
    records, rejected, _ = read_records(SAMPLE, file_name=SAMPLE.name, settings=SETTINGS)
    assert records == []
    (row,) = rejected
    assert {error.column for error in row.errors} == {"manufacturer_gln", "supplier_gln"}
    assert all("wrong check digit" in error.reason for error in row.errors)


@pytest.mark.parametrize(("top", "error", "words"), [
    ({"SchemaVersion": "3.0"}, UnsupportedFileError, "SchemaVersion '3.0' is not read here"),
    ({"CatalogueId": None}, CorruptFileError, r"lacks CatalogueId \(required by the 2.0 schema\)"),
    ({"CatalogueType": "DELTA"}, CorruptFileError, "CatalogueType 'DELTA' is not FULL or CHANGE"),
])
def test_a_2_0_file_that_breaks_the_schema_fails_naming_why(tmp_path: Path, top: dict[str, Any],
                                                            error: type[ImportFileError], words: str) -> None:
    with pytest.raises(error, match=words) as failed:
        read_records(write(tmp_path, sample(**top)), file_name="x.json", settings=SETTINGS)
    assert failed.value.file == "x.json"
