"""Member reports read from the tenant's member counters (shared.members.projections): getMemberStats
and getMemberSegments, one counter read each whatever the number of members.

Apart from service.py so the plain CRUD handlers do not import the projections.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, get_args

from shared import clock
from shared.core.money import MICROS, from_micros
from shared.core.months import month_of
from shared.db.projections import read_counter, top_values
from shared.members.bands import ENGAGEMENT_BAND_NAMES, SPEND_BAND_NAMES
from shared.members.models import TIERS, MemberStatus
from shared.members.projections import DIMENSIONS, SHARDS, stats_key
from shared.members.service import tenant_of

if TYPE_CHECKING:
    from shared.core.actor import Scope

ACTIVE_DAYS = 30
TOP_CHANNELS = 20
_CENT = Decimal("0.01")


def member_stats(scope: Scope) -> dict:
    """getMemberStats: totals, by status and tier, new this month (UTC), active in the last 30 UTC days
    (today included), and averages that are exact sums over counts."""
    tenant = tenant_of(scope)
    c = read_counter(stats_key(tenant), shards=SHARDS)
    total, now = c.get("total", 0), clock.now_ms()
    today = clock.now().date()
    days = [(today - timedelta(days=i)).isoformat() for i in range(ACTIVE_DAYS)]
    return {"client_id": tenant, "total": total,
            "by_status": _by(c, "status"), "by_tier": _by(c, "tier"),
            "new_this_month": c.get(f"joined_{month_of(now)}", 0),
            "active_last_30_days": sum(c.get(f"active_{day}", 0) for day in days),
            "referred": c.get("n:referred", 0),
            "total_spend": from_micros(c.get("sum:spend_micros", 0)),
            "average_spend": _average(c.get("sum:spend_micros", 0), total),
            "total_lifetime_value": from_micros(c.get("sum:lifetime_value_micros", 0)),
            "average_lifetime_value": _average(c.get("sum:lifetime_value_micros", 0), total),
            "average_acquisition_cost": _average(c.get("sum:acquisition_cost_micros", 0),
                                                 c.get("n:acquisition_cost", 0)),
            "average_engagement_score": (round(c.get("sum:engagement_centi", 0) / 100 / c["n:scored"], 2)
                                         if c.get("n:scored") else None)}


def member_segments(scope: Scope) -> dict:
    """getMemberSegments: live members per tier, status, engagement band and spend band (every value,
    zeros included), and per acquisition channel (the most frequent, then "other")."""
    tenant = tenant_of(scope)
    c = read_counter(stats_key(tenant), shards=SHARDS)
    total = c.get("total", 0)

    def segments(dimension: str, values: tuple[str, ...]) -> list[dict]:
        counts = _by(c, DIMENSIONS[dimension])
        return [_segment(v, counts.get(v, 0), total) for v in values]

    top = [_segment(v, n, total) for v, n in top_values(c, DIMENSIONS["acquisition_channel"], TOP_CHANNELS)]
    return {"client_id": tenant, "total": total, "tier": segments("tier", TIERS),
            "status": segments("status", get_args(MemberStatus)),
            "engagement_band": segments("engagement_band", ENGAGEMENT_BAND_NAMES),
            "spend_band": segments("spend_band", SPEND_BAND_NAMES), "acquisition_channel": top}


def _by(counts: dict[str, int], prefix: str) -> dict[str, int]:
    mark = f"{prefix}_"
    return {k[len(mark):]: v for k, v in counts.items() if k.startswith(mark) and v}


def _segment(value: str, count: int, total: int) -> dict:
    return {"value": value, "count": count, "share": round(count / total, 4) if total else 0.0}


def _average(micros: int, over: int) -> Decimal | None:
    """A sum of micros divided by a count, as money to the cent (None when there is nothing to divide by)."""
    if not over:
        return None
    return (Decimal(micros) / MICROS / over).quantize(_CENT, rounding=ROUND_HALF_EVEN)
