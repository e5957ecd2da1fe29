"""Communication reports read from the tenant's counters (shared.communications.projections):
getCommunicationStats, getDeliveryRates, getCommunicationCosts, getEngagementMetrics and
getResponseRates. Without a range: the all-time counter, one BatchGetItem. With `start_date` /
`end_date` (UTC days, inclusive, the day of created_at): that many day counters, at most MAX_DAYS
days, so at most three BatchGetItems whatever the number of messages.

Apart from service.py so the plain CRUD handlers do not import the projections.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any, get_args

from shared import clock
from shared.communications.models import CHANNELS, Direction, MessageType, Status
from shared.communications.projections import DAY_SHARDS, SHARDS, SKIP_REASONS, day_key, stats_key
from shared.core.money import MICROS, from_micros
from shared.db.projections import read_counter, read_counters
from shared.errors import ValidationFailed

if TYPE_CHECKING:
    from datetime import date

    from shared.core.actor import Scope

MAX_DAYS = 100  # 100 days × 3 shards: three BatchGetItems of 100 keys
_CENT = Decimal("0.000001")


def _window(q: Any) -> tuple[date | None, date | None]:
    """The range asked for: both ends, or neither (all time). Only an end is a 400; only a start runs
    to today (UTC)."""
    start, end = q.start_date, q.end_date
    if start is None and end is None:
        return None, None
    if start is None:
        raise ValidationFailed("end_date needs a start_date", field="/query/start_date")
    end = end or clock.now().date()
    if end < start:
        raise ValidationFailed("end_date is before start_date", field="/query/end_date")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed(f"a range covers at most {MAX_DAYS} days", field="/query/start_date")
    return start, end


def _counts(tenant: str, start: date | None, end: date | None) -> dict[str, int]:
    if start is None or end is None:
        return read_counter(stats_key(tenant), shards=SHARDS)
    keys = [day_key(tenant, (start + timedelta(days=n)).isoformat()) for n in range((end - start).days + 1)]
    out: dict[str, int] = {}
    for counts in read_counters(keys, shards=DAY_SHARDS).values():
        for field, n in counts.items():
            out[field] = out.get(field, 0) + n
    return out


def _report(scope: Scope, q: Any) -> tuple[dict, dict[str, int], list[str]]:
    """The answer's heading, the counts, and the channels reported (the one asked for, or every one)."""
    tenant = scope.tenant_required()
    start, end = _window(q)
    counts = _counts(tenant, start, end)
    channels = [q.channel] if q.channel else list(CHANNELS)
    head = {"client_id": tenant, "start_date": start.isoformat() if start else None,
            "end_date": end.isoformat() if end else None, "channel": q.channel}
    return head, counts, channels


def _sum(counts: dict[str, int], channels: list[str], figure: str) -> int:
    return sum(counts.get(f"{channel}:{figure}", 0) for channel in channels)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _by(counts: dict[str, int], prefix: str, values: tuple[str, ...]) -> dict[str, int]:
    return {v: counts.get(f"{prefix}_{v}", 0) for v in values}


def _rows(counts: dict[str, int], channels: list[str], row) -> list[dict]:
    """One row per channel that has any message (the channel asked for always)."""
    active = [c for c in channels if len(channels) == 1 or counts.get(f"channel_{c}")]
    return [{"channel": c, **row(counts, [c])} for c in active]


def communication_stats(scope: Scope, q: Any) -> dict:
    """getCommunicationStats: how many, by status, channel, direction and message type, with the total
    cost and segments (of the channel asked for: the same figures, kept per channel too), and the
    marketing sends the sender skipped, by reason (an opt-out, a frequency cap)."""
    head, c, channels = _report(scope, q)
    mark = f"{q.channel}:"
    of = {k[len(mark):]: n for k, n in c.items() if k.startswith(mark)} if q.channel else c
    return {**head, "total": of.get("total", 0), "by_channel": {ch: c.get(f"channel_{ch}", 0) for ch in channels},
            "by_direction": _by(of, "direction", get_args(Direction)), "by_status": _by(of, "status", get_args(Status)),
            "by_message_type": _by(of, "type", get_args(MessageType)), **_money(c, channels),
            "skipped": {"total": _sum(c, channels, "skipped"),
                        **{reason: _sum(c, channels, f"skipped_{reason}") for reason in SKIP_REASONS}}}


