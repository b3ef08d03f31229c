"""API response models of the ETIM model (the HTTP edge): stored entities mapped to one language explicitly."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pimtasks.domain.etim import (
    ChangeCounts,
    EtimClass,
    EtimClassFeature,
    EtimFeature,
    EtimGroup,
    EtimUnit,
    EtimValue,
    ManifestEntry,
    ReleaseModel,
)
from pimtasks.services.etim_model import ClassDetail, ClassListing, EntityDetail


class EtimChangesOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    created: int
    changed: int
    unchanged: int
    deprecated: int = Field(description="Newly deprecated, or no longer in the release (those are also 'removed')")
    removed: int


class EtimReleaseOut(BaseModel):
    """A release the environment has a model of, and what its last switching sync changed."""
    model_config = ConfigDict(defer_build=True)

    release: str = Field(examples=["ETIM-9.0"])
    generation: str = Field(description="Identity of the model's current content")
    languages: list[str]
    synced_at: str = Field(description="When the sync that made this generation current finished")
    run_id: str | None
    task_id: str | None
    entities: dict[str, int] = Field(description="Entities per kind (groups, classes, features, values, units)")
    changes: dict[str, EtimChangesOut] = Field(description="Per kind, what that sync changed")

    @classmethod
    def of(cls, model: ReleaseModel) -> EtimReleaseOut:
        return cls(release=model.release, generation=model.generation, languages=model.languages,
                   synced_at=model.synced_at, run_id=model.run_id, task_id=model.task_id,
                   entities={kind.plural: count for kind, count in model.entities.items()},
                   changes={kind.plural: _changes(counts) for kind, counts in model.changes.items()})


def _changes(counts: ChangeCounts) -> EtimChangesOut:
    return EtimChangesOut.model_validate(counts.model_dump())


class EtimClassSummaryOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    code: str
    version: int | None
    group: str | None
    description: str | None
    synonyms: list[str]
    deprecated: bool

    @classmethod
    def of(cls, entry: ManifestEntry, language: str) -> EtimClassSummaryOut:
        summary = entry.summary
        return cls(code=entry.code, version=summary.version if summary else None,
                   group=summary.group if summary else None,
                   description=summary.descriptions.get(language) if summary else None,
                   synonyms=list(summary.synonyms.get(language, [])) if summary else [], deprecated=entry.deprecated)


class EtimClassListOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    release: str
    language: str
    total: int = Field(description="Classes matching the filters")
    items: list[EtimClassSummaryOut]
    next_token: str | None = None

    @classmethod
    def of(cls, listing: ClassListing) -> EtimClassListOut:
        return cls(release=listing.model.release, language=listing.language, total=listing.total,
                   items=[EtimClassSummaryOut.of(entry, listing.language) for entry in listing.entries],
                   next_token=listing.next_token)


class EtimUnitOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    code: str
    description: str | None
    abbreviation: str | None
    deprecated: bool | None = Field(description="None when the unit is not in the model's unit list")

    @classmethod
    def of(cls, code: str, unit: EtimUnit | None, language: str) -> EtimUnitOut:
        if unit is None:
            return cls(code=code, description=None, abbreviation=None, deprecated=None)
        return cls(code=code, description=unit.descriptions.get(language),
                   abbreviation=unit.abbreviations.get(language), deprecated=unit.deprecated)


class EtimClassValueOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    code: str
    order: int | None
    description: str | None
    deprecated: bool | None


class EtimClassFeatureOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    code: str
    order: int | None
    type: str | None
    description: str | None
    deprecated: bool | None
    feature_group: str | None
    unit: EtimUnitOut | None
    unit_imperial: EtimUnitOut | None
    values: list[EtimClassValueOut] = Field(description="The class's value list for this feature, in order")

    @classmethod
    def of(cls, feature: EtimClassFeature, detail: ClassDetail) -> EtimClassFeatureOut:
        language = detail.language
        known = detail.features.get(feature.code)

        def unit(code: str | None) -> EtimUnitOut | None:
            return EtimUnitOut.of(code, detail.units.get(code), language) if code else None

        values = []
        for value in feature.values:
            found = detail.values.get(value.code)
            values.append(EtimClassValueOut(code=value.code, order=value.order,
                                            description=found.descriptions.get(language) if found else None,
                                            deprecated=found.deprecated if found else None))
        return cls(code=feature.code, order=feature.order, type=feature.type or (known.type if known else None),
                   description=known.descriptions.get(language) if known else None,
                   deprecated=known.deprecated if known else None, feature_group=feature.feature_group,
                   unit=unit(feature.unit), unit_imperial=unit(feature.unit_imperial), values=values)


class EtimGroupRefOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    code: str
    description: str | None


class EtimClassOut(BaseModel):
    """A class of a release in one language, with its features in order, their units and value lists."""
    model_config = ConfigDict(defer_build=True)

    release: str
    language: str
    code: str
    version: int | None
    revision: int | None
    status: int | None = Field(description="2 under construction, 3 ready, 5 published, 9 deleted")
    change_code: str | None
    mutation_date: str | None
    deprecated: bool
    description: str | None
    synonyms: list[str]
    group: EtimGroupRefOut | None
    releases: list[str]
    sectors: list[str]
    features: list[EtimClassFeatureOut]

    @classmethod
    def of(cls, detail: ClassDetail) -> EtimClassOut:
        entity: EtimClass = detail.entity
        language = detail.language
        group = EtimGroupRefOut(code=entity.group, description=detail.group.descriptions.get(language)
                                if detail.group else None) if entity.group else None
        return cls(release=detail.model.release, language=language, code=entity.code, version=entity.version,
                   revision=entity.revision, status=entity.status, change_code=entity.change_code,
                   mutation_date=entity.mutation_date, deprecated=entity.deprecated,
                   description=entity.descriptions.get(language), synonyms=list(entity.synonyms.get(language, [])),
                   group=group, releases=entity.releases, sectors=entity.sectors,
                   features=[EtimClassFeatureOut.of(feature, detail) for feature in entity.features])


class _EntityOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    release: str
    language: str
    code: str
    description: str | None

    @staticmethod
    def _common(detail: EntityDetail) -> dict[str, Any]:
        return {"release": detail.model.release, "language": detail.language, "code": detail.entity.code,
                "description": detail.entity.descriptions.get(detail.language)}


class EtimFeatureOut(_EntityOut):
    type: str | None
    deprecated: bool
    local: bool | None

    @classmethod
    def of(cls, detail: EntityDetail) -> EtimFeatureOut:
        entity = detail.entity
        assert isinstance(entity, EtimFeature)
        return cls(**cls._common(detail), type=entity.type, deprecated=entity.deprecated, local=entity.local)


class EtimValueOut(_EntityOut):
    deprecated: bool

    @classmethod
    def of(cls, detail: EntityDetail) -> EtimValueOut:
        entity = detail.entity
        assert isinstance(entity, EtimValue)
        return cls(**cls._common(detail), deprecated=entity.deprecated)


class EtimUnitDetailOut(_EntityOut):
    abbreviation: str | None
    deprecated: bool

    @classmethod
    def of(cls, detail: EntityDetail) -> EtimUnitDetailOut:
        entity = detail.entity
        assert isinstance(entity, EtimUnit)
        return cls(**cls._common(detail), abbreviation=entity.abbreviations.get(detail.language),
                   deprecated=entity.deprecated)


class EtimGroupOut(_EntityOut):
    releases: list[str]

    @classmethod
    def of(cls, detail: EntityDetail) -> EtimGroupOut:
        entity = detail.entity
        assert isinstance(entity, EtimGroup)
        return cls(**cls._common(detail), releases=entity.releases)
