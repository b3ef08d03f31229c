"""The local FTPS gateway with Python's ftplib as the client (resuming TLS sessions, as AWS requires)."""

from __future__ import annotations

import ftplib
import hashlib
import io
import socket
import ssl
import time

import pytest

from tests.integration.ftps.conftest import Ftps
from tests.integration.ftps.harness import (
    GeneratedFile,
    ReusingFTP_TLS,
    connect,
    logged_in,
    tls_context,
    wait_until,
)

MiB = 1 << 20


def _download(ftp: ftplib.FTP_TLS, path: str, *, rest: int | None = None) -> bytes:
    received = io.BytesIO()
    ftp.retrbinary(f"RETR {path}", received.write, rest=rest)
    return received.getvalue()


# --- the happy path ---------------------------------------------------------------------------------


def test_upload_lands_whole_in_the_environment_and_announces_itself_once_complete(ftps: Ftps) -> None:
    # Given alice of environment 000001
    body = b"article;price\n1001;12.50\n" * 1000
    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        # When she uploads a file into an import folder
        ftp.mkd("/Uploads/Sales conditions APAC")
        reply = ftp.storbinary("STOR /Uploads/Sales conditions APAC/conditions.csv", io.BytesIO(body))

    # Then the object is in her environment's Uploads, byte for byte, and S3 announced it (AutoImport)
    assert reply.startswith("226")
    key = "environments/000001/Uploads/Sales conditions APAC/conditions.csv"
    assert ftps.bucket.read(key) == body
    created = ftps.bucket.created_events()
    assert ("ObjectCreated:Put", key) in created
    assert {k for _, k in created} <= {key, "environments/000001/Uploads/Sales conditions APAC/"}


def test_list_shows_only_the_visible_folders_and_the_files_with_sizes(ftps: Ftps) -> None:
    ftps.bucket.put("environments/000001/Uploads/Imp/a.csv", b"12345")
    ftps.bucket.put("environments/000001/Failed/Imp/hidden.csv", b"x")
    ftps.bucket.put("environments/000001/Reports/r.json", b"x")
    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        root = ftp.nlst("/")
        uploads = ftp.nlst("/Uploads")
        lines: list[str] = []
        ftp.retrlines("LIST /Uploads/Imp", lines.append)
        facts = dict(ftp.mlsd("/Uploads/Imp"))
        ftp.voidcmd("TYPE I")
        size = ftp.size("/Uploads/Imp/a.csv")
        mdtm = ftp.sendcmd("MDTM /Uploads/Imp/a.csv")

    assert sorted(root) == ["Archived", "Downloads", "Uploads"]
    assert uploads == ["Imp"]
    assert len(lines) == 1 and lines[0].startswith("-rw-") and lines[0].split()[4] == "5"
    assert lines[0].endswith(" a.csv")
    assert facts["a.csv"]["type"] == "file" and facts["a.csv"]["size"] == "5"
    assert size == 5
    assert mdtm.startswith("213 ")


def test_download_and_resumed_download(ftps: Ftps) -> None:
    body = bytes(range(256)) * 12_000  # ~3 MB
    ftps.bucket.put("environments/000001/Downloads/Export/prices.csv", body)
    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        whole = _download(ftp, "/Downloads/Export/prices.csv")
        # A client that lost the connection after 1 000 000 bytes resumes with REST
        rest = _download(ftp, "/Downloads/Export/prices.csv", rest=1_000_000)
        ftp.cwd("/Downloads/Export")
        relative = _download(ftp, "prices.csv", rest=len(body))

    assert whole == body
    assert rest == body[1_000_000:]
    assert relative == b""


def test_rename_and_delete_within_uploads(ftps: Ftps) -> None:
    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        ftp.storbinary("STOR /Uploads/Imp/prices.csv.part", io.BytesIO(b"1;2\n"))
        ftp.rename("/Uploads/Imp/prices.csv.part", "/Uploads/Imp/prices.csv")
        after_rename = ftps.bucket.keys("environments/000001/Uploads/")
        renamed = ftps.bucket.read("environments/000001/Uploads/Imp/prices.csv")
        ftp.cwd("/Uploads/Imp")
        ftp.delete("prices.csv")
        after_delete = ftps.bucket.keys("environments/000001/Uploads/")

    assert after_rename == ["environments/000001/Uploads/Imp/prices.csv"]
    assert renamed == b"1;2\n"
    assert after_delete == []


