"""The files of a run and of the environment in the console, in Chromium: a link asks the files API for a
presigned URL and the browser goes there; what it fetches is the file, byte for byte."""

from __future__ import annotations

from typing import Any

import requests
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.e2e.local_stack import LocalStack
from tests.e2e.test_imports import DEMO_FILE, new_finished_run, run_ids, task_by_description, upload

FILE_NAME = "prijslijst é week 49.xlsx"
CRUMB = "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}"


def _imported_demo(stack: LocalStack) -> dict[str, Any]:
    """A finished AutoImport run of the demo file, uploaded under a name with a space and an é."""
    task = task_by_description(stack, "Weekly import of sales conditions for APAC")
    before = run_ids(stack, task["task_id"])
    upload(stack, import_name="Sales conditions APAC", file_name=FILE_NAME, content=DEMO_FILE.read_bytes())
    return new_finished_run(stack, task["task_id"], before=before)


def _followed_download(page: Any, link: Any) -> bytes:
    """Click a download link; the bytes of the presigned URL the browser then opened."""
    console_url = page.url
    with page.expect_request(lambda request: "X-Amz-Signature=" in request.url) as opened:
        link.click()
    response = requests.get(opened.value.url, timeout=30)
    assert response.status_code == 200, response.text[:300]
    # Back to the console, off the file the browser opened (or is saving): a page left there can hang its close.
    # The console's own navigation to the file may still be under way, and Chromium may then report ours as
    # "interrupted by another navigation" to the very same URL: that still ends where we asked, so wait for it.
    for attempt in range(3):
        try:
            page.goto(console_url)
            break
        except PlaywrightError as error:
            if "interrupted by another navigation" not in str(error) or attempt == 2:
                raise
            if f'another navigation to "{console_url}"' in str(error):
                page.wait_for_load_state()
                break
    expect(page).to_have_url(console_url)
    return response.content


def test_a_runs_files_are_links_that_download_them(signed_in: Any, console_stack: LocalStack) -> None:
    page = signed_in
    # given the run of an upload (its input, archived copy, rejected rows and report)
    run = _imported_demo(console_stack)
    page.goto(f"{console_stack.api_url}/#/runs/{run['run_id']}")
    links = page.locator("ul.files a.file-link")
    expect(links).to_have_count(4)
    expect(page.locator("ul.files")).to_contain_text("Archived copy")
    # when the archived copy's link is clicked, then the browser opens the file's presigned URL: the demo file
    archived = page.locator("ul.files li", has_text="Archived copy").locator("a.file-link")
    expect(archived).to_contain_text(FILE_NAME)
    assert _followed_download(page, archived) == DEMO_FILE.read_bytes()
    # and the input link gives the version the run read, though the import moved it out of Uploads
    page.goto(f"{console_stack.api_url}/#/runs/{run['run_id']}")
    source = page.locator("ul.files li", has_text="Input file").locator("a.file-link")
    assert _followed_download(page, source) == DEMO_FILE.read_bytes()
    # and the rejected rows are the CSV with their reasons
    page.goto(f"{console_stack.api_url}/#/runs/{run['run_id']}")
    rejected = page.locator("ul.files li", has_text="Rejected rows").locator("a.file-link")
    assert "twaalf" in _followed_download(page, rejected).decode("utf-8-sig")


def test_the_files_page_lists_the_folders_and_downloads_a_file_from_one(signed_in: Any,
                                                                         console_stack: LocalStack) -> None:
    page = signed_in
    run = _imported_demo(console_stack)
    # given the Files page: every folder of the environment
    page.get_by_role("link", name="Files", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Files")
    folders = page.get_by_role("list", name="Folders")
    for name in ("Uploads/", "Archived/", "Failed/", "Reports/", "Downloads/"):
        expect(folders.get_by_role("link", name=name, exact=True)).to_be_visible()
    # when Reports is opened down to the run's folder
    folders.get_by_role("link", name="Reports/", exact=True).click()
    page.get_by_role("link", name="Sales conditions APAC/").click()
    page.get_by_role("link", name=f"{run['run_id']}/").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(run["run_id"])
    expect(page.locator("nav.crumbs")).to_contain_text(f"Files {CRUMB} Reports {CRUMB} Sales conditions APAC")
    folder_page = page.url
    # and an unknown folder says which ones there are
    page.goto(f"{console_stack.api_url}/#/files?folder=Secrets")
    expect(page.get_by_role("alert")).to_contain_text("valid: Uploads, Archived, Failed, Reports, Downloads")
    # then the run's folder lists its files, and the report downloads as the run wrote it (the last step: the
    # browser then shows the text file)
    page.goto(folder_page)
    report = page.get_by_role("link", name=f"{FILE_NAME}.report.txt")
    expect(report).to_be_visible()
    expect(page.get_by_role("button", name="Show more")).to_be_hidden()  # one page holds them all
    text = _followed_download(page, report).decode()
    assert FILE_NAME in text and run["run_id"] in text


def test_a_large_folder_shows_a_page_and_more_on_request(signed_in: Any, console_stack: LocalStack) -> None:
    # given a folder of 101 files, 100 a page
    s3 = console_stack.aws("s3")
    for number in range(101):
        s3.put_object(Bucket=console_stack.state["bucket"], Key=f"environments/000001/Downloads/Many/{number:03d}.csv",
                      Body=b"x")
    page = signed_in
    page.goto(f"{console_stack.api_url}/#/files?folder=Downloads%2FMany")
    rows = page.locator("table.files-table tbody tr[data-key]")
    expect(rows).to_have_count(100)
    # when more is asked for, then the last one follows, and there is no more to ask for
    page.get_by_role("button", name="Show more").click()
    expect(rows).to_have_count(101)
    expect(rows.last).to_contain_text("100.csv")
    expect(page.get_by_role("button", name="Show more")).to_be_hidden()
