"""What a 2BA call can end in, independent of HTTP (the client raises them, the scan and the worker decide)."""

from __future__ import annotations


class TwobaError(Exception):
    """The data pool could not give what the import needs; the message is for the run report."""


class TwobaCredentialsError(TwobaError):
    """The token endpoint refused the client credentials: nothing can be read for any supplier."""


class TwobaCallError(TwobaError):
    """One call failed for good: refused (4xx) or still failing past the retry budget (429, 5xx, no connection).

    ``status`` is the HTTP status (0 when no answer came), ``errors`` the problem document's field messages.
    """

    def __init__(self, message: str, *, status: int, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors or {}


class TwobaShapeError(TwobaError):
    """An answer that is not the documented shape (no ``data`` list, no ``meta.hasNext``)."""
