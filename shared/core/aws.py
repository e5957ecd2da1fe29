"""One cache of boto3 clients for the whole process, made on first use.

Keyed by service and endpoint, so a client made against one embedded AWS is never reused against
another (the local runtime restarts moto on a new port between test sessions). Under a lock:
boto3's default session is not thread-safe, and the local runtime invokes functions on threads.
"""

from __future__ import annotations

import os
import threading
from typing import Any

_lock = threading.Lock()
_clients: dict[tuple[str, str | None], Any] = {}


def client(service: str) -> Any:
    """The boto3 client for `service` (kms, s3, sqs, secretsmanager, ...)."""
    key = (service, os.environ.get("AWS_ENDPOINT_URL"))  # the SDK's own variable, not one of our settings
    found = _clients.get(key)
    if found is not None:
        return found
    import boto3  # first use only: most handlers never need a boto3 client of their own

    with _lock:
        if key not in _clients:
            _clients[key] = boto3.client(service)
        return _clients[key]


def forget() -> None:
    """Drop every cached client (the local runtime, when it points the SDKs at a new embedded AWS)."""
    with _lock:
        _clients.clear()
