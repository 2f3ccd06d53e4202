"""Starting programs: the development capacity (capital, talent and trial sites) that thins
starts once too many programs are under way, checked against its closed form, and the long-run
approvals bound it exists for."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cgt_sim
from cgt_sim.analysis.validate import APPROVALS_PER_YEAR_BOUND, long_run_checks
from cgt_sim.model.accounts import IN_DEVELOPMENT
from cgt_sim.model.program import STATES, State
from cgt_sim.model.research import ResearchInputs
from cgt_sim.model.runparams import RunParams
from cgt_sim.model.world import World
from cgt_sim.parameters import CLUSTERS

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def research(overrides: dict) -> ResearchInputs:
    sc = cgt_sim.load_scenario(SCENARIOS / "baseline.yaml", overrides=overrides)
    return ResearchInputs.bind(RunParams(sc, sc.clock))


@settings(deadline=None, max_examples=60)
@given(capacity=st.floats(1.0, 1e5), elasticity=st.floats(0.0, 20.0), load=st.integers(0, 10**6))
def test_capacity_factor_is_one_up_to_the_capacity_and_a_power_above(capacity, elasticity, load):
    r = research({"research.development_capacity": capacity, "research.capacity_elasticity": elasticity})
    f = r.capacity_factor(load, 0.0)
    if load <= capacity:
        assert f == 1.0
    else:
        assert f == pytest.approx((capacity / load) ** elasticity)
        assert 0.0 <= f <= 1.0


def started(capacity: float, under_way: int, candidates: int = 20_000, seed: int = 5) -> list:
    """The programs started from ``candidates`` autologous CAR-T arrivals on day 1, with
    ``under_way`` programs already in Phase I."""
    sc = cgt_sim.load_scenario(SCENARIOS / "baseline.yaml", overrides={
        "research.development_capacity": capacity, "research.capacity_elasticity": 3.0})
    world = World(sc, 0, seed)
    world.accounts.counts[State.PHASE1] = under_way
    world.add_programs(np.ones(candidates), np.zeros(candidates, dtype=int),
                       np.arange(candidates) % len(CLUSTERS))
    return [(p.indication, p.cluster) for p in world.programs]


def test_starts_are_thinned_by_the_closed_form_above_the_capacity():
    """Each candidate starts when its uniform is below p x (K / D) ** elasticity: with the same
    draws, the capped run starts a binomial (K / D) ** 3 share of the programs the uncapped one
    starts, and a capacity the programs under way do not reach changes nothing."""
    free = started(1e7, 2000)
    assert started(2000, 2000) == free  # at the capacity exactly: every draw the same
    capped = started(1000, 2000)
    share = (1000 / 2000) ** 3
    sd = math.sqrt(len(free) * share * (1 - share))
    assert len(free) > 5000
    assert abs(len(capped) - len(free) * share) < 4 * sd


@pytest.mark.slow
@pytest.mark.parametrize("name", ["payment_reform", "industrialization"])
def test_the_scenarios_that_start_most_stay_inside_the_approvals_bound(name):
    """The two library scenarios whose revenue starts most programs keep new approvals a year
    inside the long-run bound in 2035, 2040 and 2045 (without the capacity they reached 28-42)."""
    sc = cgt_sim.load_scenario(SCENARIOS / f"{name}.yaml")
    res = cgt_sim.run(sc, replications=4, seed=3, workers=1)
    rows = [r for r in long_run_checks(res, sc) if r.name.startswith("new approvals")]
    assert len(rows) == 3
    for r in rows:
        assert r.simulated <= APPROVALS_PER_YEAR_BOUND, (r.name, r.simulated)
    annual = res.annual
    states = [f"programs_{STATES[s]}" for s in IN_DEVELOPMENT]
    under_way = annual[annual["year"] >= 2030][states].sum(axis=1)
    k = sc.value("research.development_capacity")
    assert under_way.max() <= 1.5 * k  # a demand for 4x the capacity is held to 1.41x it
