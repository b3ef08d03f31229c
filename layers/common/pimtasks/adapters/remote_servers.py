"""Uploads to remote servers for exports: FTPS (stdlib ``ftplib``, explicit TLS), SFTP (paramiko) and an HTTPS
upload endpoint (``requests``: one multipart POST with basic auth, Export Artikelbeheer.nl).

FTPS and SFTP write ``.<name>.part`` first and rename it to ``<name>`` when the upload is complete, so whoever
picks files up from the directory never reads half a file. Trust is explicit: an SFTP server's host key must
match the pinned key of the settings (never trust on first use); an FTPS server's certificate is pinned by its
SHA-256, or else verified against the system's CAs for the host name; HTTPS certificates are verified against
the system's CAs. Every failure becomes ``RemoteTransferError`` naming the host and what the server said.
"""

from __future__ import annotations

import base64
import contextlib
import ftplib
import hashlib
import posixpath
import socket
import ssl
from pathlib import Path
from typing import Any

from pimtasks.domain.task_types import ExportArtikelbeheerSettings, RemoteTarget
from pimtasks.services.export_ports import RemoteTransferError


def temporary_name(name: str) -> str:
    return f".{name}.part"


def _where(target: RemoteTarget, port: int) -> str:
    return f"{target.protocol}://{target.host}:{port}"


# --- FTPS ----------------------------------------------------------------------------------------


class ReusingFTP_TLS(ftplib.FTP_TLS):
    """ftplib's FTPS client, resuming the control connection's TLS session on every data connection.

    ftplib does not do that by default; servers that require it (AWS Transfer Family, vsftpd with
    ``require_ssl_reuse``, the local FTPS gateway) refuse its data connections otherwise.
    """

    def ntransfercmd(self, cmd: str, rest: int | str | None = None) -> tuple[socket.socket, int | None]:
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)  # noqa: S321 (wrapped in TLS below)
        if self._prot_p:  # type: ignore[attr-defined]
            assert isinstance(self.sock, ssl.SSLSocket)
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size


def _normalized_fingerprint(text: str) -> str:
    return text.replace(":", "").lower()


class FtpsUploader:
    def __init__(self, *, target: RemoteTarget, password: str) -> None:
        self._target = target
        self._password = password
        self._port = target.port or 21
        self._ftp: ReusingFTP_TLS | None = None

    def __enter__(self) -> FtpsUploader:
        target = self._target
        context = ssl.create_default_context()
        if target.certificate_sha256:
            # Pinned: the certificate is checked by its digest below, not by a CA.
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        ftp = ReusingFTP_TLS(context=context, timeout=target.timeout_seconds)
        try:
            ftp.connect(target.host, self._port)
            ftp.auth()
            self._check_pin(ftp)
            ftp.login(target.username, self._password)
            ftp.prot_p()
        except ftplib.all_errors as failure:
            ftp.close()
            raise RemoteTransferError(f"{_where(target, self._port)}: {_reply(failure)}") from failure
        self._ftp = ftp
        return self

    def _check_pin(self, ftp: ReusingFTP_TLS) -> None:
        pinned = self._target.certificate_sha256
        if not pinned:
            return
        assert isinstance(ftp.sock, ssl.SSLSocket)
        der = ftp.sock.getpeercert(binary_form=True) or b""
        seen = hashlib.sha256(der).hexdigest()
        if seen != _normalized_fingerprint(pinned):
            raise ssl.SSLError(f"the server certificate (SHA-256 {seen}) is not the pinned one")

    def __exit__(self, *exc: object) -> None:
        if self._ftp is not None:
            with contextlib.suppress(*ftplib.all_errors):
                self._ftp.quit()
            self._ftp.close()
            self._ftp = None

    def upload(self, *, local: Path, directory: str, name: str) -> None:
        assert self._ftp is not None
        temporary = posixpath.join(directory, temporary_name(name))
        final = posixpath.join(directory, name)
        try:
            with local.open("rb") as stream:
                self._ftp.storbinary(f"STOR {temporary}", stream, blocksize=1 << 16)
            with contextlib.suppress(ftplib.error_perm):
                self._ftp.delete(final)  # RNTO onto an existing name fails on some servers
            self._ftp.rename(temporary, final)
        except ftplib.all_errors as failure:
            raise RemoteTransferError(f"{_where(self._target, self._port)}: writing {final}: "
                                      f"{_reply(failure)}") from failure


def _reply(failure: BaseException) -> str:
    """What the server said (an FTP reply such as ``530 Login incorrect.``) or what went wrong on the way."""
    text = str(failure).strip()
    if isinstance(failure, TimeoutError | socket.timeout):
        return f"no answer in time ({text or 'timed out'})"
    return text or type(failure).__name__


# --- SFTP ----------------------------------------------------------------------------------------


def host_key_matches(pinned: str, key_type: str, key_bytes: bytes) -> bool:
    """Whether a server key matches ``pinned``: ``SHA256:<base64>`` (as ``ssh-keygen -lf`` prints) or an OpenSSH
    public key line (``ssh-ed25519 AAAA... [comment]``)."""
    pinned = pinned.strip()
    if pinned.startswith("SHA256:"):
        digest = base64.b64encode(hashlib.sha256(key_bytes).digest()).decode().rstrip("=")
        return pinned.removeprefix("SHA256:").rstrip("=") == digest
    parts = pinned.split()
    return len(parts) >= 2 and parts[0] == key_type and parts[1] == base64.b64encode(key_bytes).decode()


