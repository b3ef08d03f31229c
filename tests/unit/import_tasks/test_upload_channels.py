"""Which channels may deliver into an import's folder: the rule the API, the FTPS gateway and the Transfer
Family session policy share (no AWS)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pimtasks.domain.identifiers import new_task_id
from pimtasks.domain.task import Task, TaskSpec
from pimtasks.errors import ConflictError, ValidationFailedError
from pimtasks.services.upload_channels import ImportFolders, UploadChannel, UploadChannelClosedError
from pydantic import TypeAdapter

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
_SPEC: TypeAdapter[Any] = TypeAdapter(TaskSpec)


def task(settings: dict[str, Any], *, task_type: str = "import", active: bool = True) -> Task:
    spec = _SPEC.validate_python({"type": task_type, "description": "d", "active": active,
                                  "frequency": {"every": "day", "time": "06:00"}, "settings": settings})
    return Task(task_id=new_task_id(), environment="000001", spec=spec, created_at=NOW,
                updated_at=NOW, version=1, schedule_anchor=NOW)


def test_each_setting_opens_its_own_channel() -> None:
    # Given imports with every combination of the two settings
    imports = ImportFolders.of([
        task({"import_name": "Locked", "manual_upload": False, "ftps_upload": False, "auto_import": True}),
        task({"import_name": "Manual only"}),  # the defaults: manual on, FTPS off
        task({"import_name": "FTPS only", "manual_upload": False, "ftps_upload": True}),
        task({"import_name": "Both", "ftps_upload": True}),
        task({"client_id": "c", "client_secret": "s"}, task_type="import_etim"),
    ])

    # Then each channel accepts exactly the imports whose setting is on
    assert imports.names == ["Both", "FTPS only", "Locked", "Manual only"]
    assert imports.accepting(UploadChannel.MANUAL) == ["Both", "Manual only"]
    assert imports.accepting(UploadChannel.FTPS) == ["Both", "FTPS only"]
    assert not imports.accepts("Locked", UploadChannel.MANUAL) and not imports.accepts("Locked", UploadChannel.FTPS)
    assert not imports.accepts("Unknown", UploadChannel.MANUAL)


def test_an_import_named_by_several_tasks_accepts_a_channel_any_of_them_opens() -> None:
    imports = ImportFolders.of([
        task({"import_name": "Shared", "manual_upload": False}),
        task({"import_name": "Shared", "manual_upload": False, "ftps_upload": True, "archived": False},
             active=False),
    ])
    assert imports.accepts("Shared", UploadChannel.FTPS)
    assert not imports.accepts("Shared", UploadChannel.MANUAL)


def test_a_closed_channel_is_a_conflict_naming_the_import_and_the_setting() -> None:
    imports = ImportFolders.of([task({"import_name": "Locked", "manual_upload": False})])

    with pytest.raises(UploadChannelClosedError) as manual:
        imports.require("Locked", UploadChannel.MANUAL)
    with pytest.raises(UploadChannelClosedError) as ftps:
        imports.require("Locked", UploadChannel.FTPS)

    assert isinstance(manual.value, ConflictError)  # the API's one error mapping makes it a 409
    assert str(manual.value) == "Manual upload is off for import 'Locked' (its import task has manual_upload false)"
    assert str(ftps.value).startswith("FTPS upload is off for import 'Locked'") and "ftps_upload" in str(ftps.value)


def test_an_unknown_import_is_a_validation_error_listing_the_known_ones() -> None:
    imports = ImportFolders.of([task({"import_name": "Products", "ftps_upload": True})])
    with pytest.raises(ValidationFailedError) as unknown:
        imports.require("Nope", UploadChannel.FTPS)
    assert unknown.value.field == "import_name" and "Products" in unknown.value.message
    with pytest.raises(ValidationFailedError, match="none yet"):
        ImportFolders.of([]).require("Nope", UploadChannel.MANUAL)
    imports.require("Products", UploadChannel.FTPS)  # open: no error
