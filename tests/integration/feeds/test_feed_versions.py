"""Versions: a reader's pages stay on one version while a new one is built and published; failed and stopped
runs leave the served version alone; old versions are cleaned up, keeping the one before the current."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.backends import get_backend
from pimtasks.adapters.feed_files import FeedFiles

from tests.integration.core.harness import FILES_BUCKET, REGION
from tests.integration.feeds.harness import ENVIRONMENT, FEED, FeedStack, product

LOW_ON_TIME = 30  # seconds: below the continuation margin, so the run continues at its first checkpoint


def ids(pages: list[dict]) -> list[str]:
    return [record["id"] for page in pages for record in page["records"]]


def version_folders(feed: str = FEED) -> set[str]:
    prefix = f"environments/{ENVIRONMENT}/Feeds/{feed}/"
    listed = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=FILES_BUCKET, Prefix=prefix)
    return {item["Key"][len(prefix):].split("/")[0] for item in listed.get("Contents", [])}


def test_a_reader_keeps_its_version_while_a_new_one_is_built_and_after_it_is_published(feeds: FeedStack) -> None:
    # Given a published feed of 150 products in pages of 10, and a reader on its first page
    feeds.put_products([product(n) for n in range(150)])
    task_id = feeds.create_feed_task(page_size=10, columns=["article_number", "brand"])
    token = feeds.issue_token()
    assert feeds.run(task_id)["status"] == "succeeded"
    first = feeds.page(token)
    # When the catalog changes and the next run is half-way (it continues later: its pages are partly written)
    feeds.put_products([product(n, brand="New") for n in range(0, 150, 3)])
    feeds.remove_product(1)
    run_id = feeds.start(task_id)
    feeds.deliver(timeout_seconds=LOW_ON_TIME, times=1)
    assert feeds.run_of(run_id)["status"] == "running"
    assert len(version_folders()) == 2  # the one served and the one being built
    # Then the reader's next pages, and a new reader's, come from the published version, unchanged
    middle = [first, feeds.page(token, cursor=first["next_cursor"])]
    assert feeds.page(token)["version"] == first["version"]
    # When the run completes and publishes its version, the reader still finishes on its own
    feeds.deliver()
    finished = feeds.run_of(run_id)
    assert finished["status"] == "succeeded", finished
    rest = [middle[-1]]
    while rest[-1]["next_cursor"]:
        rest.append(feeds.page(token, cursor=rest[-1]["next_cursor"]))
    old_pages = middle + rest[1:]
    assert {page["version"] for page in old_pages} == {first["version"]}
    assert sorted(ids(old_pages)) == [f"P-{n:05d}" for n in range(150)]
    assert all(record["data"]["brand"] != "New" for page in old_pages for record in page["records"])
    # and a new reader gets the new version: the change and the removal
    new_pages = feeds.all_pages(token)
    assert {page["version"] for page in new_pages} != {first["version"]}
    new_records = {record["id"]: record for page in new_pages for record in page["records"]}
    assert "P-00001" not in new_records and new_records["P-00003"]["data"]["brand"] == "New"


def test_a_failed_run_and_a_stopped_run_leave_the_served_version(feeds: FeedStack) -> None:
    feeds.put_products([product(n) for n in range(120)])
    task_id = feeds.create_feed_task(page_size=10)
    token = feeds.issue_token()
    feeds.run(task_id)
    served = feeds.page(token)["version"]
    # a stop while the run builds: cancelled, nothing switched
    run_id = feeds.start(task_id)
    feeds.deliver(timeout_seconds=LOW_ON_TIME, times=1)
    assert feeds.call("POST", f"/environments/{ENVIRONMENT}/tasks/{task_id}/stop").status_code == 202
    feeds.deliver()
    assert feeds.run_of(run_id)["status"] == "cancelled"
    assert feeds.page(token)["version"] == served
    # the files bucket refuses the whole file (as S3 does when a policy or KMS key is wrong): the run fails as an
    # internal error (the operators are alerted with the trace), nothing switched
    def refused(self: FeedFiles, *, key: str, source: Path, content_type: str) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "PutObject")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FeedFiles, "upload", refused)
        failed = feeds.run(task_id)
    assert failed["status"] == "failed" and "Internal error (ClientError)" in failed["error"], failed
    assert feeds.page(token)["version"] == served


def test_old_versions_are_cleaned_up_and_their_cursors_answer_410(feeds: FeedStack) -> None:
    feeds.put_products([product(n) for n in range(30)])
    task_id = feeds.create_feed_task(page_size=10)
    token = feeds.issue_token()
    feeds.run(task_id)
    oldest = feeds.page(token)
    feeds.run(task_id)
    assert feeds.page(token, cursor=oldest["next_cursor"])["version"] == oldest["version"]  # the previous: kept
    feeds.run(task_id)
    assert len(version_folders()) == 2
    gone = feeds.read(f"/feeds/{ENVIRONMENT}/{FEED}?cursor={oldest['next_cursor']}", token=token)
    assert gone.status_code == 410 and "read the feed again from the first page" in gone.get_json()["message"]


def test_the_report_mail_names_the_version_counts_and_size(feeds: FeedStack) -> None:
    feeds.put_products([product(n) for n in range(7)])
    run = feeds.run(feeds.create_feed_task())
    mails = list(get_backend("ses")["123456789012"][REGION].sent_messages)
    report = mails[-1]
    assert "Succeeded: Feed Channel" in report.subject
    assert "7 products in 1 page of 1000" in report.body and "bytes" in report.body
    assert run["files"][0]["role"] == "output" and run["files"][0]["key"].endswith("/feed.json")


def test_unknown_columns_and_filter_fields_are_422_listing_the_valid_ones(feeds: FeedStack) -> None:
    for settings in ({"columns": ["article_number", "colour"]}, {"filter": {"colour": "red"}}):
        response = feeds.call("POST", f"/environments/{ENVIRONMENT}/tasks", body={
            "type": "feed", "description": "Bad feed", "frequency": {"every": "day", "time": "05:00"},
            "settings": {"feed_name": "Bad", **settings}})
        assert response.status_code == 422
        message = response.get_json()["message"]
        assert "colour" in message and "gross_price" in message, message


def test_a_run_that_finds_nothing_publishes_no_empty_feed(feeds: FeedStack) -> None:
    task_id = feeds.create_feed_task()
    token = feeds.issue_token()
    run = feeds.run(task_id)
    assert run["status"] == "succeeded", run
    assert any("no empty version is published" in m["text"] for m in run["messages"])
    assert feeds.read(f"/feeds/{ENVIRONMENT}/{FEED}", token=token).status_code == 404
    assert version_folders() == set()
