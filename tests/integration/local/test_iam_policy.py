"""Authorizer policies evaluated the way API Gateway does."""

from __future__ import annotations

from typing import Any

import pytest
from pimtasks_local.iam_policy import Decision, evaluate_policy, is_allowed

PREFIX = "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(resource: str | list[str], action: str = "execute-api:Invoke") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def _deny(resource: str | list[str]) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": resource}


@pytest.mark.parametrize(
    ("resource", "allowed"),
    [
        (f"{PREFIX}/GET/environments/000001/tasks", True),
        (f"{PREFIX}/POST/environments/000001", True),
        (f"{PREFIX}/GET/environments/000002/tasks", False),
        (f"{PREFIX}/GET/environments", False),
    ],
)
def test_star_wildcard_scopes_to_an_environment(resource: str, allowed: bool) -> None:
    policy = _policy(_allow([f"{PREFIX}/*/environments/000001", f"{PREFIX}/*/environments/000001/*"]))
    assert is_allowed(policy, resource=resource) is allowed


def test_question_mark_matches_exactly_one_character() -> None:
    policy = _policy(_allow(f"{PREFIX}/GET/environments/00000?"))
    assert is_allowed(policy, resource=f"{PREFIX}/GET/environments/000007")
    assert not is_allowed(policy, resource=f"{PREFIX}/GET/environments/0000070")


def test_explicit_deny_wins_over_allow() -> None:
    policy = _policy(_allow(f"{PREFIX}/*"), _deny(f"{PREFIX}/DELETE/*"))
    assert is_allowed(policy, resource=f"{PREFIX}/GET/environments")
    assert evaluate_policy(policy, resource=f"{PREFIX}/DELETE/api-keys/k1") is Decision.EXPLICIT_DENY


def test_no_matching_statement_denies() -> None:
    assert evaluate_policy(_policy(), resource=f"{PREFIX}/GET/health") is Decision.IMPLICIT_DENY
    assert evaluate_policy(None, resource=f"{PREFIX}/GET/health") is Decision.IMPLICIT_DENY


def test_action_must_match_case_insensitively_and_resources_exactly() -> None:
    assert is_allowed(_policy(_allow(f"{PREFIX}/*", action="execute-api:*")), resource=f"{PREFIX}/GET/x")
    assert is_allowed(_policy(_allow(f"{PREFIX}/*", action="EXECUTE-API:invoke")), resource=f"{PREFIX}/GET/x")
    assert not is_allowed(_policy(_allow(f"{PREFIX}/*", action="s3:GetObject")), resource=f"{PREFIX}/GET/x")
    assert not is_allowed(_policy(_allow(f"{PREFIX}/get/*")), resource=f"{PREFIX}/GET/x")


def test_a_single_statement_object_is_accepted() -> None:
    policy = {"Version": "2012-10-17", "Statement": _allow(f"{PREFIX}/GET/*")}
    assert is_allowed(policy, resource=f"{PREFIX}/GET/environments")
