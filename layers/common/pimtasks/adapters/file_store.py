"""The files bucket: ``environments/<env>/<Folder>/...``. Presigned manual uploads and downloads, folder listings
for the files API, and the file moves of imports.

The bucket is versioned. An import works on one *version* of a file (the one it listed or was told about),
so a file replaced while it is being imported is never mixed up with its replacement. Everything streams:
downloads go to disk in 1 MiB chunks, uploads read from disk, copies happen inside S3.

Objects under an environment's ``Temp/`` (an export's file before it is published) are tagged
``TEMPORARY_TAG``: the bucket's lifecycle rule ``expire-temporary-files`` removes what a run that died between
writing and publishing left there. The published copy is written without the tag, so it is kept.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from pimtasks.adapters.aws_clients import client
from pimtasks.domain.stored_file import ListedPage, StoredFile

CHUNK_BYTES = 1 << 20
_MISSING = ("404", "NoSuchKey", "NotFound", "NoSuchVersion")
TEMPORARY_TAG = ("pimtasks-temporary", "true")
"""The tag of temporary objects (``infra/template.yaml``'s lifecycle rule filters on it)."""


def is_temporary(key: str) -> bool:
    """``environments/<env>/Temp/...``: a file on its way to being published."""
    parts = key.split("/", 3)
    return len(parts) == 4 and parts[0] == "environments" and parts[2] == "Temp"


def _tagging(key: str) -> dict[str, str]:
    """The ``Tagging`` argument of a write of ``key``: the temporary tag under ``Temp/``, else none."""
    return {"Tagging": urllib.parse.urlencode([TEMPORARY_TAG])} if is_temporary(key) else {}


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

    def presigned_get(self, *, key: str, expires_seconds: int, file_name: str | None = None,
                      version_id: str | None = None) -> str:
        """A short-lived GET of one version of the object (the current one when None), saved as ``file_name``
        when given (RFC 6266/5987: the name may hold any character, é or spaces included)."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key, **_version_args(version_id)}
        if file_name:
            quoted = urllib.parse.quote(file_name, safe="")
            params["ResponseContentDisposition"] = f"attachment; filename*=UTF-8''{quoted}"
        return str(self.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_seconds,
                                                  HttpMethod="GET"))

    # --- the files API ----------------------------------------------------------------------------
    def list_page(self, *, prefix: str, recursive: bool, start_after: str | None, limit: int) -> ListedPage:
        """Up to ``limit`` entries under ``prefix`` in key order after ``start_after``: the current objects
        and, unless ``recursive``, the subfolders (common prefixes) instead of what they hold.

        Listed with ListObjectsV2 and a prefix (so least-privilege IAM can bind ``s3:prefix``); it shows current
        versions only, and keys hidden by a delete marker not at all."""
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": limit}
        if not recursive:
            arguments["Delimiter"] = "/"
        if start_after:
            arguments["StartAfter"] = start_after
        page = self.s3.list_objects_v2(**arguments)
        files = [StoredFile(key=item["Key"], version_id=None, size=int(item.get("Size", 0)),
                            last_modified=_aware(item["LastModified"]))
                 for item in page.get("Contents", []) if not item["Key"].endswith("/")]  # folder markers
        folders = [str(item["Prefix"]) for item in page.get("CommonPrefixes", [])]
        return ListedPage(files=files, folders=folders, truncated=bool(page.get("IsTruncated")))

    def find(self, *, key: str, version_id: str | None = None) -> StoredFile | None:
        """The object at exactly ``key`` (its current version, or ``version_id`` even when no longer current), or
        None.

        Listings rather than HeadObject: S3 answers a HEAD of an absent key with 403 instead of 404 unless the
        caller may list the bucket unconditionally, and the API may list only under environment prefixes. The
        exact key comes first among the keys it prefixes, and its versions newest first."""
        if version_id is None:
            page = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=key, MaxKeys=1)
            for item in page.get("Contents", [])[:1]:
                if item["Key"] == key:
                    return StoredFile(key=key, version_id=None, size=int(item.get("Size", 0)),
                                      last_modified=_aware(item["LastModified"]))
            return None
        for page in self.s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=key):
            for version in page.get("Versions", []):
                if version["Key"] != key:
                    return None
                if _version(version.get("VersionId")) == version_id:
                    return StoredFile(key=key, version_id=version_id, size=int(version.get("Size", 0)),
                                      last_modified=_aware(version["LastModified"]))
        return None

    # --- multipart (exports continued across invocations) ------------------------------------------
    def start_multipart(self, *, key: str, content_type: str) -> str:
        return str(self.s3.create_multipart_upload(Bucket=self.bucket, Key=key, ContentType=content_type,
                                                   **_tagging(key))["UploadId"])

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
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=stream, ContentType=content_type, **_tagging(key))

    def put_text(self, *, key: str, text: str, content_type: str = "text/plain; charset=utf-8") -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type,
                           **_tagging(key))

    def put_bytes(self, *, key: str, data: bytes, content_type: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, **_tagging(key))

    def copy(self, *, source_key: str, version_id: str | None, target_key: str) -> None:
        """Copy one version inside the bucket (managed copy: multipart beyond 5 GB). A temporary file's copy
        gets the target's tags, not the source's: a published export is not temporary."""
        source = {"Bucket": self.bucket, "Key": source_key, **_version_args(version_id)}
        extra = {"TaggingDirective": "REPLACE", **_tagging(target_key)} if is_temporary(source_key) else None
        self.s3.copy(source, self.bucket, target_key, ExtraArgs=extra)

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