def test_folders_can_be_made_listed_and_removed_in_uploads(ftps: Ftps) -> None:
    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        made = ftp.mkd("/Uploads/Attachments 2026")
        listed = ftp.nlst("/Uploads")
        ftp.cwd("/Uploads/Attachments 2026")
        pwd = ftp.pwd()
        ftp.cwd("..")
        ftp.rmd("Attachments 2026")
        after = ftp.nlst("/Uploads")

    assert made == "/Uploads/Attachments 2026"
    assert listed == ["Attachments 2026"]
    assert pwd == "/Uploads/Attachments 2026"
    assert after == []


def test_empty_listings_and_files_arrive_cleanly_even_when_the_data_connection_comes_first(ftps: Ftps) -> None:
    # Clients may open the data connection before sending the command; with nothing to send, the gateway
    # must still complete the TLS handshake and close with a close_notify (a race seen under load).
    ftps.bucket.put("environments/000001/Uploads/Empty/", b"")
    ftps.bucket.put("environments/000001/Uploads/Imp/empty.csv", b"")
    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        ftp.voidcmd("TYPE I")
        for command in ("NLST /Uploads/Empty", "LIST /Uploads/Empty", "MLSD /Uploads/Empty",
                        "RETR /Uploads/Imp/empty.csv") * 3:
            host, port = ftp.makepasv()
            raw = socket.create_connection((host, port), timeout=30)
            time.sleep(0.1)  # not an assertion: gives the gateway time to accept before the command arrives
            ftp.sendcmd(command)
            assert isinstance(ftp.sock, ssl.SSLSocket)
            data = ftp.context.wrap_socket(raw, server_hostname="127.0.0.1", session=ftp.sock.session)
            received = b"".join(iter(lambda: data.recv(4096), b""))
            data.unwrap().close()
            assert (command, received, ftp.voidresp()[:3]) == (command, b"", "226")


# --- what is refused ----------------------------------------------------------------------------------


def test_both_channels_use_tls_1_2_with_forward_secret_aead_ciphers(ftps: Ftps) -> None:
    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        assert isinstance(ftp.sock, ssl.SSLSocket)
        cipher, version, _ = ftp.sock.cipher()  # type: ignore[misc]
        data = ftp.transfercmd("NLST /")
        assert isinstance(data, ssl.SSLSocket) and data.session_reused
        listing = b"".join(iter(lambda: data.recv(4096), b""))
        data.close()
        ftp.voidresp()
    assert listing.split() == [b"Archived", b"Downloads", b"Uploads"]
    assert version == "TLSv1.2"
    assert cipher.startswith(("ECDHE-ECDSA-AES", "ECDHE-ECDSA-CHACHA20")) and ("GCM" in cipher or "CHACHA" in cipher)


def test_wrong_password_and_unknown_user_are_refused_alike(ftps: Ftps) -> None:
    for username, password in ((ftps.alice.username, "not-the-password"), ("nobody-here", "whatever-it-is")):
        ftp = ReusingFTP_TLS(context=tls_context(ftps.certificate), timeout=30)
        ftp.connect("127.0.0.1", ftps.port)
        with pytest.raises(ftplib.error_perm, match="530 Authentication failed"):
            ftp.login(username, password)
        ftp.close()


def test_repeated_failures_lock_the_account_until_the_lock_expires_or_the_password_is_reset(ftps: Ftps) -> None:
    alice = ftps.alice
    # Given five wrong passwords (over two connections: the gateway drops a client after three)
    for _ in range(5):
        ftp: ftplib.FTP_TLS = ReusingFTP_TLS(context=tls_context(ftps.certificate), timeout=30)
        ftp.connect("127.0.0.1", ftps.port)
        with pytest.raises(ftplib.error_perm, match="530"):
            ftp.login(alice.username, "wrong-password!")
        ftp.close()

    # Then even the right password is refused while the lock lasts
    with pytest.raises(ftplib.error_perm, match="530"):
        connect(ftps.port, ftps.certificate, username=alice.username, password=alice.password)
    summary = next(u for u in ftps.users.list_users("000001") if u.username == alice.username)
    assert summary.locked_until is not None

    # And after 15 minutes the right password works again
    ftps.clock.advance(minutes=15, seconds=1)
    with logged_in(ftps.port, ftps.certificate, username=alice.username, password=alice.password) as ftp:
        assert ftp.pwd() == "/"

    # And an administrator's password reset also lifts a lock
    for _ in range(5):
        with pytest.raises(ftplib.error_perm):
            connect(ftps.port, ftps.certificate, username=alice.username, password="wrong-password!")
    reset = ftps.users.reset_password(environment="000001", username=alice.username)
    assert reset.password
    with logged_in(ftps.port, ftps.certificate, username=alice.username, password=reset.password) as ftp:
        assert ftp.pwd() == "/"


