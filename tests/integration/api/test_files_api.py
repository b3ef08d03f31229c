"""The files API through the local API (the real authorizer and api_handler) on moto: folders page by page,
presigned downloads, and keys that never leave their environment."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from pimtasks.settings import get_settings
from pimtasks.wiring import access_service
from werkzeug.test import TestResponse

from tests.integration.api.local_api import ENVIRONMENT, OTHER_ENVIRONMENT, LocalApiStack, local_api_stack

BASE = f"/environments/{ENVIRONMENT}"
REPORT = "Reports/Sales conditions APAC/run1/prijslijst é 2026.xlsx.report.txt"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalApiStack]:
    with pytest.MonkeyPatch.context() as monkeypatch, local_api_stack(monkeypatch) as running:
        put(ENVIRONMENT, REPORT, b"report of 000001")
        put(ENVIRONMENT, "Reports/Sales conditions APAC/run1/x.xlsx.rejected.csv", b"a;b\r\n")
        put(ENVIRONMENT, "Archived/Sales conditions APAC/2026/12/run1/x.xlsx", b"xlsx")
        put(OTHER_ENVIRONMENT, "Reports/secret.txt", b"of 000002 only")
        put(OTHER_ENVIRONMENT, REPORT, b"report of 000002")
        put(ENVIRONMENT, "Reports/Sales conditions APAC/", b"")  # a folder marker (as FTPS MKD leaves) is no file
        yield running


def put(environment: str, key: str, body: bytes) -> str:
    """Store a file; its version id."""
    answer = boto3.client("s3").put_object(Bucket=get_settings().require("files_bucket"),
                                           Key=f"environments/{environment}/{key}", Body=body)
    return str(answer["VersionId"])


def get(stack: LocalApiStack, path: str, *, key: str | None = None, **query: Any) -> TestResponse:
    suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
    return stack.client.get(path + suffix, headers={"x-api-key": key or stack.admin_key})


def file_path(key: str) -> str:
    return f"{BASE}/files/{urllib.parse.quote(key, safe='/')}"


def test_without_a_folder_the_environments_folders_are_listed(stack: LocalApiStack) -> None:
    body = get(stack, f"{BASE}/files").get_json()
    assert body["folders"] == ["Uploads/", "Archived/", "Failed/", "Reports/", "Downloads/", "Attachments/",
                               "Invoices/", "Feeds/"]
    assert body["items"] == []


def test_a_folder_lists_its_subfolders_and_recursive_lists_every_file_with_size_and_time(
        stack: LocalApiStack) -> None:
    # when the Reports folder is listed, then its import's folder is a subfolder and no file is directly in it
    top = get(stack, f"{BASE}/files", folder="Reports").get_json()
    assert top["folder"] == "Reports/"
    assert top["folders"] == ["Reports/Sales conditions APAC/"]
    assert top["items"] == []
    # when the run's folder is listed, then both files are there, relative to the environment, with a link
    run = get(stack, f"{BASE}/files", folder="Reports/Sales conditions APAC/run1/").get_json()
    assert [(f["key"], f["size"]) for f in run["items"]] == [
        (REPORT, len(b"report of 000001")), ("Reports/Sales conditions APAC/run1/x.xlsx.rejected.csv", 5)]
    assert run["items"][0]["href"] == file_path(REPORT)
    assert all(f["last_modified"].endswith(("Z", "+00:00")) for f in run["items"])
    # and recursive lists every file below a folder, of this environment only
    every = get(stack, f"{BASE}/files", folder="Reports", recursive="true").get_json()
    assert len(every["items"]) == 2 and every["folders"] == []


def test_the_feed_versions_are_listed_and_downloadable_of_this_environment_only(stack: LocalApiStack) -> None:
    # given a feed version in each environment (as a feed run leaves it under Feeds/<feed>/<version>/)
    put(ENVIRONMENT, "Feeds/webshop/v0001/feed.json", b"[]")
    put(OTHER_ENVIRONMENT, "Feeds/webshop/v0009/feed.json", b"[\"of 000002\"]")
    # when Feeds is listed recursively, then only this environment's version is there, with its download link
    every = get(stack, f"{BASE}/files", folder="Feeds", recursive="true").get_json()
    assert [f["key"] for f in every["items"]] == ["Feeds/webshop/v0001/feed.json"]
    download = get(stack, every["items"][0]["href"])
    assert download.status_code == 200, download.get_data(as_text=True)
    assert download.get_json()["size"] == 2 and download.get_json()["url"]
    # and the other environment's version cannot be asked for by key
    assert get(stack, file_path("Feeds/webshop/v0009/feed.json")).status_code == 404


def test_a_folder_is_paged_with_next_token_without_losing_or_repeating_an_entry(stack: LocalApiStack) -> None:
    for n in range(5):
        put(ENVIRONMENT, f"Downloads/Paged/file-{n}.csv", b"x")
        put(ENVIRONMENT, f"Downloads/Paged/sub-{n}/inner.csv", b"x")
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        query = {"folder": "Downloads/Paged", "limit": "3", **({"next_token": token} if token else {})}
        body = get(stack, f"{BASE}/files", **query).get_json()
        seen += [f["key"] for f in body["items"]] + body["folders"]
        pages += 1
        token = body["next_token"]
        if not token:
            break
    assert pages == 4
    assert sorted(seen) == sorted([f"Downloads/Paged/file-{n}.csv" for n in range(5)]
                                  + [f"Downloads/Paged/sub-{n}/" for n in range(5)])
    assert len(seen) == len(set(seen))


def test_a_page_token_of_another_folder_is_refused(stack: LocalApiStack) -> None:
    for n in range(3):
        put(ENVIRONMENT, f"Downloads/Tokens/file-{n}.csv", b"x")
    token = get(stack, f"{BASE}/files", folder="Downloads/Tokens", limit="1").get_json()["next_token"]
    answer = get(stack, f"{BASE}/files", folder="Reports", next_token=token)
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["field"] == "next_token"


@pytest.mark.parametrize("folder", ["Secrets", "uploads", "../000002/Reports", "Reports/../..", "/Reports",
                                    "Reports//x"])
def test_an_unknown_or_malformed_folder_is_a_422_listing_the_valid_ones(stack: LocalApiStack, folder: str) -> None:
    answer = get(stack, f"{BASE}/files", folder=folder)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    error = answer.get_json()["errors"][0]
    assert error["field"] == "folder"
    if "/" not in folder:
        assert "valid: Uploads, Archived, Failed, Reports, Downloads, Attachments, Invoices, Feeds" in error["message"]


def test_a_file_gives_a_short_lived_presigned_get_of_its_environments_object(stack: LocalApiStack) -> None:
    answer = get(stack, file_path(REPORT))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["key"] == REPORT and body["size"] == len(b"report of 000001")
    url = urllib.parse.urlsplit(body["url"])
    query = urllib.parse.parse_qs(url.query)
    assert urllib.parse.unquote(url.path).endswith(f"/environments/{ENVIRONMENT}/{REPORT}")
    assert query["X-Amz-Expires"] == ["300"]
    # the browser saves it under its own name, é and spaces included
    assert query["response-content-disposition"] == [
        "attachment; filename*=UTF-8''prijslijst%20%C3%A9%202026.xlsx.report.txt"]


def test_an_absent_file_or_a_folder_is_a_404(stack: LocalApiStack) -> None:
    for key in ("Reports/Sales conditions APAC/run1/nothing.csv", "Reports/Sales conditions APAC",
                "Misc/x.txt", "Reports"):
        answer = get(stack, file_path(key))
        assert answer.status_code == 404, (key, answer.get_data(as_text=True))


@pytest.mark.parametrize("raw_key", [
    "Reports/../../000002/Reports/secret.txt",           # dot segments
    "Reports/%2E%2E/%2E%2E/000002/Reports/secret.txt",    # the same, percent-encoded
    "Reports%2F..%2F..%2F000002%2FReports%2Fsecret.txt",  # slashes percent-encoded
    "/environments/000002/Reports/secret.txt",           # absolute
    "Reports/./x.csv",
    "Reports//x.csv",
    "Reports\\..\\..\\000002\\Reports\\secret.txt",
    "Reports/%E2%80%8Bx.csv",                             # an invisible character (zero-width space)
])
def test_a_key_that_could_leave_the_environment_is_refused_before_anything_is_signed(
        stack: LocalApiStack, raw_key: str) -> None:
    answer = get(stack, f"{BASE}/files/{raw_key}")
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["errors"][0]["field"] == "key"
    assert "url" not in answer.get_json()


@pytest.mark.parametrize("raw_key", ["Reports/x%0A.csv", "Reports/%00x.csv", "Reports/x%0D%0A"])
def test_a_key_with_a_control_character_is_refused_as_any_path_with_one(stack: LocalApiStack, raw_key: str) -> None:
    # the API refuses every path with a control character (422 naming the path); a line break already stops the
    # gateway's route match (404): either way nothing is signed
    answer = get(stack, f"{BASE}/files/{raw_key}")
    assert answer.status_code in (404, 422), answer.get_data(as_text=True)
    assert "url" not in answer.get_json()
    if answer.status_code == 422:
        assert answer.get_json()["errors"][0]["field"] == "path"


def test_a_key_of_one_environment_never_gets_anothers_files(stack: LocalApiStack) -> None:
    # given a (not admin) key bound to 000001 only
    key = access_service().issue_api_key(environments=[ENVIRONMENT], admin=False, description="000001").api_key
    # when it asks for 000002's file or folder, then it is refused
    assert get(stack, f"/environments/{OTHER_ENVIRONMENT}/files/Reports/secret.txt", key=key).status_code == 403
    assert get(stack, f"/environments/{OTHER_ENVIRONMENT}/files", key=key, folder="Reports").status_code == 403
    # and in its own environment it signs its own object, never the other's of the same name
    url = get(stack, file_path(REPORT), key=key).get_json()["url"]
    assert f"/environments/{ENVIRONMENT}/" in url and f"/environments/{OTHER_ENVIRONMENT}/" not in url
    assert get(stack, file_path("Reports/secret.txt"), key=key).status_code == 404
    listed = get(stack, f"{BASE}/files", key=key, folder="Reports", recursive="true").get_json()["items"]
    assert {f["key"] for f in listed} == {REPORT, "Reports/Sales conditions APAC/run1/x.xlsx.rejected.csv"}


def test_a_version_of_a_removed_file_stays_downloadable_by_its_version_id(stack: LocalApiStack) -> None:
    # given an upload a run read (its version) that the import then took out of Uploads
    key = "Uploads/Sales conditions APAC/read by a run.xlsx"
    first = put(ENVIRONMENT, key, b"the file the run read")
    put(ENVIRONMENT, key, b"a later upload")
    boto3.client("s3").delete_object(Bucket=get_settings().require("files_bucket"),
                                     Key=f"environments/{ENVIRONMENT}/{key}")
    # then the key has no file, but the version the run read is signed (that version, by its id)
    assert get(stack, file_path(key)).status_code == 404
    answer = get(stack, file_path(key), version_id=first)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["version_id"] == first and body["size"] == len(b"the file the run read")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(body["url"]).query)["versionId"] == [first]
    # and a version that is not one of this key's is a 404
    assert get(stack, file_path(key), version_id="not-a-version").status_code == 404
    other = put(OTHER_ENVIRONMENT, key, b"000002's")
    assert get(stack, file_path(key), version_id=other).status_code == 404
