"""Magento's errors as text a product-data manager can act on, and the errors the push raises.

Magento answers an error with ``{"message": "...%1...", "parameters": [...]}`` (or named ``%fieldName``
placeholders with an object of parameters); ``magento_message`` fills the placeholders in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"%(\d+|[A-Za-z_][A-Za-z0-9_]*)")


def fill_placeholders(message: str, parameters: Any) -> str:
    """``message`` with ``%1``.. taken from a list of ``parameters`` and ``%name`` from an object (a list of
    objects, as the Swagger describes it, supplies both). As Magento's placeholder renderer does, an object's
    numeric key ``n`` is ``%<n+1>``: PHP writes an argument array that is not a plain list, such as
    ``[0 => 'url_key', 'store' => 'nl']``, as the object ``{"0": "url_key", "store": "nl"}``."""
    positional: list[Any] = []
    named: dict[str, Any] = {}
    if isinstance(parameters, Mapping):
        named = {str(int(key) + 1) if str(key).isdigit() else str(key): value for key, value in parameters.items()}
    elif isinstance(parameters, list):
        positional = parameters
        for item in parameters:
            if isinstance(item, Mapping):
                named.update({str(key): value for key, value in item.items()})

    def replace(match: re.Match[str]) -> str:
        token = match.group(1)
        if token.isdigit():
            index = int(token) - 1
            if not positional and token in named:
                return str(named[token])
            if 0 <= index < len(positional):
                value = positional[index]
                if isinstance(value, Mapping) and len(value) == 1:
                    value = next(iter(value.values()))
                return str(value)
            return match.group(0)
        return str(named[token]) if token in named else match.group(0)

    return _PLACEHOLDER.sub(replace, message)


def magento_message(body: Any) -> str | None:
    """The readable message of a Magento error body (a dict, or JSON text of one), or None if it has none."""
    if isinstance(body, str):
        text = body.strip()
        if not text.startswith("{"):
            return None
        try:
            body = json.loads(text)
        except ValueError:
            return None
    if not isinstance(body, Mapping) or not isinstance(body.get("message"), str):
        return None
    message = fill_placeholders(body["message"], body.get("parameters"))
    details = [fill_placeholders(str(error.get("message", "")), error.get("parameters"))
               for error in body.get("errors") or [] if isinstance(error, Mapping) and error.get("message")]
    return "; ".join([message, *details]) if details else message


def operation_message(result_message: Any) -> str:
    """An operation's ``result_message`` as text (some servers put a whole error body there)."""
    if result_message is None:
        return "no message"
    return magento_message(result_message) or str(result_message)


class MagentoError(Exception):
    """Base of the errors the Magento client raises."""


class MagentoAuthError(MagentoError):
    """Magento refused the credentials (401): nothing can be pushed."""


class NotMagentoError(MagentoError):
    """The base URL does not answer as a Magento REST API."""


class MagentoUnavailableError(MagentoError):
    """No usable answer after every retry (connection errors, 429, 5xx)."""


class MagentoRequestError(MagentoError):
    """Magento refused one request (4xx other than 401, or a 5xx with an error body): ``message`` is filled in."""

    def __init__(self, *, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