def _money(c: dict[str, int], channels: list[str]) -> dict:
    return {"total_cost": from_micros(_sum(c, channels, "cost_micros")), "total_segments": _sum(c, channels, "segments")}


def _delivery(c: dict[str, int], channels: list[str]) -> dict:
    sent, failed = _sum(c, channels, "sent"), _sum(c, channels, "failed")
    delivered, bounced = _sum(c, channels, "delivered"), _sum(c, channels, "bounced")
    return {"outbound": _sum(c, channels, "outbound"), "sent": sent, "delivered": delivered, "failed": failed,
            "bounced": bounced, "delivery_rate": _rate(delivered, sent), "bounce_rate": _rate(bounced, sent),
            "failure_rate": _rate(failed, sent + failed)}


def delivery_rates(scope: Scope, q: Any) -> dict:
    """getDeliveryRates: of the outbound messages, delivered / sent, bounced / sent, failed / (sent +
    failed), overall and per channel."""
    head, c, channels = _report(scope, q)
    return {**head, **_delivery(c, channels), "by_channel": _rows(c, channels, _delivery)}


def _costs(c: dict[str, int], channels: list[str]) -> dict:
    micros, sent = _sum(c, channels, "cost_micros"), _sum(c, channels, "sent")
    average = (Decimal(micros) / MICROS / sent).quantize(_CENT, rounding=ROUND_HALF_EVEN).normalize() if sent else None
    return {"cost": from_micros(micros), "segments": _sum(c, channels, "segments"), "sent": sent,
            "average_cost_per_message": average}


def communication_costs(scope: Scope, q: Any) -> dict:
    """getCommunicationCosts: the providers' cost of the outbound messages (exact decimals), segments, and
    the average per message sent, overall and per channel."""
    head, c, channels = _report(scope, q)
    return {**head, **_costs(c, channels), "by_channel": _rows(c, channels, _costs)}


def _engagement(c: dict[str, int], channels: list[str]) -> dict:
    delivered, opened = _sum(c, channels, "delivered"), _sum(c, channels, "opened")
    clicked, replied = _sum(c, channels, "clicked"), _sum(c, channels, "replied")
    return {"delivered": delivered, "opened": opened, "clicked": clicked, "replied": replied,
            "open_rate": _rate(opened, delivered), "click_rate": _rate(clicked, delivered),
            "click_to_open_rate": _rate(clicked, opened), "reply_rate": _rate(replied, delivered)}


def engagement_metrics(scope: Scope, q: Any) -> dict:
    """getEngagementMetrics: of the delivered outbound messages, how many were opened, clicked and
    replied to, and the rates, overall and per channel."""
    head, c, channels = _report(scope, q)
    return {**head, **_engagement(c, channels), "by_channel": _rows(c, channels, _engagement)}


def _responses(c: dict[str, int], channels: list[str]) -> dict:
    delivered, replied = _sum(c, channels, "delivered"), _sum(c, channels, "replied")
    return {"delivered": delivered, "replied": replied, "inbound": _sum(c, channels, "inbound"),
            "response_rate": _rate(replied, delivered)}


def response_rates(scope: Scope, q: Any) -> dict:
    """getResponseRates: replied / delivered (entities.md §4), with the inbound messages received,
    overall and per channel."""
    head, c, channels = _report(scope, q)
    return {**head, **_responses(c, channels), "by_channel": _rows(c, channels, _responses)}
