"""The ETIM model read back through the REST API (authorizer + api_handler) and compared, exactly, with what
the ETIM API served for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from pimtasks.domain.run import RunStatus
from pimtasks.wiring import clear_caches

from tests.integration.api.conftest import Api
from tests.integration.core.harness import FILES_BUCKET, SENDER, TABLES
from tests.integration.etim.harness import CLIENT_ID, ENV, SECRET_VALUE, Etim, etim_services

LANGUAGES = ("EN", "nl-NL")


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Etim, Api]]:
    for name, value in {"TASKS_TABLE": TABLES["TasksTable"], "RUNS_TABLE": TABLES["RunsTable"],
                        "ADMIN_TABLE": TABLES["AdminTable"], "CATALOG_TABLE": TABLES["CatalogTable"],
                        "FILES_BUCKET": FILES_BUCKET, "MAIL_SENDER": SENDER, "POWERTOOLS_TRACE_DISABLED": "true",
                        "POWERTOOLS_METRICS_NAMESPACE": "Pimtasks"}.items():
        monkeypatch.setenv(name, value)
    with etim_services(monkeypatch) as etim:
        clear_caches()
        run = etim.run(etim.create_task())
        assert run.status is RunStatus.SUCCEEDED, run.error
        key = etim.core.access.issue_api_key(environments=[ENV], admin=False, description="reader")
        yield etim, Api(admin_key=key.api_key)
        clear_caches()


class Served:
    """Asks the fake ETIM API directly, the way a checker would, to compare with what pimtasks answers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.token = requests.post(f"{url}/connect/token", timeout=5, data={
            "grant_type": "client_credentials", "scope": "EtimApi", "client_id": CLIENT_ID,
            "client_secret": SECRET_VALUE}).json()["access_token"]

    def post(self, call: str, body: dict[str, Any]) -> Any:
        answer = requests.post(f"{self.url}/api/v2/{call}", json=body, timeout=10,
                               headers={"Authorization": f"Bearer {self.token}"})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def classes(self, language: str) -> list[dict[str, Any]]:
        listed = self.post("Class/Search", {"from": 0, "size": 1000, "languagecode": language,
                                            "filters": [{"code": "Release", "values": ["ETIM-9.0"]}]})["classes"]
        refs = [{"code": c["code"], "version": c["version"]} for c in listed]
        return list(self.post("Class/DetailsMany", {"languagecode": language, "classes": refs, "include": {
            "descriptions": True, "fields": ["Features", "Group", "Releases"]}}))

    def search(self, call: str, key: str, language: str) -> list[dict[str, Any]]:
        body = {"from": 0, "size": 1000, "languagecode": language, "include": {"descriptions": True}}
        return list(self.post(call, body)[key])


def _as_served(ours: dict[str, Any]) -> dict[str, Any]:
    """Our class JSON in the ETIM API's terms (the fields a checker compares)."""
    return {
        "code": ours["code"], "version": ours["version"], "description": ours["description"],
        "synonyms": ours["synonyms"], "group": ours["group"]["code"], "releases": ours["releases"],
        "features": [{"code": f["code"], "orderNumber": f["order"], "type": f["type"], "description": f["description"],
                      "unit": (f["unit"] or {}).get("code"), "unitDescription": (f["unit"] or {}).get("description"),
                      "values": [(v["code"], v["order"], v["description"]) for v in f["values"]]}
                     for f in ours["features"]],
    }


def _served(theirs: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": theirs["code"], "version": theirs["version"], "description": theirs["description"],
        "synonyms": theirs["synonyms"], "group": theirs["group"]["code"], "releases": theirs["releases"],
        "features": [{"code": f["code"], "orderNumber": f["orderNumber"], "type": f["type"],
                      "description": f["description"], "unit": (f.get("unit") or {}).get("code"),
                      "unitDescription": (f.get("unit") or {}).get("description"),
                      "values": [(v["code"], v["orderNumber"], v["description"]) for v in f["values"]]}
                     for f in theirs["features"]],
    }