class SftpUploader:
    def __init__(self, *, target: RemoteTarget, password: str) -> None:
        self._target = target
        self._password = password
        self._port = target.port or 22
        self._transport: Any = None
        self._sftp: Any = None

    def __enter__(self) -> SftpUploader:
        import paramiko  # type: ignore[import-untyped]  # only an export with an SFTP remote needs it

        target = self._target
        try:
            sock = socket.create_connection((target.host, self._port), timeout=target.timeout_seconds)
            transport = paramiko.Transport(sock)
            self._transport = transport
            transport.banner_timeout = target.timeout_seconds
            transport.start_client(timeout=target.timeout_seconds)
            key = transport.get_remote_server_key()
            if not host_key_matches(target.host_key or "", key.get_name(), key.asbytes()):
                fingerprint = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
                raise RemoteTransferError(f"{_where(target, self._port)}: the server's host key ({key.get_name()} "
                                          f"SHA256:{fingerprint}) is not the pinned host_key; nothing was sent")
            transport.auth_password(target.username, self._password)
            self._sftp = paramiko.SFTPClient.from_transport(transport)
            self._sftp.get_channel().settimeout(target.timeout_seconds)
        except RemoteTransferError:
            self.__exit__()
            raise
        except (OSError, EOFError, paramiko.SSHException) as failure:
            self.__exit__()
            raise RemoteTransferError(f"{_where(target, self._port)}: {_reply(failure)}") from failure
        return self

    def __exit__(self, *exc: object) -> None:
        if self._sftp is not None:
            with contextlib.suppress(Exception):
                self._sftp.close()
        if self._transport is not None:
            with contextlib.suppress(Exception):
                self._transport.close()
        self._sftp = self._transport = None

    def upload(self, *, local: Path, directory: str, name: str) -> None:
        import paramiko

        temporary = posixpath.join(directory, temporary_name(name))
        final = posixpath.join(directory, name)
        try:
            self._sftp.put(str(local), temporary, confirm=True)
            try:
                self._sftp.posix_rename(temporary, final)  # atomic replace (OpenSSH extension)
            except OSError:
                with contextlib.suppress(OSError):
                    self._sftp.remove(final)
                self._sftp.rename(temporary, final)
        except (OSError, EOFError, paramiko.SSHException) as failure:
            raise RemoteTransferError(f"{_where(self._target, self._port)}: writing {final}: "
                                      f"{_reply(failure)}") from failure


# --- HTTPS upload --------------------------------------------------------------------------------

UPLOAD_FIELD = "file"
"""The multipart field that carries the file."""
REPLY_EXCERPT = 300
"""Characters of a refusing server's reply quoted in the failure."""
_RETRYABLE_STATUSES = frozenset({408, 425, 429})


class HttpsUploader:
    """One multipart POST of a file to ``url`` (field ``file``, plus ``fields``) with HTTP basic auth.

    The endpoint takes the file whole or not at all, so there is no temporary name. A 2xx reply is success; 5xx,
    408/425/429 and network failures are worth another try; any other reply (401 for a wrong login, 413, 422) is
    final. The failure names the host, the status and what the server wrote back.
    """

    def __init__(self, *, url: str, username: str, password: str, timeout_seconds: float,
                 fields: dict[str, str] | None = None) -> None:
        self._url = url
        self._auth = (username, password)
        self._timeout = timeout_seconds
        self._fields = dict(fields or {})
        self._session: Any = None

    def __enter__(self) -> HttpsUploader:
        import requests  # type: ignore[import-untyped, unused-ignore]  # only an HTTPS delivery needs it

        self._session = requests.Session()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def upload(self, *, local: Path, directory: str, name: str) -> None:
        import requests

        assert self._session is not None
        try:
            with local.open("rb") as stream:
                reply = self._session.post(self._url, auth=self._auth, data=self._fields, timeout=self._timeout,
                                           files={UPLOAD_FIELD: (name, stream, "application/json")})
        except requests.Timeout as failure:
            raise RemoteTransferError(f"{self._url}: no answer in time ({failure})") from failure
        except requests.RequestException as failure:
            raise RemoteTransferError(f"{self._url}: {failure}") from failure
        if 200 <= reply.status_code < 300:
            return
        text = " ".join(reply.text.split())[:REPLY_EXCERPT]
        retryable = reply.status_code >= 500 or reply.status_code in _RETRYABLE_STATUSES
        raise RemoteTransferError(f"{self._url}: HTTP {reply.status_code} {reply.reason}"
                                  + (f": {text}" if text else ""), retryable=retryable)


def artikelbeheer_uploader(settings: ExportArtikelbeheerSettings, password: str) -> HttpsUploader:
    """The HTTPS upload of an Export Artikelbeheer.nl task: its ``upload_url`` and basic auth, the supplier's GLN
    as form field ``supplier_gln`` beside the file."""
    assert settings.username is not None and settings.upload_url is not None  # required for https
    return HttpsUploader(url=str(settings.upload_url), username=settings.username, password=password,
                         timeout_seconds=settings.timeout_seconds, fields={"supplier_gln": settings.supplier_gln})


def remote_uploader(target: RemoteTarget, password: str) -> FtpsUploader | SftpUploader:
    """The uploader for the target's protocol (connects on ``with``)."""
    if target.protocol == "sftp":
        return SftpUploader(target=target, password=password)
    return FtpsUploader(target=target, password=password)
