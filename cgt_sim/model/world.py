"""One replication: the SimPy environment, the chain's mechanisms wired together, and the clock.

``World`` builds each mechanism with the inputs it binds and the parts it talks to, starts the
processes that drive them (discovery, the month and the year ends, capacity reviews) and
delivers programs from one mechanism to the next; each mechanism owns its own state
(``Financing`` its sponsors, ``CostOfGoods`` the learning curve and automation, ``Market`` its
products, ``Accounts`` the yearly flows and program counts). ``simulate(scenario, replication,
seed)`` runs a world to the horizon and returns plain column dictionaries for the ``annual``,
``programs`` and ``products`` tables.
"""

from __future__ import annotations

import gc
from functools import partial

import numpy as np
import simpy

from ..parameters import CLUSTERS, MODALITIES
from ..scenario import Scenario
from ..timeline import DAYS_PER_MONTH
from . import clinical
from .accounts import Accounts, tables
from .clinical import ClinicalInputs
from .financing import Financing, FinancingInputs, Sponsor
from .logistics import LogisticsInputs
from .manufacturing import CostOfGoods, ManufacturingInputs, ManufacturingSite, OwnPlants, expansion_review
from .market import Market, MarketInputs
from .program import N_FINANCING_UNIFORMS, N_NORMALS, N_UNIFORMS, U_CROWDING, U_INDICATION, Program
from .research import ResearchInputs, discovery
from .runparams import RunParams
from .streams import streams


