"""The small parts of feeds: file formats, entries (columns, filter), settings, tokens, the authorizer's policy."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from xml.etree import ElementTree

import pytest
from pimtasks.domain.catalog_storage import StoredChange
from pimtasks.domain.task_types import FeedSettings
from pimtasks.errors import AuthenticationError
from pimtasks.feeds.builder import feed_entry
from pimtasks.feeds.file_formats import file_format
from pimtasks.services.authorization import feed_authorizer_response, feed_of
from pimtasks.services.feed_tokens import FeedReaderPrincipal, FeedTokenService, bearer_token
from pydantic import ValidationError

RECORDS = [{"article_number": "P-1", "descriptions": {"en": "Pipe \u2013 é"}}, {"article_number": "P-2"}]


def written(name: str, records: list[dict[str, Any]]) -> bytes:
    sink = io.BytesIO()
    writer = file_format(name).open(sink, entity="products", columns=[])
    for record in records:
        writer.write(record)
    writer.close()
    return sink.getvalue()


@pytest.mark.parametrize("records", [RECORDS, []])
def test_the_json_file_is_one_array(records: list[dict[str, Any]]) -> None:
    assert json.loads(written("json", records)) == records


def test_ndjson_is_a_record_a_line_in_utf8() -> None:
    text = written("ndjson", RECORDS).decode("utf-8")
    assert [json.loads(line) for line in text.splitlines()] == RECORDS and "\u2013 é" in text


def written_with(name: str, records: list[dict[str, Any]], columns: list[str]) -> bytes:
    sink = io.BytesIO()
    writer = file_format(name).open(sink, entity="products", columns=columns)
    for record in records:
        writer.write(record)
    writer.close()
    return sink.getvalue()


TYPED = [{"article_number": "P-1", "descriptions": {"nl": "Buis \u2013 é", "en": 'Pipe, 1" "long"'},
          "gross_price": "12.50", "active": True, "valid_from": "2026-12-02"},
         {"article_number": "P-2", "descriptions": None, "gross_price": None, "active": False, "valid_from": None}]
COLUMNS = ["article_number", "descriptions", "gross_price", "active", "valid_from"]


def test_csv_is_rfc4180_utf8_with_a_header_of_the_columns_and_values_as_the_catalog_holds_them() -> None:
    data = written_with("csv", TYPED, COLUMNS)
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[0] == COLUMNS
    assert rows[1] == ["P-1", '{"nl":"Buis \u2013 é","en":"Pipe, 1\\" \\"long\\""}', "12.50", "true", "2026-12-02"]
    assert json.loads(rows[1][1]) == TYPED[0]["descriptions"]
    assert rows[2] == ["P-2", "", "", "false", ""]
    assert file_format("csv").content_type == "text/csv; charset=utf-8"


def test_xml_is_well_formed_a_record_element_each_with_the_columns_as_children() -> None:
    tricky = {"article_number": "P-<3>&", "descriptions": {"nl": "a\x01b", "1x": "odd key"}, "gross_price": 7,
              "active": True, "valid_from": None}
    root = ElementTree.fromstring(written_with("xml", [*TYPED, tricky], COLUMNS))
    assert root.tag == "feed" and root.get("entity") == "products"
    records = root.findall("record")
    assert [child.tag for child in records[0]] == COLUMNS
    assert records[0].findtext("descriptions/nl") == "Buis \u2013 é"
    assert records[0].findtext("gross_price") == "12.50" and records[0].findtext("active") == "true"
    assert records[1].find("descriptions") is not None and len(records[1].find("descriptions")) == 0
    assert records[2].findtext("article_number") == "P-<3>&"
    assert records[2].findtext("descriptions/nl") == "a\ufffdb"  # a character XML cannot hold, never a broken file
    assert records[2].find("descriptions/entry").get("key") == "1x"


@pytest.mark.parametrize("name", ["csv", "xml"])
def test_an_empty_feed_is_still_a_whole_document(name: str) -> None:
    data = written_with(name, [], COLUMNS)
    if name == "csv":
        assert data == b",".join(c.encode() for c in COLUMNS) + b"\r\n"
    else:
        assert ElementTree.fromstring(data).findall("record") == []


def change(data: dict[str, Any], *, deleted: bool = False) -> StoredChange:
    return StoredChange(key=("P-1",), record_id="P-1", data=data, changed_at="2026-12-02T10:00:00.000Z",
                        position="2026-12-02T10:00:00.000Z#P-1", deleted=deleted)


def test_an_entry_has_the_feeds_columns_and_a_record_the_filter_leaves_out_is_a_removal() -> None:
    settings = FeedSettings(feed_name="F", columns=["article_number", "brand"], filter={"brand": "Acme"})
    kept = feed_entry(change({"article_number": "P-1", "brand": "Acme", "gtin": "1"}), settings=settings)
    assert kept == {"id": "P-1", "changed_at": "2026-12-02T10:00:00.000Z", "removed": False,
                    "data": {"article_number": "P-1", "brand": "Acme"}}
    assert feed_entry(change({"article_number": "P-1", "brand": "Other"}), settings=settings)["removed"] is True
    tombstone = feed_entry(change({"article_number": "P-1", "brand": "Acme"}, deleted=True), settings=settings)
    assert tombstone["removed"] is True and tombstone["data"] is None


def test_settings_name_an_unknown_field_and_list_the_valid_ones() -> None:
    with pytest.raises(ValidationError, match=r"columns: unknown products field\(s\) colour; valid fields: .*brand"):
        FeedSettings(feed_name="F", columns=["colour"])
    with pytest.raises(ValidationError, match=r"filter: unknown sales_conditions field\(s\) brand"):
        FeedSettings(feed_name="F", entity="sales_conditions", filter={"brand": "x"})
    assert FeedSettings(feed_name="F", entity="sales_conditions", filter={"region": "APAC"}).filter


@pytest.mark.parametrize(("header", "token"), [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None),
                                               ("Bearer", None), (None, None)])
def test_the_bearer_token_of_an_authorization_header(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


class MemoryTokens:
    def __init__(self) -> None:
        self.hashes: dict[tuple[str, str], str] = {}

    def put_token_hash(self, *, environment: str, feed: str, token_hash: str, created_at: Any) -> None:
        self.hashes[(environment, feed)] = token_hash

    def token_hash(self, *, environment: str, feed: str) -> str | None:
        return self.hashes.get((environment, feed))

    def delete_token(self, *, environment: str, feed: str) -> bool:
        return self.hashes.pop((environment, feed), None) is not None


class Always:
    """Every environment exists and has every feed (the token logic alone is under test)."""

    def find_environment(self, environment: str) -> object:
        return object()

    def list(self, *, environment: str) -> list[Any]:
        from types import SimpleNamespace

        return [SimpleNamespace(spec=SimpleNamespace(settings=FeedSettings(feed_name=name))) for name in ("A", "B")]


def test_a_token_opens_its_own_feed_only_and_is_stored_hashed() -> None:
    from pimtasks.clock import SystemClock

    store = MemoryTokens()
    service = FeedTokenService(store=store, tasks=Always(), environments=Always(), clock=SystemClock())  # type: ignore[arg-type]
    issued = service.issue(environment="000001", feed="A")
    assert issued.token.startswith("pft_") and issued.token not in store.hashes.values()
    assert service.authenticate(environment="000001", feed="A", authorization=f"Bearer {issued.token}") == \
        FeedReaderPrincipal(environment="000001", feed="A")
    for environment, feed in (("000002", "A"), ("000001", "B")):
        with pytest.raises(AuthenticationError):
            service.authenticate(environment=environment, feed=feed, authorization=f"Bearer {issued.token}")


def test_the_feed_authorizer_allows_exactly_the_call_made() -> None:
    arn = "arn:aws:execute-api:eu-west-1:1:api/v1/GET/feeds/000001/My%20Feed"
    event = {"resource": "/feeds/{env}/{feed}", "pathParameters": {"env": "000001", "feed": "My%20Feed"}}
    assert feed_of(event) == ("000001", "My Feed")
    assert feed_of({"resource": "/environments/{env}", "pathParameters": {"env": "000001"}}) is None
    policy = feed_authorizer_response(FeedReaderPrincipal(environment="000001", feed="My Feed"), method_arn=arn)
    assert policy["policyDocument"]["Statement"][0]["Resource"] == [arn]
    assert policy["context"] == {"feed_environment": "000001", "feed": "My Feed"}


def test_the_fields_of_a_feed_are_its_columns_or_every_field_of_its_entity_in_order() -> None:
    assert FeedSettings(feed_name="F", columns=["gtin", "article_number"]).fields == ["gtin", "article_number"]
    every = FeedSettings(feed_name="F", entity="sales_conditions").fields
    assert every.index("supplier_gln") < every.index("net_price")  # the model's order, not the alphabet's
    assert {"net_price", "region", "valid_from"} <= set(every)
