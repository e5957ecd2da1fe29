"""EventBridge Scheduler expressions: validation per field, fire times, DST, and properties of next_fire/due."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.scheduling.expressions import (
    MAX_DUE,
    CronSchedule,
    Schedule,
    ScheduleExpressionError,
    parse,
)

NEW_YORK = "America/New_York"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(zone: str, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)


def fires(expression: str, since: datetime, until: datetime, zone: str = "UTC") -> list[datetime]:
    return parse(expression, zone).due(since, until)


# ------------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("expression", "field"),
    [
        ("cron(60 * * * ? *)", "minutes"),
        ("cron(-1 * * * ? *)", "minutes"),
        ("cron(0/0 * * * ? *)", "minutes"),
        ("cron(0 24 * * ? *)", "hours"),
        ("cron(0 5-3 * * ? *)", "hours"),
        ("cron(0 0 32 * ? *)", "day-of-month"),
        ("cron(0 0 0 * ? *)", "day-of-month"),
        ("cron(0 0 L-2 * ? *)", "day-of-month"),
        ("cron(0 0 1W,15 * ? *)", "day-of-month"),
        ("cron(0 0 32W * ? *)", "day-of-month"),
        ("cron(0 0 1 13 ? *)", "month"),
        ("cron(0 0 1 JANUARY ? *)", "month"),
        ("cron(0 0 ? * 8 *)", "day-of-week"),
        ("cron(0 0 ? * 3#6 *)", "day-of-week"),
        ("cron(0 0 ? * 3#1,6#3 *)", "day-of-week"),  # the guide's own invalid example
        ("cron(0 0 ? * 1/2 *)", "day-of-week"),  # the guide lists no / for day-of-week
        ("cron(0 0 ? * 8L *)", "day-of-week"),
        ("cron(0 0 ? * ? *)", "day-of-week"),  # both ?
        ("cron(0 0 * * * *)", "day-of-week"),  # neither ?
        ("cron(0 0 1 * MON *)", "day-of-week"),  # neither ?
        ("cron(0 0 1 * ? 1969)", "year"),
        ("cron(0 0 1 * ? 2200)", "year"),
        ("cron(0 ? 1 * ? *)", "hours"),
        ("cron(0 0 1 * ?)x", "expression"),
        ("cron(0 0 1 *)", "expression"),
        ("cron(0 0 1 * ? * 5)", "expression"),
        ("rate(1 minutes)", "unit"),
        ("rate(5 minute)", "unit"),
        ("rate(2 weeks)", "unit"),
        ("rate(0 hours)", "value"),
        ("rate(-1 hours)", "value"),
        ("rate(1.5 hours)", "value"),
        ("rate(99999999999999 days)", "value"),
        ("rate(5minutes)", "expression"),
        ("at(2025-13-01T00:00:00)", "date"),
        ("at(2025-02-30T10:00:00)", "date"),
        ("at(2025-01-01 10:00:00)", "date"),
        ("at(2025-01-01T10:00)", "date"),
        ("at(2025-01-01T24:00:00)", "date"),
        ("every(5 minutes)", "expression"),
        ("", "expression"),
        (" rate(5 minutes)", "expression"),
    ],
)
def test_invalid_expressions_name_the_field(expression: str, field: str) -> None:
    with pytest.raises(ScheduleExpressionError) as raised:
        parse(expression)
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: ")


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "america/new_york", "localtime", "../etc/passwd"])
def test_an_unknown_time_zone_is_refused(zone: str) -> None:
    with pytest.raises(ScheduleExpressionError) as raised:
        parse("rate(5 minutes)", zone)
    assert raised.value.field == "timezone"


def test_the_error_is_a_value_error_that_survives_pickling() -> None:
    with pytest.raises(ValueError) as raised:
        parse("cron(60 * * * ? *)")
    copy = pickle.loads(pickle.dumps(raised.value))
    assert (copy.field, copy.message) == (raised.value.field, raised.value.message)


@pytest.mark.parametrize(
    ("expression", "kind"),
    [
        ("at(2030-01-01T00:00:00)", "at"),
        ("rate(1 minute)", "rate"),
        ("rate(1 hour)", "rate"),
        ("rate(1 day)", "rate"),
        ("rate(15 minutes)", "rate"),
        ("rate(2 hours)", "rate"),
        ("rate(7 days)", "rate"),
        ("cron(0 18 * * ? *)", "cron"),
        ("cron(0/15 * * * ? *)", "cron"),
        ("cron(*/15 * * * ? *)", "cron"),
        ("cron(0 8 ? * MON-FRI *)", "cron"),
        ("cron(15 10 ? * 6L 2022-2023)", "cron"),
        ("cron(0 0 ? * 3#2 *)", "cron"),
        ("cron(0 0 15W * ? *)", "cron"),
        ("cron(0 0 L JAN,FEB,MAR ? *)", "cron"),
        ("cron(0 9 ? jan-mar mon *)", "cron"),
        ("cron(0 9 1 * ?)", "cron"),  # the guide: "one optional field, year"
    ],
)
def test_valid_expressions_parse(expression: str, kind: str) -> None:
    schedule = parse(expression, NEW_YORK)
    assert isinstance(schedule, Schedule)
    assert (schedule.kind, schedule.expression, schedule.timezone) == (kind, expression, NEW_YORK)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse("cron(0 9 * * ? *)").next_fire(datetime(2025, 1, 1))


# -------------------------------------------------------------------------------------------- ordinary cron


def test_daily_cron_fires_each_day_at_the_time() -> None:
    schedule = parse("cron(0 18 * * ? *)")
    assert schedule.next_fire(utc(2025, 6, 1, 12)) == utc(2025, 6, 1, 18)
    assert schedule.next_fire(utc(2025, 6, 1, 18)) == utc(2025, 6, 2, 18)  # strictly after
    assert schedule.next_fire(utc(2025, 6, 1, 17, 59, 59, 999999)) == utc(2025, 6, 1, 18)


def test_steps_lists_and_ranges() -> None:
    got = fires("cron(1/10 9,17 * * ? *)", utc(2025, 6, 2), utc(2025, 6, 2, 9, 59))
    assert got == [utc(2025, 6, 2, 9, m) for m in (1, 11, 21, 31, 41, 51)]
    assert fires("cron(0 12-14 * * ? *)", utc(2025, 6, 2), utc(2025, 6, 3)) == [
        utc(2025, 6, 2, h) for h in (12, 13, 14)
    ]


def test_weekday_names_and_numbers_are_aws_numbering() -> None:
    # 2025-06-02 is a Monday; AWS counts 1 = SUN ... 7 = SAT.
    weekdays = fires("cron(0 8 ? * MON-FRI *)", utc(2025, 6, 1), utc(2025, 6, 8, 23))
    assert [f.day for f in weekdays] == [2, 3, 4, 5, 6]
    assert fires("cron(0 8 ? * 2-6 *)", utc(2025, 6, 1), utc(2025, 6, 8, 23)) == weekdays
    assert [f.day for f in fires("cron(0 8 ? * 1,7 *)", utc(2025, 6, 1), utc(2025, 6, 8, 23))] == [1, 7, 8]
    assert [f.day for f in fires("cron(0 8 ? * L *)", utc(2025, 6, 1), utc(2025, 6, 30))] == [7, 14, 21, 28]


def test_month_names_and_year_range() -> None:
    got = fires("cron(0 0 1 JAN,JUL ? 2025-2026)", utc(2024, 1, 1), utc(2030, 1, 1))
    assert got == [utc(2025, 1, 1), utc(2025, 7, 1), utc(2026, 1, 1), utc(2026, 7, 1)]


def test_no_fire_after_the_last_year() -> None:
    assert parse("cron(0 0 31 12 ? 2199)").next_fire(utc(2199, 12, 31)) is None
    assert parse("cron(0 0 31 12 ? *)").next_fire(utc(2199, 12, 30)) == utc(2199, 12, 31)
    assert parse("cron(0 0 * * ? *)").next_fire(datetime.max.replace(tzinfo=UTC)) is None
    assert parse("cron(0 0 1 1 ? *)").next_fire(datetime.min.replace(tzinfo=UTC)) == utc(1970, 1, 1)


def test_a_day_that_never_comes_never_fires() -> None:
    assert parse("cron(0 0 30 2 ? *)").next_fire(utc(2025, 1, 1)) is None


# ------------------------------------------------------------------------------------------------- L, W and #


def test_l_in_day_of_month_is_the_last_day() -> None:
    got = fires("cron(0 5 L * ? *)", utc(2024, 1, 1), utc(2024, 4, 30, 23))
    assert [f.day for f in got] == [31, 29, 31, 30]
    assert parse("cron(0 5 L 2 ? *)").next_fire(utc(2025, 1, 1)) == utc(2025, 2, 28, 5)


def test_nl_in_day_of_week_is_the_last_such_weekday() -> None:
    # The guide's example: 10:15 on the last Friday of each month in 2022-2023.
    got = fires("cron(15 10 ? * 6L 2022-2023)", utc(2022, 1, 1), utc(2022, 5, 1))
    assert got == [
        utc(2022, 1, 28, 10, 15),
        utc(2022, 2, 25, 10, 15),
        utc(2022, 3, 25, 10, 15),
        utc(2022, 4, 29, 10, 15),
    ]
    assert parse("cron(15 10 ? * FRIL *)").next_fire(utc(2022, 1, 1)) == utc(2022, 1, 28, 10, 15)


def test_w_is_the_nearest_weekday_within_the_month() -> None:
    # 2025-03-01 is a Saturday: the nearest weekday in March is Monday the 3rd, not Friday 28 February.
    assert parse("cron(0 9 1W * ? *)").next_fire(utc(2025, 2, 20)) == utc(2025, 3, 3, 9)
    # 2025-06-01 is a Sunday: Monday the 2nd.
    assert parse("cron(0 9 1W * ? *)").next_fire(utc(2025, 5, 20)) == utc(2025, 6, 2, 9)
    # 15W: 2025-06-15 is a Sunday -> Monday 16; 2025-03-15 is a Saturday -> Friday 14; 2025-01-15 is a Wednesday.
    got = fires("cron(0 9 15W * ? *)", utc(2025, 1, 1), utc(2025, 6, 30))
    assert [(f.month, f.day) for f in got] == [(1, 15), (2, 14), (3, 14), (4, 15), (5, 15), (6, 16)]


def test_31w_stays_in_the_month_and_skips_short_months() -> None:
    got = fires("cron(0 9 31W * ? *)", utc(2025, 1, 1), utc(2025, 12, 31, 23))
    # 31 May 2025 is a Saturday -> Friday 30; 31 Aug is a Sunday -> Friday 29 (Monday would be September).
    assert [(f.month, f.day) for f in got] == [
        (1, 31),
        (3, 31),
        (5, 30),
        (7, 31),
        (8, 29),
        (10, 31),
        (12, 31),
    ]


def test_hash_is_the_nth_weekday() -> None:
    # The guide's example: 3#2 is the second Tuesday.
    got = fires("cron(0 9 ? * 3#2 *)", utc(2025, 1, 1), utc(2025, 3, 31))
    assert got == [utc(2025, 1, 14, 9), utc(2025, 2, 11, 9), utc(2025, 3, 11, 9)]
    # A fifth Monday only exists in some months: in the first half of 2025, March and June.
    assert fires("cron(0 9 ? * MON#5 *)", utc(2025, 1, 1), utc(2025, 7, 1)) == [
        utc(2025, 3, 31, 9),
        utc(2025, 6, 30, 9),
    ]


# --------------------------------------------------------------------------------------------- time zones, DST


def test_cron_in_a_zone_fires_at_local_wall_time() -> None:
    schedule = parse("cron(30 8 * * ? *)", NEW_YORK)
    assert schedule.next_fire(utc(2025, 1, 15)) == utc(2025, 1, 15, 13, 30)  # EST, UTC-5
    assert schedule.next_fire(utc(2025, 7, 15)) == utc(2025, 7, 15, 12, 30)  # EDT, UTC-4


def test_spring_forward_skips_a_wall_time_that_does_not_exist() -> None:
    """2025-03-09 in New York jumps from 01:59 EST to 03:00 EDT, so 02:30 does not exist that day. The User Guide:
    "if a cron expression falls on a non-existent date and time, your schedule invocation is skipped", and for
    cron(30 2 * * ? *) it "skips the schedule invocation on that day, and resumes ... the following day"."""
    got = fires("cron(30 2 * * ? *)", utc(2025, 3, 7, 12), utc(2025, 3, 10, 12), NEW_YORK)
    assert got == [
        local(NEW_YORK, 2025, 3, 8, 2, 30),  # 07:30Z, EST
        local(NEW_YORK, 2025, 3, 10, 2, 30),  # 06:30Z, EDT: no fire on the 9th, not even at 03:00
    ]
    assert parse("cron(30 2 * * ? *)", NEW_YORK).next_fire(utc(2025, 3, 8, 12)) == utc(2025, 3, 10, 6, 30)


def test_hourly_cron_has_no_fire_in_the_skipped_hour() -> None:
    got = fires(
        "cron(0 * * * ? *)", local(NEW_YORK, 2025, 3, 9, 0, 30), local(NEW_YORK, 2025, 3, 9, 4), NEW_YORK
    )
    assert [f.astimezone(ZoneInfo(NEW_YORK)).hour for f in got] == [1, 3, 4]


def test_fall_back_fires_a_repeated_wall_time_once_at_its_first_occurrence() -> None:
    """2025-11-02 in New York repeats 01:00-01:59 (EDT, then EST). "your schedule runs only once and does not
    repeat its invocation": 01:30 EDT (05:30Z) fires, 01:30 EST (06:30Z) does not."""
    schedule = parse("cron(30 1 * * ? *)", NEW_YORK)
    assert schedule.due(utc(2025, 11, 2), utc(2025, 11, 3)) == [utc(2025, 11, 2, 5, 30)]
    assert schedule.next_fire(utc(2025, 11, 2, 5, 30)) == local(NEW_YORK, 2025, 11, 3, 1, 30)
    assert schedule.next_fire(utc(2025, 11, 2, 5, 30)) == utc(2025, 11, 3, 6, 30)


