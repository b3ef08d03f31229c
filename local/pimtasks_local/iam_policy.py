"""Evaluating a Lambda authorizer's policy document the way API Gateway does.

A request is allowed when some ``Allow`` statement matches ``execute-api:Invoke`` on the method ARN and
no ``Deny`` statement does (an explicit Deny always wins; no match at all means deny). Resources and
actions may use the ``*`` and ``?`` wildcards; actions compare case-insensitively, resources exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from functools import lru_cache
from typing import Any

INVOKE_ACTION = "execute-api:Invoke"


class Decision(StrEnum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit_deny"
    IMPLICIT_DENY = "implicit_deny"


@lru_cache(maxsize=1024)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """``pattern`` with ``*`` (any run of characters) and ``?`` (one character) matches ``value``."""
    return _wildcard(pattern, ignore_case).match(value) is not None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def _matches_any(patterns: Iterable[str], value: str, *, ignore_case: bool) -> bool:
    return any(wildcard_match(pattern, value, ignore_case=ignore_case) for pattern in patterns)


def _statement_applies(statement: Mapping[str, Any], *, action: str, resource: str) -> bool:
    if "NotAction" in statement:
        action_ok = not _matches_any(_as_list(statement["NotAction"]), action, ignore_case=True)
    else:
        action_ok = _matches_any(_as_list(statement.get("Action")), action, ignore_case=True)
    if "NotResource" in statement:
        resource_ok = not _matches_any(_as_list(statement["NotResource"]), resource, ignore_case=False)
    else:
        resource_ok = _matches_any(_as_list(statement.get("Resource")), resource, ignore_case=False)
    return action_ok and resource_ok


def evaluate_policy(policy: Mapping[str, Any] | None, *, resource: str, action: str = INVOKE_ACTION) -> Decision:
    """The decision of ``policy`` (an IAM policy document) for ``action`` on ``resource``."""
    statements = (policy or {}).get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    allowed = False
    for statement in statements:
        if not _statement_applies(statement, action=action, resource=resource):
            continue
        effect = str(statement.get("Effect", "")).capitalize()
        if effect == "Deny":
            return Decision.EXPLICIT_DENY
        if effect == "Allow":
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def is_allowed(policy: Mapping[str, Any] | None, *, resource: str, action: str = INVOKE_ACTION) -> bool:
    """True when ``policy`` allows ``action`` on ``resource``."""
    return evaluate_policy(policy, resource=resource, action=action) is Decision.ALLOW
