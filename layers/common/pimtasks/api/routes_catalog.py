"""Routes: the catalog read API (records in change order, deltas with removals) and removal of one record."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import AwareDatetime

from pimtasks.api.catalog_models import CatalogPageOut, CatalogRecordDetailOut
from pimtasks.api.context import decoded_path_parameter, environment_caller
from pimtasks.api.responses import EnvPath, responses
from pimtasks.domain.task_types import ImportTarget
from pimtasks.services.catalog_reading import MAX_PAGE_SIZE, filter_fields
from pimtasks.services.page_tokens import MAX_TOKEN_LENGTH
from pimtasks.wiring import catalog_reader

router = APIGatewayRouter()
TAGS = ["Catalog"]

EntityPath = Annotated[ImportTarget, Path(description="products, sales_conditions, attachments or users")]
RecordIdPath = Annotated[str, Path(min_length=1, max_length=500, description=(
    "The record_id a listing gives: a product's article number (spaces and / as they are, or URL-encoded as "
    "%20 and %2F), else the digest of the record's natural key"))]
_LISTING_PARAMETERS = frozenset({"cursor", "limit", "changed_since"})
_FILTERS = "; ".join(f"{target.value}: {', '.join(filter_fields(target))}" for target in ImportTarget)
_LIST_DESCRIPTION = (
    "Records in changed_at order (ties by record_id), read from an index. Without changed_since: the live "
    "records. With changed_since (RFC 3339, e.g. 2026-12-01T00:00:00Z): what changed at or after it, removals "
    "included as records with removed: true, so a reader of deltas learns of them. Field filters as further "
    "query parameters (brand=Acme; an unknown field is a 422 listing the valid ones): "
    f"{_FILTERS}. A filtered page looks at no more than 5,000 records and may come back short; follow "
    "next_cursor (null on the last page).")


@router.get("/environments/<env>/catalog/<entity>", summary="A page of catalog records in change order",
            tags=TAGS, description=_LIST_DESCRIPTION, responses=responses(200, CatalogPageOut, "A page of records"))
def list_catalog(env: EnvPath, entity: EntityPath,
                 limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Records per page")] = 100,
                 cursor: Annotated[str | None, Query(max_length=MAX_TOKEN_LENGTH,
                                                     description="The next_cursor of the previous page")] = None,
                 changed_since: Annotated[AwareDatetime | None, Query(
                     description="Only what changed at or after this time, removals included")] = None,
                 ) -> CatalogPageOut:
    environment_caller(router, env)
    query = router.current_event.query_string_parameters or {}
    filters = {name: value for name, value in query.items() if name not in _LISTING_PARAMETERS}
    page = catalog_reader().page(environment=env, entity=entity, limit=limit, cursor=cursor,
                                 changed_since=changed_since, filters=filters)
    return CatalogPageOut.of(page)


@router.get("/environments/<env>/catalog/<entity>/<record_id>", summary="One catalog record (a product with its "
            "sales conditions and attachments)", tags=TAGS,
            responses=responses(200, CatalogRecordDetailOut, "The record"))
def get_catalog_record(env: EnvPath, entity: EntityPath, record_id: RecordIdPath) -> CatalogRecordDetailOut:
    """One live record by its record_id; a product comes with the sales conditions that apply to it (on its
    article number, GTIN or discount group) and its attachments. 404 for a removed or unknown record."""
    environment_caller(router, env)
    identifier = decoded_path_parameter(router, "record_id", record_id)
    return CatalogRecordDetailOut.of_detail(catalog_reader().record(environment=env, entity=entity,
                                                                    record_id=identifier))


@router.delete("/environments/<env>/catalog/<entity>/<record_id>", summary="Remove one catalog record",
               tags=TAGS, description="Leaves a tombstone, so deltas (changed_since) list the removal; importing "
                                      "the record again creates it anew. 404 for a record that is not there.",
               responses=responses(204, None, "Removed"))
def delete_catalog_record(env: EnvPath, entity: EntityPath, record_id: RecordIdPath) -> Response[None]:
    environment_caller(router, env)
    identifier = decoded_path_parameter(router, "record_id", record_id)
    catalog_reader().remove(environment=env, entity=entity, record_id=identifier)
    return Response(status_code=204)

