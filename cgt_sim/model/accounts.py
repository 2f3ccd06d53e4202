"""The yearly accounts of one replication, and the tables they become.

``Accounts`` keeps the flows summed within each year (``outputs.FLOW_METRICS``), the number of
programs in each state (snapshotted on 31 December), the vein-to-vein times of each year and
every program's moves from state to state. ``tables(world)`` turns a finished world into the
column dictionaries of the ``annual``, ``programs`` and ``products`` tables, with exactly the
columns ``outputs`` declares.
"""

from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..outputs import CATEGORIES, FLOW_METRICS, HIDDEN_FLOWS, IN_CLINIC
from ..parameters import CLUSTERS, INDICATIONS, MODALITIES
from ..timeline import year_index
from .program import END_STAGES, NOT_STARTED, STATES, Program, State

if TYPE_CHECKING:
    from .world import World


IN_DEVELOPMENT = tuple(s for s in State if s < State.APPROVED)  # preclinical to stalled


class Accounts:
    """Flows by year, programs by state, and each program's moves between states."""

    def __init__(self, year_edges: list[float]):
        self.edges = year_edges  # 1 January of each simulated year, and the end of the last
        ny = len(year_edges) - 1
        self.flows = {name: [0.0] * ny for name in FLOW_METRICS}  # plain floats while running
        self.counts = [0] * len(State)  # programs per state (a list: cheaper to update than numpy)
        self.snapshots = np.zeros((ny, len(State)), dtype=np.int64)
        self.v2v: list[list[tuple[float, float]]] = [[] for _ in range(ny)]
        self._year_now = 0
        # (day, id, program) of programs whose preclinical failure is settled later (see fail_on)
        self._doomed: list[tuple[float, int, Program]] = []

    # --- time ----------------------------------------------------------------------------
    def year_index(self, t: float) -> int:
        return year_index(self.edges, t)

    def year_of_day(self, t: float) -> int:
        """``year_index(t)`` for the day being simulated (almost always now: a cached index)."""
        yi = self._year_now
        if not self.edges[yi] <= t < self.edges[yi + 1]:
            yi = self._year_now = self.year_index(t)
        return yi

    # --- flows ---------------------------------------------------------------------------
    def record(self, metric: str, t: float, value: float) -> None:
        """Add ``value`` to ``metric`` in the year of ``t``."""
        self.flows[metric][self.year_of_day(t)] += value

    def record_v2v(self, t: float, days: float, count: float) -> None:
        """``count`` patients of the year of ``t`` had a vein-to-vein time of ``days``."""
        if count > 0:
            self.v2v[self.year_index(t)].append((days, count))

    # --- programs ------------------------------------------------------------------------
    def start(self, program: Program, t: float) -> None:
        program.state = State.PRECLINICAL
        self.counts[State.PRECLINICAL] += 1
        self.record("new_programs", t, 1)

    def move(self, program: Program, state: int) -> None:
        self.counts[program.state] -= 1
        self.counts[state] += 1
        program.state = state

    def _end(self, program: Program, state: int, stage: str, day: float) -> None:
        self.move(program, state)
        program.end_day = day
        program.end_stage = stage

    def fail(self, program: Program, stage: str, day: float) -> None:
        """``program`` fails for science on ``day``."""
        self._end(program, State.FAILED, stage, day)
        self.record("failed_science", day, 1)

    def fail_on(self, program: Program, day: float) -> None:
        """``program`` fails preclinical research on ``day`` (later than now). Such an end
        changes only counts, so it is applied when counts are next read (``settle_failures``)
        rather than by a timer: most programs end this way."""
        heapq.heappush(self._doomed, (day, program.id, program))

    def settle_failures(self, before: float) -> None:
        """Apply the failures of ``fail_on`` due strictly before ``before`` (a timer due on
        that very day would have run after the year-end snapshot scheduled before it)."""
        doomed = self._doomed
        while doomed and doomed[0][0] < before:
            day, _, program = heapq.heappop(doomed)
            self.fail(program, "preclinical", day)

    def in_development(self, t: float) -> int:
        """Programs started and not yet ended (approved, failed or abandoned) on day ``t``."""
        self.settle_failures(t)
        counts = self.counts
        return sum(counts[s] for s in IN_DEVELOPMENT)

    def abandon(self, program: Program, stage: str, day: float) -> None:
        """``program`` is abandoned for money on ``day`` (``stage``: the stage it could not pay)."""
        self._end(program, State.ABANDONED, stage, day)
        self.record("abandoned_financing", day, 1)

    def ind_cleared(self, program: Program, day: float) -> None:
        program.ind_day = day
        self.record("new_ind_approvals", day, 1)

    def approved(self, program: Program, day: float) -> None:
        self._end(program, State.APPROVED, "approved", day)
        program.approval_day = day
        self.record("new_approvals", day, 1)

    def close_year(self, yi: int, t: float) -> None:
        """Settle the year's failures and snapshot the programs by state."""
        self.settle_failures(t)
        self.snapshots[yi] = self.counts

    def forget(self) -> None:
        """Drop the references to programs (the end of a run)."""
        self._doomed.clear()


