"""The presigned upload refuses, at once, a file name that an import would never read."""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import Api
from tests.integration.api.test_api import create


@pytest.mark.parametrize(("file_name", "why"), [
    ("x.part", "it ends with .part"),
    ("~$prices.xlsx", "Office lock file"),
    (".prices.csv", "it starts with a dot"),
    ("sub/dir/prices.csv", "files in subfolders of an import are never imported"),
])
def test_a_name_that_is_never_imported_gets_422_naming_file_name_and_why(api: Api, file_name: str,
                                                                         why: str) -> None:
    create(api)
    reply = api.call("POST", "/environments/000001/uploads", key=api.admin_key,
                     body={"import_name": "Sales conditions APAC", "file_name": file_name})
    assert reply.status == 422, reply.body
    [error] = reply.body["errors"]
    assert error["field"] == "file_name" and why in error["message"] and file_name in error["message"]
    assert "url" not in reply.body
