"""Quiet hours: how long a message must wait before its recipient's window is open.

The window is local wall-clock time (`messaging.quiet_hours`, per channel) in the recipient's IANA zone:
the member's own, else the tenant's `general.time_zone`. It ends at the first moment after now whose
local time is the window's end, found through zoneinfo, so a night that daylight saving time makes an
hour shorter or longer waits exactly that much less or more, and an end time that does not exist that
night (skipped by the clocks going forward) opens the window at the first moment after it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from shared.settings.catalogue import QuietWindow


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _inside(local: time, start: time, end: time) -> bool:
    if start < end:
        return start <= local < end
    return local >= start or local < end  # the window spans midnight


def wait_seconds(window: QuietWindow | None, zone: str, now_ms: int) -> float:
    """Seconds from `now_ms` until the window is open (0: it is open now, or the channel has none)."""
    if window is None:
        return 0.0
    tz = ZoneInfo(zone)
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    local = now.astimezone(tz)
    start, end = _hhmm(window.start), _hhmm(window.end)
    if not _inside(local.time().replace(second=0, microsecond=0), start, end):
        return 0.0
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    opens = datetime.combine(day, end, tzinfo=tz)
    # A local time the clocks skipped does not round-trip: take the first real moment after it.
    opens_utc = opens.astimezone(UTC)
    if opens_utc.astimezone(tz).replace(tzinfo=None) != opens.replace(tzinfo=None):
        # In a gap, fold=1 reads the time with the offset before it (a moment ahead of the gap): walk to
        # the first minute whose local time is past the end, the moment the clocks jumped.
        opens_utc = opens.replace(fold=1).astimezone(UTC)
        while (moment := opens_utc.astimezone(tz)).date() == day and moment.time() < end:
            opens_utc += timedelta(minutes=1)
    return max(0.0, (opens_utc - now).total_seconds())