def test_every_class_reads_back_exactly_as_the_etim_api_served_it(synced: tuple[Etim, Api]) -> None:
    etim, api = synced
    served = Served(etim.url)
    for language in LANGUAGES:
        # When every page of the class list is read, and every class in full
        codes, token = [], None
        while True:
            query = {"language": language, "limit": "15", **({"next_token": token} if token else {})}
            page = api.call("GET", f"/environments/{ENV}/etim/classes", key=api.admin_key, query=query)
            assert page.status == 200, page.body
            codes += [item["code"] for item in page.body["items"]]
            token = page.body["next_token"]
            if token is None:
                break
        theirs = {c["code"]: c for c in served.classes(language)}

        # Then the list is the release's classes, in code order, and each class equals what was served
        assert codes == sorted(theirs)
        for code in codes:
            reply = api.call("GET", f"/environments/{ENV}/etim/classes/{code}", key=api.admin_key,
                             query={"language": language, "release": "ETIM-9.0"})
            assert reply.status == 200, reply.body
            assert _as_served(reply.body) == _served(theirs[code])


@pytest.mark.parametrize(("path", "call", "key", "fields"), [
    ("features", "Feature/Search", "features", ("description", "type", "deprecated")),
    ("values", "Value/Search", "values", ("description", "deprecated")),
    ("units", "Unit/Search", "units", ("description", "abbreviation", "deprecated")),
    ("groups", "Group/Search", "groups", ("description",)),
])
def test_features_values_units_and_groups_read_back_as_served(synced: tuple[Etim, Api], path: str, call: str,
                                                              key: str, fields: tuple[str, ...]) -> None:
    etim, api = synced
    served = Served(etim.url)
    theirs = served.search(call, key, "nl-NL")
    for entity in theirs[:12]:
        reply = api.call("GET", f"/environments/{ENV}/etim/{path}/{entity['code']}", key=api.admin_key,
                         query={"language": "nl-NL"})
        assert reply.status == 200, reply.body
        assert {name: reply.body[name] for name in fields} == {name: entity[name] for name in fields}


def test_the_class_list_searches_descriptions_and_synonyms_and_filters_by_group(synced: tuple[Etim, Api]) -> None:
    etim, api = synced
    model = etim.model
    some = next(c for c in model.classes.values() if c.synonyms["EN"])

    by_synonym = api.call("GET", f"/environments/{ENV}/etim/classes", key=api.admin_key,
                          query={"q": some.synonyms["EN"][0].upper()})
    by_group = api.call("GET", f"/environments/{ENV}/etim/classes", key=api.admin_key,
                        query={"group": some.group, "limit": "200"})

    assert [item["code"] for item in by_synonym.body["items"]] == [some.code]
    assert {item["code"] for item in by_group.body["items"]} == {
        c.code for c in model.classes.values() if c.group == some.group and "ETIM-9.0" in c.releases}


def test_the_releases_show_what_the_last_sync_changed(synced: tuple[Etim, Api]) -> None:
    etim, api = synced

    reply = api.call("GET", f"/environments/{ENV}/etim/releases", key=api.admin_key)

    assert reply.status == 200
    (release,) = reply.body["items"]
    assert release["release"] == "ETIM-9.0" and release["languages"] == ["EN", "nl-NL"]
    assert release["entities"]["classes"] == release["changes"]["classes"]["created"] == len(etim.model.classes)


def test_bad_requests_get_clear_errors(synced: tuple[Etim, Api]) -> None:
    _, api = synced
    base = f"/environments/{ENV}/etim"

    unknown = api.call("GET", f"{base}/classes/EC999999", key=api.admin_key)
    no_release = api.call("GET", f"{base}/classes", key=api.admin_key, query={"release": "ETIM-7.0"})
    bad_language = api.call("GET", f"{base}/classes", key=api.admin_key, query={"language": "fr-BE"})
    bad_token = api.call("GET", f"{base}/classes", key=api.admin_key, query={"next_token": "bm9wZQ"})
    bad_code = api.call("GET", f"{base}/features/EV000001", key=api.admin_key)
    other_environment = api.call("GET", "/environments/000002/etim/releases", key=api.admin_key)

    assert (unknown.status, unknown.body["message"]) == (404, "class EC999999 is not in the ETIM model of ETIM-9.0")
    assert no_release.status == 404 and "no ETIM model of release ETIM-7.0" in no_release.body["message"]
    assert bad_language.status == 422 and bad_language.body["errors"] == [{
        "field": "language", "message": "the ETIM model of ETIM-9.0 has no 'fr-BE'; it has EN, nl-NL"}]
    assert bad_token.status == 422 and bad_token.body["errors"][0]["field"] == "next_token"
    assert bad_code.status == 422 and bad_code.body["errors"][0]["field"] == "code"
    assert other_environment.status == 403
