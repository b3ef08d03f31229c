"""The ETIM API v2's JSON as it travels: request bodies with only documented keys, and the response shapes.

Every input schema of the API has ``additionalProperties: false``, so bodies are built from the OpenAPI
document's property names and nothing else (``EntitySearchInput``, ``FeatureSearchInput``,
``ClassListInput``, ``IncludeModel``, ``FilterModel``). Responses are read leniently where the document is
silent (extra keys are ignored) and strictly where a sync depends on them (codes, totals, versions): a
mismatch becomes ``EtimShapeError`` naming the call and the field. The document gives no 200 schema for
the non-class searches; their output keys (``features``, ``values``, ``units``, ``groups``) follow
EXTERNAL-SYSTEMS §1.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Annotated, Any, NotRequired

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from pimtasks.domain.etim import (
    CODE_PATTERNS,
    EtimClass,
    EtimEntity,
    EtimFeature,
    EtimGroup,
    EtimKind,
    EtimUnit,
    EtimValue,
)
from pimtasks.domain.etim_source import ClassRef, EtimShapeError, SearchFilter

GroupCode = Annotated[str, StringConstraints(pattern=CODE_PATTERNS[EtimKind.GROUP])]
ClassCode = Annotated[str, StringConstraints(pattern=CODE_PATTERNS[EtimKind.CLASS])]
FeatureCode = Annotated[str, StringConstraints(pattern=CODE_PATTERNS[EtimKind.FEATURE])]
ValueCode = Annotated[str, StringConstraints(pattern=CODE_PATTERNS[EtimKind.VALUE])]
UnitCode = Annotated[str, StringConstraints(pattern=CODE_PATTERNS[EtimKind.UNIT])]

CLASS_DETAIL_FIELDS = ("Features", "Group", "Releases")
"""``IncludeModel.fields`` asked of ``Class/DetailsMany``: the class's structure, its group and releases."""


# --- request bodies ------------------------------------------------------------------------------------


def search_body(*, kind: EtimKind, release: str, language: str, search_filter: SearchFilter, offset: int,
                size: int) -> dict[str, Any]:
    """An ``EntitySearchInput`` (``FeatureSearchInput`` for features) for one page of a kind's list."""
    body: dict[str, Any] = {"from": offset, "size": size, "languagecode": language,
                            "include": {"descriptions": True}}
    filters: list[dict[str, Any]] = []
    if kind in (EtimKind.CLASS, EtimKind.GROUP):
        # Release (and Group) filters are "only applicable to classes and groups": features, values and units
        # are shared by every release.
        filters.append({"code": "Release", "values": [release]})
    if kind is EtimKind.CLASS and search_filter.groups is not None:
        filters.append({"code": "Group", "values": list(search_filter.groups)})
    if filters:
        body["filters"] = filters
    if search_filter.deprecated is not None and kind in (EtimKind.FEATURE, EtimKind.VALUE, EtimKind.UNIT):
        body["deprecated"] = search_filter.deprecated
    if search_filter.local is not None and kind is EtimKind.FEATURE:
        body["local"] = search_filter.local
    return body


def details_many_body(*, refs: Sequence[ClassRef], language: str) -> dict[str, Any]:
    """A ``ClassListInput``: the classes by code and version, with their features, group and releases."""
    return {"include": {"descriptions": True, "fields": list(CLASS_DETAIL_FIELDS)}, "languagecode": language,
            "classes": [{"code": ref.code, "version": ref.version} for ref in refs]}


# --- response shapes -----------------------------------------------------------------------------------


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class WireLanguage(_Wire):
    code: str = Field(min_length=1)
    description: str | None = None


class WireRelease(_Wire):
    id: int | None = None
    description: str = Field(min_length=1)


class WireGroup(_Wire):
    code: GroupCode
    description: str | None = None
    releases: list[str] | None = None


class WireUnit(_Wire):
    code: UnitCode
    description: str | None = None
    abbreviation: str | None = None
    deprecated: bool | None = None


class WireValue(_Wire):
    code: ValueCode
    description: str | None = None
    deprecated: bool | None = None


class WireFeature(_Wire):
    code: FeatureCode
    type: str | None = None
    description: str | None = None
    deprecated: bool | None = None
    local: bool | None = None


class WireClassListed(_Wire):
    """A class in a ``Class/Search`` answer; the version is what ``Class/DetailsMany`` asks for."""

    code: ClassCode
    version: int
    description: str | None = None
    synonyms: list[str] | None = None


# The class details are the bulk of a sync (some 100,000 feature values per page of 100 classes): their shape
# is checked as TypedDicts, which pydantic validates about as fast as ``json.loads`` parses, where models would
# cost several times that.


class WireCodeRef(TypedDict):
    code: NotRequired[str | None]


class WireUnitRef(TypedDict):
    code: UnitCode


class WireGroupRef(TypedDict):
    code: GroupCode


class WireClassFeatureValue(TypedDict):
    code: ValueCode
    orderNumber: NotRequired[int | None]


class WireClassFeature(TypedDict):
    code: FeatureCode
    type: NotRequired[str | None]
    orderNumber: NotRequired[int | None]
    unit: NotRequired[WireUnitRef | None]
    unitImperial: NotRequired[WireUnitRef | None]
    featureGroupCode: NotRequired[str | None]
    featureGroup: NotRequired[WireCodeRef | None]
    values: NotRequired[list[WireClassFeatureValue] | None]


