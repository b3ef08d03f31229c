"""What the import and the test server take from the Preview3 specs, checked against the spec files: the bulk
resources and their query parameters, where ``selectionId`` goes, and the product fields the join reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pimtasks.twoba.importer import RESOURCES, SELECTION_RESOURCES

from tests.support.twoba_server import BULK_PARAMETERS

SPECS = Path("/work/shared/specs/2ba")


def _spec(name: str) -> dict[str, Any]:
    path = SPECS / f"{name}-api-1.0.0-Preview3.yaml"
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


def _bulk_parameters() -> dict[str, set[str]]:
    """Resource (``trade-items/bulk/details``) -> the names of the query parameters its GET declares."""
    declared: dict[str, set[str]] = {}
    for name in ("tradeitem", "product"):
        spec = _spec(name)
        parameters = spec["components"]["parameters"]
        for path, item in spec["paths"].items():
            if "/bulk/" in path:
                refs = [p["$ref"].rsplit("/", 1)[-1] for p in item["get"]["parameters"]]
                declared[path.lstrip("/")] = {parameters[ref]["name"] for ref in refs}
    return declared


def test_the_test_server_serves_the_bulk_resources_with_the_parameters_the_specs_declare() -> None:
    assert {resource: set(names) for resource, names in BULK_PARAMETERS.items()} == _bulk_parameters()


def test_selection_id_goes_exactly_to_the_resources_read_that_declare_it() -> None:
    declared = _bulk_parameters()
    assert set(RESOURCES) <= set(declared)
    accepting = {resource for resource in RESOURCES if "selectionId" in declared[resource]}
    assert accepting == SELECTION_RESOURCES


def test_the_product_fields_the_join_reads_are_in_the_bulk_schemas() -> None:
    schemas = _spec("product")["components"]["schemas"]
    details, descriptions = schemas["ProductDetailsSummary"], schemas["ProductDescriptionsSummary"]
    assert {"manufacturerIdGln", "manufacturerProductNumber", "brandName"} <= set(details["properties"])
    assert details["properties"]["brandName"]["maxLength"] == 50  # the catalog's brand holds 50
    assert {"manufacturerIdGln", "manufacturerProductNumber", "descriptionLanguage",
            "minimalProductDescription"} <= set(descriptions["required"])
    assert descriptions["properties"]["uniqueMainProductDescription"]["maxLength"] <= 256  # a catalog description
    item = schemas["BulkProductDescriptionsResponse"]["properties"]["data"]["items"]["$ref"]
    assert item.endswith("/ProductDescriptionsSummary")


def test_the_selection_id_setting_has_the_bounds_of_the_specs_technical_id() -> None:
    from pimtasks.domain.task_types import Import2baSettings

    for name in ("tradeitem", "product"):
        technical = _spec(name)["components"]["schemas"]["TechnicalId"]
        setting = Import2baSettings.model_json_schema()["properties"]["selection_id"]["anyOf"][0]
        assert (setting["minLength"], setting["maxLength"]) == (technical["minLength"], technical["maxLength"])
