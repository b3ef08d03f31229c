"""``pimtasks files``: a folder's pages add up its files and its subfolders, and a key is sent with its slashes."""

from __future__ import annotations

import argparse
from typing import Any

from pimtasks_local.cli_api import OPERATIONS, Paging, pages
from pimtasks_local.http_client import ApiResponse


class _PagedFolder:
    """Answers a folder listing of two pages (records the URLs asked for)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def get(self, path: str, **_: Any) -> ApiResponse:
        self.asked.append(path)
        if "next_token" not in path:
            return ApiResponse(200, {"folder": "Reports/", "items": [{"key": "Reports/a.txt"}],
                                     "folders": ["Reports/x/"], "next_token": "t1"}, {})
        return ApiResponse(200, {"folder": "Reports/", "items": [{"key": "Reports/b.txt"}],
                                 "folders": ["Reports/y/"], "next_token": None}, {})


def test_pages_of_a_folder_add_up_files_and_subfolders() -> None:
    client = _PagedFolder()
    answer = pages(client, "/environments/000001/files?folder=Reports", limit=None,  # type: ignore[arg-type]
                   lists=("items", "folders"))
    assert [item["key"] for item in answer.body["items"]] == ["Reports/a.txt", "Reports/b.txt"]
    assert answer.body["folders"] == ["Reports/x/", "Reports/y/"]
    assert answer.body["next_token"] is None and len(client.asked) == 2


def test_files_get_sends_the_key_with_its_slashes_and_each_segment_quoted() -> None:
    operation = next(o for o in OPERATIONS if (o.group, o.name) == ("files", "get"))
    arguments = argparse.Namespace(file_key="Reports/Sales conditions APAC/r1/prijs é.csv", output=None, url_only=False)
    assert operation.url("000001", arguments) == \
        "/environments/000001/files/Reports/Sales%20conditions%20APAC/r1/prijs%20%C3%A9.csv"
    listing = next(o for o in OPERATIONS if (o.group, o.name) == ("files", "list"))
    assert listing.paging == Paging(default_limit=None, lists=("items", "folders"))
