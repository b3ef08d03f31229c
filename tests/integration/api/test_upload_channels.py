"""Manual upload through the API obeys the import task's manual_upload setting."""

from __future__ import annotations

from typing import Any

from tests.integration.api.conftest import Api
from tests.integration.api.test_api import WEEKLY, create


def locked_import(**settings: Any) -> dict[str, Any]:
    return {**WEEKLY, "description": "Import nobody may upload to",
            "settings": {"import_name": "Locked", "manual_upload": False, "ftps_upload": False,
                         "auto_import": True, **settings}}


def request_upload(api: Api, import_name: str) -> Any:
    return api.call("POST", "/environments/000001/uploads", key=api.admin_key,
                    body={"import_name": import_name, "file_name": "prices.xlsx"})


def test_an_import_with_manual_upload_off_gets_no_upload_url(api: Api) -> None:
    # Given an import task with manual and FTPS upload off
    create(api, locked_import())

    # When a presigned upload is asked for its folder
    reply = request_upload(api, "Locked")

    # Then it is refused as a conflict with the task's settings, naming the import and the setting
    assert reply.status == 409, reply.body
    assert reply.body["message"] == "Manual upload is off for import 'Locked' (its import task has manual_upload false)"
    assert "url" not in reply.body


def test_switching_manual_upload_on_opens_the_import_at_once(api: Api) -> None:
    task = create(api, locked_import())
    assert request_upload(api, "Locked").status == 409

    patched = api.call("PATCH", f"/environments/000001/tasks/{task['task_id']}", key=api.admin_key,
                       body={"settings": {"manual_upload": True}})
    assert patched.status == 200, patched.body

    reply = request_upload(api, "Locked")
    assert reply.status == 201 and reply.body["key"] == "environments/000001/Uploads/Locked/prices.xlsx"


def test_ftps_upload_alone_does_not_open_manual_upload_and_unknown_imports_stay_422(api: Api) -> None:
    create(api, locked_import(ftps_upload=True))
    assert request_upload(api, "Locked").status == 409
    unknown = request_upload(api, "Nope")
    assert unknown.status == 422 and unknown.body["errors"][0]["field"] == "import_name"
