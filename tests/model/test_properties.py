"""Properties of whole replications on short horizons: reproducibility and invariants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cgt_sim
from cgt_sim.model.program import ACTIVE_CLINICAL, STATES
from cgt_sim.model.world import World, simulate

BASELINE = "scenarios/baseline.yaml"
HYP = settings(deadline=None, database=None, max_examples=8,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SEEDS = st.integers(0, 2**32 - 1)


def baseline(horizon: int, overrides: dict | None = None):
    return cgt_sim.load_scenario(BASELINE, overrides={"simulation.horizon_year": horizon,
                                                      **(overrides or {})})


def frames(out: dict) -> dict:
    return {k: pd.DataFrame(out[k]) for k in ("annual", "programs", "products")}


# --- reproducibility --------------------------------------------------------------------------
@HYP
@given(seed=SEEDS, replication=st.integers(0, 1000), horizon=st.integers(2015, 2020))
def test_same_seed_same_tables(seed, replication, horizon):
    sc = baseline(horizon)
    a, b = frames(simulate(sc, replication, seed)), frames(simulate(sc, replication, seed))
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_different_seeds_differ():
    sc = baseline(2019)
    a = frames(simulate(sc, 0, 1))["annual"]
    b = frames(simulate(sc, 0, 2))["annual"]
    assert not a["new_programs"].equals(b["new_programs"])


@HYP
@given(seed=SEEDS, horizon=st.integers(2020, 2023))
def test_a_year_is_the_same_whatever_the_horizon(seed, horizon):
    """Years up to a horizon do not depend on how far the run goes on: the last year's figures
    (utilisation, batch cost) are closed as every other year's are."""
    short = frames(simulate(baseline(horizon), 0, seed))["annual"]
    longer = frames(simulate(baseline(horizon + 1), 0, seed))["annual"]
    pd.testing.assert_frame_equal(short, longer[longer["year"] <= horizon])


@pytest.fixture(scope="module")
def uncertain_scenario(tmp_path_factory):
    """Baseline plus a parameter sampled per replication (so the sampled draws are compared)."""
    from pathlib import Path
    path = tmp_path_factory.mktemp("sc") / "uncertain.yaml"
    path.write_text(
        f"name: uncertain\nextends: {Path(BASELINE).resolve()}\n"
        "set:\n  simulation.horizon_year: 2021\n"
        "uncertain:\n"
        "  manufacturing.cogs_annual_decline: {dist: triangular, low: 0.0, mode: 0.02, high: 0.08}\n"
        "  financing.round_success: {dist: uniform, low: 0.4, high: 0.7}\n",
        encoding="utf-8")
    return cgt_sim.load_scenario(path)


def test_workers_do_not_change_results(uncertain_scenario):
    one = cgt_sim.run(uncertain_scenario, replications=4, seed=9, workers=1)
    two = cgt_sim.run(uncertain_scenario, replications=4, seed=9, workers=2)
    for name in ("annual", "programs", "products", "sampled"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name))
    assert sorted(one.annual["replication"].unique()) == [0, 1, 2, 3]
    assert one.sampled["financing.round_success"].nunique() == 4


def test_replication_results_do_not_depend_on_the_run(uncertain_scenario):
    """Replication r is the same alone, first of two, or third of four (common random numbers)."""
    four = cgt_sim.run(uncertain_scenario, replications=4, seed=9, workers=1)
    two = cgt_sim.run(uncertain_scenario, replications=2, seed=9, workers=1)
    pd.testing.assert_frame_equal(two.annual, four.annual[four.annual["replication"] < 2])
    alone = frames(simulate(uncertain_scenario, 2, 9))["annual"]
    pd.testing.assert_frame_equal(
        alone, four.annual[four.annual["replication"] == 2].reset_index(drop=True))


# --- invariants -------------------------------------------------------------------------------
def initial_suites(scenario) -> float:
    return float(sum(scenario.value(f"manufacturing.suites_2015.{c}") for c in cgt_sim.CLUSTERS))


