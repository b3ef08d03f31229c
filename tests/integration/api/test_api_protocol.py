"""Malformed and hostile requests through the local API (API Gateway's proxy events, the real authorizer and
api_handler): each gets its 4xx in the API's error format at once, never a 502."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from pimtasks.adapters.dynamo import DynamoTable
from pimtasks.api.app import openapi_json
from pimtasks.settings import get_settings
from pimtasks.wiring import task_repository
from werkzeug.test import TestResponse

from tests.integration.api.local_api import ENVIRONMENT, OTHER_ENVIRONMENT, LocalApiStack, local_api_stack

BASE = f"/environments/{ENVIRONMENT}"
ETIM = {"type": "import_etim", "description": "ETIM weekly", "frequency": {"every": "week", "days": ["MON"],
                                                                         "time": "12:53"},
        "settings": {"client_id": "client", "client_secret": "etim-secret"}}


def _body_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation that takes a request body, from the OpenAPI document."""
    document = json.loads(openapi_json())
    return sorted((method.upper(), path) for path, item in document["paths"].items()
                  for method, operation in item.items() if "requestBody" in operation)


BODY_OPERATIONS = _body_operations()


_ENVIRONMENT_NUMBERS = itertools.count(100)


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalApiStack]:
    """One stack for the module (deploying it takes seconds); tests that count things use a fresh environment."""
    with pytest.MonkeyPatch.context() as monkeypatch, local_api_stack(monkeypatch) as running:
        yield running


def fresh_environment(stack: LocalApiStack) -> str:
    environment = f"{next(_ENVIRONMENT_NUMBERS):06d}"
    assert call(stack, "POST", "/environments", body={"environment": environment, "name": "Test"}).status_code == 201
    return environment


def call(stack: LocalApiStack, method: str, path: str, *, body: Any = None, data: bytes | None = None,
         content_type: str = "application/json") -> TestResponse:
    payload = json.dumps(body).encode() if body is not None else data
    return stack.client.open(path, method=method, data=payload,
                             headers=stack.headers(**({"content-type": content_type} if payload else {})))


