"""The REST contract: status codes, error bodies, auth isolation, task JSON."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api.conftest import Api
from tests.integration.core.harness import RecordingInvoker

WEEKLY = {
    "type": "import",
    "description": "Weekly import of sales conditions for APAC",
    "frequency": {"every": "week", "days": ["MON"], "time": "12:53", "timezone": "Europe/Amsterdam"},
    "sequence_no": 10,
    "notification": {"emails": ["sales@example.com"], "when": "failure"},
    "settings": {"import_name": "Sales conditions APAC", "target": "sales_conditions", "auto_import": True},
}


@pytest.fixture
def invoker(monkeypatch: pytest.MonkeyPatch) -> RecordingInvoker:
    recording = RecordingInvoker()
    monkeypatch.setattr("pimtasks.wiring.function_invoker", lambda: recording)
    return recording


def create(api: Api, body: dict[str, Any] | None = None, env: str = "000001") -> dict[str, Any]:
    reply = api.call("POST", f"/environments/{env}/tasks", key=api.admin_key, body=body or WEEKLY)
    assert reply.status == 201, reply.body
    return reply.body


def test_health_needs_no_key_and_everything_else_does(api: Api) -> None:
    assert api.call("GET", "/health").status == 200
    assert api.call("GET", "/environments/000001/tasks").status == 401
    assert api.call("GET", "/environments/000001/tasks", key="ptk_0000000000000000_wrong").status == 401


def test_created_task_has_the_contract_fields(api: Api) -> None:
    task = create(api)
    assert set(task) == {"task_id", "environment", "active", "type", "description", "frequency", "sequence_no",
                         "notification", "settings", "next_run_at", "last_run", "created_at", "updated_at"}
    assert task["type"] == "import" and task["environment"] == "000001"
    assert task["next_run_at"].endswith(("+01:00", "+02:00")) and "T12:53:00" in task["next_run_at"]
    assert api.call("GET", f"/environments/000001/tasks/{task['task_id']}", key=api.admin_key).body == task
    listed = api.call("GET", "/environments/000001/tasks", key=api.admin_key).body
    assert [t["task_id"] for t in listed["items"]] == [task["task_id"]]


def test_missing_description_is_a_422_naming_description(api: Api) -> None:
    body = {k: v for k, v in WEEKLY.items() if k != "description"}
    reply = api.call("POST", "/environments/000001/tasks", key=api.admin_key, body=body)
    assert reply.status == 422
    assert [e["field"] for e in reply.body["errors"]] == ["description"]
    assert "description" in reply.body["message"]


def test_unknown_type_lists_the_valid_ones(api: Api) -> None:
    reply = api.call("POST", "/environments/000001/tasks", key=api.admin_key, body={**WEEKLY, "type": "fax"})
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == "type"
    assert "import_etim" in reply.body["errors"][0]["message"] and "export_artikelbeheer" in reply.body["message"]


def test_nested_errors_name_the_nested_field(api: Api) -> None:
    body = {**WEEKLY, "frequency": {"every": "week", "days": ["MON"], "time": "25:00"}}
    reply = api.call("POST", "/environments/000001/tasks", key=api.admin_key, body=body)
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "frequency.time"
    body = {**WEEKLY, "settings": {"import_name": "../escape"}}
    reply = api.call("POST", "/environments/000001/tasks", key=api.admin_key, body=body)
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "settings.import_name"


def test_artikelbeheer_settings_that_do_not_fit_the_transport_are_a_422_naming_the_field(api: Api) -> None:
    gln = "8712345000004"
    for settings, field in (({"supplier_gln": gln, "transport": "sftp"}, "settings.remote"),
                            ({"supplier_gln": gln, "upload_url": "https://upload.example.nl", "username": "u"},
                             "settings.password"),
                            ({"supplier_gln": gln, "username": "u", "password": "x"}, "settings.upload_url"),
                            ({"supplier_gln": "8712345000005", "upload_url": "https://upload.example.nl",
                              "username": "u", "password": "x"},
                             "settings.supplier_gln"),
                            ({"supplier_gln": gln, "transport": "ftp"}, "settings.transport")):
        body = {**WEEKLY, "type": "export_artikelbeheer", "settings": settings}
        reply = api.call("POST", "/environments/000001/tasks", key=api.admin_key, body=body)
        assert reply.status == 422, reply.body
        assert [e["field"] for e in reply.body["errors"]] == [field], reply.body


def test_credentials_are_secret_names_and_secret_values_never_come_back(api: Api) -> None:
    etim = {"type": "import_etim", "description": "ETIM", "frequency": {"every": "day", "time": "06:00"},
            "settings": {"client_id": "me", "client_secret": "etim-secret", "client_secret_value": "hunter2"}}
    assert api.call("POST", "/environments/000001/tasks", key=api.admin_key, body=etim).status == 422
    put = api.call("PUT", "/environments/000001/secrets/etim-secret", key=api.admin_key, body={"value": "hunter2"})
    assert put.status == 200 and "hunter2" not in str(put.body)
    listed = api.call("GET", "/environments/000001/secrets", key=api.admin_key)
    assert [s["name"] for s in listed.body["items"]] == ["etim-secret"] and "hunter2" not in str(listed.body)


def test_a_key_of_another_environment_gets_403(api: Api) -> None:
    task = create(api)
    issued = api.call("POST", "/api-keys", key=api.admin_key, body={"environments": ["000002"]})
    assert issued.status == 201
    other_key = issued.body["api_key"]
    assert api.call("GET", "/environments/000001/tasks", key=other_key).status == 403
    assert api.call("GET", f"/environments/000001/tasks/{task['task_id']}", key=other_key).status == 403
    assert api.call("GET", "/environments/000002/tasks", key=other_key).status == 200
    # and an environment key cannot act as admin
    assert api.call("POST", "/api-keys", key=other_key, body={"environments": ["000001"]}).status == 403
    listed_keys = api.call("GET", "/api-keys", key=api.admin_key).body["items"]
    assert all("api_key" not in k and "key_hash" not in k for k in listed_keys)


def test_unknown_ids_are_404(api: Api) -> None:
    missing = "0" * 32
    assert api.call("GET", f"/environments/000001/tasks/{missing}", key=api.admin_key).status == 404
    assert api.call("GET", f"/environments/000001/runs/{missing}", key=api.admin_key).status == 404
    assert api.call("GET", "/environments/000009/tasks", key=api.admin_key).status == 404


def test_put_patch_delete(api: Api) -> None:
    task = create(api)
    path = f"/environments/000001/tasks/{task['task_id']}"
    patched = api.call("PATCH", path, key=api.admin_key, body={"active": False, "sequence_no": 5})
    assert patched.status == 200 and patched.body["active"] is False and patched.body["next_run_at"] is None
    replaced = api.call("PUT", path, key=api.admin_key, body={**WEEKLY, "description": "Renamed"})
    assert replaced.status == 200 and replaced.body["description"] == "Renamed" and replaced.body["active"] is True
    assert api.call("PUT", path, key=api.admin_key, body={**WEEKLY, "type": "export",
                                                          "settings": {"export_name": "x"}}).status == 422
    assert api.call("DELETE", path, key=api.admin_key).status == 204
    assert api.call("GET", path, key=api.admin_key).status == 404


def test_start_is_202_then_409_and_stop_cancels(api: Api, invoker: RecordingInvoker) -> None:
    task = create(api)
    base = f"/environments/000001/tasks/{task['task_id']}"
    started = api.call("POST", f"{base}/start", key=api.admin_key)
    assert started.status == 202 and started.body["status"] == "queued"
    assert api.call("POST", f"{base}/start", key=api.admin_key).status == 409
    stopped = api.call("POST", f"{base}/stop", key=api.admin_key)
    assert stopped.status == 202 and stopped.body["status"] == "cancelled"
    assert api.call("POST", f"{base}/stop", key=api.admin_key).status == 409
    runs = api.call("GET", f"{base}/runs", key=api.admin_key)
    assert [r["run_id"] for r in runs.body["items"]] == [started.body["run_id"]]
    run = api.call("GET", f"/environments/000001/runs/{started.body['run_id']}", key=api.admin_key)
    assert run.body["status"] == "cancelled" and "checkpoint" not in run.body


def test_upload_gives_a_presigned_put_into_the_import_folder(api: Api) -> None:
    create(api)
    reply = api.call("POST", "/environments/000001/uploads", key=api.admin_key,
                     body={"import_name": "Sales conditions APAC", "file_name": "apac.xlsx"})
    assert reply.status == 201
    assert reply.body["key"] == "environments/000001/Uploads/Sales conditions APAC/apac.xlsx"
    assert reply.body["method"] == "PUT" and "Signature" in reply.body["url"]
    bad = api.call("POST", "/environments/000001/uploads", key=api.admin_key,
                   body={"import_name": "Sales conditions APAC", "file_name": "../../000002/x.csv"})
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "file_name"
    unknown = api.call("POST", "/environments/000001/uploads", key=api.admin_key,
                       body={"import_name": "Nope", "file_name": "x.csv"})
    assert unknown.status == 422 and "Sales conditions APAC" in unknown.body["message"]


def test_upload_urls_are_signed_with_sigv4(api: Api) -> None:
    # buckets created since 2020 refuse SigV2 signatures
    create(api)
    reply = api.call("POST", "/environments/000001/uploads", key=api.admin_key,
                     body={"import_name": "Sales conditions APAC", "file_name": "apac.xlsx"})
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in reply.body["url"]
