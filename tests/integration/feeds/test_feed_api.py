"""A feed as a channel reads it: page by page with its token, 401 without it, 304 with its ETag, gzip, the
whole file, and pages that stay consistent while a new version is built and published."""

from __future__ import annotations

import csv
import gzip
import io
import json
from decimal import Decimal
from xml.etree import ElementTree

from tests.integration.feeds.harness import ENVIRONMENT, FEED, OTHER_ENVIRONMENT, FeedStack, product


def ids(pages: list[dict]) -> list[str]:
    return [record["id"] for page in pages for record in page["records"]]


def test_a_feed_is_read_page_by_page_with_its_token(feeds: FeedStack) -> None:
    # Given 25 products and a feed of pages of 10
    feeds.put_products([product(n) for n in range(25)])
    task_id = feeds.create_feed_task(page_size=10, columns=["article_number", "descriptions", "gross_price"])
    token = feeds.issue_token()
    # When the feed runs and a channel pages through it
    run = feeds.run(task_id)
    pages = feeds.all_pages(token)
    # Then the run succeeded and reported the version; every product came once, in its columns only
    assert run["status"] == "succeeded", run
    assert run["counts"]["selected"] == 25 and run["counts"]["written"] == 25
    assert any("25 products in 3 pages of 10" in m["text"] for m in run["messages"]), run["messages"]
    assert [len(page["records"]) for page in pages] == [10, 10, 5]
    assert sorted(ids(pages)) == [f"P-{n:05d}" for n in range(25)]
    first = pages[0]["records"][0]
    assert set(first["data"]) == {"article_number", "descriptions", "gross_price"}
    assert first["data"]["descriptions"]["en"].endswith("\u2013 é") and first["removed"] is False
    assert {page["version"] for page in pages} == {pages[0]["version"]}


def test_without_or_with_a_wrong_token_a_feed_answers_401(feeds: FeedStack) -> None:
    feeds.put_products([product(1)])
    feeds.create_feed_task()
    feeds.create_feed_task(environment=OTHER_ENVIRONMENT)
    token = feeds.issue_token()
    other_token = feeds.issue_token(environment=OTHER_ENVIRONMENT)
    path = f"/feeds/{ENVIRONMENT}/{FEED}"
    for sent in (None, "pft_" + "x" * 43, other_token, feeds.api.admin_key):
        for target in (path, f"{path}/file"):
            response = feeds.read(target, token=sent)
            assert response.status_code == 401, (sent, target)
            assert response.get_json() == {"message": "Unauthorized"}
    # an API key in its own header does not open a feed either
    assert feeds.api.client.get(path, headers=feeds.api.headers()).status_code == 401
    # the right token passes the authorizer (no version is published yet: 404)
    assert feeds.read(path, token=token).status_code == 404


def test_a_rotated_token_replaces_the_old_one_and_a_feed_without_a_task_has_no_token(feeds: FeedStack) -> None:
    feeds.put_products([product(1)])
    feeds.run(feeds.create_feed_task())
    old = feeds.issue_token()
    new = feeds.issue_token()
    path = f"/feeds/{ENVIRONMENT}/{FEED}"
    assert feeds.read(path, token=old).status_code == 401
    assert feeds.read(path, token=new).status_code == 200
    assert feeds.call("POST", f"/environments/{ENVIRONMENT}/feeds/Nothing/token").status_code == 404
    assert feeds.call("DELETE", f"/environments/{ENVIRONMENT}/feeds/{FEED}/token").status_code == 204
    assert feeds.read(path, token=new).status_code == 401


