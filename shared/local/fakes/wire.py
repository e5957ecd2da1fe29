"""The request/reply values passed between the fake server and the per-provider handlers."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode


@dataclass(frozen=True)
class FakeRequest:
    """One HTTP request as the provider handlers see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # keys lower-cased
    body: bytes = b""

    def form(self) -> dict[str, list[str]]:
        """The url-encoded body, every key with all its values."""
        return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)

    def json(self) -> Any:
        """The JSON body; raises ValueError when it is not JSON."""
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    """What a handler answers; the server adds Content-Length."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    """A JSON answer."""
    body = json.dumps(payload).encode("utf-8")
    return Reply(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def form_reply(status: int, fields: dict[str, str]) -> Reply:
    """A url-encoded answer (NMI answers that way, with an HTML content type)."""
    return Reply(status, urlencode(fields).encode("ascii"), {"Content-Type": "text/html; charset=UTF-8"})


def text_reply(status: int, text: str) -> Reply:
    """A plain-text answer."""
    return Reply(status, text.encode("utf-8"), {"Content-Type": "text/plain; charset=utf-8"})


def first(values: dict[str, list[str]], key: str, default: str = "") -> str:
    """The first value of a multi-valued form/query field."""
    found = values.get(key)
    return found[0] if found else default


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison that also copes with non-ASCII input."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
