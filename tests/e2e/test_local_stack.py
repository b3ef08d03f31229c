"""Smoke test of the local stack itself: it serves, guards its API and exposes the local endpoints."""

from __future__ import annotations

import time

import pytest
from pimtasks_local import cli

from tests.e2e.local_stack import LocalStack


def test_health_answers_without_a_key(local_stack: LocalStack) -> None:
    response = local_stack.get("/health", api_key=None)

    assert response.status == 200


def test_a_request_without_a_key_is_unauthorized(local_stack: LocalStack) -> None:
    response = local_stack.get("/environments/000001/tasks", api_key=None)

    assert response.status == 401
    assert response.body == {"message": "Unauthorized"}


def test_the_admin_key_lists_the_demo_tasks(local_stack: LocalStack) -> None:
    response = local_stack.get("/environments/000001/tasks")

    assert response.status == 200
    descriptions = {task["description"] for task in response.body["items"]}
    assert "Weekly import of sales conditions for APAC" in descriptions


def test_local_mail_answers_for_the_admin(local_stack: LocalStack) -> None:
    assert local_stack.get("/_local/mail", api_key=None).status == 401

    response = local_stack.get("/_local/mail")

    assert response.status == 200
    assert isinstance(response.body, list)


def test_the_demo_tasks_have_schedules_in_the_emulator(local_stack: LocalStack) -> None:
    scheduler = local_stack.aws("scheduler")
    group = f"{local_stack.state['schedule_group_prefix']}-000001"

    deadline = time.monotonic() + 10  # the tasks stream is polled: schedules follow within a second or so
    schedules: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        schedules = scheduler.list_schedules(GroupName=group)["Schedules"]
        if len(schedules) == len(local_stack.state["demo_task_ids"]):
            break
        time.sleep(0.2)

    assert len(schedules) == len(local_stack.state["demo_task_ids"])


def test_the_cli_lists_tasks_and_reports_api_errors(
    local_stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    connection = ["--api-url", local_stack.api_url, "--api-key", local_stack.admin_key]

    assert cli.main([*connection, "tasks", "list"]) == 0
    assert "Weekly import of sales conditions for APAC" in capsys.readouterr().out

    assert cli.main([*connection, "runs", "show", "0" * 32]) == 1
    assert "404" in capsys.readouterr().err


def test_the_cli_lists_the_catalog_fields_of_a_target(
    local_stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    connection = ["--api-url", local_stack.api_url, "--api-key", local_stack.admin_key]

    assert cli.main([*connection, "catalog", "fields", "--target", "sales_conditions"]) == 0
    out = capsys.readouterr().out
    assert "exactly one of discount_group, article_number, gtin" in out and "net_price" in out