def error_of(response: TestResponse, status: int) -> dict[str, Any]:
    """The body of an error answer, checked to be ``status`` in the documented format (ErrorOut)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    assert isinstance(body["message"], str) and body["message"]
    assert all(set(error) <= {"field", "message", "type"} and error["field"] for error in body["errors"])
    return body


def real_path(stack: LocalApiStack, template: str) -> str:
    """``template`` with real ids: a task of 000001, an FTPS user, a secret name."""
    task = call(stack, "POST", f"{BASE}/tasks", body={
        "type": "import", "description": "Import", "frequency": {"every": "day", "time": "06:00"},
        "settings": {"import_name": "Sales conditions APAC"}}).get_json()
    call(stack, "POST", f"{BASE}/ftps-users", body={"username": "supplier-apac"})
    return (template.replace("{env}", ENVIRONMENT).replace("{task_id}", task["task_id"])
            .replace("{username}", "supplier-apac").replace("{name}", "etim-secret"))


def test_the_document_names_the_body_operations() -> None:
    assert ("PATCH", "/environments/{env}/tasks/{task_id}") in BODY_OPERATIONS
    assert len(BODY_OPERATIONS) == 9


@pytest.mark.parametrize(("method", "template"), BODY_OPERATIONS)
def test_a_body_that_is_not_utf8_is_a_400(stack: LocalApiStack, method: str, template: str) -> None:
    # given a JSON-looking body with a byte that is not UTF-8
    response = call(stack, method, real_path(stack, template), data=b'{"description": "caf\xe9"}')
    # then 400 naming the body and the byte
    body = error_of(response, 400)
    assert body["errors"][0]["field"] == "body" and "0xe9" in body["message"]


@pytest.mark.parametrize(("method", "template"), BODY_OPERATIONS)
def test_multipart_without_a_boundary_is_a_415(stack: LocalApiStack, method: str, template: str) -> None:
    response = call(stack, method, real_path(stack, template), data=b"field=value", content_type="multipart/form-data")
    body = error_of(response, 415)
    assert "application/json" in body["message"] and body["errors"][0]["field"] == "content-type"


def test_json_nested_100000_deep_is_a_400(stack: LocalApiStack) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    body = error_of(call(stack, "POST", f"{BASE}/tasks", data=deep), 400)
    assert "nested deeper than 32 levels" in body["message"]
    patched = call(stack, "PATCH", real_path(stack, f"{BASE}/tasks/{{task_id}}"), data=b'{"a":' * 50 + b"1" + b"}" * 50,
                   content_type="application/merge-patch+json")
    assert "nested deeper" in error_of(patched, 400)["message"]


def test_a_body_that_is_not_json_is_a_400_naming_where(stack: LocalApiStack) -> None:
    body = error_of(call(stack, "POST", f"{BASE}/tasks", data=b'{"type": "import",'), 400)
    assert body["message"].startswith("The body is not valid JSON") and "column" in body["message"]


def test_patch_takes_merge_patch_json_and_json_and_put_takes_json_only(stack: LocalApiStack) -> None:
    path = real_path(stack, f"{BASE}/tasks/{{task_id}}")
    merged = call(stack, "PATCH", path, body={"sequence_no": 7}, content_type="application/merge-patch+json")
    assert merged.status_code == 200 and merged.get_json()["sequence_no"] == 7
    plain = call(stack, "PATCH", path, body={"description": "Renamed", "notification": None})
    assert plain.status_code == 200 and plain.get_json()["description"] == "Renamed"
    task = plain.get_json()
    spec = {key: task[key] for key in ("type", "description", "frequency", "settings")}
    assert error_of(call(stack, "PUT", path, body=spec, content_type="application/merge-patch+json"), 415)
    document = json.loads(openapi_json())
    patch_body = document["paths"]["/environments/{env}/tasks/{task_id}"]["patch"]["requestBody"]
    assert list(patch_body["content"]) == ["application/merge-patch+json"]


@pytest.mark.parametrize(("method", "path"), [
    ("GET", f"/environments/{ENVIRONMENT}%0A/tasks"),
    ("GET", f"{BASE}/tasks/{'a' * 32}%0A"),
    ("GET", f"{BASE}/runs/{'0' * 32}%0A"),
    ("DELETE", f"{BASE}/ftps-users/supplier%0A"),
    ("DELETE", "/api-keys/0123456789abcdef%0A"),
])
def test_ids_with_a_trailing_newline_are_refused(stack: LocalApiStack, method: str, path: str) -> None:
    body = error_of(call(stack, method, path), 422)
    assert body["errors"][0]["field"] == "path" and "control characters" in body["message"]


def test_a_secret_name_with_a_trailing_newline_stores_nothing(stack: LocalApiStack) -> None:
    environment = fresh_environment(stack)
    error_of(call(stack, "PUT", f"/environments/{environment}/secrets/etim%0A", body={"value": "hunter2"}), 422)
    assert call(stack, "GET", f"/environments/{environment}/secrets").get_json()["items"] == []


@pytest.mark.parametrize("token", [
    "not-base64!", base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    base64.urlsafe_b64encode(b'{"pk": {"S": "x"}}').decode(),
    base64.urlsafe_b64encode(json.dumps({"pk": f"ENV#{ENVIRONMENT}#RUN#{'0' * 32}", "sk": "RUN", "task_pk": "x",
                                         "task_sk": "y", "extra": 1}).encode()).decode(),
    "A" * 3000,
])
def test_a_forged_page_token_is_a_422_naming_next_token(stack: LocalApiStack, token: str) -> None:
    task_path = real_path(stack, f"{BASE}/tasks/{{task_id}}")
    for path in (f"{task_path}/runs", f"{BASE}/tasks"):
        response = stack.client.get(path, query_string={"next_token": token}, headers=stack.headers())
        assert error_of(response, 422)["errors"][0]["field"] == "next_token"


def test_a_well_formed_run_token_of_another_task_is_refused(stack: LocalApiStack) -> None:
    task_path = real_path(stack, f"{BASE}/tasks/{{task_id}}")
    key = {"pk": f"ENV#{ENVIRONMENT}#RUN#{'0' * 32}", "sk": "RUN", "task_pk": f"ENV#{ENVIRONMENT}#TASK#{'1' * 32}",
           "task_sk": f"2026-11-23T10:00:00.000Z#{'0' * 32}"}
    token = base64.urlsafe_b64encode(json.dumps(key).encode()).decode()
    response = stack.client.get(f"{task_path}/runs", query_string={"next_token": token}, headers=stack.headers())
    assert "this task's runs" in error_of(response, 422)["message"]


def test_the_task_list_pages_in_sequence_order_and_every_task_comes_once(stack: LocalApiStack) -> None:
    # given seven tasks with sequence numbers and descriptions out of order
    base = f"/environments/{fresh_environment(stack)}"
    wanted = [(30, "b"), (10, "Zeta"), (10, "alpha"), (20, "x"), (5, "m"), (10, "Beta"), (30, "a")]
    for sequence_no, description in wanted:
        response = call(stack, "POST", f"{base}/tasks", body={
            "type": "import", "description": description, "sequence_no": sequence_no,
            "frequency": {"every": "day", "time": "06:00"}, "settings": {"import_name": f"Import {description}"}})
        assert response.status_code == 201
    # when the list is read three at a time
    pages: list[list[dict[str, Any]]] = []
    token = None
    while True:
        query = {"limit": "3", **({"next_token": token} if token else {})}
        page = stack.client.get(f"{base}/tasks", query_string=query, headers=stack.headers()).get_json()
        pages.append(page["items"])
        token = page["next_token"]
        if token is None:
            break
    # then three pages of at most three, by sequence no then description, and the last says so
    assert [len(page) for page in pages] == [3, 3, 1]
    listed = [(t["sequence_no"], t["description"]) for page in pages for t in page]
    assert listed == [(5, "m"), (10, "alpha"), (10, "Beta"), (10, "Zeta"), (20, "x"), (30, "a"), (30, "b")]
    # and a token of this environment does not page another's tasks
    first = stack.client.get(f"{base}/tasks", query_string={"limit": "3"}, headers=stack.headers()).get_json()
    other = stack.client.get(f"/environments/{OTHER_ENVIRONMENT}/tasks", headers=stack.headers(),
                             query_string={"next_token": first["next_token"]})
    assert "this environment's tasks" in error_of(other, 422)["message"]


def test_the_task_list_limit_is_bounded(stack: LocalApiStack) -> None:
    response = stack.client.get(f"{BASE}/tasks", query_string={"limit": "101"}, headers=stack.headers())
    assert error_of(response, 422)["errors"][0]["field"] == "limit"


def test_an_admin_key_cannot_revoke_itself(stack: LocalApiStack) -> None:
    body = error_of(call(stack, "DELETE", f"/api-keys/{stack.admin_key_id}"), 409)
    assert "cannot revoke itself" in body["message"]
    # and another admin key can be revoked, which leaves this one
    other = call(stack, "POST", "/api-keys", body={"environments": [ENVIRONMENT], "admin": True}).get_json()
    assert call(stack, "DELETE", f"/api-keys/{other['key_id']}").status_code == 204
    assert other["key_id"] not in [k["key_id"] for k in call(stack, "GET", "/api-keys").get_json()["items"]]


def test_a_credential_must_name_an_existing_secret(stack: LocalApiStack) -> None:
    # given no secret yet: the pasted value is refused, naming the field and how to make a secret
    environment = fresh_environment(stack)
    base = f"/environments/{environment}"
    refused = error_of(call(stack, "POST", f"{base}/tasks", body=ETIM), 422)
    assert refused["errors"][0]["field"] == "settings.client_secret"
    assert "no secrets yet" in refused["message"] and f"PUT /environments/{environment}/secrets/" in refused["message"]
    # when the secret exists, the same task is created and shows the name
    assert call(stack, "PUT", f"{base}/secrets/etim-secret", body={"value": "hunter2"}).status_code == 200
    created = call(stack, "POST", f"{base}/tasks", body=ETIM)
    assert created.status_code == 201 and created.get_json()["settings"]["client_secret"] == "etim-secret"
    path = f"{base}/tasks/{created.get_json()['task_id']}"
    # and patch and replace refuse unknown names too, listing the existing ones
    patched = error_of(call(stack, "PATCH", path, body={"settings": {"client_secret": "s3cr3t-value"}}), 422)
    assert patched["errors"][0]["field"] == "settings.client_secret" and "etim-secret" in patched["message"]
    replaced = error_of(call(stack, "PUT", path, body={**ETIM, "settings": {**ETIM["settings"],
                                                                            "client_secret": "pasted"}}), 422)
    assert replaced["errors"][0]["field"] == "settings.client_secret"
    assert "pasted" not in json.dumps(replaced) and "s3cr3t-value" not in json.dumps(patched)


def test_a_nested_credential_is_checked_too(stack: LocalApiStack) -> None:
    export = {"type": "export", "description": "Export to SFTP", "frequency": {"every": "day", "time": "06:00"},
              "settings": {"export_name": "Prices", "remote": {"protocol": "sftp", "host": "sftp.example.com",
                                                               "username": "u", "password": "pasted",
                                                               "host_key": "SHA256:abc"}}}
    assert error_of(call(stack, "POST", f"{BASE}/tasks", body=export), 422)["errors"][0]["field"] == \
        "settings.remote.password"


def test_a_stored_credential_naming_no_secret_is_never_shown(stack: LocalApiStack) -> None:
    # given a task stored before names were checked, with a pasted value in its credential field
    call(stack, "PUT", f"{BASE}/secrets/etim-secret", body={"value": "x"})
    task_id = call(stack, "POST", f"{BASE}/tasks", body=ETIM).get_json()["task_id"]
    repository = task_repository()
    stored = repository.get(environment=ENVIRONMENT, task_id=task_id)
    settings = stored.spec.settings.model_copy(update={"client_secret": "hunter2"})
    repository.replace(stored.model_copy(update={"spec": stored.spec.model_copy(update={"settings": settings}),
                                                 "version": stored.version + 1}), expected_version=stored.version)
    # then neither the task nor the list shows it
    shown = call(stack, "GET", f"{BASE}/tasks/{task_id}")
    listed = call(stack, "GET", f"{BASE}/tasks")
    assert shown.get_json()["settings"]["client_secret"] == "REDACTED"
    assert "hunter2" not in shown.get_data(as_text=True) and "hunter2" not in listed.get_data(as_text=True)
    # and the placeholder is no name a secret can take
    assert error_of(call(stack, "PUT", f"{BASE}/secrets/REDACTED", body={"value": "x"}), 422)


def test_a_task_stored_before_the_list_index_is_listed(stack: LocalApiStack) -> None:
    # given a task item without the index's sort key (stored by an earlier version)
    environment = fresh_environment(stack)
    created = call(stack, "POST", f"/environments/{environment}/tasks", body={
        "type": "import", "description": "Old import", "frequency": {"every": "day", "time": "06:00"},
        "settings": {"import_name": "Old"}}).get_json()
    table = DynamoTable(table_name=get_settings().require("tasks_table"))
    key = {"pk": f"ENV#{environment}", "sk": f"TASK#{created['task_id']}"}
    table.update(key, update="REMOVE list_sk")
    # when the list is read
    listed = stack.client.get(f"/environments/{environment}/tasks", headers=stack.headers()).get_json()
    # then it is there, and it has its key from now on
    assert [t["task_id"] for t in listed["items"]] == [created["task_id"]]
    assert "list_sk" in (table.get(key) or {})


def test_a_well_formed_token_of_this_listing_pages_from_where_it_points(stack: LocalApiStack) -> None:
    # a client-made position is only a place in this environment's (or task's) own order: no error, no leak
    environment = fresh_environment(stack)
    base = f"/environments/{environment}"
    task_ids = [call(stack, "POST", f"{base}/tasks", body={
        "type": "import", "description": name, "frequency": {"every": "day", "time": "06:00"},
        "settings": {"import_name": name}}).get_json()["task_id"] for name in ("Alpha", "Beta")]
    position = {"pk": f"ENV#{environment}", "sk": f"TASK#{'f' * 32}", "list_sk": "000100\x01b"}
    token = base64.urlsafe_b64encode(json.dumps(position).encode()).decode()
    page = stack.client.get(f"{base}/tasks", query_string={"next_token": token}, headers=stack.headers())
    assert page.status_code == 200 and [t["description"] for t in page.get_json()["items"]] == ["Beta"]
    run_key = {"pk": f"ENV#{environment}#RUN#{'0' * 32}", "sk": "RUN",
               "task_pk": f"ENV#{environment}#TASK#{task_ids[0]}", "task_sk": f"2026-11-23T10:00:00.000Z#{'0' * 32}"}
    run_token = base64.urlsafe_b64encode(json.dumps(run_key).encode()).decode()
    runs = stack.client.get(f"{base}/tasks/{task_ids[0]}/runs", query_string={"next_token": run_token},
                            headers=stack.headers())
    assert runs.status_code == 200 and runs.get_json() == {"items": [], "next_token": None}
