"""End-to-end import time on the local stack: the 100,000-row, 16-column sales-conditions XLSX of
``bench_import_reading`` uploaded through the API's presigned URL, imported by AutoImport (S3 event -> SQS ->
import function -> catalog in the emulator's DynamoDB) until the run has ended. Reported as seconds and rows/s,
and as a ratio to plain python-calamine iteration over the same file in the same run (how much of the time is
reading at all).

Then the same file is uploaded again: every row is already in the catalog, so the second run only compares
(``unchanged``). Comparing a file with the catalog must cost less than writing it: ``ratio_unchanged_to_create``
(the re-import's seconds over the first import's) must stay below 1.
"""

from __future__ import annotations

import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.bench_import_reading import XLSX_ROWS, _measure_calamine, conditions_xlsx

TASK = {
    "type": "import", "description": "Bench: sales conditions", "frequency": {"every": "day", "time": "03:00"},
    "notification": {"emails": [], "when": "never"},
    "settings": {"import_name": "Bench conditions", "target": "sales_conditions", "auto_import": True,
                 "archived": True},
}


def _upload(url: str, path: Path) -> None:
    with path.open("rb") as body:
        request = urllib.request.Request(url, data=body, method="PUT",
                                         headers={"Content-Type": "application/octet-stream",
                                                  "Content-Length": str(path.stat().st_size)})
        with urllib.request.urlopen(request, timeout=300) as response:
            response.read()


def _finished_run(client: Any, task_id: str, *, timeout: float, known: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The task's newest run once it has ended (a run not in ``known``: an earlier upload's)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = client.get(f"/environments/000001/tasks/{task_id}/runs").body["items"]
        if runs and runs[0]["run_id"] not in known and runs[0]["status"] not in ("queued", "running"):
            return dict(runs[0])
        time.sleep(1)
    raise TimeoutError("the import run did not end in time")


def _imported(client: Any, task_id: str, workbook: Path, *, known: frozenset[str]) -> tuple[dict[str, Any], float]:
    """Upload ``workbook`` through a presigned URL and wait for its AutoImport run: (the run, seconds)."""
    ticket = client.post("/environments/000001/uploads",
                         {"import_name": "Bench conditions", "file_name": workbook.name}).body
    started = time.perf_counter()
    _upload(ticket["url"], workbook)
    finished = _finished_run(client, task_id, timeout=1200, known=known)
    return finished, time.perf_counter() - started


def run() -> dict[str, Any]:
    from pimtasks_local.http_client import ApiClient
    from pimtasks_local.launcher import launched_stack

    workbook = conditions_xlsx()
    calamine_seconds = _measure_calamine(workbook)["seconds"]
    with tempfile.TemporaryDirectory() as directory, launched_stack(Path(directory)) as stack:
        client = ApiClient(stack.state["api_url"], api_key=stack.state["admin_api_key"], timeout=60)
        task = client.post("/environments/000001/tasks", TASK).body
        created, seconds = _imported(client, task["task_id"], workbook, known=frozenset())
        unchanged, reimport_seconds = _imported(client, task["task_id"], workbook,
                                                known=frozenset({created["run_id"]}))
    return {
        "rows": XLSX_ROWS, "status": created["status"], "counts": created["counts"],
        "invocations": created.get("invocations"),
        "end_to_end_seconds": round(seconds, 1), "rows_per_second": round(XLSX_ROWS / seconds),
        "calamine_iteration_seconds": round(calamine_seconds, 2),
        "ratio_to_calamine_iteration": round(calamine_seconds / seconds, 3),
        "reimport_status": unchanged["status"], "reimport_counts": unchanged["counts"],
        "unchanged_reimport_seconds": round(reimport_seconds, 1),
        "ratio_unchanged_to_create": round(reimport_seconds / seconds, 2),
        "ratio_unchanged_to_create_target": "< 1",
    }


if __name__ == "__main__":
    print(run())
