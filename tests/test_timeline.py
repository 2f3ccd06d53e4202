"""Clock, working days, parse_date and Schedule / BoundSchedule."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cgt_sim.timeline import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    WORKING_DAYS_PER_YEAR,
    BoundSchedule,
    Clock,
    Schedule,
    parse_date,
    working_to_calendar_days,
)

D = dt.date


# --------------------------------------------------------------------------- working days, dates

def test_working_to_calendar_days():
    assert working_to_calendar_days(0) == 0
    assert working_to_calendar_days(WORKING_DAYS_PER_YEAR) == pytest.approx(DAYS_PER_YEAR)
    assert working_to_calendar_days(60) == pytest.approx(60 * 365.25 / 250)
    assert working_to_calendar_days(30) == pytest.approx(working_to_calendar_days(60) / 2)
    assert working_to_calendar_days(60) > 60  # calendar days are longer than working days
    assert pytest.approx(DAYS_PER_YEAR) == DAYS_PER_MONTH * 12


@pytest.mark.parametrize("value, expected", [
    (D(2025, 4, 1), D(2025, 4, 1)),
    ("2025-04-01", D(2025, 4, 1)),
    ("2026", D(2026, 1, 1)),
    (2026, D(2026, 1, 1)),
    (2026.0, D(2026, 1, 1)),
])
def test_parse_date_accepts(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", [True, False, 2026.5, 1800, 2300, "soon", "2025-13-01", "", None, [2025],
                                   # forms the JSON Schema of scenario files refuses too (see test_cli.py)
                                   dt.datetime(2025, 4, 1, 13, 30), " 2025-04-01 ", "1800", "2025-4-1", "20250401",
                                   "2025-W14-2", "2025-02-30"])
def test_parse_date_rejects(value):
    with pytest.raises(ValueError):
        parse_date(value)


# --------------------------------------------------------------------------- Clock

def test_clock_day_and_back():
    clock = Clock(D(2015, 1, 1))
    assert clock.day("2015-01-01") == 0.0
    assert clock.day(D(2015, 1, 2)) == 1.0
    assert clock.day(2016) == 365.0
    assert clock.day(2017) == 731.0  # 2016 is a leap year
    assert clock.day("2014-12-31") == -1.0
    assert isinstance(clock.day(2020), float)
    assert clock.year_start_day(2016) == 365.0
    assert clock.year_of(0) == 2015
    assert clock.year_of(364.9) == 2015
    assert clock.year_of(365) == 2016
    assert clock.date_of(59) == D(2015, 3, 1)
    assert clock.date_of(59.99) == D(2015, 3, 1)


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2150, 12, 31)))
def test_clock_round_trip(d):
    clock = Clock(D(2015, 1, 1))
    day = clock.day(d)
    assert clock.date_of(day) == d
    assert clock.year_of(day) == d.year
    assert clock.year_start_day(d.year) <= day < clock.year_start_day(d.year + 1)


# --------------------------------------------------------------------------- Schedule

def test_constant():
    s = Schedule.constant(3.5)
    assert s.is_constant
    assert s.values() == [3.5]
    for when in ("1900-01-01", "2015-06-01", 2200, D(1950, 1, 1)):
        assert s.value_on(when) == 3.5
    b = s.bind(Clock(D(2015, 1, 1)))
    assert b(-1e6) == b(0.0) == b(1e6) == 3.5


def test_step():
    s = Schedule.constant(60.0).then({"value": 30.0, "from": "2025-04-01"})
    assert not s.is_constant
    assert s.value_on("2025-03-31") == 60.0
    assert s.value_on("2025-04-01") == 30.0  # the new value holds from the date itself
    assert s.value_on("2030-01-01") == 30.0
    assert s.value_on("1950-01-01") == 60.0


def test_step_to_the_same_value_is_constant():
    s = Schedule.constant(1.0).then({"value": 1, "from": 2020})
    assert s.is_constant


def test_ramp_and_interpolation_midpoint():
    s = Schedule.constant(0.0).then({"value": 0.3, "from": "2026-01-01", "to": "2028-01-01"})
    assert s.value_on("2025-12-31") == 0.0  # before the ramp
    assert s.value_on("2026-01-01") == 0.0  # start knot
    assert s.value_on("2027-01-01") == pytest.approx(0.3 * 365 / 730)  # 365 of 730 days
    assert s.value_on("2027-01-01") == pytest.approx(0.15, abs=1e-3)
    assert s.value_on("2028-01-01") == pytest.approx(0.3)  # end knot
    assert s.value_on("2040-01-01") == pytest.approx(0.3)  # after the ramp


def test_ramp_down():
    s = Schedule.constant(10.0).then({"value": 0.0, "from": 2020, "to": 2030})
    assert s.value_on(2020) == 10.0
    assert s.value_on(2030) == 0.0
    assert 0.0 < s.value_on(2025) < 10.0
    span = (D(2030, 1, 1) - D(2020, 1, 1)).days  # 3653 days
    mid = D(2020, 1, 1) + dt.timedelta(days=span // 2)
    assert s.value_on(mid) == pytest.approx(10.0 * (1 - (span // 2) / span))
    assert s.value_on(mid) == pytest.approx(5.0, abs=0.002)


def test_ramp_needs_to_after_from():
    with pytest.raises(ValueError, match="after"):
        Schedule.constant(0.0).then({"value": 1, "from": 2028, "to": 2026})
    with pytest.raises(ValueError, match="after"):
        Schedule.constant(0.0).then({"value": 1, "from": 2026, "to": 2026})


def test_ramp_with_to_none_is_a_step():
    s = Schedule.constant(0.0).then({"value": 2.0, "from": 2026, "to": None})
    assert s.value_on("2025-12-31") == 0.0 and s.value_on(2026) == 2.0


def test_knots_before_and_after():
    s = Schedule(((D(2020, 1, 1), 1.0), (D(2022, 1, 1), 3.0)))
    assert s.value_on(D(1900, 1, 1)) == 1.0  # first value holds before the first knot
    assert s.value_on(D(2019, 12, 31)) == 1.0
    assert s.value_on(D(2022, 1, 1)) == 3.0
    assert s.value_on(D(2199, 1, 1)) == 3.0  # last value holds after the last knot
    assert s.value_on(D(2021, 1, 1)) == pytest.approx(1.0 + 2.0 * 366 / 731)


def test_later_change_replaces_the_future_and_keeps_the_past():
    s = (Schedule.constant(1.0)
         .then({"value": 2.0, "from": 2020})
         .then({"value": 3.0, "from": 2025})
         .then({"value": 5.0, "from": 2022}))  # replaces the 2025 step
    assert s.value_on(2019) == 1.0
    assert s.value_on(2021) == 2.0
    assert s.value_on(2022) == 5.0
    assert s.value_on(2026) == 5.0


def test_step_during_a_ramp_starts_from_the_ramp_value():
    s = Schedule.constant(0.0).then({"value": 10.0, "from": 2020, "to": 2030}).then(
        {"value": 0.0, "from": "2025-01-01", "to": "2026-01-01"})
    at = s.value_on("2025-01-01")
    assert 0 < at < 10
    assert s.value_on("2024-12-31") == pytest.approx(at, abs=0.01)  # continuous
    assert s.value_on(2026) == 0.0


def test_dated_steps_like_the_capital_climate():
    s = Schedule(((D(2015, 1, 1), 0.91), (D(2019, 1, 1), 0.91), (D(2019, 1, 1), 0.64),
                  (D(2020, 1, 1), 0.64), (D(2020, 1, 1), 1.31)))
    assert s.value_on("2018-12-31") == 0.91
    assert s.value_on("2019-01-01") == 0.64
    assert s.value_on("2019-12-31") == 0.64
    assert s.value_on("2020-01-01") == 1.31


# --------------------------------------------------------------------------- BoundSchedule

def test_bind_converts_dates_to_days():
    clock = Clock(D(2015, 1, 1))
    s = Schedule.constant(60.0).then({"value": 30.0, "from": "2016-01-01"})
    b = s.bind(clock)
    assert isinstance(b, BoundSchedule)
    assert b.days[-1] == 365.0
    assert b.values == tuple(s.values())
    assert b(364.0) == 60.0
    assert b(365.0) == 30.0


SCHEDULES = {
    "constant": Schedule.constant(2.0),
    "step": Schedule.constant(60.0).then({"value": 30.0, "from": "2025-04-01"}),
    "ramp": Schedule.constant(0.0).then({"value": 0.3, "from": "2026-01-01", "to": "2028-01-01"}),
    "steps": Schedule(((D(2015, 1, 1), 0.91), (D(2019, 1, 1), 0.91), (D(2019, 1, 1), 0.64),
                       (D(2020, 1, 1), 0.64), (D(2020, 1, 1), 1.31), (D(2030, 1, 1), 2.0))),
    "before_start": Schedule(((D(2010, 1, 1), 1.0), (D(2016, 1, 1), 4.0))),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
@settings(max_examples=80, deadline=None)
@given(d=st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)))
def test_bound_schedule_agrees_with_value_on(name, d):
    s = SCHEDULES[name]
    clock = Clock(D(2015, 1, 1))
    assert s.bind(clock)(clock.day(d)) == pytest.approx(s.value_on(d), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_bound_schedule_agrees_on_every_knot_and_neighbour(name):
    s = SCHEDULES[name]
    for start in (D(2015, 1, 1), D(2020, 6, 15)):
        clock = Clock(start)
        b = s.bind(clock)
        for d, _ in s.knots:
            for delta in (-1, 0, 1):
                when = d + dt.timedelta(days=delta)
                assert b(clock.day(when)) == pytest.approx(s.value_on(when))


def test_ramp_starting_on_an_existing_step_keeps_the_past():
    # default: 0 until 2026-01-01, then 0.05; a ramp from that date to 0.15 by 2030
    base = Schedule(((dt.date(2015, 1, 1), 0.0), (dt.date(2026, 1, 1), 0.0), (dt.date(2026, 1, 1), 0.05)))
    ramp = base.then({"value": 0.15, "from": "2026-01-01", "to": "2030-01-01"})
    assert ramp.value_on("2024-06-30") == 0.0
    assert ramp.value_on("2025-12-31") == 0.0
    assert ramp.value_on("2026-01-01") == pytest.approx(0.05)
    assert ramp.value_on("2028-01-01") == pytest.approx(0.10, abs=1e-3)
    assert ramp.value_on("2031-01-01") == pytest.approx(0.15)


def test_change_inside_a_ramp_keeps_the_ramp_before_it():
    ramp = Schedule.constant(1.0).then({"value": 3.0, "from": "2020-01-01", "to": "2030-01-01"})
    step = ramp.then({"value": 10.0, "from": "2025-01-01"})
    assert step.value_on("2022-07-02") == pytest.approx(ramp.value_on("2022-07-02"))
    assert step.value_on("2024-12-31") == pytest.approx(ramp.value_on("2024-12-31"))
    assert step.value_on("2025-01-01") == 10.0 and step.value_on("2040-01-01") == 10.0
