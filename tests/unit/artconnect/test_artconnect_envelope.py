"""MessageService envelopes, WS-Security and MsgContent decoding, checked against the canonical XSD (read from
the shared specs folder by the test server's schema reader)."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import io
import zipfile
from xml.etree import ElementTree

import pytest
from pimtasks.artconnect.content import content_bytes
from pimtasks.artconnect.envelope import (
    MS30,
    SOAP_ENV,
    Answer,
    CustomInfo,
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
from pimtasks.artconnect.errors import (
    ArtConnectAuthError,
    ArtConnectFault,
    ArtConnectProtocolError,
    MessageContentError,
)
from pimtasks.artconnect.security import (
    PASSWORD_DIGEST_TYPE,
    PASSWORD_TEXT_TYPE,
    WSSE,
    WSU,
    PasswordType,
    UsernameToken,
    password_digest,
)

from tests.support.artconnect_server import SpecViolation, check_against_xsd, load_spec

NOW = dt.datetime(2026, 12, 2, 16, 0, 0, 123000, tzinfo=dt.UTC)
PROPS = MessageProperties(msg_id="m-1", msg_date_time="2026-12-01T08:00:00", msg_format="INSBOU",
                          msg_version="003", msg_type="INVOIC")


def test_password_digest_is_base64_sha1_of_nonce_created_password() -> None:
    nonce = bytes(range(16))
    expected = base64.b64encode(hashlib.sha1(nonce + b"2026-12-02T16:00:00.123Z" + b"geheim").digest()).decode()
    assert password_digest(nonce=nonce, created="2026-12-02T16:00:00.123Z", password="geheim") == expected
    assert password_digest(nonce=nonce, created="2026-12-02T16:00:00.124Z", password="geheim") != expected


def test_digest_token_carries_nonce_created_and_a_timestamp() -> None:
    header = UsernameToken(username="pim", password="geheim").security_header(now=NOW, nonce=b"n" * 16)
    token = header.find(f"{{{WSSE}}}UsernameToken")
    assert token is not None
    created = token.findtext(f"{{{WSU}}}Created")
    assert created == "2026-12-02T16:00:00.123Z"
    password = token.find(f"{{{WSSE}}}Password")
    assert password is not None and password.attrib["Type"] == PASSWORD_DIGEST_TYPE
    assert password.text == password_digest(nonce=b"n" * 16, created=created, password="geheim")
    assert base64.b64decode(token.findtext(f"{{{WSSE}}}Nonce") or "") == b"n" * 16
    assert header.findtext(f"{{{WSU}}}Timestamp/{{{WSU}}}Expires") == "2026-12-02T16:05:00.123Z"


def test_text_token_sends_the_password_and_no_nonce() -> None:
    header = UsernameToken(username="pim", password="geheim", password_type=PasswordType.TEXT).security_header(
        now=NOW)
    password = header.find(f"{{{WSSE}}}UsernameToken/{{{WSSE}}}Password")
    assert password is not None and password.attrib["Type"] == PASSWORD_TEXT_TYPE and password.text == "geheim"
    assert header.find(f"{{{WSSE}}}UsernameToken/{{{WSSE}}}Nonce") is None


def test_fresh_nonce_per_header() -> None:
    token = UsernameToken(username="pim", password="x")
    first = token.security_header(now=NOW).findtext(f"{{{WSSE}}}UsernameToken/{{{WSSE}}}Nonce")
    second = token.security_header(now=NOW).findtext(f"{{{WSSE}}}UsernameToken/{{{WSSE}}}Nonce")
    assert first != second


@pytest.mark.parametrize("body", [
    available_messages_request("INVOIC"),
    available_messages_request(""),
    message_request(msg_id="m-1", msg_format="INSBOU", msg_version="003"),
    post_message_request(properties=PROPS, content="{}"),
])
def test_requests_follow_the_canonical_xsd(body: ElementTree.Element) -> None:
    spec = load_spec()
    document = request_envelope(body=body, headers=[], custom_info=CustomInfo(relation_id="42",
                                                                              language_code="nl"))
    envelope = ElementTree.fromstring(document)
    request = envelope.find(f"{{{SOAP_ENV}}}Body")[0]  # type: ignore[index]
    check_against_xsd(spec, request)
    info = envelope.find(f"{{{SOAP_ENV}}}Header/{{{MS30}}}CustomInfo")
    assert info is not None
    check_against_xsd(spec, info)
    assert [node.tag for node in info] == ["IsTestMessage", "LanguageCode", "IsContentCompressed", "ApplicationId",
                                           "VersionId", "RelationId"]


def test_the_xsd_checker_can_fail() -> None:
    wrong = ElementTree.Element(f"{{{MS30}}}MessageRequest")
    ElementTree.SubElement(wrong, "MsgFormat").text = "INSBOU"
    with pytest.raises(SpecViolation, match="MsgId"):
        check_against_xsd(load_spec(), wrong)


def _envelope(body: str, header: str = "") -> bytes:
    return (f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Header>{header}</s:Header><s:Body>{body}</s:Body>'
            f'</s:Envelope>').encode()


def test_available_messages_read_unqualified_and_qualified() -> None:
    plain = _envelope(f'<ms:AvailableMessagesResponse xmlns:ms="{MS30}"><MessageList><MsgId>a</MsgId>'
                      "<MsgDateTime>2026-12-01T08:00:00</MsgDateTime><MsgFormat>INSBOU</MsgFormat>"
                      "<MsgVersion>003</MsgVersion><MsgType>INVOIC</MsgType></MessageList>"
                      "</ms:AvailableMessagesResponse>")
    wcf = _envelope(f'<AvailableMessagesResponse xmlns="{MS30}"><MessageList><MsgId>b</MsgId>'
                    "<MsgDateTime>2026-12-01T08:00:00</MsgDateTime><MsgFormat>INSBOU</MsgFormat>"
                    "<MsgVersion>003</MsgVersion><MsgType>ORDRSP</MsgType></MessageList>"
                    "</AvailableMessagesResponse>")
    assert [p.msg_id for p in read_available(read_answer("GetAvailableMessages", plain, status=200))] == ["a"]
    assert [p.msg_type for p in read_available(read_answer("GetAvailableMessages", wcf, status=200))] == ["ORDRSP"]


def test_message_with_compression_header() -> None:
    document = _envelope(
        f'<ms:MessageRequestResponse xmlns:ms="{MS30}"><MessageRequestResult><MsgProperties><MsgId>a</MsgId>'
        "<MsgDateTime>x</MsgDateTime><MsgFormat>INSBOU</MsgFormat><MsgVersion>003</MsgVersion>"
        "<MsgType>INVOIC</MsgType></MsgProperties><MsgContent>&lt;Invoice/&gt;</MsgContent>"
        "</MessageRequestResult></ms:MessageRequestResponse>",
        header=f'<ms:CustomInfo xmlns:ms="{MS30}"><IsContentCompressed>true</IsContentCompressed></ms:CustomInfo>')
    message = read_message("GetMessage", read_answer("GetMessage", document, status=200))
    assert message.content == "<Invoice/>" and message.compressed is True and message.properties.msg_id == "a"


def test_soap_fault_names_operation_and_fault_string() -> None:
    document = _envelope("<s:Fault><faultcode>s:Server</faultcode><faultstring>Hub is in maintenance"
                         "</faultstring></s:Fault>")
    with pytest.raises(ArtConnectFault, match=r"^GetMessage failed: Hub is in maintenance$"):
        read_answer("GetMessage", document, status=500)


def test_wcf_fault_error_shape() -> None:
    ns = "http://schemas.datacontract.org/2004/07/MessageService.FaultHandling"
    document = _envelope(f"<s:Fault><faultcode>s:Client</faultcode><faultstring>Reason unknown</faultstring>"
                         f'<detail><FaultError xmlns="{ns}"><FaultCode>NotFound</FaultCode><FaultDetails>'
                         f"<ErrorCode>404</ErrorCode><Message>Message 7 not found</Message></FaultDetails>"
                         f"<FaultString>No such message</FaultString></FaultError></detail></s:Fault>")
    with pytest.raises(ArtConnectFault) as caught:
        read_answer("DeleteMessage", document, status=500)
    assert str(caught.value) == "DeleteMessage failed: No such message; Message 7 not found [404]"
    assert caught.value.fault_code == "NotFound"


def test_bare_fault_error_in_body_and_auth_fault() -> None:
    ns = "http://schemas.datacontract.org/2004/07/MessageService.FaultHandling"
    bare = _envelope(f'<FaultError xmlns="{ns}"><FaultCode>FailedAuthentication</FaultCode>'
                     f"<FaultString>Unknown user</FaultString></FaultError>")
    with pytest.raises(ArtConnectAuthError, match="GetAvailableMessages failed: Unknown user"):
        read_answer("GetAvailableMessages", bare, status=500)
    plain = _envelope("<s:Fault><faultcode xmlns:wsse='x'>wsse:FailedAuthentication</faultcode>"
                      "<faultstring>bad token</faultstring></s:Fault>")
    with pytest.raises(ArtConnectAuthError):
        read_answer("GetMessage", plain, status=500)


def test_not_soap_answers() -> None:
    with pytest.raises(ArtConnectProtocolError, match="not XML"):
        read_answer("GetMessage", b"<html><body>502", status=502)
    with pytest.raises(ArtConnectProtocolError, match="not a SOAP envelope"):
        read_answer("GetMessage", b"<html/>", status=200)


def test_message_result_false_is_a_refusal() -> None:
    answer = Answer(header=None, body=ElementTree.fromstring("<MessageResponse><MessageResult>false</MessageResult>"
                                                             "</MessageResponse>"))
    with pytest.raises(ArtConnectFault, match="DeleteMessage failed: the hub answered MessageResult false"):
        read_result("DeleteMessage", answer)
    read_result("DeleteMessage", Answer(header=None, body=ElementTree.fromstring(
        "<MessageResponse><MessageResult>true</MessageResult></MessageResponse>")))


XML = "<?xml version='1.0'?><Invoice>é</Invoice>".encode()


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.xml", data)
    return buffer.getvalue()


@pytest.mark.parametrize(("text", "compressed"), [
    (XML.decode(), None),
    (base64.b64encode(XML).decode(), None),
    (base64.b64encode(gzip.compress(XML, mtime=0)).decode(), True),
    (base64.b64encode(gzip.compress(XML, mtime=0)).decode(), None),
    (base64.b64encode(_zip(XML)).decode(), True),
])
def test_content_decodings(text: str, compressed: bool | None) -> None:
    assert content_bytes(text, compressed=compressed) == XML


def test_content_errors() -> None:
    with pytest.raises(MessageContentError, match="neither XML nor base64"):
        content_bytes("not base64 !!")
    with pytest.raises(MessageContentError, match="gzip"):
        content_bytes(base64.b64encode(gzip.compress(XML)[:12]).decode())
    with pytest.raises(MessageContentError, match="more than"):
        content_bytes(base64.b64encode(gzip.compress(b"a" * 10_000)).decode(), limit=1000)
    with pytest.raises(MessageContentError, match="marked compressed"):
        content_bytes(base64.b64encode(b"plain").decode(), compressed=True)
