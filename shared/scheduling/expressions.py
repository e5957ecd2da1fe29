"""Amazon EventBridge Scheduler schedule expressions: validation and fire times.

moto stores schedules but never fires them and accepts any expression, so the local runtime uses this module to
refuse what AWS refuses (naming the part that is wrong) and to work out, on the project's clock, when each
schedule is due. Semantics follow the Scheduler User Guide, "Schedule types on EventBridge Scheduler":

* ``at(yyyy-mm-ddThh:mm:ss)`` fires once at that wall-clock time in ``ScheduleExpressionTimezone`` (default UTC).
  "EventBridge Scheduler ignores the StartDate and EndDate you specify" for one-time schedules, so this does too.
* ``rate(value unit)``: unit minute|minutes|hour|hours|day|days, singular exactly when the value is 1. The first
  occurrence is the StartDate, else the creation time ("your schedule starts invoking the target immediately");
  then every ``value`` units of elapsed time, ignoring the time zone ("days represents a 24-hour duration").
* ``cron(minutes hours day-of-month month day-of-week year)`` in the schedule's time zone, with ``, - * / ? L W #``,
  JAN-DEC, SUN-SAT (1 = SUN ... 7 = SAT) and years 1970-2199. The guide calls the year optional, so five fields
  mean every year. Exactly one of day-of-month and day-of-week must be ``?``.

Daylight saving time, for cron (the guide's rule, quoted): "When time shifts forward in the Spring, if a cron
expression falls on a non-existent date and time, your schedule invocation is skipped. When time shifts backwards
in the Fall, your schedule runs only once and does not repeat its invocation." So a wall time inside a
spring-forward gap does not fire that day, and one that repeats fires at its first occurrence only. The guide
says nothing of an at() time inside a gap; it is read with the offset in force before the gap (RFC 5545 3.3.5,
also Python's ``fold=0``), so ``at(02:30)`` on a New York spring-forward day fires at 03:30 EDT, and an
ambiguous at() time means its first occurrence.

Window bounds: a cron fires at or after ``start`` and strictly before ``end`` (CreateSchedule: StartDate is the
date "after which the schedule can begin", EndDate the date "before which the schedule can invoke").

Choices where the guide is silent, made strict so a local 200 is not an AWS 400: Quartz extras it does not list
(``LW``, ``L-3``, ``/`` in day-of-week, backwards ranges such as ``FRI-MON``) are refused; L, W and # terms stand
alone in their field; a step is 1 to the field's span; ``nW`` names nothing in a month without a day n.
"""

from __future__ import annotations

import calendar
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar, Protocol
from zoneinfo import ZoneInfo

from shared.formats import time_zone_names

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "MAX_DUE",
    "AtSchedule",
    "CronSchedule",
    "CronSpec",
    "RateSchedule",
    "Schedule",
    "ScheduleExpressionError",
    "parse",
]

MAX_DUE = 1000
"""Most fire times `Schedule.due` returns at once, so rate(1 minute) over years cannot run away."""

_ONE_TICK = timedelta(microseconds=1)
# Cron years are 1970-2199 in local time; these UTC bounds enclose them in every zone, and clamping to them keeps
# time-zone conversions of far-off instants (datetime.min, datetime.max) from overflowing.
_CRON_FIRST = datetime(1969, 12, 30, tzinfo=UTC)
_CRON_PAST = datetime(2200, 1, 2, tzinfo=UTC)
# No post-1970 zone moves its offset by more than 3 hours within a day (Antarctica/Casey does 3); walls earlier
# than this before `after` cannot map after it, so they are dropped without a time-zone conversion.
_OFFSET_SLACK = timedelta(hours=4)


