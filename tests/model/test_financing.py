"""Financing: the odds of a round, paying for a stage, stalling, rescue by a guided fund and
abandonment for money, checked on one sponsor and one program at a time."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import simpy
from hypothesis import given
from hypothesis import strategies as st

import cgt_sim
from cgt_sim.model.accounts import Accounts
from cgt_sim.model.financing import Financing, FinancingInputs, round_success_probability
from cgt_sim.model.program import Program, State
from cgt_sim.model.runparams import RunParams
from cgt_sim.timeline import DAYS_PER_MONTH

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
YEAR_EDGES = [365.25 * k for k in range(12)]


# --- round odds ---------------------------------------------------------------------------
def test_round_odds_scale_with_the_climate_as_odds_not_probabilities():
    assert round_success_probability(0.0, 5.0, 1.0) == 0.0
    assert round_success_probability(1.0, 0.1, 1.0) == 1.0
    assert round_success_probability(0.55, 1.0, 2.0) == pytest.approx(0.55)  # a neutral climate
    # odds x climate^elasticity: 0.5 is odds 1; a climate of 3 with elasticity 1 gives odds 3
    assert round_success_probability(0.5, 3.0, 1.0) == pytest.approx(0.75)
    assert round_success_probability(0.5, 0.0, 1.0) == 0.0  # no capital at all


@given(base=st.floats(0.01, 0.99), low=st.floats(0.0, 3.0), high=st.floats(0.0, 3.0),
       elasticity=st.floats(0.0, 3.0))
def test_a_better_climate_never_lowers_the_odds(base, low, high, elasticity):
    low, high = min(low, high), max(low, high)
    p_low = round_success_probability(base, low, elasticity)
    p_high = round_success_probability(base, high, elasticity)
    assert 0.0 <= p_low <= p_high <= 1.0


# --- one sponsor, one program -----------------------------------------------------------------
def make(overrides: dict | None = None, cash: float | None = None, uniforms=(0.5,) * 6):
    """A Financing of the baseline with ``overrides``, and a program with a new sponsor."""
    sc = cgt_sim.load_scenario(BASELINE, overrides or {})
    env = simpy.Environment()
    accounts = Accounts(YEAR_EDGES)
    financing = Financing(FinancingInputs.bind(RunParams(sc, sc.clock)), env, np.random.default_rng(1), accounts)
    program = Program(0, "autologous_car_t", "jiangsu", 0, 0.0, [0.9] * 15, [0.0] * 5, list(uniforms))
    program.sponsor = financing.sponsor_for(program, 0.0)  # uniforms of 0.9: a new sponsor
    accounts.start(program, 0.0)
    if cash is not None:
        program.sponsor.cash = cash
    return env, financing, accounts, program


def test_a_new_program_founds_a_sponsor_with_seed_cash_and_a_follow_on_joins_one():
    _, financing, _, program = make({"financing.follow_on_share": 0.5})
    assert program.sponsor.cash == 30e6 and financing.sponsors == [program.sponsor]
    follow = Program(1, "autologous_car_t", "jiangsu", 0, 0.0, [0.0] * 15, [0.0] * 5, [0.5] * 6)
    assert financing.sponsor_for(follow, 0.0) is program.sponsor  # uniform 0.0 < 0.5: an existing one
    elsewhere = Program(2, "autologous_car_t", "beijing", 0, 0.0, [0.0] * 15, [0.0] * 5, [0.5] * 6)
    assert financing.sponsor_for(elsewhere, 0.0) is not program.sponsor  # none in Beijing yet


def test_a_sponsor_with_cash_pays_the_stage_budget_up_front():
    _, financing, accounts, program = make(cash=1e9)
    burn = financing.inputs.burn_cny_per_month["phase1"](0.0)
    assert financing.pay_now(program, "phase1", 10 * DAYS_PER_MONTH, dose_cost=2e6)
    assert program.sponsor.cash == pytest.approx(1e9 - 10 * burn - 2e6)
    assert accounts.flows["program_spend_cny"][0] == pytest.approx(10 * burn + 2e6)
    assert program.sponsor.rounds == 0  # cash covered the stage and the runway: no round


def test_a_sponsor_short_of_cash_raises_a_round_when_it_closes():
    # the program's first uniform (0.0) is below any odds: the round closes
    _, financing, accounts, program = make(cash=0.0, uniforms=(0.0,) + (0.5,) * 5)
    paid = financing.pay_now(program, "preclinical", 30.0)
    assert program.sponsor.rounds == 1 and program.sponsor.raised > 0 and paid
    assert accounts.flows["capital_raised_cny"][0] == program.sponsor.raised


def test_money_unconstrained_pays_without_cash_or_rounds():
    _, financing, _, program = make({"financing.unconstrained": True}, cash=0.0)
    assert financing.pay_now(program, "phase3", 1000.0, dose_cost=1e9)
    assert program.sponsor.cash == 0.0 and program.sponsor.rounds == 0


def test_a_program_that_cannot_pay_stalls_then_is_abandoned_after_the_longest_stall():
    env, financing, accounts, program = make({"financing.round_success": 0.0, "financing.retry_months": 3.0,
                                              "financing.max_stall_months": 12.0}, cash=0.0)
    accounts.move(program, State.PHASE1)
    assert not financing.pay_now(program, "phase2", 365.0)
    outcome = []

    def stage():
        outcome.append((yield from financing.secure_funding(program, "phase2", 365.0)))

    env.process(stage())
    env.run(until=6 * DAYS_PER_MONTH)
    assert program.state == State.STALLED and accounts.counts[State.STALLED] == 1
    env.run()
    # retries at 3, 6, 9 and 12 months all fail; at 12 months the stall is long enough
    assert outcome == [False] and program.state == State.ABANDONED and program.end_stage == "phase2"
    assert program.end_day == pytest.approx(12 * DAYS_PER_MONTH)
    assert program.sponsor.rounds == 1 + 4 and program.sponsor.failed_rounds == 5
    assert sum(accounts.flows["abandoned_financing"]) == 1 and accounts.counts[State.STALLED] == 0


def test_a_stalled_program_resumes_its_stage_once_a_round_closes():
    # the program's own uniforms decide its first rounds: two fail (0.99 > 0.5 odds), the third closes
    env, financing, accounts, program = make({"financing.round_success": 0.5, "financing.retry_months": 2.0},
                                             cash=0.0, uniforms=(0.99, 0.99, 0.0, 0.5, 0.5, 0.5))
    accounts.move(program, State.PHASE1)
    assert not financing.pay_now(program, "phase1", 30.0)  # round 1 fails
    outcome = []

    def stage():
        outcome.append((yield from financing.secure_funding(program, "phase1", 30.0)))

    env.process(stage())
    env.run()
    assert outcome == [True] and program.state == State.PHASE1  # back where it stalled
    assert env.now == pytest.approx(4 * DAYS_PER_MONTH)  # round 2 at 2 months fails, round 3 at 4 closes
    assert program.sponsor.rounds == 3 and program.sponsor.cash >= 0.0
    assert accounts.flows["program_spend_cny"][0] > 0


def test_a_guided_fund_steps_in_when_a_private_round_fails_until_it_is_spent():
    _, financing, accounts, program = make({"financing.round_success": 0.0,
                                              "financing.guided_fund_cny.jiangsu": 150e6,
                                              "financing.guided_fund_participation": 1.0}, cash=0.0)
    rounds = [financing.try_round(program, "preclinical") for _ in range(40)]
    spent = financing.guided_fund_spent["jiangsu"]
    assert rounds[0] and spent <= 150e6 and not rounds[-1]  # it runs out; it never overspends
    assert accounts.flows["guided_fund_invested_cny"][0] == pytest.approx(spent)
    assert accounts.flows["capital_raised_cny"][0] == pytest.approx(spent) == program.sponsor.raised
    assert financing.guided_fund_left("jiangsu", 0.0) == pytest.approx(150e6 - spent)
    assert financing.guided_fund_spent["beijing"] == 0.0


def test_revenue_credits_the_sponsor_and_cash_never_falls_below_zero():
    _, financing, _, program = make(cash=5.0)
    financing.credit(program.sponsor, 100.0, -50.0)  # a loss larger than its cash
    assert program.sponsor.cash == 0.0 and program.sponsor.revenue == 100.0
    financing.credit(program.sponsor, 10.0, 7.5)
    assert program.sponsor.cash == 7.5 and program.sponsor.revenue == 110.0
    assert not math.isnan(program.sponsor.cash)