def test_every_minute_cron_does_not_repeat_the_fall_back_hour() -> None:
    schedule = parse("cron(* * * * ? *)", NEW_YORK)
    got = schedule.due(utc(2025, 11, 2, 4), utc(2025, 11, 2, 8))
    assert len(got) == 3 * 60  # 4 hours of instants, but the repeated hour's walls already fired
    assert got[118] == utc(2025, 11, 2, 5, 59) and got[119] == utc(2025, 11, 2, 7, 0)


def test_zone_with_half_hour_dst() -> None:
    # Lord Howe moves its clocks by 30 minutes: on 2025-10-05, 02:00 becomes 02:30, so 02:15 is skipped.
    schedule = parse("cron(15 2 * * ? *)", "Australia/Lord_Howe")
    assert schedule.next_fire(utc(2025, 10, 4, 12)) == local("Australia/Lord_Howe", 2025, 10, 6, 2, 15)


def test_at_uses_the_zone_including_summer_time() -> None:
    assert parse("at(2025-07-01T09:00:00)", "Europe/London").next_fire(utc(2025, 1, 1)) == utc(2025, 7, 1, 8)
    assert parse("at(2025-01-15T09:00:00)", "Europe/London").next_fire(utc(2025, 1, 1)) == utc(2025, 1, 15, 9)
    assert parse("at(2025-07-01T09:00:00)").next_fire(utc(2025, 1, 1)) == utc(2025, 7, 1, 9)


