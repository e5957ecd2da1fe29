"""Password hashing: argon2id with OWASP's minimum (m=19 MiB, t=2, p=1)."""

from __future__ import annotations

from functools import lru_cache

MIN_LENGTH = 10


@lru_cache(maxsize=1)
def _hasher():
    from argon2 import PasswordHasher  # on first use: logout and refresh never hash

    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("not-a-password-of-anyone")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches. With no hash (unknown user) it still spends the same work,
    so the answer time does not tell whether the account exists."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):  # VerifyMismatchError is a VerificationError
        return False
