"""Pricing, payment and patients: approved products turn eligible patients into treated ones.

Each month, for every launched product (vectorised over products):

* eligible patients = a product-specific base (lognormal) growing, and price = launch price
  (set at launch: the catalogue price moved with the cost of goods, ``launch_price``)
  eroding, month by month at the yearly rates then in force (a dated change moves them on from
  its date); the price is cut by the negotiated amount once the product enters the national
  reimbursement list (a yearly listing probability, 0 in the baseline: CAR-Ts have been
  excluded);
* who pays: basic insurance pays its share of a listed price; city commercial insurance (Hui Min
  Bao: deductible, paid share, cap) and the 2026 commercial innovative-drug list cover part of
  the patients; the rest is out of pocket;
* affordability = the share of patients whose household can pay their out-of-pocket cost
  (lognormal ability to pay), averaged over insurance groups;
* uptake ramps after launch (logistic; each product's curve is the one in force at its launch)
  toward access ceiling x affordability;
* new patients (Poisson) are ordered from the product's cluster site as one booking per
  (site, modality) per month. Autologous products need one batch per patient and patients drop
  out while they wait (exponential tolerance); off-the-shelf products serve patients from stock
  and make lots to keep two months of demand in stock.

Patients move as counts, so a month costs the same whether it treats ten patients or ten
thousand. Patients are counted in the month their order is placed; infusion follows the
vein-to-vein time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.special import ndtr

from ..parameters import CLUSTERS, MODALITIES
from ..timeline import DAYS_PER_YEAR
from .accounts import Accounts
from .financing import Financing, Sponsor
from .logistics import LogisticsInputs
from .manufacturing import CostOfGoods, ManufacturingInputs, ManufacturingSite
from .program import Program
from .runparams import RunParams, Value
from .streams import gamma_draw

STOCK_MONTHS = 2.0  # assumption: off-the-shelf products keep two months of demand in stock


@dataclass(frozen=True, slots=True)
class MarketInputs:
    eligible_per_year: dict[str, Value]  # by modality
    eligible_sigma: Value
    eligible_growth: Value
    launch_price_cny: dict[str, Value]  # by modality
    cost_pass_through: Value
    reference_cost_per_dose_cny: dict[str, Value]  # by modality
    price_erosion: Value
    nrdl_listing_hazard: Value
    nrdl_scope: dict[str, Value]  # by modality
    nrdl_price_cut: Value
    nrdl_reimbursed_share: Value
    city_insurance_coverage: Value
    city_insurance_cap_cny: Value
    city_insurance_deductible_cny: Value
    city_insurance_paid_share: Value
    commercial_list_coverage: Value
    commercial_list_paid_share: Value
    ability_to_pay_median_cny: Value
    ability_to_pay_sigma: Value
    access_ceiling: Value
    uptake_midpoint_years: Value
    uptake_steepness: Value
    wait_tolerance_days: Value
    gross_margin_to_sponsor: Value

    @classmethod
    def bind(cls, params: RunParams) -> MarketInputs:
        b = params.bind

        def per_modality(name: str) -> dict[str, Value]:
            return {m: b(f"market.{name}.{m}") for m in MODALITIES}

        return cls(
            eligible_per_year=per_modality("eligible_per_year"),
            eligible_sigma=b("market.eligible_sigma"),
            eligible_growth=b("market.eligible_growth"),
            launch_price_cny=per_modality("launch_price_cny"),
            cost_pass_through=b("market.cost_pass_through"),
            reference_cost_per_dose_cny=per_modality("reference_cost_per_dose_cny"),
            price_erosion=b("market.price_erosion"),
            nrdl_listing_hazard=b("market.nrdl_listing_hazard"),
            nrdl_scope=per_modality("nrdl_scope"),
            nrdl_price_cut=b("market.nrdl_price_cut"),
            nrdl_reimbursed_share=b("market.nrdl_reimbursed_share"),
            city_insurance_coverage=b("market.city_insurance_coverage"),
            city_insurance_cap_cny=b("market.city_insurance_cap_cny"),
            city_insurance_deductible_cny=b("market.city_insurance_deductible_cny"),
            city_insurance_paid_share=b("market.city_insurance_paid_share"),
            commercial_list_coverage=b("market.commercial_list_coverage"),
            commercial_list_paid_share=b("market.commercial_list_paid_share"),
            ability_to_pay_median_cny=b("market.ability_to_pay_median_cny"),
            ability_to_pay_sigma=b("market.ability_to_pay_sigma"),
            access_ceiling=b("market.access_ceiling"),
            uptake_midpoint_years=b("market.uptake_midpoint_years"),
            uptake_steepness=b("market.uptake_steepness"),
            wait_tolerance_days=b("market.wait_tolerance_days"),
            gross_margin_to_sponsor=b("market.gross_margin_to_sponsor"),
        )

    def affordable_share(self, t: float, net_price: np.ndarray, listed: np.ndarray) -> np.ndarray:
        """Share of eligible patients who can pay, averaged over insurance groups."""
        oop = np.where(listed, net_price * (1.0 - self.nrdl_reimbursed_share(t)), net_price)
        c_city = self.city_insurance_coverage(t)
        c_com = self.commercial_list_coverage(t)
        after_com = oop * (1.0 - self.commercial_list_paid_share(t))
        med, sig = self.ability_to_pay_median_cny(t), self.ability_to_pay_sigma(t)
        cap = self.city_insurance_cap_cny(t)
        ded = self.city_insurance_deductible_cny(t)
        paid = self.city_insurance_paid_share(t)

        def city(x):
            return x - np.minimum(cap, paid * np.maximum(x - ded, 0.0))

        share: float | np.ndarray = 0.0
        for w_com, base in ((1.0 - c_com, oop), (c_com, after_com)):
            if w_com <= 0:
                continue
            share = share + w_com * ((1.0 - c_city) * out_of_pocket_share_able(base, med, sig)
                                     + c_city * out_of_pocket_share_able(city(base), med, sig))
        return np.asarray(share)

    def launch_price(self, modality: str, t: float, cost_per_dose: Callable[[str, float], float]) -> float:
        """List price of a product of ``modality`` launched on day ``t``, with the national cost
        of goods of a dose from ``cost_per_dose(modality, t)`` (asked only when prices follow
        cost)."""
        elasticity = self.cost_pass_through(t)
        price = self.launch_price_cny[modality](t)
        if elasticity == 0.0:
            return price
        reference = self.reference_cost_per_dose_cny[modality](t)
        return launch_price(price, elasticity, cost_per_dose(modality, t), reference)


def out_of_pocket_share_able(oop: np.ndarray, median: float, sigma: float) -> np.ndarray:
    """Share of households able to pay ``oop`` CNY (lognormal ability to pay)."""
    oop = np.asarray(oop, dtype=float)
    if median <= 0.0:  # no household can pay anything
        return np.where(oop <= 0.0, 1.0, 0.0)
    with np.errstate(divide="ignore"):
        zz = (math.log(median) - np.log(np.maximum(oop, 1e-9))) / sigma
    return np.where(oop <= 0.0, 1.0, ndtr(zz))


def launch_price(list_price: float, elasticity: float, cost_per_dose: float, reference_cost: float) -> float:
    """A launch price: the catalogue ``list_price``, moved by the ratio of the national cost per
    dose to the ``reference_cost`` at which that price holds, to the power of the pass-through
    ``elasticity`` (0: prices ignore cost)."""
    if elasticity == 0.0:
        return list_price
    ratio = cost_per_dose / reference_cost
    return list_price * max(ratio, 0.0) ** elasticity


def uptake(years_since_launch: np.ndarray, midpoint, steepness) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-steepness * (years_since_launch - midpoint)))


class Market:
    """The approved products of one replication and their monthly patient flows."""

    def __init__(self, inputs: MarketInputs, manufacturing: ManufacturingInputs, logistics: LogisticsInputs,
                 accounts: Accounts, sites: dict[str, ManufacturingSite], cost_of_goods: CostOfGoods,
                 financing: Financing, rng: dict[str, np.random.Generator]):
        self.inputs = inputs
        self.manufacturing = manufacturing
        self.logistics = logistics
        self.accounts = accounts
        self.sites = sites
        self.cost_of_goods = cost_of_goods
        self.financing = financing
        self.rng = rng
        self.n = 0
        cap = 64
        self.program_id = np.zeros(cap, dtype=np.int64)
        self.modality = np.zeros(cap, dtype=np.int64)
        self.cluster = np.zeros(cap, dtype=np.int64)
        self.launch = np.zeros(cap)
        self.eligible0 = np.zeros(cap)
        self.price0 = np.zeros(cap)
        self.listed = np.zeros(cap, dtype=bool)
        self.listed_day = np.full(cap, np.nan)
        self.updated = np.zeros(cap)  # day to which price and eligible patients have moved on
        self.log_price = np.zeros(cap)  # log of the price factor accumulated since launch (erosion)
        self.log_eligible = np.zeros(cap)  # log of the eligible-patient factor since launch (growth)
        self.uptake_mid = np.zeros(cap)  # the uptake curve, fixed at launch
        self.uptake_steep = np.zeros(cap)
        self.stock = np.zeros(cap)
        self.treated = np.zeros(cap)
        self.revenue = np.zeros(cap)
        self.sponsors: list[Sponsor] = []

    def _grow(self):
        for name in ("program_id", "modality", "cluster", "launch", "eligible0", "price0", "listed",
                     "listed_day", "updated", "log_price", "log_eligible", "uptake_mid", "uptake_steep",
                     "stock", "treated", "revenue"):
            a = getattr(self, name)
            fill = np.nan if name == "listed_day" else 0
            setattr(self, name, np.concatenate((a, np.full(a.size, fill, dtype=a.dtype))))

    def launch_product(self, program: Program, t: float, z_eligible: float) -> None:
        inputs = self.inputs
        if self.n == self.program_id.size:
            self._grow()
        i = self.n
        m = program.modality
        assert program.sponsor is not None
        self.program_id[i] = program.id
        self.modality[i] = MODALITIES.index(m)
        self.cluster[i] = CLUSTERS.index(program.cluster)
        self.launch[i] = t
        self.eligible0[i] = inputs.eligible_per_year[m](t) * math.exp(inputs.eligible_sigma(t) * z_eligible)
        self.price0[i] = inputs.launch_price(m, t, self.cost_of_goods.cost_per_dose)
        self.updated[i] = t
        self.log_price[i] = self.log_eligible[i] = 0.0
        self.uptake_mid[i] = inputs.uptake_midpoint_years(t)
        self.uptake_steep[i] = inputs.uptake_steepness(t)
        self.sponsors.append(program.sponsor)
        self.n += 1

    def month(self, t: float, start: float) -> None:
        """Serve the month from day ``start`` to ``t`` for every launched product: growth and
        erosion accrue at the rates in force at the month's start."""
        n = self.n
        if n == 0:
            return
        inputs, accounts = self.inputs, self.accounts
        rng = self.rng["market"]
        sl = slice(0, n)
        years = (t - self.launch[sl]) / DAYS_PER_YEAR
        listing = inputs.nrdl_listing_hazard(t)  # a yearly probability: its monthly share
        if listing > 0:
            scope = np.array([inputs.nrdl_scope[m](t) for m in MODALITIES])[self.modality[sl]]
            newly = (~self.listed[sl]) & (rng.random(n) < 1.0 - (1.0 - listing * scope) ** (1.0 / 12.0))
            if newly.any():
                self.listed[sl] |= newly
                self.listed_day[sl][newly] = t
        # growth and erosion accrue month by month at the rates in force (a dated change moves
        # prices and populations on from its date, not over each product's past)
        span = (t - self.updated[sl]) / DAYS_PER_YEAR
        self.log_eligible[sl] += math.log1p(inputs.eligible_growth(start)) * span
        self.log_price[sl] += math.log1p(-inputs.price_erosion(start)) * span
        self.updated[sl] = t
        eligible = self.eligible0[sl] * np.exp(self.log_eligible[sl]) / 12.0
        price = self.price0[sl] * np.exp(self.log_price[sl])
        listed = self.listed[sl]
        net = np.where(listed, price * (1.0 - inputs.nrdl_price_cut(t)), price)
        able = inputs.affordable_share(t, net, listed)
        ramp = uptake(years, self.uptake_mid[sl], self.uptake_steep[sl])
        demand = eligible * inputs.access_ceiling(t) * able * ramp
        new = rng.poisson(demand)
        accounts.record("eligible_patients", t, float(eligible.sum()))
        accounts.record("patients_demand", t, float(new.sum()))
        if new.any():
            self._serve(t, np.flatnonzero(new), new, net)

    def _serve(self, t: float, idx: np.ndarray, new_all: np.ndarray, net_all: np.ndarray) -> None:
        """Order, make and deliver the doses of one month's new patients (``new_all[idx]``).

        Products are served in groups of one site and modality, each group one booking; the
        random draws of all groups are made together. Patients decide whether to wait on the
        queue as it stands when the month's orders are placed."""
        made, logistics, accounts = self.manufacturing, self.logistics, self.accounts
        rng = self.rng["market"]
        new, net = new_all[idx], net_all[idx]
        cl, mo = self.cluster[idx], self.modality[idx]
        key = cl * len(MODALITIES) + mo
        order = np.argsort(key, kind="stable")
        idx, new, net, cl, mo, key = idx[order], new[order], net[order], cl[order], mo[order], key[order]
        bounds = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1], [True])))
        groups = []
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            site, m = self.sites[CLUSTERS[cl[a]]], MODALITIES[mo[a]]
            d = gamma_draw(self.rng["manufacturing"], made.batch_days[m](t), made.batch_cv(t))
            groups.append(_Group(slice(a, b), site, m, d, made.qc_release_days[m](t),
                                 self.cost_of_goods.batch_cost(m, t, d, site),
                                 max(1, made.doses_per_batch[m](t))))
        tol = self.inputs.wait_tolerance_days(t)
        treated = np.zeros(idx.size)
        cost_i = np.zeros(idx.size)
        survivors_total = batches_total = 0
        waiting_days = 0.0

        # Patient-specific products (one batch per dose): patients wait for their own batch.
        auto = [g for g in groups if g.per_batch == 1]
        if auto:
            sel, sizes = _members(auto)
            legs = np.array([logistics.transit(t, self.rng["logistics"], legs=2) for g in auto])
            expected = legs + np.array([g.site.queue_wait(t) + g.days + g.qc_days for g in auto])
            q = np.array([logistics.dose_loss_probability(made.failure_rate[g.modality](t), t) for g in auto])
            survivors = rng.binomial(new[sel], np.repeat(np.exp(-expected / tol), sizes))
            failed = rng.binomial(survivors, np.repeat(q, sizes))
            remade = rng.binomial(failed, made.remanufacture_success(t))
            treated[sel] = survivors - failed + remade
            first_time = survivors - failed  # treated with their first batch
            made_now = survivors + failed
            survivors_total += int(survivors.sum())
            pos = 0
            for g, leg, size in zip(auto, legs.tolist(), sizes.tolist()):
                part = slice(pos, pos + size)
                pos += size
                batches = int(made_now[part].sum())
                booking = g.site.book(t, batches, g.days)
                v2v = leg + booking.mean_wait + g.days + g.qc_days
                accounts.record_v2v(t, v2v, float(first_time[part].sum()))
                accounts.record_v2v(t, v2v + g.days + g.qc_days, float(remade[part].sum()))
                waiting_days += booking.mean_wait * batches
                batches_total += batches
                cost_i[sel[part]] = made_now[part] * g.unit_cost

        # Off-the-shelf products: patients are served from stock; lots refill it.
        stocked = [g for g in groups if g.per_batch > 1]
        if stocked:
            sel, sizes = _members(stocked)
            ii = idx[sel]
            stock, want = self.stock[ii], new[sel]
            served = np.minimum(want, stock)
            short = want - served
            dpb = np.repeat([g.per_batch for g in stocked], sizes)
            lots = np.ceil(np.maximum(short + STOCK_MONTHS * want - (stock - served), 0.0) / dpb
                           ).astype(np.int64)
            lot_wait = np.empty(len(stocked))
            pos = 0
            for j, (g, size) in enumerate(zip(stocked, sizes.tolist())):
                n_lots = int(lots[pos:pos + size].sum())
                lot_booking = g.site.book(t, n_lots, g.days) if n_lots else None
                lot_wait[j] = (lot_booking.mean_wait if lot_booking else 0.0) + g.days + g.qc_days
                batches_total += n_lots
                cost_i[sel[pos:pos + size]] = lots[pos:pos + size] * g.unit_cost
                pos += size
            fail = np.array([made.failure_rate[g.modality](t) for g in stocked])
            good = lots - rng.binomial(lots, np.repeat(fail, sizes))
            leg = np.array([logistics.transit(t, self.rng["logistics"], legs=1) for g in stocked])
            late = rng.binomial(short.astype(np.int64), np.repeat(np.exp(-(lot_wait + leg) / tol), sizes))
            late = np.minimum(late, good * dpb)
            lost = rng.binomial((served + late).astype(np.int64), logistics.loss_rate(t))
            self.stock[ii] = np.maximum(stock - served + good * dpb - late - lost, 0.0)
            treated[sel] = served + late
            survivors_total += int(treated[sel].sum())
            waiting_days += float((np.repeat(lot_wait, sizes) * late).sum())

        revenue_i = treated * net
        cost = float(cost_i.sum())
        accounts.record("batches_commercial", t, batches_total)
        accounts.record("patients_treated", t, float(treated.sum()))
        accounts.record("patients_dropped", t, float(new.sum() - survivors_total))
        accounts.record("patient_days_waiting", t, waiting_days)
        accounts.record("revenue_cny", t, float(revenue_i.sum()))
        accounts.record("commercial_cogs_cny", t, cost)
        self.treated[idx] += treated
        self.revenue[idx] += revenue_i
        margin = self.inputs.gross_margin_to_sponsor(t)
        gains = (margin * (revenue_i - cost_i)).tolist()
        sponsors, credit = self.sponsors, self.financing.credit
        for i, rev, gain in zip(idx.tolist(), revenue_i.tolist(), gains):
            credit(sponsors[i], rev, gain)


class _Group(NamedTuple):
    """One month's products of one site and modality: one booking."""

    rows: slice  # their positions in the month's sorted arrays
    site: ManufacturingSite
    modality: str
    days: float  # batch duration drawn for the month's campaign
    qc_days: float
    unit_cost: float  # cost of one batch
    per_batch: int  # doses per batch (1: patient-specific)


def _members(groups: list[_Group]) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the products of ``groups``, in order, and how many each group has."""
    return (np.concatenate([np.arange(g.rows.start, g.rows.stop) for g in groups]),
            np.array([g.rows.stop - g.rows.start for g in groups]))
