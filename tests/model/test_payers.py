"""Payers: who can pay and who pays what (closed forms of each insurance layer; the payments
add up to the net price), and the budgets that bound them."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import cgt_sim
from cgt_sim.model.accounts import Accounts
from cgt_sim.model.payers import PayerInputs, Payers, out_of_pocket_share_able
from cgt_sim.model.runparams import RunParams

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
NO_INSURANCE = {"market.city_insurance_coverage": 0.0, "market.commercial_list_coverage": 0.0}


class Shares:
    """The share able to pay of PayerInputs.payments, as affordable_share(t, net, listed)."""

    def __init__(self, payers: PayerInputs):
        self.payers = payers

    def affordable_share(self, t, net, listed):
        return self.payers.payments(t, net, listed).able


def inputs(overrides: dict) -> Shares:
    sc = cgt_sim.load_scenario(BASELINE, overrides)
    return Shares(PayerInputs.bind(RunParams(sc, sc.clock)))


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


# --- who pays what ------------------------------------------------------------------------------
@given(price=st.floats(1e3, 5e6), listed=st.booleans(), city=st.floats(0.0, 1.0), com=st.floats(0.0, 1.0),
       factor=st.floats(0.0, 1.0))
@settings(max_examples=60, deadline=None)
def test_the_payments_add_up_to_the_net_price(price, listed, city, com, factor):
    payers = inputs({"market.city_insurance_coverage": city,
                     "market.commercial_list_coverage": com}).payers
    pay = payers.payments(0.0, np.array([price]), np.array([listed]), factor)
    if pay.able[0] > 0:
        total = pay.nrdl + pay.commercial + pay.city + pay.out_of_pocket
        assert total[0] == pytest.approx(price, rel=1e-9)
        assert min(pay.nrdl[0], pay.commercial[0], pay.city[0], pay.out_of_pocket[0]) >= 0.0


def test_what_each_payer_pays_for_a_treated_patient():
    payers = inputs({"market.commercial_list_coverage": 0.0, "market.city_insurance_coverage": 1.0,
                     "market.city_insurance_deductible_cny": 20e3, "market.city_insurance_paid_share": 0.8,
                     "market.city_insurance_cap_cny": 500e3, "market.nrdl_reimbursed_share": 0.6}).payers
    pay = payers.payments(0.0, np.array([1.2e6, 400e3]), np.array([False, True]))
    # unlisted: city pays its capped share, the rest is the household's (Liaocheng: 1.2 M - 20 k) x 80% -> capped
    assert pay.nrdl[0] == 0.0 and pay.city[0] == pytest.approx(500e3) and pay.out_of_pocket[0] == pytest.approx(700e3)
    # listed at 400 k: insurance 240 k, city 80% of (160 k - 20 k) = 112 k, household 48 k
    assert (pay.nrdl[1], pay.city[1], pay.out_of_pocket[1]) == pytest.approx((240e3, 112e3, 48e3))
    # rationed city cover: half the covered patients lose it
    half = payers.payments(0.0, np.array([1.2e6]), np.array([False]), city_factor=0.5)
    assert half.able[0] < pay.able[0] and 0 < half.city[0] < pay.city[0]


def test_city_insurance_rations_its_cover_to_its_budget():
    sc = cgt_sim.load_scenario(BASELINE, {"market.city_insurance_cgt_budget_2025_cny": 120e6})
    accounts = Accounts([sc.clock.year_start_day(y) for y in range(2015, 2031)])
    payers = Payers(PayerInputs.bind(RunParams(sc, sc.clock)), accounts, sc.clock.year_start_day(2024))
    t = sc.clock.year_start_day(2025) + 1.0
    assert payers.city_budget(t) == pytest.approx(120e6, rel=0.01)
    assert payers.city_factor(t, 5e6, 12) == 1.0  # 60 M of claims expected this year: all covered
    assert payers.city_factor(t, 20e6, 12) == pytest.approx(0.5, rel=0.01)  # 240 M expected: half
    payers.paid(t, 0.0, 0.0, 100e6, 0.0)
    assert payers.city_factor(t + 200, 10e6, 5) == pytest.approx(20e6 / 50e6)
    later = sc.clock.year_start_day(2026) + 1.0
    assert payers.city_factor(later, 5e6, 12) == 1.0  # a new year, a new budget
    assert accounts.flows["city_insurance_spending_cny"][10] == 100e6


def test_the_national_lists_cgt_budget_grows_with_health_spending():
    sc = cgt_sim.load_scenario(BASELINE, {"market.nrdl_cgt_budget_share": 0.002,
                                          "market.health_spending_growth": 0.05})
    accounts = Accounts([sc.clock.year_start_day(y) for y in range(2015, 2036)])
    payers = Payers(PayerInputs.bind(RunParams(sc, sc.clock)), accounts, sc.clock.year_start_day(2024))
    in_2024 = payers.nrdl_budget(sc.clock.year_start_day(2024))
    assert in_2024 == pytest.approx(2.9764e12 * 0.002)
    assert payers.nrdl_budget(sc.clock.year_start_day(2034) + 100) == pytest.approx(in_2024 * 1.05 ** 10)
