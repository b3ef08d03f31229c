"""Interdependent imports: a successor starts after its predecessor succeeded and is skipped when it failed."""

from __future__ import annotations

from pathlib import Path

from pimtasks.domain.run import MessageLevel, Run, RunStatus, Trigger
from pimtasks.domain.task import Task

from tests.integration.imports.harness import ENV, Imports, condition_rows, conditions_xlsx, product_rows, products_csv

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"


def chain(imports: Imports) -> tuple[Task, Task, Task]:
    """Articles -> prices (sales conditions) -> a third import, each waiting for the one before."""
    articles = imports.create_task(description="Articles", import_name="Articles", target="products",
                                   custom_layout=False, layout=None, auto_import=False)
    prices = imports.create_task(description="Prices", predecessor_task_id=articles.task_id, auto_import=False)
    last = imports.create_task(description="Attachments later", import_name="Later", custom_layout=False,
                               layout=None, predecessor_task_id=prices.task_id, auto_import=False)
    return articles, prices, last


def runs_of(imports: Imports, task: Task) -> list[Run]:
    runs, _ = imports.core.run_store.list_for_task(environment=ENV, task_id=task.task_id, limit=10, start_key=None)
    return runs


def test_a_successor_starts_when_its_predecessor_succeeded(imports: Imports) -> None:
    articles, prices, last = chain(imports)
    imports.upload("articles.csv", products_csv(product_rows(3)), import_name="Articles")
    imports.upload("prices.xlsx", conditions_xlsx(condition_rows(3)))

    first = imports.run(articles)

    assert first.status is RunStatus.SUCCEEDED
    [price_run] = runs_of(imports, prices)
    assert price_run.trigger is Trigger.PREDECESSOR and price_run.status is RunStatus.SUCCEEDED
    assert price_run.counts.created == 3
    assert any(f"predecessor 'Articles' (run {first.run_id}) ended succeeded" in m.text for m in price_run.messages)
    [last_run] = runs_of(imports, last)
    assert last_run.trigger is Trigger.PREDECESSOR and last_run.status is RunStatus.SUCCEEDED


def test_a_successor_is_skipped_with_the_reason_when_its_predecessor_failed(imports: Imports) -> None:
    articles, prices, last = chain(imports)
    imports.upload("articles.xlsx", (FIXTURES / "corrupt.xlsx").read_bytes(), import_name="Articles")
    imports.upload("prices.xlsx", conditions_xlsx(condition_rows(3)))

    first = imports.run(articles)

    assert first.status is RunStatus.FAILED
    [price_run] = runs_of(imports, prices)
    assert price_run.status is RunStatus.SKIPPED and price_run.trigger is Trigger.PREDECESSOR
    [reason] = [m for m in price_run.messages if m.level is MessageLevel.WARNING]
    assert reason.text == f"Skipped: its predecessor 'Articles' (run {first.run_id}) ended failed."
    assert imports.keys("Uploads/Sales") == ["Uploads/Sales conditions APAC/prices.xlsx"]  # nothing imported
    [last_run] = runs_of(imports, last)
    assert last_run.status is RunStatus.SKIPPED and "'Prices'" in last_run.messages[0].text
    last_summary = imports.core.tasks.get(environment=ENV, task_id=prices.task_id).last_run
    assert last_summary is not None and last_summary.status is RunStatus.SKIPPED
    # a skipped successor does not hold its task: it can be started by hand
    assert imports.core.runs.start(environment=ENV, task_id=prices.task_id).status is RunStatus.QUEUED
