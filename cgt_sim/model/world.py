"""One replication: the SimPy environment, the chain's components, and what they record.

``simulate(scenario, replication, seed)`` builds a ``World``, runs it to the horizon and returns
plain column dictionaries for the ``annual``, ``programs`` and ``products`` tables.
"""

from __future__ import annotations

import gc
import heapq
import math
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import simpy

from ..parameters import CLUSTERS, MODALITIES
from ..scenario import Scenario
from ..timeline import DAYS_PER_MONTH, year_index
from . import clinical
from .financing import Sponsor
from .manufacturing import (
    ManufacturingSite,
    batch_cost_from,
    expansion_review,
    variable_batch_cost,
)
from .market import Market
from .research import discovery
from .runparams import RunParams
from .streams import gamma_draw, streams

STATES = ("preclinical", "iit", "ind_review", "phase1", "phase2", "phase3", "nda_review",
          "stalled", "approved", "failed", "abandoned")
ACTIVE_CLINICAL = ("iit", "phase1", "phase2", "phase3", "nda_review")
# Where a program ended ("" while it is still going); "review" is abandonment for money before
# the marketing review, "nda_review" a refusal.
END_STAGES = ("", "preclinical", "iit", "ind_review", "phase1", "phase2", "phase3", "review",
              "nda_review", "approved")
# The categorical columns of the result tables and their fixed categories.
CATEGORIES = {
    "programs": {"modality": MODALITIES, "cluster": CLUSTERS, "state": STATES + ("not_started",),
                 "end_stage": END_STAGES},
    "products": {"modality": MODALITIES, "cluster": CLUSTERS},
}
(PRECLINICAL, IIT, IND_REVIEW, PHASE1, PHASE2, PHASE3, NDA_REVIEW, STALLED, APPROVED, FAILED,
 ABANDONED) = range(len(STATES))
N_FINANCING_UNIFORMS = 6


@dataclass(slots=True)
class Program:
    id: int
    modality: str
    cluster: str
    arrival: float
    u: list
    z: list
    f: list
    z_eligible: float
    sponsor: Sponsor | None = None
    state: int = -1
    fi: int = 0
    iit: bool = False
    ind_day: float = math.nan
    approval_day: float = math.nan
    end_day: float = math.nan
    end_stage: str = ""

    def next_financing_uniform(self, rng) -> float:
        if self.fi < len(self.f):
            self.fi += 1
            return self.f[self.fi - 1]
        return float(rng.random())


# Metrics recorded as flows within a year (sums).
FLOW_METRICS = (
    "new_programs", "new_ind_approvals", "new_approvals", "failed_science", "abandoned_financing",
    "patients_treated", "patients_trial_dosed", "patients_demand", "patients_dropped",
    "patient_days_waiting", "eligible_patients", "revenue_cny", "commercial_cogs_cny",
    "trial_manufacturing_cost_cny", "capital_raised_cny", "guided_fund_invested_cny",
    "program_spend_cny", "batches_commercial", "batches_clinical", "suites_added",
)