class ScheduleExpressionError(ValueError):
    """An invalid schedule expression or time zone.

    ``field`` names the part at fault: ``expression``, ``timezone``, ``date`` (at), ``value`` or ``unit`` (rate),
    or one of the cron fields ``minutes``, ``hours``, ``day-of-month``, ``month``, ``day-of-week``, ``year``.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)  # both in args, so the error pickles and compares as raised
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


# --------------------------------------------------------------------------------------------------- schedules


@dataclass(frozen=True)
class Schedule(ABC):
    """A parsed schedule expression: ``expression`` as given, ``timezone`` the IANA name it is evaluated in."""

    kind: ClassVar[str]
    expression: str
    timezone: str

    def next_fire(
        self, after: datetime, start: datetime | None = None, end: datetime | None = None
    ) -> datetime | None:
        """The first fire time strictly after ``after`` (aware; answered in UTC), or None if there is none.

        ``start``/``end`` are the schedule's StartDate/EndDate. For rate() ``start`` is also the first
        occurrence, so pass the creation time when the schedule has no StartDate; at() ignores both, as AWS does.
        """
        return next(
            self._fires(_as_utc(after, "after"), _opt_utc(start, "start"), _opt_utc(end, "end")), None
        )

    def due(
        self,
        since: datetime,
        until: datetime,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        limit: int = MAX_DUE,
    ) -> list[datetime]:
        """Fire times in (``since``, ``until``], ascending, in UTC; at most ``limit`` (resume from the last)."""
        until_utc = _as_utc(until, "until")
        fires = self._fires(_as_utc(since, "since"), _opt_utc(start, "start"), _opt_utc(end, "end"))
        out: list[datetime] = []
        for fire in fires:
            if fire > until_utc or len(out) >= limit:
                break
            out.append(fire)
        return out

    @abstractmethod
    def _fires(self, after: datetime, start: datetime | None, end: datetime | None) -> Iterator[datetime]:
        """Every fire time after ``after`` within the window, ascending (all UTC)."""


@dataclass(frozen=True)
class AtSchedule(Schedule):
    """``at(...)``: one fire at ``when`` (UTC)."""

    kind: ClassVar[str] = "at"
    when: datetime

    def _fires(self, after: datetime, start: datetime | None, end: datetime | None) -> Iterator[datetime]:
        # StartDate and EndDate are ignored for one-time schedules (User Guide, One-time schedules).
        if self.when > after:
            yield self.when


@dataclass(frozen=True)
class RateSchedule(Schedule):
    """``rate(...)``: every ``period`` of elapsed time from the first occurrence."""

    kind: ClassVar[str] = "rate"
    period: timedelta

    def _fires(self, after: datetime, start: datetime | None, end: datetime | None) -> Iterator[datetime]:
        if start is None:
            # Guessing an anchor would let a caller that polls more often than the rate never see a fire.
            raise ValueError(
                "a rate schedule needs start: its StartDate, or its creation time if it has none"
            )
        k = 0 if after < start else (after - start) // self.period + 1
        while True:
            try:
                fire = start + k * self.period
            except OverflowError:  # past datetime.max: no further fire
                return
            if end is not None and fire >= end:
                return
            yield fire
            k += 1


@dataclass(frozen=True)
class CronSchedule(Schedule):
    """``cron(...)``: wall-clock times in ``timezone`` that ``spec`` names."""

    kind: ClassVar[str] = "cron"
    spec: CronSpec

    def _fires(self, after: datetime, start: datetime | None, end: datetime | None) -> Iterator[datetime]:
        if start is not None and start > after:
            after = start - _ONE_TICK  # fires are whole minutes, so this admits a fire exactly at start
        if after >= _CRON_PAST:
            return
        for fire in _cron_instants(self.spec, ZoneInfo(self.timezone), max(after, _CRON_FIRST)):
            if end is not None and fire >= end:
                return
            yield fire


# ----------------------------------------------------------------------------------------------------- parsing


def parse(expression: str, timezone: str = "UTC") -> Schedule:
    """Parse and validate an EventBridge Scheduler expression evaluated in IANA zone ``timezone``.

    Raises ScheduleExpressionError naming the part at fault.
    """
    zone = _zone(timezone)
    match = _EXPRESSION.fullmatch(expression) if isinstance(expression, str) else None
    if match is None:
        raise ScheduleExpressionError("expression", "must be at(...), rate(...) or cron(...)")
    kind, body = match.groups()
    if kind == "at":
        return AtSchedule(expression, timezone, _parse_at(body, zone))
    if kind == "rate":
        return RateSchedule(expression, timezone, _parse_rate(body))
    return CronSchedule(expression, timezone, _parse_cron(body))


_EXPRESSION = re.compile(r"(at|rate|cron)\((.*)\)", re.DOTALL)


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or name not in time_zone_names():
        raise ScheduleExpressionError("timezone", f"{name!r} is not an IANA time zone name")
    return ZoneInfo(name)


_AT_BODY = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})", re.ASCII)


def _parse_at(body: str, zone: ZoneInfo) -> datetime:
    match = _AT_BODY.fullmatch(body)
    if match is None:
        raise ScheduleExpressionError("date", f"{body!r} is not yyyy-mm-ddThh:mm:ss")
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        wall = datetime(year, month, day, hour, minute, second)
        # fold=0: a repeated wall time is its first occurrence, a skipped one uses the offset before the gap.
        return wall.replace(tzinfo=zone).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ScheduleExpressionError("date", f"{body!r} is not a valid date and time") from exc


_RATE_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


def _parse_rate(body: str) -> timedelta:
    parts = body.split(" ")
    if len(parts) != 2:
        raise ScheduleExpressionError("expression", "rate takes a value and a unit: rate(5 minutes)")
    value = _rate_value(parts[0])
    unit = _rate_unit(parts[1], value)
    try:
        return value * unit
    except OverflowError as exc:
        raise ScheduleExpressionError("value", f"{value} is too large") from exc


def _rate_value(text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text) or int(text) < 1:
        raise ScheduleExpressionError("value", f"{text!r} is not a positive whole number")
    return int(text)


def _rate_unit(text: str, value: int) -> timedelta:
    singular = text[:-1] if text.endswith("s") else text
    if singular not in _RATE_UNITS:
        raise ScheduleExpressionError("unit", f"{text!r} is not minute(s), hour(s) or day(s)")
    if value == 1 and text != singular:
        raise ScheduleExpressionError("unit", f"a value of 1 takes the singular unit {singular!r}")
    if value > 1 and text == singular:
        raise ScheduleExpressionError("unit", f"a value above 1 takes the plural unit {singular + 's'!r}")
    return _RATE_UNITS[singular]


# -------------------------------------------------------------------------------------------------------- cron


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] stands for low + i

    def number(self, text: str) -> int:
        """One value: a number in range, or a name."""
        if text in self.names:
            return self.low + self.names.index(text)
        if not re.fullmatch(r"[0-9]+", text):
            raise ScheduleExpressionError(self.name, f"{text!r} is not a valid value")
        value = int(text)
        if not self.low <= value <= self.high:
            raise ScheduleExpressionError(self.name, f"{value} is outside {self.low}-{self.high}")
        return value


_MINUTES = _Field("minutes", 0, 59)
_HOURS = _Field("hours", 0, 23)
_DAY_OF_MONTH = _Field("day-of-month", 1, 31)
_MONTH = _Field(
    "month", 1, 12, ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
)
_DAY_OF_WEEK = _Field("day-of-week", 1, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))
_YEAR = _Field("year", 1970, 2199)


class _DayRule(Protocol):
    def days(self, year: int, month: int) -> list[int]:
        """The days of that month the rule names, ascending."""
        ...


@dataclass(frozen=True)
class CronSpec:
    """A validated cron: the values of each field, and the rule the day fields make."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: tuple[int, ...]
    years: tuple[int, ...]
    day_rule: _DayRule

    def days_from(self, first: date) -> Iterator[date]:
        """Every named date on or after ``first``, ascending."""
        for year in self.years:
            if year < first.year:
                continue
            for month in self.months:
                if (year, month) < (first.year, first.month):
                    continue
                for day in self.day_rule.days(year, month):
                    found = date(year, month, day)
                    if found >= first:
                        yield found

    def walls(self, day: date) -> Iterator[datetime]:
        """The named wall-clock times of one day (naive), ascending."""
        for hour in self.hours:
            for minute in self.minutes:
                yield datetime(day.year, day.month, day.day, hour, minute)


