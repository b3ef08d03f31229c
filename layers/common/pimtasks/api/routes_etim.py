"""Routes: the environment's ETIM model (read only; Import ETIM tasks write it)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from pimtasks.api.context import environment_caller
from pimtasks.api.etim_models import (
    EtimClassListOut,
    EtimClassOut,
    EtimFeatureOut,
    EtimGroupOut,
    EtimReleaseOut,
    EtimUnitDetailOut,
    EtimValueOut,
)
from pimtasks.api.models import ItemList
from pimtasks.api.responses import EnvPath, responses
from pimtasks.domain.etim import CODE_PATTERNS, LANGUAGE_PATTERN, RELEASE_PATTERN, EtimKind
from pimtasks.services.etim_model import MAX_PAGE_SIZE, EntityDetail
from pimtasks.wiring import etim_model_reader

router = APIGatewayRouter()

ReleaseQuery = Annotated[str | None, Query(pattern=RELEASE_PATTERN, description="e.g. ETIM-9.0; default: the "
                                           "newest release the environment has a model of")]
LanguageQuery = Annotated[str | None, Query(pattern=LANGUAGE_PATTERN, description="e.g. EN, nl-NL; default: the "
                                            "model's first language")]
ClassCode = Annotated[str, Path(pattern=CODE_PATTERNS[EtimKind.CLASS], description="e.g. EC000034")]
FeatureCode = Annotated[str, Path(pattern=CODE_PATTERNS[EtimKind.FEATURE], description="e.g. EF000007")]
ValueCode = Annotated[str, Path(pattern=CODE_PATTERNS[EtimKind.VALUE], description="e.g. EV000080")]
UnitCode = Annotated[str, Path(pattern=CODE_PATTERNS[EtimKind.UNIT], description="e.g. EU570448")]
GroupCode = Annotated[str, Path(pattern=CODE_PATTERNS[EtimKind.GROUP], description="e.g. EG000017")]
TAGS = ["ETIM"]


@router.get("/environments/<env>/etim/releases", summary="The releases the environment has an ETIM model of",
            tags=TAGS, responses=responses(200, ItemList[EtimReleaseOut], "Newest first"))
def list_etim_releases(env: EnvPath) -> ItemList[EtimReleaseOut]:
    """The ETIM releases the environment has a model of (Import ETIM tasks load them), newest first."""
    environment_caller(router, env)
    return ItemList[EtimReleaseOut](items=[EtimReleaseOut.of(m) for m in etim_model_reader().releases(environment=env)])


@router.get("/environments/<env>/etim/classes", summary="ETIM classes, paged; search in descriptions and synonyms",
            tags=TAGS, responses=responses(200, EtimClassListOut, "A page of classes in code order"))
def list_etim_classes(env: EnvPath, release: ReleaseQuery = None,
                      group: Annotated[str | None, Query(pattern=CODE_PATTERNS[EtimKind.GROUP])] = None,
                      q: Annotated[str | None, Query(min_length=1, max_length=100,
                                                     description="Text in the description or a synonym")] = None,
                      language: LanguageQuery = None,
                      limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
                      next_token: Annotated[str | None, Query(max_length=2000)] = None) -> EtimClassListOut:
    """A page of the ETIM classes of a release in code order; q searches descriptions and synonyms."""
    environment_caller(router, env)
    listing = etim_model_reader().list_classes(environment=env, release=release, group=group, q=q,
                                               language=language, limit=limit, next_token=next_token)
    return EtimClassListOut.of(listing)


@router.get("/environments/<env>/etim/classes/<code>", summary="An ETIM class with its features, units and values",
            tags=TAGS, responses=responses(200, EtimClassOut, "The class"))
def get_etim_class(env: EnvPath, code: ClassCode, release: ReleaseQuery = None,
                   language: LanguageQuery = None) -> EtimClassOut:
    """The class with its features in order, their units and value lists, and its synonyms."""
    environment_caller(router, env)
    return EtimClassOut.of(etim_model_reader().class_detail(environment=env, release=release, code=code,
                                                            language=language))


@router.get("/environments/<env>/etim/features/<code>", summary="An ETIM feature", tags=TAGS,
            responses=responses(200, EtimFeatureOut, "The feature"))
def get_etim_feature(env: EnvPath, code: FeatureCode, release: ReleaseQuery = None,
                     language: LanguageQuery = None) -> EtimFeatureOut:
    """The feature's type, descriptions and units."""
    return EtimFeatureOut.of(_detail(env, EtimKind.FEATURE, code, release, language))


@router.get("/environments/<env>/etim/values/<code>", summary="An ETIM value", tags=TAGS,
            responses=responses(200, EtimValueOut, "The value"))
def get_etim_value(env: EnvPath, code: ValueCode, release: ReleaseQuery = None,
                   language: LanguageQuery = None) -> EtimValueOut:
    """The value's descriptions."""
    return EtimValueOut.of(_detail(env, EtimKind.VALUE, code, release, language))


@router.get("/environments/<env>/etim/units/<code>", summary="An ETIM unit", tags=TAGS,
            responses=responses(200, EtimUnitDetailOut, "The unit"))
def get_etim_unit(env: EnvPath, code: UnitCode, release: ReleaseQuery = None,
                  language: LanguageQuery = None) -> EtimUnitDetailOut:
    """The unit's descriptions and abbreviation."""
    return EtimUnitDetailOut.of(_detail(env, EtimKind.UNIT, code, release, language))


@router.get("/environments/<env>/etim/groups/<code>", summary="An ETIM group", tags=TAGS,
            responses=responses(200, EtimGroupOut, "The group"))
def get_etim_group(env: EnvPath, code: GroupCode, release: ReleaseQuery = None,
                   language: LanguageQuery = None) -> EtimGroupOut:
    """The group's descriptions."""
    return EtimGroupOut.of(_detail(env, EtimKind.GROUP, code, release, language))


def _detail(env: str, kind: EtimKind, code: str, release: str | None, language: str | None) -> EntityDetail:
    environment_caller(router, env)
    return etim_model_reader().entity_detail(environment=env, release=release, kind=kind, code=code,
                                             language=language)
