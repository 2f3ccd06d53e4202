"""Manufacturing: sites with a finite number of GMP suites, batches, failures, cost of goods.

A ``ManufacturingSite`` keeps a *suite calendar*: for every suite the day it next becomes free.
An order of ``n`` batches arriving at ``t`` is booked first-come first-served, each batch on the
suite that frees first (the Kiefer-Wolfowitz recursion of a FIFO multi-server queue). With
single-batch orders this is exactly the queue a ``simpy.Resource`` with one unit per suite
gives (``tests/model/test_manufacturing.py`` checks both against each other and against
Erlang C), but a whole order (a trial cohort, a month of a product's patients) is booked in a
few vectorised steps whatever ``n`` is: the cost of a replication does not grow with patients.

All batches of one order share one duration draw (a manufacturing campaign).
Capacity is never exceeded: each suite's busy intervals are disjoint by construction, and new
suites only become bookable on the day they are commissioned.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np

from ..timeline import year_index


SEQUENTIAL_MAX = 256  # orders up to this many batches are booked batch by batch


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
    free: list = field(init=False)
    busy_days: np.ndarray = field(init=False)  # per year: suite-days booked inside the year
    suite_days: np.ndarray = field(init=False)  # per year: suite-days installed
    batches: np.ndarray = field(init=False)
    pending_suites: int = 0
    high_reviews: int = 0

    def __post_init__(self):
        self.free = [self.start_day] * self.suites  # sorted: day each suite is next free
        ny = 1 if self.year_edges is None else len(self.year_edges) - 1
        self.busy_days = np.zeros(ny)
        self.suite_days = np.zeros(ny)
        self.batches = np.zeros(ny)
        self._installed = [(self.start_day, self.suites)]
        self._edges = [] if self.year_edges is None else [float(e) for e in self.year_edges]
        self._year_span = (0.0, -1.0, 0)  # (first day, end day, index) of the last year counted

    # --- booking -------------------------------------------------------------------------
    def book(self, t: float, n: int, duration: float) -> Booking:
        """Book ``n`` batches of ``duration`` days arriving at ``t`` (FIFO, earliest-free suite)."""
        if n <= 0:
            return Booking(0, t, 0.0, t, duration)
        if self.unlimited:
            self._count_batches(t, n)
            return Booking(n, t, 0.0, t + duration, duration)
        c = len(self.free)
        if c == 0:
            raise RuntimeError(f"site {self.name} has no suites")
        if n <= c and self.free[n - 1] <= t:
            return self._book_idle(t, n, duration)
        if n <= SEQUENTIAL_MAX:
            return self._book_sequential(t, n, duration)
        return self._book_waterfill(t, n, duration)

    def _book_idle(self, t: float, n: int, duration: float) -> Booking:
        """At least ``n`` suites are idle: each batch starts now on one of them (in O(log S)
        plus a memory move, however many suites the site has)."""
        free = self.free
        e = t + duration
        del free[:n]
        i = bisect.bisect_left(free, e)
        free[i:i] = [e] * n
        self._count_busy(t, n, t, e, duration, (t,), (e,), n)
        return Booking(n, t, 0.0, e, duration)

    def _book_sequential(self, t: float, n: int, duration: float) -> Booking:
        """Batch by batch: each takes the earliest-free suite (small orders)."""
        free = self.free
        if n == 1:
            f = free[0]
            s = f if f > t else t
            e = s + duration
            if len(free) == 1 or free[1] >= e:
                free[0] = e
            else:
                del free[0]
                bisect.insort(free, e)
            self._count_busy(t, 1, s, e, duration, (s,), (e,))
            return Booking(1, s, s - t, e, duration)
        first = free[0] if free[0] > t else t
        if n < len(free) and free[n - 1] <= first + duration:
            # the n earliest suites all free up before any batch of this order ends, so
            # batch k simply takes suite k
            starts = [f if f > t else t for f in free[:n]]
            ends = [s + duration for s in starts]
            del free[:n]
            for e in ends:
                bisect.insort(free, e)
        else:
            starts, ends = [], []
            for _ in range(n):
                f = free.pop(0)
                s = f if f > t else t
                e = s + duration
                bisect.insort(free, e)
                starts.append(s)
                ends.append(e)
        last = max(ends)
        self._count_busy(t, n, starts[0], last, duration, starts, ends)
        return Booking(n, starts[0], max(0.0, sum(starts) / n - t), last, duration)

    def _book_waterfill(self, t: float, n: int, duration: float) -> Booking:
        """A large order at once. With equal durations, suite j can start batches at
        a_j, a_j + d, a_j + 2d, ... (a_j = max(free_j, t)); FIFO earliest-free assignment gives
        the batches the n smallest of these start times. Find the level T where a fluid fill
        of n batches reaches, count each suite's slots up to T, and drop the few latest."""
        d = duration
        # only suites free before the first suite could finish all n batches can take any, and
        # at most n suites (the n earliest free) get a batch
        first = self.free[0] if self.free[0] > t else t
        m = min(bisect.bisect_left(self.free, first + n * d), n)
        free = np.asarray(self.free[:m])
        a = np.maximum(free, t)
        k = np.arange(1, a.size + 1)
        level = (np.cumsum(a) + n * d) / k
        used = int(np.nonzero(a <= level)[0][-1]) + 1  # water-filling: suites under the level
        T = level[used - 1]
        counts = np.where(a <= T, np.floor((T - a) / d + 1e-9) + 1.0, 0.0)
        excess = int(counts.sum()) - n
        while excess != 0:  # slots beyond the n-th (or short of it, after rounding)
            if excess > 0:
                last = np.where(counts > 0, a + (counts - 1.0) * d, -np.inf)
                drop = np.argpartition(-last, min(excess, last.size) - 1)[:excess]
                drop = drop[counts[drop] > 0]
                counts[drop] -= 1.0
                excess -= drop.size
            else:
                counts[int(np.argmin(a + counts * d))] += 1.0
                excess += 1
        busy = counts > 0
        ends_busy = (a + counts * d)[busy]
        start_sum = float((counts * a).sum() + d * (counts * (counts - 1.0)).sum() / 2.0)
        head = np.sort(np.concatenate((ends_busy, free[~busy]))).tolist()
        rest = self.free[m:]
        if rest and head and rest[0] < head[-1]:  # suites beyond m free before the last end
            head = sorted(head + rest)
            rest = []
        self.free = head + rest
        last = float(ends_busy.max())
        starts = a[busy]
        self._count_busy(t, n, float(starts[0]), last, d, starts, ends_busy)
        return Booking(n, float(a[0]), max(0.0, start_sum / n - t), last, d)

    def queue_wait(self, t: float) -> float:
        """How long a single batch arriving at ``t`` would wait for a suite."""
        if self.unlimited or not self.free:
            return 0.0
        return max(0.0, self.free[0] - t)

    def backlog_ratio(self, t: float, window: float) -> float:
        """Suite-days booked from ``t`` on, over the suite-days of one ``window`` (can exceed 1)."""
        if self.unlimited or not self.free or window <= 0:
            return 0.0
        free = self.free
        i = bisect.bisect_right(free, t)
        return (math.fsum(free[i:]) - t * (len(free) - i)) / (len(free) * window)

    # --- capacity ------------------------------------------------------------------------
    def add_suites(self, t: float, k: int) -> None:
        """Commission ``k`` new suites on day ``t``."""
        if k <= 0:
            return
        i = bisect.bisect_right(self.free, t)
        self.free[i:i] = [t] * k
        self.suites += k
        self._installed.append((t, self.suites))

    def close_year_accounts(self) -> None:
        """Fill suite-days installed per year from the commissioning history."""
        if self.year_edges is None:
            return
        edges = self.year_edges
        self.suite_days[:] = 0.0
        hist = self._installed + [(edges[-1], self.suites)]
        for (t0, k), (t1, _) in zip(hist[:-1], hist[1:]):
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

    def _count_busy(self, t, n, first, last, duration, starts, ends, weight=1) -> None:
        """Add booked suite-days to the years they fall in. ``starts``/``ends``: one per suite
        used (lists or arrays; ``weight`` suites share each pair); ``first``/``last``: the
        earliest start and the latest end."""
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
        for y in range(self._year(first), self._year(last) + 1):
            overlap = np.minimum(e_arr, edges[y + 1]) - np.maximum(s_arr, edges[y])
            self.busy_days[y] += weight * float(np.clip(overlap, 0.0, None).sum())


