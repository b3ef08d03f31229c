"""Feed page latency: a page of 1,000 products of a published feed (``GET /feeds/{env}/{feed}``), through the
authorizer (feed token) and the API handler, in-process against a moto server; p50/p95 over the pages of the
feed, then again with ``If-None-Match`` (the 304). Baselines from the same run, against the same emulator:
- a raw read of the same page: the same 1,000 catalog records by plain boto3 ``BatchGetItem`` (100 keys a
  request, as a channel reading the catalog itself would need at least) -- target: feed p95 <= 1.5x this;
- the storage floor of the feed itself: one plain boto3 ``GetObject`` of the page's chunk.

The feed is built by the feed run's own code (``FeedBuild``) from 5,000 products (5 pages); the build time
is reported too.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.support import moto_server, summary_ms

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENT = "000001"
FEED = "Channel"
PRODUCTS = 5_000
PAGE = 1_000
ROUNDS = 12
RAW_ROUNDS = 2
"""Rounds with the raw read baseline: the emulator's BatchGetItem of 1,000 items takes seconds."""
API_ARN = "arn:aws:execute-api:eu-west-1:123456789012:api1234/v1"


class _Runs:
    """A run store that accepts every save (the build's figures are the feed's, not the run table's)."""

    def save(self, run: Any, **kwargs: Any) -> bool:
        return True

    def extend_lease(self, **kwargs: Any) -> bool:
        return True


def _deploy() -> dict[str, str]:
    import boto3
    from pimtasks_local.deployer import deploy_template

    deployment = deploy_template(ROOT / "infra" / "template.yaml", stack_name="bench", parameters={},
                                 clients=lambda service: boto3.client(service), region="eu-west-1")
    tables = deployment.names_of_type("AWS::DynamoDB::Table")
    buckets = deployment.names_of_type("AWS::S3::Bucket")
    variables = {"TASKS_TABLE": tables["TasksTable"], "RUNS_TABLE": tables["RunsTable"],
                 "ADMIN_TABLE": tables["AdminTable"], "CATALOG_TABLE": tables["CatalogTable"],
                 "FILES_BUCKET": buckets["FilesBucket"], "POWERTOOLS_TRACE_DISABLED": "true",
                 "POWERTOOLS_METRICS_NAMESPACE": "Pimtasks", "POWERTOOLS_LOG_LEVEL": "WARNING"}
    os.environ.update(variables)
    return variables


def _products() -> list[Any]:
    from pimtasks.catalog.models import Product

    return [Product(article_number=f"P-{n:06d}", descriptions={"en": f"Product {n}", "nl": f"Product {n} NL"},
                    gross_price=Decimal(f"{n}.95"), brand=f"Brand {n % 7}", gtin=None,
                    custom_fields={"colour": "red", "size": str(n % 40)}) for n in range(PRODUCTS)]


def _build_feed() -> float:
    """Catalog in, then one feed run's build of the version (timed)."""
    from pimtasks.clock import SystemClock
    from pimtasks.domain.run import Run, RunStatus, Trigger
    from pimtasks.domain.task import Task, TaskSpec
    from pimtasks.domain.task_types import ImportTarget
    from pimtasks.feeds.builder import FeedBuild
    from pimtasks.services.catalog_writer import planned_write
    from pimtasks.services.run_job import RunJob
    from pimtasks.wiring import catalog_repository, feed_files, feed_repository
    from pydantic import TypeAdapter

    catalog_repository().put_many(environment=ENVIRONMENT, target=ImportTarget.PRODUCTS,
                                  records=[planned_write(p) for p in _products()],
                                  changed_at=dt.datetime.now(dt.UTC), run_id=None)
    spec = TypeAdapter(TaskSpec).validate_python({"type": "feed", "description": "Bench feed",
                                                   "frequency": {"every": "day", "time": "05:00"},
                                                   "settings": {"feed_name": FEED, "page_size": PAGE}})
    now = dt.datetime.now(dt.UTC)
    task = Task(task_id="t1", environment=ENVIRONMENT, spec=spec, created_at=now, updated_at=now, version=1,
                schedule_anchor=now)
    run = Run(run_id="r1", environment=ENVIRONMENT, task_id="t1", task_type="feed", trigger=Trigger.MANUAL,
              status=RunStatus.RUNNING, created_at=now, started_at=now)
    job = RunJob(task=task, run=run, runs=_Runs(), clock=SystemClock(), secrets=None,  # type: ignore[arg-type]
                 remaining_ms=lambda: 900_000, heartbeat_seconds=3600, lease_seconds=3600,
                 continuation_margin_seconds=60)
    started = time.perf_counter()
    FeedBuild(job=job, settings=spec.settings, catalog=catalog_repository(), objects=feed_files(),
              versions=feed_repository(), clock=SystemClock()).run()
    return time.perf_counter() - started


