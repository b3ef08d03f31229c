"""Lazily created, cached boto3 clients.

The endpoint is boto3's own business: ``AWS_ENDPOINT_URL`` (set by the local stack) sends every client to
the emulator, and ``AWS_ENDPOINT_URL_<SERVICE>`` overrides one service. Nothing here runs at import time.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

_lock = threading.Lock()
_clients: dict[str, Any] = {}
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)
# S3 signs with SigV4 everywhere, presigned URLs included: buckets created since 2020 refuse SigV2.
_SERVICE_CONFIG = {"s3": _CONFIG.merge(Config(signature_version="s3v4"))}


def client(service: str) -> Any:
    """A shared boto3 client for ``service`` (created on first use; clients are thread-safe)."""
    cached = _clients.get(service)
    if cached is not None:
        return cached
    with _lock:
        if service not in _clients:
            config = _SERVICE_CONFIG.get(service, _CONFIG)
            _clients[service] = boto3.session.Session().client(service, config=config)
        return _clients[service]


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints or credentials call this)."""
    with _lock:
        _clients.clear()
