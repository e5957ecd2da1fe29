"""Month buckets: UTC calendar months as `YYYY-MM`, the key of every monthly counter and report."""

from __future__ import annotations

from datetime import UTC, datetime


def month_of(epoch_ms: int | float | str) -> str:
    """The UTC month of an epoch-milliseconds time: 1764547200000 → "2025-12"."""
    return datetime.fromtimestamp(int(epoch_ms) / 1000, UTC).strftime("%Y-%m")


def months_ending(month: str, n: int) -> list[str]:
    """The `n` months ending with `month`, oldest first."""
    year, mon = map(int, month.split("-"))
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year, mon - 1) if mon > 1 else (year - 1, 12)
    return out[::-1]
