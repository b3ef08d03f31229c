"""The FTPS protocol side of the gateway: login through the FTPS user service, TLS everywhere, and the
rules that decide when an upload is published.

- Control channel: explicit TLS (``AUTH TLS``) before ``USER``/``PASS``; plain FTP is refused.
- Data channel: ``PROT P`` before ``PASV``/``EPSV``/``PORT``; ``PROT C`` is refused; the data connection's
  TLS handshake must resume the control connection's session (``522`` otherwise).
- Logins are ``FtpsUserService.authenticate``; a refusal is answered after the delay the service names
  (without blocking other sessions), and the connection is dropped after ``max_login_attempts``.
- An upload is published (``S3UploadWriter.commit``) only when the data connection ended with a TLS
  close_notify, i.e. the client really finished; an ``ABOR``, a dropped connection, a TCP FIN without
  close_notify (a truncation) or a storage error aborts it and nothing appears in S3.
- An upload under a temporary name (``x.part``) is stored like any other, and its ``226`` says that only
  its rename is imported (``pimtasks.services.import_files``).
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Protocol

from OpenSSL import SSL
from pimtasks.domain.ftps_user import FtpsLogin
from pimtasks.services.ftps_users import FtpsLoginFailedError
from pimtasks.services.import_files import TEMPORARY_UPLOAD_GRACE_SECONDS, is_transient_name
from pyftpdlib.authorizers import AuthenticationFailed
from pyftpdlib.handlers import TLS_DTPHandler, TLS_FTPHandler
from pyftpdlib.log import logger as pyftpdlib_logger

from pimtasks_local.ftps_gateway.filesystem import RefusedPath, S3FileSystem, StorageSettings
from pimtasks_local.ftps_gateway.paths import PathRefusedError, parse_virtual
from pimtasks_local.ftps_gateway.s3_objects import S3UploadWriter, StorageError
from pimtasks_local.ftps_gateway.tls import TlsMaterial, tls_session_reused

LOGGER = logging.getLogger("pimtasks_local.ftps_gateway")

_READ_PERMS = frozenset("elr")  # CWD/CDUP, LIST/NLST/MLSD/MLST/SIZE/MDTM/STAT, RETR
_WRITE_PERMS = frozenset("dfmw")  # DELE/RMD, RNFR/RNTO, MKD, STOR
# Commands that make no sense on S3 or that we do not want to offer.
_REMOVED_COMMANDS = ("APPE", "STOU", "SITE CHMOD", "MFMT", "ALLO")


class FtpsAuthenticator(Protocol):
    """What the gateway needs of ``pimtasks.services.ftps_users.FtpsUserService``."""

    def authenticate(self, *, username: str, password: str, source_ip: str) -> FtpsLogin: ...


class FtpsUserAuthorizer:
    """pyftpdlib's authorizer interface: logins via the FTPS user service, write access only in Uploads."""

    def __init__(self, users: FtpsAuthenticator) -> None:
        self._users = users

    def authenticate(self, *, username: str, password: str, source_ip: str) -> FtpsLogin:
        return self._users.authenticate(username=username, password=password, source_ip=source_ip)

    def validate_authentication(self, username: str, password: str, handler: Any) -> None:
        # pyftpdlib's own PASS flow is replaced by GatewayFtpHandler.ftp_PASS; never succeed through it.
        raise AuthenticationFailed("authentication failed")

    def has_user(self, username: str) -> bool:
        return False

    def has_perm(self, username: str, perm: str, path: str | None = None) -> bool:
        if perm in _READ_PERMS:
            return True
        if perm not in _WRITE_PERMS or path is None or isinstance(path, RefusedPath):
            return False
        try:
            return parse_virtual(path).in_writable_folder
        except PathRefusedError:
            return False

    def get_perms(self, username: str) -> str:
        return "elrdfmw"

    def get_home_dir(self, username: str) -> str:
        raise AuthenticationFailed("home directories come from the login")

    def get_msg_login(self, username: str) -> str:
        return "Logged in. Upload into /Uploads/<Import>/; /Archived and /Downloads are read-only."

    def get_msg_quit(self, username: str) -> str:
        return "Goodbye."

    def impersonate_user(self, username: str, password: str) -> None:
        """Nothing to impersonate: every session acts through the gateway's own S3 client."""

    def terminate_impersonation(self, username: str) -> None:
        """See ``impersonate_user``."""


