"""The uploads queue as AutoImport writes to it: delayed rechecks of uploads under a temporary name.

Implements ``pimtasks.services.auto_import.UploadRechecks``. The message is the upload event again
(``recheck_message``), so the import function reads it like any upload notification; SQS holds it back for
the delay (at most 15 minutes, SQS's limit).
"""

from __future__ import annotations

from typing import Any

from pimtasks.adapters.aws_clients import client
from pimtasks.domain.upload_event import UploadEvent, recheck_message

MAX_DELAY_SECONDS = 900


class UploadQueue:
    """One SQS queue, through an injectable (lazily created) client."""

    def __init__(self, *, queue_url: str, sqs_client: Any | None = None) -> None:
        self.queue_url = queue_url
        self._client = sqs_client

    @property
    def sqs(self) -> Any:
        if self._client is None:
            self._client = client("sqs")
        return self._client

    def recheck_later(self, event: UploadEvent, *, delay_seconds: int) -> None:
        """Deliver ``event`` again, as a recheck, after ``delay_seconds`` (capped at SQS's 15 minutes)."""
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=recheck_message(event),
                              DelaySeconds=max(0, min(delay_seconds, MAX_DELAY_SECONDS)))
