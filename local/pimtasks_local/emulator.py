"""The AWS emulator: moto in server mode, in this process, plus what the local stack reads from it.

``Emulator.start()`` serves moto on ``host:port`` (0 picks a free port) and points every boto3 client of
this process at it (``AWS_ENDPOINT_URL``, dummy credentials, region ``eu-west-1``). Because moto runs
in-process, the stack can also read what has no API: the e-mails SES accepted (``mail_outbox``). Every
request passes ``Emulator.gate`` (``request_gate``), which lets the state be saved between requests and
tells when it changed.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import os
import socket
import threading
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from pimtasks_local.request_gate import RequestGate

LOGGER = logging.getLogger(__name__)

REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"
DUMMY_CREDENTIAL = "testing"  # the emulator accepts any credentials; these are not secrets
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30)


def emulator_environment(endpoint_url: str, *, region: str = REGION) -> dict[str, str]:
    """The variables that send boto3 (and so the hosted functions) to the emulator."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIAL,
        "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIAL,
        "AWS_SESSION_TOKEN": DUMMY_CREDENTIAL,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }


def client_factory(endpoint_url: str | None, *, region: str = REGION) -> Callable[[str], Any]:
    """``clients(service)`` -> a cached boto3 client for ``service`` at ``endpoint_url``."""
    session = boto3.session.Session(aws_access_key_id=DUMMY_CREDENTIAL, aws_secret_access_key=DUMMY_CREDENTIAL,
                                    region_name=region)
    cache: dict[str, Any] = {}
    lock = threading.Lock()

    def clients(service: str) -> Any:
        with lock:
            if service not in cache:
                cache[service] = session.client(service, endpoint_url=endpoint_url,
                                                config=_CLIENT_CONFIG)
            return cache[service]

    return clients


class PortInUseError(OSError):
    """A fixed port the stack needs is taken (typically by another running local stack)."""


def ensure_port_free(host: str, port: int, *, what: str) -> None:
    """Raise ``PortInUseError`` naming ``what`` when ``host:port`` cannot be bound (port 0 always can)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortInUseError(exc.errno, f"{host}:{port} for {what} is in use ({exc.strerror}); "
                                 "is another local stack running? Choose other ports or port 0") from exc


class _Untracked(list[Any]):
    """A list that stays empty: what moto's model classes append their instances to, locally."""

    def append(self, item: Any) -> None:
        return None


class _TimestampedMessages(list[Any]):
    """moto's ``sent_messages`` list, noting when each message arrived (moto keeps no timestamp)."""

    def append(self, item: Any) -> None:
        try:
            item.pimtasks_received_at = dt.datetime.now(dt.UTC)
        except AttributeError:
            LOGGER.debug("cannot timestamp SES message of type %s", type(item).__name__)
        super().append(item)


