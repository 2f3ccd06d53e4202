"""Manufacturing: sites with a finite number of GMP suites, batches, failures, cost of goods.

A ``ManufacturingSite`` keeps a *suite calendar*: for every suite the day it next becomes free.
An order of ``n`` batches arriving at ``t`` is booked first-come first-served, each batch on the
suite that frees first (the Kiefer-Wolfowitz recursion of a FIFO multi-server queue). With
single-batch orders this is exactly the queue a ``simpy.Resource`` with one unit per suite
gives (``tests/model/test_manufacturing.py`` checks both against each other and against
Erlang C), but a whole order (a trial cohort, a month of a product's patients) is booked in
steps per *group* of suites that free up on the same day, whatever ``n`` is and however many
suites the site has: the cost of a replication does not grow with patients.

All batches of one order share one duration draw (a manufacturing campaign).
Capacity is never exceeded: each suite's busy intervals are disjoint by construction, and new
suites only become bookable on the day they are commissioned.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..parameters import CLUSTERS, MODALITIES
from ..timeline import DAYS_PER_MONTH, DAYS_PER_YEAR, year_index
from .runparams import Count, RunParams, Value

if TYPE_CHECKING:
    from .financing import Sponsor
    from .program import Program

SEQUENTIAL_MAX = 64  # orders up to this many batches are booked batch by batch


@dataclass
class Booking:
    """What an order got: queue waits and when its batches finish."""

    n: int
    first_start: float
    mean_wait: float  # mean over batches of (start - arrival), days
    last_end: float
    duration: float  # days per batch


@dataclass
class ManufacturingSite:
    name: str
    suites: int
    start_day: float = 0.0
    unlimited: bool = False
    year_edges: np.ndarray | None = None  # simulation days of 1 Jan of each simulated year + end
    busy_days: np.ndarray = field(init=False)  # per year: suite-days booked inside the year
    suite_days: np.ndarray = field(init=False)  # per year: suite-days installed
    batches: np.ndarray = field(init=False)
    pending_suites: int = 0
    ordered: float = 0.0  # suite-days ordered from the site so far (its demand, waits aside)

    def __post_init__(self):
        # The calendar, grouped: _at[i] (strictly increasing) is a day on which _count[i] suites
        # next become free. Suites freed by one order on one day form one group, so a site of
        # thousands of suites has only as many groups as orders in flight.
        self._at = [float(self.start_day)] if self.suites > 0 else []
        self._count = [self.suites] if self.suites > 0 else []
        ny = 1 if self.year_edges is None else len(self.year_edges) - 1
        self.busy_days = np.zeros(ny)
        self.suite_days = np.zeros(ny)
        self.batches = np.zeros(ny)
        self._installed = [(self.start_day, self.suites)]
        self._edges = [] if self.year_edges is None else [float(e) for e in self.year_edges]
        self._year_span = (0.0, -1.0, 0)  # (first day, end day, index) of the last year counted

    @property
    def free(self) -> list[float]:
        """The day each suite is next free, one entry per suite, sorted (for inspection)."""
        return [a for a, k in zip(self._at, self._count) for _ in range(k)]

    def _release(self, day: float, k: int) -> None:
        """``k`` suites become free on ``day``."""
        at = self._at
        i = bisect.bisect_left(at, day)
        if i < len(at) and at[i] == day:
            self._count[i] += k
        else:
            at.insert(i, day)
            self._count.insert(i, k)

    def _settle(self, t: float) -> None:
        """Suites already free at ``t`` become one group free from ``t``: which of them runs the
        next batch changes no start time."""
        at, count = self._at, self._count
        i = bisect.bisect_right(at, t)
        if i == 1:
            at[0] = t
        elif i > 1:
            k = sum(count[:i])
            del at[1:i], count[1:i]
            at[0], count[0] = t, k

    # --- booking -------------------------------------------------------------------------
    def book(self, t: float, n: int, duration: float) -> Booking:
        """Book ``n`` batches of ``duration`` days arriving at ``t`` (FIFO, earliest-free suite)."""
        if n <= 0:
            return Booking(0, t, 0.0, t, duration)
        self.ordered += n * duration
        if self.unlimited:
            self._count_batches(t, n)
            return Booking(n, t, 0.0, t + duration, duration)
        if not self._at:
            raise RuntimeError(f"site {self.name} has no suites")
        self._settle(t)
        if self._at[0] == t and self._count[0] >= n:
            return self._book_idle(t, n, duration)
        if n <= SEQUENTIAL_MAX:
            return self._book_sequential(t, n, duration)
        return self._book_waterfill(t, n, duration)

    def _take(self, i: int, k: int) -> None:
        """``k`` suites of group ``i`` are booked."""
        self._count[i] -= k
        if self._count[i] == 0:
            del self._at[i], self._count[i]

    def _book_idle(self, t: float, n: int, duration: float) -> Booking:
        """At least ``n`` suites are idle: each batch starts now on one of them."""
        e = t + duration
        self._take(0, n)
        self._release(e, n)
        self._count_busy(t, n, t, e, duration, (t,), (e,), (n,))
        return Booking(n, t, 0.0, e, duration)

    def _book_sequential(self, t: float, n: int, duration: float) -> Booking:
        """Batch after batch on the earliest-free suite, a group at a time: the suites of the
        earliest group all take a batch at its day before any of them frees again (small
        orders; exact for any order)."""
        at, count = self._at, self._count
        starts, ends, sizes = [], [], []
        left, start_sum = n, 0.0
        while left:
            s = at[0] if at[0] > t else t
            k = count[0] if count[0] < left else left
            e = s + duration
            self._take(0, k)
            self._release(e, k)
            starts.append(s)
            ends.append(e)
            sizes.append(k)
            start_sum += k * s
            left -= k
        self._count_busy(t, n, starts[0], ends[-1], duration, starts, ends, sizes)
        return Booking(n, starts[0], max(0.0, start_sum / n - t), ends[-1], duration)

    def _book_waterfill(self, t: float, n: int, duration: float) -> Booking:
        """A large order at once. With equal durations, a suite free at a can start batches at
        a, a + d, a + 2d, ...; FIFO earliest-free assignment gives the batches the n smallest of
        these start times. Find the level T a fluid fill of n batches reaches, give each group
        its slots up to T, and drop the latest few (splitting a group where only some of its
        suites lose a slot). Work is per group, not per suite or per batch, and in arrays: a
        big site has hundreds of groups."""
        d = duration
        at, count = self._at, self._count  # settled: at[0] >= t, so a suite's start is its day
        # only groups free before the first could finish all n batches can take any
        m = max(1, bisect.bisect_left(at, at[0] + n * d))
        a, c = np.array(at[:m]), np.array(count[:m], dtype=np.int64)
        # the fill level with the first j groups: (n d + sum a c) / sum c, accumulated in order
        levels = np.cumsum(np.concatenate(([n * d], a * c)))[1:] / np.cumsum(c.astype(float))
        beyond = np.flatnonzero(a > levels)  # the first group that would start above its level
        used = int(beyond[0]) if beyond.size else m
        level = float(levels[used - 1]) if used else 0.0
        a, c = a[:used], c[:used]
        k = np.floor((level - a) / d + 1e-9).astype(np.int64) + 1  # batches per suite
        excess = int(c @ k) - n
        splits: list[list] = []  # [first start, suites, batches per suite] split off a group
        if excess > 0:
            # the fluid fill rounds up, so at most one slot per suite is dropped again: latest
            # last slot first (ties in group order), a whole group's worth while enough remain
            live = np.flatnonzero(k > 0)
            order = live[np.argsort(-(a[live] + (k[live] - 1) * d), kind="stable")]
            taken = np.cumsum(c[order])
            whole = int(np.searchsorted(taken, excess, side="right"))  # groups losing a slot each
            k[order[:whole]] -= 1
            left = excess - (int(taken[whole - 1]) if whole else 0)
            if left > 0 and whole < order.size:  # some suites of the next group lose theirs
                j = int(order[whole])
                c[j] -= left
                splits.append([float(a[j]), left, int(k[j]) - 1])
                left = 0
            excess = left
        if excess != 0:  # floating point left the fill uneven (rare): settle slot by slot
            groups = [[x, y, z] for x, y, z in zip(a.tolist(), c.tolist(), k.tolist())] + splits
            used = _even_out(groups, excess, at, count, used, m, d)
            a = np.array([g[0] for g in groups], dtype=float)
            c, k = (np.array([g[i] for g in groups], dtype=np.int64) for i in (1, 2))
        elif splits:
            a = np.concatenate((a, [g[0] for g in splits]))
            c = np.concatenate((c, np.array([g[1] for g in splits], dtype=np.int64)))
            k = np.concatenate((k, np.array([g[2] for g in splits], dtype=np.int64)))
        free = a + k * d
        self._merge_calendar(used, free, c)
        busy = k > 0
        a, c, k, free = a[busy], c[busy], k[busy], free[busy]
        start_sum = math.fsum((c * (k * a + d * k * (k - 1) / 2.0)).tolist())
        first, last = float(a.min()), float(free.max())
        self._count_busy(t, n, first, last, d, a, free, c)
        return Booking(n, first, max(0.0, start_sum / n - t), last, d)

    def _merge_calendar(self, used: int, free: np.ndarray, suites: np.ndarray) -> None:
        """Replace the first ``used`` groups of the calendar by ``suites[i]`` suites free on
        ``free[i]`` (groups on the same day become one)."""
        days = np.concatenate((self._at[used:], free))
        counts = np.concatenate((np.array(self._count[used:], dtype=np.int64), suites))
        order = np.argsort(days, kind="stable")
        days, counts = days[order], counts[order]
        first = np.flatnonzero(np.concatenate(([True], days[1:] != days[:-1])))
        self._at = days[first].tolist()
        self._count = np.add.reduceat(counts, first).tolist()

    def queue_wait(self, t: float) -> float:
        """How long a single batch arriving at ``t`` would wait for a suite."""
        if self.unlimited or not self._at:
            return 0.0
        return max(0.0, self._at[0] - t)

    def backlog_ratio(self, t: float, window: float) -> float:
        """Suite-days booked from ``t`` on, over the suite-days of one ``window`` (can exceed 1)."""
        if self.unlimited or not self._at or window <= 0:
            return 0.0
        at, count = self._at, self._count
        i = bisect.bisect_right(at, t)
        booked = math.fsum(k * (a - t) for a, k in zip(at[i:], count[i:]))
        return booked / (sum(count) * window)

    # --- capacity ------------------------------------------------------------------------
    def add_suites(self, t: float, k: int) -> None:
        """Commission ``k`` new suites on day ``t``."""
        if k <= 0:
            return
        self._release(t, k)
        self.suites += k
        self._installed.append((t, self.suites))

    def retire_suites(self, t: float, k: int) -> int:
        """Retire up to ``k`` suites idle on day ``t`` (none that is busy or booked), keeping at
        least the suites the site started with and one; the number retired."""
        if self.unlimited or k <= 0 or not self._at:
            return 0
        self._settle(t)
        idle = self._count[0] if self._at[0] <= t else 0
        first = self._installed[0][1]  # the suites the site started with
        k = min(k, idle, self.suites - max(first, 1))
        if k <= 0:
            return 0
        self._take(0, k)
        self.suites -= k
        self._installed.append((t, self.suites))
        return k

    def close_year_accounts(self) -> None:
        """Fill suite-days installed per year from the commissioning history."""
        if self.year_edges is None:
            return
        edges = self.year_edges
        self.suite_days[:] = 0.0
        hist = self._installed + [(edges[-1], self.suites)]
        for (t0, k), (t1, _) in itertools.pairwise(hist):
            lo = np.maximum(edges[:-1], t0)
            hi = np.minimum(edges[1:], t1)
            self.suite_days += k * np.clip(hi - lo, 0.0, None)

    def utilisation(self) -> np.ndarray:
        self.close_year_accounts()
        with np.errstate(invalid="ignore", divide="ignore"):
            u = np.where(self.suite_days > 0, self.busy_days / self.suite_days, np.nan)
        return u

    def _year(self, t: float) -> int:
        return year_index(self._edges, t)

    def _count_batches(self, t: float, n: int) -> None:
        self.batches[self._year(t) if self._edges else 0] += n

    def _count_busy(self, t, n, first, last, duration, starts, ends, suites=None) -> None:
        """Add booked suite-days to the years they fall in. ``starts``/``ends``: busy intervals
        (``suites[i]`` suites busy over the i-th; one each without ``suites``); ``first``/``last``:
        the earliest start and the latest end."""
        total = n * duration
        if not self._edges:
            self.batches[0] += n
            self.busy_days[0] += total
            return
        lo, hi, yi = self._year_span
        if not lo <= t < hi:
            yi = self._year(t)
            self._year_span = (self._edges[yi], self._edges[yi + 1], yi)
            lo, hi = self._year_span[:2]
        self.batches[yi] += n
        if first >= lo and last <= hi:
            self.busy_days[yi] += total  # the common case: the whole order inside one year
            return
        edges = self._edges
        s_arr, e_arr = np.asarray(starts, dtype=float), np.asarray(ends, dtype=float)
        k = 1.0 if suites is None else np.asarray(suites, dtype=float)
        for y in range(self._year(first), self._year(last) + 1):
            overlap = np.minimum(e_arr, edges[y + 1]) - np.maximum(s_arr, edges[y])
            self.busy_days[y] += float((k * np.clip(overlap, 0.0, None)).sum())



def _even_out(groups: list, excess: int, at: list, count: list, used: int, m: int, d: float) -> int:
    """Finish a water-fill whose rounding left ``excess`` slots too many (> 0) or too few (< 0):
    drop the latest slots, or give the earliest free ones (from groups ``used`` to ``m - 1`` of
    the calendar ``at``/``count`` if need be). ``groups`` ([first start, suites, batches per
    suite]) is changed in place; returns how many calendar groups are now used."""
    while excess > 0:
        for g in sorted((g for g in groups if g[2] > 0), key=lambda g: g[0] + (g[2] - 1) * d, reverse=True):
            take = min(excess, g[1])
            if take == g[1]:
                g[2] -= 1
            else:
                g[1] -= take
                groups.append([g[0], take, g[2] - 1])
            excess -= take
            if excess == 0:
                break
    while excess < 0:
        idle = [[at[j], count[j], 0] for j in range(used, m)]
        g = min(groups + idle, key=lambda g: g[0] + g[2] * d)
        if any(g is x for x in idle):
            groups.append(g)
            used += 1
        take = min(-excess, g[1])
        if take == g[1]:
            g[2] += 1
        else:
            g[1] -= take
            groups.append([g[0], take, g[2] + 1])
        excess += take
    return used


@dataclass(frozen=True, slots=True)
class ManufacturingInputs:
    capacity_unlimited: bool  # for the whole run
    suites_2015: dict[str, int]  # by cluster, for the whole run
    batch_days: dict[str, Value]  # by modality
    qc_release_days: dict[str, Value]
    batch_cv: Value
    failure_rate: dict[str, Value]
    remanufacture_success: Value
    doses_per_batch: dict[str, Count]
    materials_cny: dict[str, Value]
    labour_hours: dict[str, Value]
    wage_cny_per_hour: Value
    qc_cny: dict[str, Value]
    suite_overhead_cny_per_year: Value
    import_share: Value
    import_premium: Value
    learning_rate: Value
    learning_reference_batches: Value
    cogs_annual_decline: Value
    expansion_threshold: Value
    expansion_target_utilisation: Value
    retirement_threshold: Value
    demand_window_months: Value
    expansion_lead_months: Value
    review_months: Value
    own_plant_share: dict[str, Value]  # by modality
    own_plant_capex_cny: Value
    own_plant_lead_months: Value
    own_plant_suites: Count

    @classmethod
    def bind(cls, params: RunParams) -> ManufacturingInputs:
        b, whole = params.bind, params.bind_whole

        def per_modality(name: str) -> dict[str, Value]:
            return {m: b(f"manufacturing.{name}.{m}") for m in MODALITIES}

        return cls(
            capacity_unlimited=bool(params.fixed("manufacturing.capacity_unlimited")),
            suites_2015={c: int(round(params.fixed(f"manufacturing.suites_2015.{c}"))) for c in CLUSTERS},
            batch_days=per_modality("batch_days"),
            qc_release_days=per_modality("qc_release_days"),
            batch_cv=b("manufacturing.batch_cv"),
            failure_rate=per_modality("failure_rate"),
            remanufacture_success=b("manufacturing.remanufacture_success"),
            doses_per_batch={m: whole(f"manufacturing.doses_per_batch.{m}") for m in MODALITIES},
            materials_cny=per_modality("materials_cny"),
            labour_hours=per_modality("labour_hours"),
            wage_cny_per_hour=b("manufacturing.wage_cny_per_hour"),
            qc_cny=per_modality("qc_cny"),
            suite_overhead_cny_per_year=b("manufacturing.suite_overhead_cny_per_year"),
            import_share=b("manufacturing.import_share"),
            import_premium=b("manufacturing.import_premium"),
            learning_rate=b("manufacturing.learning_rate"),
            learning_reference_batches=b("manufacturing.learning_reference_batches"),
            cogs_annual_decline=b("manufacturing.cogs_annual_decline"),
            expansion_threshold=b("manufacturing.expansion_threshold"),
            expansion_target_utilisation=b("manufacturing.expansion_target_utilisation"),
            retirement_threshold=b("manufacturing.retirement_threshold"),
            demand_window_months=b("manufacturing.demand_window_months"),
            expansion_lead_months=b("manufacturing.expansion_lead_months"),
            review_months=b("manufacturing.review_months"),
            own_plant_share=per_modality("own_plant_share"),
            own_plant_capex_cny=b("manufacturing.own_plant_capex_cny"),
            own_plant_lead_months=b("manufacturing.own_plant_lead_months"),
            own_plant_suites=whole("manufacturing.own_plant_suites"),
        )


def expansion_review(env, site: ManufacturingSite, inputs: ManufacturingInputs,
                     on_expand: Callable[[ManufacturingSite, int], None] | None = None,
                     on_retire: Callable[[ManufacturingSite, int], None] | None = None):
    """Every review period, forecast the site's demand at the end of the build lead time and
    order suites when its installed and planned suites would then be too busy, or retire idle
    suites when they would stay idle.

    Demand is the suite time ordered from the site per day (``ManufacturingSite.ordered``; waits
    do not lower it), measured over the last ``demand_window_months`` and, for its growth, the
    window before; the forecast carries the recent rate forward over the lead time at that growth
    (no decline is assumed, and no growth beyond +50% a year: a planner does not build on a
    burst). When the
    forecast would keep the suites installed and being built at or above
    ``expansion_threshold`` utilisation, the site orders enough suites to bring it to
    ``expansion_target_utilisation`` (a lower level: hysteresis), ready after
    ``expansion_lead_months``. When nothing is being built and both the forecast and the demand
    of the window before the last would keep the installed suites below
    ``retirement_threshold`` utilisation, the site retires idle suites, half of those above what
    would bring it to ``expansion_target_utilisation`` at each review (never below the suites it
    started with). A site sized from demand, not from its backlog, ends with the suites its demand needs,
    however many it started with.
    """
    history = [(float(env.now), site.ordered)]
    while True:
        yield env.timeout(inputs.review_months(env.now) * DAYS_PER_MONTH)
        t = env.now
        history.append((t, site.ordered))
        if site.unlimited:
            continue
        window = inputs.demand_window_months(t) * DAYS_PER_MONTH
        while len(history) > 2 and history[1][0] <= t - 2.0 * window:
            history.pop(0)  # older reviews no longer count
        recent = _order_rate(history, t - window, t)
        earlier = _order_rate(history, t - 2.0 * window, t - window)
        if recent <= 0.0:
            _retire(site, t, 0.0, earlier, inputs, on_retire)
            continue
        years = window / DAYS_PER_YEAR  # growth over one window, between none and +50% a year
        growth = min(max(recent / earlier, 1.0), 1.5 ** years) if earlier > 0.0 else 1.0
        lead = inputs.expansion_lead_months(t) * DAYS_PER_MONTH
        forecast = recent * growth ** (lead / window)
        planned = site.suites + site.pending_suites
        if forecast < inputs.expansion_threshold(t) * planned:
            _retire(site, t, forecast, earlier, inputs, on_retire)
            continue
        k = math.ceil(forecast / inputs.expansion_target_utilisation(t) - planned)
        if k < 1:
            continue
        site.pending_suites += k
        env.process(_commission(env, site, k, lead, on_expand))


def _retire(site: ManufacturingSite, t: float, forecast: float, earlier: float, inputs: ManufacturingInputs,
            on_retire: Callable[[ManufacturingSite, int], None] | None) -> None:
    """Retire idle suites of ``site`` when, with nothing being built, both the ``forecast``
    demand and the demand of the window before the last (``earlier``) would keep its suites
    below ``retirement_threshold`` utilisation: half the suites above what would bring it to
    ``expansion_target_utilisation``, so that a site sheds capacity over several reviews."""
    low = inputs.retirement_threshold(t) * site.suites  # demand (suite-days a day) below which to retire
    if site.pending_suites or forecast >= low or earlier >= low:
        return
    excess = site.suites - forecast / inputs.expansion_target_utilisation(t)
    k = site.retire_suites(t, math.ceil(excess / 2.0))
    if k and on_retire is not None:
        on_retire(site, k)


def _order_rate(history: list[tuple[float, float]], start: float, end: float) -> float:
    """Suite-days ordered per day between ``start`` and ``end``, from the (day, ordered so far)
    samples of ``history`` (linear between samples; a window reaching before the first sample
    is cut to it). 0 for an empty window."""
    start = max(start, history[0][0])
    if end - start <= 0.0:
        return 0.0
    days = [d for d, _ in history]

    def ordered_at(day: float) -> float:
        i = bisect.bisect_right(days, day)
        if i >= len(history):
            return history[-1][1]
        (d0, o0), (d1, o1) = history[i - 1], history[i]
        return o0 + (o1 - o0) * (day - d0) / (d1 - d0) if d1 > d0 else o1

    return (ordered_at(end) - ordered_at(start)) / (end - start)


def _commission(env, site, k, lead, on_expand):
    yield env.timeout(lead)
    site.add_suites(env.now, k)
    site.pending_suites -= k
    if on_expand is not None:
        on_expand(site, k)


class OwnPlants:
    """Sponsors' own commercial plants. When a sponsor files its first marketing application it
    decides, with ``own_plant_share``, to build one: it pays the capital cost from its cash
    (raising a round if it must; without the money it tries again at each year's end, on CDMO
    suites meanwhile), and after the build lead time (about the length of the review) the
    plant's suites serve its commercial patients, growing with their demand by the same rule as
    a CDMO site's. Its trials stay on the cluster's CDMO suites."""

    def __init__(self, inputs: ManufacturingInputs, env, rng: np.random.Generator, year_edges: np.ndarray,
                 pay: Callable[[Sponsor, float], bool], on_ready: Callable[[Sponsor, ManufacturingSite], None],
                 expected_patients: Callable[[Program, float], float]):
        self.inputs = inputs
        self.env = env
        self.rng = rng
        self.year_edges = year_edges
        self.pay = pay  # pay(sponsor, capex) -> whether the sponsor could pay
        self.on_ready = on_ready
        self.expected_patients = expected_patients  # patients a product can expect in its first year
        self.decided: set[int] = set()  # sponsors that have decided
        self.waiting: list[tuple[Sponsor, int]] = []  # (sponsor, suites) wanting a plant, not yet paid
        self.plants: dict[int, ManufacturingSite] = {}  # sponsor id -> its plant, once built

    def consider(self, program: Program) -> None:
        """``program``'s sponsor files a marketing application for it: at its first, it decides
        on a plant, sized for the patients the product can expect in its first year."""
        inputs, t, sponsor = self.inputs, self.env.now, program.sponsor
        assert sponsor is not None
        if sponsor.id in self.decided:
            return
        self.decided.add(sponsor.id)
        if self.rng.random() >= inputs.own_plant_share[program.modality](t):
            return
        m = program.modality
        batches = self.expected_patients(program, t) / max(1, inputs.doses_per_batch[m](t))
        busy = batches * inputs.batch_days[m](t) / DAYS_PER_YEAR  # suites busy at that demand
        suites = max(inputs.own_plant_suites(t), math.ceil(busy / inputs.expansion_target_utilisation(t)))
        if not self._start(sponsor, suites):
            self.waiting.append((sponsor, suites))

    def retry(self) -> None:
        """At a year's end: sponsors still waiting to pay for their plant try again."""
        self.waiting = [(sponsor, suites) for sponsor, suites in self.waiting if not self._start(sponsor, suites)]

    def _start(self, sponsor: Sponsor, suites: int) -> bool:
        """Pay for ``sponsor``'s plant of ``suites`` suites and start building it; False if it
        cannot pay."""
        t = self.env.now
        if not self.pay(sponsor, self.inputs.own_plant_capex_cny(t)):
            return False
        self.env.process(self._build(sponsor, self.inputs.own_plant_lead_months(t) * DAYS_PER_MONTH, suites))
        return True

    def _build(self, sponsor: Sponsor, lead: float, suites: int):
        yield self.env.timeout(lead)
        site = ManufacturingSite(f"plant-{sponsor.id}", suites, float(self.env.now), False, self.year_edges)
        self.plants[sponsor.id] = site
        self.on_ready(sponsor, site)


