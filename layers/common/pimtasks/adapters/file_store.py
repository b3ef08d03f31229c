"""The files bucket: ``environments/<env>/<Folder>/...``. Presigned manual uploads, and the file moves of imports.

The bucket is versioned. An import works on one *version* of a file (the one it listed or was told about),
so a file replaced while it is being imported is never mixed up with its replacement. Everything streams:
downloads go to disk in 1 MiB chunks, uploads read from disk, copies happen inside S3.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from pimtasks.adapters.aws_clients import client
from pimtasks.domain.stored_file import StoredFile

CHUNK_BYTES = 1 << 20
_MISSING = ("404", "NoSuchKey", "NotFound", "NoSuchVersion")


def environment_prefix(environment: str) -> str:
    return f"environments/{environment}/"


def _version(value: Any) -> str | None:
    """S3 reports ``"null"`` for objects written while versioning was off."""
    return None if value in (None, "", "null") else str(value)


def _version_args(version_id: str | None) -> dict[str, str]:
    return {"VersionId": version_id} if version_id else {}


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

    def presigned_get(self, *, key: str, expires_seconds: int, file_name: str | None = None) -> str:
        """A short-lived download link (saved as ``file_name`` when given)."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if file_name:
            params["ResponseContentDisposition"] = f'attachment; filename="{file_name}"'
        return str(self.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_seconds,
                                                  HttpMethod="GET"))

    # --- multipart (exports continued across invocations) ------------------------------------------
    def start_multipart(self, *, key: str, content_type: str) -> str:
        return str(self.s3.create_multipart_upload(Bucket=self.bucket, Key=key, ContentType=content_type)["UploadId"])

    def upload_part(self, *, key: str, upload_id: str, number: int, source: Path) -> str:
        with source.open("rb") as stream:
            reply = self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                        Body=stream)
        return str(reply["ETag"])

    def complete_multipart(self, *, key: str, upload_id: str, parts: Sequence[tuple[int, str]]) -> None:
        self.s3.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={
            "Parts": [{"PartNumber": number, "ETag": etag} for number, etag in parts]})

    def abort_multipart(self, *, key: str, upload_id: str) -> None:
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    # --- imports --------------------------------------------------------------------------------
    def list_folder(self, *, prefix: str, subfolders: bool = False) -> list[StoredFile]:
        """The current version of every object directly in ``prefix`` (also those in its subfolders with
        ``subfolders``); folder markers (keys ending in ``/``) are not files."""
        found: list[StoredFile] = []
        paginator = self.s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, **({} if subfolders else {"Delimiter": "/"})):
            for version in page.get("Versions", []):
                if version.get("IsLatest") and not version["Key"].endswith("/"):
                    found.append(StoredFile(key=version["Key"], version_id=_version(version.get("VersionId")),
                                            size=int(version.get("Size", 0)),
                                            last_modified=_aware(version["LastModified"])))
        return found

    def current_version(self, *, key: str) -> StoredFile | None:
        """The object's current version, or None when the key is absent (or hidden by a delete marker)."""
        try:
            head = self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        return StoredFile(key=key, version_id=_version(head.get("VersionId")), size=int(head.get("ContentLength", 0)),
                          last_modified=_aware(head["LastModified"]))

    def download(self, *, key: str, version_id: str | None, target: Path) -> None:
        """Stream one version of an object to ``target``."""
        body = self.s3.get_object(Bucket=self.bucket, Key=key, **_version_args(version_id))["Body"]
        try:
            with target.open("wb") as sink:
                for chunk in body.iter_chunks(CHUNK_BYTES):
                    sink.write(chunk)
        finally:
            body.close()

    def upload(self, *, key: str, source: Path, content_type: str) -> None:
        """Store a local file (read from disk as it is sent)."""
        with source.open("rb") as stream:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=stream, ContentType=content_type)

    def put_text(self, *, key: str, text: str, content_type: str = "text/plain; charset=utf-8") -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type)

    def copy(self, *, source_key: str, version_id: str | None, target_key: str) -> None:
        """Copy one version inside the bucket (managed copy: multipart beyond 5 GB)."""
        source = {"Bucket": self.bucket, "Key": source_key, **_version_args(version_id)}
        self.s3.copy(source, self.bucket, target_key)

    def remove(self, *, key: str, version_id: str | None) -> None:
        """Take this version of a file out of its folder.

        When it is the current version, a delete marker hides the key (with every older version, so none of
        them resurfaces; they stay recoverable until the bucket's lifecycle expires them). When a newer upload
        has replaced it meanwhile, only this version is deleted and the newer one stays waiting.
        """
        current = self.current_version(key=key)
        if current is None:
            return
        if version_id is None or current.version_id == version_id:
            self.s3.delete_object(Bucket=self.bucket, Key=key)
        else:
            self.s3.delete_object(Bucket=self.bucket, Key=key, VersionId=version_id)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
