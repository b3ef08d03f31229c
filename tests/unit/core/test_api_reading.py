"""Reading requests and tokens strictly: bodies, page tokens, identifiers, credential fields, admin keys."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from pimtasks.api.request_body import (
    BadRequestError,
    UnsupportedMediaTypeError,
    accepted_media_types,
    media_type_of,
    read_json_body,
)
from pimtasks.clock import SystemClock
from pimtasks.domain.environment import ApiKey, Principal
from pimtasks.domain.ftps_user import is_ftps_username
from pimtasks.domain.identifiers import REDACTED_SECRET_REF, is_environment_id, is_folder_name
from pimtasks.domain.task import Task, TaskSpec, listing_key
from pimtasks.domain.task_types import redact_secret_references, secret_references
from pimtasks.errors import ConflictError, ValidationFailedError
from pimtasks.services.access import AccessService
from pimtasks.services.page_tokens import decode_page_token, encode_page_token
from pimtasks.services.tasks import TaskPagePosition
from pimtasks_local.cli import all_pages
from pimtasks_local.http_client import ApiResponse
from pydantic import TypeAdapter

from tests.unit.core.test_models import task

JSON_TYPES = accepted_media_types("application/json")


def read(body: str | None, *, media_type: str = "application/json", is_base64: bool = False,
         accepted: tuple[str, ...] = JSON_TYPES) -> Any:
    return read_json_body(body=body, is_base64=is_base64, media_type=media_type, accepted=accepted)


def test_a_json_body_is_read_and_an_empty_one_is_none() -> None:
    assert read('{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}
    assert read(None) is None and read("") is None
    assert read(base64.b64encode('{"é": 1}'.encode()).decode(), is_base64=True) == {"é": 1}


@pytest.mark.parametrize(("body", "is_base64", "expected"), [
    (base64.b64encode(b'{"a": "\xff"}').decode(), True, "byte 0xff at offset 7"),
    ("{\"a\": \"\ud800\"}", False, "not UTF-8"),
    ("not base64 at all!", True, "not base64"),
    ('{"a": ', False, "not valid JSON: Expecting value (line 1, column 7)"),
    ("[" * 100_000 + "]" * 100_000, False, "nested deeper than 32 levels"),
    ('{"a":' * 33 + "1" + "}" * 33, False, "nested deeper than 32 levels"),
    ('{"sequence_no": ' + "9" * 5000 + "}", False, "cannot be read: Exceeds the limit (4300 digits)"),
], ids=["not-utf8", "lone-surrogate", "not-base64", "not-json", "100000-deep", "33-deep", "5000-digits"])
def test_an_unreadable_body_is_a_bad_request_saying_why(body: str, is_base64: bool, expected: str) -> None:
    with pytest.raises(BadRequestError) as raised:
        read(body, is_base64=is_base64)
    assert expected in raised.value.message and raised.value.field == "body"


def test_32_levels_are_fine() -> None:
    assert read('{"a":' * 31 + "[1]" + "}" * 31) is not None


@pytest.mark.parametrize("media_type", ["multipart/form-data", "application/x-www-form-urlencoded", "text/plain"])
def test_only_json_media_types_are_taken(media_type: str) -> None:
    with pytest.raises(UnsupportedMediaTypeError, match="send application/json"):
        read('{"a": 1}', media_type=media_type)


def test_merge_patch_is_taken_where_declared_and_json_with_it() -> None:
    patch_types = accepted_media_types("application/merge-patch+json")
    assert read('{"a": 1}', media_type="application/merge-patch+json", accepted=patch_types) == {"a": 1}
    assert read('{"a": 1}', media_type="application/json", accepted=patch_types) == {"a": 1}
    with pytest.raises(UnsupportedMediaTypeError):
        read('{"a": 1}', media_type="application/merge-patch+json")
    assert media_type_of("Application/Merge-Patch+JSON; charset=utf-8") == "application/merge-patch+json"


def _position() -> TaskPagePosition:
    return TaskPagePosition(pk="ENV#000001", sk=f"TASK#{'a' * 32}", list_sk=f"000010\x01weekly\x01{'a' * 32}")


def test_a_page_token_round_trips_and_a_garbled_one_names_next_token() -> None:
    token = encode_page_token(_position())
    assert decode_page_token(token, position=TaskPagePosition) == _position()
    assert decode_page_token(None, position=TaskPagePosition) is None
    document = json.loads(base64.urlsafe_b64decode(token))
    for forged in ({**document, "pk": 10}, {**document, "extra": 1}, {**document, "sk": "TASK#x"}, [1]):
        garbled = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
        with pytest.raises(ValidationFailedError) as raised:
            decode_page_token(garbled, position=TaskPagePosition)
        assert raised.value.field == "next_token"
    for garbage in ("%%%", "é", token[:-3], "A" * 2001):
        with pytest.raises(ValidationFailedError):
            decode_page_token(garbage, position=TaskPagePosition)


def test_the_listing_key_orders_by_sequence_no_then_description_ignoring_case() -> None:
    def stored(sequence_no: int, description: str, task_id: str) -> Task:
        spec = TypeAdapter(TaskSpec).validate_python(task("import", description=description, sequence_no=sequence_no))
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        return Task(task_id=task_id, environment="000001", spec=spec, created_at=now, updated_at=now, version=1,
                    schedule_anchor=now)

    tasks = [stored(10, "Export 2", "a" * 32), stored(10, "export", "b" * 32), stored(9, "Zeta", "c" * 32),
             stored(100, "A", "d" * 32), stored(10, "Export", "0" * 32), stored(10, "Ex\tport", "e" * 32)]
    listed = [(t.spec.sequence_no, t.spec.description) for t in sorted(tasks, key=listing_key)]
    assert listed == [(9, "Zeta"), (10, "Ex\tport"), (10, "Export"), (10, "export"), (10, "Export 2"), (100, "A")]
    assert all(len(listing_key(t).encode()) <= 1024 for t in tasks)


@pytest.mark.parametrize("suffix", ["\n", "\r", "\x00"], ids=["newline", "carriage-return", "nul"])
def test_identifiers_with_a_trailing_control_character_are_not_identifiers(suffix: str) -> None:
    assert not is_environment_id(f"000001{suffix}")
    assert not is_folder_name(f"Imports{suffix}")
    assert not is_ftps_username(f"supplier{suffix}")
    assert is_environment_id("000001") and is_folder_name("Imports") and is_ftps_username("supplier")


def test_credential_fields_are_found_and_redacted_nested_ones_too() -> None:
    spec = TypeAdapter(TaskSpec).validate_python(task("export", settings={
        "export_name": "Prices", "remote": {"protocol": "sftp", "host": "h", "username": "u", "password": "pasted",
                                      "host_key": "SHA256:abc"}}))
    assert secret_references(spec.settings) == [("settings.remote.password", "pasted")]
    redacted = redact_secret_references(spec.settings, shown={"sftp-password"}.__contains__)
    assert redacted.remote.password == REDACTED_SECRET_REF and spec.settings.remote.password == "pasted"
    assert redact_secret_references(spec.settings, shown={"pasted"}.__contains__) is spec.settings
    etim = TypeAdapter(TaskSpec).validate_python(task("import_etim"))
    assert secret_references(etim.settings) == [("settings.client_secret", "etim")]


class _Keys:
    def __init__(self, *keys: ApiKey) -> None:
        self.keys = {key.key_id: key for key in keys}

    def find_api_key(self, key_id: str) -> ApiKey | None:
        return self.keys.get(key_id)

    def list_api_keys(self) -> list[ApiKey]:
        return list(self.keys.values())

    def delete_api_key(self, key_id: str) -> None:
        del self.keys[key_id]


def _key(key_id: str, *, admin: bool) -> ApiKey:
    return ApiKey(key_id=key_id, key_hash="h", environments=("000001",), admin=admin, description="",
                  created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def test_the_last_admin_key_and_the_callers_own_key_cannot_be_revoked() -> None:
    store = _Keys(_key("a" * 16, admin=True), _key("b" * 16, admin=False))
    access = AccessService(store=store, clock=SystemClock())  # type: ignore[arg-type]
    # a caller whose own key is gone (revoked meanwhile) still cannot take the last admin key away
    caller = Principal(key_id="c" * 16, environments=(), admin=True)
    with pytest.raises(ConflictError, match="last admin key"):
        access.revoke_api_key("a" * 16, caller=caller)
    with pytest.raises(ConflictError, match="cannot revoke itself"):
        access.revoke_api_key("a" * 16, caller=Principal(key_id="a" * 16, environments=(), admin=True))
    access.revoke_api_key("b" * 16, caller=caller)
    assert list(store.keys) == ["a" * 16]


class _PagedApi:
    """Answers a listing in pages of two, like the API with limit=2."""

    def __init__(self, items: list[int]) -> None:
        self.items = items
        self.paths: list[str] = []

    def get(self, path: str) -> ApiResponse:
        self.paths.append(path)
        start = int(path.split("next_token=")[1]) if "next_token=" in path else 0
        following = str(start + 2) if start + 2 < len(self.items) else None
        return ApiResponse(200, {"items": self.items[start:start + 2], "next_token": following}, {})


def test_the_cli_follows_every_page() -> None:
    api = _PagedApi(list(range(5)))
    listed = all_pages(api, "/environments/000001/tasks")  # type: ignore[arg-type]
    assert listed.body == {"items": [0, 1, 2, 3, 4], "next_token": None}
    assert len(api.paths) == 3 and all("limit=100" in path for path in api.paths)
