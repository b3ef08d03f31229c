"""Product rows checked against an ETIM model: warnings naming row, column and code; no model, no check."""

from __future__ import annotations

import io
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pimtasks.domain.etim import (
    EtimClass,
    EtimClassFeature,
    EtimClassFeatureValue,
    EtimKind,
    FeatureRule,
    canonical_json,
    feature_rules_of,
    release_name,
)
from pimtasks.domain.run import RunMessage
from pimtasks.domain.task_types import FileFormat, ImportSettings, ImportTarget
from pimtasks.imports import read_import
from pimtasks.imports.etim_check import WARNINGS_PER_COLUMN


@dataclass
class FakeModel:
    """One release: class EC000001 with a numeric EF000001 (unit EU000001) and an alphanumeric EF000002."""

    default_release: str | None = "ETIM-9.0"
    reads: list[list[str]] = field(default_factory=list)

    def codes(self, release: str, kind: EtimKind) -> Collection[str] | None:
        if release != "ETIM-9.0":
            return None
        return {EtimKind.CLASS: {"EC000001", "EC000002"}, EtimKind.FEATURE: {"EF000001", "EF000002", "EF000003"},
                EtimKind.VALUE: {"EV000001", "EV000002", "EV000003"}, EtimKind.UNIT: {"EU000001", "EU000002"},
                EtimKind.GROUP: set()}[kind]

    def class_rules(self, release: str, codes: Iterable[str]) -> dict[str, dict[str, FeatureRule] | None]:
        wanted = list(codes)
        self.reads.append(wanted)
        rules = {"EF000001": FeatureRule(values=frozenset(), units=frozenset({"EU000001"}), type="N"),
                 "EF000002": FeatureRule(values=frozenset({"EV000001", "EV000002"}), units=frozenset(), type="A")}
        return {code: rules if code == "EC000001" else {} for code in wanted}


def _warnings(text: str, model: FakeModel | None) -> list[RunMessage]:
    settings = ImportSettings(import_name="p", target=ImportTarget.PRODUCTS)
    with read_import(io.BytesIO(text.encode()), file_name="p.csv", settings=settings, etim=model) as reader:
        return [warning for batch in reader.batches() for warning in batch.warnings]


HEADER = "article_number;etim_class;feature_1_code;feature_1_value;feature_1_unit;features\n"


def test_each_misfit_is_named_by_row_column_and_code() -> None:
    text = HEADER + "\n".join([
        "A1;EC000001;EF000001;12;EU000001;EF000002=EV000001",  # fine
        "A2;EC999999;EF000001;12;EU000001;",                    # unknown class
        "A3;EC000001;EF999999;12;;",                            # feature not in the model
        "A4;EC000001;EF000003;12;;",                            # feature not of the class
        "A5;EC000001;;;;EF000002=EV000003",                     # value not in the class's list
        "A6;EC000001;;;;EF000002=EV999999",                     # value not in the model
        "A7;EC000001;EF000001;12;EU000002;",                    # unit does not fit the feature
        "A8;EC000001;EF000001;12;EU999999;",                    # unit not in the model
    ]) + "\n"
    found = [(w.row, w.column, w.value) for w in _warnings(text, FakeModel())]
    assert found == [(3, "etim_class", "EC999999"), (4, "feature_1_code", "EF999999"),
                     (5, "feature_1_code", "EF000003"), (6, "features", "EV000003"),
                     (7, "features", "EV999999"), (8, "feature_1_unit", "EU000002"),
                     (9, "feature_1_unit", "EU999999")]
    texts = [w.text for w in _warnings(text, FakeModel())]
    assert "not a class of the ETIM model of ETIM-9.0" in texts[0]
    assert "not a feature of class EC000001" in texts[2]
    assert "not in the value list of feature EF000002 in class EC000001" in texts[3]
    assert "does not fit feature EF000001 in class EC000001 (ETIM-9.0; its units: EU000001)" in texts[5]


def test_no_model_no_check_and_an_unmodelled_release_is_said_once() -> None:
    text = HEADER + "A1;EC999999;EF999999;12;EU999999;\n"
    assert _warnings(text, None) == []
    other = "article_number;etim_release;etim_class\nA1;8.0;EC999999\nA2;ETIM 8.0;EC999998\n"
    (warning,) = _warnings(other, FakeModel())
    assert "no ETIM model of release ETIM-8.0" in warning.text and warning.row == 2


def test_warnings_are_bounded_per_column_and_classes_are_read_once_per_batch() -> None:
    rows = "".join(f"A{i};EC999999;;;;\n" for i in range(WARNINGS_PER_COLUMN + 10))
    rows += "B1;EC000001;;;;\nB2;EC000001;;;;\n"
    model = FakeModel()
    warnings = _warnings(HEADER + rows, model)
    assert len(warnings) == WARNINGS_PER_COLUMN + 1
    assert "only the first" in warnings[-1].text
    assert model.reads == [["EC000001"]]


def test_release_spellings() -> None:
    assert [release_name(t) for t in ("9.0", "ETIM 9.0", "etim-9.0", "9", "DYNAMIC")] == [
        "ETIM-9.0", "ETIM-9.0", "ETIM-9.0", "ETIM-9.0", "DYNAMIC"]


def test_feature_rules_are_read_from_the_stored_class_body_as_the_class_has_them() -> None:
    stored = EtimClass(code="EC000001", features=[
        EtimClassFeature(code="EF000001", type="Numeric", unit="EU000001", unit_imperial="EU000009"),
        EtimClassFeature(code="EF000002", type="Alphanumeric",
                         values=[EtimClassFeatureValue(code="EV000001"), EtimClassFeatureValue(code="EV000002")])])
    assert feature_rules_of(canonical_json(stored)) == {
        "EF000001": FeatureRule(values=frozenset(), units=frozenset({"EU000001", "EU000009"}), type="Numeric"),
        "EF000002": FeatureRule(values=frozenset({"EV000001", "EV000002"}), units=frozenset(), type="Alphanumeric")}


@pytest.mark.parametrize(("fixture", "file_format"), [("etim_xchange.json", FileFormat.ETIM_XCHANGE),
                                                      ("bmecat_etim.xml", FileFormat.BMECAT_ETIM)])
def test_etim_xchange_and_bmecat_rows_are_checked_too(fixtures_dir: Path, fixture: str,
                                                      file_format: FileFormat) -> None:
    settings = ImportSettings(import_name="x", target=ImportTarget.PRODUCTS, file_format=file_format)
    with read_import(fixtures_dir / fixture, file_name=fixture, settings=settings, etim=FakeModel()) as reader:
        warnings = [(w.column, w.value, w.text) for batch in reader.batches() for w in batch.warnings]
    assert ("etim_class", "EC000057", "etim_class EC000057 is not a class of the ETIM model of ETIM-9.0") in warnings
    assert ("features", "EF000008", "feature EF000008 is not a feature of the ETIM model of ETIM-9.0") in warnings
