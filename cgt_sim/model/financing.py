"""Financing: sponsors hold cash, pay for each stage up front, raise rounds, stall, abandon.

A sponsor pays a stage's budget when the stage starts (burn per month x expected months plus
the contracted cost of trial doses), so cash never goes negative. When cash would fall below
the stage budget plus a runway buffer it tries to raise a round; a round closes with a
probability set by the capital climate (odds x climate^elasticity). If a private round fails, a
guided fund of the sponsor's cluster with money left may step in (article 002: 6 bn + 4 bn CNY
mother funds). A program whose sponsor cannot pay the stage stalls; after
``financing.max_stall_months`` it is abandoned for money, which is counted apart from failure
for science.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..timeline import DAYS_PER_MONTH

ROUND_FOR_STAGE = {"preclinical": "preclinical", "iit": "preclinical", "phase1": "phase1",
                   "phase2": "phase2", "phase3": "phase3", "review": "approval"}
ROUND_SIZE_KEY = {stage: f"financing.round_size_cny.{r}" for stage, r in ROUND_FOR_STAGE.items()}
BURN_KEY = {stage: f"financing.burn_cny_per_month.{stage}" for stage in ROUND_FOR_STAGE}
ROUND_SIGMA = 0.47  # lognormal round sizes with cv 0.5 (sigma = sqrt(log(1 + 0.5^2)))


@dataclass(slots=True)
class Sponsor:
    id: int
    cluster: str
    cash: float
    raised: float = 0.0
    rounds: int = 0
    failed_rounds: int = 0
    revenue: float = 0.0


def round_success_probability(base: float, climate: float, elasticity: float) -> float:
    """Probability a round closes: base odds scaled by climate**elasticity."""
    if base <= 0.0:
        return 0.0
    if base >= 1.0:
        return 1.0
    odds = base / (1.0 - base) * max(climate, 0.0) ** elasticity
    return odds / (1.0 + odds)


def stage_budget(p, stage: str, t: float, days: float, dose_cost: float = 0.0) -> float:
    """Cash a stage needs: burn per month x months, plus contracted manufacturing of its doses."""
    return p(BURN_KEY[stage], t) * days / DAYS_PER_MONTH + dose_cost


def try_round(w, prog, stage: str) -> bool:
    """One funding attempt by the program's sponsor before ``stage``; True if money came in."""
    p, t, sp = w.p, w.env.now, prog.sponsor
    u = prog.next_financing_uniform(w.rng["financing"])
    prob = round_success_probability(p("financing.round_success", t),
                                      p("financing.capital_climate", t),
                                      p("financing.climate_elasticity", t))
    size = p(ROUND_SIZE_KEY[stage], t) * math.exp(
        ROUND_SIGMA * w.rng["financing"].standard_normal() - 0.5 * ROUND_SIGMA ** 2)
    sp.rounds += 1
    if u < prob:
        sp.cash += size
        sp.raised += size
        w.record("capital_raised_cny", t, size)
        return True
    fund_key = f"financing.guided_fund_cny.{sp.cluster}"
    left = w.guided_fund_left(sp.cluster, fund_key, t)
    if left >= size and w.rng["financing"].random() < p("financing.guided_fund_participation", t):
        w.guided_fund_spent[sp.cluster] += size
        sp.cash += size
        sp.raised += size
        w.record("capital_raised_cny", t, size)
        w.record("guided_fund_invested_cny", t, size)
        return True
    sp.failed_rounds += 1
    return False


def pay_now(w, prog, stage: str, days: float, dose_cost: float = 0.0) -> bool:
    """Pay for ``stage`` at once if the sponsor can (after at most one round); True if paid."""
    p, t = w.p, w.env.now
    need = stage_budget(p, stage, t, days, dose_cost)
    sp = prog.sponsor
    if not w.money_unlimited:
        if sp.cash < need + p(BURN_KEY[stage], t) * p("financing.runway_months", t):
            try_round(w, prog, stage)
        if sp.cash < need:
            return False
        sp.cash -= need
    w.record("program_spend_cny", t, need)
    return True


def secure_funding(w, prog, stage: str, days: float, dose_cost: float = 0.0):
    """Generator for a sponsor that could not pay at once (``pay_now`` returned False): the
    program stalls, retrying rounds, until it is paid (returns True) or abandoned (False)."""
    p, env = w.p, w.env
    sp = prog.sponsor
    need = stage_budget(p, stage, env.now, days, dose_cost)
    stall_start = env.now
    prior_state = prog.state
    w.set_state(prog, w.STALLED)
    while True:
        if env.now - stall_start >= p("financing.max_stall_months", env.now) * DAYS_PER_MONTH:
            w.abandon(prog, stage)
            return False
        yield env.timeout(p("financing.retry_months", env.now) * DAYS_PER_MONTH)
        try_round(w, prog, stage)
        if sp.cash >= need:
            break
    w.set_state(prog, prior_state)
    sp.cash -= need
    w.record("program_spend_cny", env.now, need)
    return True
