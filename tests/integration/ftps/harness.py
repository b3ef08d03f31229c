"""Shared pieces of the FTPS tests: moto in server mode, the files bucket with its upload notifications, the
admin table from infra/template.yaml, free ports, and an ftplib FTPS client that resumes TLS sessions."""

from __future__ import annotations

import contextlib
import ftplib
import json
import logging
import os
import random
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer
from pimtasks.adapters.remote_servers import ReusingFTP_TLS
from pimtasks.services.password_hashing import ScryptPasswordHasher
from pimtasks_local.dynamodb_atomicity import serialize_item_operations

from tests.integration.core.harness import REGION, create_table, template_tables

ADMIN_TABLE = "AdminTable"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": REGION}


@dataclass
class Emulator:
    """moto in server mode (real HTTP on a free port) and clients for it."""

    server: ThreadedMotoServer
    endpoint: str
    s3: Any
    dynamodb: Any
    sqs: Any

    def client(self, service: str) -> Any:
        return boto3.session.Session(**CREDENTIALS).client(
            service, endpoint_url=self.endpoint, config=Config(retries={"mode": "standard", "max_attempts": 3}))


def start_emulator() -> Emulator:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    serialize_item_operations()  # as the local stack's emulator: conditional writes atomic, as in DynamoDB
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    assert server._server is not None
    endpoint = f"http://127.0.0.1:{server._server.server_port}"
    session = boto3.session.Session(**CREDENTIALS)
    config = Config(retries={"mode": "standard", "max_attempts": 3})
    emulator = Emulator(server=server, endpoint=endpoint,
                        s3=session.client("s3", endpoint_url=endpoint, config=config),
                        dynamodb=session.client("dynamodb", endpoint_url=endpoint, config=config),
                        sqs=session.client("sqs", endpoint_url=endpoint, config=config))
    ensure_admin_table(emulator)
    return emulator


def ensure_admin_table(emulator: Emulator) -> None:
    """Create the admin table if it is missing (an in-process ``mock_aws`` elsewhere in the session resets
    moto's state, which a server in this process shares)."""
    if ADMIN_TABLE not in emulator.dynamodb.list_tables()["TableNames"]:
        create_table(emulator.dynamodb, ADMIN_TABLE, template_tables()[ADMIN_TABLE])


@dataclass
class FilesBucket:
    """A bucket like the template's FilesBucket: ObjectCreated under ``environments/`` goes to a queue."""

    name: str
    queue_url: str
    s3: Any
    sqs: Any

    def keys(self, prefix: str = "environments/") -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return [item["Key"] for item in listed.get("Contents", [])]

    def read(self, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=self.name, Key=key)["Body"].read())

    def put(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=self.name, Key=key, Body=body)

    def multipart_uploads(self) -> list[str]:
        return [u["Key"] for u in self.s3.list_multipart_uploads(Bucket=self.name).get("Uploads", [])]

    def created_events(self) -> list[tuple[str, str]]:
        """(event name, key) of every ObjectCreated notification waiting in the queue (consumed)."""
        events: list[tuple[str, str]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=0).get("Messages", [])
            if not messages:
                return events
            for message in messages:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                body = json.loads(message["Body"])
                # S3 event keys are URL-encoded (spaces as "+"), in AWS and in moto alike.
                events += [(r["eventName"], urllib.parse.unquote_plus(r["s3"]["object"]["key"]))
                           for r in body.get("Records", [])]


def create_files_bucket(emulator: Emulator) -> FilesBucket:
    name = f"files-{uuid.uuid4().hex[:12]}"
    emulator.s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    queue_url = emulator.sqs.create_queue(QueueName=f"uploads-{name}")["QueueUrl"]
    queue_arn = emulator.sqs.get_queue_attributes(QueueUrl=queue_url,
                                                  AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    emulator.s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "environments/"}]}}}],
    })
    bucket = FilesBucket(name=name, queue_url=queue_url, s3=emulator.s3, sqs=emulator.sqs)
    bucket.created_events()  # drop moto's s3:TestEvent
    return bucket


def free_port_range(count: int = 8) -> range:
    """A run of ``count`` ports that are free right now (the gateway falls back to any port if one is taken)."""
    for _ in range(200):
        start = random.randint(30000, 59000)
        if all(_is_free(port) for port in range(start, start + count)):
            return range(start, start + count)
    raise RuntimeError("no free port range found")


def _is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def tls_context(certificate: Path) -> ssl.SSLContext:
    """A client context that trusts exactly the gateway's self-signed certificate."""
    return ssl.create_default_context(cafile=str(certificate))