def test_at_fires_once_and_then_never() -> None:
    schedule = parse("at(2025-07-01T09:00:30)")
    assert schedule.next_fire(utc(2025, 7, 1, 9)) == utc(2025, 7, 1, 9, 0, 30)
    assert schedule.next_fire(utc(2025, 7, 1, 9, 0, 30)) is None
    assert schedule.due(utc(2025, 1, 1), utc(2026, 1, 1)) == [utc(2025, 7, 1, 9, 0, 30)]


def test_at_in_a_gap_or_an_overlap() -> None:
    # Not in the guide. A skipped wall time takes the offset before the gap (RFC 5545): 02:30 EST = 03:30 EDT.
    assert parse("at(2025-03-09T02:30:00)", NEW_YORK).next_fire(utc(2025, 1, 1)) == utc(2025, 3, 9, 7, 30)
    # A repeated one is its first occurrence, as for cron: 01:30 EDT.
    assert parse("at(2025-11-02T01:30:00)", NEW_YORK).next_fire(utc(2025, 1, 1)) == utc(2025, 11, 2, 5, 30)


def test_at_ignores_start_and_end_as_aws_does() -> None:
    schedule = parse("at(2025-07-01T09:00:00)")
    assert schedule.next_fire(utc(2025, 1, 1), start=utc(2025, 8, 1), end=utc(2025, 2, 1)) == utc(
        2025, 7, 1, 9
    )


