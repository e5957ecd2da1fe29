"""Engagement and spend bands, declared once: the filter index of getMembers and the segment counters
of getMemberSegments both read a member's band from here, so a list filtered by band and the count
of that band always agree."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

# (band, lowest score in it), highest first; a member with no score yet is in "none".
ENGAGEMENT_BANDS: tuple[tuple[str, float], ...] = (("hot", 70), ("warm", 40), ("cool", 20), ("cold", 0))
EngagementBand = Literal["hot", "warm", "cool", "cold", "none"]
ENGAGEMENT_BAND_NAMES: tuple[str, ...] = (*(name for name, _ in ENGAGEMENT_BANDS), "none")

# (band, lowest total_spend in it), highest first; a member with no spend recorded is in "none".
SPEND_BANDS: tuple[tuple[str, Decimal], ...] = (("vip", Decimal(5000)), ("high", Decimal(1000)),
                                                ("medium", Decimal(250)), ("low", Decimal(1)),
                                                ("zero", Decimal(0)))
SpendBand = Literal["vip", "high", "medium", "low", "zero", "none"]
SPEND_BAND_NAMES: tuple[str, ...] = (*(name for name, _ in SPEND_BANDS), "none")


def engagement_band(score: float | Decimal | None) -> str:
    """cold < 20 ≤ cool < 40 ≤ warm < 70 ≤ hot; "none" when the member has no score."""
    if score is None:
        return "none"
    return next(name for name, floor in ENGAGEMENT_BANDS if score >= floor or name == "cold")


def spend_band(total: float | Decimal | None) -> str:
    """zero < 1 ≤ low < 250 ≤ medium < 1,000 ≤ high < 5,000 ≤ vip; "none" when no spend is recorded."""
    if total is None:
        return "none"
    amount = Decimal(str(total))
    return next(name for name, floor in SPEND_BANDS if amount >= floor or name == "zero")