# --- cost of goods ---------------------------------------------------------------------------
def learning_factor(cumulative_batches: float, reference: float, learning_rate: float) -> float:
    """Wright's law: cost x (1 - learning_rate) per doubling of cumulative batches vs reference.

    Below the reference volume costs are not extrapolated upwards (factor capped at 1.5x).
    """
    if learning_rate <= 0.0:
        return 1.0
    b = -math.log2(1.0 - learning_rate)
    x = max(cumulative_batches, 1.0) / reference
    return min(x ** (-b), 1.5)


def variable_batch_cost(inputs: ManufacturingInputs, modality: str, t: float, cumulative_batches: float) -> float:
    """Materials (with the imported-input premium, article 002) + labour + QC for one batch,
    on the learning curve, before the automation factor."""
    materials = inputs.materials_cny[modality](t) * (1.0 + inputs.import_share(t) * inputs.import_premium(t))
    labour = inputs.labour_hours[modality](t) * inputs.wage_cny_per_hour(t)
    qc = inputs.qc_cny[modality](t)
    lf = learning_factor(cumulative_batches, inputs.learning_reference_batches(t), inputs.learning_rate(t))
    return (materials + labour + qc) * lf


def overhead_per_batch(inputs: ManufacturingInputs, t: float, duration: float, utilisation: float) -> float:
    """The suite's yearly cost for the days a batch occupies it, over last year's utilisation
    (idle suites are paid for by the batches made: full-absorption costing)."""
    return inputs.suite_overhead_cny_per_year(t) * duration / 365.25 / max(utilisation, 0.2)