def tables(world: World) -> dict:
    """The column dictionaries of the ``annual``, ``programs`` and ``products`` tables of a
    finished world, and its draws of the uncertain parameters (``sampled``)."""
    acc = world.accounts
    rep = world.replication
    years = world.years
    ny = len(years)
    annual: dict = {"replication": np.full(ny, rep, dtype=np.int32), "year": np.array(years)}
    for si, s in enumerate(STATES):
        annual[f"programs_{s}"] = acc.snapshots[:, si]
    annual["programs_in_clinic"] = sum(annual[c] for c in IN_CLINIC)
    flows = {k: np.array(v, dtype=float) for k, v in acc.flows.items()}
    annual.update((k, v) for k, v in flows.items() if k not in HIDDEN_FLOWS)
    annual["cumulative_ind_approvals"] = np.cumsum(flows["new_ind_approvals"])
    annual["cumulative_approvals"] = np.cumsum(flows["new_approvals"])
    year_days = np.diff(world.year_edges)
    annual["patients_waiting"] = flows["patient_days_waiting"] / year_days
    annual["vein_to_vein_days_median"] = np.array([_weighted_median(v) for v in acc.v2v])
    treated = flows["patients_treated"]
    with np.errstate(invalid="ignore", divide="ignore"):
        annual["cogs_per_patient_cny"] = np.where(treated > 0, flows["commercial_cogs_cny"] / treated, np.nan)
        annual["net_price_per_patient_cny"] = np.where(treated > 0, flows["revenue_cny"] / treated, np.nan)
    for mi, m in enumerate(MODALITIES):
        annual[f"batch_cost_cny_{m}"] = world.cost_of_goods.snapshot[:, mi]
    busy = np.zeros(ny)
    suite_days = np.zeros(ny)
    for site in world.sites.values():
        site.close_year_accounts()
        busy += site.busy_days
        suite_days += site.suite_days
    with np.errstate(invalid="ignore", divide="ignore"):
        annual["manufacturing_utilisation"] = np.where(suite_days > 0, busy / suite_days, np.nan)
    annual["suites"] = suite_days / year_days
    plant_days = np.zeros(ny)
    for site in world.facilities.values():
        if site.name not in world.sites:
            site.close_year_accounts()
            plant_days += site.suite_days
    annual["suites_own_plants"] = plant_days / year_days
    annual["products_on_market"] = world.market.on_market_snapshot.copy()

    # Compact columns (fixed categories, 32-bit ids and days): a 1,000-replication result
    # holds tens of millions of program rows.
    progs = world.programs
    year_of = world.clock.year_of
    programs = {
        "replication": np.full(len(progs), rep, dtype=np.int32),
        "program_id": np.array([q.id for q in progs], dtype=np.int32),
        "modality": _categorical([q.modality for q in progs], MODALITIES),
        "cluster": _categorical([q.cluster for q in progs], CLUSTERS),
        "indication": pd.Categorical.from_codes(np.array([q.indication for q in progs], dtype=np.int8),
                                                list(INDICATIONS)),
        "sponsor_id": np.array([q.sponsor.id if q.sponsor else -1 for q in progs], dtype=np.int32),
        "arrival_year": np.array([year_of(q.arrival) for q in progs], dtype=np.int16),
        "iit_track": np.array([q.iit for q in progs], dtype=bool),
        "state": _categorical([STATES[q.state] if q.state >= 0 else NOT_STARTED for q in progs],
                              CATEGORIES["programs"]["state"]),
        "end_stage": _categorical([q.end_stage for q in progs], END_STAGES),
        "arrival_day": np.array([q.arrival for q in progs], dtype=np.float32),
        "ind_day": np.array([q.ind_day for q in progs], dtype=np.float32),
        "approval_day": np.array([q.approval_day for q in progs], dtype=np.float32),
        "end_day": np.array([q.end_day for q in progs], dtype=np.float32),
    }
    market = world.market
    n = market.n
    products = {
        "replication": np.full(n, rep, dtype=np.int32),  # as in programs: the tables join on
        "program_id": market.program_id[:n].astype(np.int32),  # (replication, program_id)
        "modality": pd.Categorical.from_codes(market.modality[:n], MODALITIES),
        "cluster": pd.Categorical.from_codes(market.cluster[:n], CLUSTERS),
        "indication": pd.Categorical.from_codes(market.indication[:n], list(INDICATIONS)),
        "entry_order": market.order[:n].astype(np.int16),
        "approval_year": np.array([year_of(d) for d in market.launch[:n]], dtype=np.int16),
        "approval_day": market.launch[:n].astype(np.float32),  # as in programs: the tables join on it
        "launch_price_cny": market.price0[:n].copy(),
        "nrdl_listed": market.listed[:n].copy(),
        "nrdl_listed_day": market.listed_day[:n].copy(),
        "withdrawn_day": market.withdrawn_day[:n].copy(),
        "patients_treated": market.treated[:n].copy(),
        "revenue_cny": market.revenue[:n].copy(),
    }
    return {"annual": annual, "programs": programs, "products": products, "sampled": dict(world.params.sampled)}


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
