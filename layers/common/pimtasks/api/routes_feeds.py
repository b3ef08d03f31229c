"""Routes: feed tokens (API key, like every /environments route) and the public feeds (feed token).

``GET /feeds/{env}/{feed}`` and ``…/file`` are for channels: their authorizer takes the feed's token from
``Authorization: Bearer <token>`` (a header only: a token in a query string ends up in access logs, browser
histories and proxies) and allows exactly the call being made. Answers carry ``ETag`` and ``Last-Modified``
(a matching ``If-None-Match`` gets 304 without the pages being read) and are gzipped for clients that accept
it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, Field

from pimtasks.api.context import environment_caller, feed_reader_caller
from pimtasks.api.error_models import ErrorOut
from pimtasks.api.responses import EnvPath, json_response, responses
from pimtasks.domain.identifiers import FOLDER_NAME_PATTERN
from pimtasks.feeds.reader import PageRequest, etag_matches
from pimtasks.wiring import feed_reader, feed_token_service

router = APIGatewayRouter()

FeedPath = Annotated[str, Path(pattern=FOLDER_NAME_PATTERN, description="The feed's feed_name")]
FEED_SECURITY: list[dict[str, list[str]]] = [{"feedToken": []}]
CACHE_CONTROL = "private, no-cache"
"""Caches may keep an answer but must ask again (a 304 when nothing changed): a feed changes with each run."""


class FeedTokenOut(BaseModel):
    environment: str
    feed: str
    token: str = Field(description="Shown this once; send it as Authorization: Bearer <token>")
    created_at: dt.datetime


class FeedEntryOut(BaseModel):
    id: str = Field(description="The record's id (a product's article number)")
    changed_at: str
    removed: bool = Field(description="True: the record left the feed (removed, or no longer matches its filter)")
    data: dict[str, Any] | None = Field(description="The record's fields (the feed's columns); null when removed")


class FeedPageOut(BaseModel):
    environment: str
    feed: str
    version: str = Field(description="The feed version these records are from (every page of a cursor's chain)")
    built_at: str
    since: str | None
    records: list[FeedEntryOut]
    next_cursor: str | None = Field(description="Pass as cursor= for the next page; null on the last")


def _feed_error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"model": ErrorOut}}}


_FEED_EXTRA: dict[int, Any] = {
    307: {"description": "The file is large: download it from Location (short-lived)", "content": {}},
    410: _feed_error("The cursor's version is no longer served: read from the first page"),
}


def _feed_responses(success: dict[str, Any], *extra: int) -> dict[int, Any]:
    """What a feed route answers: its success, 304, 401 (the feed authorizer), 404, 422, and ``extra`` ones."""
    return {
        200: success,
        304: {"description": "Not modified (If-None-Match matched the ETag)", "content": {}},
        401: _feed_error("No feed token, or not this feed's token"),
        404: _feed_error("The feed has no published version yet"),
        422: _feed_error("Invalid cursor or since"),
        **{code: _FEED_EXTRA[code] for code in extra},
    }


@router.post("/environments/<env>/feeds/<feed>/token", summary="Create or rotate a feed's token",
             description="The token is shown this once and stored hashed; a previous token stops working at "
                         "once. 404 when no feed task of the environment has this feed_name.",
             tags=["Feeds"], responses=responses(201, FeedTokenOut, "The token, shown this once"))
def create_feed_token(env: EnvPath, feed: FeedPath) -> Response[FeedTokenOut]:
    """A new token for the feed, shown this once (stored hashed); the feed's previous token stops working."""
    environment_caller(router, env)
    issued = feed_token_service().issue(environment=env, feed=feed)
    return json_response(201, FeedTokenOut(environment=issued.environment, feed=issued.feed, token=issued.token,
                                           created_at=issued.created_at))


@router.delete("/environments/<env>/feeds/<feed>/token", summary="Revoke a feed's token", tags=["Feeds"],
               responses=responses(204, None, "Revoked"))
