"""Asynchronous Lambda invocation of the task functions (start a run, continue a run, next in sequence)."""

from __future__ import annotations

import json
from typing import Any

from pimtasks.adapters.aws_clients import client


class LambdaFunctionInvoker:
    """Invokes ``<prefix><family>`` with InvocationType Event (fire and forget, retried by Lambda)."""

    def __init__(self, *, function_name_prefix: str, lambda_client: Any | None = None) -> None:
        self._prefix = function_name_prefix
        self._client = lambda_client

    def invoke_async(self, *, function: str, payload: dict[str, Any]) -> None:
        if self._client is None:
            self._client = client("lambda")
        self._client.invoke(
            FunctionName=f"{self._prefix}{function}",
            InvocationType="Event",
            Payload=json.dumps(payload).encode(),
        )