def test_plain_ftp_is_refused(ftps: Ftps) -> None:
    ftp = ftplib.FTP(timeout=30)
    ftp.connect("127.0.0.1", ftps.port)
    with pytest.raises(ftplib.error_perm, match="SSL/TLS required"):
        ftp.login(ftps.alice.username, ftps.alice.password)
    ftp.close()


def test_clear_data_channel_is_refused(ftps: Ftps) -> None:
    ftp = ReusingFTP_TLS(context=tls_context(ftps.certificate), timeout=30)
    ftp.connect("127.0.0.1", ftps.port)
    ftp.login(ftps.alice.username, ftps.alice.password)
    # Without PROT P no data connection is offered, and PROT C is refused outright
    with pytest.raises(ftplib.error_perm, match="SSL/TLS required on the data channel"):
        ftp.nlst("/")
    with pytest.raises(ftplib.error_perm, match="534"):
        ftp.prot_c()
    ftp.close()


def test_data_connection_without_tls_session_reuse_is_refused(ftps: Ftps) -> None:
    # Given stock ftplib, which starts a fresh TLS session on every data connection
    ftp = connect(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password,
                  client=ftplib.FTP_TLS)
    # When it lists or uploads, the gateway refuses the data connection and nothing is stored
    with pytest.raises((ftplib.error_perm, ftplib.error_temp, ssl.SSLError, OSError)) as refused:
        ftp.storbinary("STOR /Uploads/Imp/x.csv", io.BytesIO(b"x" * 1000))
    if isinstance(refused.value, ftplib.Error):
        assert str(refused.value).startswith("522")
    ftp.close()
    assert ftps.bucket.keys() == []


@pytest.mark.parametrize("path", [
    "../000002/Uploads",
    "/../000002/Uploads",
    "/Uploads/../../000002/Uploads",
    "/environments/000002/Uploads",
    "environments/000002",
    "%2e%2e/000002",
    "/Uploads/%2E%2E/%2e%2e/000002",
    "..%2f000002",
    "..\\000002",
    "\uff0e\uff0e/000002",
    "/Uploads/Imp\x00/../../000002",
])
def test_paths_into_another_environment_are_refused(ftps: Ftps, path: str) -> None:
    # Given bob's (000002) file
    ftps.bucket.put("environments/000002/Uploads/Imp/secret.csv", b"bob's prices")
    ftps.bucket.created_events()
    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        # When alice tries to reach it by CWD, LIST, RETR, STOR or DELE
        with pytest.raises(ftplib.error_perm, match=r"^550"):
            ftp.cwd(path)
        with pytest.raises(ftplib.error_perm, match=r"^550"):
            ftp.nlst(path)
        with pytest.raises(ftplib.error_perm, match=r"^550"):
            _download(ftp, f"{path}/Imp/secret.csv")
        with pytest.raises(ftplib.error_perm, match=r"^550"):
            ftp.storbinary(f"STOR {path}/Imp/planted.csv", io.BytesIO(b"x"))
        with pytest.raises(ftplib.error_perm, match=r"^550"):
            ftp.delete(f"{path}/Imp/secret.csv")
        assert ftp.pwd() == "/"

    # Then bob's environment is untouched and nothing was written anywhere
    assert ftps.bucket.keys() == ["environments/000002/Uploads/Imp/secret.csv"]
    assert ftps.bucket.created_events() == []


def test_archived_and_downloads_are_read_only(ftps: Ftps) -> None:
    ftps.bucket.put("environments/000001/Archived/Imp/2026-01.csv", b"old")
    ftps.bucket.put("environments/000001/Downloads/Export/feed.json", b"{}")
    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        assert _download(ftp, "/Archived/Imp/2026-01.csv") == b"old"
        refused = [
            lambda: ftp.storbinary("STOR /Archived/Imp/new.csv", io.BytesIO(b"x")),
            lambda: ftp.storbinary("STOR /Downloads/Export/new.json", io.BytesIO(b"x")),
            lambda: ftp.delete("/Archived/Imp/2026-01.csv"),
            lambda: ftp.rename("/Archived/Imp/2026-01.csv", "/Archived/Imp/renamed.csv"),
            lambda: ftp.rename("/Uploads/Imp/any.csv", "/Archived/Imp/any.csv"),
            lambda: ftp.mkd("/Archived/New"),
            lambda: ftp.mkd("/New top folder"),
            lambda: ftp.rmd("/Uploads"),
            lambda: ftp.storbinary("STOR /Uploads/loose-file.csv", io.BytesIO(b"x")),  # needs an import folder
        ]
        for attempt in refused:
            with pytest.raises(ftplib.error_perm, match=r"^550"):
                attempt()

    assert sorted(ftps.bucket.keys()) == ["environments/000001/Archived/Imp/2026-01.csv",
                                          "environments/000001/Downloads/Export/feed.json"]


