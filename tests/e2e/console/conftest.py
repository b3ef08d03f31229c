"""The web console in a real browser: Playwright for Python driving Debian's Chromium (``/usr/bin/chromium``).

One local stack and one browser for the whole browser suite; every test gets a fresh page (its own
sessionStorage) signed in with the stack's admin key. The stack is the suite's own (not the other e2e tests'
``local_stack``), so its demo data is as ``make run`` seeds it: the demo upload creates its 24 conditions here.

``test_firefox.py`` checks the same console in Debian's Firefox ESR over WebDriver BiDi (``bidi.py``), with the
same stack. ``make e2e`` installs Chromium and Firefox ESR from Debian when missing (``make browser``). Without
one, its tests are skipped with the reason, except in CI (``CI`` set), where a missing browser fails the run.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest
from pimtasks_local.launcher import LaunchError, launched_stack

from tests.e2e.local_stack import LocalStack

CHROMIUM = Path(os.environ.get("PIMTASKS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--lang=en-GB"]  # a 24-hour clock in time inputs, as the manual writes 12:53
LAPTOP = {"width": 1366, "height": 900}
WAIT_MS = 30_000


def _browser_missing(reason: str) -> NoReturn:
    """Skip the browser test for ``reason``, or fail it in CI, which must run every browser test."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser tests (make browser installs Chromium and Firefox ESR)")
    pytest.skip(reason)


def require_browser(executable: Path, module: str, package: str) -> ModuleType:
    """The ``module`` that drives the browser at ``executable``; skips (fails in CI) when either is missing."""
    if not executable.exists():
        _browser_missing(f"{executable} is not installed (make browser installs it)")
    try:
        return importlib.import_module(module)
    except ImportError:
        _browser_missing(f"{package} is not installed (requirements-dev.txt)")


@pytest.fixture(scope="session")
def console_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    state_dir = tmp_path_factory.mktemp("console-stack")
    try:
        with launched_stack(state_dir, arguments=("--ftps-passive-ports", "30140-30149")) as launched:
            yield LocalStack.of(launched, state_dir)
    except LaunchError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def browser_context() -> Iterator[Any]:
    """One Chromium (a fresh, throw-away profile) for the whole suite."""
    sync_api = require_browser(CHROMIUM, "playwright.sync_api", "playwright")
    sync_api.expect.set_options(timeout=WAIT_MS)
    with tempfile.TemporaryDirectory(prefix="pimtasks-chromium-") as profile, sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, viewport=LAPTOP,
            locale="en-GB", timezone_id="Europe/Amsterdam", accept_downloads=False)
        context.set_default_timeout(WAIT_MS)
        yield context
        context.close()


@pytest.fixture
def page(browser_context: Any, console_stack: LocalStack) -> Iterator[Any]:
    """A fresh tab on the console; errors the page's scripts raise fail the test."""
    tab = browser_context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(f"{console_stack.api_url}/")
    yield tab
    tab.close()
    assert errors == [], f"the console raised: {errors}"


def sign_in(page: Any, stack: LocalStack, key: str | None = None) -> None:
    """Sign in on the open console page with ``key`` (default: the admin key) and wait for the task list."""
    page.get_by_label("API key").fill(key or stack.admin_key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Periodic tasks", level=1).wait_for()
    page.locator("table.tasks tbody tr[data-task-id]").first.wait_for()


@pytest.fixture
def signed_in(page: Any, console_stack: LocalStack) -> Any:
    sign_in(page, console_stack)
    return page
