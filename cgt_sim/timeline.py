"""Simulation clock: calendar dates <-> simulation days, working days, and dated schedules.

Simulation time is measured in days from the start date of the run (default 2015-01-01).
Regulatory clocks are stated in working days and converted explicitly.

A ``Schedule`` is a parameter value that may change over time: a constant, a step from a date,
a linear ramp between two dates, or a list of dated steps. It is evaluated at simulation time
with ``schedule(t)``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
from dataclasses import dataclass

from .errors import quoted

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0

# China: 52 five-day weeks (260-261 days) less about 11 statutory public holidays, plus
# adjusted make-up working weekends, leaves about 250 working days a year (assumption from the
# State Council holiday rules; the exact count varies by year by +-2 days).
WORKING_DAYS_PER_YEAR = 250.0


def working_to_calendar_days(working_days: float) -> float:
    """Convert a regulatory clock in working days to calendar days."""
    return working_days * DAYS_PER_YEAR / WORKING_DAYS_PER_YEAR


def year_index(edges, t: float) -> int:
    """Index of the year containing day ``t``, given the days of each 1 January plus the end;
    days before the first edge count in the first year, days after the last in the last."""
    i = bisect.bisect_right(edges, t) - 1
    return min(max(i, 0), len(edges) - 2)


# The dates a scenario may give, as text: a year from 1900 to 2200, or a calendar date
# YYYY-MM-DD. The JSON Schema of scenario files (schema.py) takes exactly these forms.
FIRST_YEAR, LAST_YEAR = 1900, 2200
YEAR_TEXT = "(19[0-9]{2}|2[01][0-9]{2}|2200)"
DATE_TEXT = "[0-9]{4}-[0-9]{2}-[0-9]{2}"


def parse_date(value) -> dt.date:
    """Accept a date, an ISO date 'YYYY-MM-DD' (a real calendar day), or a year from 1900 to
    2200 (a whole number, or four digits as text). A time of day (a YAML timestamp such as
    2025-04-01 10:00:00) is refused: changes take effect from the start of a day."""
    if isinstance(value, dt.datetime):
        raise ValueError(f"expected a date such as 2026-01-01, without a time of day, got {value!r}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError(f"expected a date, got {quoted(value)}")
    if isinstance(value, (int, float)):
        if (not (isinstance(value, int) or math.isfinite(value)) or not FIRST_YEAR <= value <= LAST_YEAR
                or value != int(value)):
            raise ValueError(f"expected a date such as 2026-01-01 or a year from {FIRST_YEAR} to {LAST_YEAR}, "
                             f"got {quoted(value)}")
        return dt.date(int(value), 1, 1)
    if isinstance(value, str):
        if re.fullmatch(YEAR_TEXT, value):
            return dt.date(int(value), 1, 1)
        if re.fullmatch(DATE_TEXT, value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"expected a date such as 2026-01-01: {quoted(value)} is no calendar day") from None
    raise ValueError(f"expected a date such as 2026-01-01 or a year from {FIRST_YEAR} to {LAST_YEAR}, "
                     f"got {quoted(value)}")


@dataclass(frozen=True)
class Clock:
    """Maps calendar dates to simulation days for one run."""

    start: dt.date

    def day(self, when) -> float:
        """Simulation day of a date (may be negative for dates before the start)."""
        return float((parse_date(when) - self.start).days)

    def year_start_day(self, year: int) -> float:
        return self.day(dt.date(year, 1, 1))

    def year_of(self, day: float) -> int:
        return (self.start + dt.timedelta(days=int(day))).year

    def date_of(self, day: float) -> dt.date:
        return self.start + dt.timedelta(days=int(day))


@dataclass(frozen=True)
class Schedule:
    """A value over time: piecewise linear between knots, with steps where two knots share a date.

    ``knots`` is a sorted tuple of (date, value). Before the first knot the first value holds,
    after the last knot the last value holds. Two consecutive knots on the same date make a step.
    """

    knots: tuple[tuple[dt.date, float], ...]

    @staticmethod
    def constant(value: float) -> Schedule:
        return Schedule(((dt.date(1900, 1, 1), value),))

    @property
    def is_constant(self) -> bool:
        return len({v for _, v in self.knots}) == 1

    def values(self) -> list[float]:
        return [v for _, v in self.knots]

    def last_change(self) -> tuple[dt.date, dt.date | None]:
        """(from, None) of the last change when it is a step, (from, to) when it is a ramp."""
        (d0, _), (d1, _) = self.knots[-2:] if len(self.knots) > 1 else self.knots * 2
        return (d1, None) if d0 == d1 else (d0, d1)

    def same_path(self, other: Schedule) -> bool:
        """Whether the two schedules give the same value on every day (checked at every knot
        of either and the days either side: between knots both are linear)."""
        days = {d + dt.timedelta(days=k) for d, _ in self.knots + other.knots for k in (-1, 0, 1)
                if dt.date.min + dt.timedelta(days=1) < d < dt.date.max - dt.timedelta(days=1)}
        return all(math.isclose(self.value_on(d), other.value_on(d), rel_tol=1e-12, abs_tol=1e-12)
                   for d in days)

    def value_on(self, when) -> float:
        """Value on a calendar date."""
        d = parse_date(when)
        dates = [k[0] for k in self.knots]
        return _evaluate(dates, self.values(), d, lambda a, b: (a - b).days)

    def bind(self, clock: Clock) -> BoundSchedule:
        """Convert dates to simulation days for fast evaluation inside a run."""
        days = tuple(clock.day(d) for d, _ in self.knots)
        return BoundSchedule(days, tuple(self.values()))

    def then(self, change: dict) -> Schedule:
        """Apply a dated change: {'value': v, 'from': d} is a step at d; adding 'to': d2 ramps
        linearly from the value in force at d to v at d2. The schedule is unchanged before d
        and replaced from d on."""
        start = parse_date(change["from"])
        dates = [k[0] for k in self.knots]
        values = self.values()
        # the value just before the start date (left limit), so nothing before it moves
        i = bisect.bisect_left(dates, start)
        if i == 0 or i >= len(dates) or dates[i] == start:
            left = values[min(i, len(values) - 1)]
        else:  # on the line from knot i-1 to knot i
            left = _evaluate(dates[:i + 1], values[:i + 1], start, lambda a, b: (a - b).days)
        at = self.value_on(start)
        target = float(change["value"])
        kept = [(d, v) for d, v in self.knots if d < start] + [(start, left)]
        if "to" in change and change["to"] is not None:
            end = parse_date(change["to"])
            if end <= start:
                raise ValueError(f"ramp 'to' ({end}) must be after 'from' ({start})")
            return Schedule(tuple(kept + [(start, at), (end, target)]))
        return Schedule(tuple(kept + [(start, target)]))


def _evaluate(times, values, t, diff):
    i = bisect.bisect_right(times, t)
    if i == 0:
        return values[0]
    if i >= len(times):
        return values[-1]
    t0, t1 = times[i - 1], times[i]
    span = diff(t1, t0)
    if span <= 0:
        return values[i]
    w = diff(t, t0) / span
    return values[i - 1] + w * (values[i] - values[i - 1])


@dataclass(frozen=True)
class BoundSchedule:
    """A schedule in simulation days; calling it with a day returns the value then."""

    days: tuple[float, ...]
    values: tuple[float, ...]

    def __call__(self, t: float) -> float:
        if len(self.days) == 1:
            return self.values[0]
        return _evaluate(self.days, self.values, t, lambda a, b: a - b)
