"""Issue 4 over the local stack: FTPS users through the API, and a file delivered by FTPS that starts the
AutoImport task exactly like a manual upload."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.local_stack import LocalStack
from tests.e2e.test_imports import DEMO_FILE, keys_under, new_finished_run, run_ids, task_by_description
from tests.integration.ftps.harness import logged_in


def test_ftps_users_are_managed_per_environment_without_showing_passwords(local_stack: LocalStack) -> None:
    created = local_stack.post("/environments/000001/ftps-users", {"username": "supplier-acme"})
    assert created.status == 201, created.body
    assert created.body["environment"] == "000001" and len(created.body["password"]) >= 16  # generated, shown once
    listed = local_stack.get("/environments/000001/ftps-users").body["items"]
    assert [u["username"] for u in listed] == ["supplier-acme"]
    assert set(listed[0]) == {"username", "environment", "created_at", "password_changed_at", "last_login_at",
                              "locked_until"}  # never the password or its hash
    local_stack.post("/environments", {"environment": "000043", "name": "Elsewhere"})
    other_key = local_stack.post("/api-keys", {"environments": ["000043"]}).body["api_key"]
    assert local_stack.get("/environments/000001/ftps-users", api_key=other_key).status == 403
    reset = local_stack.post("/environments/000001/ftps-users/supplier-acme/reset-password", {})
    assert reset.status == 200 and reset.body["password"] != created.body["password"]
    assert local_stack.delete("/environments/000001/ftps-users/supplier-acme").status == 204
    assert local_stack.get("/environments/000001/ftps-users").body["items"] == []


def test_a_file_delivered_by_ftps_starts_the_auto_import(local_stack: LocalStack) -> None:
    user = local_stack.post("/environments/000001/ftps-users",
                            {"username": "supplier-apac", "password": "a-long-enough-password-1"}).body
    task = task_by_description(local_stack, "Weekly import of sales conditions for APAC")
    before = run_ids(local_stack, task["task_id"])
    certificate = Path(local_stack.state["ftps_certificate"])
    with logged_in(local_stack.ftps_port, certificate, username=user["username"],
                   password="a-long-enough-password-1") as ftp:
        assert sorted(ftp.nlst("/")) == ["Archived", "Downloads", "Uploads"]
        with DEMO_FILE.open("rb") as content:
            ftp.storbinary("STOR /Uploads/Sales conditions APAC/apac-by-ftps.xlsx", content)
    run = new_finished_run(local_stack, task["task_id"], before=before)
    assert run["trigger"] == "upload" and run["counts"]["read"] == 26
    archived = keys_under(local_stack, "environments/000001/Archived/Sales conditions APAC/")
    assert any(key.endswith("/apac-by-ftps.xlsx") for key in archived)