def test_upload_resume_and_append_are_refused(ftps: Ftps) -> None:
    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        with pytest.raises(ftplib.error_perm, match=r"^554"):
            ftp.storbinary("STOR /Uploads/Imp/a.csv", io.BytesIO(b"x"), rest=10)
        with pytest.raises(ftplib.error_perm, match=r"^500"):
            ftp.storbinary("APPE /Uploads/Imp/a.csv", io.BytesIO(b"x"))
    assert ftps.bucket.keys() == []


# --- uploads appear only when complete -------------------------------------------------------------


def test_a_large_upload_is_invisible_until_complete(ftps: Ftps) -> None:
    key = "environments/000001/Uploads/Imp/big.csv"
    seen: dict[str, object] = {}

    def look_while_uploading() -> None:
        # Parts are already in S3 (a multipart upload is under way) but no object and no event exist yet
        wait_until(lambda: key in ftps.bucket.multipart_uploads(), message="the multipart upload to start")
        seen["keys"] = ftps.bucket.keys()
        seen["events"] = ftps.bucket.created_events()

    source = GeneratedFile(30 * MiB, pause_at=24 * MiB, on_pause=look_while_uploading)
    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        reply = ftp.storbinary("STOR /Uploads/Imp/big.csv", source, blocksize=256 * 1024)

    assert reply.startswith("226")
    assert seen == {"keys": [], "events": []}
    expected = hashlib.sha256(b"".join(GeneratedFile(30 * MiB).expected())).hexdigest()
    assert hashlib.sha256(ftps.bucket.read(key)).hexdigest() == expected
    assert ftps.bucket.multipart_uploads() == []
    assert {k for _, k in ftps.bucket.created_events()} == {key}


def test_an_upload_cut_off_without_tls_close_notify_is_discarded(ftps: Ftps) -> None:
    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        data = ftp.transfercmd("STOR /Uploads/Imp/cut.csv")
        data.sendall(b"y" * (12 * MiB))
        # The connection is cut: TCP FIN without a TLS close_notify, as when a client or a network dies
        raw = socket.socket(fileno=data.detach())
        raw.shutdown(socket.SHUT_RDWR)
        raw.close()
        with pytest.raises((ftplib.error_temp, ftplib.error_perm), match=r"^426"):
            ftp.voidresp()

    wait_until(lambda: ftps.bucket.multipart_uploads() == [], message="the multipart upload to be aborted")
    assert ftps.bucket.keys() == []
    assert ftps.bucket.created_events() == []


def test_an_aborted_upload_is_discarded(ftps: Ftps) -> None:
    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        data = ftp.transfercmd("STOR /Uploads/Imp/aborted.csv")
        data.sendall(b"z" * (12 * MiB))
        wait_until(lambda: ftps.bucket.multipart_uploads() != [], message="the multipart upload to start")
        ftp.abort()
        data.close()

    wait_until(lambda: ftps.bucket.multipart_uploads() == [], message="the multipart upload to be aborted")
    assert ftps.bucket.keys() == []
    assert ftps.bucket.created_events() == []


def test_a_client_that_disappears_mid_upload_leaves_nothing(ftps: Ftps) -> None:
    ftp = connect(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password)
    data = ftp.transfercmd("STOR /Uploads/Imp/vanished.csv")
    data.sendall(b"v" * (12 * MiB))
    wait_until(lambda: ftps.bucket.multipart_uploads() != [], message="the multipart upload to start")
    # Both connections drop at once
    assert ftp.sock is not None
    for connection in (data, ftp.sock):
        raw = socket.socket(fileno=connection.detach())
        raw.close()

    wait_until(lambda: ftps.bucket.multipart_uploads() == [], message="the multipart upload to be aborted")
    assert ftps.bucket.keys() == []
    assert ftps.bucket.created_events() == []
