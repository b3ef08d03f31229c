"""Every operation of the OpenAPI document is a route of the template's API (and the other way round), so API
Gateway never answers a documented call with "Missing Authentication Token"."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pimtasks.api.app import GREEDY_PARAMETERS, openapi_json
from pimtasks_local.template import load_template

TEMPLATE = Path(__file__).resolve().parents[3] / "infra" / "template.yaml"
UNDOCUMENTED = {("GET", "/openapi.json"), ("GET", "/docs")}


def template_routes() -> set[tuple[str, str]]:
    events = load_template(TEMPLATE)["Resources"]["ApiFunction"]["Properties"]["Events"]
    routes = set()
    for event in events.values():
        if event["Type"] == "Api":
            path = re.sub(r"\{(\w+)\+\}", r"{\1}", event["Properties"]["Path"])
            routes.add((event["Properties"]["Method"].upper(), path))
    return routes


def test_the_documented_operations_are_the_templates_routes() -> None:
    document = json.loads(openapi_json())
    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    assert documented == template_routes() - UNDOCUMENTED


def test_greedy_parameters_are_greedy_in_the_template_too() -> None:
    events = load_template(TEMPLATE)["Resources"]["ApiFunction"]["Properties"]["Events"]
    paths = [event["Properties"]["Path"] for event in events.values()]
    for name in GREEDY_PARAMETERS:
        assert all(f"{{{name}+}}" in path for path in paths if name in path)