# ---------------------------------------------------------------------------------------------- start and end


def test_cron_honours_start_inclusive_and_end_exclusive() -> None:
    schedule = parse("cron(0 9 * * ? *)")
    assert schedule.next_fire(utc(2025, 1, 1), start=utc(2025, 3, 1, 9)) == utc(2025, 3, 1, 9)
    assert schedule.next_fire(utc(2025, 1, 1), start=utc(2025, 3, 1, 9, 0, 1)) == utc(2025, 3, 2, 9)
    assert schedule.next_fire(utc(2025, 1, 1), end=utc(2025, 1, 1, 9)) is None
    got = schedule.due(utc(2025, 1, 1), utc(2025, 12, 31), start=utc(2025, 1, 3), end=utc(2025, 1, 6, 9))
    assert got == [utc(2025, 1, d, 9) for d in (3, 4, 5)]


def test_rate_counts_from_start() -> None:
    schedule = parse("rate(5 minutes)")
    start = utc(2025, 1, 1, 10, 2, 30)
    assert schedule.next_fire(utc(2025, 1, 1), start=start) == start  # the first occurrence is the start
    assert schedule.next_fire(start, start=start) == start + timedelta(minutes=5)
    assert schedule.next_fire(utc(2025, 1, 1, 10, 13), start=start) == utc(2025, 1, 1, 10, 17, 30)
    assert schedule.next_fire(utc(2025, 1, 1, 10, 13), start=start, end=utc(2025, 1, 1, 10, 17, 30)) is None


