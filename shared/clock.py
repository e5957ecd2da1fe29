"""The one clock everything reads time from.

Tests and the local runtime can freeze or advance it, so lockouts, expiries, schedules and quiet
hours are exercised without sleeping. On Lambda nothing sets it, and it is the system clock.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

_lock = threading.Lock()
_offset_ms = 0  # added to the system clock
_frozen_ms: int | None = None


def now_ms() -> int:
    """Epoch milliseconds, the unit of every `*_at` field."""
    frozen = _frozen_ms
    if frozen is not None:
        return frozen
    return int(time.time() * 1000) + _offset_ms


def now_s() -> int:
    return now_ms() // 1000


def now() -> datetime:
    return datetime.fromtimestamp(now_ms() / 1000, tz=UTC)


def advance(seconds: float) -> int:
    """Move the clock forward (frozen or not); returns the new epoch milliseconds."""
    global _offset_ms, _frozen_ms
    with _lock:
        if _frozen_ms is not None:
            _frozen_ms += int(seconds * 1000)
        else:
            _offset_ms += int(seconds * 1000)
    return now_ms()


def freeze(at_ms: int | None = None) -> int:
    """Stop the clock at `at_ms` (default: now)."""
    global _frozen_ms
    with _lock:
        _frozen_ms = now_ms() if at_ms is None else int(at_ms)
    return _frozen_ms


def set_to(at_ms: int) -> int:
    """Let the clock run from `at_ms` onwards."""
    global _offset_ms, _frozen_ms
    with _lock:
        _frozen_ms = None
        _offset_ms = int(at_ms) - int(time.time() * 1000)
    return now_ms()


def reset() -> None:
    global _offset_ms, _frozen_ms
    with _lock:
        _offset_ms, _frozen_ms = 0, None
