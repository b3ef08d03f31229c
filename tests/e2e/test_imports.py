"""Imports end to end on the local stack: a manual upload (presigned PUT) starts AutoImport and lands in the
catalog and the archive; a long import can be started, refused a second start, and stopped."""

from __future__ import annotations

import csv
import io
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.e2e.local_stack import ADMIN, LocalStack
from tests.e2e.test_platform import eventually

DEMO_FILE = (Path(__file__).resolve().parents[2] / "local" / "pimtasks_local" / "demo_files"
             / "sales-conditions-apac.xlsx")


def task_by_description(stack: LocalStack, text: str) -> dict[str, Any]:
    return next(t for t in stack.get("/environments/000001/tasks").body["items"] if text in t["description"])


def upload(stack: LocalStack, *, import_name: str, file_name: str, content: bytes, environment: str = "000001",
           api_key: str | None = ADMIN) -> str:
    ticket = stack.post(f"/environments/{environment}/uploads", {"import_name": import_name, "file_name": file_name},
                        api_key=api_key)
    assert ticket.status == 201, ticket.body
    # a binary content type, as browsers and curl -T send (urllib's default is a form encoding)
    request = urllib.request.Request(ticket.body["url"], data=content, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
    return str(ticket.body["key"])


def keys_under(stack: LocalStack, prefix: str) -> list[str]:
    s3 = stack.aws("s3")
    listed = s3.list_objects_v2(Bucket=stack.state["bucket"], Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def run_ids(stack: LocalStack, task_id: str) -> set[str]:
    return {r["run_id"] for r in stack.get(f"/environments/000001/tasks/{task_id}/runs").body["items"]}


def new_finished_run(stack: LocalStack, task_id: str, *, before: set[str]) -> dict[str, Any]:
    """The first run of the task that is not in ``before``, once it has ended."""

    def probe() -> Any:
        runs = stack.get(f"/environments/000001/tasks/{task_id}/runs").body["items"]
        fresh = [r for r in runs if r["run_id"] not in before and r["status"] not in ("queued", "running")]
        return fresh[0] if fresh else None

    found: dict[str, Any] = eventually(probe, seconds=60, what="the AutoImport run of the upload")
    return found


def products_csv(rows: int) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";")
    writer.writerow(["article_number", "brand", "gross_price", "currency", "order_unit"])
    for number in range(rows):
        writer.writerow([f"ART-{number:07d}", "Acme", f"{number % 1000},{number % 100:02d}", "EUR", "C62"])
    return text.getvalue().encode("utf-8")


def test_a_manual_upload_auto_imports_into_the_catalog_and_the_archive(local_stack: LocalStack) -> None:
    task = task_by_description(local_stack, "Weekly import of sales conditions for APAC")
    content = DEMO_FILE.read_bytes()
    before = run_ids(local_stack, task["task_id"])
    key = upload(local_stack, import_name="Sales conditions APAC", file_name="apac-week-48.xlsx", content=content)
    run = new_finished_run(local_stack, task["task_id"], before=before)
    assert run["trigger"] == "upload"
    assert run["status"] == "partially_succeeded", run
    assert run["counts"]["read"] == 26 and run["counts"]["rejected"] == 2
    # the same rows may have come in before (by FTPS in another test): then they are unchanged, not new
    assert run["counts"]["created"] + run["counts"]["unchanged"] == 24
    rejected = [m for m in run["messages"] if m["level"] == "error"]
    assert rejected[0]["row"] == 26 and rejected[0]["column"] == "Nettoprijs" and rejected[0]["value"] == "twaalf"
    assert key not in keys_under(local_stack, "environments/000001/Uploads/")
    archived = keys_under(local_stack, "environments/000001/Archived/Sales conditions APAC/")
    assert any(k.endswith("/apac-week-48.xlsx") for k in archived)
    mails = eventually(lambda: [m for m in local_stack.get("/_local/mail").body
                                if "Weekly import of sales conditions for APAC" in m["subject"]],
                       what="the run report")
    assert "read" in mails[-1]["body"]


def test_a_long_import_can_be_started_once_and_stopped(local_stack: LocalStack) -> None:
    task = task_by_description(local_stack, "Daily product import")
    key = upload(local_stack, import_name="Products", file_name="products-full.csv", content=products_csv(200_000))
    base = f"/environments/000001/tasks/{task['task_id']}"
    started = local_stack.post(f"{base}/start")
    assert started.status == 202, started.body
    again = local_stack.post(f"{base}/start")
    assert again.status == 409, again.body
    run_path = f"/environments/000001/runs/{started.body['run_id']}"
    eventually(lambda: local_stack.get(run_path).body["status"] == "running", what="the run to start")
    stopped = local_stack.post(f"{base}/stop")
    assert stopped.status == 202, stopped.body
    ended = eventually(lambda: (r := local_stack.get(run_path).body)["status"] not in ("queued", "running") and r,
                       seconds=60, what="the run to stop")
    assert ended["status"] == "cancelled", ended
    assert ended["counts"]["read"] < 200_000
    assert key in keys_under(local_stack, "environments/000001/Uploads/Products/")  # nothing lost
    time.sleep(0.5)
    assert local_stack.post(f"{base}/stop").status == 409


def test_an_empty_upload_fails_its_run_as_an_empty_file_and_a_temporary_name_gets_no_url(
        local_stack: LocalStack) -> None:
    task = task_by_description(local_stack, "Weekly import of sales conditions for APAC")
    before = run_ids(local_stack, task["task_id"])
    upload(local_stack, import_name="Sales conditions APAC", file_name="apac-empty.xlsx", content=b"")
    run = new_finished_run(local_stack, task["task_id"], before=before)
    assert run["trigger"] == "upload" and run["status"] == "failed", run
    about_file = [m for m in run["messages"] if m.get("file") == "apac-empty.xlsx"]
    assert any(m["level"] == "error" and "empty file" in m["text"] for m in about_file), run["messages"]
    failed = keys_under(local_stack, "environments/000001/Failed/Sales conditions APAC/")
    assert any(k.endswith(f"/{run['run_id']}/apac-empty.xlsx") for k in failed)

    refused = local_stack.post("/environments/000001/uploads",
                               {"import_name": "Sales conditions APAC", "file_name": "apac.xlsx.part"})
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "file_name"
    assert ".part" in refused.body["errors"][0]["message"]