def batch_cost_from(variable: float, inputs: ManufacturingInputs, t: float, duration: float, utilisation: float,
                    automation_factor: float) -> float:
    """Cost of one batch in CNY from its variable part: (variable + overhead) x automation."""
    return (variable + overhead_per_batch(inputs, t, duration, utilisation)) * automation_factor


def batch_cost(inputs: ManufacturingInputs, modality: str, t: float, cumulative_batches: float,
               automation_factor: float, duration: float, utilisation: float) -> float:
    """Cost of one batch in CNY: (variable cost on the learning curve + overhead) x automation."""
    return batch_cost_from(variable_batch_cost(inputs, modality, t, cumulative_batches), inputs, t, duration,
                           utilisation, automation_factor)


class CostOfGoods:
    """The cost of a batch as manufacturing scales: cumulative batches by modality (the learning
    curve), the automation factor (falling month by month at the yearly decline in force) and
    last year's utilisation of each site and of the nation (suite overhead is spread over it).
    Snapshots the national cost of a batch of each modality at each year's end."""

    def __init__(self, inputs: ManufacturingInputs, sites: dict[str, ManufacturingSite], years: int):
        self.inputs = inputs
        self.sites = sites
        self.cumulative_batches = dict.fromkeys(MODALITIES, 0.0)
        self.automation = 1.0
        self.national_utilisation = 1.0 if inputs.capacity_unlimited else 0.5  # before the first year's accounts
        self.last_utilisation: dict[str, float] = {}
        self._variable: dict[str, tuple[int, float]] = {}  # modality -> (month, variable cost)
        self.snapshot = np.full((years, len(MODALITIES)), np.nan)

    def batch_cost(self, modality: str, t: float, duration: float, site: ManufacturingSite | None) -> float:
        """Cost of one batch at ``site`` (its overhead spread over its utilisation last year), or
        with ``site`` None at the national utilisation (suite-days of all sites); the variable
        part is re-priced once a month (learning curve)."""
        month = int(t // DAYS_PER_MONTH)
        cached = self._variable.get(modality)
        if cached is None or cached[0] != month:
            cached = (month, variable_batch_cost(self.inputs, modality, t, self.cumulative_batches[modality]))
            self._variable[modality] = cached
        if site is None:
            util = self.national_utilisation
        else:
            util = 1.0 if site.unlimited else self.last_utilisation.get(site.name, 0.5)
        return batch_cost_from(cached[1], self.inputs, t, duration, util, self.automation)

    def cost_per_dose(self, modality: str, t: float) -> float:
        """National cost of goods of one dose: a batch of the usual duration at the national
        utilisation, over the doses it makes."""
        batch = self.batch_cost(modality, t, self.inputs.batch_days[modality](t), None)
        return batch / max(1, self.inputs.doses_per_batch[modality](t))

    def made(self, modality: str, batches: float) -> None:
        """``batches`` more batches of ``modality`` were made (the learning curve moves on)."""
        self.cumulative_batches[modality] += batches

    def month_passed(self, start: float) -> None:
        """The month from day ``start``: automation lowers costs by the month's share of the
        yearly decline in force at its start."""
        self.automation *= (1.0 - self.inputs.cogs_annual_decline(start)) ** (1.0 / 12.0)

    def close_year(self, yi: int, t: float) -> None:
        """Take each site's and the nation's utilisation of year ``yi`` (next year's batches
        spread suite overhead over it) and snapshot the cost of a batch of each modality."""
        busy = days = 0.0
        for site in self.sites.values():
            site.close_year_accounts()
            sd = site.suite_days[yi]
            self.last_utilisation[site.name] = float(site.busy_days[yi] / sd) if sd > 0 else 0.5
            busy, days = busy + site.busy_days[yi], days + sd
        self.national_utilisation = (1.0 if self.inputs.capacity_unlimited
                                     else float(busy / days) if days > 0 else 0.5)
        for mi, m in enumerate(MODALITIES):
            self.snapshot[yi, mi] = self.batch_cost(m, t, self.inputs.batch_days[m](t), None)
