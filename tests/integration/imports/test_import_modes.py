"""Import modes (upsert, update only, insert only) and what an empty cell means (keep or clear)."""

from __future__ import annotations

from typing import Any

from pimtasks.domain.run import MessageLevel, RunStatus
from pimtasks.domain.task import Task
from pimtasks.domain.task_types import ImportTarget

from tests.integration.imports.harness import Imports, products_csv


def products_task(imports: Imports, name: str, **layout: Any) -> Task:
    document = {"delimiter": ";", "key_columns": ["article_number"],
                "columns": [{"column": "article_number", "field": "article_number"},
                            {"column": "gross_price", "field": "gross_price", "decimal_separator": "comma"},
                            {"column": "description_nl", "field": "description_nl"}], **layout}
    return imports.create_task(description=name, import_name=name, target="products", layout=document)


def catalog(imports: Imports) -> dict[str, dict[str, Any]]:
    return {record.key[0]: record.data for record in imports.records(ImportTarget.PRODUCTS)}


def seed(imports: Imports) -> None:
    task = products_task(imports, "Products")
    imports.upload("seed.csv", products_csv([["P-1", "1,00", "Kabel"], ["P-2", "2,00", "Buis"]]),
                   import_name="Products")
    assert imports.run(task).counts.created == 2


def test_update_only_changes_known_records_and_rejects_unknown_ones(imports: Imports) -> None:
    seed(imports)
    task = products_task(imports, "Price updates", mode="update_only")
    imports.upload("prices.csv", products_csv([["P-1", "1,50", ""], ["P-9", "9,00", ""]]), import_name="Price updates")

    run = imports.run(task)

    assert run.status is RunStatus.PARTIALLY_SUCCEEDED
    assert run.counts.model_dump() == {"read": 2, "created": 0, "updated": 1, "unchanged": 0, "rejected": 1}
    stored = catalog(imports)
    assert stored["P-1"] == {**stored["P-1"], "gross_price": "1.50", "descriptions": {"nl": "Kabel"}}
    assert "P-9" not in stored
    [error] = [m for m in run.messages if m.level is MessageLevel.ERROR]
    assert error.row == 3 and error.value == "P-9" and "not in the catalog" in error.text
    rejected = imports.read(f"Reports/Price updates/{run.run_id}/prices.csv.rejected.csv").decode("utf-8-sig")
    assert "P-9" in rejected and "not in the catalog" in rejected


def test_insert_only_adds_new_records_and_leaves_existing_ones_alone(imports: Imports) -> None:
    seed(imports)
    task = products_task(imports, "New products", mode="insert_only")
    imports.upload("new.csv", products_csv([["P-1", "7,00", "Anders"], ["P-3", "3,00", "Nieuw"]]),
                   import_name="New products")

    run = imports.run(task)

    assert run.status is RunStatus.SUCCEEDED
    assert run.counts.model_dump() == {"read": 2, "created": 1, "updated": 0, "unchanged": 1, "rejected": 0}
    stored = catalog(imports)
    assert stored["P-1"]["gross_price"] == "1.00" and stored["P-3"]["gross_price"] == "3.00"
    assert any("left alone" in m.text for m in run.messages)


def test_an_empty_cell_clears_the_stored_value_when_the_layout_says_clear(imports: Imports) -> None:
    seed(imports)
    task = products_task(imports, "Corrections", empty_cell="clear")
    imports.upload("fix.csv", products_csv([["P-1", "", "Kabel"], ["P-2", "2,00", "Buis"]]),
                   import_name="Corrections")

    run = imports.run(task)

    assert run.counts.model_dump() == {"read": 2, "created": 0, "updated": 1, "unchanged": 1, "rejected": 0}
    stored = catalog(imports)
    assert "gross_price" not in stored["P-1"] and stored["P-1"]["descriptions"] == {"nl": "Kabel"}
    assert stored["P-2"]["gross_price"] == "2.00"