def delete_feed_token(env: EnvPath, feed: FeedPath) -> Response[None]:
    """Revoke the feed's token: channels reading with it get 401 from now on (404 when it has none)."""
    environment_caller(router, env)
    feed_token_service().revoke(environment=env, feed=feed)
    return Response(status_code=204)


@router.get("/feeds/<env>/<feed>", summary="A page of the feed (feed token)", tags=["Feeds"],
            security=FEED_SECURITY,
            description="The records of the version the last successful feed run built, in change order, a page "
                        "at a time: follow next_cursor to the end. With since (ISO 8601), only what changed at or "
                        "after it, removals included (removed: true). A cursor stays on its version while newer "
                        "ones are published (410 once it is cleaned up, two versions later).",
            responses=_feed_responses({"description": "The page",
                                       "content": {"application/json": {"model": FeedPageOut}}}, 410))
def read_feed_page(env: EnvPath, feed: FeedPath,
                   cursor: Annotated[str | None, Query(max_length=2000, description="next_cursor of the "
                                                                                     "previous page")] = None,
                   since: Annotated[dt.datetime | None, Query(description="Only records changed at or after this "
                                                                          "time (a delta)")] = None,
                   ) -> Response[Any]:
    """A page of the published feed version (see the description)."""
    feed_reader_caller(router, env, feed)
    reader = feed_reader()
    located = reader.locate(environment=env, feed=feed, cursor=cursor, since=_aware(since))
    if etag_matches(_header("if-none-match"), located.etag):
        return _not_modified(located.etag, located.last_modified)
    page = reader.read(located)
    body = json.dumps({"environment": env, "feed": feed, "version": page.version, "built_at": page.built_at,
                       "since": page.since, "records": page.records, "next_cursor": page.next_cursor},
                      ensure_ascii=False, separators=(",", ":"))
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body, compress=True,
                    headers=_validators(located))


@router.get("/feeds/<env>/<feed>/file", summary="The whole feed as one file (feed token)", tags=["Feeds"],
            security=FEED_SECURITY,
            description="The file of the version the last successful feed run built, in the feed's format (json: "
                        "an array; ndjson: a record a line). Large files answer 307 to a short-lived download.",
            responses=_feed_responses({"description": "The file", "content": {"application/json": {},
                                                                              "application/x-ndjson": {}}}, 307))
def read_feed_file(env: EnvPath, feed: FeedPath) -> Response[Any]:
    """The published feed version as one file (see the description)."""
    feed_reader_caller(router, env, feed)
    answer = feed_reader().file(environment=env, feed=feed, if_none_match=_header("if-none-match"))
    built_at = answer.version.built_at
    if answer.content is None and answer.download_url is None:
        return _not_modified(answer.etag, built_at)
    headers = {"ETag": answer.etag, "Last-Modified": _http_date(built_at), "Cache-Control": CACHE_CONTROL,
               "Vary": "Accept-Encoding", "Content-Disposition": f'attachment; filename="{answer.file_name}"'}
    if answer.download_url is not None:
        return Response(status_code=307, headers={**headers, "Location": answer.download_url}, body=None)
    return Response(status_code=200, content_type=answer.version.file.content_type, body=answer.content,
                    compress=True, headers=headers)


def _header(name: str) -> str | None:
    value = router.current_event.headers.get(name)  # case-insensitive
    return str(value) if value is not None else None


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A ``since`` without an offset is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _http_date(value: dt.datetime) -> str:
    return email.utils.format_datetime(value.astimezone(dt.UTC), usegmt=True)


def _validators(located: PageRequest) -> dict[str, str]:
    return {"ETag": located.etag, "Last-Modified": _http_date(located.last_modified), "Cache-Control": CACHE_CONTROL,
            "Vary": "Accept-Encoding"}


def _not_modified(etag: str, last_modified: dt.datetime) -> Response[Any]:
    return Response(status_code=304, body=None, headers={"ETag": etag, "Last-Modified": _http_date(last_modified),
                                                         "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"})