class World:
    """The mechanisms of one replication and the wiring between them."""

    def __init__(self, scenario: Scenario, replication: int, seed: int):
        self.scenario = scenario
        self.replication = replication
        self.clock = scenario.clock
        self.years = list(range(scenario.start_year, scenario.horizon_year + 1))
        self.year_edges = np.array([self.clock.year_start_day(y) for y in self.years]
                                   + [self.clock.year_start_day(self.years[-1] + 1)])
        self.rng = streams(seed, replication)
        sampled = {k: u.sample(self.rng["uncertain"]) for k, u in sorted(scenario.uncertain.items())}
        self.member = None  # the ensemble member whose parameters this replication takes
        if scenario.ensemble is not None:  # (a function of seed and replication: no stream is drawn from)
            self.member, values = scenario.ensemble.draw(scenario, seed, replication)
            sampled.update(values)
        self.params = params = RunParams(scenario, self.clock, sampled)
        self.env = simpy.Environment()
        self.accounts = Accounts(self.year_edges.tolist())
        # each mechanism's inputs, bound once
        self.research = ResearchInputs.bind(params)
        self.clinical = ClinicalInputs.bind(params)
        self.manufacturing = made = ManufacturingInputs.bind(params)
        self.logistics = LogisticsInputs.bind(params)
        # the clusters' CDMO sites (which trials use) and, as sponsors build them, their own plants
        self.sites = {c: ManufacturingSite(c, made.suites_2015[c], 0.0, made.capacity_unlimited, self.year_edges)
                      for c in CLUSTERS}
        self.facilities = dict(self.sites)
        self.cost_of_goods = CostOfGoods(made, self.facilities, len(self.years))
        self.financing = Financing(FinancingInputs.bind(params), self.env, self.rng["financing"], self.accounts)
        self.market = Market(MarketInputs.bind(params), made, self.logistics, self.accounts, self.sites,
                             self.cost_of_goods, self.financing, self.rng, self.clock.year_start_day(2024),
                             len(self.years))
        self.plants = OwnPlants(made, self.env, self.rng["plants"], self.year_edges, self.financing.pay_capex,
                                self._plant_ready, self.market.first_year_patients)
        self.programs: list[Program] = []

    # --- programs ----------------------------------------------------------------------------
    def add_programs(self, times, modalities, clusters) -> None:
        """Programs arriving at ``times`` (with modality and cluster indices): each draws the
        numbers its science is decided by and its indication, and starts at its arrival unless
        a product entering its indication now could expect too little
        (``ResearchInputs.start_probability``) or the programs already in development use the
        capital, talent and trial sites it would need (``ResearchInputs.capacity_factor``)."""
        n = len(times)
        rng = self.rng["programs"]
        uniforms = rng.random((n, N_UNIFORMS)).tolist()
        normals = rng.standard_normal((n, N_NORMALS)).tolist()
        financing = rng.random((n, N_FINANCING_UNIFORMS)).tolist()
        now = self.env.now
        indication_of = self.market.inputs.demand.indication_of
        start_probability = self.research.start_probability
        carried = self.research.capacity_factor(self.accounts.in_development(now), now)
        revenue = self.market.entrant_revenue(now).tolist()  # by modality and indication (plain floats)
        times = np.asarray(times, dtype=float).tolist()
        modalities, clusters = np.asarray(modalities).tolist(), np.asarray(clusters).tolist()
        for i in range(n):
            m, day = modalities[i], times[i]
            modality = MODALITIES[m]
            indication = indication_of(modality, day, uniforms[i][U_INDICATION])
            if uniforms[i][U_CROWDING] >= start_probability(revenue[m][indication], day) * carried:
                continue
            program = Program(len(self.programs), modality, CLUSTERS[clusters[i]], indication, day, uniforms[i],
                              normals[i], financing[i])
            self.programs.append(program)
            self.env.timeout(day - now).callbacks.append(partial(clinical.arrive, self, program))

    def start_program(self, program: Program) -> None:
        t = self.env.now
        program.sponsor = self.financing.sponsor_for(program, t)
        self.accounts.start(program, t)

    def approve(self, program: Program) -> None:
        t = self.env.now
        self.accounts.approved(program, t)
        self.market.launch_product(program, t)

    def _plant_ready(self, sponsor: Sponsor, site: ManufacturingSite) -> None:
        """A sponsor's plant is built: its commercial patients go there from now on, its cost
        of goods counts in the nation's, and it expands as a CDMO site does."""
        self.facilities[site.name] = site
        self.market.use_plant(sponsor, site)
        self.env.process(expansion_review(self.env, site, self.manufacturing))

    # --- the calendar --------------------------------------------------------------------------
    def year_ends(self, env):
        """Generator: close the accounts of every year but the last on 31 Dec (``run`` closes
        the last at the horizon)."""
        for yi in range(len(self.years) - 1):
            yield env.timeout(self.year_edges[yi + 1] - env.now)
            self.close_year(yi)

    def close_year(self, yi: int) -> None:
        t = self.env.now
        self.accounts.close_year(yi, t)
        self.cost_of_goods.close_year(yi, t)
        self.market.close_year(yi, t)
        # sponsors waiting to pay for a plant try again in the new year (none after the horizon)
        self.env.timeout(0.0).callbacks.append(lambda _event: self.plants.retry())

    def month_ends(self, env):
        """Generator: at the end of every month, cost of goods moves on by the month's
        automation, and the market serves the month."""
        while True:
            start = env.now
            yield env.timeout(DAYS_PER_MONTH)
            self.cost_of_goods.month_passed(start)
            self.market.month(env.now, start)

    def _on_expand(self, site: ManufacturingSite, k: int) -> None:
        self.accounts.record("suites_added", self.env.now, k)

    def _on_retire(self, site: ManufacturingSite, k: int) -> None:
        self.accounts.record("suites_retired", self.env.now, k)

    def run(self) -> None:
        env = self.env
        env.process(discovery(env, self))
        env.process(self.month_ends(env))
        for site in self.sites.values():
            env.process(expansion_review(env, site, self.manufacturing, self._on_expand, self._on_retire))
        env.process(self.year_ends(env))
        env.run(until=float(self.year_edges[-1]))
        self.close_year(len(self.years) - 1)  # at the horizon, as at any other year's end

    def dispose(self) -> None:
        """Break the reference cycles of a finished run: processes still waiting at the horizon
        and the events they wait on point at each other (and, through their frames, at the
        world)."""
        queue = self.env._queue
        for item in queue:
            item[-1].callbacks = None  # type: ignore[assignment]  # (simpy marks a processed event so)
        queue.clear()
        self.accounts.forget()

    def tables(self) -> dict:
        out = tables(self)
        if self.member is not None:
            out["sampled"] = {"member": self.member, **out["sampled"]}
        return out


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
