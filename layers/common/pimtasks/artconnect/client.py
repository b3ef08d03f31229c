"""The four MessageService 3.0 operations over HTTP (the only module of Art-Connect tasks that talks HTTP).

- ``POST`` to the endpoint with ``SOAPAction: "messageservice/<Operation>"``, ``text/xml; charset=utf-8``.
- Every call gets a fresh WS-Security header (new nonce and timestamp) and the ``CustomInfo`` header.
- Faults raise ``ArtConnectFault`` naming the operation and the fault string (``ArtConnectAuthError`` for
  refused credentials); connection errors and 502/503/504 are retried with backoff, then
  ``ArtConnectUnavailableError``. One keep-alive connection pool per client.
- A ``DeleteMessage`` sent again after a lost answer that the hub answers ``MessageResult`` false was done by the
  first one. A ``PostMessage`` sent again (its first answer was lost, or the caller says an earlier invocation may
  have sent it) that the hub answers with ``MessageResult`` false is a duplicate the hub recognised by its MsgId
  (the WSDL: the MsgId lets the receiver check "of betreffende bericht al eens eerder is aangeleverd"), not a
  refusal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

import urllib3

from pimtasks.artconnect.envelope import (
    SOAP_ACTION_PREFIX,
    Answer,
    CustomInfo,
    Message,
    MessageProperties,
    available_messages_request,
    message_request,
    post_message_request,
    read_answer,
    read_available,
    read_message,
    read_result,
    request_envelope,
)
from pimtasks.artconnect.errors import ArtConnectAuthError, ArtConnectRefused, ArtConnectUnavailableError
from pimtasks.artconnect.security import UsernameToken
from pimtasks.clock import Clock

_RETRIED = (502, 503, 504)


@dataclass(frozen=True)
class ClientSettings:
    """Where and how to connect (the password is the secret's value, read by the worker)."""

    endpoint_url: str
    token: UsernameToken
    custom_info: CustomInfo = field(default_factory=CustomInfo)
    timeout_seconds: float = 60.0
    attempts: int = 4
    base_delay_seconds: float = 0.5


class MessageServiceClient:
    def __init__(self, settings: ClientSettings, *, clock: Clock, sleep: Callable[[float], None] = time.sleep,
                 pool: urllib3.PoolManager | None = None, pool_size: int = 1) -> None:
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        # Thread-safe: one kept-alive connection per message in flight.
        self._pool = pool or urllib3.PoolManager(num_pools=2, maxsize=max(pool_size, 1), retries=False,
                                                 timeout=urllib3.Timeout(total=settings.timeout_seconds))

    def get_available_messages(self, msg_type: str = "") -> list[MessageProperties]:
        """The messages waiting on the hub (of ``msg_type``; every type when empty)."""
        answer = self._call("GetAvailableMessages", available_messages_request(msg_type))
        return read_available(answer)

    def get_message(self, properties: MessageProperties) -> Message:
        """One message (the protocol wants a ``delete_message`` after it, whatever happens next)."""
        answer = self._call("GetMessage", message_request(
            msg_id=properties.msg_id, msg_format=properties.msg_format, msg_version=properties.msg_version))
        return read_message("GetMessage", answer)

    def delete_message(self, properties: MessageProperties) -> None:
        """Acknowledge a fetched message. ``MessageResult`` false to a delete sent again (the first answer was lost)
        means the first one did it: the message is gone, as wanted."""
        answer, resent = self._exchange("DeleteMessage", message_request(
            msg_id=properties.msg_id, msg_format=properties.msg_format, msg_version=properties.msg_version))
        try:
            read_result("DeleteMessage", answer)
        except ArtConnectRefused:
            if not resent:
                raise

    def post_message(self, *, properties: MessageProperties, content: str, maybe_known: bool = False) -> bool:
        """Offer a message; its ``msg_id`` is the client's and lets the hub recognise a repeat.

        True: the hub took it now. False: the hub already had it, i.e. it answered ``MessageResult`` false to a
        message it may have received before (``maybe_known``, or an attempt of this call whose answer was lost);
        a hub that drops duplicates silently answers true, which is the same. Any other refusal raises.
        """
        answer, resent = self._exchange("PostMessage", post_message_request(properties=properties, content=content))
        try:
            read_result("PostMessage", answer)
        except ArtConnectRefused:
            if maybe_known or resent:
                return False
            raise
        return True

    def close(self) -> None:
        self._pool.clear()

    def _call(self, operation: str, body: Element) -> Answer:
        return self._exchange(operation, body)[0]

    def _exchange(self, operation: str, body: Element) -> tuple[Answer, bool]:
        """The answer, and whether an earlier attempt may have reached the hub (its answer was lost: the
        connection broke after connecting, or a gateway answered 502/503/504)."""
        settings = self._settings
        resent = False
        for attempt in range(settings.attempts):
            document = request_envelope(body=body, headers=[settings.token.security_header(now=self._clock.now())],
                                        custom_info=settings.custom_info)
            try:
                response = self._pool.request("POST", settings.endpoint_url, body=document, headers={
                    "Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SOAP_ACTION_PREFIX}{operation}"'})
            except urllib3.exceptions.HTTPError as error:
                resent = resent or not isinstance(error, urllib3.exceptions.ConnectTimeoutError)
                if attempt + 1 == settings.attempts:
                    raise ArtConnectUnavailableError(f"{operation}: {settings.endpoint_url} cannot be reached: "
                                                     f"{error}") from None
            else:
                if response.status not in _RETRIED:
                    if response.status in (401, 403) and not response.data.lstrip().startswith(b"<"):
                        raise ArtConnectAuthError(operation=operation, fault_string=(
                            f"HTTP {response.status}: the credentials were refused"))
                    return read_answer(operation, response.data, status=response.status), resent
                resent = True
                if attempt + 1 == settings.attempts:
                    raise ArtConnectUnavailableError(f"{operation}: {settings.endpoint_url} answered HTTP "
                                                     f"{response.status} {settings.attempts} times")
            self._sleep(settings.base_delay_seconds * (2 ** attempt))
        raise AssertionError("unreachable")

