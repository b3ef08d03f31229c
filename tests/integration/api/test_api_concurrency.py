"""Requests served at the same time each get their own answer: the local stack hosts the API function once for
all request threads, where Lambda gives each execution environment one event at a time. Once, a burst of
POSTs created tasks from each other's bodies (the resolver keeps the event it serves on itself)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from werkzeug.test import Client

from tests.integration.api.local_api import ENVIRONMENT, LocalApiStack, local_api_stack

REQUESTS = 24


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalApiStack]:
    with pytest.MonkeyPatch.context() as monkeypatch, local_api_stack(monkeypatch) as running:
        yield running


def test_a_burst_of_creates_gives_each_task_its_own_body(stack: LocalApiStack) -> None:
    start = Barrier(8)

    def create(index: int) -> tuple[int, str, str]:
        if index < 8:
            start.wait()  # the first eight at once
        body = {"type": "feed" if index % 2 else "export", "description": f"Burst {index:02d}", "active": False,
                "frequency": {"every": "day", "time": "03:00"},
                "settings": {"feed_name": f"Burst {index}"} if index % 2 else {"export_name": f"Burst {index}"}}
        answer = Client(stack.app).post(f"/environments/{ENVIRONMENT}/tasks", json=body, headers=stack.headers())
        assert answer.status_code == 201, answer.get_json()
        created = answer.get_json()
        return index, created["description"], created["type"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(create, range(REQUESTS)))
    assert [(description, kind) for _, description, kind in answers] == [
        (f"Burst {index:02d}", "feed" if index % 2 else "export") for index in range(REQUESTS)]
    listed = stack.client.get(f"/environments/{ENVIRONMENT}/tasks?limit=100", headers=stack.headers()).get_json()
    burst = sorted(t["description"] for t in listed["items"] if t["description"].startswith("Burst"))
    assert burst == [f"Burst {index:02d}" for index in range(REQUESTS)]