def _parse_cron(body: str) -> CronSpec:
    fields = body.upper().split()
    if len(fields) == 5:
        fields.append("*")  # "one optional field, year" (User Guide, Cron-based schedules)
    if len(fields) != 6:
        raise ScheduleExpressionError(
            "expression", "cron takes six fields: minutes hours day-of-month month day-of-week year"
        )
    minutes, hours, day_of_month, month, day_of_week, year = fields
    return CronSpec(
        minutes=_values(minutes, _MINUTES),
        hours=_values(hours, _HOURS),
        months=_values(month, _MONTH),
        years=_values(year, _YEAR),
        day_rule=_day_rule(day_of_month, day_of_week),
    )


def _values(text: str, field: _Field) -> tuple[int, ...]:
    """A field of ``,``-separated terms, each ``*``, ``n``, ``a-b``, optionally ``/step``."""
    if "?" in text:
        raise ScheduleExpressionError(field.name, "? is allowed only alone in day-of-month or day-of-week")
    found: set[int] = set()
    for term in text.split(","):
        found.update(_term(term, field))
    return tuple(sorted(found))


def _term(term: str, field: _Field) -> range:
    base, slash, step_text = term.partition("/")
    step = _step(step_text, field) if slash else 1
    if base == "*":
        return range(field.low, field.high + 1, step)
    if "-" in base:
        low_text, _, high_text = base.partition("-")
        low, high = field.number(low_text), field.number(high_text)
        if low > high:
            raise ScheduleExpressionError(field.name, f"range {base} runs backwards")
        return range(low, high + 1, step)
    low = field.number(base)
    # "1/10" in minutes is "every tenth minute, starting from the first": it runs to the field's end.
    return range(low, (field.high if slash else low) + 1, step)


