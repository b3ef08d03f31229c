"""Export tasks through the API: an unknown field in the layout or the filter is a 422 that names it and lists
the valid fields of the entity."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api.conftest import Api

PATH = "/environments/000001/tasks"


def export(**settings: Any) -> dict[str, Any]:
    return {"type": "export", "description": "Prices out", "frequency": {"every": "day", "time": "06:00"},
            "settings": {"export_name": "Prices", **settings}}


@pytest.mark.parametrize(("settings", "where", "field"), [
    ({"layout": {"columns": [{"field": "article_number"}, {"field": "colour"}]}}, "layout.columns[1].field", "colour"),
    ({"entity": "sales_conditions", "filter": {"regio": "APAC"}}, "filter.regio", "regio"),
])
def test_an_unknown_field_is_a_422_naming_it_and_the_valid_fields(api: Api, settings: dict[str, Any], where: str,
                                                                  field: str) -> None:
    reply = api.call("POST", PATH, key=api.admin_key, body=export(**settings))
    assert reply.status == 422
    (error,) = reply.body["errors"]
    assert error["field"] == "settings"
    assert f"{where}: unknown field '{field}'" in error["message"]
    valid = error["message"].split("valid fields: ")[1]
    assert "article_number" in valid and ("net_price" in valid if "sales" in str(settings) else "gross_price" in valid)


def test_a_valid_export_is_created_with_its_layout(api: Api) -> None:
    layout = {"columns": [{"field": "article_number", "header": "Artikel"}, {"field": "descriptions"}],
              "languages": ["nl", "fr"], "decimal_comma": True, "date_format": "%d-%m-%Y"}
    reply = api.call("POST", PATH, key=api.admin_key, body=export(format="csv", layout=layout,
                                                                  file_name="{export}_{date:%Y%m%d}"))
    assert reply.status == 201, reply.body
    assert reply.body["settings"]["layout"]["columns"][1] == {"field": "descriptions", "header": None}
    assert reply.body["settings"]["entity"] == "products"
