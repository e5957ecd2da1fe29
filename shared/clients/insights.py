"""getClientStats, getClientRevenue, getClientUsage: pre-aggregated counter items only.

Each answer reads at most two things whatever the data size: the client (tenancy, spend limit)
and its counter items in one GetItem or one BatchGetItem (the stream projections in
`shared.clients.projections` keep them exact). Counter money is integer micros; answers are Decimal.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

from shared import clock
from shared.clients import store
from shared.clients.projections import (
    ALL_TIME,
    STATS_KEY,
    USAGE_SHARDS,
    revenue_key,
    usage_key,
)
from shared.core.money import from_micros
from shared.core.months import month_of, months_ending
from shared.db.projections import read_counter, read_counters

if TYPE_CHECKING:
    from shared.core.actor import Scope

_COUNTS = ("charges", "refund_count")
_AMOUNTS = ("gross", "refunds", "chargebacks", "net")


def _by_prefix(counter: dict[str, int], prefix: str) -> dict[str, int]:
    return {k[len(prefix):]: v for k, v in counter.items() if k.startswith(prefix) and v}


def client_stats(scope: Scope) -> dict:
    """getClientStats: one GetItem of the platform counter."""
    c = read_counter(STATS_KEY)
    return {"total": c.get("total", 0), "by_status": _by_prefix(c, "status_"), "by_tier": _by_prefix(c, "tier_"),
            "by_company_size": _by_prefix(c, "size_")}


def last_months(n: int) -> list[str]:
    """The `n` calendar months (UTC) ending with the current one, oldest first."""
    return months_ending(month_of(clock.now_ms()), n)


def _money(counter: dict[str, int]) -> dict[str, dict[str, int]]:
    """`{"USD:gross": micros, ...}` → `{"USD": {"gross": micros, ...}}` with every measure present."""
    out: dict[str, dict[str, int]] = {}
    for key, value in counter.items():
        currency, _, measure = key.partition(":")
        if measure in _AMOUNTS or measure in _COUNTS:
            out.setdefault(currency, dict.fromkeys(_AMOUNTS + _COUNTS, 0))[measure] = value
    return out


def _render(sums: dict[str, dict[str, int]]) -> dict[str, dict]:
    return {cur: {m: (from_micros(v) if m in _AMOUNTS else v) for m, v in measures.items()}
            for cur, measures in sorted(sums.items())}


def client_revenue(scope: Scope, client_id: str, months: int) -> dict:
    """getClientRevenue: completed charges, refunds and chargebacks by month and currency, net of
    refunds and chargebacks. Two calls: the client, and one BatchGetItem of the month counters."""
    store.get(client_id)
    wanted = last_months(months)
    counters = read_counters([revenue_key(client_id, m) for m in wanted] + [revenue_key(client_id, ALL_TIME)])
    rows: list[dict] = []
    totals: dict[str, dict[str, int]] = {}
    for month in wanted:
        sums = _money(counters[revenue_key(client_id, month)])
        rows.append({"month": month, "by_currency": _render(sums)})
        for currency, measures in sums.items():
            into = totals.setdefault(currency, dict.fromkeys(_AMOUNTS + _COUNTS, 0))
            for measure, value in measures.items():
                into[measure] += value
    return {"client_id": client_id, "months": rows, "totals": _render(totals),
            "all_time": _render(_money(counters[revenue_key(client_id, ALL_TIME)]))}


def client_usage(scope: Scope, client_id: str, month: str | None) -> dict:
    """getClientUsage: messages and cost per channel in a month (default: this one) against the
    client's monthly_spend_limit. Two calls: the client, and one BatchGetItem of the month's usage shards."""
    client = store.get(client_id)
    month = month or month_of(clock.now_ms())
    counter = read_counter(usage_key(client_id, month), shards=USAGE_SHARDS)
    channels: dict[str, dict] = {}
    for key, value in counter.items():
        channel, _, measure = key.partition(":")
        entry = channels.setdefault(channel, {"messages": 0, "cost": Decimal(0)})
        if measure == "messages":
            entry["messages"] = value
        elif measure == "cost_micros":
            entry["cost"] = from_micros(value)
    total_cost = sum((c["cost"] for c in channels.values()), Decimal(0))
    return {"client_id": client_id, "month": month, "channels": dict(sorted(channels.items())),
            "total_messages": sum(c["messages"] for c in channels.values()), "total_cost": total_cost,
            **_against_limit(client.monthly_spend_limit, total_cost)}


def _against_limit(limit: Decimal | None, spent: Decimal) -> dict:
    if limit is None:
        return {"monthly_spend_limit": None, "remaining": None, "percent_used": None, "over_limit": False}
    percent = (spent * 100 / limit).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN) if limit else None
    return {"monthly_spend_limit": limit, "remaining": max(limit - spent, Decimal(0)), "percent_used": percent,
            "over_limit": spent > limit}