class WireClass(TypedDict):
    """An ``EtimClass`` of ``Class/DetailsMany`` (the keys a sync stores; others are ignored)."""

    code: ClassCode
    version: NotRequired[int | None]
    revision: NotRequired[int | None]
    status: NotRequired[int | None]
    mutationDate: NotRequired[str | None]
    changeCode: NotRequired[str | None]
    description: NotRequired[str | None]
    synonyms: NotRequired[list[str] | None]
    group: NotRequired[WireGroupRef | None]
    features: NotRequired[list[WireClassFeature] | None]
    releases: NotRequired[list[str] | None]
    sectors: NotRequired[list[str] | None]


class SearchOutput(_Wire):
    """Any ``<Kind>/Search`` answer: ``{total, pageSize, <classes|features|values|units|groups>}`` (only the
    class search documents ``pageSize``; the others advance by what they returned)."""

    total: int = Field(ge=0)
    pageSize: int | None = None
    classes: list[WireClassListed] | None = None
    groups: list[WireGroup] | None = None
    units: list[WireUnit] | None = None
    values: list[WireValue] | None = None
    features: list[WireFeature] | None = None


class TokenResponse(_Wire):
    access_token: str = Field(min_length=1)
    expires_in: float | None = Field(default=None, gt=0)


def parse(model: type[BaseModel], body: bytes, *, call: str) -> Any:
    """The JSON ``body`` as ``model``, or ``EtimShapeError`` naming the call and the first offending field.

    Parsed and validated in one pass (pydantic's JSON parser): a page of 100 classes with their features is
    about 200,000 values, where ``json.loads`` plus validation would cost twice the time.
    """
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise EtimShapeError(shape_message(call, exc, body)) from exc


def parse_list(model: Any, body: bytes, *, call: str) -> list[Any]:
    """A JSON array of ``model``; errors name the item by its index (``[3].features[0].code``)."""
    try:
        return list(_list_adapter(model).validate_json(body))
    except ValidationError as exc:
        raise EtimShapeError(shape_message(call, exc, body)) from exc


@lru_cache(maxsize=16)  # one adapter per wire model (a handful)
def _list_adapter(model: Any) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])


def shape_message(call: str, exc: ValidationError, body: bytes = b"") -> str:
    error = exc.errors()[0]
    if error.get("type") == "json_invalid":
        return f"the ETIM API's answer to {call} is not JSON: {body[:80]!r}"
    where = field_path(error.get("loc", ()))
    got = error.get("input")
    shown = "" if error.get("type") == "missing" else f" (got {json.dumps(got, default=str)[:80]})"
    more = f"; {exc.error_count() - 1} more problem(s)" if exc.error_count() > 1 else ""
    return (f"the ETIM API's answer to {call} does not match the documented shape: field {where or '(root)'}: "
            f"{error.get('msg')}{shown}{more}")


def field_path(location: Sequence[Any]) -> str:
    """``('classes', 3, 'code')`` -> ``classes[3].code``."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- wire -> stored entities (one language's texts) -----------------------------------------------------


def entity_of(kind: EtimKind, wire: BaseModel, *, language: str) -> EtimEntity:
    """A searched entity as a stored one with ``language``'s texts."""
    if isinstance(wire, WireGroup):
        return EtimGroup(code=wire.code, descriptions={language: wire.description}, releases=wire.releases or [])
    if isinstance(wire, WireUnit):
        return EtimUnit(code=wire.code, deprecated=bool(wire.deprecated), descriptions={language: wire.description},
                        abbreviations={language: wire.abbreviation})
    if isinstance(wire, WireValue):
        return EtimValue(code=wire.code, deprecated=bool(wire.deprecated), descriptions={language: wire.description})
    if isinstance(wire, WireFeature):
        return EtimFeature(code=wire.code, type=wire.type, deprecated=bool(wire.deprecated), local=wire.local,
                           descriptions={language: wire.description})
    raise TypeError(f"not a searched {kind.value}: {type(wire).__name__}")


def listed_class(wire: WireClassListed) -> ClassRef:
    return ClassRef(code=wire.code, version=wire.version, description=wire.description,
                    synonyms=tuple(wire.synonyms or ()))


def class_of(wire: WireClass, *, language: str) -> EtimClass:
    """A class from ``Class/DetailsMany``: its structure, and its own texts in ``language``.

    Built from plain data in one validation (building each nested model on its own costs three times as much).
    """
    group = wire.get("group")
    return EtimClass.model_validate({
        "code": wire["code"], "version": wire.get("version"), "revision": wire.get("revision"),
        "status": wire.get("status"), "change_code": wire.get("changeCode"), "mutation_date": wire.get("mutationDate"),
        "group": group["code"] if group else None, "releases": wire.get("releases") or [],
        "sectors": wire.get("sectors") or [], "descriptions": {language: wire.get("description")},
        "synonyms": {language: wire.get("synonyms") or []},
        "features": _in_order([_class_feature(feature) for feature in wire.get("features") or []]),
    })


def _in_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` by their ``orderNumber`` (stable; rows without one last, as sent).

    The document numbers a class's features and a feature's values (``orderNumber``, "order number within this
    class") but never says the arrays come in that order, so the order is taken from the numbers.
    """
    return sorted(rows, key=lambda row: (row["order"] is None, row["order"] or 0))


def _class_feature(wire: WireClassFeature) -> dict[str, Any]:
    unit, imperial, group = wire.get("unit"), wire.get("unitImperial"), wire.get("featureGroup")
    return {
        "code": wire["code"], "order": wire.get("orderNumber"), "type": wire.get("type"),
        "unit": unit["code"] if unit else None, "unit_imperial": imperial["code"] if imperial else None,
        "feature_group": wire.get("featureGroupCode") or (group.get("code") if group else None),
        "values": _in_order([{"code": value["code"], "order": value.get("orderNumber")}
                             for value in wire.get("values") or []]),
    }
