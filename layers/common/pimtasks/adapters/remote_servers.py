"""Uploads to remote servers for exports: FTPS (stdlib ``ftplib``, explicit TLS) and SFTP (paramiko).

Both write ``.<name>.part`` first and rename it to ``<name>`` when the upload is complete, so whoever picks files
up from the directory never reads half a file. Trust is explicit: an SFTP server's host key must match the pinned
key of the settings (never trust on first use); an FTPS server's certificate is pinned by its SHA-256, or else
verified against the system's CAs for the host name. Every failure becomes ``RemoteTransferError`` naming the
host and what the server said.
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

from pimtasks.domain.task_types import RemoteTarget
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


def remote_uploader(target: RemoteTarget, password: str) -> FtpsUploader | SftpUploader:
    """The uploader for the target's protocol (connects on ``with``)."""
    if target.protocol == "sftp":
        return SftpUploader(target=target, password=password)
    return FtpsUploader(target=target, password=password)
