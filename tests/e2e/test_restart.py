"""Restarting the local stack over its state directory (issue 8, item 15).

One scenario, three starts of the stack on one state directory:

1. a new environment, a key bound to it and an import task; a file uploaded and imported; a second, big
   file whose import is running when the stack is killed with SIGKILL (after a snapshot that shows it), as
   is a multipart upload (an FTPS delivery);
2. a restart keeps environments, keys, tasks, runs, files and catalog, prints the same admin key, seeds no
   second demo environment, the run the kill interrupted is failed by the sweeper and the unfinished
   upload is gone;
3. a clean stop and a start with ``--fresh`` begins empty again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pimtasks_local.emulator_state import EmulatorState
from pimtasks_local.launcher import LaunchedStack, launched_stack

from tests.e2e import test_imports as imports
from tests.e2e.local_stack import LocalStack
from tests.e2e.test_platform import eventually

ENVIRONMENT = "000002"
IMPORT_NAME = "Supplier products"
KEPT_ROWS = 50
BIG_ROWS = 200_000  # minutes of work: it is surely still running when the stack is killed
IMPORT_TASK: dict[str, Any] = {
    "type": "import",
    "description": "Products from the supplier",
    "frequency": {"every": "day", "time": "03:00"},
    "notification": {"emails": [], "when": "never"},
    "settings": {"import_name": IMPORT_NAME, "target": "products", "auto_import": True, "archived": True},
}


def handle(launched: LaunchedStack) -> LocalStack:
    state = launched.state
    return LocalStack(api_url=state["api_url"], admin_key=state["admin_api_key"], emulator_url=state["emulator_url"],
                      ftps_port=state.get("ftps_port"), state=state, state_dir=launched.state_dir,
                      log_path=launched.log_path)


def products(rows: int, *, prefix: str) -> bytes:
    lines = ["article_number;brand;gross_price;currency;order_unit"]
    lines += [f"{prefix}-{number:07d};Acme;{number % 1000},{number % 100:02d};EUR;C62" for number in range(rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def upload(stack: LocalStack, *, key: str, file_name: str, content: bytes) -> str:
    return imports.upload(stack, import_name=IMPORT_NAME, file_name=file_name, content=content,
                          environment=ENVIRONMENT, api_key=key)


def runs(stack: LocalStack, task_id: str, key: str) -> list[dict[str, Any]]:
    reply = stack.get(f"/environments/{ENVIRONMENT}/tasks/{task_id}/runs", api_key=key)
    assert reply.status == 200, reply.body
    return list(reply.body["items"])


def object_body(stack: LocalStack, key: str) -> bytes:
    return bytes(stack.aws("s3").get_object(Bucket=stack.state["bucket"], Key=key)["Body"].read())


def catalog_count(stack: LocalStack, prefix: str) -> int:
    pages = stack.aws("dynamodb").get_paginator("scan").paginate(
        TableName=stack.state["tables"]["CatalogTable"], Select="COUNT",
        FilterExpression="begins_with(pk, :prefix)", ExpressionAttributeValues={":prefix": {"S": prefix}})
    return sum(page["Count"] for page in pages)


def snapshot_taken_after(state_dir: Path, moment: dt.datetime) -> bool:
    header = EmulatorState(state_dir / "emulator").header() or {}
    taken = header.get("taken_at")
    return bool(taken) and dt.datetime.fromisoformat(str(taken).replace("Z", "+00:00")) > moment


@dataclass
class Before:
    """What the first stack made, and the second stack running over its state."""

    admin_key: str
    key: str
    task_id: str
    imported_run: dict[str, Any]
    interrupted_run_id: str
    big_upload: str
    big_content: bytes
    demo_tasks: int
    restarted: LaunchedStack
    stack: LocalStack


@pytest.fixture(scope="module")
def before(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Before]:
    state_dir = tmp_path_factory.mktemp("restart")
    with launched_stack(state_dir) as first:
        stack = handle(first)
        assert stack.post("/environments", {"environment": ENVIRONMENT, "name": "Restart test"}).status == 201
        issued = stack.post("/api-keys", {"environments": [ENVIRONMENT], "description": "restart test"})
        assert issued.status == 201, issued.body
        key = issued.body["api_key"]
        task = stack.post(f"/environments/{ENVIRONMENT}/tasks", IMPORT_TASK, api_key=key)
        assert task.status == 201, task.body
        task_id = task.body["task_id"]
        upload(stack, key=key, file_name="kept.csv", content=products(KEPT_ROWS, prefix="KEEP"))
        imported = eventually(lambda: [r for r in runs(stack, task_id, key) if r["status"] == "succeeded"],
                              seconds=60, what="the first import")[0]
        big_content = products(BIG_ROWS, prefix="BIG")
        big_upload = upload(stack, key=key, file_name="big.csv", content=big_content)
        running = eventually(lambda: [r for r in runs(stack, task_id, key) if r["status"] == "running"],
                             seconds=60, what="the big import to run")[0]
        seen_running = dt.datetime.now(dt.UTC)
        eventually(lambda: snapshot_taken_after(state_dir, seen_running), seconds=30,
                   what="a snapshot of the running import")
        demo_tasks = len(stack.get("/environments/000001/tasks").body["items"])
        unfinished = f"environments/{ENVIRONMENT}/Uploads/{IMPORT_NAME}/by-ftps.csv"  # as the FTPS gateway does it
        s3 = stack.aws("s3")
        upload_id = s3.create_multipart_upload(Bucket=stack.state["bucket"], Key=unfinished)["UploadId"]
        s3.upload_part(Bucket=stack.state["bucket"], Key=unfinished, UploadId=upload_id, PartNumber=1, Body=b"x")
        unfinished_at = dt.datetime.now(dt.UTC)
        eventually(lambda: snapshot_taken_after(state_dir, unfinished_at), seconds=30, what="a snapshot")
        first.kill()
    with launched_stack(state_dir) as second:
        yield Before(admin_key=stack.admin_key, key=key, task_id=task_id, imported_run=imported,
                     interrupted_run_id=running["run_id"], big_upload=big_upload, big_content=big_content,
                     demo_tasks=demo_tasks, restarted=second, stack=handle(second))


def test_a_restart_says_it_restored_the_state_and_keeps_the_admin_key(before: Before) -> None:
    assert "RESTORED from" in before.restarted.output()
    assert before.stack.admin_key == before.admin_key

    environments = before.stack.get("/environments", api_key=before.admin_key).body["items"]

    assert sorted(e["environment"] for e in environments) == ["000001", ENVIRONMENT]
    assert len(before.stack.get("/environments/000001/tasks").body["items"]) == before.demo_tasks


def test_keys_tasks_runs_files_and_catalog_survive_a_kill(before: Before) -> None:
    stack = before.stack

    tasks = stack.get(f"/environments/{ENVIRONMENT}/tasks", api_key=before.key)

    assert tasks.status == 200, tasks.body
    assert [t["task_id"] for t in tasks.body["items"]] == [before.task_id]
    kept_run = next(r for r in runs(stack, before.task_id, before.key) if r["run_id"] == before.imported_run["run_id"])
    assert kept_run["status"] == "succeeded" and kept_run["counts"] == before.imported_run["counts"]
    archived = next(f["key"] for f in kept_run["files"] if f["role"] == "archived")
    assert object_body(stack, f"environments/{ENVIRONMENT}/{archived}") == products(KEPT_ROWS, prefix="KEEP")
    assert object_body(stack, before.big_upload) == before.big_content  # an 8 MB body, kept whole
    assert catalog_count(stack, f"ENV#{ENVIRONMENT}#PRODUCT#KEEP-") == KEPT_ROWS


def test_uploads_the_kill_left_unfinished_are_not_kept(before: Before) -> None:
    # nobody could finish them: the FTPS connection died with the stack
    assert before.stack.aws("s3").list_multipart_uploads(Bucket=before.stack.state["bucket"]).get("Uploads", []) == []


def test_the_run_the_kill_interrupted_is_failed_by_the_sweeper_at_once(before: Before) -> None:
    run = before.stack.get(f"/environments/{ENVIRONMENT}/runs/{before.interrupted_run_id}", api_key=before.key).body

    assert run["status"] == "failed", run
    assert "stopped responding" in run["error"]
    assert before.interrupted_run_id in before.stack.state["runs_ended_at_start"]
    task = before.stack.get(f"/environments/{ENVIRONMENT}/tasks/{before.task_id}", api_key=before.key).body
    assert task["last_run"]["run_id"] == before.interrupted_run_id


def test_a_clean_stop_and_a_fresh_start_begin_empty(before: Before) -> None:
    assert before.restarted.stop() == 0  # saves once more on the way out

    with launched_stack(before.restarted.state_dir, arguments=("--fresh",)) as fresh:
        stack = handle(fresh)
        assert "EMPTY (--fresh" in fresh.output()
        assert stack.get("/health").status == 200
        assert stack.get("/environments", api_key=before.admin_key).status == 401
        assert stack.get(f"/environments/{ENVIRONMENT}/tasks", api_key=before.key).status == 401
        assert [e["environment"] for e in stack.get("/environments").body["items"]] == ["000001"]
