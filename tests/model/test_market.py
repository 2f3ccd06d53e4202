"""The market: indications as the unit of demand, products competing for their patients
(closed forms of the split by order of entry), pools drained by one-time therapies, and the
monthly patient flows of products (conservation, stock, treated never above eligible)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cgt_sim
from cgt_sim.model.demand import Demand, DemandInputs
from cgt_sim.model.market import entry_shares
from cgt_sim.model.program import Program
from cgt_sim.model.runparams import RunParams
from cgt_sim.model.world import World, simulate
from cgt_sim.parameters import INDICATIONS
from cgt_sim.timeline import DAYS_PER_MONTH, DAYS_PER_YEAR

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


# --- competition -------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_equal_entrants_split_patients_by_one_over_the_root_of_their_order(n):
    shares = entry_shares(np.arange(1, n + 1), np.full(n, 0.3), np.ones(n), 0.5)
    expected = np.arange(1, n + 1) ** -0.5
    assert shares == pytest.approx(expected / expected.sum())
    assert shares.sum() == pytest.approx(1.0)


def test_a_cheaper_or_more_established_entrant_takes_more():
    # a later entrant that more patients can afford can overtake the pioneer
    assert entry_shares(np.array([1, 2]), np.array([0.1, 0.3]), np.ones(2), 0.5)[1] > 0.5
    # a product just launched has little share yet, whatever its order
    young = entry_shares(np.array([1, 2]), np.array([0.2, 0.2]), np.array([0.95, 0.05]), 0.5)
    assert young[1] < 0.05
    assert entry_shares(np.array([1, 2]), np.zeros(2), np.ones(2), 0.5).tolist() == [0.0, 0.0]


# --- demand --------------------------------------------------------------------------------------
def demand_of(overrides: dict) -> tuple[Demand, object]:
    sc = cgt_sim.load_scenario(BASELINE, overrides)
    return Demand(DemandInputs.bind(RunParams(sc, sc.clock)), sc.clock.year_start_day(2025),
                  np.random.default_rng(4)), sc


def test_an_untreated_pool_grows_at_its_indications_rate_and_a_treated_one_drains():
    demand, _ = demand_of({"demand.growth.autoimmune": 0.03})
    k = INDICATIONS.index("autoimmune")
    start = demand.pool[k]
    assert start == pytest.approx(98000 / 1.03 ** 10)  # back-cast to 2015
    t = 0.0
    for _ in range(120):  # 2015-2025, nobody treated
        demand.month(t + DAYS_PER_MONTH, t)
        t += DAYS_PER_MONTH
    assert demand.pool[k] == pytest.approx(98000, rel=0.01)
    for _ in range(60):  # then every patient who comes forward is treated
        came = demand.month(t + DAYS_PER_MONTH, t)
        demand.treated(came)
        t += DAYS_PER_MONTH
    # a fifth of the pool comes forward each year: after 5 years far fewer are left untreated
    assert demand.pool[k] < 0.6 * 98000 * 1.03 ** 5


def test_an_acute_indications_patients_come_as_its_flow_with_its_line_expansion():
    demand, sc = demand_of({})
    k = INDICATIONS.index("lbcl")
    day = sc.clock.year_start_day(2035)
    flow, pool = demand.expected(day + DAYS_PER_YEAR, day)
    assert pool[k] == 0.0
    assert flow[k] == pytest.approx(3600 * 3.5 * 1.025 ** 10, rel=0.01)  # 2nd line opened by 2030


def test_programs_target_indications_in_their_modalitys_mix():
    demand, _ = demand_of({})
    inputs = demand.inputs
    picks = [INDICATIONS[inputs.indication_of("in_vivo_gene", 0.0, u)] for u in np.linspace(0, 0.999, 1000)]
    counts = pd.Series(picks).value_counts(normalize=True)
    assert set(counts.index) == {"haemophilia", "haemoglobinopathy", "rare_genetic", "other_solid", "liver_solid"}
    assert counts["rare_genetic"] == pytest.approx(0.45, abs=0.01)
    assert counts["haemophilia"] == pytest.approx(0.22, abs=0.01)


def test_a_dated_mix_takes_effect_from_its_date_and_a_fixed_one_is_worked_out_once():
    """The mix is read on the arrival day when one of its weights is dated, and worked out once
    when none is: either way the pick is the inverse of the cumulative shares in force."""
    dated, _ = demand_of({"demand.mix.in_vivo_gene.haemophilia": {"value": 0.9, "from": 2030}})
    fixed, _ = demand_of({})
    assert "in_vivo_gene" not in dated.inputs.mix_fixed and "in_vivo_gene" in fixed.inputs.mix_fixed
    day_2030 = dated.day_2025 + 5 * DAYS_PER_YEAR + 2  # 2030 has begun (leap days aside)
    before = [dated.inputs.indication_of("in_vivo_gene", 0.0, u) for u in np.linspace(0, 0.999, 200)]
    after = [dated.inputs.indication_of("in_vivo_gene", day_2030, u) for u in np.linspace(0, 0.999, 200)]
    assert before == [fixed.inputs.indication_of("in_vivo_gene", 0.0, u) for u in np.linspace(0, 0.999, 200)]
    h = INDICATIONS.index("haemophilia")
    assert after.count(h) > 2 * before.count(h)


# --- patients month by month -----------------------------------------------------------------------
def serve_months(products: list[tuple[str, str]], months: int, overrides: dict | None = None):
    """A world whose market holds products of (modality, indication), launched in 2024 a month
    apart, served month by month (no programs run); per month the flows recorded."""
    sc = cgt_sim.load_scenario(BASELINE, {"market.access_ceiling": 0.9, **(overrides or {})})
    world = World(sc, 0, 11)
    t0 = world.clock.year_start_day(2024)
    for j, (modality, indication) in enumerate(products):
        program = Program(j, modality, "shanghai", INDICATIONS.index(indication), 0.0, [0.5] * 15, [0.0] * 5,
                          [0.5] * 6)
        program.sponsor = world.financing.sponsor_for(program, 0.0)
        world.market.launch_product(program, t0 + j * DAYS_PER_MONTH)
    flows, seen = world.accounts.flows, []
    keys = ("patients_demand", "patients_treated", "patients_dropped", "batches_commercial")
    t = t0 + len(products) * DAYS_PER_MONTH
    for _ in range(months):
        before = {key: sum(v) for key, v in flows.items()}
        world.market.month(t + DAYS_PER_MONTH, t)
        seen.append({key: sum(v) - before[key] for key, v in flows.items() if key in keys or "patients_" in key}
                    | {"stock": world.market.stock[: world.market.n].copy()})
        t += DAYS_PER_MONTH
    return world, seen


def test_an_off_the_shelf_product_treats_every_patient_who_waits_and_keeps_stock():
    world, months = serve_months([("allogeneic_cell", "gvhd")], 36, {"demand.eligible_2025.gvhd": 20000.0})
    assert sum(m["patients_demand"] for m in months) > 500  # the test serves real numbers
    for m in months:
        # from stock: each new patient is treated or drops out while a lot is made
        assert m["patients_treated"] + m["patients_dropped"] == m["patients_demand"]
        assert m["stock"].min() >= 0.0
        assert m["patients_treated_gvhd"] <= m["eligible_patients_gvhd"]
    assert world.market.treated[0] == pytest.approx(sum(m["patients_treated"] for m in months))


def test_a_patient_specific_product_makes_a_batch_per_patient_and_remakes_failures():
    world, months = serve_months([("autologous_car_t", "lbcl")], 24,
                                 {"manufacturing.failure_rate.autologous_car_t": 0.2,
                                  "manufacturing.remanufacture_success": 0.5, "demand.fit_share.lbcl": 1.0,
                                  "market.ability_to_pay_median_cny": 600e3})
    demand = sum(m["patients_demand"] for m in months)
    treated = sum(m["patients_treated"] for m in months)
    dropped = sum(m["patients_dropped"] for m in months)
    batches = sum(m["batches_commercial"] for m in months)
    assert demand > 500
    waited = demand - dropped
    assert waited <= batches <= 2 * waited
    # about 20% fail (and about 1% are lost in transit), half of them are remade
    assert 0.83 < treated / waited < 0.95
    sponsor = world.financing.sponsors[0]
    assert world.market.revenue[0] > 0 and sponsor.revenue == pytest.approx(world.market.revenue[0])


def test_products_of_one_indication_share_its_patients_by_order_of_entry():
    world, months = serve_months([("autologous_car_t", "myeloma")] * 3, 60, {"market.uptake_midpoint_years": 0.1,
                                                                             "market.uptake_steepness": 20.0})
    treated = world.market.treated[:3]
    expected = np.arange(1, 4) ** -0.5
    assert treated / treated.sum() == pytest.approx(expected / expected.sum(), abs=0.04)
    assert sum(m["patients_treated_myeloma"] for m in months) == pytest.approx(treated.sum())
    assert all(m["patients_treated_myeloma"] <= m["eligible_patients_myeloma"] for m in months)


@pytest.mark.slow
@given(seed=st.integers(0, 2**16), access=st.floats(0.5, 1.0), fit=st.floats(0.5, 1.0), ability=st.floats(1e5, 1e8))
@settings(max_examples=12, deadline=None)
def test_no_indication_ever_treats_more_patients_than_came_forward(seed, access, fit, ability):
    overrides = {"simulation.horizon_year": 2030, "market.access_ceiling": access,
                 "market.ability_to_pay_median_cny": ability, "research.arrival_scale": 2.0}
    overrides.update({f"demand.fit_share.{i}": fit for i in INDICATIONS})
    annual = pd.DataFrame(simulate(cgt_sim.load_scenario(BASELINE, overrides), seed % 7, seed)["annual"])
    for i in INDICATIONS:
        assert (annual[f"patients_treated_{i}"] <= annual[f"eligible_patients_{i}"]).all(), i
    assert math.isclose(annual[[f"patients_treated_{i}" for i in INDICATIONS]].sum().sum(),
                        annual["patients_treated"].sum())
