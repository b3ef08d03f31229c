"""File-like objects over S3 for the FTPS data channel: a ranged streaming reader and an upload writer.

The writer is the reason uploads are safe to trigger imports on: nothing is visible in S3 until
``commit()``. Small files become one PutObject at commit; from the first full part on, the file is a
multipart upload whose parts are sent while the client keeps sending (at most ``parts_in_flight`` parts
at a time, so memory stays at about ``(parts_in_flight + 1) * part_size`` whatever the file size), and
``CompleteMultipartUpload`` at commit is the moment the object (and its ObjectCreated event) appears.
``abort()``, and ``close()`` without a commit, throw everything away.
"""

from __future__ import annotations

import logging
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

LOGGER = logging.getLogger(__name__)

MiB = 1 << 20
MIN_PART_SIZE = 5 * MiB  # S3's minimum for every part but the last
DEFAULT_PART_SIZE = 8 * MiB
DEFAULT_PARTS_IN_FLIGHT = 2
_CHECKSUM = "CRC32"


class StorageError(RuntimeError):
    """S3 failed (or is unreachable) during a transfer; the transfer is aborted and nothing is published."""


class S3ObjectReader:
    """Reads one object from a position on, streaming (``seek`` before the first read resumes a download).

    The object's ETag at open time is a precondition of the GET, so a file replaced mid-download fails
    cleanly instead of mixing two versions.
    """

    def __init__(self, *, s3: Any, bucket: str, key: str, size: int, etag: str, name: str) -> None:
        self.name = name
        self.size = size
        self._s3 = s3
        self._bucket = bucket
        self._key = key
        self._etag = etag
        self._position = 0
        self._body: Any | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def readable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence != 0 or offset < 0:
            raise ValueError("only absolute, non-negative positions are supported")
        self._close_body()
        self._position = offset
        return offset

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        if self._closed:
            raise ValueError("read from a closed object")
        if self._position >= self.size:
            return b""
        try:
            data = self._open_body().read(size if size >= 0 else None)
        except (BotoCoreError, ClientError, OSError) as exc:
            raise StorageError(f"reading {self.name} failed: {exc}") from exc
        self._position += len(data)
        return bytes(data)

    def close(self) -> None:
        self._close_body()
        self._closed = True

    def _open_body(self) -> Any:
        if self._body is None:
            kwargs: dict[str, Any] = {"Bucket": self._bucket, "Key": self._key, "IfMatch": self._etag}
            if self._position:
                kwargs["Range"] = f"bytes={self._position}-"
            self._body = self._s3.get_object(**kwargs)["Body"]
        return self._body

    def _close_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None


class S3UploadWriter:
    """A write-only file object whose bytes become one S3 object only on ``commit()``."""

    def __init__(self, *, s3: Any, bucket: str, key: str, name: str, part_size: int = DEFAULT_PART_SIZE,
                 parts_in_flight: int = DEFAULT_PARTS_IN_FLIGHT) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum part size)")
        self.name = name
        self.key = key
        self.bytes_written = 0
        self._s3 = s3
        self._bucket = bucket
        self._part_size = part_size
        self._parts_in_flight = max(1, parts_in_flight)
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[Future[dict[str, Any]]] = []
        self._executor: ThreadPoolExecutor | None = None
        self._state = "open"

    @property
    def closed(self) -> bool:
        return self._state != "open"

    @property
    def committed(self) -> bool:
        return self._state == "committed"

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        """Buffer ``data``; every full part is handed to S3 in the background (waiting when enough are in flight)."""
        if self.closed:
            raise ValueError("write to a finished upload")
        self._buffer += data
        self.bytes_written += len(data)
        while len(self._buffer) >= self._part_size:
            part = bytes(self._buffer[: self._part_size])
            del self._buffer[: self._part_size]
            self._send_part(part)
        return len(data)

    def commit(self) -> None:
        """Publish the object (raises ``StorageError`` after aborting if S3 refuses)."""
        if self.closed:
            raise ValueError("upload already finished")
        try:
            if self._upload_id is None:
                self._s3.put_object(Bucket=self._bucket, Key=self.key, Body=bytes(self._buffer),
                                    ChecksumAlgorithm=_CHECKSUM)
            else:
                if self._buffer:
                    self._send_part(bytes(self._buffer))
                self._complete()
        except StorageError:
            self.abort()
            raise
        except (BotoCoreError, ClientError) as exc:
            self.abort()
            raise StorageError(f"storing {self.name} failed: {exc}") from exc
        self._state = "committed"
        self._release()

    def abort(self) -> None:
        """Discard everything written; an already started multipart upload is aborted."""
        if self.closed:
            return
        self._state = "aborted"
        self._buffer = bytearray()
        if self._upload_id is not None:
            wait(self._parts)  # parts still arriving would otherwise outlive the abort
            try:
                self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self.key, UploadId=self._upload_id)
            except (BotoCoreError, ClientError):
                # Invisible either way; the bucket's lifecycle rule removes incomplete uploads after a while.
                LOGGER.warning("aborting multipart upload failed", extra={"key": self.key}, exc_info=True)
        self._release()

    def close(self) -> None:
        """Closing without ``commit()`` aborts: a transfer that did not finish must never be published."""
        self.abort()

    def _send_part(self, body: bytes) -> None:
        try:
            if self._upload_id is None:
                created = self._s3.create_multipart_upload(Bucket=self._bucket, Key=self.key,
                                                           ChecksumAlgorithm=_CHECKSUM)
                self._upload_id = str(created["UploadId"])
                self._executor = ThreadPoolExecutor(max_workers=self._parts_in_flight,
                                                    thread_name_prefix="ftps-upload-part")
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"starting the upload of {self.name} failed: {exc}") from exc
        self._wait_for_room()
        assert self._executor is not None
        number = len(self._parts) + 1
        self._parts.append(self._executor.submit(self._upload_part, number, body))

    def _wait_for_room(self) -> None:
        while True:
            pending = [part for part in self._parts if not part.done()]
            self._raise_failed_parts()
            if len(pending) < self._parts_in_flight:
                return
            wait(pending, return_when=FIRST_COMPLETED)

    def _raise_failed_parts(self) -> None:
        for part in self._parts:
            if part.done() and part.exception() is not None:
                raise StorageError(f"uploading {self.name} failed: {part.exception()}")

    def _upload_part(self, number: int, body: bytes) -> dict[str, Any]:
        response = self._s3.upload_part(Bucket=self._bucket, Key=self.key, UploadId=self._upload_id,
                                        PartNumber=number, Body=body, ChecksumAlgorithm=_CHECKSUM)
        part = {"PartNumber": number, "ETag": response["ETag"]}
        if f"Checksum{_CHECKSUM}" in response:
            part[f"Checksum{_CHECKSUM}"] = response[f"Checksum{_CHECKSUM}"]
        return part

    def _complete(self) -> None:
        wait(self._parts)
        self._raise_failed_parts()
        parts = [part.result() for part in self._parts]
        self._s3.complete_multipart_upload(Bucket=self._bucket, Key=self.key, UploadId=self._upload_id,
                                           MultipartUpload={"Parts": parts})

    def _release(self) -> None:
        self._buffer = bytearray()
        self._parts = []
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
