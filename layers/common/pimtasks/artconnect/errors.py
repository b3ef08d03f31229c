"""The errors of the MessageService client: each names the operation, so a run report says what failed."""

from __future__ import annotations


class ArtConnectError(Exception):
    """Base of the client's errors."""


class ArtConnectFault(ArtConnectError):
    """The hub answered an operation with a SOAP fault (either shape) or a refusal (``MessageResult`` false)."""

    def __init__(self, *, operation: str, fault_string: str, fault_code: str | None = None,
                 error_code: str | None = None) -> None:
        detail = f" [{error_code}]" if error_code else ""
        super().__init__(f"{operation} failed: {fault_string}{detail}")
        self.operation = operation
        self.fault_string = fault_string
        self.fault_code = fault_code
        self.error_code = error_code


class ArtConnectAuthError(ArtConnectFault):
    """The hub refused the credentials (a WS-Security fault, or HTTP 401/403)."""


class ArtConnectRefused(ArtConnectFault):
    """The hub answered ``MessageResult`` false (no SOAP fault): it did not take the message or the delete."""


class ArtConnectProtocolError(ArtConnectError):
    """The answer is not a MessageService answer (not XML, no envelope, an unexpected body)."""


class ArtConnectUnavailableError(ArtConnectError):
    """No answer after every retry (connection errors, 502/503/504)."""


class MessageContentError(ArtConnectError):
    """A message's ``MsgContent`` cannot be decoded (bad base64, a broken or too large compressed stream)."""
