"""Upload throughput of the local FTPS gateway, as a ratio to a direct boto3 multipart upload.

Both upload the same 200 MB stream to the same emulator (moto in server mode, in a process of its own)
in the same run: the baseline with ``upload_fileobj`` (boto3's managed multipart upload, 8 MiB parts,
default concurrency), the gateway path with ftplib over FTPS (TLS on both channels, session reuse) to the
gateway in a process of its own, which streams into a multipart upload. Target: ratio >= 0.6. Also
reported: the gateway's peak resident memory (VmHWM) and its growth during the upload.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from pimtasks.adapters.dynamo import DynamoTable
from pimtasks.adapters.ftps_user_repository import FtpsUserRepository
from pimtasks.clock import SystemClock
from pimtasks.services.ftps_users import FtpsUserService

from tests.integration.core.harness import REGION, create_table, template_tables
from tests.integration.ftps.harness import (
    ADMIN_TABLE,
    CREDENTIALS,
    GeneratedFile,
    logged_in,
    start_gateway_process,
)

MiB = 1 << 20
FILE_SIZE = 200 * 1000 * 1000
ROUNDS = 2
TARGET_RATIO = 0.6


@contextlib.contextmanager
def _moto_process() -> Iterator[str]:
    """moto in server mode in its own process (so it does not share a GIL with the client being measured)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=20)


def _baseline_seconds(s3: Any, bucket: str) -> float:
    config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB)
    started = time.perf_counter()
    s3.upload_fileobj(GeneratedFile(FILE_SIZE), bucket, "environments/000001/Uploads/Bench/direct.bin", Config=config)
    elapsed = time.perf_counter() - started
    s3.delete_object(Bucket=bucket, Key="environments/000001/Uploads/Bench/direct.bin")
    return elapsed


def _gateway_seconds(s3: Any, bucket: str, *, port: int, certificate: Path, username: str, password: str) -> float:
    with logged_in(port, certificate, username=username, password=password) as ftp:
        started = time.perf_counter()
        reply = ftp.storbinary("STOR /Uploads/Bench/gateway.bin", GeneratedFile(FILE_SIZE), blocksize=MiB)
        elapsed = time.perf_counter() - started
    if not reply.startswith("226"):
        raise RuntimeError(f"gateway upload failed: {reply}")
    size = s3.head_object(Bucket=bucket, Key="environments/000001/Uploads/Bench/gateway.bin")["ContentLength"]
    if size != FILE_SIZE:
        raise RuntimeError(f"gateway stored {size} bytes instead of {FILE_SIZE}")
    s3.delete_object(Bucket=bucket, Key="environments/000001/Uploads/Bench/gateway.bin")
    return elapsed


def run() -> dict[str, Any]:
    with _moto_process() as endpoint, tempfile.TemporaryDirectory() as state:
        session = boto3.session.Session(**CREDENTIALS)
        config = Config(retries={"mode": "standard", "max_attempts": 3})
        s3 = session.client("s3", endpoint_url=endpoint, config=config)
        dynamodb = session.client("dynamodb", endpoint_url=endpoint, config=config)
        create_table(dynamodb, ADMIN_TABLE, template_tables()[ADMIN_TABLE])
        bucket = f"bench-{secrets.token_hex(4)}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        users = FtpsUserService(store=FtpsUserRepository(table=DynamoTable(table_name=ADMIN_TABLE,
                                                                           dynamodb_client=dynamodb)),
                                clock=SystemClock())
        username, password = "bench-user", secrets.token_urlsafe(16)
        users.create_user(environment="000001", username=username, password=password)
        gateway = start_gateway_process(endpoint=endpoint, bucket=bucket, state_dir=Path(state))
        try:
            with logged_in(gateway.port, gateway.certificate, username=username, password=password) as ftp:
                ftp.storbinary("STOR /Uploads/Bench/warm-up.bin", GeneratedFile(MiB))
            rss_before = gateway.peak_rss_bytes()
            baseline, through_gateway = [], []
            for _ in range(ROUNDS):  # interleaved, so drift on a noisy machine hits both alike
                baseline.append(_baseline_seconds(s3, bucket))
                through_gateway.append(_gateway_seconds(s3, bucket, port=gateway.port, certificate=gateway.certificate,
                                                        username=username, password=password))
            peak = gateway.peak_rss_bytes()
        finally:
            gateway.stop()
    direct_s, gateway_s = statistics.median(baseline), statistics.median(through_gateway)
    figures = {
        "file_mb": FILE_SIZE / 1e6,
        "direct_multipart_mb_per_s": round(FILE_SIZE / 1e6 / direct_s, 1),
        "gateway_mb_per_s": round(FILE_SIZE / 1e6 / gateway_s, 1),
        "throughput_ratio": round(direct_s / gateway_s, 2),
        "target_ratio": TARGET_RATIO,
        "gateway_peak_rss_mib": round(peak / MiB, 1),
        "gateway_rss_growth_during_uploads_mib": round((peak - rss_before) / MiB, 1),
        "rounds": ROUNDS,
    }
    print(f"FTPS gateway: {figures['gateway_mb_per_s']} MB/s vs direct multipart "
          f"{figures['direct_multipart_mb_per_s']} MB/s -> ratio {figures['throughput_ratio']} "
          f"(target >= {TARGET_RATIO}); gateway peak RSS {figures['gateway_peak_rss_mib']} MiB "
          f"(+{figures['gateway_rss_growth_during_uploads_mib']} MiB during the uploads)", flush=True)
    return figures


if __name__ == "__main__":
    run()
