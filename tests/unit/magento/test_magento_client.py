"""The Magento client against the local server: backoff, admin tokens; and removals pushed as disable/delete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from pimtasks.domain.catalog_changes import ProductChange
from pimtasks.domain.run import Run, RunStatus, Trigger
from pimtasks.domain.task import Task, TaskSpec
from pimtasks.magento.client import AdminToken, BearerToken, MagentoClient, RetryPolicy
from pimtasks.magento.errors import MagentoAuthError, MagentoUnavailableError, NotMagentoError
from pimtasks.magento.push import MagentoPush
from pimtasks.magento.state import MemoryPushState
from pimtasks.services.run_job import RunJob
from pydantic import TypeAdapter

from tests.integration.core.harness import FakeClock
from tests.support.magento_server import MagentoServer


@pytest.fixture
def shop() -> Iterator[MagentoServer]:
    with MagentoServer() as server:
        yield server


def client(shop: MagentoServer, **options: Any) -> tuple[MagentoClient, list[float]]:
    slept: list[float] = []
    made = MagentoClient(base_url=shop.url, auth=options.pop("auth", BearerToken("integration-token",
                                                                                 description="the token")),
                         retry=RetryPolicy(attempts=3, throttled_attempts=3, base_delay_seconds=0.25),
                         sleep=slept.append, **options)
    return made, slept


def test_429_waits_for_retry_after_and_503_backs_off_then_gives_up(shop: MagentoServer) -> None:
    shop.inject("storeViews", 429, retry_after=7)
    shop.inject("storeViews", 503)
    magento, slept = client(shop)
    assert [v["code"] for v in magento.store_views()] == ["default"]
    assert slept == [7.0, 0.25]

    shop.inject("storeViews", 503, times=3)
    with pytest.raises(MagentoUnavailableError, match="kept answering 503"):
        magento.store_views()


def test_an_admin_token_is_fetched_once_and_again_when_it_runs_out(shop: MagentoServer) -> None:
    clock = {"now": 0.0}
    token = AdminToken(username="admin", password="admin-password", description="the admin user 'admin'",
                       monotonic=lambda: clock["now"], lifetime_seconds=100)
    magento, _ = client(shop, auth=token)
    magento.store_views()
    magento.store_views()
    assert magento.requests_made["token"] == 1
    clock["now"] = 101
    magento.store_views()
    assert magento.requests_made["token"] == 2
    # a token the shop expired early: one new token, then the call goes through
    shop.state.admin_tokens.clear()
    magento.store_views()
    assert magento.requests_made["token"] == 3


def test_refusals_and_non_magento_answers_say_what_went_wrong(shop: MagentoServer) -> None:
    wrong, _ = client(shop, auth=BearerToken("nope", description="the integration access token in secret 's'"))
    with pytest.raises(MagentoAuthError, match=r"refused the integration access token in secret 's'.*HTTP 401"):
        wrong.store_views()
    elsewhere, _ = client(shop)
    elsewhere.base_url = shop.url + "/wordpress"
    with pytest.raises(NotMagentoError, match="does not answer as a Magento REST API"):
        elsewhere.store_views()


class Changes:
    """A catalog whose only changes are removals (as change tracking will list them)."""

    def __init__(self, removed: list[str]) -> None:
        self.removed = removed

    def changed_products(self, *, environment: str, since: dt.datetime | None,
                         after: str | None = None) -> Iterator[ProductChange]:
        at = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
        return iter([ProductChange(sku, None, at, sku) for sku in self.removed if after is None or sku > after])

    def current_products(self, *, environment: str, article_numbers: list[str]) -> dict[str, Any]:
        return dict.fromkeys(article_numbers)


class Runs:
    def save(self, run: Run, **kwargs: Any) -> bool:
        return True

    def extend_lease(self, **kwargs: Any) -> bool:
        return True


def job(settings: dict[str, Any], clock: FakeClock) -> RunJob:
    spec = TypeAdapter(TaskSpec).validate_python({"type": "magento", "description": "Shop", "settings": settings,
                                                  "frequency": {"every": "day", "time": "06:00"}})
    task = Task(task_id="0" * 32, environment="000001", spec=spec, version=1, schedule_anchor=clock.now(),
                created_at=clock.now(), updated_at=clock.now())
    run = Run(run_id="1" * 32, environment="000001", task_id=task.task_id, task_type="magento",
              trigger=Trigger.MANUAL, status=RunStatus.RUNNING, created_at=clock.now())
    return RunJob(task=task, run=run, runs=Runs(), clock=clock, secrets=None,  # type: ignore[arg-type]
                  remaining_ms=lambda: 900_000, heartbeat_seconds=3, lease_seconds=300,
                  continuation_margin_seconds=60)


@pytest.mark.parametrize("removed", ["disable", "delete"])
def test_removed_products_are_disabled_or_deleted_in_the_shop(shop: MagentoServer, removed: str) -> None:
    # given two products in the shop that the push put there, and a catalog that lists their removal
    shop.add_store("nl")
    for sku in ("A", "B"):
        shop.state.global_values[sku] = {"sku": sku, "name": sku, "status": 1}
    state = MemoryPushState()
    state.accept(environment="000001", task_id="0" * 32, hashes={("A", "@global"): "x", ("B", "@global"): "y",
                                                                 ("A", "nl"): "z"}, run_id="old")
    clock = FakeClock(dt.datetime(2026, 11, 24, tzinfo=dt.UTC))
    settings = {"base_url": shop.url, "access_token": "t", "store_views": {"nl": "nl"}, "removed": removed}
    magento, _ = client(shop)
    running = job(settings, clock)
    push = MagentoPush(settings=running.task.spec.settings, client=magento, state=state,  # type: ignore[arg-type]
                       changes=Changes(["A", "B", "never-pushed"]), clock=clock)

    status = push.run(running, since=None)

    assert status is RunStatus.SUCCEEDED
    if removed == "disable":
        assert [shop.product(sku)["status"] for sku in ("A", "B")] == [2, 2]  # type: ignore[index]
    else:
        assert shop.skus() == []
    assert ("A", "nl") not in state.accepted(environment="000001", task_id="0" * 32, keys=[("A", "nl")])
    assert [r.items for r in shop.requests("/async/bulk/")] == [2]