def expansion_review(env, site: ManufacturingSite, p, on_expand=None):
    """Every review period, order new suites (ready after a build lead time) when load stays high.

    Load is the booked backlog: suite-days already booked from now on, over the suite-days of
    one review window (1.0 = every suite booked for the whole window; it can exceed 1). When it
    is at or above ``expansion_threshold`` at two reviews running, the site orders enough suites
    for the backlog to fit at the threshold, at least ``expansion_step`` x installed suites,
    counting suites already under construction.
    """
    while True:
        window = p("manufacturing.review_months", env.now) * 30.4375
        yield env.timeout(window)
        t = env.now
        if site.unlimited:
            continue
        load = site.backlog_ratio(t, window)
        threshold = p("manufacturing.expansion_threshold", t)
        site.high_reviews = site.high_reviews + 1 if load >= threshold else 0
        if site.high_reviews < 2:
            continue
        planned = site.suites + site.pending_suites
        needed = math.ceil(site.suites * load / threshold) - planned
        k = max(needed, max(1, math.ceil(p("manufacturing.expansion_step", t) * site.suites)))
        if needed <= 0 and site.pending_suites > 0:
            continue  # what is being built already covers the backlog
        site.pending_suites += k
        site.high_reviews = 0
        env.process(_commission(env, site, k, p("manufacturing.expansion_lead_months", t) * 30.4375,
                                on_expand))


