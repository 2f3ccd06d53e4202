"""Financing: sponsors hold cash, pay for each stage up front, raise rounds, stall, abandon.

A sponsor pays a stage's budget when the stage starts (burn per month x expected months plus
the contracted cost of trial doses), so cash never goes negative. When cash would fall below
the stage budget plus a runway buffer it tries to raise a round; a round closes with a
probability set by the capital climate (odds x climate^elasticity). If a private round fails, a
guided fund of the sponsor's cluster with money left may step in (article 002: 6 bn + 4 bn CNY
mother funds). A program whose sponsor cannot pay the stage stalls; after
``financing.max_stall_months`` it is abandoned for money, which is counted apart from failure
for science.

``Financing`` owns the sponsors and what the guided funds have spent; the chain calls its
verbs: ``sponsor_for`` when a program starts, ``pay_now`` (and, when that fails,
``secure_funding``) before each stage, ``credit`` when a product earns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import simpy

from ..parameters import CLUSTERS
from ..timeline import DAYS_PER_MONTH
from .program import U_SPONSOR, U_SPONSOR_PICK, Program, State
from .runparams import RunParams, Value

if TYPE_CHECKING:
    from .accounts import Accounts

ROUND_FOR_STAGE = {"preclinical": "preclinical", "iit": "preclinical", "phase1": "phase1",
                   "phase2": "phase2", "phase3": "phase3", "review": "approval"}
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


@dataclass(frozen=True, slots=True)
class FinancingInputs:
    unconstrained: bool  # money never runs out (for the analytic checks), for the whole run
    capital_climate: Value
    climate_elasticity: Value
    round_success: Value
    seed_cash_cny: Value
    round_size_cny: dict[str, Value]  # by stage (ROUND_FOR_STAGE)
    burn_cny_per_month: dict[str, Value]  # by stage
    runway_months: Value
    retry_months: Value
    max_stall_months: Value
    follow_on_share: Value
    guided_fund_cny: dict[str, Value]  # by cluster
    guided_fund_participation: Value

    @classmethod
    def bind(cls, params: RunParams) -> FinancingInputs:
        b = params.bind
        return cls(
            unconstrained=bool(params.fixed("financing.unconstrained")),
            capital_climate=b("financing.capital_climate"),
            climate_elasticity=b("financing.climate_elasticity"),
            round_success=b("financing.round_success"),
            seed_cash_cny=b("financing.seed_cash_cny"),
            round_size_cny={stage: b(f"financing.round_size_cny.{r}") for stage, r in ROUND_FOR_STAGE.items()},
            burn_cny_per_month={stage: b(f"financing.burn_cny_per_month.{stage}") for stage in ROUND_FOR_STAGE},
            runway_months=b("financing.runway_months"),
            retry_months=b("financing.retry_months"),
            max_stall_months=b("financing.max_stall_months"),
            follow_on_share=b("financing.follow_on_share"),
            guided_fund_cny={c: b(f"financing.guided_fund_cny.{c}") for c in CLUSTERS},
            guided_fund_participation=b("financing.guided_fund_participation"),
        )

    def stage_budget(self, stage: str, t: float, days: float, dose_cost: float = 0.0) -> float:
        """Cash a stage needs: burn per month x months, plus contracted manufacturing of its doses."""
        return self.burn_cny_per_month[stage](t) * days / DAYS_PER_MONTH + dose_cost


def round_success_probability(base: float, climate: float, elasticity: float) -> float:
    """Probability a round closes: base odds scaled by climate**elasticity."""
    if base <= 0.0:
        return 0.0
    if base >= 1.0:
        return 1.0
    odds = base / (1.0 - base) * max(climate, 0.0) ** elasticity
    return odds / (1.0 + odds)


class Financing:
    """The sponsors of one replication, their cash, and the guided funds' spending."""

    def __init__(self, inputs: FinancingInputs, env: simpy.Environment, rng: np.random.Generator,
                 accounts: Accounts):
        self.inputs = inputs
        self.env = env
        self.rng = rng
        self.accounts = accounts
        self.sponsors: list[Sponsor] = []
        self.sponsors_by_cluster: dict[str, list[Sponsor]] = {c: [] for c in CLUSTERS}
        self.guided_fund_spent = dict.fromkeys(CLUSTERS, 0.0)

    def sponsor_for(self, program: Program, t: float) -> Sponsor:
        """The sponsor of a program starting on day ``t``: with a share, one of its cluster's
        sponsors (picked by the program's own uniform); otherwise a new one with seed cash."""
        pool = self.sponsors_by_cluster[program.cluster]
        if pool and program.uniforms[U_SPONSOR] < self.inputs.follow_on_share(t):
            return pool[int(program.uniforms[U_SPONSOR_PICK] * len(pool))]
        sponsor = Sponsor(len(self.sponsors), program.cluster, self.inputs.seed_cash_cny(t))
        self.sponsors.append(sponsor)
        pool.append(sponsor)
        return sponsor

    def guided_fund_left(self, cluster: str, t: float) -> float:
        return self.inputs.guided_fund_cny[cluster](t) - self.guided_fund_spent[cluster]

    def try_round(self, program: Program, stage: str) -> bool:
        """One funding attempt by the program's sponsor before ``stage``, decided by the
        program's own next uniform; True if money came in."""
        assert program.sponsor is not None
        return self.raise_round(program.sponsor, stage, program.next_financing_uniform(self.rng))

    def raise_round(self, sponsor: Sponsor, stage: str, u: float) -> bool:
        """One funding attempt by ``sponsor`` before ``stage`` (it closes when ``u`` is below the
        odds; a guided fund may step in when it does not); True if money came in."""
        inputs, t, rng = self.inputs, self.env.now, self.rng
        prob = round_success_probability(inputs.round_success(t), inputs.capital_climate(t),
                                         inputs.climate_elasticity(t))
        size = inputs.round_size_cny[stage](t) * math.exp(
            ROUND_SIGMA * rng.standard_normal() - 0.5 * ROUND_SIGMA ** 2)
        sponsor.rounds += 1
        if u < prob:
            sponsor.cash += size
            sponsor.raised += size
            self.accounts.record("capital_raised_cny", t, size)
            return True
        left = self.guided_fund_left(sponsor.cluster, t)
        if left >= size and rng.random() < inputs.guided_fund_participation(t):
            self.guided_fund_spent[sponsor.cluster] += size
            sponsor.cash += size
            sponsor.raised += size
            self.accounts.record("capital_raised_cny", t, size)
            self.accounts.record("guided_fund_invested_cny", t, size)
            return True
        sponsor.failed_rounds += 1
        return False

    def pay_now(self, program: Program, stage: str, days: float, dose_cost: float = 0.0) -> bool:
        """Pay for ``stage`` at once if the sponsor can (after at most one round); True if paid."""
        inputs, t = self.inputs, self.env.now
        need = inputs.stage_budget(stage, t, days, dose_cost)
        sponsor = program.sponsor
        assert sponsor is not None
        if not inputs.unconstrained:
            if sponsor.cash < need + inputs.burn_cny_per_month[stage](t) * inputs.runway_months(t):
                self.try_round(program, stage)
            if sponsor.cash < need:
                return False
            sponsor.cash -= need
        self.accounts.record("program_spend_cny", t, need)
        return True

    def secure_funding(self, program: Program, stage: str, days: float, dose_cost: float = 0.0):
        """Generator for a sponsor that could not pay at once (``pay_now`` returned False): the
        program stalls, retrying rounds, until it is paid (returns True) or abandoned (False)."""
        inputs, env, accounts = self.inputs, self.env, self.accounts
        sponsor = program.sponsor
        assert sponsor is not None
        need = inputs.stage_budget(stage, env.now, days, dose_cost)
        stall_start = env.now
        prior_state = program.state
        accounts.move(program, State.STALLED)
        while True:
            if env.now - stall_start >= inputs.max_stall_months(env.now) * DAYS_PER_MONTH:
                accounts.abandon(program, stage, env.now)
                return False
            yield env.timeout(inputs.retry_months(env.now) * DAYS_PER_MONTH)
            self.try_round(program, stage)
            if sponsor.cash >= need:
                break
        accounts.move(program, prior_state)
        sponsor.cash -= need
        accounts.record("program_spend_cny", env.now, need)
        return True

    def pay_capex(self, sponsor: Sponsor, amount: float) -> bool:
        """``sponsor`` pays ``amount`` of capital spending (a plant) from its cash, raising one
        late-stage round first if its cash falls short; True if it paid."""
        t = self.env.now
        if not self.inputs.unconstrained:
            if sponsor.cash < amount:
                self.raise_round(sponsor, "review", float(self.rng.random()))
            if sponsor.cash < amount:
                return False
            sponsor.cash -= amount
        self.accounts.record("plant_capex_cny", t, amount)
        return True

    def credit(self, sponsor: Sponsor, revenue: float, gain: float) -> None:
        """A product of ``sponsor`` earned ``revenue``; ``gain`` (its margin, less cost of goods)
        goes to the sponsor's cash, which never falls below zero."""
        sponsor.revenue += revenue
        sponsor.cash = max(sponsor.cash + gain, 0.0)
