"""Payers: who pays for a treated patient, and the budgets that bound what they pay.

Three payers stand between a product's net price and the patient's household:

* the national reimbursement list (NRDL): a listed product's price is cut by the negotiated
  share and basic medical insurance pays its share of the rest. The list has a CGT budget, a
  share of the insurance fund's spending (``market.nrdl_cgt_budget_share``, growing with
  health spending); a product is listed only when its expected yearly reimbursement fits in
  what the products already listed leave of it (the NHSA's budget-impact test), so the list's
  CGT spending saturates;
* the 2026 commercial innovative-drug list: commercial insurance pays its share for the
  patients it covers;
* city commercial insurance (Hui Min Bao): above a deductible, a share up to a cap, for the
  patients it covers, from a yearly CGT budget; when the month's claims would overrun what is
  left of the year's budget, coverage is rationed to fit.

What is left is paid out of pocket, and the share of patients whose household can pay it
follows a lognormal ability to pay. Patients in each insurance group are treated in proportion
to their ability to pay, so the expected payment of each payer per treated patient follows, and
the four payments add up to the net price.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.special import ndtr

from ..parameters import MODALITIES
from ..timeline import DAYS_PER_YEAR
from .accounts import Accounts
from .runparams import RunParams, Value


@dataclass(frozen=True, slots=True)
class PayerInputs:
    nrdl_listing_hazard: Value
    nrdl_scope: dict[str, Value]  # by modality
    nrdl_price_cut: Value
    nrdl_reimbursed_share: Value
    nrdl_cgt_budget_share: Value
    bmi_fund_spending_2024_cny: Value
    health_spending_growth: Value
    city_insurance_coverage: Value
    city_insurance_cap_cny: Value
    city_insurance_deductible_cny: Value
    city_insurance_paid_share: Value
    city_insurance_cgt_budget_2025_cny: Value
    commercial_list_coverage: Value
    commercial_list_paid_share: Value
    ability_to_pay_median_cny: Value
    ability_to_pay_sigma: Value

    @classmethod
    def bind(cls, params: RunParams) -> PayerInputs:
        b = params.bind
        return cls(
            nrdl_listing_hazard=b("market.nrdl_listing_hazard"),
            nrdl_scope={m: b(f"market.nrdl_scope.{m}") for m in MODALITIES},
            nrdl_price_cut=b("market.nrdl_price_cut"),
            nrdl_reimbursed_share=b("market.nrdl_reimbursed_share"),
            nrdl_cgt_budget_share=b("market.nrdl_cgt_budget_share"),
            bmi_fund_spending_2024_cny=b("market.bmi_fund_spending_2024_cny"),
            health_spending_growth=b("market.health_spending_growth"),
            city_insurance_coverage=b("market.city_insurance_coverage"),
            city_insurance_cap_cny=b("market.city_insurance_cap_cny"),
            city_insurance_deductible_cny=b("market.city_insurance_deductible_cny"),
            city_insurance_paid_share=b("market.city_insurance_paid_share"),
            city_insurance_cgt_budget_2025_cny=b("market.city_insurance_cgt_budget_2025_cny"),
            commercial_list_coverage=b("market.commercial_list_coverage"),
            commercial_list_paid_share=b("market.commercial_list_paid_share"),
            ability_to_pay_median_cny=b("market.ability_to_pay_median_cny"),
            ability_to_pay_sigma=b("market.ability_to_pay_sigma"),
        )

    def payments(self, t: float, net_price: np.ndarray, listed: np.ndarray, city_factor: float = 1.0) -> Payments:
        """Who pays for a treated patient of each product (net prices ``net_price``, on the
        national list where ``listed``), with city insurance covering ``city_factor`` of the
        patients it would cover in full (rationing). Vectorised over products."""
        net = np.asarray(net_price, dtype=float)
        nrdl = np.where(listed, net * self.nrdl_reimbursed_share(t), 0.0)
        o1 = net - nrdl
        c_com = self.commercial_list_coverage(t)
        c_city = self.city_insurance_coverage(t) * city_factor
        q = self.commercial_list_paid_share(t)
        med, sig = self.ability_to_pay_median_cny(t), self.ability_to_pay_sigma(t)
        cap = self.city_insurance_cap_cny(t)
        ded = self.city_insurance_deductible_cny(t)
        paid = self.city_insurance_paid_share(t)
        able = np.zeros(net.shape)
        commercial = np.zeros(net.shape)
        city = np.zeros(net.shape)
        own = np.zeros(net.shape)
        for w_com, o2 in ((1.0 - c_com, o1), (c_com, o1 * (1.0 - q))):
            if w_com <= 0:
                continue
            for w_city, city_pay in ((1.0 - c_city, 0.0), (c_city, np.minimum(cap, paid * np.maximum(o2 - ded, 0.0)))):
                if w_city <= 0:
                    continue
                o3 = o2 - city_pay
                group = w_com * w_city * out_of_pocket_share_able(o3, med, sig)
                able = able + group
                commercial = commercial + group * (o1 - o2)
                city = city + group * city_pay
                own = own + group * o3
        with np.errstate(invalid="ignore", divide="ignore"):
            per = np.where(able > 0, 1.0 / able, 0.0)
        return Payments(able, nrdl, commercial * per, city * per, own * per)


class Payments(NamedTuple):
    """Per product: the share of eligible patients able to pay, and the expected payment of each
    payer per treated patient (they add up to the net price)."""

    able: np.ndarray
    nrdl: np.ndarray
    commercial: np.ndarray
    city: np.ndarray
    out_of_pocket: np.ndarray


def out_of_pocket_share_able(oop: np.ndarray, median: float, sigma: float) -> np.ndarray:
    """Share of households able to pay ``oop`` CNY (lognormal ability to pay)."""
    oop = np.asarray(oop, dtype=float)
    if median <= 0.0:  # no household can pay anything
        return np.where(oop <= 0.0, 1.0, 0.0)
    with np.errstate(divide="ignore"):
        zz = (math.log(median) - np.log(np.maximum(oop, 1e-9))) / sigma
    return np.where(oop <= 0.0, 1.0, ndtr(zz))


class Payers:
    """The payers' budgets over one replication: what the national list has committed to CGT,
    and what city insurance has paid this year."""

    def __init__(self, inputs: PayerInputs, accounts: Accounts, day_2024: float):
        self.inputs = inputs
        self.accounts = accounts
        self.day_2024 = day_2024
        self.city_paid = 0.0  # city insurance's CGT claims paid this year
        self.city_year = -1

    def _growth(self, t: float, base_day: float) -> float:
        """Growth of health spending from ``base_day`` to the start of the year of ``t`` (a
        budget is set for a calendar year)."""
        year_start = self.accounts.edges[self.accounts.year_of_day(t)]
        return (1.0 + self.inputs.health_spending_growth(t)) ** round((year_start - base_day) / DAYS_PER_YEAR)

    def nrdl_budget(self, t: float) -> float:
        """The national list's CGT budget for the year of day ``t``."""
        return (self.inputs.bmi_fund_spending_2024_cny(t) * self.inputs.nrdl_cgt_budget_share(t)
                * self._growth(t, self.day_2024))

    def city_budget(self, t: float) -> float:
        """City insurance's CGT budget for the year of day ``t``."""
        return self.inputs.city_insurance_cgt_budget_2025_cny(t) * self._growth(t, self.day_2024 + DAYS_PER_YEAR)

    def city_factor(self, t: float, claims_this_month: float, months_left: float) -> float:
        """The share of its covered patients city insurance can take this month: all of them
        while the year's budget covers the claims expected for the rest of the year at this
        month's rate; less (what the budget has left over those claims) when it does not."""
        year = self.accounts.year_of_day(t)
        if year != self.city_year:
            self.city_year, self.city_paid = year, 0.0
        left = max(self.city_budget(t) - self.city_paid, 0.0)
        need = claims_this_month * max(months_left, 1.0)
        return 1.0 if need <= left else left / need

    def paid(self, t: float, nrdl: float, commercial: float, city: float, out_of_pocket: float) -> None:
        """Record a month's payments for treated patients."""
        record = self.accounts.record
        record("nrdl_spending_cny", t, nrdl)
        record("commercial_insurance_spending_cny", t, commercial)
        record("city_insurance_spending_cny", t, city)
        record("out_of_pocket_cny", t, out_of_pocket)
        self.city_paid += city