def test_rate_needs_a_start() -> None:
    with pytest.raises(ValueError, match="creation time"):
        parse("rate(1 hour)").next_fire(utc(2025, 1, 1))


def test_rate_days_are_24_hours_across_dst() -> None:
    """ "days represents a 24-hour duration on the clock", whatever the zone does."""
    schedule = parse("rate(1 day)", NEW_YORK)
    start = local(NEW_YORK, 2025, 3, 8, 9)
    assert schedule.due(start, start + timedelta(days=2), start=start) == [
        start + timedelta(days=1),
        start + timedelta(days=2),
    ]
    assert (start + timedelta(days=1)).astimezone(
        ZoneInfo(NEW_YORK)
    ).hour == 10  # 09:00 EST + 24h = 10:00 EDT


def test_due_is_bounded() -> None:
    start = utc(2025, 1, 1)
    got = parse("rate(1 minute)").due(start, utc(2030, 1, 1), start=start)
    assert len(got) == MAX_DUE
    assert got[0] == start + timedelta(minutes=1) and got[-1] == start + timedelta(minutes=MAX_DUE)
    assert len(parse("cron(* * * * ? *)").due(start, utc(2030, 1, 1), limit=10)) == 10


def test_due_is_empty_for_an_empty_window() -> None:
    assert parse("cron(* * * * ? *)").due(utc(2025, 1, 1), utc(2025, 1, 1)) == []
    assert parse("cron(* * * * ? *)").due(utc(2025, 1, 2), utc(2025, 1, 1)) == []


# ------------------------------------------------------------------------------------------------- properties

ZONES = [
    "UTC",
    NEW_YORK,
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Santiago",
]


