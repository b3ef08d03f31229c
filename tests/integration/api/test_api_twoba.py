"""Import 2BA settings at the API: supplier GLNs are checked (shape and check digit), secrets stay names, a
selection_id has the spec's TechnicalId bounds."""

from __future__ import annotations

from typing import Any

from tests.integration.api.conftest import Api

GLN = "8712345000004"


def twoba(**settings: Any) -> dict[str, Any]:
    return {"type": "import_2ba", "description": "Daily 2BA import", "frequency": {"every": "day", "time": "05:00"},
            "settings": {"client_id": "pim-client", "client_secret": "twoba-secret", "supplier_glns": [GLN],
                         **settings}}


def test_a_gln_of_the_wrong_shape_or_check_digit_is_a_422_naming_the_field(api: Api) -> None:
    for glns, words in ((["871234500000"], "should match pattern"), (["8712345000005"], "wrong check digit"),
                        ([GLN, GLN], "given twice")):
        reply = api.call("POST", "/environments/000001/tasks", key=api.admin_key, body=twoba(supplier_glns=glns))
        assert reply.status == 422, reply.body
        assert reply.body["errors"][0]["field"].startswith("settings.supplier_glns")
        assert words in reply.body["message"]


def test_a_valid_task_keeps_its_settings_and_the_secret_name_only(api: Api) -> None:
    put = api.call("PUT", "/environments/000001/secrets/twoba-secret", key=api.admin_key, body={"value": "hunter2"})
    assert put.status in (200, 201, 204), put.body
    reply = api.call("POST", "/environments/000001/tasks", key=api.admin_key,
                     body=twoba(article_number="prefix", article_prefix="BA-", languages=["nl-NL"]))
    assert reply.status == 201, reply.body
    settings = reply.body["settings"]
    assert settings["supplier_glns"] == [GLN] and settings["article_prefix"] == "BA-"
    assert settings["token_url"] == "https://identity.2ba.nl/connect/token"
    assert "hunter2" not in str(reply.body)


def test_a_prefix_rule_needs_its_prefix(api: Api) -> None:
    reply = api.call("POST", "/environments/000001/tasks", key=api.admin_key, body=twoba(article_number="prefix"))
    assert reply.status == 422 and "article_prefix" in reply.body["message"]


def test_a_selection_id_of_the_wrong_shape_is_a_422_and_a_good_one_is_kept(api: Api) -> None:
    for wrong, words in (("x" * 51, "at most 50 characters"), (" SEL-1", "outer spaces")):
        reply = api.call("POST", "/environments/000001/tasks", key=api.admin_key, body=twoba(selection_id=wrong))
        assert reply.status == 422, reply.body
        assert reply.body["errors"][0]["field"] == "settings.selection_id" and words in reply.body["message"]
    put = api.call("PUT", "/environments/000001/secrets/twoba-secret", key=api.admin_key, body={"value": "hunter2"})
    assert put.status in (200, 201, 204), put.body
    reply = api.call("POST", "/environments/000001/tasks", key=api.admin_key, body=twoba(selection_id="SEL-2026/1"))
    assert reply.status == 201 and reply.body["settings"]["selection_id"] == "SEL-2026/1"
