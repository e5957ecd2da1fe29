"""Turning results and errors into HTTP API v2 responses."""

from __future__ import annotations

from typing import Any

from shared.core.encoding import dumps


class Response:
    """An explicit answer when the default (200 with the returned body) is not it."""

    __slots__ = ("status", "body", "headers")

    def __init__(self, status: int = 200, body: Any = None, headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


def http(status: int, body: Any = None, headers: dict | None = None, content_type: str = "application/json") -> dict:
    out_headers = {"content-type": content_type} if body is not None else {}
    out_headers.update(headers or {})
    return {
        "statusCode": status,
        "headers": out_headers,
        "body": "" if body is None else dumps(body),
        "isBase64Encoded": False,
    }


def problem(error, instance: str, correlation_id: str) -> dict:
    body = error.problem(instance)
    body["correlation_id"] = correlation_id
    headers = {"x-correlation-id": correlation_id, **error.headers}
    return http(error.status, body, headers, content_type="application/problem+json")
