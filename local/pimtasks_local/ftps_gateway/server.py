"""Starting and stopping the local FTPS gateway (``start_ftps_gateway``), in a background thread.

The server is pyftpdlib's threaded server: one thread per client connection, because S3 and the login
(a deliberately slow password hash) block; the accepting loop runs in the gateway's own thread.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import ThreadedFTPServer

from pimtasks_local.ftps_gateway.filesystem import StorageSettings
from pimtasks_local.ftps_gateway.handler import FtpsAuthenticator, FtpsUserAuthorizer, GatewayFtpHandler
from pimtasks_local.ftps_gateway.import_folders import ImportFolderCache, ImportFolderLookup
from pimtasks_local.ftps_gateway.s3_objects import DEFAULT_PART_SIZE, DEFAULT_PARTS_IN_FLIGHT
from pimtasks_local.ftps_gateway.tls import TlsMaterial, load_or_create_certificate, session_reuse_check_available

LOGGER = logging.getLogger("pimtasks_local.ftps_gateway")
_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class GatewayOptions:
    """Tunables; the defaults are the secure ones."""

    part_size: int = DEFAULT_PART_SIZE
    parts_in_flight: int = DEFAULT_PARTS_IN_FLIGHT
    require_tls_session_reuse: bool = True
    require_tls_close_notify: bool = True
    max_connections: int = 64
    max_connections_per_ip: int = 16
    max_login_attempts: int = 3
    idle_timeout_seconds: int = 300
    masquerade_address: str | None = None
    extra_hostnames: tuple[str, ...] = field(default=())
    # The environment's imports and the upload channels each accepts (environment -> ImportFolders): writes
    # below Uploads/ go only into imports with ftps_upload on, whose folders exist from the start, before any
    # file was delivered (S3 only has folders that hold objects). None: no import rules (transport tests).
    import_folders: ImportFolderLookup | None = None
    # How long an environment's imports are reused before the tasks are read again (see import_folders.py).
    import_folders_ttl_seconds: float = 5.0


class _GatewayServer(ThreadedFTPServer):
    """pyftpdlib's threaded server with its own IO loop, stop event and lock (upstream they are process-wide,
    so stopping one server would stop every other one in the process)."""

    def __init__(self, address: tuple[str, int], handler: type[GatewayFtpHandler]) -> None:
        self._exit = threading.Event()
        self._lock = threading.Lock()
        super().__init__(address, handler, ioloop=IOLoop())


class FtpsGateway:
    """A running gateway: ``port`` is the control port actually bound; ``stop()`` ends every session."""

    def __init__(self, *, server: _GatewayServer, tls: TlsMaterial, passive_ports: range) -> None:
        self.host, self.port = server.address[:2]
        self.passive_ports = passive_ports
        self.certificate_path = tls.certificate_path
        self._server = server
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"ftps-gateway-{self.port}", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            while not self._stopping.is_set():
                self._server.serve_forever(timeout=_POLL_SECONDS, blocking=False, handle_exit=False)
        finally:
            # Closing ends the sessions; their unfinished uploads are aborted, never published.
            self._server.close_all()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop accepting, disconnect every client and wait for the server thread."""
        self._stopping.set()
        self._thread.join(timeout)
        LOGGER.info("ftps gateway stopped", extra={"port": self.port})

    def __enter__(self) -> FtpsGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_ftps_gateway(*, host: str, port: int, passive_ports: range, bucket: str, s3_client: Any,
                       user_service: FtpsAuthenticator, state_dir: Path,
                       options: GatewayOptions | None = None) -> FtpsGateway:
    """Start the FTPS gateway in a background thread and return its handle.

    ``port`` 0 picks a free port (read it from ``.port``). The self-signed certificate is kept in
    ``state_dir`` (``FtpsGateway.certificate_path``) and reused while valid. ``user_service`` is the
    ``FtpsUserService`` (only its ``authenticate`` is used).
    """
    options = options or GatewayOptions()
    if options.require_tls_session_reuse and not session_reuse_check_available():
        raise RuntimeError("this pyOpenSSL cannot tell resumed TLS sessions; "
                           "set GatewayOptions(require_tls_session_reuse=False) to run without the check")
    if not passive_ports:
        raise ValueError("passive_ports must name at least one port")
    _quiet_pyftpdlib()
    tls = load_or_create_certificate(state_dir, hostnames=("localhost", "127.0.0.1", host, *options.extra_hostnames))
    handler = _handler_class(bucket=bucket, s3_client=s3_client, user_service=user_service, tls=tls,
                             passive_ports=passive_ports, options=options)
    server = _GatewayServer((host, port), handler)
    server.max_cons = options.max_connections
    server.max_cons_per_ip = options.max_connections_per_ip
    gateway = FtpsGateway(server=server, tls=tls, passive_ports=passive_ports)
    LOGGER.info("ftps gateway started", extra={"host": gateway.host, "port": gateway.port, "bucket": bucket,
                                               "passive_ports": f"{passive_ports.start}-{passive_ports.stop - 1}"})
    return gateway


def _handler_class(*, bucket: str, s3_client: Any, user_service: FtpsAuthenticator, tls: TlsMaterial,
                   passive_ports: range, options: GatewayOptions) -> type[GatewayFtpHandler]:
    """A handler subclass carrying this server's settings (pyftpdlib configures handlers by class attribute)."""
    imports = (ImportFolderCache(options.import_folders, ttl_seconds=options.import_folders_ttl_seconds)
               if options.import_folders else None)
    attributes: dict[str, Any] = {
        "tls": tls,
        "storage": StorageSettings(s3=s3_client, bucket=bucket, part_size=options.part_size,
                                   parts_in_flight=options.parts_in_flight, import_folders=imports),
        "authorizer": FtpsUserAuthorizer(user_service),
        "passive_ports": list(passive_ports),
        "masquerade_address": options.masquerade_address,
        "require_tls_session_reuse": options.require_tls_session_reuse,
        "require_tls_close_notify": options.require_tls_close_notify,
        "max_login_attempts": options.max_login_attempts,
        "timeout": options.idle_timeout_seconds,
        "ssl_context": None,
    }
    return type("PimtasksFtpsHandler", (GatewayFtpHandler,), attributes)


def _quiet_pyftpdlib() -> None:
    """pyftpdlib configures the root of logging itself when nobody did; keep it to its own logger."""
    ftpd = logging.getLogger("pyftpdlib")
    if not ftpd.handlers:
        ftpd.addHandler(logging.NullHandler())
    if ftpd.level == logging.NOTSET:
        ftpd.setLevel(logging.WARNING)