class GatewayDtpHandler(TLS_DTPHandler):
    """The data channel: refuses TLS sessions that were not resumed, publishes or aborts uploads."""

    # pyftpdlib's attributes this class reads and writes (declared for the type checker).
    cmd_channel: GatewayFtpHandler
    file_obj: Any
    receive: bool
    transfer_finished: bool
    _resp: tuple[str, Any] | tuple[()]
    _ssl_accepting: bool

    _close_when_established = False

    def handle_ssl_established(self) -> None:
        if self.cmd_channel.require_tls_session_reuse and not tls_session_reused(self.socket):
            LOGGER.warning("data connection refused: TLS session not resumed",
                           extra={"source_ip": self.cmd_channel.remote_ip})
            self.cmd_channel.respond("522 Data connection must reuse the TLS session of the control connection.")
            self.close()
            return
        if self._close_when_established:
            self.handle_close()

    def send(self, data: bytes) -> int:
        if not data:
            # pyOpenSSL reports a zero-byte write as "Unexpected EOF", and pyftpdlib then drops the data
            # connection mid-handshake (an empty listing did that): there is nothing to send anyway.
            return 0
        return int(super().send(data))

    def handle_close(self) -> None:
        if self._ssl_accepting and not self.receive:
            # Everything to send is already queued (an empty listing or file) while the TLS handshake is
            # still running: closing now would cut the handshake and the client would see a broken session
            # instead of an empty transfer. Finish the handshake, then close with a close_notify.
            self._close_when_established = True
            return
        super().handle_close()

    def handle_error(self) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, StorageError):
            super().handle_error()
            return
        LOGGER.warning("transfer failed on storage", extra={"source_ip": self.cmd_channel.remote_ip},
                       exc_info=error)
        self._resp = ("451 Storage error; transfer aborted and nothing was saved. Please retry.",
                      pyftpdlib_logger.warning)
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._finish_upload()
        super().close()

    def _finish_upload(self) -> None:
        writer = self.file_obj
        if not (self.receive and isinstance(writer, S3UploadWriter)) or writer.closed:
            return
        if self.transfer_finished and not self._ended_with_close_notify():
            self.transfer_finished = False
            self._resp = ("426 Upload ended without a TLS close_notify (connection cut?); nothing was saved.",
                          pyftpdlib_logger.warning)
        if not self.transfer_finished:
            writer.abort()
            LOGGER.info("ftps upload discarded", extra={"key": writer.key, "bytes": writer.bytes_written})
            return
        try:
            writer.commit()
        except StorageError:
            LOGGER.warning("ftps upload could not be stored", extra={"key": writer.key}, exc_info=True)
            self.transfer_finished = False
            self._resp = ("451 Upload could not be stored; nothing was saved. Please retry.",
                          pyftpdlib_logger.warning)
            return
        LOGGER.info("ftps upload stored", extra={"key": writer.key, "bytes": writer.bytes_written})
        name = writer.key.rsplit("/", 1)[-1]
        if is_transient_name(name):
            # Accepted (clients upload to a temporary name, then rename), but the client should know that
            # only the rename is imported, and what becomes of the file if the rename never comes.
            minutes = TEMPORARY_UPLOAD_GRACE_SECONDS // 60
            self._resp = (f"226 Transfer complete. {name} has a temporary name: it is imported once renamed "
                          f"(RNFR/RNTO) to its final name; left under this name, its import fails it after "
                          f"{minutes} minutes.", pyftpdlib_logger.info)

    def _ended_with_close_notify(self) -> bool:
        if not self.cmd_channel.require_tls_close_notify:
            return True
        return isinstance(self.socket, SSL.Connection) and bool(self.socket.get_shutdown() & SSL.RECEIVED_SHUTDOWN)


class GatewayFtpHandler(TLS_FTPHandler):
    """The control channel. ``server.py`` subclasses it per server with the class attributes below set."""

    # pyftpdlib's attributes this class reads and writes (declared for the type checker).
    _current_facts: list[str]
    _available_facts: list[str]
    _restart_position: int
    auth_failed_timeout: float

    # Set per server by server.py.
    tls: TlsMaterial
    storage: StorageSettings
    authorizer: FtpsUserAuthorizer
    require_tls_session_reuse = True
    require_tls_close_notify = True

    dtp_handler = GatewayDtpHandler
    abstracted_fs = S3FileSystem
    tls_control_required = True
    tls_data_required = True
    use_sendfile = False
    permit_foreign_addresses = False
    permit_privileged_ports = False
    max_login_attempts = 3
    banner = "pimtasks FTPS gateway ready. Explicit TLS only: AUTH TLS, then PBSZ 0 and PROT P."
    proto_cmds = {name: spec for name, spec in TLS_FTPHandler.proto_cmds.items() if name not in _REMOVED_COMMANDS}

    def __init__(self, conn: Any, server: Any, ioloop: Any = None) -> None:
        super().__init__(conn, server, ioloop)
        self.environment: str | None = None
        # No inode-based "unique" fact on S3.
        self._current_facts = [fact for fact in self._current_facts if fact in ("type", "perm", "size", "modify")]
        self._available_facts = list(self._current_facts)

    @classmethod
    def get_ssl_context(cls) -> SSL.Context:
        # Called once per control connection (TLS_FTPHandler.__init__): a context of its own, see tls.py.
        return cls.tls.new_context()

    def ftp_PROT(self, line: str) -> None:
        if line.strip().upper() == "C" and self.tls_data_required:
            self.respond("534 Clear data connections are refused; use PROT P.")
            return
        super().ftp_PROT(line)

    def ftp_PASS(self, line: str) -> None:
        if self.authenticated:
            self.respond("503 User already authenticated.")
            return
        if not self.username:
            self.respond("503 Login with USER first.")
            return
        try:
            login = self.authorizer.authenticate(username=self.username, password=line, source_ip=self.remote_ip)
        except FtpsLoginFailedError as refused:
            # pyftpdlib waits this long (on the IO loop, not blocking it) before answering 530.
            self.auth_failed_timeout = refused.delay_seconds
            self.handle_auth_failed("Authentication failed.", "")
            return
        self.environment = login.environment
        self.handle_auth_success(login.environment, "", self.authorizer.get_msg_login(self.username))

    def ftp_STOR(self, file: str, mode: str = "w") -> Any:
        if self._restart_position:
            self._restart_position = 0
            self.respond("554 Resuming uploads is not supported; upload the whole file again.")
            return None
        return super().ftp_STOR(file, mode)
