"""Run report e-mails through SES (v2 API)."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pimtasks.adapters.aws_clients import client


class SesMailer:
    def __init__(self, *, sender: str, ses_client: Any | None = None) -> None:
        self._sender = sender
        self._client = ses_client

    def send(self, *, to: list[str], subject: str, text: str) -> str:
        """Send a plain-text mail; returns the SES message id."""
        if self._client is None:
            self._client = client("sesv2")
        response = self._client.send_email(
            FromEmailAddress=self._sender,
            Destination={"ToAddresses": to},
            Content={"Simple": {"Subject": {"Data": subject, "Charset": "UTF-8"},
                                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}}},
        )
        return str(response.get("MessageId", ""))

    def send_with_file(self, *, to: list[str], subject: str, text: str, file: Path, file_name: str,
                       content_type: str) -> str:
        """Send a plain-text mail with ``file`` attached (a raw MIME message; SES takes up to 10 MB a message, the
        caller keeps attachments far below that); returns the SES message id."""
        if self._client is None:
            self._client = client("sesv2")
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message.set_content(text)
        maintype, _, subtype = content_type.partition(";")[0].strip().partition("/")
        message.add_attachment(file.read_bytes(), maintype=maintype or "application",
                               subtype=subtype or "octet-stream", filename=file_name)
        response = self._client.send_email(FromEmailAddress=self._sender, Destination={"ToAddresses": to},
                                           Content={"Raw": {"Data": message.as_bytes()}})
        return str(response.get("MessageId", ""))
