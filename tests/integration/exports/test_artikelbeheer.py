"""Export Artikelbeheer.nl end to end on moto through the export function: products imported, the supplier's
priced trade items written as ETIM xChange 2.0 (valid against the official schema), published to Downloads/ and
delivered to servers the tests start on 127.0.0.1: an HTTP upload endpoint (multipart POST, basic auth) and the
SFTP server of the remote delivery tests. FULL on the first run, CHANGE with only the changed items after."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pimtasks.domain.run import Run, RunStatus
from pimtasks.wiring import secret_service, task_service

from tests.integration.exports.harness import ENV, ExportStack
from tests.integration.exports.test_export_task import DAILY, published
from tests.support.remote_servers import sftp_server
from tests.support.upload_server import UploadServer, upload_server
from tests.unit.exports.test_export_writers import xchange_validator

SUPPLIER = "8712345000004"
OTHER_SUPPLIER = "8711111000002"
PRODUCTS = ("article_number;supplier_gln;gross_price;description_nl\r\n"
            f"KR-100;{SUPPLIER};1234,50;Kraan \u2013 chroom\r\n"
            "KR-200;;7,25;Sifon café\r\n"
            f"XX-300;{OTHER_SUPPLIER};3,00;Ander merk\r\n"
            f"NP-400;{SUPPLIER};;Zonder prijs\r\n")


@pytest.fixture(autouse=True)
def no_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pimtasks.services.remote_delivery.RETRY_DELAYS", (0.0,))


def import_products(stack: ExportStack, text: str) -> None:
    """Import ``text`` (CSV, the catalog's own field names) with the environment's Products import."""
    tasks = {task.spec.description: task for task in task_service().list(environment=ENV)}
    task = tasks.get("Products") or stack.create({"type": "import", "description": "Products", "frequency": DAILY,
                                                  "settings": {"import_name": "Products", "target": "products"}})
    stack.put("Uploads/Products/products.csv", text.encode())
    run = stack.run(task)
    assert run.status is RunStatus.SUCCEEDED, run.messages


def artikelbeheer_task(stack: ExportStack, **settings: Any) -> Any:
    secret_service().put(environment=ENV, name="artikelbeheer-password", value="s3cret")
    return stack.create({"type": "export_artikelbeheer", "description": "Artikelbeheer.nl weekly",
                         "frequency": DAILY, "notification": {"emails": ["pim@example.com"], "when": "always"},
                         "settings": {"supplier_gln": SUPPLIER, "supplier_name": "Demo leverancier",
                                      "file_name": "{export}_{run_id}", **settings}})


def https_task(stack: ExportStack, server: UploadServer, **settings: Any) -> Any:
    return artikelbeheer_task(stack, upload_url=server.url, username=server.username,
                              password="artikelbeheer-password", timeout_seconds=10, **settings)


def valid_document(raw: bytes) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(raw)
    errors = [f"{list(error.path)}: {error.message}" for error in xchange_validator().iter_errors(document)]
    assert not errors, errors[:5]
    return document


def items(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """SupplierItemNumber -> its trade item."""
    return {product["TradeItem"][0]["ItemIdentification"]["SupplierItemNumber"]: product["TradeItem"][0]
            for product in document["Supplier"][0]["Product"]}


def texts(run: Run) -> list[str]:
    return [message.text for message in run.messages]


def test_full_then_change_then_nothing_over_https(stack: ExportStack) -> None:
    import_products(stack, PRODUCTS)
    with upload_server(password="s3cret") as server:
        task = https_task(stack, server)
        first = stack.run(task)
        assert first.status is RunStatus.SUCCEEDED, first.messages
        assert (first.counts.selected, first.counts.written, first.counts.skipped) == (4, 2, 2)
        assert f"Skipped 1 record: another supplier's item (its supplier_gln is not {SUPPLIER})." in texts(first)
        assert "Skipped 1 record: no gross price (Artikelbeheer.nl gets trade items with their prices)." in \
            texts(first)
        (key,) = published(first)
        assert key == f"Downloads/Artikelbeheer.nl weekly/Artikelbeheer.nl weekly_{first.run_id}.json"
        (upload,) = server.uploads
        name, content = upload.files["file"]
        assert name == key.rsplit("/", 1)[1] and content == stack.read(key)
        assert upload.fields == {"supplier_gln": SUPPLIER}
        document = valid_document(content)
        assert document["CatalogueType"] == "FULL"
        assert document["Supplier"][0]["SupplierIdGln"] == SUPPLIER
        assert document["Supplier"][0]["SupplierName"] == "Demo leverancier"
        assert {number: item["Pricing"][0]["GrossListPrice"] for number, item in items(document).items()} == {
            "KR-100": "1234.5", "KR-200": "7.25"}
        assert f"Delivered {name} to {server.url}." in texts(first)
        assert any(text.startswith(f"Published {name} ({len(content):,} bytes") for text in texts(first))

        import_products(stack, "article_number;gross_price\r\nKR-200;8,10\r\n")
        second = stack.run(task)
        assert second.status is RunStatus.SUCCEEDED, second.messages
        assert (second.counts.selected, second.counts.written, second.counts.skipped) == (1, 1, 0)
        change = valid_document(server.uploads[1].files["file"][1])
        assert change["CatalogueType"] == "CHANGE"
        assert {number: item["Pricing"][0]["GrossListPrice"] for number, item in items(change).items()} == {
            "KR-200": "8.1"}

        third = stack.run(task)
        assert third.status is RunStatus.SUCCEEDED, third.messages
        assert (third.counts.selected, published(third), len(server.uploads)) == (0, [], 2)
        assert any("nothing selected, so no file is published" in text for text in texts(third))
        assert f"Nothing was sent to {server.url}." in texts(third)
    mail = [m for m in stack.sent_mail() if "Artikelbeheer.nl weekly" in m.subject]
    assert "Counts:      selected 4, written 2, skipped 2" in mail[0].body


def test_a_refused_login_fails_at_once_naming_the_host_and_the_reply(stack: ExportStack) -> None:
    import_products(stack, PRODUCTS)
    with upload_server(password="another") as server:
        run = stack.run(https_task(stack, server, attempts=3))
    assert run.status is RunStatus.FAILED
    error = run.error or ""
    assert f"{server.url}: HTTP 401 Unauthorized: Invalid username or password" in error, error
    assert "after 1 attempt(s)" in error and server.refused == [401]  # a refused login is not tried again
    (key,) = published(run)
    assert stack.read(key) and key in error  # the file stays in Downloads


def test_a_server_error_is_retried_a_bounded_number_of_times(stack: ExportStack) -> None:
    import_products(stack, PRODUCTS)
    with upload_server(password="s3cret", failures=1) as server:
        run = stack.run(https_task(stack, server, attempts=2))
        assert run.status is RunStatus.SUCCEEDED, run.messages
        assert server.refused == [503] and len(server.uploads) == 1
        assert any(text.endswith("(attempt 2).") for text in texts(run))
    with upload_server(password="s3cret", failures=5) as server:
        failed = stack.run(https_task(stack, server, attempts=2))
    assert failed.status is RunStatus.FAILED
    assert "after 2 attempt(s)" in (failed.error or "") and "HTTP 503" in (failed.error or "")
    assert server.refused == [503, 503] and server.uploads == []


def test_an_upload_endpoint_that_does_not_answer_fails_the_run_naming_it(stack: ExportStack) -> None:
    import socket

    import_products(stack, PRODUCTS)
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/upload"
        run = stack.run(artikelbeheer_task(stack, upload_url=url, username="u", password="artikelbeheer-password",
                                           timeout_seconds=1, attempts=1))
    assert run.status is RunStatus.FAILED
    assert f"{url}: no answer in time" in (run.error or ""), run.error
    assert stack.read(published(run)[0])


def test_the_file_is_delivered_by_sftp_under_its_name(stack: ExportStack, tmp_path: Path) -> None:
    import_products(stack, PRODUCTS)
    root = tmp_path / "served"
    (root / "inbox").mkdir(parents=True)
    with sftp_server(root) as server:
        secret_service().put(environment=ENV, name="sftp-password", value=server.password)
        task = artikelbeheer_task(stack, transport="sftp", remote={
            "protocol": "sftp", "host": "127.0.0.1", "port": server.port, "path": "/inbox",
            "username": server.username, "password": "sftp-password", "host_key": server.pin,
            "timeout_seconds": 10, "attempts": 2})
        run = stack.run(task)
    assert run.status is RunStatus.SUCCEEDED, run.messages
    (key,) = published(run)
    name = key.rsplit("/", 1)[1]
    assert sorted(path.name for path in (root / "inbox").iterdir()) == [name]  # no temporary name left
    delivered = (root / "inbox" / name).read_bytes()
    assert delivered == stack.read(key)
    assert valid_document(delivered)["CatalogueType"] == "FULL"
    assert f"Delivered {name} to sftp://127.0.0.1/inbox/{name}." in texts(run)


def test_a_run_continued_in_fresh_invocations_uploads_the_whole_file(stack: ExportStack,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts sent to the multipart upload end every invocation: the last one fetches the whole file back from the
    temporary key, so what is uploaded is the complete published file, not its last part."""
    from pimtasks.settings import get_settings

    import_products(stack, PRODUCTS)
    monkeypatch.setattr("pimtasks.services.catalog_export.SAFE_POINT_EVERY", 1)
    monkeypatch.setattr("pimtasks.services.catalog_export.PART_BYTES", 100)
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 1)
    monkeypatch.setenv("CONTINUATION_MARGIN_SECONDS", "100000")
    get_settings.cache_clear()
    with upload_server(password="s3cret") as server:
        run = stack.run(https_task(stack, server))
    assert run.status is RunStatus.SUCCEEDED, run.messages
    assert run.invocations >= 2 and run.counts.written == 2
    (upload,) = server.uploads
    assert upload.files["file"][1] == stack.read(published(run)[0])
    assert set(items(valid_document(upload.files["file"][1]))) == {"KR-100", "KR-200"}
    assert stack.keys("Temp/") == []
