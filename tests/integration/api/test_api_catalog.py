"""The catalog read API through API Gateway's emulation and the real handler, on moto: change order, cursors,
deltas with removals, filters, a product with what belongs to it, users, removal, and environment isolation."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from pimtasks.catalog.models import Attachment, CatalogRecord, Product, SalesCondition, User
from pimtasks.domain.task_types import ImportTarget
from pimtasks.services.catalog_writer import planned_write
from pimtasks.wiring import access_service, catalog_repository
from pimtasks_local.functions import lambda_context
from werkzeug.test import TestResponse

from tests.integration.api.local_api import ENVIRONMENT, OTHER_ENVIRONMENT, LocalApiStack, local_api_stack

BASE = f"/environments/{ENVIRONMENT}/catalog"
T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
SLASHED = "KAB 3x2,5/100"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalApiStack]:
    with pytest.MonkeyPatch.context() as monkeypatch, local_api_stack(monkeypatch) as running:
        put(ImportTarget.PRODUCTS, [Product(article_number=f"A{n:03d}", brand="Acme" if n % 2 else "Other")
                                    for n in range(30)], at=T0)
        put(ImportTarget.PRODUCTS, [Product(article_number=SLASHED, brand="Kabel", discount_group="DG7")],
            at=T0 + dt.timedelta(minutes=1))
        put(ImportTarget.SALES_CONDITIONS, [SalesCondition(article_number=SLASHED, net_price="4.20", region="NL"),
                                            SalesCondition(discount_group="DG7", discount_1="12", region="NL"),
                                            SalesCondition(article_number="A001", net_price="1", region="NL")],
            at=T0 + dt.timedelta(minutes=2))
        put(ImportTarget.ATTACHMENTS, [Attachment(article_number=SLASHED, type_code="PPI", file_name="kabel.jpg")],
            at=T0 + dt.timedelta(minutes=2))
        put(ImportTarget.USERS, [User(user_id="U-1", name="Jan", email="jan@example.nl", gln="8712345000004"),
                                 User(user_id="U-2", name="Bouw B.V.", customer_group="INSTALLERS", active=False)],
            at=T0 + dt.timedelta(minutes=3))
        put(ImportTarget.PRODUCTS, [Product(article_number="SECRET-1", brand="Acme")], at=T0,
            environment=OTHER_ENVIRONMENT)
        yield running


def put(target: ImportTarget, records: list[Any], *, at: dt.datetime, environment: str = ENVIRONMENT) -> None:
    writes = [planned_write(record) for record in records if isinstance(record, CatalogRecord)]
    catalog_repository().put_many(environment=environment, target=target, records=writes, changed_at=at,
                                  run_id=None)


def get(stack: LocalApiStack, path: str, *, key: str | None = None, **query: Any) -> TestResponse:
    headers = {"x-api-key": key} if key else stack.headers()
    return stack.client.get(path, query_string=query, headers=headers)


def ok(response: TestResponse, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_products_are_listed_in_change_order_and_paged_by_cursor(stack: LocalApiStack) -> None:
    # When every page of 7 products is read
    ids: list[str] = []
    cursor = None
    pages = 0
    while True:
        body = ok(get(stack, f"{BASE}/products", limit=7, **({"cursor": cursor} if cursor else {})))
        ids += [item["record_id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    # Then each live product comes once, in (changed_at, record id) order, and none of the other environment's
    assert [i for i in ids if i.startswith("A")] == [f"A{n:03d}" for n in range(30)]
    assert ids[-1] == SLASHED and len(ids) == 31 and pages == 5 and "SECRET-1" not in ids


def test_a_filter_selects_by_field_and_an_unknown_field_is_named(stack: LocalApiStack) -> None:
    body = ok(get(stack, f"{BASE}/products", brand="Acme", limit=100))
    assert len(body["items"]) == 15 and {item["data"]["brand"] for item in body["items"]} == {"Acme"}

    refused = get(stack, f"{BASE}/products", colour="red")
    assert refused.status_code == 422
    [error] = refused.get_json()["errors"]
    assert error["field"] == "colour" and "brand" in error["message"] and "gtin" in error["message"]


def test_an_unknown_entity_and_an_unbounded_limit_are_422(stack: LocalApiStack) -> None:
    assert get(stack, f"{BASE}/customers").get_json()["errors"][0]["field"] == "entity"
    assert get(stack, f"{BASE}/customers").status_code == 422
    for limit in (0, 1001):
        assert get(stack, f"{BASE}/products", limit=limit).status_code == 422


@pytest.mark.parametrize("cursor", [
    "not-a-cursor",
    base64.urlsafe_b64encode(json.dumps({"entity": "products", "after": "2026'; DROP", "delta": False}).encode())
    .decode(),
    base64.urlsafe_b64encode(json.dumps({"entity": "attachments", "after": "2026-12-01T08:00:00.000Z#A001",
                                         "delta": False}).encode()).decode(),
])
def test_a_forged_cursor_is_a_422_naming_cursor(stack: LocalApiStack, cursor: str) -> None:
    response = get(stack, f"{BASE}/products", cursor=cursor)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "cursor"


def test_a_product_with_spaces_and_a_slash_comes_with_its_conditions_and_attachments(stack: LocalApiStack) -> None:
    for path in (f"{BASE}/products/KAB%203x2,5%2F100", f"{BASE}/products/KAB 3x2,5/100"):
        body = ok(get(stack, path))
        assert body["record_id"] == SLASHED and body["data"]["brand"] == "Kabel" and body["removed"] is False
        conditions = sorted(c["data"].get("article_number") or c["data"]["discount_group"]
                            for c in body["sales_conditions"])
        assert conditions == ["DG7", SLASHED]
        assert [a["data"]["file_name"] for a in body["attachments"]] == ["kabel.jpg"]


def test_a_deleted_record_is_gone_but_a_delta_carries_its_removal(stack: LocalApiStack) -> None:
    # Given a sales condition, listed with its record id
    [condition] = [item for item in ok(get(stack, f"{BASE}/sales_conditions"))["items"]
                   if item["data"].get("article_number") == "A001"]
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)

    # When it is deleted
    deleted = stack.client.delete(f"{BASE}/sales_conditions/{condition['record_id']}", headers=stack.headers())
    assert deleted.status_code == 204, deleted.get_data(as_text=True)

    # Then reading or deleting it again is a 404, the full listing leaves it out
    assert get(stack, f"{BASE}/sales_conditions/{condition['record_id']}").status_code == 404
    assert stack.client.delete(f"{BASE}/sales_conditions/{condition['record_id']}",
                               headers=stack.headers()).status_code == 404
    listed = ok(get(stack, f"{BASE}/sales_conditions"))["items"]
    assert condition["record_id"] not in [item["record_id"] for item in listed]
    # and a delta since before the removal lists it as removed, with its last data
    since = before.isoformat().replace("+00:00", "Z")
    [removal] = ok(get(stack, f"{BASE}/sales_conditions", changed_since=since))["items"]
    assert removal["record_id"] == condition["record_id"] and removal["removed"] is True
    assert removal["data"]["net_price"] == condition["data"]["net_price"]


def test_a_changed_since_without_an_offset_is_a_422(stack: LocalApiStack) -> None:
    response = get(stack, f"{BASE}/products", changed_since="2026-12-01T08:00:00")
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "changed_since"


def test_unknown_records_are_404(stack: LocalApiStack) -> None:
    assert get(stack, f"{BASE}/products/NOPE").status_code == 404
    assert stack.client.delete(f"{BASE}/attachments/{'0' * 40}", headers=stack.headers()).status_code == 404


def test_a_key_of_one_environment_never_reads_or_removes_in_another(stack: LocalApiStack) -> None:
    other = access_service().issue_api_key(environments=[OTHER_ENVIRONMENT], admin=False, description="other")
    # Its own catalog: its one product
    mine = ok(get(stack, f"/environments/{OTHER_ENVIRONMENT}/catalog/products", key=other.api_key))
    assert [item["record_id"] for item in mine["items"]] == ["SECRET-1"]
    # Environment 000001's: refused, read or delete
    assert get(stack, f"{BASE}/products", key=other.api_key).status_code == 403
    assert get(stack, f"{BASE}/products/A001", key=other.api_key).status_code == 403
    assert stack.client.delete(f"{BASE}/products/A001", headers={"x-api-key": other.api_key}).status_code == 403
    assert ok(get(stack, f"{BASE}/products/A001"))["record_id"] == "A001"
    # and 000001's key does not see 000002's product under its own environment either
    assert get(stack, f"{BASE}/products/SECRET-1").status_code == 404


def test_a_percent_encoded_path_as_a_rest_api_hands_it_over_finds_the_record(stack: LocalApiStack) -> None:
    # Given the event API Gateway (REST) sends: the path still percent-encoded, the parameter decoded
    path = f"{BASE}/products/KAB%203x2,5%2F100"
    event = {"resource": "/environments/{env}/catalog/{entity}/{record_id+}", "path": path, "httpMethod": "GET",
             "headers": {}, "multiValueHeaders": {}, "queryStringParameters": None,
             "multiValueQueryStringParameters": None, "stageVariables": None, "isBase64Encoded": False,
             "pathParameters": {"env": ENVIRONMENT, "entity": "products", "record_id": SLASHED}, "body": None,
             "requestContext": {"stage": "v1", "requestId": "r1", "resourcePath": "/x", "httpMethod": "GET",
                                "path": f"/v1{path}", "identity": {"sourceIp": "127.0.0.1"},
                                "authorizer": {"key_id": stack.admin_key_id, "environments": ENVIRONMENT,
                                               "admin": "true", "principalId": stack.admin_key_id}}}

    # When the handler answers it
    from functions.api_handler.app import handler  # as conftest does: the handler reads settings at import

    response = handler(event, lambda_context("pimtasks-api", timeout_seconds=29))

    # Then it is the product, not a 404 for "KAB%203x2,5%2F100"
    assert response["statusCode"] == 200, response["body"]
    assert json.loads(response["body"])["record_id"] == SLASHED


def test_users_are_listed_filtered_read_by_user_id_and_removed(stack: LocalApiStack) -> None:
    listed = ok(get(stack, f"{BASE}/users"))["items"]
    assert [(item["record_id"], item["data"]["active"]) for item in listed] == [("U-1", True), ("U-2", False)]
    blocked = ok(get(stack, f"{BASE}/users", active="false"))["items"]
    assert [item["record_id"] for item in blocked] == ["U-2"]
    assert get(stack, f"{BASE}/users", active="perhaps").status_code == 422

    body = ok(get(stack, f"{BASE}/users/U-1"))
    assert body["data"] == {"user_id": "U-1", "name": "Jan", "email": "jan@example.nl", "gln": "8712345000004",
                            "active": True}
    assert body["sales_conditions"] is None and body["attachments"] is None

    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    assert stack.client.delete(f"{BASE}/users/U-2", headers=stack.headers()).status_code == 204
    assert get(stack, f"{BASE}/users/U-2").status_code == 404
    [removal] = ok(get(stack, f"{BASE}/users", changed_since=before.isoformat().replace("+00:00", "Z")))["items"]
    assert removal["record_id"] == "U-2" and removal["removed"] is True
    assert removal["data"]["customer_group"] == "INSTALLERS"
