"""Every operation of the OpenAPI document says what it is and what it answers, as the API really behaves:
a readable operationId, a description, the error responses with the body the API sends (``ErrorOut``), no key
for /health, 204s without a body, and request examples that the operation itself accepts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.event_handler.api_gateway import Route
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pimtasks.api.app import PimtasksResolver, openapi_json, resolver
from pimtasks.api.models import HealthOut
from pimtasks.api.operations import complete_routes, is_readable_operation_id, missing_metadata, operation_id
from pimtasks.api.responses import responses
from pimtasks.domain.task_types import ImportTarget
from pimtasks_local.openapi import UndocumentedRouteError, generated

ERROR_REF = "#/components/schemas/ErrorOut"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return json.loads(openapi_json())


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, item in document["paths"].items() for method, op in item.items()]


def _documented_routes() -> list[Route]:
    return [route for route in resolver.routes if route.include_in_schema]


def test_every_route_of_the_app_is_an_operation_with_an_id_and_a_description(document: dict[str, Any]) -> None:
    operations = {(method, path): op for method, path, op in _operations(document)}
    ids = [op["operationId"] for op in operations.values()]

    assert {(r.method.upper(), r.openapi_path) for r in _documented_routes()} == set(operations)
    assert len(ids) == len(set(ids))
    for (method, path), op in operations.items():
        assert is_readable_operation_id(op["operationId"]), (method, path, op["operationId"])
        assert op.get("description", "").strip(), (method, path)
    assert operations[("GET", "/environments/{env}/tasks")]["operationId"] == "listTasks"
    assert operations[("POST", "/environments/{env}/tasks/{task_id}/start")]["operationId"] == "startTask"


def test_every_keyed_operation_declares_its_errors_with_the_body_the_api_sends(document: dict[str, Any]) -> None:
    for method, path, op in _operations(document):
        codes = set(op["responses"])
        if op.get("security") == []:
            continue
        expected = {"401", "403", "422"} | ({"404"} if "{" in path else set())
        if "requestBody" in op:
            expected |= {"400", "415"}
        assert expected <= codes, (method, path, sorted(codes))
        if "{" not in path:
            assert "404" not in codes, (method, path)
        for code in {c for c in codes - {"200", "201", "202", "204"} if not c.startswith("3")}:  # 304/307: no body
            schema = op["responses"][code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": ERROR_REF}, (method, path, code)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_conflicts_are_declared_where_the_services_raise_them(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for method, path in [("post", "/environments/{env}/tasks/{task_id}/start"),
                         ("post", "/environments/{env}/tasks/{task_id}/stop"),
                         ("put", "/environments/{env}/tasks/{task_id}"),
                         ("patch", "/environments/{env}/tasks/{task_id}"),
                         ("delete", "/api-keys/{key_id}"), ("post", "/environments/{env}/uploads")]:
        assert "409" in paths[path][method]["responses"], (method, path)


def test_health_needs_no_key_and_deletes_answer_without_a_body(document: dict[str, Any]) -> None:
    health = document["paths"]["/health"]["get"]

    assert health["security"] == []
    assert not {"401", "403"} & set(health["responses"])
    for method, path, op in _operations(document):
        if "204" in op["responses"]:
            assert "content" not in op["responses"]["204"], (method, path)


def test_every_request_body_has_examples_the_operation_accepts(document: dict[str, Any]) -> None:
    checked = 0
    for route in _documented_routes():
        if route.body_field is None or route.method.upper() not in {"POST", "PUT", "PATCH"}:
            continue
        op = document["paths"][route.openapi_path][route.method.lower()]
        (content,) = op["requestBody"]["content"].values()
        assert content.get("examples"), route.openapi_path
        for name, example in content["examples"].items():
            _, errors = route.body_field.validate(example["value"], loc=("body",))
            assert not errors, (route.method, route.openapi_path, name, errors)
            checked += 1
    assert checked >= 15


def test_the_task_examples_show_an_import_of_every_target(document: dict[str, Any]) -> None:
    examples = document["paths"]["/environments/{env}/tasks"]["post"]["requestBody"]["content"][
        "application/json"]["examples"]
    imports = [e["value"] for e in examples.values() if e["value"]["type"] == "import"]

    assert {i["settings"]["target"] for i in imports} == {t.value for t in ImportTarget}
    layouts = {i["settings"]["target"] for i in imports if i["settings"].get("custom_layout")}
    assert {"products", "sales_conditions"} <= layouts


def test_operation_ids_are_the_handlers_names_in_camel_case() -> None:
    assert operation_id("list_tasks") == "listTasks"
    assert operation_id("reset_ftps_password") == "resetFtpsPassword"
    assert operation_id("health") == "health"


def _app_with(router: APIGatewayRouter) -> PimtasksResolver:
    app = PimtasksResolver()
    app.include_router(router)
    return app


def test_a_new_route_gets_its_id_and_errors_by_default_and_is_refused_without_a_description() -> None:
    router = APIGatewayRouter()

    @router.post("/environments/<env>/widgets", summary="Create a widget",
                 responses=responses(201, HealthOut, "The widget"))
    def create_widget(env: str, widget: HealthOut) -> HealthOut:
        return widget

    @router.get("/widgets", summary="List widgets", responses=responses(200, HealthOut, "Widgets"))
    def list_widgets() -> HealthOut:
        """Every widget."""
        return HealthOut(status="ok")

    app = _app_with(router)
    complete_routes(app.routes)
    by_path = {route.openapi_path: route for route in app.routes}
    created, listed = by_path["/environments/{env}/widgets"], by_path["/widgets"]

    assert created.operation_id == "createWidget" and listed.operation_id == "listWidgets"
    assert {401, 403, 404, 422, 400, 415} <= set(created.responses or {})
    assert 404 not in (listed.responses or {}) and listed.description == "Every widget."
    assert missing_metadata(app.routes) == [
        "POST /environments/{env}/widgets: no description (give the handler a docstring or description=)",
        "POST /environments/{env}/widgets: its request body has no examples (Body(openapi_examples=...))",
    ]


def test_the_generator_fails_loudly_on_an_undocumented_route(monkeypatch: pytest.MonkeyPatch) -> None:
    router = APIGatewayRouter()

    @router.get("/undocumented", responses=responses(200, HealthOut, "x"))
    def undocumented() -> HealthOut:
        return HealthOut(status="ok")

    monkeypatch.setattr("pimtasks.api.app.resolver", _app_with(router))
    with pytest.raises(UndocumentedRouteError, match="GET /undocumented: no description"):
        generated()


def test_examples_given_in_a_body_satisfy_the_check() -> None:
    router = APIGatewayRouter()

    @router.put("/things", summary="Put", responses=responses(200, HealthOut, "x"))
    def put_thing(thing: Any = Body(embed=False, openapi_examples={"a": {"value": {"status": "ok"}}})) -> HealthOut:
        """Puts a thing."""
        return HealthOut(status="ok")

    assert missing_metadata(_app_with(router).routes) == []


def _docs_event(*, host: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """API Gateway's proxy event of GET /docs?format=json (requestContext.path always has the stage)."""
    return {"resource": "/docs", "path": "/docs", "httpMethod": "GET",
            "headers": {"Host": host, **(headers or {})}, "multiValueHeaders": {},
            "queryStringParameters": {"format": "json"}, "multiValueQueryStringParameters": {"format": ["json"]},
            "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
            "requestContext": {"stage": "v1", "path": "/v1/docs", "domainName": host, "httpMethod": "GET",
                               "requestId": "r", "resourcePath": "/docs", "identity": {"sourceIp": "127.0.0.1"}}}


@pytest.mark.parametrize(("host", "headers", "server"), [
    ("127.0.0.1:8080", {}, "/"),  # the local stack
    ("abc123.execute-api.eu-west-1.amazonaws.com", {"X-Amz-Cf-Id": "cf"}, "/"),  # the console's CloudFront
    ("abc123.execute-api.eu-west-1.amazonaws.com", {}, "/v1"),  # API Gateway's own URL
])
def test_the_swagger_ui_server_is_where_the_caller_finds_the_routes(host: str, headers: dict[str, str],
                                                                     server: str) -> None:
    answer = resolver.resolve(_docs_event(host=host, headers=headers), None)

    assert answer["statusCode"] == 200
    assert [s["url"] for s in json.loads(answer["body"])["servers"]] == [server]
