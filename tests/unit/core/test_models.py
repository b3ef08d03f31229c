"""Task, frequency and notification models: what an administrator may and may not define."""

from __future__ import annotations

from typing import Any

import pytest
from pimtasks.domain.frequency import Frequency
from pimtasks.domain.notification import Notification, NotifyWhen
from pimtasks.domain.task import TaskSpec
from pimtasks.domain.task_types import SETTINGS_FOR_TYPE, TaskType
from pydantic import TypeAdapter, ValidationError

SPEC: TypeAdapter[Any] = TypeAdapter(TaskSpec)
FREQUENCY: TypeAdapter[Any] = TypeAdapter(Frequency)

MINIMAL_SETTINGS = {
    "import": {"import_name": "Articles"},
    "import_etim": {"client_id": "c", "client_secret": "etim"},
    "export": {"export_name": "Prices"},
    "feed": {"feed_name": "Channel"},
    "magento": {"base_url": "https://shop.example.com", "access_token": "magento"},
    "import_2ba": {"client_id": "c", "client_secret": "twoba", "supplier_glns": ["8712345000004"]},
    "import_artconnect_invoices": {"endpoint_url": "https://hub.example.com", "username": "u", "password": "ac"},
    "export_artconnect": {"endpoint_url": "https://hub.example.com", "username": "u", "password": "ac"},
    "export_artconnect_users": {"endpoint_url": "https://hub.example.com", "username": "u", "password": "ac"},
    "export_artikelbeheer": {"supplier_gln": "8712345000004", "upload_url": "https://upload.example.nl/xchange",
                             "username": "u", "password": "ab"},
}


def task(type_: str, **overrides: Any) -> dict[str, Any]:
    return {"type": type_, "description": "A task", "frequency": {"every": "day", "time": "06:00"},
            "settings": MINIMAL_SETTINGS[type_], **overrides}


@pytest.mark.parametrize("type_", [t.value for t in TaskType])
def test_every_type_accepts_its_minimal_settings(type_: str) -> None:
    spec = SPEC.validate_python(task(type_))
    assert spec.type == type_
    assert isinstance(spec.settings, SETTINGS_FOR_TYPE[TaskType(type_)])


@pytest.mark.parametrize("type_", [t.value for t in TaskType])
def test_settings_reject_unknown_fields_so_values_cannot_sneak_in(type_: str) -> None:
    with pytest.raises(ValidationError) as raised:
        SPEC.validate_python(task(type_, settings={**MINIMAL_SETTINGS[type_], "password_value": "hunter2"}))
    assert raised.value.errors()[0]["type"] == "extra_forbidden"


@pytest.mark.parametrize("description", ["", "   "])
def test_description_is_required_and_not_blank(description: str) -> None:
    with pytest.raises(ValidationError):
        SPEC.validate_python(task("import", description=description))


@pytest.mark.parametrize("frequency", [
    {"every": "once", "date": "2026-12-01", "time": "12:53"},
    {"every": "minutes", "interval": 5},
    {"every": "minutes", "interval": 720},
    {"every": "hour", "minute": 59},
    {"every": "day", "time": "00:00"},
    {"every": "week", "days": ["SUN", "MON", "MON"], "time": "23:59"},
    {"every": "month", "day_of_month": 31, "time": "12:00"},
    {"every": "month", "day_of_month": "last", "time": "12:00", "timezone": "Asia/Tokyo"},
])
def test_the_six_frequencies_are_accepted(frequency: dict[str, Any]) -> None:
    parsed = FREQUENCY.validate_python(frequency)
    assert parsed.every == frequency["every"]


def test_weekdays_are_deduplicated_in_week_order() -> None:
    parsed = FREQUENCY.validate_python({"every": "week", "days": ["SUN", "MON", "MON"], "time": "08:00"})
    assert [d.value for d in parsed.days] == ["MON", "SUN"]


@pytest.mark.parametrize("frequency", [
    {"every": "minutes", "interval": 4},
    {"every": "minutes", "interval": 721},
    {"every": "hour", "minute": 60},
    {"every": "day", "time": "24:00"},
    {"every": "day", "time": "7:5"},
    {"every": "week", "days": [], "time": "08:00"},
    {"every": "week", "days": ["MONDAY"], "time": "08:00"},
    {"every": "month", "day_of_month": 0, "time": "08:00"},
    {"every": "month", "day_of_month": 32, "time": "08:00"},
    {"every": "month", "day_of_month": "first", "time": "08:00"},
    {"every": "day", "time": "08:00", "timezone": "Mars/Olympus"},
    {"every": "fortnight", "time": "08:00"},
])
def test_invalid_frequencies_are_rejected(frequency: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        FREQUENCY.validate_python(frequency)


def test_credentials_are_secret_names_not_values() -> None:
    with pytest.raises(ValidationError):
        SPEC.validate_python(task("import_etim", settings={"client_id": "c", "client_secret": "has spaces/and slash"}))


def test_gln_needs_13_digits_and_etim_languages_are_checked() -> None:
    with pytest.raises(ValidationError):
        SPEC.validate_python(task("import_2ba", settings={**MINIMAL_SETTINGS["import_2ba"], "supplier_glns": ["123"]}))
    with pytest.raises(ValidationError) as raised:
        SPEC.validate_python(task("import_etim", settings={**MINIMAL_SETTINGS["import_etim"], "languages": ["xx"]}))
    assert "nl-NL" in str(raised.value)


def test_import_folder_names_cannot_leave_the_uploads_folder() -> None:
    for name in ("../other", "a/b", ".hidden", ""):
        with pytest.raises(ValidationError):
            SPEC.validate_python(task("import", settings={"import_name": name}))


def test_custom_layout_requires_a_layout() -> None:
    with pytest.raises(ValidationError):
        SPEC.validate_python(task("import", settings={"import_name": "A", "custom_layout": True}))


@pytest.mark.parametrize(("when", "failed", "mailed"), [
    (NotifyWhen.ALWAYS, False, True), (NotifyWhen.ALWAYS, True, True),
    (NotifyWhen.FAILURE, False, False), (NotifyWhen.FAILURE, True, True),
    (NotifyWhen.NEVER, True, False),
])
def test_notification_decides_when_to_mail(when: NotifyWhen, failed: bool, mailed: bool) -> None:
    assert Notification(emails=["a@example.com"], when=when).wants_report(failed=failed) is mailed
    assert Notification(emails=[], when=when).wants_report(failed=failed) is False


@pytest.mark.parametrize("address", ["no-at-sign", "a@nodot", "a b@example.com", "<a@example.com>"])
def test_bad_addresses_are_rejected(address: str) -> None:
    with pytest.raises(ValidationError):
        Notification(emails=[address])


def test_addresses_are_deduplicated_case_insensitively() -> None:
    assert Notification(emails=["Sales@example.com", "sales@EXAMPLE.com"]).emails == ["Sales@example.com"]