def test_the_etag_gives_304_and_gzip_is_sent_when_accepted(feeds: FeedStack) -> None:
    feeds.put_products([product(n) for n in range(30)])
    feeds.run(feeds.create_feed_task(page_size=10))
    token = feeds.issue_token()
    path = f"/feeds/{ENVIRONMENT}/{FEED}"
    for target in (path, f"{path}/file"):
        first = feeds.read(target, token=token)
        assert first.status_code == 200 and first.headers["ETag"].startswith('W/"')
        assert first.headers["Last-Modified"].endswith("GMT")
        again = feeds.read(target, token=token, **{"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b"", again.get_data()
        zipped = feeds.read(target, token=token, **{"Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(zipped.get_data()) == first.get_data()
    # a new version changes the first page's ETag
    etag = feeds.read(path, token=token).headers["ETag"]
    feeds.put_products([product(99)])
    feeds.run(feeds.create_feed_task(feed="Unrelated"))  # another feed's run changes nothing here
    assert feeds.read(path, token=token, **{"If-None-Match": etag}).status_code == 304


def test_the_whole_file_holds_every_record_in_the_feeds_format(feeds: FeedStack) -> None:
    feeds.put_products([product(n) for n in range(12)])
    feeds.put_products([product(n) for n in range(5)], environment=OTHER_ENVIRONMENT)
    feeds.run(feeds.create_feed_task(filter={"brand": "Acme"}, columns=["article_number", "brand"]))
    feeds.create_feed_task(feed="Lines", format="ndjson")
    lines = feeds.run(_task_of(feeds, "Lines"))
    assert lines["status"] == "succeeded", lines
    file = feeds.read(f"/feeds/{ENVIRONMENT}/{FEED}/file", token=feeds.issue_token())
    assert file.status_code == 200 and file.headers["Content-Type"].startswith("application/json")
    assert 'filename="Channel.json"' in file.headers["Content-Disposition"]
    records = json.loads(file.get_data())
    assert sorted(r["article_number"] for r in records) == [f"P-{n:05d}" for n in range(12) if n % 2]
    assert all(r == {"article_number": r["article_number"], "brand": "Acme"} for r in records)
    ndjson = feeds.read(f"/feeds/{ENVIRONMENT}/Lines/file", token=feeds.issue_token(feed="Lines"))
    assert ndjson.headers["Content-Type"].startswith("application/x-ndjson")
    assert len([json.loads(line) for line in ndjson.get_data().splitlines()]) == 12


def test_csv_and_xml_files_hold_the_records_as_the_catalog_has_them(feeds: FeedStack) -> None:
    feeds.put_products([product(n) for n in range(3)])
    feeds.put_products([product(n, brand="Theirs") for n in range(9)], environment=OTHER_ENVIRONMENT)
    columns = ["article_number", "descriptions", "gross_price", "brand"]
    for feed, file_format in (("Sheet", "csv"), ("Markup", "xml")):
        feeds.create_feed_task(feed=feed, format=file_format, columns=columns)
        assert feeds.run(_task_of(feeds, feed))["status"] == "succeeded"
    sheet = feeds.read(f"/feeds/{ENVIRONMENT}/Sheet/file", token=feeds.issue_token(feed="Sheet"))
    assert sheet.status_code == 200 and sheet.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="Sheet.csv"' in sheet.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(sheet.get_data().decode("utf-8"), newline="")))
    assert [row["article_number"] for row in rows] == ["P-00000", "P-00001", "P-00002"]
    assert json.loads(rows[1]["descriptions"]) == {"en": "Product 1 \u2013 é"}
    assert Decimal(rows[1]["gross_price"]) == Decimal("1.50") and rows[1]["brand"] == "Acme"
    markup = feeds.read(f"/feeds/{ENVIRONMENT}/Markup/file", token=feeds.issue_token(feed="Markup"))
    assert markup.headers["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(markup.get_data())
    records = {record.findtext("article_number"): record for record in root.findall("record")}
    assert sorted(records) == ["P-00000", "P-00001", "P-00002"]
    assert records["P-00002"].findtext("descriptions/en") == "Product 2 \u2013 é"
    assert records["P-00002"].findtext("brand") == "Other"


def _task_of(feeds: FeedStack, feed: str) -> str:
    items = feeds.call("GET", f"/environments/{ENVIRONMENT}/tasks?limit=100").get_json()["items"]
    return next(str(t["task_id"]) for t in items if t["settings"].get("feed_name") == feed)


def test_since_gives_the_changes_and_removals_of_the_served_version(feeds: FeedStack) -> None:
    feeds.put_products([product(n) for n in range(20)])
    task_id = feeds.create_feed_task(page_size=10)
    token = feeds.issue_token()
    first = feeds.run(task_id)
    assert first["status"] == "succeeded"
    built = feeds.page(token)["built_at"]
    feeds.put_products([product(3, brand="Changed")])
    feeds.remove_product(4)
    feeds.run(task_id)
    delta = feeds.all_pages(token, since=built)
    changed = [record for page in delta for record in page["records"]]
    assert {(r["id"], r["removed"]) for r in changed} == {("P-00003", False), ("P-00004", True)}
    assert next(r for r in changed if r["id"] == "P-00003")["data"]["brand"] == "Changed"
    full = ids(feeds.all_pages(token))
    assert "P-00004" not in full and len(full) == 19
    bad = feeds.read(f"/feeds/{ENVIRONMENT}/{FEED}?since=yesterday", token=token)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "since"
    forged = feeds.read(f"/feeds/{ENVIRONMENT}/{FEED}?cursor=bm90LWEtY3Vyc29y", token=token)
    assert forged.status_code == 422 and forged.get_json()["errors"][0]["field"] == "cursor"


def test_a_feed_name_with_spaces_and_brackets_is_read_by_its_quoted_url(feeds: FeedStack) -> None:
    feeds.put_products([product(n) for n in range(3)])
    feed = "Shop feed (NL)"
    feeds.run(feeds.create_feed_task(feed=feed))
    token = feeds.issue_token(feed="Shop%20feed%20%28NL%29")
    response = feeds.read("/feeds/000001/Shop%20feed%20%28NL%29", token=token)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(response.get_json()["records"]) == 3 and response.get_json()["feed"] == feed
