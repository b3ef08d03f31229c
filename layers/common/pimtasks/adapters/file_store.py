"""The files bucket: ``environments/<env>/<Folder>/...``. Here: presigned manual uploads."""

from __future__ import annotations

from typing import Any

from pimtasks.adapters.aws_clients import client


def environment_prefix(environment: str) -> str:
    return f"environments/{environment}/"


class FileStore:
    def __init__(self, *, bucket: str, s3_client: Any | None = None) -> None:
        self.bucket = bucket
        self._client = s3_client

    @property
    def s3(self) -> Any:
        if self._client is None:
            self._client = client("s3")
        return self._client

    def presigned_put(self, *, key: str, expires_seconds: int) -> str:
        return str(self.s3.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_seconds, HttpMethod="PUT"
        ))
