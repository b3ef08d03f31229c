"""Product rows checked against the environment's ETIM model (issue 10, item 6): warnings, never rejections.

Once an environment has synced an ETIM model, every imported product row (custom layout, ETIM xChange, BMEcat:
all arrive here as the same records) is checked against the release it names (``etim_release``, spelled
``9.0`` or ``ETIM-9.0``; default the newest release the environment has):
- its ``etim_class`` must be a class of that release;
- each feature must be a feature of the release, and of the row's class;
- an EV value must be a value of the release, and a feature with a value list in the class must have one of
  its values;
- a unit must be a unit of the release, and one of the feature's units in the class.
Each finding is a warning naming row, column and code; the row is imported as it is (the model is a reference,
and a release a supplier uses may be newer than the one synced). No model, no check; a release the environment
has no model of is said once, and its rows are not checked.

Speed: the model is read through ``EtimReference``, one per run (``services.etim_model.ImportEtimModel``): the
code sets are cached manifests, and a batch's classes are read together the first time the run meets them.
Warnings are bounded per column like the ambiguous-number warnings.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pimtasks.catalog.models import Feature, Product
from pimtasks.domain.etim import EtimKind, FeatureRule, is_code, release_name
from pimtasks.domain.run import MessageLevel, RunMessage
from pimtasks.imports.mapping import AMBIGUOUS_WARNINGS_PER_COLUMN, TableMapper
from pimtasks.imports.rows import SourceRow

WARNINGS_PER_COLUMN = AMBIGUOUS_WARNINGS_PER_COLUMN


class EtimReference(Protocol):
    """The environment's ETIM models, as an import run reads them."""

    default_release: str | None

    def codes(self, release: str, kind: EtimKind) -> Collection[str] | None:
        """Every code of ``kind`` in ``release``; None when the environment has no model of it."""
        ...

    def class_rules(self, release: str, codes: Iterable[str]) -> dict[str, dict[str, FeatureRule] | None]:
        """Each class's features with their rules (None for a class not in the release)."""
        ...


_Labels = tuple[str | None, str | None, str | None]
"""The columns of one feature: its code, its value, its unit."""
_CODE, _VALUE, _UNIT = 0, 1, 2
_Finding = tuple[int, str | None, str]
"""What does not fit: the part of the feature (``_CODE``, ``_VALUE``, ``_UNIT``), its code (None: the row's value),
the warning (``_VALUE_MARK`` stands for the row's value)."""
_VALUE_MARK = "\x00value\x00"
_MEMO_SIZE = 100_000


@dataclass(frozen=True, slots=True)
class _Codes:
    """A release's code sets."""

    classes: Collection[str]
    features: Collection[str]
    values: Collection[str]
    units: Collection[str]


