"""Run report e-mails through SES (v2 API)."""

from __future__ import annotations

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
