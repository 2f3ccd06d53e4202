"""The market: who can pay (closed forms of the insurance layers), and the monthly patient flows
of a product (conservation of patients, stock that never goes negative)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import cgt_sim
from cgt_sim.model.market import MarketInputs, out_of_pocket_share_able
from cgt_sim.model.program import Program
from cgt_sim.model.runparams import RunParams
from cgt_sim.model.world import World
from cgt_sim.timeline import DAYS_PER_MONTH

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
NO_INSURANCE = {"market.city_insurance_coverage": 0.0, "market.commercial_list_coverage": 0.0}


def inputs(overrides: dict) -> MarketInputs:
    sc = cgt_sim.load_scenario(BASELINE, overrides)
    return MarketInputs.bind(RunParams(sc, sc.clock))


def able(median: float, sigma: float, oop: float) -> float:
    """The lognormal share of households able to pay ``oop``."""
    return 1.0 if oop <= 0 else float(norm.cdf((math.log(median) - math.log(oop)) / sigma))


# --- who can pay ----------------------------------------------------------------------------
def test_without_insurance_the_share_is_the_lognormal_ability_to_pay():
    m = inputs({**NO_INSURANCE, "market.ability_to_pay_median_cny": 300e3, "market.ability_to_pay_sigma": 1.0})
    prices = np.array([0.0, 300e3, 1.2e6, 1e12])
    got = m.affordable_share(0.0, prices, np.zeros(4, dtype=bool))
    assert got == pytest.approx([1.0, 0.5, able(300e3, 1.0, 1.2e6), 0.0], abs=1e-12)


def test_national_listing_leaves_the_unreimbursed_share_to_pay():
    m = inputs({**NO_INSURANCE, "market.nrdl_reimbursed_share": 0.6, "market.ability_to_pay_median_cny": 250e3,
                "market.ability_to_pay_sigma": 1.2})
    got = m.affordable_share(0.0, np.array([1e6, 1e6]), np.array([True, False]))
    assert got == pytest.approx([able(250e3, 1.2, 0.4e6), able(250e3, 1.2, 1e6)])


def test_city_insurance_pays_its_share_above_the_deductible_up_to_its_cap():
    base = {"market.commercial_list_coverage": 0.0, "market.city_insurance_coverage": 1.0,
            "market.city_insurance_deductible_cny": 20e3, "market.city_insurance_paid_share": 0.8,
            "market.city_insurance_cap_cny": 500e3, "market.ability_to_pay_median_cny": 250e3,
            "market.ability_to_pay_sigma": 1.2}
    m = inputs(base)
    prices = np.array([10e3, 300e3, 1.2e6])
    # below the deductible nothing is paid; then 80% above it; the cap binds at 1.2M (Liaocheng: 944k)
    oop = [10e3, 300e3 - 0.8 * 280e3, 1.2e6 - 500e3]
    got = m.affordable_share(0.0, prices, np.zeros(3, dtype=bool))
    assert got == pytest.approx([able(250e3, 1.2, x) for x in oop])
    half = inputs({**base, "market.city_insurance_coverage": 0.5}).affordable_share(0.0, prices, np.zeros(3, bool))
    uninsured = inputs({**base, "market.city_insurance_coverage": 0.0}).affordable_share(0.0, prices, np.zeros(3, bool))
    assert half == pytest.approx(0.5 * got + 0.5 * uninsured)  # a mixture of the two groups


def test_the_commercial_list_pays_its_share_before_city_insurance():
    m = inputs({"market.city_insurance_coverage": 0.0, "market.commercial_list_coverage": 1.0,
                "market.commercial_list_paid_share": 0.7, "market.ability_to_pay_median_cny": 250e3,
                "market.ability_to_pay_sigma": 1.2})
    got = m.affordable_share(0.0, np.array([1.2e6]), np.array([False]))
    assert got == pytest.approx([able(250e3, 1.2, 0.3 * 1.2e6)])


@given(price=st.floats(0.0, 5e6), cheaper=st.floats(0.0, 1.0), city=st.floats(0.0, 1.0),
       listed=st.booleans())
@settings(max_examples=60, deadline=None)
def test_a_share_is_a_probability_and_a_lower_price_never_lowers_it(price, cheaper, city, listed):
    m = inputs({"market.city_insurance_coverage": city})
    shares = m.affordable_share(0.0, np.array([price, price * cheaper]), np.array([listed, listed]))
    assert 0.0 <= shares[0] <= shares[1] + 1e-12 <= 1.0 + 1e-12


def test_no_household_can_pay_anything_when_the_median_is_zero():
    assert list(out_of_pocket_share_able([0.0, 1.0, 5e5], 0.0, 1.2)) == [1.0, 0.0, 0.0]


# --- patients month by month -------------------------------------------------------------------
def serve_months(modality: str, months: int, overrides: dict | None = None) -> tuple[World, list[dict]]:
    """A world whose market holds one product of ``modality`` launched in 2024, served month by
    month (no programs run); per month the flows recorded and the product's stock after it."""
    sc = cgt_sim.load_scenario(BASELINE, {"market.eligible_per_year." + modality: 20000.0,
                                          "market.access_ceiling": 0.9, **(overrides or {})})
    world = World(sc, 0, 11)
    program = Program(0, modality, "shanghai", 0.0, [0.5] * 13, [0.0] * 5, [0.5] * 6, 0.0)
    program.sponsor = world.financing.sponsor_for(program, 0.0)
    t0 = world.clock.year_start_day(2024)
    world.market.launch_product(program, t0, 0.0)
    flows, seen = world.accounts.flows, []
    keys = ("patients_demand", "patients_treated", "patients_dropped", "batches_commercial")
    for k in range(months):
        start, end = t0 + k * DAYS_PER_MONTH, t0 + (k + 1) * DAYS_PER_MONTH
        before = {key: sum(flows[key]) for key in keys}
        world.market.month(end, start)
        seen.append({key: sum(flows[key]) - before[key] for key in keys} | {"stock": float(world.market.stock[0])})
    return world, seen


def test_an_off_the_shelf_product_treats_every_patient_who_waits_and_keeps_stock():
    world, months = serve_months("allogeneic_cell", 36)
    assert sum(m["patients_demand"] for m in months) > 500  # the test serves real numbers
    for m in months:
        # from stock: each new patient is treated or drops out while a lot is made
        assert m["patients_treated"] + m["patients_dropped"] == m["patients_demand"]
        assert m["stock"] >= 0.0
    assert world.market.treated[0] == pytest.approx(sum(m["patients_treated"] for m in months))
    assert months[-1]["stock"] > 0  # it keeps stock ahead of demand


def test_a_patient_specific_product_makes_a_batch_per_patient_and_remakes_failures():
    world, months = serve_months("autologous_car_t", 24, {"manufacturing.failure_rate.autologous_car_t": 0.2,
                                                           "manufacturing.remanufacture_success": 0.5})
    demand = sum(m["patients_demand"] for m in months)
    treated = sum(m["patients_treated"] for m in months)
    dropped = sum(m["patients_dropped"] for m in months)
    batches = sum(m["batches_commercial"] for m in months)
    assert demand > 500
    # a patient who waits gets a batch, and a second after a failure or a loss in transit
    assert treated + dropped <= demand
    waited = demand - dropped
    assert waited <= batches <= 2 * waited
    # about 20% fail (and about 2% are lost), half of them are remade: about 89% of those who wait
    assert 0.83 < treated / waited < 0.95
    assert world.market.revenue[0] > 0 and world.financing.sponsors[0].revenue == pytest.approx(world.market.revenue[0])
