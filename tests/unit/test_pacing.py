"""The booking rules of a sender's bucket (shared.messaging.pacing) and of frequency caps
(shared.messaging.caps), on a frozen clock, without AWS: the integration tests show them end to end."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from shared import clock
from shared.messaging import caps, pacing
from shared.settings.catalogue import FrequencyCap

T0 = 1_800_000_000  # a clock second


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(T0 * 1000 + 500)
    yield
    clock.reset()


def _book(bucket, pace, tenant, count):
    bookings, written = pacing._booked(bucket, pace, tenant, count)
    return bookings, written


def test_a_sender_books_at_most_its_rate_into_each_second_from_now_on():
    pace = pacing.Pace("T#a#SENDER_BUCKET#x", rate=3, shared=False)
    bucket, seconds = None, []
    for count in (2, 4, 1, 3):  # batches of different sizes, one after another in the same second
        bookings, bucket = _book(bucket, pace, "a", count)
        assert all(b.booked for b in bookings)
        seconds += [b.second for b in bookings]
    assert Counter(seconds) == {T0: 3, T0 + 1: 3, T0 + 2: 3, T0 + 3: 1}
    assert seconds == sorted(seconds)  # in the order asked
    assert bucket.full_until == T0 + 3 and list(bucket.windows) == [str(T0 + 3)]  # one open second kept, not 100

    clock.advance(10)  # idle: the seconds gone by are not booked again, nor owed
    bookings, _ = _book(bucket, pace, "a", 4)
    assert [b.second for b in bookings] == [T0 + 10] * 3 + [T0 + 11]


def test_a_clock_set_back_finds_the_seconds_it_booked_counted():
    pace = pacing.Pace("T#a#SENDER_BUCKET#x", rate=2, shared=False)
    clock.advance(30)
    _, bucket = _book(None, pace, "a", 4)  # T0+30 and T0+31 full
    clock.freeze(T0 * 1000 + 500)
    bookings, _ = _book(bucket, pace, "a", 1)
    assert bookings[0].second < T0 + 30 or bookings[0].second >= T0 + 32  # never a third send in a full second


def test_tenants_on_a_shared_sender_take_half_each_once_both_are_on_it():
    pace = pacing.Pace("P#SENDER_BUCKET#x", rate=10, shared=True)
    bookings, bucket = _book(None, pace, "big", 10)  # alone: the whole second
    assert Counter(b.second for b in bookings if b.booked) == {T0: 10}
    bookings, bucket = _book(bucket, pace, "small", 10)  # the current second is full; the next ones halve
    booked = [b.second for b in bookings if b.booked]
    assert Counter(booked) == {T0 + 1: 5}  # within the 2 s horizon: its half of T0 + 1
    waiting = [b for b in bookings if not b.booked]
    assert len(waiting) == 5 and all(T0 < b.second <= T0 + 2 for b in waiting)
    bookings, bucket = _book(bucket, pace, "big", 10)
    assert Counter(b.second for b in bookings if b.booked) == {T0 + 1: 5}  # big now gets half too
    for window in bucket.windows.values():
        assert window["*"] <= 10 and window["*"] == sum(n for t, n in window.items() if t != "*")


def test_what_waits_on_a_shared_sender_comes_back_spread_at_the_share():
    pace = pacing.Pace("P#SENDER_BUCKET#x", rate=10, shared=True)
    _, bucket = _book(None, pace, "other", 1)
    _, bucket = _book(bucket, pace, "other", 19)  # other holds most of the horizon
    bookings, bucket = _book(bucket, pace, "t", 40)
    returns = [b.second for b in bookings if not b.booked]
    assert returns == sorted(returns) and max(returns) - min(returns) >= 6  # 5 a second: spread, not a herd


def test_a_slotted_message_goes_only_within_its_second():
    assert pacing.slot_wait(T0) == 0
    assert pacing.slot_wait(T0 + 2) == pytest.approx(1.5)
    assert pacing.slot_wait(T0 - 1) is None  # late: it books again


def _days_ago(*counts: int) -> list[int]:
    return list(counts) + [0] * (caps.DAYS - len(counts))


@pytest.mark.parametrize(("cap", "per_day", "hours"), [
    (FrequencyCap(per_day=2), _days_ago(1), None),
    (FrequencyCap(per_day=2), _days_ago(2), 12),  # the day is full: tomorrow, 00:00 UTC
    (FrequencyCap(per_week=3), _days_ago(0, 0, 0, 0, 0, 0, 3), 12),  # the full week's oldest day leaves at midnight
    (FrequencyCap(per_week=3), _days_ago(1, 0, 2), 12 + 4 * 24),  # the day two ago (2 sends) must leave: 4 days after tomorrow
    (FrequencyCap(per_day=5, per_week=5), _days_ago(3, 2), 12 + 5 * 24),
])
def test_a_cap_waits_until_the_full_day_or_the_oldest_days_of_the_week_have_passed(cap, per_day, hours):
    now_ms = clock.now_ms()
    days = caps._days(now_ms)
    assert days[0] == datetime.fromtimestamp(T0, tz=UTC).replace(hour=0, minute=0, second=0)
    wait = caps._wait(cap, per_day, days, now_ms)
    if hours is None:
        assert wait is None
    else:
        midnight = (days[0].timestamp() + 86400 - now_ms / 1000) / 3600  # hours to the next UTC midnight
        assert wait / 3600 == pytest.approx(midnight + hours - 12)