class _MotoServer:
    """moto's WSGI application behind a ``RequestGate``, served by werkzeug on a background thread
    (what ``moto.server.ThreadedMotoServer`` does, with the gate in front)."""

    def __init__(self, *, host: str, port: int) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        from pimtasks_local.request_gate import RequestGate

        self.gate = RequestGate(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(host, port, self.gate, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto-server", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


class Emulator:
    """moto server on a background thread."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 4566, region: str = REGION,
                 account_id: str = ACCOUNT_ID) -> None:
        self._host = host
        self._requested_port = port
        self.region = region
        self.account_id = account_id
        self._server: _MotoServer | None = None

    @property
    def url(self) -> str:
        host, port = self._started().address()
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self._started().address()[1]

    @property
    def gate(self) -> RequestGate:
        """What every request to the emulator passes (``emulator_state``)."""
        return self._started().gate

    def _started(self) -> _MotoServer:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return self._server

    def start(self, environ: MutableMapping[str, str] | None = None) -> Emulator:
        """Serve moto and point this process's boto3 clients at it.

        State restored into moto's backends before this (``EmulatorState.restore``) is served as is.
        """
        from pimtasks_local import moto_presigned_gets, moto_transactions
        from pimtasks_local.dynamodb_atomicity import serialize_item_operations

        moto_transactions.install()  # transactions whose cost does not grow with the table
        moto_presigned_gets.install()  # downloads of a removed file's version, as S3 serves them
        # After the line above, so that the lock also covers a transaction's item backups.
        serialize_item_operations()  # conditional writes must be atomic, as in DynamoDB
        ensure_port_free(self._host, self._requested_port, what="the AWS emulator")
        self._server = _MotoServer(host=self._host, port=self._requested_port)
        self.stop_tracking_model_instances()
        self._server.start()
        (os.environ if environ is None else environ).update(emulator_environment(self.url, region=self.region))
        self.install_mail_timestamps()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def clients(self) -> Callable[[str], Any]:
        return client_factory(self.url, region=self.region)

    # --- reading moto's state in-process ---------------------------------------------------------

    def _ses_backend(self) -> Any:
        from moto.backends import get_backend

        return get_backend("ses")[self.account_id][self.region]

    def install_mail_timestamps(self) -> None:
        """From now on note when each mail arrives (moto keeps no time; a restored outbox keeps its times)."""
        backend = self._ses_backend()
        backend.sent_messages = _TimestampedMessages(backend.sent_messages)

    def mail_outbox(self) -> list[dict[str, Any]]:
        """Every e-mail SES (v1 or v2) accepted, oldest first: from, to, subject, body, timestamp."""
        return [_describe_message(message) for message in list(self._ses_backend().sent_messages)]

    def stop_tracking_model_instances(self) -> int:
        """Keep moto from holding every model object it ever made; returns how many it held.

        moto appends each object of its models to a list on the class (for its reset and its dashboard, which
        the stack never uses), including the copy of an item that every GetItem or Query returns: a
        long-running stack would keep every item it ever read. Classes imported later get a list of their
        own, so the janitor calls this again now and then.
        """
        from moto.core.model_instances import model_data

        released = 0
        for models in list(model_data.values()):
            for model in list(models.values()):
                tracked = getattr(model, "instances_tracked", None)
                if isinstance(tracked, list) and not isinstance(tracked, _Untracked):
                    released += len(tracked)
                    model.instances_tracked = _Untracked()  # type: ignore[attr-defined]
        return released

    def prune_stream_iterators(self, keep: int = 200) -> int:
        """Forget all but the newest ``keep`` DynamoDB stream iterators.

        moto keeps every shard iterator it hands out (one per GetRecords call); a stream poller asking
        twice a second would grow that without bound. Pollers only use their newest iterator.
        """
        from moto.backends import get_backend

        removed = 0
        for account in list(get_backend("dynamodbstreams").values()):
            for backend in list(account.values()):
                iterators = backend.shard_iterators
                excess = len(iterators) - keep
                for arn in list(iterators)[: max(0, excess)]:
                    iterators.pop(arn, None)
                    removed += 1
        return removed


def _describe_message(message: Any) -> dict[str, Any]:
    received = getattr(message, "pimtasks_received_at", None)
    described: dict[str, Any] = {
        "message_id": getattr(message, "id", None),
        "from": getattr(message, "source", None),
        "timestamp": received.isoformat().replace("+00:00", "Z") if received else None,
    }
    if hasattr(message, "raw_data"):
        parsed = email.message_from_string(message.raw_data, policy=email.policy.default)
        body_part = parsed.get_body(preferencelist=("plain", "html"))
        described.update(
            to=list(message.destinations),
            subject=str(parsed.get("Subject", "")),
            body=body_part.get_content() if body_part is not None else "",
        )
    elif hasattr(message, "template"):
        destinations = message.destinations if isinstance(message.destinations, dict) else {}
        described.update(to=list(destinations.get("ToAddresses", [])), subject=f"template {message.template}",
                         body=message.template_data)
    else:
        destinations = message.destinations or {}
        described.update(
            to=list(destinations.get("ToAddresses", [])),
            cc=list(destinations.get("CcAddresses", [])),
            bcc=list(destinations.get("BccAddresses", [])),
            subject=message.subject,
            body=message.body,
        )
    return described
