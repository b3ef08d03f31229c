"""A generated ETIM classification model for the fake ETIM API (tests, benchmarks, the local stack's demo).

``generate_model(size)`` builds a deterministic model: groups, classes with features in order (units for
numeric features, value lists for alphanumeric ones), features, values and units, with texts in the chosen
languages. ``REAL_SIZE`` is about the size of ETIM 9.0. The mutation helpers change it the way ETIM
releases change (texts edited, classes added, classes deleted), so a re-sync has known changes to report.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

DEFAULT_LANGUAGES = ("EN", "nl-NL", "de-DE")
RELEASES = ("DYNAMIC", "ETIM-9.0", "ETIM-8.0")
DELETED = 9
PUBLISHED = 5

_WORDS = {
    "en": ["cable", "switch", "lamp", "socket", "pipe", "valve", "pump", "sensor", "box", "fitting", "relay", "fuse"],
    "nl": ["kabel", "schakelaar", "lamp", "contactdoos", "buis", "kraan", "pomp", "sensor", "doos", "fitting",
           "relais", "zekering"],
    "de": ["Kabel", "Schalter", "Lampe", "Steckdose", "Rohr", "Ventil", "Pumpe", "Sensor", "Dose", "Fitting",
           "Relais", "Sicherung"],
    "fr": ["câble", "interrupteur", "lampe", "prise", "tube", "vanne", "pompe", "capteur", "boîte", "raccord",
           "relais", "fusible"],
}
_TYPES = ["A"] * 45 + ["N"] * 35 + ["L"] * 15 + ["R"] * 5
_TYPE_NAMES = {"A": "Alphanumeric", "N": "Numeric", "L": "Logical", "R": "Range"}


@dataclass(frozen=True)
class ModelSize:
    groups: int
    classes: int
    features: int
    values: int
    units: int
    features_per_class: tuple[int, int] = (5, 30)
    values_per_feature: tuple[int, int] = (2, 20)


REAL_SIZE = ModelSize(groups=180, classes=5500, features=10000, values=15000, units=300)
SMALL_SIZE = ModelSize(groups=6, classes=40, features=60, values=90, units=8, features_per_class=(2, 6),
                       values_per_feature=(1, 5))


@dataclass(slots=True)
class FakeGroup:
    code: str
    descriptions: dict[str, str]
    releases: list[str]


@dataclass(slots=True)
class FakeUnit:
    code: str
    descriptions: dict[str, str]
    abbreviations: dict[str, str]
    deprecated: bool = False


@dataclass(slots=True)
class FakeValue:
    code: str
    descriptions: dict[str, str]
    deprecated: bool = False


@dataclass(slots=True)
class FakeFeature:
    code: str
    type: str
    descriptions: dict[str, str]
    deprecated: bool = False
    local: bool = False


@dataclass(slots=True)
class FakeClassFeature:
    code: str
    order: int
    unit: str | None
    feature_group: str
    values: list[str]


@dataclass(slots=True)
class FakeClass:
    code: str
    version: int
    group: str
    descriptions: dict[str, str]
    synonyms: dict[str, list[str]]
    features: list[FakeClassFeature]
    releases: list[str]
    status: int = PUBLISHED
    revision: int = 1
    change_code: str = "Unchanged"
    mutation_date: str = "2023-03-01T00:00:00"
    sectors: list[str] = field(default_factory=lambda: ["E"])


@dataclass
class FakeModel:
    languages: tuple[str, ...]
    releases: tuple[str, ...]
    groups: dict[str, FakeGroup]
    classes: dict[str, FakeClass]
    features: dict[str, FakeFeature]
    values: dict[str, FakeValue]
    units: dict[str, FakeUnit]

    # --- changes between two syncs ------------------------------------------------------------------
    def change_class_description(self, code: str, language: str, text: str) -> None:
        self.classes[code].descriptions[language] = text

    def change_feature_description(self, code: str, language: str, text: str) -> None:
        self.features[code].descriptions[language] = text

    def add_class(self, code: str, *, like: str) -> FakeClass:
        """A new class shaped like an existing one (same group and features), in the same releases."""
        model = self.classes[like]
        added = FakeClass(code=code, version=1, group=model.group,
                          descriptions={lang: f"new {text}" for lang, text in model.descriptions.items()},
                          synonyms={lang: [] for lang in model.synonyms}, features=list(model.features),
                          releases=list(model.releases), change_code="New")
        self.classes[code] = added
        self.classes = dict(sorted(self.classes.items()))
        return added

    def delete_class(self, code: str) -> None:
        """ETIM deletes a class: it stays listed with status 9 (Deleted)."""
        deleted = self.classes[code]
        deleted.status, deleted.change_code, deleted.version = DELETED, "Deleted", deleted.version + 1

    def retire_class(self, code: str, release: str) -> None:
        """The class is no longer part of ``release`` (it disappears from that release's lists)."""
        self.classes[code].releases.remove(release)


def _text(rng: random.Random, language: str, index: int, kind: str) -> str:
    words = _WORDS.get(language[:2].lower(), _WORDS["en"])
    return f"{rng.choice(words)} {kind} {index}"


def generate_model(size: ModelSize = SMALL_SIZE, *, languages: tuple[str, ...] = DEFAULT_LANGUAGES,
                   seed: int = 10) -> FakeModel:
    """A deterministic model of ``size`` with texts in ``languages``."""
    rng = random.Random(seed)
    releases = ["DYNAMIC", "ETIM-9.0"]
    units = {f"EU{i:06d}": FakeUnit(code=f"EU{i:06d}",
                                     descriptions={lang: _text(rng, lang, i, "unit") for lang in languages},
                                     abbreviations={lang: f"u{i}" for lang in languages},
                                     deprecated=i % 50 == 49)
             for i in range(1, size.units + 1)}
    values = {f"EV{i:06d}": FakeValue(code=f"EV{i:06d}",
                                      descriptions={lang: _text(rng, lang, i, "value") for lang in languages},
                                      deprecated=i % 97 == 96)
              for i in range(1, size.values + 1)}
    features = {f"EF{i:06d}": FakeFeature(code=f"EF{i:06d}", type=_TYPE_NAMES[rng.choice(_TYPES)],
                                          descriptions={lang: _text(rng, lang, i, "feature") for lang in languages},
                                          deprecated=i % 83 == 82)
                for i in range(1, size.features + 1)}
    groups = {f"EG{i:06d}": FakeGroup(code=f"EG{i:06d}",
                                      descriptions={lang: _text(rng, lang, i, "group") for lang in languages},
                                      releases=list(releases))
              for i in range(1, size.groups + 1)}
    feature_codes, value_codes, unit_codes = list(features), list(values), list(units)
    group_codes = list(groups)
    classes: dict[str, FakeClass] = {}
    for i in range(1, size.classes + 1):
        chosen = rng.sample(feature_codes, rng.randint(*size.features_per_class))
        class_features = []
        for order, feature_code in enumerate(chosen, start=1):
            kind = features[feature_code].type
            unit = rng.choice(unit_codes) if kind in ("Numeric", "Range") else None
            picked = rng.sample(value_codes, rng.randint(*size.values_per_feature)) if kind == "Alphanumeric" else []
            class_features.append(FakeClassFeature(code=feature_code, order=order, unit=unit,
                                                   feature_group=f"EFG{rng.randint(1, 40):05d}", values=picked))
        classes[f"EC{i:06d}"] = FakeClass(
            code=f"EC{i:06d}", version=rng.randint(1, 5), group=rng.choice(group_codes),
            descriptions={lang: _text(rng, lang, i, "class") for lang in languages},
            synonyms={lang: [f"syn{i}-{n} {lang}" for n in range(rng.randint(0, 2))] for lang in languages},
            features=class_features, releases=list(releases))
    return FakeModel(languages=tuple(languages), releases=RELEASES, groups=groups, classes=classes,
                     features=features, values=values, units=units)
