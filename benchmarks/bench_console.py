"""The web console's task list with 1,000 tasks, in Chromium on the local stack: how soon the first rows show,
how long until every task is in (10 pages of 100), and how long a sort, a filter and a page flip take once they
are. Baseline from the same run: the same 10 pages fetched over HTTP by plain Python (what the API costs without
a browser), so the ratio shows what the console adds. The console renders one page of rows (50 by default)
whatever the number of tasks; the number of table rows in the page is reported too."""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.support import summary_ms

TASKS = 1000
ROUNDS = 5
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ENVIRONMENT = "000777"


def _seed(client: Any) -> None:
    assert client.post("/environments", {"environment": ENVIRONMENT, "name": "Console bench"}).status == 201

    def create(index: int) -> None:
        kind = "feed" if index % 4 == 0 else "export"
        settings = {"feed_name": f"Feed {index}"} if kind == "feed" else {"export_name": f"Export {index}"}
        created = client.post(f"/environments/{ENVIRONMENT}/tasks", {
            "type": kind, "description": f"Task {index:04d}", "sequence_no": index, "active": index % 3 != 0,
            "frequency": {"every": "day", "time": f"{index % 24:02d}:{index % 60:02d}"}, "settings": settings})
        assert created.status == 201, created.body

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(create, range(TASKS)))


def _timed(action: Any, done: Any) -> float:
    started = time.perf_counter()
    action()
    done()
    return time.perf_counter() - started


def _round(context: Any, *, api_url: str, key: str) -> dict[str, Any]:
    """One fresh tab on the list of 1,000 tasks: the seconds each step took, and the rows in the table."""
    page = context.new_page()
    page.goto(f"{api_url}/#/tasks")
    page.evaluate("([key, env]) => { sessionStorage.setItem('pimtasks.apiKey', key); "
                  "sessionStorage.setItem('pimtasks.environment', env); }", [key, ENVIRONMENT])
    started = time.perf_counter()
    page.reload()
    page.locator("table.tasks tbody tr[data-task-id]").first.wait_for()
    first_rows = time.perf_counter() - started
    page.wait_for_function("document.querySelector('table.tasks').getAttribute('aria-busy') === 'false'",
                           timeout=120_000)
    figures = {"first_rows": first_rows, "all_loaded": time.perf_counter() - started,
               "rows": page.locator("table.tasks tbody tr").count()}
    summary = "document.getElementById('list-summary').textContent"
    figures["sort"] = _timed(lambda: page.get_by_role("button", name="Description").click(),
                             lambda: page.wait_for_function(
                                 "document.querySelector('th.col-description').getAttribute('aria-sort')"))
    figures["filter"] = _timed(lambda: page.get_by_label("Type").select_option("feed"),
                               lambda: page.wait_for_function(f"{summary}.includes('of 250')"))
    figures["flip"] = _timed(lambda: page.get_by_role("button", name="Next page").click(),
                             lambda: page.wait_for_function(f"{summary}.startsWith('Tasks 51')"))
    page.close()
    return figures


def run() -> dict[str, Any]:
    from pimtasks_local.cli import all_pages
    from pimtasks_local.http_client import ApiClient
    from pimtasks_local.launcher import launched_stack
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as directory, launched_stack(Path(directory), arguments=("--no-seed",)) as stack:
        api_url, key = stack.state["api_url"], stack.state["admin_api_key"]
        client = ApiClient(api_url, api_key=key, timeout=30)
        _seed(client)
        path = f"/environments/{ENVIRONMENT}/tasks"
        raw = [_timed(lambda: all_pages(client, path), lambda: None) for _ in range(ROUNDS)]
        with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
            # bypass_csp: Playwright's wait_for_function evaluates strings, which the console's policy forbids
            context = playwright.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=ARGS,
                                                                    headless=True, locale="en-GB", bypass_csp=True)
            rounds = [_round(context, api_url=api_url, key=key) for _ in range(ROUNDS)]
            context.close()
    raw_summary = summary_ms(raw)
    loaded_summary = summary_ms([r["all_loaded"] for r in rounds])
    return {
        "tasks": TASKS,
        "table_rows_rendered": rounds[-1]["rows"],
        "first_rows_shown": summary_ms([r["first_rows"] for r in rounds]),
        "all_tasks_loaded": loaded_summary,
        "sort_all_tasks": summary_ms([r["sort"] for r in rounds]),
        "filter_all_tasks": summary_ms([r["filter"] for r in rounds]),
        "next_page": summary_ms([r["flip"] for r in rounds]),
        "raw_api_all_pages_baseline": raw_summary,
        "all_loaded_p50_ratio_to_raw_api": round(loaded_summary["p50_ms"] / raw_summary["p50_ms"], 2),
    }


if __name__ == "__main__":
    print(run())
