"""API latency on the local stack: the task list of an environment with 500 tasks, p50/p95 over real HTTP through
the authorizer and the API handler: one page (the default 50 tasks, each with its computed next run) and a walk
over every page (100 a page, as ``pimtasks tasks list`` does). Two baselines from the same run: a raw paginated
DynamoDB query of the same 500 items against the same emulator (what storage alone costs: the emulator's query
is slow, real DynamoDB is not; a page queries only its own tasks, see ``TaskRepository.page``), and
``GET /health`` (HTTP + API Gateway emulation + handler overhead)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.support import summary_ms

TASKS = 500
REQUESTS = 60


def _timed(call: Any, count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        response = call()
        seconds.append(time.perf_counter() - started)
        assert response.status == 200, response.body
    return seconds


def _raw_queries(state: dict[str, Any], environment: str, count: int) -> list[float]:
    """Plain boto3 paginated queries of the environment's task items, straight at the emulator."""
    import boto3

    dynamodb = boto3.client("dynamodb", endpoint_url=state["emulator_url"], region_name="eu-west-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    paginator = dynamodb.get_paginator("query")
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        found = sum(len(page["Items"]) for page in paginator.paginate(
            TableName=state["tables"]["TasksTable"], KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"ENV#{environment}"}}))
        seconds.append(time.perf_counter() - started)
        assert found == TASKS
    return seconds


def run() -> dict[str, Any]:
    from pimtasks_local.cli import all_pages
    from pimtasks_local.http_client import ApiClient
    from pimtasks_local.launcher import launched_stack

    with tempfile.TemporaryDirectory() as directory, launched_stack(Path(directory), arguments=("--no-seed",)) as stack:
        api_url, key = stack.state["api_url"], stack.state["admin_api_key"]
        client = ApiClient(api_url, api_key=key, timeout=30)
        environment = "000777"
        assert client.post("/environments", {"environment": environment, "name": "Bench"}).status == 201
        for index in range(TASKS):
            created = client.post(f"/environments/{environment}/tasks", {
                "type": "export", "description": f"Export {index}", "sequence_no": index,
                "frequency": {"every": "day", "time": f"{index % 24:02d}:{index % 60:02d}"},
                "settings": {"export_name": f"Export {index}"}})
            assert created.status == 201, created.body
        raw_query = _raw_queries(stack.state, environment, REQUESTS)
        health = _timed(lambda: client.get("/health"), REQUESTS)
        path = f"/environments/{environment}/tasks"
        listing = _timed(lambda: client.get(path), REQUESTS)
        walks = _timed(lambda: all_pages(client, path), REQUESTS // 4)
        first_page, every_task = client.get(path), all_pages(client, path)
    health_summary, list_summary, raw_summary = summary_ms(health), summary_ms(listing), summary_ms(raw_query)
    walk_summary = summary_ms(walks)
    return {
        "tasks_on_first_page": len(first_page.body["items"]),
        "first_page_bytes": len(json.dumps(first_page.body)),
        "tasks_listed_over_all_pages": len(every_task.body["items"]),
        "first_page": list_summary,
        "all_pages_500_tasks": walk_summary,
        "raw_query_baseline": raw_summary,
        "p50_ratio_to_raw_query": round(list_summary["p50_ms"] / raw_summary["p50_ms"], 2),
        "p95_ratio_to_raw_query": round(list_summary["p95_ms"] / raw_summary["p95_ms"], 2),
        "all_pages_p50_ratio_to_raw_query": round(walk_summary["p50_ms"] / raw_summary["p50_ms"], 2),
        "health_baseline": health_summary,
        "p50_ratio_to_health": round(list_summary["p50_ms"] / health_summary["p50_ms"], 1),
        "p95_ratio_to_health": round(list_summary["p95_ms"] / health_summary["p95_ms"], 1),
    }


if __name__ == "__main__":
    print(run())
