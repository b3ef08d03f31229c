"""Layouts checked at the API write (POST/PUT/PATCH), the field catalog, and the README's layout examples."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pimtasks.domain.task_types import ColumnMapping, ImportTarget
from pimtasks.wiring import task_repository

from tests.integration.api.conftest import Api

README = Path(__file__).resolve().parents[3] / "README.md"
_EXAMPLE = re.compile(r"<!-- layout example: (\w+) -->\n```json\n(.*?)\n```", re.DOTALL)


def readme_examples() -> dict[str, dict[str, Any]]:
    """The README's worked layout example of each target, by target."""
    return {target: json.loads(body) for target, body in _EXAMPLE.findall(README.read_text(encoding="utf-8"))}


def _create(api: Api, body: dict[str, Any]) -> Any:
    return api.call("POST", "/environments/000001/tasks", key=api.admin_key, body=body)


@pytest.mark.parametrize("target", [t.value for t in ImportTarget])
def test_the_readme_example_of_each_target_creates_a_task(api: Api, target: str) -> None:
    example = readme_examples()[target]
    reply = _create(api, example)
    assert reply.status == 201, reply.body
    assert reply.body["settings"]["target"] == target
    assert reply.body["settings"]["layout"]["columns"] == [
        ColumnMapping.model_validate(column).model_dump(mode="json") for column in
        example["settings"]["layout"]["columns"]]


def test_every_mistake_of_a_layout_is_named_in_one_422(api: Api) -> None:
    body = copy.deepcopy(readme_examples()["products"])
    columns = body["settings"]["layout"]["columns"]
    columns[1]["field"] = "ean_nummer"
    columns[3]["field"] = "description_english_uk"
    columns[5]["field"] = "gross_price"  # mapped twice
    columns[6]["default"] = "EC12"  # not an ETIM class code
    body["settings"]["layout"]["key_columns"] = ["article_number", "supplier_item_number"]
    reply = _create(api, body)
    assert reply.status == 422
    errors = reply.body["errors"]
    assert [(e["field"], e["type"]) for e in errors] == [
        ("settings.layout.columns.1.field", "unknown_field"),
        ("settings.layout.columns.3.field", "unknown_field"),
        ("settings.layout.columns.5.field", "field_mapped_twice"),
        ("settings.layout.key_columns.1", "key_column_not_mapped"),
        ("settings.layout.columns.6.default", "invalid_default"),
    ]
    assert "'ean_nummer'" in errors[0]["message"]
    assert "valid fields: article_number, gtin, brand" in errors[0]["message"]
    assert "5 problems" in reply.body["message"]
    assert "'EC12' is not an ETIM class code" in errors[4]["message"]


def test_put_and_patch_check_a_changed_layout(api: Api) -> None:
    created = _create(api, readme_examples()["sales_conditions"]).body
    path = f"/environments/000001/tasks/{created['task_id']}"
    patch = {"settings": {"layout": {"key_columns": ["debtor"]}}}
    reply = api.call("PATCH", path, key=api.admin_key, body=patch)
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "settings.layout.key_columns.0"
    assert "mapped: article_number, currency, customer_group" in reply.body["errors"][0]["message"]
    spec = {key: created[key] for key in ("type", "description", "frequency", "settings")}
    spec["settings"]["layout"]["columns"][0]["field"] = "klantgroep"
    reply = api.call("PUT", path, key=api.admin_key, body=spec)
    assert reply.status == 422
    assert [e["field"] for e in reply.body["errors"]] == ["settings.layout.columns.0.field",
                                                         "settings.layout.key_columns.0"]


def test_a_layout_with_custom_layout_off_is_refused(api: Api) -> None:
    body = copy.deepcopy(readme_examples()["products"])
    body["settings"]["custom_layout"] = False
    reply = _create(api, body)
    assert reply.status == 422
    assert reply.body["errors"] == [{"field": "settings.layout", "type": "layout_not_used",
                                     "message": reply.body["errors"][0]["message"]}]
    assert "custom_layout is false" in reply.body["errors"][0]["message"]


def test_a_task_stored_with_a_bad_layout_still_loads_and_can_be_renamed(api: Api) -> None:
    created = _create(api, readme_examples()["products"]).body
    store = task_repository()
    task = store.get(environment="000001", task_id=created["task_id"])
    settings = task.spec.settings
    bad_layout = settings.layout.model_copy(update={"columns": [  # type: ignore[union-attr]
        ColumnMapping(column="X", field="nonsense"), *settings.layout.columns]})  # type: ignore[union-attr]
    bad = task.spec.model_copy(update={"settings": settings.model_copy(update={"layout": bad_layout})})
    store.replace(task.model_copy(update={"spec": bad, "version": task.version + 1}), expected_version=task.version)
    path = f"/environments/000001/tasks/{created['task_id']}"
    shown = api.call("GET", path, key=api.admin_key)
    assert shown.status == 200 and shown.body["settings"]["layout"]["columns"][0]["field"] == "nonsense"
    renamed = api.call("PATCH", path, key=api.admin_key, body={"description": "Renamed", "active": False})
    assert renamed.status == 200, renamed.body
    assert api.call("GET", "/environments/000001/tasks", key=api.admin_key).status == 200


def test_the_field_catalog_is_readable_with_any_key_and_lists_each_target(api: Api) -> None:
    issued = api.call("POST", "/api-keys", key=api.admin_key, body={"environments": ["000002"]})
    key = issued.body["api_key"]
    reply = api.call("GET", "/catalog/fields", key=key, query={"target": "sales_conditions"})
    assert reply.status == 200
    (target,) = reply.body["items"]
    assert target["target"] == "sales_conditions"
    assert "exactly one of discount_group, article_number, gtin" in target["rules"]
    net_price = next(f for f in target["fields"] if f["name"] == "net_price")
    assert net_price["type"] == "decimal" and "at least 0" in net_price["rules"]
    every = api.call("GET", "/catalog/fields", key=key)
    assert [item["target"] for item in every.body["items"]] == [t.value for t in ImportTarget]
    assert api.call("GET", "/catalog/fields", query={"target": "nonsense"}, key=key).status == 422
    assert api.call("GET", "/catalog/fields").status == 401
