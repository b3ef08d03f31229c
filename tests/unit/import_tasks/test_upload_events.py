"""S3 notifications as the uploads queue delivers them, and which uploads are ready to import."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pimtasks.domain.stored_file import StoredFile
from pimtasks.domain.upload_event import (
    NotAnUploadNotificationError,
    UploadEvent,
    parse_s3_notification,
    recheck_message,
)
from pimtasks.import_function import is_sqs_event
from pimtasks.imports.errors import EmptyFileError, ImportFileError
from pimtasks.services.import_files import (
    TEMPORARY_UPLOAD_GRACE_SECONDS,
    is_ready,
    parse_upload_key,
    temporary_name_reason,
)
from pimtasks.services.unimportable_uploads import UnimportableUploadError, check_importable

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


def test_an_uploads_key_names_its_import_and_any_subfolder() -> None:
    location = parse_upload_key("environments/000001/Uploads/Products/prices.csv")
    assert location is not None and (location.environment, location.import_name, location.file_name,
                                     location.subfolder) == ("000001", "Products", "prices.csv", "")
    nested = parse_upload_key("environments/000001/Uploads/Products/sub/dir/x.csv")
    assert nested is not None and (nested.import_name, nested.subfolder, nested.file_name) == (
        "Products", "sub/dir", "x.csv")
    for key in ("environments/000001/Uploads/Products/", "environments/000001/Uploads/Products/sub/",
                "environments/000001/Archived/Products/x.csv", "environments/1/Uploads/Products/x.csv",
                "environments/000001/Uploads/../x.csv", "environments/000001/Uploads/x.csv"):
        assert parse_upload_key(key) is None


GRACE = TEMPORARY_UPLOAD_GRACE_SECONDS


@pytest.mark.parametrize(("name", "size", "age_seconds", "ready"), [
    ("prices.xlsx", 100, 1, True),
    ("prices.xlsx.part", 100, GRACE - 60, False),  # the client's rename is still to come
    ("prices.xlsx.part", 100, GRACE, True),  # left behind: the run takes it, to fail it
    ("~$prices.xlsx", 100, GRACE - 60, False),
    ("~$prices.xlsx", 100, 3600, True),
    (".hidden.csv", 100, GRACE - 60, False),
    ("empty.csv", 0, 10, False),
    ("empty.csv", 0, 120, True),
])
def test_files_still_arriving_wait_and_temporary_names_left_behind_are_taken(
        name: str, size: int, age_seconds: int, ready: bool) -> None:
    stored = StoredFile(key=f"environments/000001/Uploads/P/{name}", version_id="v", size=size,
                        last_modified=NOW - dt.timedelta(seconds=age_seconds))
    assert is_ready(stored, now=NOW) is ready


@pytest.mark.parametrize(("name", "reason"), [
    ("x.part", "it ends with .part (a temporary name upload clients use while writing)"),
    ("Prices.XLSX.FILEPART", "it ends with .filepart (a temporary name upload clients use while writing)"),
    ("~$x.xlsx", "it starts with ~$ (an Office lock file)"),
    (".x.csv", "it starts with a dot (a hidden or temporary file)"),
    ("x.csv", None),
    ("participants.csv", None),
])
def test_temporary_names_and_why(name: str, reason: str | None) -> None:
    assert temporary_name_reason(name) == reason


@pytest.mark.parametrize(("key", "size", "error", "text"), [
    ("environments/000001/Uploads/P/empty.csv", 0, EmptyFileError, "empty file (0 bytes)"),
    ("environments/000001/Uploads/P/x.csv.part", 10, UnimportableUploadError, "left under a temporary name"),
    ("environments/000001/Uploads/P/sub/dir/x.csv", 10, UnimportableUploadError,
     "delivered into the subfolder Uploads/P/sub/dir/: only files directly in Uploads/P/ are imported"),
])
def test_what_a_run_fails_instead_of_importing_names_the_file_and_why(
        key: str, size: int, error: type[Exception], text: str) -> None:
    with pytest.raises(error) as failed:
        check_importable(key=key, size=size)
    assert isinstance(failed.value, ImportFileError)
    assert text in failed.value.message and failed.value.file == key.rsplit("/", 1)[-1]


def test_an_ordinary_file_is_importable() -> None:
    check_importable(key="environments/000001/Uploads/P/prices.xlsx", size=10)


def test_a_recheck_message_brings_the_same_upload_back_marked_as_a_recheck() -> None:
    [event] = parse_s3_notification(notification("environments/000001/Uploads/P/x.part", size=5, versionId="v1"))
    [again] = parse_s3_notification(recheck_message(event))
    assert again == UploadEvent(bucket="files", key=event.key, version_id="v1", size=5, identity="v1", recheck=True)
    assert not event.recheck
    with pytest.raises(NotAnUploadNotificationError):
        parse_s3_notification(json.dumps({"pimtasks_upload_recheck": {"key": "k"}}))


def test_an_sqs_batch_is_told_apart_from_a_task_trigger() -> None:
    assert is_sqs_event({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]})
    assert not is_sqs_event({"environment": "000001", "task_id": "x", "trigger": "manual"})
    assert not is_sqs_event({"Records": []})
