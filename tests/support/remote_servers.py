"""Real FTPS and SFTP servers on 127.0.0.1 (free ports), each serving a local directory, for export delivery
tests: pyftpdlib's TLS handler (explicit FTPS, protected data channel required) and a paramiko SFTP server with
an Ed25519 host key and password logins."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import TLS_FTPHandler
from pyftpdlib.servers import FTPServer

from tests.integration.ftps.harness import free_port_range


@dataclass
class RunningServer:
    port: int
    root: Path
    username: str
    password: str
    pin: str
    """FTPS: the certificate's SHA-256 (hex); SFTP: the host key as ``SHA256:<base64>``."""
    logins: list[str]


@contextlib.contextmanager
def ftps_server(root: Path, *, state_dir: Path, username: str = "exports",
                password: str = "s3cret") -> Iterator[RunningServer]:
    from pimtasks_local.ftps_gateway.tls import load_or_create_certificate

    material = load_or_create_certificate(state_dir, hostnames=["127.0.0.1", "localhost"])
    logins: list[str] = []

    class Handler(TLS_FTPHandler):
        certfile = str(material.certificate_path)
        keyfile = str(material.key_path)
        tls_control_required = True
        tls_data_required = True
        passive_ports = free_port_range(8)

        def on_login(self, user: str) -> None:
            logins.append(user)

    authorizer = DummyAuthorizer()
    authorizer.add_user(username, password, str(root), perm="elradfmw")
    Handler.authorizer = authorizer
    server = FTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.2}, daemon=True)
    thread.start()
    from cryptography.hazmat.primitives.serialization import Encoding

    pin = hashlib.sha256(material.certificate.public_bytes(Encoding.DER)).hexdigest()
    try:
        yield RunningServer(port=server.address[1], root=root, username=username, password=password, pin=pin,
                            logins=logins)
    finally:
        server.close_all()
        thread.join(timeout=5)


class _Sftp(paramiko.SFTPServerInterface):
    """Serves ``ROOT`` (set per server class) with the operations an upload uses."""

    ROOT: Path

    def _local(self, path: str) -> Path:
        return self.ROOT / path.lstrip("/")

    def _stat(self, path: Path) -> Any:
        try:
            return paramiko.SFTPAttributes.from_stat(os.stat(path))
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)

    def stat(self, path: str) -> Any:
        return self._stat(self._local(path))

    lstat = stat

    def list_folder(self, path: str) -> Any:
        local = self._local(path)
        return [paramiko.SFTPAttributes.from_stat(os.stat(local / name), filename=name)
                for name in os.listdir(local)]

    def open(self, path: str, flags: int, attr: Any) -> Any:
        mode = "wb" if flags & os.O_WRONLY else "rb"
        handle = paramiko.SFTPHandle(flags)
        stream = open(self._local(path), mode)  # noqa: SIM115 (the handle closes it)
        handle.readfile = stream if mode == "rb" else None
        handle.writefile = stream if mode == "wb" else None
        return handle

    def remove(self, path: str) -> int:
        try:
            self._local(path).unlink()
        except OSError as error:
            return paramiko.SFTPServer.convert_errno(error.errno)
        return paramiko.SFTP_OK

    def rename(self, oldpath: str, newpath: str) -> int:
        if self._local(newpath).exists():
            return paramiko.SFTP_FAILURE  # plain SFTP v3 rename never replaces
        self._local(oldpath).rename(self._local(newpath))
        return paramiko.SFTP_OK

    def posix_rename(self, oldpath: str, newpath: str) -> int:
        os.replace(self._local(oldpath), self._local(newpath))
        return paramiko.SFTP_OK


class _Logins(paramiko.ServerInterface):
    def __init__(self, username: str, password: str, logins: list[str]) -> None:
        self._username, self._password, self._logins = username, password, logins

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_auth_password(self, username: str, password: str) -> int:
        if (username, password) == (self._username, self._password):
            self._logins.append(username)
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


@contextlib.contextmanager
def sftp_server(root: Path, *, username: str = "exports", password: str = "s3cret") -> Iterator[RunningServer]:
    import base64

    host_key = paramiko.Ed25519Key.from_private_key_file(str(_ed25519_key(root.parent / "sftp_host_key")))
    served = type("Served", (_Sftp,), {"ROOT": root})
    logins: list[str] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stopping = threading.Event()
    transports: list[paramiko.Transport] = []

    def serve() -> None:
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            transport = paramiko.Transport(connection)
            transports.append(transport)
            transport.add_server_key(host_key)
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, served)
            try:
                transport.start_server(server=_Logins(username, password, logins))
            except (paramiko.SSHException, EOFError, OSError):
                # A client that hangs up during the handshake (one that refuses the host key) must not end the
                # server: its next try would find nobody listening.
                transport.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    pin = "SHA256:" + base64.b64encode(hashlib.sha256(host_key.asbytes()).digest()).decode().rstrip("=")
    try:
        yield RunningServer(port=listener.getsockname()[1], root=root, username=username, password=password,
                            pin=pin, logins=logins)
    finally:
        stopping.set()
        thread.join(timeout=5)
        listener.close()
        for transport in transports:
            transport.close()


def _ed25519_key(path: Path) -> Path:
    """An Ed25519 host key in OpenSSH format (made once per test directory)."""
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key = Ed25519PrivateKey.generate()
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                           serialization.NoEncryption()))
    return path