def check_invariants(scenario, world: World, tables: dict) -> None:
    annual = pd.DataFrame(tables["annual"]).sort_values("year")
    programs = pd.DataFrame(tables["programs"])
    metrics = annual.drop(columns=["replication", "year"])

    # nothing is negative: counts, patients, costs, money, utilisation, prices
    values = metrics.to_numpy(dtype=float)
    assert np.all(np.isnan(values) | (values >= 0.0)), metrics.columns[
        np.any(values < 0.0, axis=0)].tolist()
    # the columns that are always defined are never NaN
    for col in metrics.columns:
        if not (col.endswith("_median") or col.endswith("_per_patient_cny")):
            assert annual[col].notna().all(), col
    for sp in world.financing.sponsors:
        assert sp.cash >= 0.0 and sp.raised >= 0.0

    # capacity: utilisation <= 1, suites never below the 2015 stock, and the suites installed
    # over a year lie between the stocks its commissionings and retirements allow
    u = annual["manufacturing_utilisation"].to_numpy()
    assert np.all(u <= 1.0 + 1e-9), u
    suites = annual["suites"].to_numpy()
    s0 = initial_suites(scenario)
    assert suites[0] == pytest.approx(s0)
    assert np.all(suites >= s0 - 1e-9)
    added = np.cumsum(annual["suites_added"].to_numpy())
    retired = np.cumsum(annual["suites_retired"].to_numpy())
    added_before = np.concatenate(([0.0], added[:-1]))  # by the start of each year
    retired_before = np.concatenate(([0.0], retired[:-1]))
    assert np.all(suites <= s0 + added - retired_before + 1e-6)
    assert np.all(suites >= s0 + added_before - retired - 1e-6)
    for site in world.sites.values():
        assert len(site.free) == site.suites >= scenario.value(f"manufacturing.suites_2015.{site.name}")
        uu = site.utilisation()
        assert np.all(np.isnan(uu) | (uu <= 1.0 + 1e-9))

    # programs: snapshots add up to every program started so far
    snap = sum(annual[f"programs_{s}"] for s in STATES).to_numpy()
    np.testing.assert_array_equal(snap, np.cumsum(annual["new_programs"].to_numpy()))
    assert snap[-1] == len(programs)
    np.testing.assert_array_equal(annual["programs_in_clinic"],
                                  sum(annual[f"programs_{s}"] for s in ACTIVE_CLINICAL))
    np.testing.assert_array_equal(annual["cumulative_approvals"], np.cumsum(annual["new_approvals"]))
    np.testing.assert_array_equal(annual["cumulative_ind_approvals"],
                                  np.cumsum(annual["new_ind_approvals"]))
    counts = programs["state"].value_counts()
    last = annual.iloc[-1]
    for s in STATES:
        assert last[f"programs_{s}"] == counts.get(s, 0)
    # patients: nobody is treated or dropped who was not ordered
    assert np.all(annual["patients_dropped"] <= annual["patients_demand"] + 1e-9)
    assert annual["patients_demand"].sum() == 0 or annual["eligible_patients"].sum() > 0


def run_world(scenario, replication, seed):
    w = World(scenario, replication, seed)
    w.run()
    return w, w.tables()


@HYP
@given(seed=SEEDS, replication=st.integers(0, 100), horizon=st.integers(2015, 2022))
def test_invariants_baseline(seed, replication, horizon):
    sc = baseline(horizon)
    check_invariants(sc, *run_world(sc, replication, seed))


# Parameters with a plausible range in the catalogue (assumptions explored in sensitivity
# analysis); the test draws a few of them at a time anywhere inside those ranges.
OVERRIDE_KEYS = [
    "manufacturing.suites_2015.beijing",
    "manufacturing.suites_2015.guangdong",
    "manufacturing.expansion_threshold",
    "manufacturing.expansion_target_utilisation",
    "manufacturing.retirement_threshold",
    "manufacturing.own_plant_share.autologous_car_t",
    "research.start_revenue_cny",
    "research.development_capacity",
    "research.capacity_elasticity",
    "demand.pool_treatment_share",
    "manufacturing.review_months",
    "manufacturing.batch_cv",
    "manufacturing.doses_per_batch.allogeneic_cell",
    "financing.round_success",
    "financing.seed_cash_cny",
    "financing.max_stall_months",
    "research.arrival_scale",
    "research.preclinical_success",
    "research.preclinical_years",
    "clinical.cohorts_per_phase",
    "clinical.iit_patients",
    "clinical.iit_share.autologous_car_t",
    "market.ability_to_pay_median_cny",
    "market.uptake_midpoint_years",
]


def test_override_keys_have_plausible_ranges():
    for key in OVERRIDE_KEYS:
        p = cgt_sim.CATALOGUE[key]
        assert p.plausible is not None, key
        lo, hi = p.plausible
        assert lo <= hi
        assert (p.low is None or p.low <= lo) and (p.high is None or hi <= p.high), key


@st.composite
def plausible_overrides(draw):
    keys = draw(st.lists(st.sampled_from(OVERRIDE_KEYS), min_size=1, max_size=5, unique=True))
    out = {}
    for key in keys:
        p = cgt_sim.CATALOGUE[key]
        lo, hi = p.plausible
        if p.kind == "int":
            out[key] = draw(st.integers(math.ceil(lo), math.floor(hi)))
        else:
            out[key] = draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))
    return out


@settings(HYP, max_examples=10)
@given(overrides=plausible_overrides(), seed=SEEDS, horizon=st.integers(2018, 2022))
def test_invariants_with_plausible_overrides(overrides, seed, horizon):
    sc = baseline(horizon, overrides)
    check_invariants(sc, *run_world(sc, 0, seed))


@pytest.mark.parametrize("seed", [1, 2])
def test_invariants_under_scarce_capacity(seed):
    """One suite per cluster: queues, full suites and expansions; capacity still holds."""
    sc = baseline(2022, {f"manufacturing.suites_2015.{c}": 1 for c in cgt_sim.CLUSTERS})
    world, tables = run_world(sc, 0, seed)
    check_invariants(sc, world, tables)
    annual = pd.DataFrame(tables["annual"])
    assert annual["suites_added"].sum() > 0  # the site did expand
    assert annual["manufacturing_utilisation"].max() > 0.5
