"""The one pagination helper: opaque cursors over DynamoDB's LastEvaluatedKey, `limit` 1..200."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, Field

from shared.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageQuery(BaseModel):
    """Query parameters every list operation accepts; list queries extend it with their filters."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=2048)


def encode_cursor(key: dict | None) -> str | None:
    if not key:
        return None
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except ValueError as exc:
        raise ValidationFailed("cursor is not one this API returned", field="/query/cursor") from exc
    if not isinstance(key, dict) or not all(isinstance(v, str | int) for v in key.values()):
        raise ValidationFailed("cursor is not one this API returned", field="/query/cursor")
    return key


def page(items: Iterable[Any], last_key: dict | None, render: Callable[[Any], Any] = lambda x: x) -> dict:
    """The one list answer shape: `{"items": [...], "next_cursor": "..." | null}`."""
    return {"items": [render(i) for i in items], "next_cursor": encode_cursor(last_key)}
