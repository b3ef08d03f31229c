"""The files bucket's ``Feeds/`` objects: a feed version's chunks, manifest and whole file (``FeedObjects``).

Built on ``FileStore`` (same bucket, same lazily made client). Feed objects are written once and never
replaced (a version is immutable), so plain puts and gets of the current version are all it takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from botocore.exceptions import ClientError

from pimtasks.adapters.file_store import FileStore

DELETE_BATCH = 1000
_MISSING = ("404", "NoSuchKey", "NotFound")


class FeedFiles:
    def __init__(self, *, store: FileStore) -> None:
        self._store = store

    def put_bytes(self, *, key: str, body: bytes, content_type: str) -> None:
        self._store.s3.put_object(Bucket=self._store.bucket, Key=key, Body=body, ContentType=content_type)

    def upload(self, *, key: str, source: Path, content_type: str) -> None:
        self._store.upload(key=key, source=source, content_type=content_type)

    def get_bytes(self, *, key: str) -> bytes | None:
        try:
            response = self._store.s3.get_object(Bucket=self._store.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        body = response["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()

    def keys_under(self, *, prefix: str) -> list[str]:
        keys: list[str] = []
        paginator = self._store.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._store.bucket, Prefix=prefix):
            keys.extend(str(item["Key"]) for item in page.get("Contents", []))
        return keys

    def delete_keys(self, *, keys: Sequence[str]) -> None:
        """Delete these objects (in a versioned bucket: delete markers; the lifecycle expires the rest)."""
        for start in range(0, len(keys), DELETE_BATCH):
            batch = [{"Key": key} for key in keys[start:start + DELETE_BATCH]]
            self._store.s3.delete_objects(Bucket=self._store.bucket, Delete={"Objects": batch, "Quiet": True})

    def presigned_get(self, *, key: str, expires_seconds: int, file_name: str) -> str:
        return str(self._store.s3.generate_presigned_url("get_object", Params={
            "Bucket": self._store.bucket, "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{file_name}"'}, ExpiresIn=expires_seconds))
