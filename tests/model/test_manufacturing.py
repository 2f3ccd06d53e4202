"""ManufacturingSite: the suite calendar against SimPy, Erlang C and capacity; cost of goods."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math

import numpy as np
import pytest
import simpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cgt_sim
from cgt_sim.analysis.validate import batch_means, erlang_c, mmc_waits
from cgt_sim.model import manufacturing
from cgt_sim.model.manufacturing import (
    SEQUENTIAL_MAX,
    ManufacturingInputs,
    ManufacturingSite,
    batch_cost,
    learning_factor,
)
from cgt_sim.model.runparams import RunParams
from cgt_sim.timeline import Clock

HYP = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


# --- reference: a bare SimPy FIFO multi-server queue ------------------------------------------
def simpy_starts(orders, c):
    """Start time of every batch of every order in a ``simpy.Resource(capacity=c)`` FIFO queue.

    ``orders`` is a list of (arrival, n, duration): the n batches of an order request a suite at
    the arrival time, in order, and each holds it for ``duration``.
    """
    env = simpy.Environment()
    suites = simpy.Resource(env, capacity=c)
    starts = [[math.nan] * n for _, n, _ in orders]

    def batch(i, j, d):
        with suites.request() as req:
            yield req
            starts[i][j] = env.now
            yield env.timeout(d)

    def source():
        for i, (t, n, d) in enumerate(orders):
            if t > env.now:
                yield env.timeout(t - env.now)
            for j in range(n):
                env.process(batch(i, j, d))

    env.process(source())
    env.run()
    return starts


def poisson_orders(rng, count, rate, mean_duration, n_low=1, n_high=1, fixed_duration=False):
    """Poisson arrivals; each order has n in [n_low, n_high] batches of one duration."""
    times = np.cumsum(rng.exponential(1.0 / rate, count))
    ns = rng.integers(n_low, n_high + 1, count)
    if fixed_duration:
        ds = np.full(count, mean_duration)
    else:
        ds = rng.gamma(2.0, mean_duration / 2.0, count)
    return [(float(t), int(n), float(d)) for t, n, d in zip(times, ns, ds)]


def book_all(site, orders):
    return [site.book(t, n, d) for t, n, d in orders]


def assert_same_as_simpy(orders, c):
    site = ManufacturingSite("x", c)
    bookings = book_all(site, orders)
    ref = simpy_starts(orders, c)
    for (t, n, d), b, starts in zip(orders, bookings, ref):
        assert b.n == n
        # exact up to floating point: a large order adds k*d where SimPy adds d k times
        assert b.mean_wait == pytest.approx(sum(starts) / n - t, rel=1e-9, abs=1e-8)
        assert b.first_start == pytest.approx(min(starts), rel=1e-12, abs=1e-9)
        assert b.last_end == pytest.approx(max(starts) + d, rel=1e-12, abs=1e-9)


# --- exact equivalence with SimPy -------------------------------------------------------------
@pytest.mark.parametrize("c", [1, 2, 3, 5, 8])
def test_single_batch_orders_match_simpy_resource(c):
    rng = np.random.default_rng(100 + c)
    # utilisation 0.9: long queues form, so the equivalence is not trivial
    orders = poisson_orders(rng, 3000, rate=0.9 * c / 5.0, mean_duration=5.0)
    site = ManufacturingSite("x", c)
    waits = [b.mean_wait for b in book_all(site, orders)]
    ref = simpy_starts(orders, c)
    ref_waits = [s[0] - t for (t, _, _), s in zip(orders, ref)]
    assert max(ref_waits) > 5.0  # customers did queue
    np.testing.assert_allclose(waits, ref_waits, rtol=0.0, atol=1e-9)


@pytest.mark.parametrize("c,n_low,n_high", [(5, 1, 4), (4, 4, 13), (3, 1, 9), (1, 1, 5)])
def test_multi_batch_orders_match_simpy_same_duration(c, n_low, n_high):
    """Orders of n < c and n >= c batches, every batch of the run lasting the same time."""
    rng = np.random.default_rng(7 * c + n_high)
    mean_n = (n_low + n_high) / 2.0
    orders = poisson_orders(rng, 1500, rate=0.85 * c / (4.0 * mean_n), mean_duration=4.0,
                            n_low=n_low, n_high=n_high, fixed_duration=True)
    assert_same_as_simpy(orders, c)


# Orders of several batches with random durations: small orders are booked batch by batch,
# large ones (more than SEQUENTIAL_MAX batches) by water-filling; both must give what a FIFO
# queue with one server per suite gives.
@pytest.mark.parametrize("c,n_low,n_high", [(5, 1, 4), (4, 4, 13), (4, 25, 90), (7, 30, 200),
                                            (6, SEQUENTIAL_MAX + 1, 3 * SEQUENTIAL_MAX)])
def test_multi_batch_orders_match_simpy_random_durations(c, n_low, n_high):
    rng = np.random.default_rng(11 * c + n_high)
    mean_n = (n_low + n_high) / 2.0
    count = 1500 if n_high <= SEQUENTIAL_MAX else 150  # the SimPy reference is per batch
    orders = poisson_orders(rng, count, rate=0.85 * c / (4.0 * mean_n), mean_duration=4.0,
                            n_low=n_low, n_high=n_high)
    assert_same_as_simpy(orders, c)


@pytest.mark.parametrize("c,n", [(2, 2), (3, 2), (2, 40), (3, 60), (3, SEQUENTIAL_MAX + 40)])
def test_multi_batch_order_uses_a_suite_that_frees_within_the_order(c, n):
    # every suite but one is busy until day 1000; an order of n one-day batches arrives at 0
    orders = [(0.0, 1, 1000.0)] * (c - 1) + [(0.0, n, 1.0)]
    site = ManufacturingSite("x", c)
    b = book_all(site, orders)[-1]
    # FIFO with one free suite: the batches run back to back on it, starting 0, 1, ..., n-1
    assert b.mean_wait == pytest.approx((n - 1) / 2.0)
    assert b.last_end == pytest.approx(float(n))


@contextlib.contextmanager
def sequential_max(n):
    """Book orders of more than ``n`` batches by water-filling (n = 0: every order)."""
    saved = manufacturing.SEQUENTIAL_MAX
    manufacturing.SEQUENTIAL_MAX = n
    try:
        yield
    finally:
        manufacturing.SEQUENTIAL_MAX = saved


orders_strategy = st.lists(
    st.tuples(st.floats(0.0, 20.0, allow_nan=False, allow_infinity=False),  # gap
              st.integers(1, 3000),  # batches
              st.sampled_from([0.5, 3.0, 7.0, 14.0, 30.0]),  # days per batch (ties are likely)
              st.integers(0, 40)),  # suites commissioned before the order
    min_size=1, max_size=25)


@settings(HYP, max_examples=120)
@given(suites=st.integers(1, 400), orders=orders_strategy)
def test_waterfill_books_what_batch_by_batch_books_on_big_sites(suites, orders):
    """Large orders on sites of many suites, booked by water-filling over groups of suites,
    against the same orders booked batch by batch (each on the earliest-free suite, the
    FIFO queue the SimPy tests above check)."""
    fill, one_by_one = ManufacturingSite("w", suites), ManufacturingSite("s", suites)
    t = 0.0
    for gap, n, d, added in orders:
        t += gap
        fill.add_suites(t, added)
        one_by_one.add_suites(t, added)
        with sequential_max(0):
            b = fill.book(t, n, d)
        with sequential_max(10 ** 9):
            ref = one_by_one.book(t, n, d)
        assert b.n == ref.n == n
        assert b.mean_wait == pytest.approx(ref.mean_wait, rel=1e-9, abs=1e-7)
        assert b.first_start == pytest.approx(ref.first_start, rel=1e-12, abs=1e-9)
        assert b.last_end == pytest.approx(ref.last_end, rel=1e-12, abs=1e-9)
        assert fill.free == pytest.approx(one_by_one.free, rel=1e-12, abs=1e-9)
    assert fill.busy_days.sum() == pytest.approx(one_by_one.busy_days.sum(), rel=1e-9)
    # grouped: a site of hundreds of suites keeps a few groups per order in flight
    assert len(fill._at) <= 1 + 2 * len(orders) + sum(1 for o in orders if o[3])


# --- Erlang C ---------------------------------------------------------------------------------
def test_erlang_c_formula_known_values():
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = rho
    # M/M/2, a = 1: C = (1/2)/(1 - 1/2) / (1 + 1 + 1) = 1/3
    assert erlang_c(2, 1.0) == pytest.approx(1.0 / 3.0)
    with pytest.raises(ValueError):
        erlang_c(2, 2.0)  # unstable


@pytest.mark.parametrize("c,rho", [(3, 0.75), (2, 0.7)])
def test_mean_wait_matches_erlang_c(c, rho):
    mu = 1.0 / 2.0  # mean service 2 days
    lam = rho * c * mu
    expected = erlang_c(c, lam / mu) / (c * mu - lam)
    waits = mmc_waits(c, lam, mu, 200_000, seed=2024 + c)[10_000:]

    # batch means: the batches (~4,750 customers, hundreds of busy periods) are nearly
    # independent, so their spread gives the standard error of the overall mean
    mean, se = batch_means(waits, 40)
    assert se < 0.05 * expected  # the test has power: 4 SE is < 20% of the target
    assert abs(mean - expected) < 4.0 * se, (mean, expected, se)
    # the share that waits at all is Erlang C itself (binomial-ish, same batch-means idea)
    waited, se_c = batch_means((waits > 0).astype(float), 40)
    assert abs(waited - erlang_c(c, lam / mu)) < 4.0 * se_c


# --- capacity ---------------------------------------------------------------------------------
events_strategy = st.lists(
    st.one_of(
        st.tuples(st.just("book"),
                  st.floats(0.0, 30.0, allow_nan=False, allow_infinity=False),  # gap
                  st.integers(1, 50),
                  st.floats(0.01, 60.0, allow_nan=False, allow_infinity=False)),
        st.tuples(st.just("add"),
                  st.floats(0.0, 30.0, allow_nan=False, allow_infinity=False),
                  st.integers(0, 5),
                  st.just(0.0)),
    ),
    min_size=1, max_size=40)


@settings(HYP, max_examples=150)
@given(suites=st.integers(1, 20), events=events_strategy, n_bins=st.integers(1, 120))
def test_capacity_never_exceeded(suites, events, n_bins):
    horizon = sum(e[1] for e in events) + sum(e[2] * e[3] for e in events) + 1.0
    edges = np.linspace(0.0, horizon, n_bins + 1)
    site = ManufacturingSite("x", suites, year_edges=edges)
    t = 0.0
    booked = 0.0
    for kind, gap, n, d in events:
        t += gap
        if kind == "add":
            site.add_suites(t, n)
            suites += n
            assert len(site.free) == suites == site.suites
            assert sum(1 for f in site.free if f == t) >= n  # new suites free from today
            continue
        before = sorted(site.free)
        b = site.book(t, n, d)
        after = site.free
        booked += n * d
        c = len(after)
        assert c == suites == site.suites
        assert after == sorted(after)
        # no suite becomes free earlier than it was
        assert all(a >= f - 1e-9 for a, f in zip(after, before))
        # the order's suite-days are added to the calendar (idle gaps can only add more)
        assert sum(after) - sum(before) >= n * d - 1e-9 * max(1.0, sum(after))
        # at least min(n, c) suites are now busy until after this order's first batch ends
        assert sum(1 for f in after if f >= t + d - 1e-9) >= min(n, c)
        assert b.n == n and b.duration == d
        assert b.mean_wait >= 0.0
        assert b.first_start >= t - 1e-12
        assert b.first_start >= min(before) - 1e-12
        assert b.first_start - t <= b.mean_wait + 1e-9  # first batch waits least
        # c suites in parallel cannot finish n batches faster than ceil(n / c) durations
        assert b.last_end >= t + math.ceil(n / c) * d - 1e-9
        assert b.last_end <= max(after) + 1e-9
    # every booked suite-day falls into the bins, and no bin has more than its suite-days
    assert site.busy_days.sum() == pytest.approx(booked, rel=1e-9, abs=1e-9)
    u = site.utilisation()
    assert np.all(np.isnan(u) | (u <= 1.0 + 1e-9)), u
    assert np.all(site.busy_days <= site.suite_days * (1.0 + 1e-9) + 1e-9)


def test_unlimited_site_never_waits():
    site = ManufacturingSite("x", 1, unlimited=True)
    for t in (0.0, 0.0, 1.0):
        b = site.book(t, 1000, 10.0)
        assert b.mean_wait == 0.0 and b.first_start == t and b.last_end == t + 10.0
    assert site.queue_wait(1.0) == 0.0


def test_empty_order_books_nothing():
    site = ManufacturingSite("x", 2)
    b = site.book(3.0, 0, 5.0)
    assert b.n == 0 and b.mean_wait == 0.0
    assert site.free == [0.0, 0.0]


def test_idle_site_runs_batches_back_to_back_in_waves():
    # 7 batches of 2 days on 3 idle suites: waves start at 0, 2, 4 -> 3 + 3 + 1 batches
    site = ManufacturingSite("x", 3)
    b = site.book(10.0, 7, 2.0)
    assert b.first_start == 10.0
    assert b.mean_wait == pytest.approx((0 * 3 + 2 * 3 + 4 * 1) / 7)
    assert b.last_end == pytest.approx(16.0)
    assert site.free == pytest.approx([14.0, 14.0, 16.0])


# --- add_suites ---------------------------------------------------------------------------------
def test_add_suites_increases_capacity_from_commissioning_day_only():
    edges = np.array([0.0, 100.0, 200.0])
    site = ManufacturingSite("x", 2, year_edges=edges)
    site.book(0.0, 2, 150.0)  # both suites busy until day 150
    assert site.queue_wait(60.0) == pytest.approx(90.0)

    site.add_suites(50.0, 1)
    assert site.suites == 3 and len(site.free) == 3
    # an order placed before commissioning cannot start before the suite exists
    early = site.book(10.0, 1, 5.0)
    assert early.first_start == pytest.approx(50.0)
    # from then on the new suite takes work: 55 -> free at once
    assert site.queue_wait(55.0) == 0.0
    b = site.book(55.0, 1, 10.0)
    assert b.mean_wait == 0.0 and b.last_end == pytest.approx(65.0)
    assert site.queue_wait(60.0) == pytest.approx(5.0)

    site.add_suites(60.0, 0)  # a no-op
    assert site.suites == 3

    u = site.utilisation()
    # suite-days: 2 x 100 + 1 x 50 in the first year, 3 x 100 in the second
    np.testing.assert_allclose(site.suite_days, [250.0, 300.0])
    busy0 = 2 * 100.0 + 5.0 + 10.0
    busy1 = 2 * 50.0
    np.testing.assert_allclose(site.busy_days, [busy0, busy1])
    np.testing.assert_allclose(u, [busy0 / 250.0, busy1 / 300.0])


def test_retiring_takes_idle_suites_only_and_keeps_the_first_suites():
    edges = np.array([0.0, 100.0, 200.0])
    site = ManufacturingSite("x", 2, year_edges=edges)
    site.add_suites(0.0, 6)  # 8 suites, 2 of them the site's first
    site.book(0.0, 3, 150.0)  # 3 busy until day 150
    assert site.retire_suites(50.0, 0) == 0
    assert site.retire_suites(50.0, 4) == 4  # 5 idle: 4 go
    assert site.suites == 4 and len(site.free) == 4
    assert site.retire_suites(60.0, 4) == 1  # the one idle suite; the 3 busy ones stay
    assert site.suites == 3 and site.retire_suites(100.0, 4) == 0  # none idle
    assert site.retire_suites(160.0, 10) == 1  # all idle again: down to the first 2, never below
    assert site.suites == 2 and site.retire_suites(170.0, 1) == 0
    # the calendar still books on what is left: two batches now, the third after them
    b = site.book(170.0, 3, 10.0)
    assert b.first_start == pytest.approx(170.0) and b.last_end == pytest.approx(190.0)
    site.utilisation()
    # suite-days: 8 x 50 + 4 x 10 + 3 x 40 in the first year; 3 x 60 + 2 x 40 in the second
    np.testing.assert_allclose(site.suite_days, [560.0, 260.0])


def _review(inputs, site, orders_per_day, duration, years):
    """Run ``expansion_review`` on ``site`` while ``orders_per_day`` batches of ``duration``
    days are ordered every day (a steady demand of their product in suite-days a day)."""
    env = simpy.Environment()

    def demand(env):
        while True:
            site.book(env.now, orders_per_day, duration)
            yield env.timeout(1.0)

    added, retired = [], []
    if orders_per_day:
        env.process(demand(env))
    env.process(manufacturing.expansion_review(env, site, inputs, lambda s, k: added.append(k),
                                               lambda s, k: retired.append(k)))
    env.run(until=years * 365.25)
    return added, retired


def _inputs(params, **values):
    inputs = ManufacturingInputs.bind(params)
    return dataclasses.replace(inputs, **{k: (lambda t, v=v: v) for k, v in values.items()})


@pytest.mark.parametrize("demand", [6.0, 10.0, 23.0])
def test_a_site_with_steady_demand_retires_down_to_the_retirement_band(params, demand):
    """Closed form: with a steady demand r (suite-days a day) a site of many idle suites sheds
    them until r / S is at least the retirement threshold; it never goes below what brings it
    to the expansion target (but for rounding, one suite), and expands no more."""
    inputs = _inputs(params, retirement_threshold=0.4, expansion_target_utilisation=0.7,
                     expansion_threshold=0.85)
    site = ManufacturingSite("x", 2)
    site.add_suites(0.0, 98)
    added, retired = _review(inputs, site, 1, demand, 8)
    assert not added and sum(retired) == 100 - site.suites
    assert demand / 0.7 - 1.0 < site.suites <= demand / 0.4
    assert len(retired) >= 2  # shed over several reviews, half the excess at a time


def test_no_retirement_at_a_zero_threshold_and_none_below_the_first_suites(params):
    site = ManufacturingSite("x", 2)
    site.add_suites(0.0, 38)
    assert _review(_inputs(params, retirement_threshold=0.0), site, 1, 4.0, 6) == ([], [])
    assert site.suites == 40
    site = ManufacturingSite("x", 3)
    site.add_suites(0.0, 37)
    _, retired = _review(_inputs(params, retirement_threshold=0.4), site, 0, 1.0, 6)  # no demand
    assert site.suites == 3 and sum(retired) == 37


def test_more_suites_never_wait_longer():
    rng = np.random.default_rng(5)
    orders = poisson_orders(rng, 500, rate=0.5, mean_duration=5.0, fixed_duration=True)
    totals = []
    for c in (2, 3, 4, 8):
        site = ManufacturingSite("x", c)
        totals.append(sum(b.mean_wait for b in book_all(site, orders)))
    assert totals == sorted(totals, reverse=True)
    assert totals[0] > totals[-1]


def test_backlog_ratio():
    site = ManufacturingSite("x", 4)
    assert site.backlog_ratio(0.0, 30.0) == 0.0
    site.book(0.0, 2, 30.0)  # 2 of 4 suites booked for one 30-day window
    assert site.backlog_ratio(0.0, 30.0) == pytest.approx(0.5)
    assert site.backlog_ratio(15.0, 30.0) == pytest.approx(0.25)
    site.book(0.0, 8, 30.0)  # can exceed 1
    assert site.backlog_ratio(0.0, 30.0) == pytest.approx((30 * 2 + 60 * 2 + 60 * 2) / 120.0)


# --- cost of goods ----------------------------------------------------------------------------
@settings(HYP, max_examples=200)
@given(c1=st.floats(0.0, 1e7), c2=st.floats(0.0, 1e7), ref=st.floats(1.0, 1e6),
       lr=st.floats(0.0, 0.9))
def test_learning_factor_never_rises_with_cumulative_batches(c1, c2, ref, lr):
    lo, hi = sorted((c1, c2))
    f_lo, f_hi = learning_factor(lo, ref, lr), learning_factor(hi, ref, lr)
    assert 0.0 < f_hi <= f_lo * (1.0 + 1e-12)
    assert f_lo <= 1.5


@pytest.mark.parametrize("lr", [0.1, 0.15, 0.3])
def test_learning_factor_is_wrights_law(lr):
    ref = 5000.0
    assert learning_factor(ref, ref, lr) == pytest.approx(1.0)
    for k in range(1, 6):
        assert learning_factor(ref * 2 ** k, ref, lr) == pytest.approx((1 - lr) ** k)
    assert learning_factor(ref / 2, ref, lr) == pytest.approx(min(1.5, 1 / (1 - lr)))
    assert learning_factor(0.0, ref, lr) == pytest.approx(1.5)  # capped below the reference
    assert learning_factor(1e9, ref, 0.0) == 1.0


@pytest.fixture(scope="module")
def params():
    sc = cgt_sim.load_scenario("scenarios/baseline.yaml")
    return RunParams(sc, Clock(dt.date(2015, 1, 1)))


@pytest.fixture(scope="module")
def inputs(params):
    return ManufacturingInputs.bind(params)


@pytest.mark.parametrize("modality", cgt_sim.MODALITIES)
def test_batch_cost_falls_with_volume_automation_and_utilisation(params, inputs, modality):
    d = params(f"manufacturing.batch_days.{modality}")
    cum = [0.0, 100.0, 5000.0, 20000.0, 1e6]
    by_volume = [batch_cost(inputs, modality, 0.0, x, 1.0, d, 0.5) for x in cum]
    assert all(c > 0 for c in by_volume)
    assert by_volume == sorted(by_volume, reverse=True)
    assert by_volume[0] > by_volume[-1]

    # a yearly automation decline compounds: a higher decline never raises the cost
    years = 10
    by_decline = [batch_cost(inputs, modality, 0.0, 5000.0, (1.0 - g) ** years, d, 0.5)
                  for g in (-0.02, 0.0, 0.02, 0.05, 0.1)]
    assert by_decline == sorted(by_decline, reverse=True)
    assert by_decline[0] > by_decline[-1]

    # idle suites are paid by the batches made: busier suites, cheaper batches
    by_util = [batch_cost(inputs, modality, 0.0, 5000.0, 1.0, d, u) for u in (0.0, 0.2, 0.5, 1.0)]
    assert by_util[0] == by_util[1]  # utilisation floored at 0.2
    assert by_util == sorted(by_util, reverse=True)


def test_batch_cost_components(params, inputs):
    m = "autologous_car_t"
    p = params
    direct = (p(f"manufacturing.materials_cny.{m}")
              * (1 + p("manufacturing.import_share") * p("manufacturing.import_premium"))
              + p(f"manufacturing.labour_hours.{m}") * p("manufacturing.wage_cny_per_hour")
              + p(f"manufacturing.qc_cny.{m}"))
    overhead = p("manufacturing.suite_overhead_cny_per_year") * 8.0 / 365.25 / 0.5
    ref = p("manufacturing.learning_reference_batches")
    got = batch_cost(inputs, m, 0.0, ref * 2, 0.9, 8.0, 0.5)
    lf = 1 - p("manufacturing.learning_rate")
    assert got == pytest.approx(direct * lf * 0.9 + overhead * 0.9)
