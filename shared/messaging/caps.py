"""Frequency caps: at most so many marketing messages to one member per channel per UTC day and per
seven UTC days (`messaging.frequency_caps`); transactional messages are never capped.

The counts are the stream's (shared.communications.projections: a counter per member per day), read for
a whole batch in one BatchGetItem (seven days per member), plus the batch's own messages counted as they
are let through. A message over a cap waits, as the setting's `over_cap` says, until the full day or the
oldest day of the full week has passed (`defer`), or is failed as skipped (`skip`). The stream lags the
sends by a moment, so two batches a moment apart to one member may both pass a cap with one left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared import clock

if TYPE_CHECKING:
    from shared.messaging.queue import SendMessage

DAYS = 7
DEFER, SKIP = "defer", "skip"


def _days(now_ms: int) -> list[datetime]:
    today = datetime.fromtimestamp(now_ms / 1000, tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return [today - timedelta(days=n) for n in range(DAYS)]  # today first


def capped(messages: list[SendMessage], rules: Any) -> list[tuple[SendMessage, str, float]]:
    """The messages over a cap: (message, defer or skip, seconds until the cap lets it go)."""
    from shared.communications.projections import member_sends_key
    from shared.db import projections

    wanted = [m for m in messages if m.marketing and m.member and m.channel and _cap(m, rules) is not None]
    if not wanted:
        return []
    now = clock.now_ms()
    days = _days(now)
    keys = {(m.client_id, m.member): [member_sends_key(m.client_id, m.member or "", d.strftime("%Y-%m-%d"))
                                      for d in days] for m in wanted}
    counts = projections.read_counters(sorted({k for ks in keys.values() for k in ks}))
    out: list[tuple[SendMessage, str, float]] = []
    passed: dict[tuple[str, str, str], int] = {}  # this batch's own, let through
    for m in wanted:
        cap = _cap(m, rules)
        per_day = [counts[k].get(m.channel or "", 0) for k in keys[(m.client_id, m.member)]]
        mine = (m.client_id, m.member or "", m.channel or "")
        per_day[0] += passed.get(mine, 0)
        wait = _wait(cap, per_day, days, now)
        if wait is None:
            passed[mine] = passed.get(mine, 0) + 1
        else:
            out.append((m, rules(m.client_id)["messaging.frequency_caps"].over_cap, wait))
    return out


def _cap(message: SendMessage, rules: Any) -> Any:
    cap = getattr(rules(message.client_id)["messaging.frequency_caps"], message.channel or "", None)
    return cap if cap is not None and (cap.per_day is not None or cap.per_week is not None) else None


def _wait(cap: Any, per_day: list[int], days: list[datetime], now_ms: int) -> float | None:
    """Seconds until one more is within the caps (None: it is now)."""
    waits: list[float] = []
    if cap.per_day is not None and per_day[0] >= cap.per_day:
        waits.append((days[0] + timedelta(days=1)).timestamp() - now_ms / 1000)
    if cap.per_week is not None and sum(per_day) >= cap.per_week:
        # The week frees a place when enough of its oldest days have left it.
        over, left = sum(per_day) - cap.per_week + 1, 0
        for n in range(DAYS - 1, -1, -1):
            left += per_day[n]
            if left >= over:
                waits.append((days[n] + timedelta(days=DAYS)).timestamp() - now_ms / 1000)
                break
    return max(waits) if waits else None
