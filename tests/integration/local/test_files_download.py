"""Downloads through the files API on a running local stack: the presigned URL is fetched from the emulator's S3
(moto server) with ``requests``, for a run's files and for keys with spaces, é and slashes; and
``pimtasks files list | get``.

The stack is started once for this module on free ports (``launched_stack``, demo data seeded).
"""

from __future__ import annotations

import io
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from pimtasks_local import cli
from pimtasks_local.http_client import ApiClient
from pimtasks_local.launcher import LaunchError, launched_stack

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
DEMO_FILE = ROOT / "local" / "pimtasks_local" / "demo_files" / "sales-conditions-apac.xlsx"
ENV = "000001"
FOLDER = "Downloads/Prijzen \N{EN DASH} week 49"
ODD_KEY = f"{FOLDER}/sub map/prijslijst é 2026.csv"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    try:
        with launched_stack(tmp_path_factory.mktemp("files-stack")) as launched:
            yield launched.state
    except LaunchError as error:
        pytest.fail(str(error))


def api(stack: dict[str, Any]) -> ApiClient:
    return ApiClient(stack["api_url"], api_key=stack["admin_api_key"])


def pimtasks(stack: dict[str, Any], *words: str) -> tuple[int, str]:
    out = io.StringIO()
    status = cli.main(["--api-url", stack["api_url"], "--api-key", stack["admin_api_key"], *words], out=out)
    return status, out.getvalue()


def fetch(stack: dict[str, Any], href: str) -> bytes:
    """The bytes behind a files API path: its presigned URL, fetched from the emulator without the API key."""
    ticket = api(stack).get(href)
    assert ticket.status == 200, ticket.body
    assert ticket.body["url"].startswith(stack["emulator_url"])
    response = requests.get(ticket.body["url"], timeout=30)
    assert response.status_code == 200, response.text[:300]
    return response.content


def test_a_presigned_url_downloads_the_exact_bytes_of_a_key_with_spaces_accents_and_slashes(
        stack: dict[str, Any]) -> None:
    # given a file stored under an awkward key
    payload = "artikel;prijs\r\nLamp é;12,50\r\n".encode()
    boto3.client("s3", endpoint_url=stack["emulator_url"], region_name=stack["region"],
                 aws_access_key_id="testing", aws_secret_access_key="testing").put_object(
        Bucket=stack["bucket"], Key=f"environments/{ENV}/{ODD_KEY}", Body=payload)
    # when its link is asked for and followed, then the bytes are the file's (the name to save it under is in the
    # signed URL, see test_files_api; moto does not echo response-content-disposition, S3 does)
    assert fetch(stack, f"/environments/{ENV}/files/{urllib.parse.quote(ODD_KEY, safe='/')}") == payload
    # and the folder lists it, with its size
    listed = api(stack).get(f"/environments/{ENV}/files?folder={urllib.parse.quote(FOLDER)}"
                            "&recursive=true").body["items"]
    assert [(f["key"], f["size"]) for f in listed] == [(ODD_KEY, len(payload))]


def test_every_file_of_an_import_run_is_downloadable_from_its_link(stack: dict[str, Any], tmp_path: Path) -> None:
    # given the demo upload's run (24 created, 2 rejected)
    status, text = pimtasks(stack, "--json", "upload", "Sales conditions APAC", str(DEMO_FILE), "--wait",
                            "--timeout", "120")
    assert status == 3, text  # partly succeeded: 2 rows rejected
    run = json.loads(text)
    files = {f["role"]: f for f in run["files"]}
    assert set(files) == {"input", "archived", "rejected_rows", "report"}
    # then its links give the input it read (that version, though it left Uploads), the archived copy,
    demo = DEMO_FILE.read_bytes()
    assert "version_id=" in files["input"]["href"]
    assert fetch(stack, files["input"]["href"]) == demo
    assert fetch(stack, files["archived"]["href"]) == demo
    # the rejected rows with their reasons and the report
    assert "twaalf" in fetch(stack, files["rejected_rows"]["href"]).decode("utf-8-sig")
    assert "sales-conditions-apac.xlsx" in fetch(stack, files["report"]["href"]).decode()
    # and the CLI saves a file where it is told, byte for byte
    target = tmp_path / "archived.xlsx"
    status, text = pimtasks(stack, "files", "get", files["archived"]["key"], "-o", str(target))
    assert status == 0, text
    assert target.read_bytes() == demo
    assert f"to {target}" in text


def test_the_cli_lists_a_folder_and_refuses_a_key_that_climbs_out(stack: dict[str, Any]) -> None:
    status, text = pimtasks(stack, "files", "list")
    assert status == 0 and "Archived/" in text and "Invoices/" in text
    status, text = pimtasks(stack, "--json", "files", "list", "--folder", "Downloads", "--recursive", "--limit", "1")
    assert status == 0
    assert [f["key"] for f in json.loads(text)["items"]] == [ODD_KEY]
    status, _ = pimtasks(stack, "files", "get", "Reports/../../000002/Reports/x.csv")
    assert status == 1
    status, _ = pimtasks(stack, "files", "list", "--folder", "Secrets")
    assert status == 1
