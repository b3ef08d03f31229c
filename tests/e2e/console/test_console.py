"""The web console as an administrator uses it, in Chromium: sign in, create a weekly task and see its next run,
start it and see the run end, upload the demo file and read its row messages, stop a long import, delete a task,
page, sort and filter the list, FTPS users and secrets."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.console.conftest import sign_in
from tests.e2e.local_stack import LocalStack
from tests.e2e.test_imports import DEMO_FILE, products_csv, upload
from tests.e2e.test_platform import eventually

ENV = "/environments/000001"
DASH = "\N{EN DASH}"  # the list writes ranges with an en dash


def task_id_by_description(stack: LocalStack, text: str, environment: str = ENV) -> str:
    items = stack.get(f"{environment}/tasks?limit=100").body["items"]
    return str(next(t["task_id"] for t in items if t["description"] == text))


def test_a_wrong_key_is_told_so_and_the_right_key_is_kept_for_the_tab_only(page: Any,
                                                                           console_stack: LocalStack) -> None:
    # given the sign-in page, when a wrong key is tried
    page.get_by_label("API key").fill("ptk_wrong_key")
    page.get_by_role("button", name="Sign in").click()
    # then the page says so and keeps the focus on the key
    expect(page.get_by_role("alert")).to_contain_text("This API key is not valid")
    expect(page.get_by_label("API key")).to_be_focused()
    # when the right key is given, then the demo tasks are listed with their frequency in words
    sign_in(page, console_stack)
    row = page.locator("tr", has_text="Weekly import of sales conditions for APAC")
    expect(row).to_contain_text("Mondays at 12:53, Europe/Amsterdam")
    expect(row.locator(".col-next_run_at time")).to_have_text(re.compile(r"^Mon, \d+ \w{3} \d{4}, 12:53$"))
    # and the key lives in this tab's sessionStorage only
    assert page.evaluate("sessionStorage.getItem('pimtasks.apiKey')") == console_stack.admin_key
    assert page.evaluate("localStorage.length") == 0


def test_a_weekly_task_is_created_from_the_schema_form_and_shows_its_next_run(signed_in: Any) -> None:
    page = signed_in
    # given the "Adding a task" form of an Import ETIM task
    page.get_by_role("link", name="Add a task").click()
    page.get_by_label("Periodic task type").select_option(label="Import ETIM")
    page.get_by_label("Description").fill("Weekly ETIM classification for the console test")
    page.get_by_label("Every").select_option("week")
    page.get_by_label("Thu").check()
    page.get_by_label("Time (required)", exact=True).fill("07:15")
    page.get_by_label("Timezone").fill("Mars/Olympus_Mons")
    page.get_by_label("Client ID").fill("console-client")
    # the credential is a pick list of the environment's secret names, never a value
    secret = page.get_by_label("Client secret")
    expect(secret.locator("option", has_text="etim-secret")).to_have_count(1)
    secret.select_option("etim-secret")
    page.get_by_label("Languages").fill("EN\nnl-NL")
    # when it is saved with a time zone that does not exist
    page.get_by_role("button", name="Create task").click()
    # then the API's 422 shows next to the field
    zone_field = page.locator(".field[data-path='frequency.timezone']")
    expect(zone_field.locator(".field-error")).to_be_visible()
    expect(page.get_by_label("Timezone")).to_have_attribute("aria-invalid", "true")
    # when the zone is corrected, then the task page shows the task and its next run
    page.get_by_label("Timezone").fill("Europe/Amsterdam")
    page.get_by_role("button", name="Create task").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly ETIM classification for the console test")
    expect(page.locator(".overview-list")).to_contain_text("Mondays and Thursdays at 07:15, Europe/Amsterdam")
    expect(page.locator("#next-run time")).to_have_text(re.compile(r"^(Mon|Thu), \d+ \w{3} \d{4}, 07:15$"))


def test_start_shows_the_run_live_until_it_ends(signed_in: Any) -> None:
    page = signed_in
    # given the demo export task
    page.get_by_role("link", name="Daily export of all products to Excel").click()
    expect(page.get_by_role("heading", name="Runs")).to_be_visible()
    # when it is started
    page.locator("#start-task").click()
    # then its run appears in the history and ends, announced in the live region
    expect(page.locator("table.runs tbody tr[data-run-id]")).to_have_count(1)
    expect(page.locator("#run-live")).to_contain_text("Run ended")
    status = page.locator("table.runs tbody tr[data-run-id] .badge").first
    expect(status).not_to_have_text(re.compile("Queued|Running"))


def test_the_demo_upload_shows_24_created_and_2_rejected_rows_with_their_messages(signed_in: Any) -> None:
    page = signed_in
    # given the upload page of the demo import
    page.get_by_role("link", name="Upload", exact=True).click()
    page.get_by_label("Import", exact=True).select_option(
        label="Sales conditions APAC — Weekly import of sales conditions for APAC")
    # when the demo file is chosen and uploaded
    page.locator("#upload-file").set_input_files(str(DEMO_FILE))
    expect(page.locator("#upload-chosen")).to_contain_text("sales-conditions-apac.xlsx")
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-progress")).to_contain_text("Uploaded sales-conditions-apac.xlsx")
    # then the AutoImport run it started is followed to its end
    expect(page.locator("#upload-run")).to_contain_text("24 created", timeout=60_000)
    page.locator("#upload-run-link").click()
    # and the run page has the counts and the rejected rows' messages
    expect(page.locator(".count-created dd")).to_have_text("24")
    expect(page.locator(".count-rejected dd")).to_have_text("2")
    expect(page.locator("#run-status-badge")).to_contain_text("Partially succeeded")
    page.get_by_role("button", name=re.compile(r"^Errors \(2\)")).click()
    errors = page.locator("table.messages tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.filter(has_text="Nettoprijs").filter(has_text="twaalf")).to_have_count(1)
    expect(errors.first).to_contain_text("sales-conditions-apac.xlsx")
    # and its files are named (the archived copy, the rejected rows)
    expect(page.locator("ul.files")).to_contain_text("Archived copy")


def test_a_long_import_is_stopped_from_the_console(signed_in: Any, console_stack: LocalStack) -> None:
    page = signed_in
    # given a large file waiting in the Products import (which has no AutoImport)
    upload(console_stack, import_name="Products", file_name="products-console.csv", content=products_csv(200_000))
    page.get_by_role("link", name=re.compile("^Daily product import")).click()
    # when it is started and, while running, stopped
    page.locator("#start-task").click()
    expect(page.locator("table.runs progress")).to_be_visible()
    page.locator("#stop-task").click()
    # then the run ends cancelled and says how far it got
    expect(page.locator("#run-live")).to_contain_text("Run ended: Cancelled", timeout=60_000)
    run_link = page.locator("table.runs tbody tr[data-run-id] a").first
    run_link.click()
    expect(page.locator("#run-status-badge")).to_contain_text("Cancelled")
    read = int(page.locator(".count-read dd").inner_text().replace(",", ""))
    assert 0 <= read < 200_000


def test_delete_asks_first_and_then_removes_the_task(signed_in: Any, console_stack: LocalStack) -> None:
    page = signed_in
    created = console_stack.post(f"{ENV}/tasks", {
        "type": "feed", "description": "Feed to delete from the console", "sequence_no": 5,
        "frequency": {"every": "day", "time": "05:00"}, "settings": {"feed_name": "Delete me"}})
    assert created.status == 201, created.body
    page.goto(f"{console_stack.api_url}/#/tasks/{created.body['task_id']}")
    # when Delete is pressed and the dialog cancelled, nothing happens
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Feed to delete from the console")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert console_stack.get(f"{ENV}/tasks/{created.body['task_id']}").status == 200
    # when it is confirmed, the task is gone from the API and the list
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Periodic tasks", level=1)).to_be_visible()
    expect(page.locator("tr", has_text="Feed to delete from the console")).to_have_count(0)
    assert console_stack.get(f"{ENV}/tasks/{created.body['task_id']}").status == 404


def test_a_key_of_two_environments_picks_one_and_pages_sorts_and_filters_its_tasks(
        page: Any, console_stack: LocalStack) -> None:
    # given a second environment with 60 tasks and a key bound to both
    assert console_stack.post("/environments", {"environment": "000042", "name": "Paging"}).status == 201
    for number in range(60):
        kind = "feed" if number % 3 == 0 else "export"
        settings = {"feed_name": f"F{number}"} if kind == "feed" else {"export_name": f"E{number}"}
        answer = console_stack.post("/environments/000042/tasks", {
            "type": kind, "description": f"Paging task {number:02d}", "sequence_no": 1000 - number,
            "active": number % 2 == 0, "frequency": {"every": "hour", "minute": number % 60}, "settings": settings})
        assert answer.status == 201, answer.body
    key = console_stack.post("/api-keys", {"description": "two environments",
                                           "environments": ["000001", "000042"]})
    assert key.status == 201, key.body
    sign_in(page, console_stack, key.body["api_key"])
    # when the second environment is picked
    page.get_by_label("Environment").select_option("000042")
    summary = page.locator("#list-summary")
    # then its tasks are paged 50 at a time, by sequence no (the API's order)
    expect(summary).to_have_text(f"Tasks 1{DASH}50 of 60")
    expect(page.locator("table.tasks tbody tr").first).to_contain_text("Paging task 59")
    page.get_by_role("button", name="Next page").click()
    expect(summary).to_have_text(f"Tasks 51{DASH}60 of 60")
    # and sorted by description, filtered by type and active
    page.get_by_role("button", name="Description").click()
    expect(page.locator("table.tasks thead th.col-description")).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("table.tasks tbody tr").first).to_contain_text("Paging task 00")
    page.get_by_label("Type").select_option("feed")
    expect(summary).to_have_text(f"Tasks 1{DASH}20 of 20 (60 in all)")
    page.get_by_label("Active", exact=True).select_option("yes")
    expect(summary).to_have_text(f"Tasks 1{DASH}10 of 10 (60 in all)")
    expect(page.locator("table.tasks tbody tr").first).to_contain_text("Every hour at 00 past")


def test_ftps_users_and_secrets_show_a_generated_password_once_and_never_a_value(
        signed_in: Any, console_stack: LocalStack) -> None:
    page = signed_in
    page.get_by_role("link", name="FTPS users").click()
    page.get_by_label("User name").fill("console-supplier")
    page.get_by_role("button", name="Create user").click()
    password = page.locator("#generated-password")
    expect(password).to_have_text(re.compile(r".{12,}"))
    first = password.inner_text()
    row = page.locator("tr", has_text="console-supplier")
    row.get_by_role("button", name="Reset the password of console-supplier").click()
    page.get_by_role("dialog").get_by_role("button", name="Reset password").click()
    expect(page.locator("#generated-password")).not_to_have_text(first)
    row.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("tr", has_text="console-supplier")).to_have_count(0)
    # secrets: set one, see its name, never its value
    page.get_by_role("link", name="Secrets").click()
    page.get_by_label("Name", exact=True).fill("console-token")
    page.get_by_label("Value", exact=True).fill("s3cr3t-value-from-the-console")
    page.get_by_role("button", name="Save secret").click()
    expect(page.locator("tr", has_text="console-token")).to_have_count(1)
    assert "s3cr3t-value-from-the-console" not in page.content()
    names = [s["name"] for s in console_stack.get(f"{ENV}/secrets").body["items"]]
    assert "console-token" in names


def test_frequencies_read_as_words(signed_in: Any) -> None:
    cases = {
        "Mondays at 12:53, Europe/Amsterdam": {"every": "week", "days": ["MON"], "time": "12:53",
                                               "timezone": "Europe/Amsterdam"},
        "Weekdays at 08:00, UTC": {"every": "week", "days": ["FRI", "MON", "TUE", "WED", "THU"], "time": "08:00",
                                   "timezone": "UTC"},
        "Every 15 minutes": {"every": "minutes", "interval": 15},
        "Every hour at 05 past": {"every": "hour", "minute": 5},
        "Daily at 06:30": {"every": "day", "time": "06:30"},
        "On the last day of the month at 23:00": {"every": "month", "day_of_month": "last", "time": "23:00"},
        "On the 22nd of the month at 01:00": {"every": "month", "day_of_month": 22, "time": "01:00"},
        "Once, on 1 Dec 2026 at 12:53": {"every": "once", "date": "2026-12-01", "time": "12:53"},
    }
    words = signed_in.evaluate("""async (cases) => {
        const {frequencyInWords} = await import('/assets/words.js');
        return Object.fromEntries(Object.entries(cases).map(([k, f]) => [k, frequencyInWords(f)]));
    }""", cases)
    assert words == {text: text for text in cases}


def test_the_api_and_the_console_share_the_origin_and_unknown_paths_stay_404(console_stack: LocalStack) -> None:
    index = console_stack.get("/", api_key=None)
    assert index.status == 200
    assert console_stack.get("/assets/app.js", api_key=None).status == 200
    assert console_stack.get("/assets/../../README.md", api_key=None).status == 404
    assert console_stack.get("/nothing-here", api_key=None).status == 404
    assert console_stack.get("/health", api_key=None).body["status"] == "ok"
    eventually(lambda: console_stack.get("/openapi.json", api_key=None).status == 200, what="the OpenAPI document")