class EtimRowCheck:
    """The ETIM check of one table's product rows."""

    def __init__(self, reference: EtimReference, table_mapper: TableMapper) -> None:
        self._reference = reference
        self._table = table_mapper.table
        self._class_label = table_mapper.label_for("etim_class") or "etim_class"
        self._features_label: str | None = None
        numbered: dict[int, dict[str, tuple[int | None, str]]] = {}
        for rule in table_mapper.rules:
            if rule.ref.field != "features":
                continue
            if rule.ref.key is None:
                self._features_label = rule.label
            else:
                number, part = rule.ref.key.split(".")
                numbered.setdefault(int(number), {})[part] = (rule.position, rule.label)
        self._numbered = [numbered[n] for n in sorted(numbered)]
        self._counts: dict[str, int] = {}
        self._unmodelled: set[str] = set()
        self._memos: dict[str, dict[tuple[str | None, str, str | None, str | None], tuple[_Finding, ...]]] = {}
        """Per release: what a (class, feature, unit, EV value) was judged."""

    def check(self, rows: Sequence[tuple[SourceRow, Product]]) -> list[RunMessage]:
        """The warnings of ``rows`` (imported rows and their records), in row order."""
        by_release: dict[str, list[tuple[SourceRow, Product]]] = {}
        for row, record in rows:
            if record.etim_class is None and not record.features:
                continue
            release = release_name(record.etim_release) if record.etim_release else self._reference.default_release
            if release is not None:
                by_release.setdefault(release, []).append((row, record))
        messages: list[RunMessage] = []
        for release, members in by_release.items():
            messages += self._check_release(release, members)
        messages.sort(key=lambda message: message.row or 0)
        return messages

    def _check_release(self, release: str, rows: list[tuple[SourceRow, Product]]) -> list[RunMessage]:
        classes = self._reference.codes(release, EtimKind.CLASS)
        if classes is None:
            return self._not_modelled(release, rows[0][0])
        codes = _Codes(classes=classes, features=self._reference.codes(release, EtimKind.FEATURE) or (),
                       values=self._reference.codes(release, EtimKind.VALUE) or (),
                       units=self._reference.codes(release, EtimKind.UNIT) or ())
        named = {record.etim_class for _, record in rows if record.etim_class is not None}
        rules = self._reference.class_rules(release, [code for code in named if code in classes])
        messages: list[RunMessage] = []
        memo = self._memos.setdefault(release, {})
        memo_get = memo.get
        for row, record in rows:
            class_code = record.etim_class
            class_rules = rules.get(class_code) if class_code is not None else None
            if class_rules is None and class_code is not None and class_code not in classes:
                self._warn(messages, row, self._class_label, class_code,
                           f"etim_class {class_code} is not a class of the ETIM model of {release}")
            for feature in record.features:
                # Files repeat the same class/feature/unit combinations: each is judged once per run. Its value is
                # part of the judgement only when it is an EV code: numbers vary per row, and a feature with a value
                # list refuses any number alike.
                value = feature.value
                key = (class_code, feature.code, feature.unit, value if value[:2] == "EV" else None)
                findings = memo_get(key)
                if findings is None:
                    if len(memo) >= _MEMO_SIZE:
                        memo.clear()
                    findings = memo[key] = _feature_findings(release, codes, feature, class_code, class_rules)
                if findings:
                    labels = self._feature_labels(row, feature.code)
                    for part, code, text in findings:
                        self._warn(messages, row, labels[part], code or value, text.replace(_VALUE_MARK, value))
        return messages

    def _feature_labels(self, row: SourceRow, code: str) -> _Labels:
        """The columns a feature came from: ``feature_<n>_…`` whose code cell holds ``code``, else ``features``."""
        values = row.values
        for parts in self._numbered:
            position, label = parts.get("code", (None, ""))
            if position is not None and position < len(values) and str(values[position]).strip().upper() == code:
                return label, parts.get("value", (None, label))[1], parts.get("unit", (None, label))[1]
        fallback = self._features_label
        return fallback, fallback, fallback

    def _not_modelled(self, release: str, row: SourceRow) -> list[RunMessage]:
        if release in self._unmodelled:
            return []
        self._unmodelled.add(release)
        text = (f"the environment has no ETIM model of release {release}: rows of that release are not checked "
                "against ETIM (run an Import ETIM task for it)")
        return [RunMessage(level=MessageLevel.WARNING, text=text, file=row.file, sheet=row.sheet, row=row.row)]

    def _warn(self, messages: list[RunMessage], row: SourceRow, column: str | None, code: str, text: str) -> None:
        """A warning, unless its column has had ``WARNINGS_PER_COLUMN`` (then one saying the rest are not listed)."""
        key = column or ""
        count = self._counts[key] = self._counts.get(key, 0) + 1
        if count > WARNINGS_PER_COLUMN + 1:
            return
        if count > WARNINGS_PER_COLUMN:
            text = (f"column {column!r} has more ETIM codes that do not fit the model; only the first "
                    f"{WARNINGS_PER_COLUMN} are listed")
            messages.append(self._table.message(MessageLevel.WARNING, text, row=row.row, column=column))
            return
        messages.append(RunMessage(level=MessageLevel.WARNING, text=text, file=row.file, sheet=row.sheet,
                                   row=row.row, column=column, value=code))


def _feature_findings(release: str, codes: _Codes, feature: Feature, class_code: str | None,
                      class_rules: dict[str, FeatureRule] | None) -> tuple[_Finding, ...]:
    """What about one feature of a row does not fit the release and the row's class."""
    if feature.code not in codes.features:
        return ((_CODE, feature.code, f"feature {feature.code} is not a feature of the ETIM model of {release}"),)
    rule = class_rules.get(feature.code) if class_rules is not None else None
    if class_rules is not None and rule is None:
        return ((_CODE, feature.code, f"feature {feature.code} is not a feature of class {class_code} in {release}"),)
    findings: list[_Finding] = []
    value = feature.value
    if is_code(EtimKind.VALUE, value) and value not in codes.values:
        findings.append((_VALUE, value, f"value {value} of feature {feature.code} is not a value of the ETIM model "
                                        f"of {release}"))
    elif rule is not None and rule.values and value not in rule.values:
        findings.append((_VALUE, None, f"value {_VALUE_MARK} is not in the value list of feature {feature.code} in "
                                       f"class {class_code} ({release})"))
    unit = feature.unit
    if unit is not None and unit not in codes.units:
        findings.append((_UNIT, unit, f"unit {unit} of feature {feature.code} is not a unit of the ETIM model of "
                                      f"{release}"))
    elif unit is not None and rule is not None and unit not in rule.units:
        allowed = ", ".join(sorted(rule.units)) or "none: it takes no unit"
        findings.append((_UNIT, unit, f"unit {unit} does not fit feature {feature.code} in class {class_code} "
                                      f"({release}; its units: {allowed})"))
    return tuple(findings)