def _commission(env, site, k, lead, on_expand):
    yield env.timeout(lead)
    site.add_suites(env.now, k)
    site.pending_suites -= k
    if on_expand is not None:
        on_expand(site, k)


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


def variable_batch_cost(p, modality: str, t: float, cumulative_batches: float) -> float:
    """Materials (with the imported-input premium, article 002) + labour + QC for one batch,
    on the learning curve, before the automation factor."""
    materials = p(f"manufacturing.materials_cny.{modality}", t) * (
        1.0 + p("manufacturing.import_share", t) * p("manufacturing.import_premium", t))
    labour = p(f"manufacturing.labour_hours.{modality}", t) * p("manufacturing.wage_cny_per_hour", t)
    qc = p(f"manufacturing.qc_cny.{modality}", t)
    lf = learning_factor(cumulative_batches, p("manufacturing.learning_reference_batches", t),
                         p("manufacturing.learning_rate", t))
    return (materials + labour + qc) * lf


def overhead_per_batch(p, t: float, duration: float, utilisation: float) -> float:
    """The suite's yearly cost for the days a batch occupies it, over last year's utilisation
    (idle suites are paid for by the batches made: full-absorption costing)."""
    return p("manufacturing.suite_overhead_cny_per_year", t) * duration / 365.25 / max(utilisation, 0.2)


def batch_cost_from(variable: float, p, t: float, duration: float, utilisation: float,
                    automation_factor: float) -> float:
    """Cost of one batch in CNY from its variable part: (variable + overhead) x automation."""
    return (variable + overhead_per_batch(p, t, duration, utilisation)) * automation_factor


def batch_cost(p, modality: str, t: float, cumulative_batches: float, automation_factor: float,
               duration: float, utilisation: float) -> float:
    """Cost of one batch in CNY: (variable cost on the learning curve + overhead) x automation."""
    return batch_cost_from(variable_batch_cost(p, modality, t, cumulative_batches), p, t, duration,
                           utilisation, automation_factor)
