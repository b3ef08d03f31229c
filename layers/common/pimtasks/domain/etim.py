"""The ETIM classification model as pimtasks keeps it: groups, classes, features, values and units of one
release, with their texts in the languages a sync chose.

These are the *stored* shapes, language-merged and normalized (no I/O here). A class keeps its own texts and
its structure (features in order, each with its unit codes and its value list in order); the texts of the
features, values and units it refers to live in those entities, so a changed feature description changes
the feature, not every class that uses it (a re-sync reports exactly what changed).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pimtasks.catalog.codes import ETIM_FEATURE_PATTERN


class EtimKind(StrEnum):
    """The entity kinds of the model, in the order a sync loads them (classes refer to all the others)."""

    GROUP = "group"
    UNIT = "unit"
    VALUE = "value"
    FEATURE = "feature"
    CLASS = "class"

    @property
    def plural(self) -> str:
        return "classes" if self is EtimKind.CLASS else f"{self.value}s"


SYNC_ORDER: tuple[EtimKind, ...] = (EtimKind.GROUP, EtimKind.UNIT, EtimKind.VALUE, EtimKind.FEATURE, EtimKind.CLASS)

CODE_PATTERNS: dict[EtimKind, str] = {
    EtimKind.GROUP: r"^EG[0-9]{6}$",
    EtimKind.CLASS: r"^EC[0-9]{6}$",
    EtimKind.FEATURE: ETIM_FEATURE_PATTERN,
    EtimKind.VALUE: r"^EV[0-9]{6}$",
    EtimKind.UNIT: r"^EU[0-9]{6}$",
}
_CODE_RES = {kind: re.compile(pattern) for kind, pattern in CODE_PATTERNS.items()}

RELEASE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
"""Release names as ETIM spells them (``ETIM-9.0``, ``DYNAMIC``); also safe inside storage keys."""
LANGUAGE_PATTERN = r"^[A-Za-z]{2}(-[A-Za-z]{2})?$"

ReleaseName = Annotated[str, StringConstraints(pattern=RELEASE_PATTERN)]

CLASS_STATUS_DELETED = 9
"""``EtimClass.status`` 9 means Deleted (2 under construction, 3 ready for publication, 5 published)."""


def is_code(kind: EtimKind, code: str) -> bool:
    """True when ``code`` is a well-formed ETIM code of ``kind`` (``EC000001`` for a class, ...)."""
    return bool(_CODE_RES[kind].match(code))


def kind_of_code(code: str) -> EtimKind | None:
    """The kind a code belongs to, by its prefix and pattern (None for anything else)."""
    return next((kind for kind in EtimKind if _CODE_RES[kind].match(code)), None)


_RELEASE_NUMBER = re.compile(r"^ETIM-([0-9]+)(?:\.([0-9]+))?$", re.IGNORECASE)


def newest_release(names: list[str]) -> str | None:
    """The newest numbered release (``ETIM-10.0`` over ``ETIM-9.0``); ``DYNAMIC`` only when nothing else exists.

    ``DYNAMIC`` is ETIM's living working state, not a published release, so "the newest release" means the
    highest ``ETIM-<major>.<minor>``.
    """
    numbered = [(int(m.group(1)), int(m.group(2) or 0), name) for name in names if (m := _RELEASE_NUMBER.match(name))]
    if numbered:
        return max(numbered)[2]
    return names[0] if names else None


# --- the stored entities -------------------------------------------------------------------------------


class _Entity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    code: str


class EtimGroup(_Entity):
    descriptions: dict[str, str | None] = Field(default_factory=dict, description="Language -> description")
    releases: list[str] = Field(default_factory=list)


class EtimUnit(_Entity):
    deprecated: bool = False
    descriptions: dict[str, str | None] = Field(default_factory=dict)
    abbreviations: dict[str, str | None] = Field(default_factory=dict)


class EtimValue(_Entity):
    deprecated: bool = False
    descriptions: dict[str, str | None] = Field(default_factory=dict)


class EtimFeature(_Entity):
    type: str | None = Field(default=None, description="Alphanumeric, Numeric, Range or Logical")
    deprecated: bool = False
    local: bool | None = None
    descriptions: dict[str, str | None] = Field(default_factory=dict)


class EtimClassFeatureValue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    code: str
    order: int | None = None


class EtimClassFeature(BaseModel):
    """A feature as a class uses it: its place, unit(s) and value list are the class's own."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    code: str
    order: int | None = None
    type: str | None = None
    unit: str | None = None
    unit_imperial: str | None = None
    feature_group: str | None = None
    values: list[EtimClassFeatureValue] = Field(default_factory=list)


class EtimClass(_Entity):
    version: int | None = None
    revision: int | None = None
    status: int | None = None
    change_code: str | None = None
    mutation_date: str | None = None
    group: str | None = None
    releases: list[str] = Field(default_factory=list)
    sectors: list[str] = Field(default_factory=list)
    descriptions: dict[str, str | None] = Field(default_factory=dict)
    synonyms: dict[str, list[str]] = Field(default_factory=dict)
    features: list[EtimClassFeature] = Field(default_factory=list)

    @property
    def deprecated(self) -> bool:
        return self.status == CLASS_STATUS_DELETED or self.change_code == "Deleted"


EtimEntity = EtimGroup | EtimUnit | EtimValue | EtimFeature | EtimClass

