"""The web console in Firefox: a smoke test over WebDriver BiDi (``bidi.py``) with Debian's ``firefox-esr``.

The Chromium suite covers the console's behaviour; this one checks that the same pages work in Firefox (the README
promises both): sign in, the demo tasks with their frequency in words, a task's settings form rendered from the
schema, and the message for a wrong key. The page is driven through its DOM (a label's control is filled and gets
``input`` and ``change`` events, a button is clicked), and every wait is a poll of the page with a timeout.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.console.conftest import require_browser
from tests.e2e.local_stack import LocalStack

FIREFOX = Path(os.environ.get("PIMTASKS_FIREFOX", "/usr/bin/firefox-esr"))
DEMO_TASKS = Path(__file__).parents[3] / "local" / "pimtasks_local" / "demo_tasks.json"
APAC = "Weekly import of sales conditions for APAC"

# Functions run in the page. Each returns a falsy value while the page is not there yet, so wait_for polls them.
FILL = """(label, value) => {
  const control = [...document.querySelectorAll('label')].find((l) => l.textContent.trim() === label)?.control;
  if (!control) return false;
  control.focus();
  control.value = value;
  control.dispatchEvent(new Event('input', {bubbles: true}));
  control.dispatchEvent(new Event('change', {bubbles: true}));
  return true;
}"""
CLICK = """(tag, name) => {
  const target = [...document.querySelectorAll(tag)].find((e) => e.textContent.trim() === name && !e.disabled);
  if (!target) return false;
  target.click();
  return true;
}"""
SIGN_IN_ERROR = """() => {
  const alert = document.querySelector('#signin-error');
  return alert && !alert.hidden && alert.textContent.trim()
    ? {text: alert.textContent.trim(), focused: document.activeElement?.id ?? ''} : null;
}"""
TASK_ROWS = """() => {
  const heading = document.querySelector('h1')?.textContent.trim();
  const rows = [...document.querySelectorAll('table.tasks tbody tr[data-task-id]')];
  return heading === 'Periodic tasks' && rows.length ? rows.map((row) => row.textContent) : null;
}"""
TASK_FORM = """(description) => {
  if (document.querySelector('h1')?.textContent.trim() !== description) return null;
  const control = (path) => document.querySelector(`[data-path='${path}'] :is(input, select, textarea)`);
  if (!control('settings.import_name')) return null;
  return {
    type: document.querySelector('#task-type')?.value, typeFixed: document.querySelector('#task-type')?.disabled,
    description: control('description')?.value, every: control('frequency')?.value,
    time: control('frequency.time')?.value, importName: control('settings.import_name')?.value,
    columns: [...document.querySelectorAll("[data-path^='settings.layout.columns.'][data-path$='.column'] input")]
      .map((input) => input.value),
    saves: [...document.querySelectorAll('form.task-form button')]
      .filter((button) => button.textContent.trim() === 'Save changes').length,
  };
}"""


@pytest.fixture(scope="module")
def firefox() -> Iterator[Any]:
    """One headless Firefox ESR (throw-away profile) for the module; ended with its profile even on failure."""
    bidi = require_browser(FIREFOX, "tests.e2e.console.bidi", "websocket-client")
    with bidi.Firefox(FIREFOX) as browser:
        yield browser


@pytest.fixture
def tab(firefox: Any, console_stack: LocalStack) -> Iterator[str]:
    """A new tab (fresh sessionStorage) on the console; errors the page's scripts raise fail the test."""
    context = firefox.new_tab()
    firefox.navigate(context, f"{console_stack.api_url}/")
    yield context
    firefox.close_tab(context)
    assert firefox.errors.get(context, []) == [], f"the console raised in Firefox: {firefox.errors[context]}"


def sign_in(firefox: Any, tab: str, key: str) -> None:
    firefox.wait_for(tab, FILL, "API key", key, what="the sign-in form")
    assert firefox.call(tab, CLICK, "button", "Sign in"), "no Sign in button"


def test_in_firefox_a_wrong_key_is_told_so(firefox: Any, tab: str) -> None:
    # when a wrong key is tried on the sign-in page
    sign_in(firefox, tab, "ptk_wrong_key")
    # then the page says so and keeps the focus on the key
    shown = firefox.wait_for(tab, SIGN_IN_ERROR, what="the sign-in error")
    assert shown["text"].startswith("This API key is not valid"), shown
    assert shown["focused"] == "api-key"


def test_in_firefox_the_admin_sees_the_demo_tasks_and_a_task_form_from_the_schema(
        firefox: Any, tab: str, console_stack: LocalStack) -> None:
    # when the admin signs in
    sign_in(firefox, tab, console_stack.admin_key)
    # then every demo task is listed, with its frequency in words
    demo = json.loads(DEMO_TASKS.read_text(encoding="utf-8"))
    descriptions = [task["description"] for task in demo]
    rows = firefox.wait_for(tab, TASK_ROWS, what="the Periodic tasks list")
    missing = [text for text in descriptions if not any(text in row for row in rows)]
    assert missing == [], f"demo tasks not listed: {missing}"
    apac = next(row for row in rows if APAC in row)
    assert "Mondays at 12:53, Europe/Amsterdam" in apac
    # when one task is opened, then its settings form is built from the schema with the task's values
    assert firefox.call(tab, CLICK, "a", APAC), f"no link to {APAC!r}"
    layout = next(task for task in demo if task["description"] == APAC)["settings"]["layout"]
    columns = [column["column"] for column in layout["columns"]]
    form = firefox.wait_for(tab, TASK_FORM, APAC, what=f"the settings form of {APAC!r}")
    assert form == {"type": "import", "typeFixed": True, "description": APAC, "every": "week", "time": "12:53",
                    "importName": "Sales conditions APAC", "columns": columns, "saves": 1}, form
