"""The API's routes load in groups, at a request's first need (``pimtasks.api.app``): a path belongs to exactly the
group whose routes can match it, so a request sees the routes it would see with every group loaded, in the same
order whichever requests came first.

Each check runs in a subprocess: including a group's routers into a fresh resolver points those routers at it,
which would take them from the resolver the other tests use."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from pimtasks.api.app import ROUTE_GROUP_LOADERS, ROUTE_GROUPS, route_key

_SCRIPT = """
import json
from pimtasks.api.app import ROUTE_GROUP_LOADERS, ROUTE_GROUPS, PimtasksResolver
from pimtasks.api.error_mapping import register_error_handlers

def fresh():
    app = PimtasksResolver(ROUTE_GROUP_LOADERS, ROUTE_GROUPS)
    register_error_handlers(app)
    return app

def listed(app):
    return [[route.method, route.path] for route in app._static_routes + app._dynamic_routes]

def event(path):
    return {"resource": path, "path": path, "httpMethod": "GET", "headers": {}, "multiValueHeaders": {},
            "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
            "stageVariables": None, "body": None, "isBase64Encoded": False,
            "requestContext": {"stage": "v1", "path": "/v1" + path, "httpMethod": "GET", "requestId": "r",
                               "resourcePath": path, "identity": {"sourceIp": "127.0.0.1"}}}

groups = {}
for name in ROUTE_GROUP_LOADERS:
    app = fresh()
    app.load_route_groups(name)
    groups[name] = listed(app)
in_order, reversed_order = fresh(), fresh()
in_order.load_all_route_groups()
reversed_order.load_route_groups(*reversed(list(ROUTE_GROUP_LOADERS)))
served = {}
for path in ("/health", "/environments/dev/nothing-here", "/catalog/fields"):
    app = fresh()
    answer = app.resolve(event(path), None)
    served[path] = {"status": answer["statusCode"], "loaded": sorted(app._loaded_groups)}
print(json.dumps({"groups": groups, "in_order": listed(in_order), "reversed": listed(reversed_order),
                  "served": served}))
"""


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    completed = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return dict(json.loads(completed.stdout.splitlines()[-1]))


def _key_segments(rule: str) -> list[str]:
    """The segments ``route_key`` reads."""
    segments = rule.strip("/").split("/")
    return [segments[0], segments[2]] if segments[0] == "environments" and len(segments) >= 3 else [segments[0]]


def test_every_route_is_in_the_group_its_paths_name(figures: dict[str, Any]) -> None:
    for group, routes in figures["groups"].items():
        assert routes, group
        for _method, rule in routes:
            # A literal segment: every path this rule matches has the rule's key.
            assert not any(segment.startswith("<") for segment in _key_segments(rule)), rule
            assert ROUTE_GROUPS.get(route_key(rule)) == group, (rule, group)


def test_every_key_names_a_group_with_routes_of_that_key(figures: dict[str, Any]) -> None:
    keys = {route_key(rule) for routes in figures["groups"].values() for _method, rule in routes}

    assert set(ROUTE_GROUPS) == keys
    assert set(ROUTE_GROUPS.values()) == set(ROUTE_GROUP_LOADERS)


def test_the_routes_keep_the_groups_order_whichever_loads_first(figures: dict[str, Any]) -> None:
    assert figures["reversed"] == figures["in_order"]
    # Powertools tries static routes before dynamic ones; each kind in the groups' order.
    routes = [route for group in ROUTE_GROUP_LOADERS for route in figures["groups"][group]]
    assert figures["in_order"] == ([r for r in routes if "<" not in r[1]] + [r for r in routes if "<" in r[1]])


def test_a_request_loads_only_its_own_group(figures: dict[str, Any]) -> None:
    served = figures["served"]

    assert served["/health"] == {"status": 200, "loaded": ["routes_admin"]}
    assert served["/catalog/fields"] == {"status": 401, "loaded": ["routes_fields"]}  # no authorizer context
    # No group has it: nothing loads, and the API's own 404 answers.
    assert served["/environments/dev/nothing-here"] == {"status": 404, "loaded": []}