def connect(port: int, certificate: Path, *, username: str, password: str,
            client: type[ftplib.FTP_TLS] = ReusingFTP_TLS) -> ftplib.FTP_TLS:
    """Log in over explicit FTPS with a protected data channel."""
    ftp = client(context=tls_context(certificate), timeout=60)
    ftp.connect("127.0.0.1", port)
    try:
        ftp.login(username, password)
        ftp.prot_p()
    except BaseException:
        ftp.close()
        raise
    return ftp


@contextlib.contextmanager
def logged_in(port: int, certificate: Path, *, username: str, password: str) -> Iterator[ftplib.FTP_TLS]:
    ftp = connect(port, certificate, username=username, password=password)
    try:
        yield ftp
    finally:
        with contextlib.suppress(*ftplib.all_errors):
            ftp.quit()
        ftp.close()


class GeneratedFile:
    """A readable stream of ``size`` bytes of a repeating pseudo-random block, produced on the fly (constant
    memory), with an optional hook called once when the reader passes ``pause_at``."""

    def __init__(self, size: int, *, seed: int = 7, pause_at: int | None = None,
                 on_pause: Callable[[], None] | None = None) -> None:
        self.size = size
        self.position = 0
        self._block = random.Random(seed).randbytes(1 << 20)
        self._pause_at = pause_at
        self._on_pause = on_pause

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        if self._pause_at is not None and self.position >= self._pause_at and self._on_pause is not None:
            hook, self._on_pause = self._on_pause, None
            hook()
        remaining = self.size - self.position
        count = remaining if size is None or size < 0 else min(size, remaining)
        chunk = self._slice(self.position, count)
        self.position += count
        return chunk

    def _slice(self, position: int, count: int) -> bytes:
        pieces, block = [], len(self._block)
        while count > 0:
            offset = position % block
            piece = self._block[offset:offset + count]
            pieces.append(piece)
            position += len(piece)
            count -= len(piece)
        return b"".join(pieces)

    def expected(self) -> Iterator[bytes]:
        """The same bytes again, in blocks (for comparing without holding the whole file)."""
        position = 0
        while position < self.size:
            count = min(1 << 20, self.size - position)
            yield self._slice(position, count)
            position += count


class CountingHasher:
    """The production password hasher (scrypt, default cost), counting how many passwords it checked."""

    def __init__(self) -> None:
        self._hasher = ScryptPasswordHasher()
        self._lock = threading.Lock()
        self.checks = 0

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password: str, hashed: str) -> bool:
        with self._lock:
            self.checks += 1
        return self._hasher.verify(password, hashed)

    def needs_rehash(self, hashed: str) -> bool:
        return self._hasher.needs_rehash(hashed)


def wait_until(condition: Callable[[], bool], *, timeout: float = 30.0, message: str = "condition") -> None:
    """Poll ``condition`` until it holds (a wait, not a timing assertion: generous timeout)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.05)


@dataclass
class GatewayProcess:
    """The gateway in a process of its own (``python -m pimtasks_local.ftps_gateway``), so its memory can be
    measured apart from the emulator and the client."""

    process: subprocess.Popen[str]
    port: int
    certificate: Path

    def rss_bytes(self) -> int:
        return _proc_status_kib(self.process.pid, "VmRSS") * 1024

    def peak_rss_bytes(self) -> int:
        """The process's high-water mark of resident memory so far (VmHWM)."""
        return _proc_status_kib(self.process.pid, "VmHWM") * 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)


def start_gateway_process(*, endpoint: str, bucket: str, state_dir: Path,
                          part_size_mib: int = 8) -> GatewayProcess:
    ports = free_port_range(16)
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION, "POWERTOOLS_TRACE_DISABLED": "true",
           "POWERTOOLS_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "pimtasks_local.ftps_gateway", "--port", "0", "--bucket", bucket,
         "--admin-table", ADMIN_TABLE, "--passive-ports", f"{ports.start}-{ports.stop - 1}",
         "--state-dir", str(state_dir), "--part-size-mib", str(part_size_mib), "--log-level", "WARNING"],
        stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    ready = process.stdout.readline()
    if not ready:
        process.wait(timeout=20)
        raise RuntimeError(f"the gateway process exited with {process.returncode}")
    announced = json.loads(ready)
    # Keep reading its output (log lines) so a full pipe can never block the gateway.
    threading.Thread(target=process.stdout.read, name="gateway-output", daemon=True).start()
    return GatewayProcess(process=process, port=int(announced["port"]), certificate=Path(announced["certificate"]))


def _proc_status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")
