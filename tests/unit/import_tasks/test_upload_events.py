"""S3 notifications as the uploads queue delivers them, and which uploads are ready to import."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pimtasks.domain.stored_file import StoredFile
from pimtasks.domain.upload_event import NotAnUploadNotificationError, parse_s3_notification
from pimtasks.import_function import is_sqs_event
from pimtasks.services.import_files import is_ready, parse_upload_key

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def notification(key: str, **obj: object) -> str:
    return json.dumps({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                                    "eventTime": "2026-11-23T12:00:00.000Z",
                                    "s3": {"bucket": {"name": "files"}, "object": {"key": key, **obj}}}]})


def test_keys_are_url_decoded_and_the_version_is_the_identity() -> None:
    [event] = parse_s3_notification(notification("environments%2F000001%2FUploads%2FSales+conditions+APAC%2Fa%2Bb.xlsx",
                                                 size=10, versionId="v1", eTag="e"))
    assert event.key == "environments/000001/Uploads/Sales conditions APAC/a+b.xlsx"
    assert (event.version_id, event.identity, event.size, event.bucket) == ("v1", "v1", 10, "files")


def test_without_a_version_the_identity_is_etag_and_event_time() -> None:
    [event] = parse_s3_notification(notification("k", size=1, eTag="abc"))
    assert event.version_id is None and event.identity == "abc@2026-11-23T12:00:00.000Z"


def test_test_events_and_other_kinds_are_not_uploads() -> None:
    assert parse_s3_notification(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})) == []
    removed = json.loads(notification("k"))
    removed["Records"][0]["eventName"] = "ObjectRemoved:Delete"
    assert parse_s3_notification(json.dumps(removed)) == []
    with pytest.raises(NotAnUploadNotificationError):
        parse_s3_notification("not json")


def test_only_direct_files_of_an_import_folder_are_uploads() -> None:
    location = parse_upload_key("environments/000001/Uploads/Products/prices.csv")
    assert location is not None and (location.environment, location.import_name, location.file_name) == (
        "000001", "Products", "prices.csv")
    for key in ("environments/000001/Uploads/Products/", "environments/000001/Uploads/Products/sub/x.csv",
                "environments/000001/Archived/Products/x.csv", "environments/1/Uploads/Products/x.csv",
                "environments/000001/Uploads/../x.csv"):
        assert parse_upload_key(key) is None


@pytest.mark.parametrize(("name", "size", "age_seconds", "ready"), [
    ("prices.xlsx", 100, 1, True),
    ("prices.xlsx.part", 100, 3600, False),
    ("~$prices.xlsx", 100, 3600, False),
    (".hidden.csv", 100, 3600, False),
    ("empty.csv", 0, 10, False),
    ("empty.csv", 0, 120, True),
])
def test_files_still_arriving_wait(name: str, size: int, age_seconds: int, ready: bool) -> None:
    stored = StoredFile(key=f"environments/000001/Uploads/P/{name}", version_id="v", size=size,
                        last_modified=NOW - dt.timedelta(seconds=age_seconds))
    assert is_ready(stored, now=NOW) is ready


def test_an_sqs_batch_is_told_apart_from_a_task_trigger() -> None:
    assert is_sqs_event({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]})
    assert not is_sqs_event({"environment": "000001", "task_id": "x", "trigger": "manual"})
    assert not is_sqs_event({"Records": []})