def _step(text: str, field: _Field) -> int:
    span = field.high - field.low + 1
    if not re.fullmatch(r"[0-9]+", text) or not 1 <= int(text) <= span:
        raise ScheduleExpressionError(field.name, f"step {text!r} is not a whole number from 1 to {span}")
    return int(text)


def _day_rule(day_of_month: str, day_of_week: str) -> _DayRule:
    if day_of_month == "?" and day_of_week == "?":
        raise ScheduleExpressionError("day-of-week", "day-of-month and day-of-week cannot both be ?")
    if day_of_month != "?" and day_of_week != "?":
        raise ScheduleExpressionError("day-of-week", "one of day-of-month and day-of-week must be ?")
    if day_of_week == "?":
        return _month_day_rule(day_of_month)
    return _week_day_rule(day_of_week)


def _month_day_rule(text: str) -> _DayRule:
    if text == "L":
        return _LastDayOfMonth()
    nearest = re.fullmatch(r"([0-9]{1,2})W", text)
    if nearest:
        return _NearestWeekday(_DAY_OF_MONTH.number(nearest.group(1)))
    if "L" in text or "W" in text:
        raise ScheduleExpressionError(
            "day-of-month", "L and W stand alone in the field: L, or nW such as 15W"
        )
    return _MonthDays(_values(text, _DAY_OF_MONTH))


def _week_day_rule(text: str) -> _DayRule:
    if "/" in text:
        raise ScheduleExpressionError("day-of-week", "/ is not allowed in day-of-week")
    if text == "L":
        return _WeekDays((7,))  # "L" alone is the last day of the week: Saturday
    if "#" in text:
        return _nth_weekday(text)
    if text.endswith("L"):
        return _LastWeekday(_DAY_OF_WEEK.number(text[:-1]))
    if "L" in text:
        raise ScheduleExpressionError("day-of-week", "L stands alone in the field: L, or nL such as 6L")
    return _WeekDays(_values(text, _DAY_OF_WEEK))


