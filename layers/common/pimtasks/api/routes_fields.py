"""Routes: the catalog fields an import's layout can map, per import target (the same definitions the import
validates with, see ``catalog.field_catalog``)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, Field

from pimtasks.api.context import principal_of
from pimtasks.api.responses import responses
from pimtasks.catalog.field_catalog import FieldDoc, TargetDoc, describe_target
from pimtasks.catalog.fields import KIND_HELP, FieldKind
from pimtasks.domain.task_types import ImportTarget

router = APIGatewayRouter()

FIELDS_PATH = "/catalog/fields"
FIELDS_LINK = (f"GET {FIELDS_PATH}?target=<target> lists every field a layout can map, with its type, meaning and "
               "rules")


class CatalogFieldOut(BaseModel):
    name: str = Field(description="What a layout's field (or a standard layout's header) says; <...> is a part "
                                  "you fill in, e.g. description_nl")
    type: FieldKind = Field(description="How a cell is read: " + "; ".join(f"{kind.value}: {text}" for kind, text
                                                                            in KIND_HELP.items()))
    meaning: str
    rules: list[str] = Field(description="What a value must be (limits, form, allowed values, default)")
    required: bool = Field(description="A new record needs it")
    key: bool = Field(description="Part of the record's natural key: which record a row is")

    @classmethod
    def of(cls, doc: FieldDoc) -> CatalogFieldOut:
        return cls(name=doc.name, type=doc.type, meaning=doc.meaning, rules=list(doc.rules), required=doc.required,
                   key=doc.key)


class TargetFieldsOut(BaseModel):
    target: ImportTarget
    fields: list[CatalogFieldOut]
    rules: list[str] = Field(description="Rules across fields, e.g. exactly one of discount_group, article_number, "
                                         "gtin")
    natural_key: list[str] = Field(description="The fields that identify a record; two rows of one file with the "
                                               "same natural key are duplicates")
    aliases: dict[str, str] = Field(description="Other names a header or layout may use for a field")

    @classmethod
    def of(cls, doc: TargetDoc) -> TargetFieldsOut:
        return cls(target=doc.target, fields=[CatalogFieldOut.of(field) for field in doc.fields],
                   rules=list(doc.rules), natural_key=list(doc.natural_key), aliases=dict(doc.aliases))


class CatalogFieldsOut(BaseModel):
    items: list[TargetFieldsOut]


TargetQuery = Annotated[ImportTarget | None, Query(description="One import target; default: every target")]


@router.get(FIELDS_PATH, summary="The catalog fields a layout can map, per import target", tags=["Catalog"],
            description="Each field's name as a layout's `field` writes it, how a cell is read, its meaning and "
                        "its rules, and the rules across fields, generated from the definitions the import "
                        "validates with. Any API key may read it.",
            responses=responses(200, CatalogFieldsOut, "The fields of each target"))
def list_catalog_fields(target: TargetQuery = None) -> CatalogFieldsOut:
    principal_of(router)
    targets = [target] if target is not None else list(ImportTarget)
    return CatalogFieldsOut(items=[TargetFieldsOut.of(describe_target(each)) for each in targets])
