"""Product imports checked against the ETIM model an Import ETIM task synced from the fake ETIM API (moto,
127.0.0.1): one bad class, feature, value and unit each give a warning naming row, column and code; the rows
are imported; without a model nothing is checked."""

from __future__ import annotations

from typing import Any

import pytest
from pimtasks.adapters.dynamo import DynamoTable
from pimtasks.adapters.etim_repository import EtimRepository
from pimtasks.domain.run import MessageLevel, Run, RunStatus
from pimtasks.services.etim_model import EtimModelReader
from pimtasks_local.etim_fake_model import FakeClass, FakeModel

from tests.integration.core.harness import TABLES
from tests.integration.etim.harness import etim_services
from tests.integration.imports.harness import ENV, Imports, import_services, imports_on, products_csv

LAYOUT: dict[str, Any] = {
    "columns": [{"column": "Artikel", "field": "article_number"}, {"column": "Klasse", "field": "etim_class"},
                {"column": "Kenmerk", "field": "feature_1_code"}, {"column": "Waarde", "field": "feature_1_value"},
                {"column": "Eenheid", "field": "feature_1_unit"}, {"column": "Kenmerken", "field": "features"}],
    "key_columns": ["article_number"],
}
HEADER = ("Artikel", "Klasse", "Kenmerk", "Waarde", "Eenheid", "Kenmerken")


def _pick(model: FakeModel) -> tuple[FakeClass, Any, Any]:
    """A class with a numeric feature that has a unit and an alphanumeric one with a value list."""
    for fake in model.classes.values():
        numeric = next((f for f in fake.features if f.unit), None)
        alphanumeric = next((f for f in fake.features if f.values), None)
        if numeric and alphanumeric and "ETIM-9.0" in fake.releases:
            return fake, numeric, alphanumeric
    raise AssertionError("the generated model has no class with both kinds of feature")


def _import(imports: Imports, reader: EtimModelReader, rows: list[list[str]]) -> Run:
    task = imports.create_task(description="Products", import_name="Products", target="products", layout=LAYOUT)
    imports.upload("products.csv", products_csv(rows, header=HEADER), import_name="Products")
    return imports.run(task, workers=imports.workers(etim=lambda env: reader.for_import(environment=env)))


def _warnings(run: Run) -> list[tuple[int | None, str | None, str | None]]:
    return [(m.row, m.column, m.value) for m in run.messages if m.level is MessageLevel.WARNING]


def test_codes_that_do_not_fit_the_synced_model_are_warned_per_row(monkeypatch: pytest.MonkeyPatch) -> None:
    with etim_services(monkeypatch) as etim:
        synced = etim.run(etim.create_task(release="ETIM-9.0"))
        assert synced.status is RunStatus.SUCCEEDED, etim.messages(synced)
        fake, numeric, alphanumeric = _pick(etim.model)
        outside_list = next(code for code in etim.model.values if code not in alphanumeric.values)
        other_unit = next(code for code in etim.model.units if code != numeric.unit)
        good_features = f"{alphanumeric.code}={alphanumeric.values[0]}"
        rows = [
            ["P-1", fake.code, numeric.code, "12", numeric.unit, good_features],
            ["P-2", "EC999999", numeric.code, "12", numeric.unit, ""],
            ["P-3", fake.code, "EF999999", "12", "", good_features],
            ["P-4", fake.code, numeric.code, "12", numeric.unit, f"{alphanumeric.code}={outside_list}"],
            ["P-5", fake.code, numeric.code, "12", other_unit, good_features],
        ]
        run = _import(imports_on(etim.core), etim.reader, rows)
        assert run.status is RunStatus.SUCCEEDED, [m.text for m in run.messages]
        assert run.counts.created == 5
        assert _warnings(run) == [(3, "Klasse", "EC999999"), (4, "Kenmerk", "EF999999"),
                                  (5, "Kenmerken", outside_list), (6, "Eenheid", other_unit)]
        texts = [m.text for m in run.messages if m.level is MessageLevel.WARNING]
        assert texts[0] == "etim_class EC999999 is not a class of the ETIM model of ETIM-9.0"
        assert f"not in the value list of feature {alphanumeric.code} in class {fake.code}" in texts[2]
        assert f"does not fit feature {numeric.code} in class {fake.code}" in texts[3]


def test_without_a_model_nothing_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    with import_services(monkeypatch) as imports:
        reader = EtimModelReader(store=EtimRepository(table=DynamoTable(table_name=TABLES["CatalogTable"])))
        assert reader.for_import(environment=ENV) is None
        run = _import(imports, reader, [["P-1", "EC999999", "EF999999", "12", "EU999999", "EF999998=EV999999"]])
        assert run.status is RunStatus.SUCCEEDED and run.counts.created == 1
        assert _warnings(run) == []