def _nth_weekday(text: str) -> _DayRule:
    if "," in text:
        # User Guide: with '#' "you can define only one expression in the day-of-week field".
        raise ScheduleExpressionError("day-of-week", "with # the field holds one expression, such as 3#2")
    day_text, _, nth_text = text.partition("#")
    if nth_text not in {"1", "2", "3", "4", "5"}:
        raise ScheduleExpressionError("day-of-week", f"{nth_text!r} after # is not 1-5")
    return _NthWeekday(_DAY_OF_WEEK.number(day_text), int(nth_text))


# ---------------------------------------------------------------------------------------------------- day rules


def _python_weekday(aws_day: int) -> int:
    """AWS 1 = SUN ... 7 = SAT, as date.weekday() (0 = Monday)."""
    return (aws_day + 5) % 7


@dataclass(frozen=True)
class _MonthDays:
    values: tuple[int, ...]

    def days(self, year: int, month: int) -> list[int]:
        length = calendar.monthrange(year, month)[1]
        return [day for day in self.values if day <= length]


@dataclass(frozen=True)
class _LastDayOfMonth:
    def days(self, year: int, month: int) -> list[int]:
        return [calendar.monthrange(year, month)[1]]


@dataclass(frozen=True)
class _NearestWeekday:
    """``nW``: the weekday nearest day n, never leaving the month; nothing in months without a day n."""

    day: int

    def days(self, year: int, month: int) -> list[int]:
        length = calendar.monthrange(year, month)[1]
        if self.day > length:
            return []
        weekday = date(year, month, self.day).weekday()
        if weekday == 5:  # Saturday: Friday before, unless that is last month (1W -> Monday the 3rd)
            return [self.day - 1 if self.day > 1 else self.day + 2]
        if weekday == 6:  # Sunday: Monday after, unless that is next month (31W -> Friday the 29th)
            return [self.day + 1 if self.day < length else self.day - 2]
        return [self.day]


@dataclass(frozen=True)
class _WeekDays:
    values: tuple[int, ...]  # AWS numbering

    def days(self, year: int, month: int) -> list[int]:
        first, length = calendar.monthrange(year, month)
        wanted = {_python_weekday(value) for value in self.values}
        return [day for day in range(1, length + 1) if (first + day - 1) % 7 in wanted]


@dataclass(frozen=True)
class _LastWeekday:
    """``xL``: the last weekday x of the month."""

    weekday: int  # AWS numbering

    def days(self, year: int, month: int) -> list[int]:
        first, length = calendar.monthrange(year, month)
        last = (first + length - 1) % 7
        return [length - (last - _python_weekday(self.weekday)) % 7]


@dataclass(frozen=True)
class _NthWeekday:
    """``x#n``: the n-th weekday x of the month; nothing in months without one."""

    weekday: int  # AWS numbering
    nth: int

    def days(self, year: int, month: int) -> list[int]:
        first, length = calendar.monthrange(year, month)
        day = 1 + (_python_weekday(self.weekday) - first) % 7 + 7 * (self.nth - 1)
        return [day] if day <= length else []


# ------------------------------------------------------------------------------------------------- cron times


def _cron_instants(spec: CronSpec, zone: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """Fire instants after ``after``: named wall times in ``zone``, minus skipped ones, repeated ones once."""
    local = after.astimezone(zone)
    floor = local.replace(tzinfo=None) - _OFFSET_SLACK
    for day in spec.days_from(local.date()):
        for wall in spec.walls(day):
            if wall < floor:
                continue
            instant = _wall_instant(wall, zone)
            if instant is not None and instant > after:
                yield instant


def _wall_instant(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a naive wall time: its first occurrence, or None if spring-forward skips it."""
    instant = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0 is the first of a repeated wall time
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None  # it does not round-trip, so it lies in a gap: AWS skips the invocation
    return instant


def _as_utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value.astimezone(UTC)


def _opt_utc(value: datetime | None, name: str) -> datetime | None:
    return None if value is None else _as_utc(value, name)
