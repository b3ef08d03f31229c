"""Feeds through the real stack in-process: the template's authorizer and api_handler behind the local API
Gateway emulation (``LocalApi``), feed runs by the export function's handler, all on moto."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from pimtasks.catalog.models import Product
from pimtasks.domain.task_types import ImportTarget
from pimtasks.services.catalog_writer import planned_write
from pimtasks.wiring import catalog_repository
from pimtasks_local.functions import lambda_context
from werkzeug.test import TestResponse

from tests.integration.api.local_api import ENVIRONMENT, OTHER_ENVIRONMENT, LocalApiStack, local_api_stack

FEED = "Channel"
__all__ = ["ENVIRONMENT", "FEED", "OTHER_ENVIRONMENT", "FeedStack", "feed_stack", "product"]


def product(number: int, **overrides: Any) -> Product:
    values: dict[str, Any] = {"article_number": f"P-{number:05d}", "descriptions": {"en": f"Product {number} \u2013 é"},
                              "gross_price": Decimal(f"{number}.50"), "brand": "Acme" if number % 2 else "Other"}
    values.update(overrides)
    return Product(**values)


@dataclass
class FeedStack:
    api: LocalApiStack

    # --- the catalog --------------------------------------------------------------------------------
    def put_products(self, products: list[Product], *, environment: str = ENVIRONMENT) -> None:
        catalog_repository().put_many(environment=environment, target=ImportTarget.PRODUCTS,
                                      records=[planned_write(p) for p in products],
                                      changed_at=dt.datetime.now(dt.UTC), run_id=None)

    def remove_product(self, number: int, *, environment: str = ENVIRONMENT) -> None:
        assert catalog_repository().remove(environment=environment, target=ImportTarget.PRODUCTS,
                                           identifier=f"P-{number:05d}", removed_at=dt.datetime.now(dt.UTC))

    # --- the API with the admin key ------------------------------------------------------------------
    def call(self, method: str, path: str, *, body: Any = None) -> TestResponse:
        return self.api.client.open(path, method=method, json=body, headers=self.api.headers())

    def create_feed_task(self, *, environment: str = ENVIRONMENT, feed: str = FEED, **settings: Any) -> str:
        response = self.call("POST", f"/environments/{environment}/tasks", body={
            "type": "feed", "description": f"Feed {feed}", "frequency": {"every": "day", "time": "05:00"},
            "notification": {"emails": ["channel@example.com"], "when": "always"},
            "settings": {"feed_name": feed, **settings}})
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["task_id"])

    def issue_token(self, *, environment: str = ENVIRONMENT, feed: str = FEED) -> str:
        response = self.call("POST", f"/environments/{environment}/feeds/{feed}/token")
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["token"])

    def start(self, task_id: str, *, environment: str = ENVIRONMENT) -> str:
        response = self.call("POST", f"/environments/{environment}/tasks/{task_id}/start")
        assert response.status_code == 202, response.get_json()
        return str(response.get_json()["run_id"])

    def deliver(self, *, timeout_seconds: int = 900, times: int | None = None) -> None:
        """Hand the recorded invocations (the start, continuations) to the export function, as Lambda would."""
        from functions.export_handler.app import handler

        delivered = 0
        while self.api.invoker.calls and (times is None or delivered < times):
            _, payload = self.api.invoker.calls.pop(0)
            handler(payload, lambda_context("pimtasks-task-export", timeout_seconds=timeout_seconds))
            delivered += 1

    def run(self, task_id: str, *, environment: str = ENVIRONMENT) -> dict[str, Any]:
        run_id = self.start(task_id, environment=environment)
        self.deliver()
        return self.run_of(run_id, environment=environment)

    def run_of(self, run_id: str, *, environment: str = ENVIRONMENT) -> dict[str, Any]:
        found: dict[str, Any] = self.call("GET", f"/environments/{environment}/runs/{run_id}").get_json()
        return found

    # --- the feed, as a channel reads it -----------------------------------------------------------
    def read(self, path: str, *, token: str | None, **headers: str) -> TestResponse:
        sent = {**headers, **({"Authorization": f"Bearer {token}"} if token else {})}
        return self.api.client.get(path, headers=sent)

    def page(self, token: str, *, environment: str = ENVIRONMENT, feed: str = FEED, cursor: str | None = None,
             since: str | None = None) -> dict[str, Any]:
        query = "&".join(f"{name}={value}" for name, value in (("cursor", cursor), ("since", since)) if value)
        response = self.read(f"/feeds/{environment}/{feed}" + (f"?{query}" if query else ""), token=token)
        assert response.status_code == 200, response.get_data(as_text=True)
        body: dict[str, Any] = response.get_json()
        return body

    def all_pages(self, token: str, **options: Any) -> list[dict[str, Any]]:
        pages = [self.page(token, **options)]
        while pages[-1]["next_cursor"]:
            pages.append(self.page(token, cursor=pages[-1]["next_cursor"],
                                   **{k: v for k, v in options.items() if k != "since"}))
        return pages


@contextmanager
def feed_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedStack]:
    with local_api_stack(monkeypatch) as api:
        yield FeedStack(api=api)
