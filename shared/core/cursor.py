"""Opaque cursors over DynamoDB's LastEvaluatedKey (base64url JSON of the key's string values)."""

from __future__ import annotations

import base64
import json

from shared.errors import ValidationFailed


def encode_cursor(key: dict | None) -> str | None:
    if not key:
        return None
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise ValidationFailed("cursor is not one this API returned", field="/query/cursor") from exc
    if not isinstance(key, dict) or not all(isinstance(v, str | int) for v in key.values()):
        raise ValidationFailed("cursor is not one this API returned", field="/query/cursor")
    return key
