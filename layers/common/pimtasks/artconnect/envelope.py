"""MessageService 3.0 envelopes: SOAP 1.1, document/literal, the ``CustomInfo`` header.

Requests follow the canonical XSD (``elementFormDefault="unqualified"``): the operation's element is in the
service namespace, its children are not. Answers are read by local name, so servers that qualify every child
(WCF) read the same. Faults come in two shapes, both read here: the plain SOAP 1.1 ``Fault``
(``faultcode``/``faultstring``), and the WCF contract's ``FaultError{FaultCode, FaultDetails{ErrorCode, Message},
FaultString}`` (in the fault's ``detail``, or alone in the body).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError, SubElement, register_namespace, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from pimtasks.artconnect.errors import (
    ArtConnectAuthError,
    ArtConnectFault,
    ArtConnectProtocolError,
    ArtConnectRefused,
)
from pimtasks.artconnect.security import WSSE, WSU

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
MS30 = "https://www.ketenstandaard.nl/WS/MessageService/3.0"
SOAP_ACTION_PREFIX = "messageservice/"
_AUTH_FAULTS = frozenset({"FailedAuthentication", "InvalidSecurity", "InvalidSecurityToken", "FailedCheck",
                          "MessageExpired", "SecurityTokenUnavailable"})

for _prefix, _uri in (("soap", SOAP_ENV), ("ms", MS30), ("wsse", WSSE), ("wsu", WSU)):
    register_namespace(_prefix, _uri)


@dataclass(frozen=True)
class CustomInfo:
    """The ``CustomInfo`` header every call carries."""

    is_test_message: bool = False
    is_content_compressed: bool = False
    application_id: str = "pimtasks"
    version_id: str = "1.0"
    relation_id: str = ""
    language_code: str | None = None


@dataclass(frozen=True)
class MessageProperties:
    """One entry of ``GetAvailableMessages`` (and a message's ``MsgProperties``)."""

    msg_id: str
    msg_date_time: str
    msg_format: str
    msg_version: str
    msg_type: str


@dataclass(frozen=True)
class Message:
    """``GetMessage``'s answer: properties, the ``MsgContent`` text as sent, and whether the answer said it is
    compressed (None when the answer did not say)."""

    properties: MessageProperties
    content: str
    compressed: bool | None = None


def local_name(tag: object) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1] if text.startswith("{") else text


def child(element: Element, name: str) -> Element | None:
    """The first child with this local name (any namespace, or none)."""
    return next((node for node in element if local_name(node.tag) == name), None)


def children(element: Element, name: str) -> list[Element]:
    return [node for node in element if local_name(node.tag) == name]


def child_text(element: Element, name: str) -> str | None:
    node = child(element, name)
    return None if node is None else (node.text or "").strip()


def _boolean(text: str | None) -> bool | None:
    return None if text in (None, "") else text in ("true", "1")


def _add(parent: Element, name: str, value: str | None) -> None:
    node = SubElement(parent, name)
    if value is None:
        node.set("{http://www.w3.org/2001/XMLSchema-instance}nil", "true")
    else:
        node.text = value


def _custom_info(info: CustomInfo) -> Element:
    element = Element(f"{{{MS30}}}CustomInfo")
    _add(element, "IsTestMessage", "true" if info.is_test_message else "false")
    if info.language_code:
        _add(element, "LanguageCode", info.language_code)
    _add(element, "IsContentCompressed", "true" if info.is_content_compressed else "false")
    _add(element, "ApplicationId", info.application_id)
    _add(element, "VersionId", info.version_id)
    _add(element, "RelationId", info.relation_id)
    return element


def request_envelope(*, body: Element, headers: Iterable[Element], custom_info: CustomInfo) -> bytes:
    """The whole request document (UTF-8, with an XML declaration)."""
    envelope = Element(f"{{{SOAP_ENV}}}Envelope")
    header = SubElement(envelope, f"{{{SOAP_ENV}}}Header")
    for element in headers:
        header.append(element)
    header.append(_custom_info(custom_info))
    SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(body)
    return tostring(envelope, encoding="utf-8", xml_declaration=True)


def available_messages_request(msg_type: str) -> Element:
    """``AvailableMessagesRequest``: an empty ``MsgType`` asks for every type."""
    element = Element(f"{{{MS30}}}AvailableMessagesRequest")
    _add(element, "MsgType", msg_type)
    return element


def message_request(*, msg_id: str, msg_format: str, msg_version: str) -> Element:
    element = Element(f"{{{MS30}}}MessageRequest")
    _add(element, "MsgId", msg_id)
    _add(element, "MsgFormat", msg_format)
    _add(element, "MsgVersion", msg_version)
    return element


def _properties(parent: Element, name: str, properties: MessageProperties) -> None:
    element = SubElement(parent, name)
    _add(element, "MsgId", properties.msg_id)
    _add(element, "MsgDateTime", properties.msg_date_time)
    _add(element, "MsgFormat", properties.msg_format)
    _add(element, "MsgVersion", properties.msg_version)
    _add(element, "MsgType", properties.msg_type)


