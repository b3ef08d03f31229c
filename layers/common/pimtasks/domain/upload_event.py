"""S3 ``ObjectCreated`` notifications (as the uploads queue delivers them) turned into upload events.

S3 URL-encodes object keys in notifications (a space arrives as ``+``), so keys are decoded with
``unquote_plus``. The identity of an upload is its version id; notifications without one (a bucket
without versioning, or an emulator that leaves it out) fall back to the sequencer, else to ETag and
event time, which a redelivered message repeats exactly and a new upload does not.

The uploads queue also carries pimtasks' own *recheck* messages (``recheck_message``): AutoImport sends one,
delayed, for an upload under a temporary name, to look at it again once the client had time to rename it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote_plus


@dataclass(frozen=True)
class UploadEvent:
    """One object that appeared in the files bucket."""

    bucket: str
    key: str
    version_id: str | None
    size: int | None
    identity: str
    recheck: bool = False
    """True when this is AutoImport's delayed second look at the upload (``recheck_message``)."""

    @property
    def file_name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


_RECHECK = "pimtasks_upload_recheck"


def recheck_message(event: UploadEvent) -> str:
    """The body of a message that brings ``event`` back (to the import function) as a recheck."""
    return json.dumps({_RECHECK: {**asdict(event), "recheck": True}})


class NotAnUploadNotificationError(ValueError):
    """The message body is not JSON (anything else that is not an upload is simply ignored)."""


def parse_s3_notification(body: str) -> list[UploadEvent]:
    """The ``ObjectCreated`` records of an S3 notification body; [] for test events and other kinds."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise NotAnUploadNotificationError(f"the message body is not JSON: {exc}") from exc
    if isinstance(document, dict) and isinstance(document.get(_RECHECK), dict):
        return [_recheck_event(document[_RECHECK])]
    if not isinstance(document, dict) or not isinstance(document.get("Records"), list):
        return []  # e.g. the "s3:TestEvent" S3 sends when the notification is configured
    return [event for record in document["Records"] if (event := _upload_event(record)) is not None]


def _upload_event(record: Any) -> UploadEvent | None:
    if not isinstance(record, dict) or record.get("eventSource") != "aws:s3":
        return None
    if not str(record.get("eventName", "")).startswith("ObjectCreated"):
        return None
    s3 = record.get("s3") or {}
    obj = s3.get("object") or {}
    bucket = (s3.get("bucket") or {}).get("name")
    if not bucket or not obj.get("key"):
        return None
    version_id = obj.get("versionId") or None
    identity = version_id or obj.get("sequencer") or f"{obj.get('eTag', '')}@{record.get('eventTime', '')}"
    size = obj.get("size")
    return UploadEvent(bucket=str(bucket), key=unquote_plus(str(obj["key"])), version_id=version_id,
                       size=int(size) if isinstance(size, int) else None, identity=str(identity))


def _recheck_event(fields: dict[str, Any]) -> UploadEvent:
    try:
        size = fields.get("size")
        return UploadEvent(bucket=str(fields["bucket"]), key=str(fields["key"]),
                           version_id=str(fields["version_id"]) if fields.get("version_id") else None,
                           size=int(size) if isinstance(size, int) else None, identity=str(fields["identity"]),
                           recheck=True)
    except KeyError as exc:
        raise NotAnUploadNotificationError(f"a recheck message without {exc}") from exc
