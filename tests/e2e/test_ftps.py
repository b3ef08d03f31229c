"""Issue 4 over the local stack: FTPS users through the API, and a file delivered by FTPS that starts the
AutoImport task exactly like a manual upload."""

from __future__ import annotations

import ftplib
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.local_stack import LocalStack
from tests.e2e.test_imports import DEMO_FILE, keys_under, new_finished_run, run_ids, task_by_description
from tests.integration.ftps.harness import ReusingFTP_TLS, connect, logged_in, tls_context

# Below the gateway's 16 sessions per address; each session's refusal waits (1 s up to 8 s), in parallel.
BURST = 12
PASSWORD = "a-long-enough-password-2"
SUBFOLDER_REPLY = r"^550 subfolders of an import are never imported"


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


def test_a_burst_of_wrong_passwords_locks_the_account_even_for_the_right_one(local_stack: LocalStack) -> None:
    password = "the-right-password-42"
    local_stack.post("/environments/000001/ftps-users", {"username": "burst-target", "password": password})
    certificate = Path(local_stack.state["ftps_certificate"])
    start = threading.Barrier(BURST, timeout=120)

    def wrong_password(n: int) -> str:
        ftp = ReusingFTP_TLS(context=tls_context(certificate), timeout=120)
        try:
            ftp.connect("127.0.0.1", local_stack.ftps_port)
            ftp.auth()
            ftp.sendcmd("USER burst-target")
            start.wait()
            return ftp.sendcmd(f"PASS wrong-{n}")
        except ftplib.error_perm as refused:
            return str(refused)[:3]
        finally:
            ftp.close()

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        replies = list(pool.map(wrong_password, range(BURST)))

    assert replies == ["530"] * BURST
    with pytest.raises(ftplib.error_perm, match="530"):
        connect(local_stack.ftps_port, certificate, username="burst-target", password=password)
    [user] = [u for u in local_stack.get("/environments/000001/ftps-users").body["items"]
              if u["username"] == "burst-target"]
    assert user["locked_until"] is not None and user["last_login_at"] is None


def test_ftps_refuses_subfolders_of_an_import(local_stack: LocalStack) -> None:
    local_stack.post("/environments/000001/ftps-users", {"username": "supplier-nested", "password": PASSWORD})
    certificate = Path(local_stack.state["ftps_certificate"])
    with logged_in(local_stack.ftps_port, certificate, username="supplier-nested", password=PASSWORD) as ftp:
        with pytest.raises(ftplib.error_perm, match=SUBFOLDER_REPLY):
            ftp.mkd("/Uploads/Sales conditions APAC/sub")
        with pytest.raises(ftplib.error_perm, match=SUBFOLDER_REPLY):
            ftp.storbinary("STOR /Uploads/Sales conditions APAC/sub/dir/x.xlsx", io.BytesIO(b"x"))
