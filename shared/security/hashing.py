"""The one digest of stored tokens and refresh secrets: SHA-256 hex (they are long random values,
so a fast hash is right; passwords use argon2id in shared.security.passwords)."""

from __future__ import annotations

import hashlib


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