def _terms(low: int, high: int, names: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    value = st.integers(low, high)
    named = st.sampled_from(names) if names else value.map(str)
    term = st.one_of(
        value.map(str),
        named,
        st.tuples(value, value).map(lambda pair: f"{min(pair)}-{max(pair)}"),
        st.tuples(value, st.integers(1, high - low + 1)).map(lambda pair: f"{pair[0]}/{pair[1]}"),
        st.integers(1, high - low + 1).map(lambda step: f"*/{step}"),
    )
    return st.one_of(st.just("*"), st.lists(term, min_size=1, max_size=3).map(",".join))


_DAY_OF_MONTH = st.one_of(_terms(1, 31), st.just("L"), st.integers(1, 31).map(lambda day: f"{day}W"))
_DAY_OF_WEEK = st.one_of(
    _terms(1, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")).filter(lambda text: "/" not in text),
    st.just("L"),
    st.integers(1, 7).map(lambda day: f"{day}L"),
    st.tuples(st.integers(1, 7), st.integers(1, 5)).map(lambda pair: f"{pair[0]}#{pair[1]}"),
)


@st.composite
def crons(draw: st.DrawFn) -> str:
    minutes = draw(_terms(0, 59))
    hours = draw(_terms(0, 23))
    month = draw(_terms(1, 12, ("JAN", "MAR", "JUN", "OCT", "NOV", "DEC")))
    year = draw(st.one_of(st.just("*"), _terms(2024, 2032)))
    if draw(st.booleans()):
        days = f"{draw(_DAY_OF_MONTH)} {month} ?"
    else:
        days = f"? {month} {draw(_DAY_OF_WEEK)}"
    return f"cron({minutes} {hours} {days} {year})"


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC)
)
schedules = st.builds(parse, crons(), st.sampled_from(ZONES))
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(schedules, instants)
def test_next_fire_is_strictly_later_and_a_whole_minute(schedule: Schedule, after: datetime) -> None:
    fire = schedule.next_fire(after)
    if fire is not None:
        assert fire > after
        assert fire.tzinfo is UTC and fire.second == 0 and fire.microsecond == 0


@PROPERTY
@given(schedules, instants, instants)
def test_next_fire_is_monotone(schedule: Schedule, first: datetime, second: datetime) -> None:
    earlier, later = sorted((first, second))
    fire_earlier, fire_later = schedule.next_fire(earlier), schedule.next_fire(later)
    if fire_earlier is None:
        assert fire_later is None
    elif fire_later is not None:
        assert fire_earlier <= fire_later


@PROPERTY
@given(schedules, instants, st.integers(0, 20 * 24 * 60), st.integers(1, 30))
def test_due_equals_iterating_next_fire(
    schedule: Schedule, since: datetime, minutes: int, limit: int
) -> None:
    until = since + timedelta(minutes=minutes)
    expected: list[datetime] = []
    cursor = schedule.next_fire(since)
    while cursor is not None and cursor <= until and len(expected) < limit:
        expected.append(cursor)
        cursor = schedule.next_fire(cursor)
    assert schedule.due(since, until, limit=limit) == expected


# Days on which ZONES change their clocks in 2025, each given as the UTC midnight before.
TRANSITION_DAYS = [
    utc(2025, 3, 9),  # New York, spring
    utc(2025, 11, 2),  # New York, fall
    utc(2025, 3, 30),  # London, spring
    utc(2025, 10, 26),  # London, fall
    utc(2025, 4, 5),  # Lord Howe, Chatham, Santiago (at midnight, back into the day before)
    utc(2025, 10, 4),  # Lord Howe
    utc(2025, 9, 27),  # Chatham
    utc(2025, 9, 6),  # Santiago
]


def _matches(schedule: CronSchedule, wall: datetime) -> bool:
    spec = schedule.spec
    return (
        wall.minute in spec.minutes
        and wall.hour in spec.hours
        and wall.month in spec.months
        and wall.year in spec.years
        and wall.day in spec.day_rule.days(wall.year, wall.month)
    )


@settings(max_examples=60, deadline=None)
@given(crons(), st.sampled_from(ZONES), st.sampled_from(TRANSITION_DAYS), st.integers(-12 * 60, 12 * 60))
def test_due_agrees_with_a_minute_by_minute_scan_around_dst(
    expression: str, zone: str, day: datetime, shift: int
) -> None:
    """Walk every real instant: it fires when its wall time matches and is that wall time's first occurrence
    (fold 0). Walls a spring-forward skips belong to no instant, so they never fire."""
    schedule = parse(expression, zone)
    assert isinstance(schedule, CronSchedule)
    since = day + timedelta(hours=-12, minutes=shift)
    until = since + timedelta(hours=48)
    tz = ZoneInfo(zone)
    expected = []
    for step in range(1, 48 * 60 + 1):
        instant = since.replace(second=0, microsecond=0) + timedelta(minutes=step)
        wall = instant.astimezone(tz)
        if instant <= until and wall.fold == 0 and _matches(schedule, wall):
            expected.append(instant)
    assert schedule.due(since, until, limit=10_000) == expected