def post_message_request(*, properties: MessageProperties, content: str) -> Element:
    """``Message`` for ``PostMessage`` (``MsgContent`` is required there)."""
    element = Element(f"{{{MS30}}}Message")
    _properties(element, "MsgProperties", properties)
    _add(element, "MsgContent", content)
    return element


# --- answers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    header: Element | None
    body: Element
    """The body's (first) element: the operation's result."""


def read_answer(operation: str, data: bytes, *, status: int) -> Answer:
    """The answer's header and body element; a fault (either shape) raises ``ArtConnectFault``."""
    try:
        envelope = fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as error:
        raise ArtConnectProtocolError(f"{operation}: the answer (HTTP {status}) is not XML: {error}") from None
    if local_name(envelope.tag) != "Envelope":
        raise ArtConnectProtocolError(f"{operation}: the answer (HTTP {status}) is not a SOAP envelope "
                                      f"(<{local_name(envelope.tag)}>)")
    body = child(envelope, "Body")
    content = next(iter(body), None) if body is not None else None
    if content is None:
        raise ArtConnectProtocolError(f"{operation}: the answer (HTTP {status}) has an empty SOAP body")
    if local_name(content.tag) in ("Fault", "FaultError"):
        raise fault_error(operation, content, status=status)
    if status >= 400:
        raise ArtConnectProtocolError(f"{operation}: HTTP {status} with a <{local_name(content.tag)}> body")
    return Answer(header=child(envelope, "Header"), body=content)


def fault_error(operation: str, element: Element, *, status: int) -> ArtConnectFault:
    """``ArtConnectFault`` (or ``ArtConnectAuthError``) from a ``Fault`` or a bare ``FaultError``."""
    code = child_text(element, "faultcode") or child_text(element, "FaultCode")
    text = child_text(element, "faultstring") or _soap12_reason(element)
    detail = child(element, "detail")
    wcf = element if local_name(element.tag) == "FaultError" else (
        child(detail, "FaultError") if detail is not None else None)
    error_code = None
    if wcf is not None:
        code = child_text(wcf, "FaultCode") or code
        details = child(wcf, "FaultDetails")
        message = child_text(details, "Message") if details is not None else None
        error_code = child_text(details, "ErrorCode") if details is not None else None
        parts = [part for part in (child_text(wcf, "FaultString") or text, message) if part]
        text = "; ".join(dict.fromkeys(parts))
    text = text or "(no fault string)"
    kind = ArtConnectAuthError if status in (401, 403) or local_name(code or "").split(":")[-1] in _AUTH_FAULTS \
        else ArtConnectFault
    return kind(operation=operation, fault_string=text, fault_code=code, error_code=error_code or None)


def _soap12_reason(element: Element) -> str | None:
    reason = child(element, "Reason")
    return child_text(reason, "Text") if reason is not None else None


def _properties_of(element: Element) -> MessageProperties:
    return MessageProperties(msg_id=child_text(element, "MsgId") or "",
                             msg_date_time=child_text(element, "MsgDateTime") or "",
                             msg_format=child_text(element, "MsgFormat") or "",
                             msg_version=child_text(element, "MsgVersion") or "",
                             msg_type=child_text(element, "MsgType") or "")


def read_available(answer: Answer) -> list[MessageProperties]:
    """``AvailableMessagesResponse``: its ``MessageList`` entries (WCF wraps none, the list is the element)."""
    return [_properties_of(entry) for entry in answer.body.iter() if local_name(entry.tag) == "MessageList"
            and child(entry, "MsgId") is not None]


def read_message(operation: str, answer: Answer) -> Message:
    """``MessageRequestResponse/MessageRequestResult``: one message."""
    result = child(answer.body, "MessageRequestResult")
    if result is None:
        result = answer.body if child(answer.body, "MsgContent") is not None else None
    if result is None:
        raise ArtConnectProtocolError(f"{operation}: the answer has no MessageRequestResult "
                                      f"(<{local_name(answer.body.tag)}>)")
    properties = child(result, "MsgProperties")
    content = child(result, "MsgContent")
    if properties is None or content is None:
        raise ArtConnectProtocolError(f"{operation}: the message has no MsgProperties or MsgContent")
    info = child(answer.header, "CustomInfo") if answer.header is not None else None
    compressed = _boolean(child_text(info, "IsContentCompressed")) if info is not None else None
    return Message(properties=_properties_of(properties), content=content.text or "", compressed=compressed)


def read_result(operation: str, answer: Answer) -> None:
    """``MessageResponse``: ``MessageResult`` false is a refusal, named with the hub's message if it sent one."""
    result = child_text(answer.body, "MessageResult")
    if result is None:
        raise ArtConnectProtocolError(f"{operation}: the answer has no MessageResult")
    if _boolean(result):
        return
    message = child(answer.body, "Message")
    said = child_text(message, "MsgContent") if message is not None else None
    raise ArtConnectRefused(operation=operation, fault_string=said or "the hub answered MessageResult false")
