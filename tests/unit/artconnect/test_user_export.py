"""The ``pimtasks.users/1`` document of Export Art-Connect Users, its settings, and what a full export leaves out."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from pimtasks.artconnect.posting import Chunk, message_content, message_id
from pimtasks.artconnect.user_export import USER_FIELDS, UserExport, users_document
from pimtasks.domain.catalog_storage import StoredChange
from pimtasks.domain.task_types import ExportArtConnectUsersSettings
from pydantic import ValidationError

GENERATED = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
SETTINGS = {"endpoint_url": "https://hub.example.com/MessageService", "username": "pim", "password": "ac"}


def change(user_id: str, *, deleted: bool = False, **data: object) -> StoredChange:
    at = "2026-12-03T08:12:00.000Z"
    return StoredChange(key=(user_id,), record_id=user_id, data={"user_id": user_id, **data}, changed_at=at,
                        position=f"{at}#{user_id}", deleted=deleted)


def test_a_delta_document_lists_every_field_of_each_user_and_the_removals() -> None:
    chunk = Chunk(entries=[change("U-1", name="Jan", email="jan@example.nl", active=False),
                           change("U-7", deleted=True, name="Weg"), change("U-2")],
                  number=3, msg_id=message_id("20261203T090000-abc", 3), since="2026-12-02T09:00:00.000Z")
    document = users_document(chunk, generated=GENERATED, sender_gln="8712345000004")
    assert document == {
        "schema": "pimtasks.users/1", "message_id": "PIM-20261203T090000-abc-00003", "sequence": 3,
        "generated_at": "2026-12-03T09:00:00.000Z", "type": "CHANGE", "changed_since": "2026-12-02T09:00:00.000Z",
        "sender_gln": "8712345000004",
        "users": [
            {"user_id": "U-1", "name": "Jan", "email": "jan@example.nl", "debtor_number": None,
             "customer_group": None, "gln": None, "active": False, "changed_at": "2026-12-03T08:12:00.000Z"},
            {"user_id": "U-2", "name": None, "email": None, "debtor_number": None, "customer_group": None,
             "gln": None, "active": True, "changed_at": "2026-12-03T08:12:00.000Z"},
        ],
        "removed": ["U-7"],
    }
    assert USER_FIELDS == ("user_id", "name", "email", "debtor_number", "customer_group", "gln", "active")
    assert json.loads(base64.b64decode(message_content(document))) == document


def test_a_full_document_says_so_and_a_full_export_leaves_removals_out() -> None:
    chunk = Chunk(entries=[change("U-1")], number=1, msg_id="PIM-r-00001", since=None)
    document = users_document(chunk, generated=GENERATED, sender_gln=None)
    assert (document["type"], document["changed_since"], document["sender_gln"]) == ("FULL", None, None)
    export = UserExport(hub=None, catalog=None, settings=ExportArtConnectUsersSettings(**SETTINGS))  # type: ignore[arg-type]
    tombstone = change("U-9", deleted=True)
    assert export.left_out(tombstone, delta=False) and not export.left_out(tombstone, delta=True)
    assert not export.left_out(change("U-1"), delta=False)


def test_settings_default_and_bounds() -> None:
    settings = ExportArtConnectUsersSettings(**SETTINGS)
    assert (settings.only_changed, settings.users_per_message, settings.message_type) == (True, 500, "USERS")
    for wrong in ({"users_per_message": 0}, {"users_per_message": 5001}, {"message_type": "users"},
                  {"sender_gln": "871234500000"}):
        with pytest.raises(ValidationError):
            ExportArtConnectUsersSettings(**SETTINGS, **wrong)  # type: ignore[arg-type]
