"""The MessageService client against the local hub (which checks digests, timestamps, nonces and the XSD)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pimtasks.artconnect.client import ClientSettings, MessageServiceClient
from pimtasks.artconnect.content import content_bytes
from pimtasks.artconnect.envelope import CustomInfo, MessageProperties
from pimtasks.artconnect.errors import ArtConnectAuthError, ArtConnectFault, ArtConnectUnavailableError
from pimtasks.artconnect.security import PasswordType, UsernameToken
from pimtasks.clock import SystemClock

from tests.support.artconnect_server import INVOICE_SAMPLE, ArtConnectServer, FaultStyle


@pytest.fixture
def hub() -> Iterator[ArtConnectServer]:
    with ArtConnectServer() as server:
        yield server


def client(hub: ArtConnectServer, *, password: str = "s3cret", **token: Any) -> MessageServiceClient:
    return MessageServiceClient(ClientSettings(
        endpoint_url=hub.url, token=UsernameToken(username="pim", password=password, **token),
        custom_info=CustomInfo(relation_id="4711"), attempts=2, base_delay_seconds=0), clock=SystemClock(),
        sleep=lambda seconds: None)


def test_list_get_delete_with_digest(hub: ArtConnectServer) -> None:
    sample = INVOICE_SAMPLE.read_bytes()
    invoice = hub.add_message(sample)
    hub.add_message(b"<Despatch/>", msg_type="DESADV")
    service = client(hub)
    listed = service.get_available_messages("INVOIC")
    assert [entry.msg_id for entry in listed] == [invoice]
    assert len(service.get_available_messages("")) == 2
    message = service.get_message(listed[0])
    assert content_bytes(message.content, compressed=message.compressed) == sample
    service.delete_message(listed[0])
    assert hub.state.gets[invoice] == 1 and hub.state.deletes[invoice] == 1
    assert hub.state.password_types == {"digest": 4}
    assert hub.state.custom_infos[0]["RelationId"] == "4711"


@pytest.mark.parametrize("encoding", ["base64", "gzip", "zip"])
def test_encoded_and_compressed_content(hub: ArtConnectServer, encoding: Any) -> None:
    sample = INVOICE_SAMPLE.read_bytes()
    hub.add_message(sample, encoding=encoding)
    service = client(hub)
    message = service.get_message(service.get_available_messages("INVOIC")[0])
    assert message.compressed is (encoding in ("gzip", "zip"))
    assert content_bytes(message.content, compressed=message.compressed) == sample


def test_password_text(hub: ArtConnectServer) -> None:
    assert client(hub, password_type=PasswordType.TEXT).get_available_messages("INVOIC") == []
    assert hub.state.password_types == {"text": 1}


@pytest.mark.parametrize("password_type", [PasswordType.DIGEST, PasswordType.TEXT])
def test_wrong_password_is_an_auth_error(hub: ArtConnectServer, password_type: PasswordType) -> None:
    with pytest.raises(ArtConnectAuthError, match="GetAvailableMessages failed: The security token could not"):
        client(hub, password="wrong", password_type=password_type).get_available_messages("INVOIC")


def test_digest_required_refuses_text(hub: ArtConnectServer) -> None:
    hub.require_digest = True
    with pytest.raises(ArtConnectAuthError):
        client(hub, password_type=PasswordType.TEXT).get_available_messages("INVOIC")


def test_expired_timestamp_is_refused(hub: ArtConnectServer) -> None:
    with pytest.raises(ArtConnectAuthError, match="expired"):
        client(hub, timestamp_seconds=-10).get_available_messages("INVOIC")


@pytest.mark.parametrize("style", ["soap", "wcf"])
def test_faults_of_both_shapes_name_operation_and_fault_string(style: FaultStyle) -> None:
    with ArtConnectServer(fault_style=style) as hub:
        msg_id = hub.add_message(b"<Invoice/>")
        hub.inject_fault("GetMessage", "Message is locked by another session", msg_id=msg_id, error_code="423")
        service = client(hub)
        entry = service.get_available_messages("INVOIC")[0]
        with pytest.raises(ArtConnectFault) as caught:
            service.get_message(entry)
        assert str(caught.value).startswith("GetMessage failed: Message is locked by another session")
        assert service.get_message(entry).properties.msg_id == msg_id  # only injected once


def test_qualified_answers_are_read(hub: ArtConnectServer) -> None:
    hub.qualified = True
    hub.add_message(b"<Invoice/>")
    service = client(hub)
    entry = service.get_available_messages("INVOIC")[0]
    assert service.get_message(entry).content == "<Invoice/>"


def test_delete_of_unknown_message_is_a_refusal(hub: ArtConnectServer) -> None:
    ghost = MessageProperties(msg_id="ghost", msg_date_time="", msg_format="INSBOU", msg_version="003",
                              msg_type="INVOIC")
    with pytest.raises(ArtConnectFault, match="DeleteMessage failed: the hub answered MessageResult false"):
        client(hub).delete_message(ghost)


def test_a_delete_sent_again_after_its_answer_was_lost_is_done(hub: ArtConnectServer) -> None:
    listed = client(hub)
    hub.add_message(INVOICE_SAMPLE.read_bytes())
    entry = listed.get_available_messages("INVOIC")[0]
    listed.get_message(entry)
    hub.lose_answers["DeleteMessage"] = 1  # deleted; the answer never came: the client sends it again (false)
    listed.delete_message(entry)
    assert hub.state.deletes == {entry.msg_id: 1} and not hub.state.messages


def test_post_message(hub: ArtConnectServer) -> None:
    props = MessageProperties(msg_id="run-1-0001", msg_date_time="2026-12-02T10:00:00", msg_format="ETIM",
                              msg_version="2.0", msg_type="PRICAT")
    client(hub).post_message(properties=props, content='{"Products": []}')
    assert hub.state.posted == [{"MsgId": "run-1-0001", "MsgDateTime": "2026-12-02T10:00:00", "MsgFormat": "ETIM",
                                 "MsgVersion": "2.0", "MsgType": "PRICAT", "MsgContent": '{"Products": []}'}]


def test_a_post_sent_again_after_its_answer_was_lost_is_taken_once(hub: ArtConnectServer) -> None:
    hub.refuses_duplicates = True
    hub.lose_answers["PostMessage"] = 1  # the hub took it; the answer never came: the client sends it again
    props = MessageProperties(msg_id="run-1-0001", msg_date_time="2026-12-02T10:00:00Z", msg_format="ETIM",
                              msg_version="2.0", msg_type="PRICAT")
    assert client(hub).post_message(properties=props, content="e30=") is False  # the hub already had it
    assert [posted["MsgId"] for posted in hub.state.posted] == ["run-1-0001"]
    assert hub.state.duplicates == {"run-1-0001": 1}


def test_a_refused_post_still_fails_unless_it_may_be_a_repeat(hub: ArtConnectServer) -> None:
    hub.refuses_duplicates = True
    props = MessageProperties(msg_id="run-1-0001", msg_date_time="2026-12-02T10:00:00Z", msg_format="ETIM",
                              msg_version="2.0", msg_type="PRICAT")
    service = client(hub)
    assert service.post_message(properties=props, content="e30=") is True
    with pytest.raises(ArtConnectFault, match="PostMessage failed: the hub answered MessageResult false"):
        service.post_message(properties=props, content="e30=")
    assert service.post_message(properties=props, content="e30=", maybe_known=True) is False


def test_unreachable_hub() -> None:
    with ArtConnectServer() as hub:
        url = hub.url
    service = MessageServiceClient(ClientSettings(endpoint_url=url, token=UsernameToken(username="a", password="b"),
                                                  attempts=2, base_delay_seconds=0, timeout_seconds=2),
                                   clock=SystemClock(), sleep=lambda seconds: None)
    with pytest.raises(ArtConnectUnavailableError, match=r"GetAvailableMessages: .* cannot be reached"):
        service.get_available_messages("INVOIC")