def _feed_call(path: str, token: str, *, query: dict[str, str] | None = None,
               if_none_match: str | None = None) -> dict[str, Any]:
    """One feed call the way API Gateway makes it: the authorizer, then the API handler."""
    from pimtasks_local.functions import lambda_context

    from functions.api_handler.app import handler as api_handler
    from functions.authorizer.app import handler as authorizer

    headers = {"Authorization": f"Bearer {token}", **({"If-None-Match": if_none_match} if if_none_match else {})}
    parameters = {"env": ENVIRONMENT, "feed": FEED}
    resource = "/feeds/{env}/{feed}"
    decision = authorizer({"type": "REQUEST", "methodArn": f"{API_ARN}/GET{path}", "resource": resource,
                           "path": path, "headers": headers, "pathParameters": parameters},
                          lambda_context("bench-authorizer", timeout_seconds=5))
    event = {"resource": resource, "path": path, "httpMethod": "GET", "headers": headers, "multiValueHeaders": {},
             "queryStringParameters": query, "multiValueQueryStringParameters":
                 {k: [v] for k, v in (query or {}).items()} or None,
             "pathParameters": parameters, "stageVariables": None, "isBase64Encoded": False, "body": None,
             "requestContext": {"stage": "v1", "requestId": "r1", "resourcePath": resource, "httpMethod": "GET",
                                "path": f"/v1{path}", "identity": {"sourceIp": "127.0.0.1"},
                                "authorizer": {**decision["context"], "principalId": decision["principalId"]}}}
    response: dict[str, Any] = api_handler(event, lambda_context("bench-api", timeout_seconds=29))
    return response


def _header(answer: dict[str, Any], name: str) -> str:
    single = answer.get("headers") or {}
    return str(single[name]) if name in single else str(answer["multiValueHeaders"][name][0])


def _raw_reads(variables: dict[str, str], numbers: list[str]) -> float:
    import boto3

    dynamodb = boto3.client("dynamodb")
    started = time.perf_counter()
    found = 0
    for start in range(0, len(numbers), 100):
        keys = [{"pk": {"S": f"ENV#{ENVIRONMENT}#PRODUCT#{n}"}, "sk": {"S": "RECORD"}}
                for n in numbers[start:start + 100]]
        request: dict[str, Any] = {variables["CATALOG_TABLE"]: {"Keys": keys, "ConsistentRead": True}}
        while request:
            answer = dynamodb.batch_get_item(RequestItems=request)
            found += len(answer["Responses"][variables["CATALOG_TABLE"]])
            request = answer.get("UnprocessedKeys") or {}
    assert found == len(numbers), found
    return time.perf_counter() - started


def _raw_chunk(variables: dict[str, str], key: str) -> float:
    import boto3

    s3 = boto3.client("s3")
    started = time.perf_counter()
    body = s3.get_object(Bucket=variables["FILES_BUCKET"], Key=key)["Body"].read()
    json.loads(body)
    return time.perf_counter() - started


def run() -> dict[str, Any]:
    with moto_server():
        variables = _deploy()
        from pimtasks.domain.feed import chunk_key
        from pimtasks.services.access import hash_api_key
        from pimtasks.wiring import access_service, clear_caches, feed_repository, feed_token_repository

        clear_caches()
        access_service().create_environment(environment=ENVIRONMENT, name="Bench")
        build_seconds = _build_feed()
        token = "pft_" + "b" * 43
        feed_token_repository().put_token_hash(environment=ENVIRONMENT, feed=FEED, token_hash=hash_api_key(token),
                                               created_at=dt.datetime.now(dt.UTC))
        pointer = feed_repository().pointer(environment=ENVIRONMENT, feed=FEED)
        assert pointer is not None
        path = f"/feeds/{ENVIRONMENT}/{FEED}"
        feed_seconds: list[float] = []
        not_modified_seconds: list[float] = []
        raw_seconds: list[float] = []
        chunk_seconds: list[float] = []
        for round_number in range(ROUNDS):
            cursor: str | None = None
            for number in range(pointer.current.chunks):
                started = time.perf_counter()
                answer = _feed_call(path, token, query={"cursor": cursor} if cursor else None)
                feed_seconds.append(time.perf_counter() - started)
                assert answer["statusCode"] == 200, answer
                page = json.loads(answer["body"])
                assert len(page["records"]) == PAGE
                started = time.perf_counter()
                again = _feed_call(path, token, query={"cursor": cursor} if cursor else None,
                                   if_none_match=_header(answer, "ETag"))
                not_modified_seconds.append(time.perf_counter() - started)
                assert again["statusCode"] == 304
                if round_number < RAW_ROUNDS:
                    raw_seconds.append(_raw_reads(variables, [record["id"] for record in page["records"]]))
                chunk_seconds.append(_raw_chunk(variables, chunk_key(environment=ENVIRONMENT, feed=FEED,
                                                                     version=pointer.current.version, chunk=number)))
                cursor = page["next_cursor"]
            assert cursor is None
        feed, raw, chunk = summary_ms(feed_seconds), summary_ms(raw_seconds), summary_ms(chunk_seconds)
        return {
            "products": PRODUCTS, "page_size": PAGE, "pages_timed": len(feed_seconds),
            "build_seconds": round(build_seconds, 2),
            "feed_page": feed, "feed_page_304": summary_ms(not_modified_seconds),
            "raw_batch_get_same_page": raw, "raw_s3_get_chunk": chunk,
            "p95_ratio_feed_to_raw_read": round(feed["p95_ms"] / raw["p95_ms"], 2),
            "p95_ratio_target": 1.5,
            "p95_ratio_feed_to_chunk_get": round(feed["p95_ms"] / chunk["p95_ms"], 2),
        }
