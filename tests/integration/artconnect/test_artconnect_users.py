"""Export Art-Connect Users against the local hub: users imported from a spreadsheet with the customer's own layout,
read back through the catalog API, posted as ``pimtasks.users/1`` JSON messages (MsgFormat CUSTOM) a set number per
message; the next run posts only what changed (removals included); a retry after a crash posts nothing twice."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from pimtasks.artconnect.user_export import USER_FIELDS
from pimtasks.domain.run import Run, RunStatus
from pimtasks.domain.task import Task
from pimtasks.wiring import access_service, clear_caches

from tests.integration.api.conftest import Api
from tests.integration.artconnect.harness import ENV, ArtConnectTasks
from tests.integration.core.harness import FILES_BUCKET, SENDER, TABLES
from tests.integration.core.specs import weekly_import
from tests.integration.imports.harness import gln

IMPORT_NAME = "Customers"
SENDER_GLN = gln("871234500000")
GLN_1, GLN_3 = gln("871234500011"), gln("871234500033")
HEADER = ["Klantcode", "Naam", "E-mail", "Debiteurnummer", "Klantgroep", "GLN", "Actief"]
LAYOUT: dict[str, Any] = {
    "columns": [{"column": "Klantcode", "field": "user_id"}, {"column": "Naam", "field": "name"},
                {"column": "E-mail", "field": "email", "case": "lower"},
                {"column": "Debiteurnummer", "field": "debtor_number"},
                {"column": "Klantgroep", "field": "customer_group", "case": "upper"},
                {"column": "GLN", "field": "gln"}, {"column": "Actief", "field": "active", "default": "ja"}],
    "key_columns": ["user_id"]}
USERS: list[list[Any]] = [
    ["U-1", "Jan de Vries", "Jan@Example.NL", "D100", "installers", int(GLN_1), True],
    ["U-2", "Bouw B.V.", "inkoop@bouw.nl", "D200", "installers", None, "ja"],
    ["U-3", "Elektro Noord", "info@elektro-noord.nl", "D300", "wholesale", GLN_3, False],
    ["U-4", "Piet Klein", "piet@klein.nl", None, None, None, None],
    ["U-5", "Zonder adres", "niet-een-adres", None, None, None, "ja"],  # rejected: no e-mail address
]


def users_xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def users_csv(rows: list[list[Any]]) -> bytes:
    lines = [";".join(HEADER)] + [";".join("" if cell is None else str(cell) for cell in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def import_users(artconnect: ArtConnectTasks, task: Task, file_name: str, data: bytes) -> Run:
    artconnect.imports.upload(file_name, data, import_name=IMPORT_NAME)
    run = artconnect.run(task)
    assert run.status in (RunStatus.SUCCEEDED, RunStatus.PARTIALLY_SUCCEEDED), run.messages
    return run


def import_task(artconnect: ArtConnectTasks, *, full: bool = False) -> Task:
    spec = weekly_import(description="Customer accounts", settings={
        "import_name": IMPORT_NAME, "target": "users", "custom_layout": True, "layout": LAYOUT, "full": full})
    return artconnect.core.tasks.create(environment=ENV, spec=spec)


def documents(artconnect: ArtConnectTasks) -> list[dict[str, Any]]:
    return [json.loads(base64.b64decode(posted["MsgContent"])) for posted in artconnect.hub.state.posted]


def posted_ids(document: dict[str, Any]) -> list[str]:
    return [user["user_id"] for user in document["users"]]


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, artconnect: ArtConnectTasks) -> Iterator[Api]:
    """The API handler on the same moto tables the harness imports into, with an admin key of the environment."""
    for name, value in {"TASKS_TABLE": TABLES["TasksTable"], "RUNS_TABLE": TABLES["RunsTable"],
                        "ADMIN_TABLE": TABLES["AdminTable"], "CATALOG_TABLE": TABLES["CatalogTable"],
                        "INVOICES_TABLE": TABLES["InvoicesTable"], "FILES_BUCKET": FILES_BUCKET,
                        "MAIL_SENDER": SENDER, "FUNCTION_NAME_PREFIX": "pimtasks-task-",
                        "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "Pimtasks"}.items():
        monkeypatch.setenv(name, value)
    clear_caches()
    key = access_service().issue_api_key(environments=[ENV], admin=True, description="users test")
    yield Api(admin_key=key.api_key)
    clear_caches()


def test_imported_users_are_read_back_posted_and_then_only_their_changes(artconnect: ArtConnectTasks,
                                                                         api: Api) -> None:
    # Given users imported from a spreadsheet in the customer's own layout (one row with a bad address)
    imported = import_users(artconnect, import_task(artconnect), "klanten.xlsx", users_xlsx(USERS))
    assert (imported.counts.read, imported.counts.created, imported.counts.rejected) == (5, 4, 1)
    [rejection] = [m.text for m in imported.messages if m.row == 6]
    assert "email" in rejection and "not an e-mail address" in rejection

    # Then the catalog API lists them and gives one by its user id
    listed = api.call("GET", f"/environments/{ENV}/catalog/users", key=api.admin_key)
    assert listed.status == 200, listed.body
    assert [item["record_id"] for item in listed.body["items"]] == ["U-1", "U-2", "U-3", "U-4"]
    one = api.call("GET", f"/environments/{ENV}/catalog/users/U-1", key=api.admin_key)
    assert one.status == 200 and one.body["data"] == {
        "user_id": "U-1", "name": "Jan de Vries", "email": "jan@example.nl", "debtor_number": "D100",
        "customer_group": "INSTALLERS", "gln": GLN_1, "active": True}
    blocked = api.call("GET", f"/environments/{ENV}/catalog/users", key=api.admin_key, query={"active": "false"})
    assert [item["record_id"] for item in blocked.body["items"]] == ["U-3"]

    # When the export runs for the first time, two entries per message
    task = artconnect.create_task("export_artconnect_users", notify="always", users_per_message=2,
                                  sender_gln=SENDER_GLN)
    first = artconnect.run(task)

    # Then every user is posted once as CUSTOM JSON, in deterministic MsgIds, and counted
    assert first.status is RunStatus.SUCCEEDED, first.messages
    assert (first.counts.selected, first.counts.written, first.counts.removed) == (4, 4, 0)
    posted = artconnect.hub.state.posted
    assert [p["MsgId"] for p in posted] == [f"PIM-{first.run_id}-{n:05d}" for n in (1, 2)]
    assert {(p["MsgFormat"], p["MsgVersion"], p["MsgType"]) for p in posted} == {("CUSTOM", "1", "USERS")}
    docs = documents(artconnect)
    assert [posted_ids(d) for d in docs] == [["U-1", "U-2"], ["U-3", "U-4"]]
    assert {(d["schema"], d["type"], d["changed_since"], d["sender_gln"]) for d in docs} == {
        ("pimtasks.users/1", "FULL", None, SENDER_GLN)}
    assert [(d["message_id"], d["sequence"]) for d in docs] == [(p["MsgId"], n) for n, p in enumerate(posted, 1)]
    assert all(d["removed"] == [] for d in docs)
    u1, u2, u3, u4 = docs[0]["users"] + docs[1]["users"]
    assert list(u1) == [*USER_FIELDS, "changed_at"]
    assert {k: u1[k] for k in USER_FIELDS} == one.body["data"]
    assert (u2["active"], u2["gln"], u3["active"], u3["gln"]) == (True, None, False, GLN_3)
    assert (u4["active"], u4["debtor_number"], u4["customer_group"]) == (True, None, None)
    mail = [m for m in artconnect.core.sent_mail() if first.run_id in m.body]
    assert mail and "Counts:      selected 4, written 4, skipped 0" in mail[0].body

    # When a full import changes one user's address and no longer holds U-4, and the export runs again
    changed = [row[:] for row in USERS[:3]]
    changed[1][2] = "bestel@bouw.nl"
    import_users(artconnect, import_task(artconnect, full=True), "klanten.csv", users_csv(changed))
    second = artconnect.run(task)

    # Then only U-2 and the removal of U-4 are posted, in one CHANGE message since the first run's start
    assert second.status is RunStatus.SUCCEEDED, second.messages
    assert (second.counts.selected, second.counts.written, second.counts.removed) == (2, 2, 1)
    [delta] = documents(artconnect)[2:]
    assert delta["type"] == "CHANGE" and delta["changed_since"] == first.started_at.isoformat(
        timespec="milliseconds").replace("+00:00", "Z")
    assert posted_ids(delta) == ["U-2"] and delta["users"][0]["email"] == "bestel@bouw.nl"
    assert delta["removed"] == ["U-4"]
    assert not artconnect.hub.state.duplicates

    # And a run with nothing changed posts nothing
    third = artconnect.run(task)
    assert third.status is RunStatus.SUCCEEDED and len(artconnect.hub.state.posted) == 3
    assert "No changed users: nothing was posted" in [m.text for m in third.messages]


def test_a_retry_after_a_crash_posts_no_user_twice(artconnect: ArtConnectTasks) -> None:
    import_users(artconnect, import_task(artconnect), "klanten.xlsx", users_xlsx(USERS[:4]))
    task = artconnect.create_task("export_artconnect_users", users_per_message=1)
    crashed, run = artconnect.crash_and_retry(task, dies_after=3)
    assert crashed.status is RunStatus.RUNNING and crashed.checkpoint["chunk"] == 2  # chunk 3 posted, not recorded
    assert run.status is RunStatus.SUCCEEDED and run.counts.written == 4
    assert [p["MsgId"] for p in artconnect.hub.state.posted] == [f"PIM-{run.run_id}-{n:05d}" for n in range(1, 5)]
    assert artconnect.hub.state.duplicates == {f"PIM-{run.run_id}-00003": 1}
    assert [posted_ids(d) for d in documents(artconnect)] == [["U-1"], ["U-2"], ["U-3"], ["U-4"]]
