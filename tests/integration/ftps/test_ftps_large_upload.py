"""A 200 MB upload through the gateway (running in a process of its own) in flat memory."""

from __future__ import annotations

import hashlib
import io
import secrets
from pathlib import Path

import pytest
from pimtasks.services.ftps_users import FtpsUserService

from tests.integration.core.harness import FakeClock
from tests.integration.ftps.harness import (
    Emulator,
    GeneratedFile,
    create_files_bucket,
    logged_in,
    start_gateway_process,
)

MiB = 1 << 20
FILE_SIZE = 200 * 1000 * 1000
# Parts in flight plus the part being filled is ~24 MiB; allow for allocator slack, but far below the file.
MAX_GROWTH = 96 * MiB


@pytest.mark.slow
def test_a_200_mb_upload_streams_to_s3_in_flat_memory(emulator: Emulator, tmp_path: Path,
                                                       user_service: tuple[FtpsUserService, FakeClock]) -> None:
    users, _ = user_service
    bucket = create_files_bucket(emulator)
    username, password = f"bulk-{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    users.create_user(environment="000001", username=username, password=password)
    gateway = start_gateway_process(endpoint=emulator.endpoint, bucket=bucket.name, state_dir=tmp_path)
    source = GeneratedFile(FILE_SIZE)
    try:
        with logged_in(gateway.port, gateway.certificate, username=username, password=password) as ftp:
            # Warm up the code paths (login, data connection, S3 client) with a small file first
            ftp.storbinary("STOR /Uploads/Bulk/warm-up.bin", io.BytesIO(b"warm-up"))
            baseline = gateway.peak_rss_bytes()
            reply = ftp.storbinary("STOR /Uploads/Bulk/catalog.bin", source, blocksize=MiB)
        growth = gateway.peak_rss_bytes() - baseline
    finally:
        gateway.stop()

    print(f"growth {growth / MiB:.1f} MiB baseline {baseline / MiB:.1f} MiB")
    assert reply.startswith("226")
    assert growth < MAX_GROWTH, f"the gateway grew by {growth / MiB:.0f} MiB for a {FILE_SIZE / MiB:.0f} MiB file"
    stored = emulator.s3.get_object(Bucket=bucket.name, Key="environments/000001/Uploads/Bulk/catalog.bin")
    assert stored["ContentLength"] == FILE_SIZE
    digest = hashlib.sha256()
    for chunk in stored["Body"].iter_chunks(MiB):
        digest.update(chunk)
    expected = hashlib.sha256()
    for block in source.expected():
        expected.update(block)
    assert digest.hexdigest() == expected.hexdigest()