ENTITY_TYPES: dict[EtimKind, type[BaseModel]] = {
    EtimKind.GROUP: EtimGroup,
    EtimKind.UNIT: EtimUnit,
    EtimKind.VALUE: EtimValue,
    EtimKind.FEATURE: EtimFeature,
    EtimKind.CLASS: EtimClass,
}


@dataclass(frozen=True)
class FeatureRule:
    """What a class allows for one of its features (for import checks): its value codes and unit codes."""

    values: frozenset[str]
    units: frozenset[str]
    type: str | None


def feature_rules_of(body: bytes | str) -> dict[str, FeatureRule]:
    """The feature rules of a stored class body (``canonical_json`` of an ``EtimClass``), read without building
    the class: an import needs only its codes, and a class of ETIM's size costs a millisecond to validate."""
    data = json.loads(body)
    return {feature["code"]: FeatureRule(
        values=frozenset(value["code"] for value in feature.get("values") or ()),
        units=frozenset(unit for unit in (feature.get("unit"), feature.get("unit_imperial")) if unit),
        type=feature.get("type")) for feature in data.get("features") or ()}


_RELEASE_SPELLINGS = re.compile(r"^(?:ETIM[ _-]?)?([0-9]+(?:\.[0-9]+)?)$", re.IGNORECASE)


def release_name(text: str) -> str:
    """A release as files write it (``9.0``, ``ETIM 9.0``, ``etim-9.0``) in the model's spelling (``ETIM-9.0``)."""
    match = _RELEASE_SPELLINGS.match(text.strip())
    if match is None:
        return text.strip()
    number = match.group(1) if "." in match.group(1) else f"{match.group(1)}.0"
    return f"ETIM-{number}"


def is_deprecated(entity: EtimEntity) -> bool:
    """Deprecated features, values and units carry the flag; a class is deprecated when ETIM deleted it."""
    return bool(getattr(entity, "deprecated", False))


def canonical_json(entity: BaseModel) -> bytes:
    """The entity as canonical JSON (sorted keys, no spaces): what is hashed and stored."""
    return json.dumps(entity.model_dump(mode="json"), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def content_hash(body: bytes) -> str:
    """The identity of one version of an entity: 128 bits of SHA-256 over its canonical JSON."""
    return hashlib.sha256(body).hexdigest()[:32]


def parse_entity(kind: EtimKind, body: bytes | str) -> EtimEntity:
    """A stored body back into its entity."""
    entity = ENTITY_TYPES[kind].model_validate_json(body)
    return entity  # type: ignore[return-value]


# --- what a generation of the model is made of ---------------------------------------------------------


class ClassSummary(BaseModel):
    """What the class list filters and shows without reading each class: kept in the manifest."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    version: int | None = None
    group: str | None = None
    descriptions: dict[str, str | None] = Field(default_factory=dict)
    synonyms: dict[str, list[str]] = Field(default_factory=dict)

    @classmethod
    def of(cls, entity: EtimClass) -> ClassSummary:
        return cls(version=entity.version, group=entity.group, descriptions=entity.descriptions,
                   synonyms=entity.synonyms)


class ManifestEntry(BaseModel):
    """One entity of a generation: its code, the hash of its version, and what listing it needs."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    code: str
    hash: str
    deprecated: bool = False
    summary: ClassSummary | None = None


def manifest_entry(kind: EtimKind, entity: EtimEntity, hash_: str) -> ManifestEntry:
    summary = ClassSummary.of(entity) if isinstance(entity, EtimClass) and kind is EtimKind.CLASS else None
    return ManifestEntry(code=entity.code, hash=hash_, deprecated=is_deprecated(entity), summary=summary)


def manifest_digest(entries: list[ManifestEntry]) -> str:
    """The identity of one kind's manifest: a hash over its (code, version hash) pairs in code order.

    Summaries are derived from the entities, so the pairs identify the whole manifest.
    """
    digest = hashlib.sha256()
    for entry in sorted(entries, key=lambda e: e.code):
        digest.update(f"{entry.code}={entry.hash};".encode())
    return digest.hexdigest()[:32]


class ChangeCounts(BaseModel):
    """What a sync found for one kind, compared with the model it replaces."""
    model_config = ConfigDict(defer_build=True)

    created: int = 0
    changed: int = 0
    unchanged: int = 0
    deprecated: int = Field(default=0, description="Newly deprecated, or no longer in the release")
    removed: int = Field(default=0, description="Of the deprecated: no longer served for the release at all")

    @property
    def read(self) -> int:
        return self.created + self.changed + self.unchanged + self.deprecated - self.removed


class ReleaseModel(BaseModel):
    """The pointer to the current generation of one release's model in one environment.

    ``manifests`` names each kind's manifest by digest; a sync that finished switches it in one conditional
    write, so readers see the previous generation whole until then. ``previous`` keeps the generation
    before (its manifests are still stored: page tokens issued just before a switch keep working).
    """
    model_config = ConfigDict(defer_build=True)

    environment: str
    release: str
    generation: str
    manifests: dict[EtimKind, str]
    previous: dict[EtimKind, str] = Field(default_factory=dict)
    entities: dict[EtimKind, int] = Field(default_factory=dict, description="Entities per kind")
    changes: dict[EtimKind, ChangeCounts] = Field(default_factory=dict, description="What the last switch changed")
    languages: list[str]
    synced_at: str
    run_id: str | None = None
    task_id: str | None = None


def generation_of(manifests: dict[EtimKind, str]) -> str:
    """A generation is named by its manifests (the same content is the same generation)."""
    text = ";".join(f"{kind.value}={manifests[kind]}" for kind in SYNC_ORDER if kind in manifests)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
