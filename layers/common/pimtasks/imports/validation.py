"""Pydantic's validation errors, rewritten for a product-data manager.

``gtin: '8712345678905': wrong check digit (the last digit should be 6)`` instead of
``Value error, ... [type=value_error, input_value=...]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from pimtasks.catalog.codes import CURRENCY_PATTERN, ETIM_CLASS_PATTERN, ETIM_FEATURE_PATTERN, ETIM_UNIT_PATTERN

PATTERN_HINTS: dict[str, str] = {
    ETIM_CLASS_PATTERN: "is not an ETIM class code (EC and 6 digits, e.g. EC000042)",
    ETIM_FEATURE_PATTERN: "is not an ETIM feature code (EF and 6 digits, e.g. EF000008; EFI06272, EFNL0001)",
    ETIM_UNIT_PATTERN: "is not an ETIM unit code (EU and 6 digits, e.g. EU570448)",
    CURRENCY_PATTERN: "is not a currency code (3 capital letters, e.g. EUR)",
    r"^[A-Z0-9]{2,6}$": "is not an attachment type code (2-6 capitals/digits, e.g. PPI, MAN, CAD)",
    r"^[0-9a-f]{64}$": "is not a SHA-256 checksum (64 hexadecimal characters)",
}


def describe_errors(error: ValidationError) -> list[tuple[str | None, str]]:
    """``(field path or None, reason)`` per problem; the path names the catalog field."""
    return [_describe(detail) for detail in error.errors(include_url=False)]


def _describe(detail: ErrorDetails) -> tuple[str | None, str]:
    location = [str(part) for part in detail["loc"]]
    path = ".".join(location) if location else None
    problem = _problem(detail)
    if path is None:
        return None, problem
    return path, f"{path}: {problem}"


def _problem(detail: ErrorDetails) -> str:
    kind = detail["type"]
    value = detail.get("input")
    context: Mapping[str, Any] = detail.get("ctx") or {}
    shown = _shown(value)
    if kind == "string_too_long":
        return f"{shown} is too long ({len(str(value))} characters, at most {context.get('max_length')})"
    if kind == "string_too_short":
        return "is empty"
    if kind == "string_pattern_mismatch":
        return f"{shown} {PATTERN_HINTS.get(str(context.get('pattern')), 'does not have the expected form')}"
    if kind == "greater_than_equal":
        return f"{shown} must be at least {context.get('ge')}"
    if kind == "greater_than":
        return f"{shown} must be more than {context.get('gt')}"
    if kind == "less_than_equal":
        return f"{shown} must be at most {context.get('le')}"
    if kind == "decimal_max_places":
        return f"{shown} has more than {context.get('decimal_places')} decimals"
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return f"{shown} has too many digits"
    if kind == "too_long":
        return f"too many entries (at most {context.get('max_length')})"
    if kind == "value_error":
        message = str(context.get("error", detail["msg"]))
        return f"{shown}: {message}" if detail["loc"] and value is not None and not isinstance(value, dict) else message
    if kind == "missing":
        return "is missing"
    if kind == "extra_forbidden":
        return "is not a field of this record"
    return f"{shown}: {detail['msg']}"


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) > 40:
        text = text[:39] + "…"
    return repr(text)
