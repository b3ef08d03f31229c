"""The README's screenshots of the console (``make screenshots`` writes them to docs/console/); skipped otherwise.

They are taken from a fresh demo stack the way an administrator meets it: the list, the demo task's settings,
its upload with the AutoImport run and the rejected rows, the run's files, a new task's form, and the list on a
phone.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.console.conftest import sign_in
from tests.e2e.local_stack import LocalStack
from tests.e2e.test_imports import DEMO_FILE

TARGET = os.environ.get("PIMTASKS_SCREENSHOTS")
LAPTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.skipif(not TARGET, reason="screenshots only with make screenshots (PIMTASKS_SCREENSHOTS)")


def shoot(page: Any, name: str) -> None:
    folder = Path(str(TARGET))
    folder.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let the focus ring and live regions settle
    page.screenshot(path=str(folder / f"{name}.png"))


def test_screenshots(page: Any, console_stack: LocalStack) -> None:
    page.set_viewport_size(LAPTOP)
    shoot(page, "sign-in")
    sign_in(page, console_stack)

    # the demo upload, followed to its run, then the run page with the rejected rows
    page.get_by_role("link", name="Upload", exact=True).click()
    page.get_by_label("Import", exact=True).select_option(
        label="Sales conditions APAC — Weekly import of sales conditions for APAC")
    page.locator("#upload-file").set_input_files(str(DEMO_FILE))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-run")).to_contain_text("24 created", timeout=60_000)
    shoot(page, "upload")
    page.locator("#upload-run-link").click()
    expect(page.locator(".count-created dd")).to_have_text("24")
    page.get_by_role("button", name=re.compile(r"^Errors")).click()
    shoot(page, "run")

    # the environment's files: that run's folder in Reports, every file a download link
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Files").click()
    page.get_by_role("list", name="Folders").get_by_role("link", name="Reports/", exact=True).click()
    page.get_by_role("link", name="Sales conditions APAC/").click()
    page.locator("a.folder-link").first.click()
    page.locator("a.file-link").first.wait_for()
    shoot(page, "files")

    # the list with that run, then the task's page and its settings form
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Periodic tasks").click()
    expect(page.locator("tr", has_text="Weekly import of sales conditions for APAC")).to_contain_text(
        "Partially succeeded")
    shoot(page, "tasks")
    page.get_by_role("link", name="Weekly import of sales conditions for APAC").click()
    expect(page.locator("table.runs tbody tr[data-run-id]")).to_have_count(1)
    shoot(page, "task")
    page.locator("fieldset[data-path='settings.layout.columns']").evaluate("e => e.scrollIntoView()")
    shoot(page, "task-layout")

    # adding a task: the form built from the type's settings model, the secret picked by name
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Periodic tasks").click()
    page.get_by_role("link", name="Add a task").click()
    page.get_by_label("Periodic task type").select_option(label="Import ETIM")
    page.get_by_label("Description").fill("Weekly ETIM classification")
    page.get_by_label("Client ID (required)").fill("my-etim-client")
    page.get_by_label("Client secret (required)").select_option("etim-secret")
    page.get_by_label("Description").focus()
    page.set_viewport_size({"width": 1366, "height": 1800})
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "new-task")
    page.set_viewport_size(LAPTOP)

    # the list on a phone
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Periodic tasks").click()
    page.set_viewport_size(PHONE)
    page.locator("table.tasks tbody tr[data-task-id]").first.wait_for()
    shoot(page, "tasks-phone")
