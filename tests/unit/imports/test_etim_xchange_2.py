"""ETIM xChange 2.0 files (issue 11 item 5): the official sample and schema, read from the shared spec folder at
test time (the sample's license is not stated, so neither file is copied into the project), the version
detection, and bad 2.0 files failing with file, JSON path and value."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pimtasks.domain.task_types import FileFormat, ImportSettings, ImportTarget
from pimtasks.imports import CorruptFileError, ImportFileError, UnsupportedFileError, read_records
from pimtasks.imports.reading.etim_xchange_checks import PRODUCT, ROOT, SUPPLIER, Shape
from pimtasks.imports.reading.json_stream import JsonArrayStream

SPECS = Path("/work/shared/specs/etim-xchange")
SCHEMA = SPECS / "ETIM-xChange_Schema_V2.0-2025-11-27.json"
SAMPLE = SPECS / "ETIM-xChange_SampleFile_V2.0-2025-11-27.json"
SETTINGS = ImportSettings(import_name="xchange", target=ImportTarget.PRODUCTS, file_format=FileFormat.ETIM_XCHANGE)
ITEM = "$.Supplier[0].Product[0].TradeItem[0]"

pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="the ETIM xChange 2.0 spec folder is not on this machine")


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = load(SCHEMA)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@pytest.fixture()
def sample() -> dict[str, Any]:
    return load(SAMPLE)


def write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def failure(path: Path) -> ImportFileError:
    with pytest.raises(ImportFileError) as caught:
        read_records(path, file_name=path.name, settings=SETTINGS)
    assert caught.value.file == path.name, "every failure names the file"
    return caught.value


def test_the_official_sample_follows_the_official_schema(validator: jsonschema.protocols.Validator) -> None:
    assert list(validator.iter_errors(load(SAMPLE))) == []


def test_the_sample_imports_without_a_rejection() -> None:
    records, rejected, warnings = read_records(SAMPLE, file_name=SAMPLE.name, settings=SETTINGS)
    assert rejected == []
    (record,) = (r.record for r in records)
    assert (record.article_number, record.manufacturer_product_number, record.brand) == ("221099", "04011969", "Mymake")
    # The sample's GLNs fail the GS1 check digit: left out, each named in a warning, the article imported.
    assert (record.supplier_gln, record.manufacturer_gln) == (None, None)
    assert [(w.column, w.file) for w in warnings if "GLN" in w.text] == [
        ("$.Supplier[0].SupplierIdGln", SAMPLE.name),
        ("$.Supplier[0].Product[0].ProductIdentification.ManufacturerIdGln", SAMPLE.name)]
    assert (str(record.gross_price), str(record.price_unit), record.price_unit_code, record.currency,
            record.order_unit) == ("23", "1", "C62", "GBP", "C62")
    assert (record.etim_class, record.etim_release, record.discount_group) == ("EC011533", "10.0", "RG1")
    assert record.features[0].code == "EF002169" and record.features[0].value == "EV000138"
    # the trade item's own description wins over its product's; other languages come from the product
    assert record.descriptions["en-GB"] == "Example trade item for testing xChange"
    assert record.descriptions["nl-NL"].startswith("Voorbeeldproduct")


def _delete(document: dict[str, Any], *keys: str | int) -> None:
    *parents, last = keys
    target: Any = document
    for key in parents:
        target = target[key]
    del target[last]


def _set(value: Any, *keys: str | int) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        *parents, last = keys
        target: Any = document
        for key in parents:
            target = target[key]
        target[last] = value
    return change


PRODUCT_KEYS = ("Supplier", 0, "Product", 0)
TRADE_ITEM_KEYS = (*PRODUCT_KEYS, "TradeItem", 0)


@pytest.mark.parametrize(
    ("change", "path", "value"),
    [
        (_set(23, *TRADE_ITEM_KEYS, "Pricing", 0, "GrossListPrice"), f"{ITEM}.Pricing[0].GrossListPrice", "integer"),
        (lambda d: _delete(d, *PRODUCT_KEYS, "ProductIdentification", "ManufacturerProductNumber"),
         "$.Supplier[0].Product[0].ProductIdentification.ManufacturerProductNumber", "(missing)"),
        (lambda d: _delete(d, *TRADE_ITEM_KEYS, "Pricing", 0, "PriceUnit"), f"{ITEM}.Pricing[0].PriceUnit",
         "(missing)"),
        (_set({"Code": "EF1"}, *PRODUCT_KEYS, "EtimClassification", 0, "EtimFeatures"),
         "$.Supplier[0].Product[0].EtimClassification[0].EtimFeatures", "object"),
        (_set("C62", *TRADE_ITEM_KEYS, "Ordering"), f"{ITEM}.Ordering", "string"),
        (lambda d: _delete(d, "CatalogueId"), "$.CatalogueId", "(missing)"),
        (lambda d: _delete(d, "Supplier", 0, "SupplierName"), "$.Supplier[0].SupplierName", "(missing)"),
    ],
)
def test_a_bad_2_0_file_fails_naming_the_json_path_and_value(
    tmp_path: Path, sample: dict[str, Any], validator: jsonschema.protocols.Validator,
    change: Callable[[dict[str, Any]], None], path: str, value: str,
) -> None:
    change(sample)
    assert not validator.is_valid(sample), "the official schema rejects it too"
    error = failure(write(tmp_path, sample))
    assert isinstance(error, CorruptFileError)
    assert (error.column, error.value) == (path, value)
    assert path in error.message and "ETIM xChange 2.0" in error.message


def test_schema_version_after_the_products_is_still_detected_and_checked(
    tmp_path: Path, sample: dict[str, Any]
) -> None:
    # Key order is free in JSON: move SchemaVersion behind Supplier (the check then takes a second pass).
    version = sample.pop("SchemaVersion")
    sample["Supplier"][0]["Product"][0]["TradeItem"][0]["Pricing"][0]["GrossListPrice"] = 23
    error = failure(write(tmp_path, {**sample, "SchemaVersion": version}))
    assert error.column == f"{ITEM}.Pricing[0].GrossListPrice"


@pytest.mark.parametrize("version", ["3.0", "2.1", 2.0])
def test_an_unknown_schema_version_fails_naming_it(tmp_path: Path, sample: dict[str, Any], version: Any) -> None:
    sample["SchemaVersion"] = version
    error = failure(write(tmp_path, sample))
    assert isinstance(error, UnsupportedFileError | CorruptFileError)
    assert error.column == "$.SchemaVersion" and str(version) in error.message + str(error.value)


def test_a_1_x_file_is_read_without_the_2_0_checks(fixtures_dir: Path) -> None:
    # The 1.x fixture has pricings without PriceUnit (required in 2.0): read as before.
    records, _, _ = read_records(fixtures_dir / "etim_xchange.json", file_name="x.json", settings=SETTINGS)
    assert [r.record.article_number for r in records] == ["XC-100", "XC-100-R500"]
    assert [r.record.price_unit_code for r in records] == ["MTR", None]


def _shapes(shape: Shape, schema: dict[str, Any], where: str) -> list[tuple[Shape, dict[str, Any], str]]:
    found = [(shape, schema, where)]
    for name, child in shape.children.items():
        member = schema["properties"][name]
        found += _shapes(child, member.get("items", member), f"{where}.{name}")
    return found


def test_our_structural_rules_agree_with_the_official_schema() -> None:
    # Every rule the product checks must hold in ETIM's schema, so a schema-valid file never fails here.
    schema = load(SCHEMA)
    supplier = schema["properties"]["Supplier"]["items"]
    product = supplier["properties"]["Product"]["items"]
    pairs = _shapes(ROOT, schema, "$") + _shapes(SUPPLIER, supplier, "Supplier") + _shapes(PRODUCT, product, "Product")
    for shape, part, where in pairs:
        assert set(shape.required) <= set(part.get("required", [])), where
        for name, wanted in shape.types.items():
            assert part["properties"][name]["type"] == wanted, f"{where}.{name}"
    assert len(pairs) > 10


def test_the_stream_names_where_it_is_and_what_the_top_level_holds() -> None:
    text = '{"A": [{"Product": [1, 2]}, {"Product": [3]}], "Supplier": [{"Product": [{"x": 1}]}], "V": "2.0"}'
    stream = JsonArrayStream(io.StringIO(text), path=("Supplier", "*", "Product"), max_item_chars=1000)
    seen = [(stream.location(), stream.location(2), copy.deepcopy(item)) for _, item in stream.items()]
    assert seen == [("$.Supplier[0].Product[0]", "$.Supplier[0]", {"x": 1})]
    assert stream.root == {"V": "2.0"} and stream.root_types == {"A": "array", "Supplier": "array", "V": "string"}