class World:
    STATE_OF_PHASE = {"phase1": PHASE1, "phase2": PHASE2, "phase3": PHASE3}
    PRECLINICAL, IIT, IND_REVIEW, NDA_REVIEW, STALLED = PRECLINICAL, IIT, IND_REVIEW, NDA_REVIEW, STALLED

    def __init__(self, scenario: Scenario, replication: int, seed: int):
        self.scenario = scenario
        self.replication = replication
        self.clock = scenario.clock
        self.years = list(range(scenario.start_year, scenario.horizon_year + 1))
        self.year_edges = np.array([self.clock.year_start_day(y) for y in self.years]
                                   + [self.clock.year_start_day(self.years[-1] + 1)])
        self._edges = self.year_edges.tolist()
        self.rng = streams(seed, replication)
        sampled = {k: u.sample(self.rng["uncertain"]) for k, u in sorted(scenario.uncertain.items())}
        self.p = RunParams(scenario, self.clock, sampled).lookup
        self.env = simpy.Environment()
        self.money_unlimited = bool(self.p("financing.unconstrained"))
        unlimited = self.capacity_unlimited = bool(self.p("manufacturing.capacity_unlimited"))
        self.national_utilisation = 1.0 if unlimited else 0.5  # before the first year's accounts
        self.sites = {c: ManufacturingSite(c, self.p.int(f"manufacturing.suites_2015.{c}"), 0.0,
                                           unlimited, self.year_edges) for c in CLUSTERS}
        ny = len(self.years)
        self.flows = {name: [0.0] * ny for name in FLOW_METRICS}  # plain floats while running
        self.snapshots = np.zeros((ny, len(STATES)), dtype=np.int64)
        self.counts = [0] * len(STATES)  # programs per state (a list: cheaper to update than numpy)
        self.v2v = [[] for _ in range(ny)]
        self._year_now = 0
        self.programs: list[Program] = []
        self._doomed: list[tuple[float, int, Program]] = []  # (day, id, program): see fail_on
        self.sponsors: list[Sponsor] = []
        self.sponsors_by_cluster = {c: [] for c in CLUSTERS}
        self.guided_fund_spent = {c: 0.0 for c in CLUSTERS}
        self.cum_batches = dict.fromkeys(MODALITIES, 0.0)
        self.automation = 1.0
        self.last_utilisation: dict[str, float] = {}
        self._variable_cost: dict[str, tuple[int, float]] = {}
        self.cogs_snapshot = np.full((ny, len(MODALITIES)), np.nan)
        self.market = Market(self)
        self.trial_keys = {m: (f"manufacturing.doses_per_batch.{m}", f"manufacturing.failure_rate.{m}",
                               f"manufacturing.batch_days.{m}") for m in MODALITIES}

    # --- time --------------------------------------------------------------------------------
    def year_index(self, t: float) -> int:
        return year_index(self._edges, t)

    def year_of_day(self, t: float) -> int:
        """``year_index(t)`` for the day being simulated (almost always now: a cached index)."""
        yi = self._year_now
        if not self._edges[yi] <= t < self._edges[yi + 1]:
            yi = self._year_now = self.year_index(t)
        return yi

    def record(self, metric: str, t: float, value: float) -> None:
        """Add ``value`` to ``metric`` in the year of ``t``."""
        self.flows[metric][self.year_of_day(t)] += value

    def record_v2v(self, t: float, days: float, count: float) -> None:
        if count > 0:
            self.v2v[self.year_index(t)].append((days, count))

    # --- programs ----------------------------------------------------------------------------
    def add_programs(self, times, modalities, clusters) -> None:
        n = len(times)
        rng = self.rng["programs"]
        U = rng.random((n, clinical.N_UNIFORMS)).tolist()
        Z = rng.standard_normal((n, clinical.N_NORMALS + 1)).tolist()
        F = rng.random((n, N_FINANCING_UNIFORMS)).tolist()
        now = self.env.now
        for i in range(n):
            z = Z[i]
            prog = Program(len(self.programs), MODALITIES[modalities[i]], CLUSTERS[clusters[i]],
                           float(times[i]), U[i], z[:-1], F[i], z[-1])
            self.programs.append(prog)
            self.env.timeout(float(times[i]) - now).callbacks.append(partial(clinical.arrive, self, prog))

    def start_program(self, prog: Program) -> None:
        t = self.env.now
        pool = self.sponsors_by_cluster[prog.cluster]
        if pool and prog.u[clinical.U_SPONSOR] < self.p("financing.follow_on_share", t):
            prog.sponsor = pool[int(prog.u[clinical.U_SPONSOR_PICK] * len(pool))]
        else:
            sp = Sponsor(len(self.sponsors), prog.cluster, self.p("financing.seed_cash_cny", t))
            self.sponsors.append(sp)
            pool.append(sp)
            prog.sponsor = sp
        prog.state = PRECLINICAL
        self.counts[PRECLINICAL] += 1
        self.record("new_programs", t, 1)

    def set_state(self, prog: Program, state: int) -> None:
        self.counts[prog.state] -= 1
        self.counts[state] += 1
        prog.state = state

    def _end(self, prog: Program, state: int, stage: str, day: float | None = None) -> None:
        self.set_state(prog, state)
        prog.end_day = self.env.now if day is None else day
        prog.end_stage = stage

    def fail(self, prog: Program, stage: str, day: float | None = None) -> None:
        """``prog`` fails for science now (or on ``day``, for a failure settled later)."""
        day = self.env.now if day is None else day
        self._end(prog, FAILED, stage, day)
        self.record("failed_science", day, 1)

    def fail_on(self, prog: Program, day: float) -> None:
        """``prog`` fails preclinical research on ``day`` (later than now). Such an end changes
        only counts, so it is applied when counts are next read (``settle_failures``) rather
        than by a timer: most programs end this way, and a timer each made about 7% of a
        run's events."""
        heapq.heappush(self._doomed, (day, prog.id, prog))

    def settle_failures(self, before: float) -> None:
        """Apply the failures of ``fail_on`` due strictly before ``before`` (a timer due on
        that very day would have run after the year-end snapshot scheduled before it)."""
        doomed = self._doomed
        while doomed and doomed[0][0] < before:
            day, _, prog = heapq.heappop(doomed)
            self.fail(prog, "preclinical", day)

    def abandon(self, prog: Program, stage: str) -> None:
        self._end(prog, ABANDONED, stage)
        self.record("abandoned_financing", self.env.now, 1)

    def ind_cleared(self, prog: Program) -> None:
        prog.ind_day = self.env.now
        self.record("new_ind_approvals", self.env.now, 1)

    def approve(self, prog: Program) -> None:
        t = self.env.now
        self._end(prog, APPROVED, "approved")
        prog.approval_day = t
        self.record("new_approvals", t, 1)
        self.market.launch_product(prog, t, prog.z_eligible)

    def guided_fund_left(self, cluster: str, key: str, t: float) -> float:
        return self.p(key, t) - self.guided_fund_spent[cluster]

    # --- manufacturing -----------------------------------------------------------------------
    def batch_cost(self, modality: str, t: float, duration: float, site: ManufacturingSite | None) -> float:
        """Cost of one batch at ``site`` (its overhead spread over its utilisation last year), or
        with ``site`` None at the national utilisation (suite-days of all sites); the variable
        part is re-priced once a month (learning curve)."""
        month = int(t // DAYS_PER_MONTH)
        cached = self._variable_cost.get(modality)
        if cached is None or cached[0] != month:
            cached = (month, variable_batch_cost(self.p, modality, t, self.cum_batches[modality]))
            self._variable_cost[modality] = cached
        if site is None:
            util = self.national_utilisation
        else:
            util = 1.0 if site.unlimited else self.last_utilisation.get(site.name, 0.5)
        return batch_cost_from(cached[1], self.p, t, duration, util, self.automation)

    def cost_per_dose(self, modality: str, t: float) -> float:
        """National cost of goods of one dose: a batch of the usual duration at the national
        utilisation, over the doses it makes."""
        p = self.p
        batch = self.batch_cost(modality, t, p(f"manufacturing.batch_days.{modality}", t), None)
        return batch / max(1, p.int(f"manufacturing.doses_per_batch.{modality}", t))

    def dose_price(self, prog: Program, patients: int, t: float) -> float:
        """Contracted manufacturing cost of a trial's doses, paid with the stage budget."""
        if patients <= 0:
            return 0.0
        p, m = self.p, prog.modality
        k_dpb, _, k_days = self.trial_keys[m]
        batches = -(-patients // max(1, p.int(k_dpb, t)))
        return batches * self.batch_cost(m, t, p(k_days, t), self.sites[prog.cluster])

    def dose_trial_cohort(self, prog: Program, patients: int) -> float:
        """Book a trial cohort's batches; return the congestion delay in days."""
        if patients <= 0:
            return 0.0
        p, t, m = self.p, self.env.now, prog.modality
        k_dpb, k_fail, k_days = self.trial_keys[m]
        rng = self.rng["manufacturing"]
        batches = -(-patients // max(1, p.int(k_dpb, t)))
        n = batches + int(rng.binomial(batches, p(k_fail, t)))  # failed batches are re-made
        d = gamma_draw(rng, p(k_days, t), p("manufacturing.batch_cv", t))
        site = self.sites[prog.cluster]
        booking = site.book(t, n, d)
        self.cum_batches[m] += n
        yi, flows = self.year_of_day(t), self.flows
        flows["batches_clinical"][yi] += n
        flows["patients_trial_dosed"][yi] += patients
        flows["trial_manufacturing_cost_cny"][yi] += n * self.batch_cost(m, t, d, site)
        return booking.mean_wait

    # --- yearly bookkeeping ------------------------------------------------------------------
    def year_ends(self, env):
        """Generator: close the accounts of every year but the last on 31 Dec (``run`` closes
        the last at the horizon)."""
        for yi in range(len(self.years) - 1):
            yield env.timeout(self.year_edges[yi + 1] - env.now)
            self.close_year(yi)

    def close_year(self, yi: int) -> None:
        """Snapshot program states; take each site's and the nation's utilisation of the year
        (next year's batches spread suite overhead over it); snapshot the cost of a batch."""
        p, t = self.p, self.env.now
        self.settle_failures(t)
        self.snapshots[yi] = self.counts
        busy = days = 0.0
        for site in self.sites.values():
            site.close_year_accounts()
            sd = site.suite_days[yi]
            self.last_utilisation[site.name] = float(site.busy_days[yi] / sd) if sd > 0 else 0.5
            busy, days = busy + site.busy_days[yi], days + sd
        self.national_utilisation = (1.0 if self.capacity_unlimited
                                     else float(busy / days) if days > 0 else 0.5)
        for mi, m in enumerate(MODALITIES):
            d = p(f"manufacturing.batch_days.{m}", t)
            self.cogs_snapshot[yi, mi] = self.batch_cost(m, t, d, None)

    def month_ends(self, env):
        """Generator: at the end of every month, cost of goods falls by the month's share of the
        yearly automation decline in force over the month (read at its start), and the market
        serves the month."""
        while True:
            start = env.now
            yield env.timeout(DAYS_PER_MONTH)
            self.automation *= (1.0 - self.p("manufacturing.cogs_annual_decline", start)) ** (1.0 / 12.0)
            self.market.month(env.now, start)

    def _on_expand(self, site, k):
        self.record("suites_added", self.env.now, k)

    def run(self) -> None:
        env = self.env
        env.process(discovery(env, self))
        env.process(self.month_ends(env))
        for site in self.sites.values():
            env.process(expansion_review(env, site, self.p, self._on_expand))
        env.process(self.year_ends(env))
        env.run(until=float(self.year_edges[-1]))
        self.close_year(len(self.years) - 1)  # at the horizon, as at any other year's end

    def dispose(self) -> None:
        """Break the reference cycles of a finished run: processes still waiting at the horizon
        and the events they wait on point at each other (and, through their frames, at the
        world)."""
        queue = self.env._queue
        for item in queue:
            item[-1].callbacks = None
        queue.clear()
        self._doomed.clear()
        self.market.w = None

    # --- outputs -----------------------------------------------------------------------------
    def tables(self) -> dict:
        rep = self.replication
        ny = len(self.years)
        annual = {"replication": np.full(ny, rep, dtype=np.int32), "year": np.array(self.years)}
        for si, s in enumerate(STATES):
            annual[f"programs_{s}"] = self.snapshots[:, si]
        annual["programs_in_clinic"] = sum(self.snapshots[:, STATES.index(s)] for s in ACTIVE_CLINICAL)
        flows = {k: np.array(v, dtype=float) for k, v in self.flows.items()}
        annual.update(flows)
        annual["cumulative_ind_approvals"] = np.cumsum(flows["new_ind_approvals"])
        annual["cumulative_approvals"] = np.cumsum(flows["new_approvals"])
        year_days = np.diff(self.year_edges)
        annual["patients_waiting"] = flows["patient_days_waiting"] / year_days
        annual["vein_to_vein_days_median"] = np.array([_weighted_median(v) for v in self.v2v])
        treated = flows["patients_treated"]
        with np.errstate(invalid="ignore", divide="ignore"):
            annual["cogs_per_patient_cny"] = np.where(treated > 0, flows["commercial_cogs_cny"] / treated, np.nan)
            annual["net_price_per_patient_cny"] = np.where(treated > 0, flows["revenue_cny"] / treated, np.nan)
        for mi, m in enumerate(MODALITIES):
            annual[f"batch_cost_cny_{m}"] = self.cogs_snapshot[:, mi]
        busy = np.zeros(ny)
        suite_days = np.zeros(ny)
        for site in self.sites.values():
            site.close_year_accounts()
            busy += site.busy_days
            suite_days += site.suite_days
        with np.errstate(invalid="ignore", divide="ignore"):
            annual["manufacturing_utilisation"] = np.where(suite_days > 0, busy / suite_days, np.nan)
        annual["suites"] = suite_days / year_days
        del annual["patient_days_waiting"]

        # Compact columns (fixed categories, 32-bit ids and days): a 1,000-replication result
        # holds tens of millions of program rows.
        progs = self.programs
        programs = {
            "replication": np.full(len(progs), rep, dtype=np.int32),
            "program_id": np.array([q.id for q in progs], dtype=np.int32),
            "modality": _categorical([q.modality for q in progs], MODALITIES),
            "cluster": _categorical([q.cluster for q in progs], CLUSTERS),
            "sponsor_id": np.array([q.sponsor.id if q.sponsor else -1 for q in progs], dtype=np.int32),
            "arrival_year": np.array([self.clock.year_of(q.arrival) for q in progs], dtype=np.int16),
            "iit_track": np.array([q.iit for q in progs], dtype=bool),
            "state": _categorical([STATES[q.state] if q.state >= 0 else "not_started" for q in progs],
                                  CATEGORIES["programs"]["state"]),
            "end_stage": _categorical([q.end_stage for q in progs], END_STAGES),
            "arrival_day": np.array([q.arrival for q in progs], dtype=np.float32),
            "ind_day": np.array([q.ind_day for q in progs], dtype=np.float32),
            "approval_day": np.array([q.approval_day for q in progs], dtype=np.float32),
            "end_day": np.array([q.end_day for q in progs], dtype=np.float32),
        }
        mk = self.market
        n = mk.n
        products = {
            "replication": np.full(n, rep, dtype=np.int32),  # as in programs: the tables join on
            "program_id": mk.program_id[:n].astype(np.int32),  # (replication, program_id)
            "modality": pd.Categorical.from_codes(mk.modality[:n], MODALITIES),
            "cluster": pd.Categorical.from_codes(mk.cluster[:n], CLUSTERS),
            "approval_year": np.array([self.clock.year_of(d) for d in mk.launch[:n]], dtype=np.int16),
            "approval_day": mk.launch[:n].astype(np.float32),  # as in programs: the tables join on it
            "launch_price_cny": mk.price0[:n].copy(),
            "eligible_per_year": mk.eligible0[:n].copy(),
            "nrdl_listed": mk.listed[:n].copy(),
            "nrdl_listed_day": mk.listed_day[:n].copy(),
            "patients_treated": mk.treated[:n].copy(),
            "revenue_cny": mk.revenue[:n].copy(),
        }
        return {"annual": annual, "programs": programs, "products": products,
                "sampled": dict(self.p.sampled)}


def _categorical(values: list, categories) -> pd.Categorical:
    """A categorical column with a fixed category list (so replications concatenate as one)."""
    code = {c: i for i, c in enumerate(categories)}
    try:
        codes = np.fromiter((code[v] for v in values), dtype=np.int8, count=len(values))
    except KeyError:
        unknown = sorted(set(values) - set(code))
        raise ValueError(f"values outside the categories {list(categories)}: {unknown}") from None
    return pd.Categorical.from_codes(codes, categories=list(categories))


def _weighted_median(pairs) -> float:
    if not pairs:
        return math.nan
    arr = np.array(pairs)
    order = np.argsort(arr[:, 0])
    v, w = arr[order, 0], arr[order, 1]
    cw = np.cumsum(w)
    return float(v[np.searchsorted(cw, cw[-1] / 2.0)])


def simulate(scenario: Scenario, replication: int, seed: int) -> dict:
    """Run one replication and return its tables as column dictionaries.

    The cyclic garbage collector is paused while the replication runs (its passes over tens of
    thousands of live programs cost a fifth of the run), and the world is taken apart at the
    end so that it is freed by reference counting, leaving no garbage behind.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    world = World(scenario, replication, seed)
    try:
        world.run()
        return world.tables()
    finally:
        world.dispose()
        if was_enabled:
            gc.enable()