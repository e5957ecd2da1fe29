"""Quiet hours in the recipient's zone, across daylight saving time changes."""

from __future__ import annotations

from datetime import datetime

import pytest

from shared.messaging.quiet_hours import wait_seconds
from shared.settings.catalogue import QuietWindow

NIGHT = QuietWindow(start="21:00", end="08:00")


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


@pytest.mark.parametrize(("now", "zone", "hours"), [
    ("2026-07-02T03:00:00+00:00", "America/New_York", 9),    # 23:00 EDT → 08:00 EDT
    ("2026-11-01T03:00:00+00:00", "America/New_York", 10),   # 23:00 EDT → 08:00 EST: the night is an hour longer
    ("2026-03-08T04:00:00+00:00", "America/New_York", 8),    # 23:00 EST → 08:00 EDT: an hour shorter
    ("2026-03-29T00:30:00+00:00", "Europe/London", 6.5),     # 00:30 GMT → 08:00 BST (07:00 UTC)
    ("2026-07-01T16:00:00+00:00", "America/New_York", 0),    # noon: open
    ("2026-07-01T12:00:00+00:00", "America/New_York", 0),    # 08:00 exactly: open
    ("2026-07-02T00:59:00+00:00", "America/New_York", 0),    # 20:59: open
    ("2026-07-02T01:00:00+00:00", "America/New_York", 11),   # 21:00 exactly: closed until 08:00
])
def test_the_wait_ends_when_the_window_opens_in_the_recipient_zone(now, zone, hours):
    assert wait_seconds(NIGHT, zone, _ms(now)) == hours * 3600


def test_a_window_within_one_day_and_an_end_the_clocks_skip():
    lunch = QuietWindow(start="12:00", end="13:30")
    assert wait_seconds(lunch, "UTC", _ms("2026-05-05T12:15:00+00:00")) == 75 * 60
    assert wait_seconds(lunch, "UTC", _ms("2026-05-05T13:30:00+00:00")) == 0
    # 02:30 does not exist in New York on 8 March 2026: the window opens when the clocks jump to 03:00.
    gap = QuietWindow(start="01:00", end="02:30")
    assert wait_seconds(gap, "America/New_York", _ms("2026-03-08T06:30:00+00:00")) == 30 * 60


def test_no_window_never_waits():
    assert wait_seconds(None, "Asia/Tokyo", _ms("2026-05-05T12:15:00+00:00")) == 0
