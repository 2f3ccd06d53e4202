"""Pricing, payment and patients: approved products turn eligible patients into treated ones.

Each month, for every launched product (vectorised over products):

* eligible patients = a product-specific base (lognormal) growing yearly;
* price = launch price eroding yearly, cut by the negotiated amount once the product enters the
  national reimbursement list (a yearly listing hazard, 0 in the baseline: CAR-Ts have been
  excluded);
* who pays: basic insurance pays its share of a listed price; city commercial insurance (Hui Min
  Bao: deductible, paid share, cap) and the 2026 commercial innovative-drug list cover part of
  the patients; the rest is out of pocket;
* affordability = the share of patients whose household can pay their out-of-pocket cost
  (lognormal ability to pay), averaged over insurance groups;
* uptake ramps after launch (logistic) toward access ceiling x affordability;
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

import numpy as np
from scipy.special import ndtr

from ..parameters import CLUSTERS, MODALITIES
from ..timeline import DAYS_PER_MONTH, DAYS_PER_YEAR
from .logistics import dose_loss_probability, transit_days
from .streams import gamma_draw

STOCK_MONTHS = 2.0  # assumption: off-the-shelf products keep two months of demand in stock


def out_of_pocket_share_able(oop: np.ndarray, median: float, sigma: float) -> np.ndarray:
    """Share of households able to pay ``oop`` CNY (lognormal ability to pay)."""
    oop = np.asarray(oop, dtype=float)
    with np.errstate(divide="ignore"):
        zz = (math.log(median) - np.log(np.maximum(oop, 1e-9))) / sigma
    return np.where(oop <= 0.0, 1.0, ndtr(zz))


def affordable_share(p, t: float, net_price: np.ndarray, listed: np.ndarray) -> np.ndarray:
    """Share of eligible patients who can pay, averaged over insurance groups."""
    oop = np.where(listed, net_price * (1.0 - p("market.nrdl_reimbursed_share", t)), net_price)
    c_city = p("market.city_insurance_coverage", t)
    c_com = p("market.commercial_list_coverage", t)
    after_com = oop * (1.0 - p("market.commercial_list_paid_share", t))
    med, sig = p("market.ability_to_pay_median_cny", t), p("market.ability_to_pay_sigma", t)
    cap = p("market.city_insurance_cap_cny", t)
    ded = p("market.city_insurance_deductible_cny", t)
    paid = p("market.city_insurance_paid_share", t)

    def city(x):
        return x - np.minimum(cap, paid * np.maximum(x - ded, 0.0))

    share = 0.0
    for w_com, base in ((1.0 - c_com, oop), (c_com, after_com)):
        if w_com <= 0:
            continue
        share = share + w_com * ((1.0 - c_city) * out_of_pocket_share_able(base, med, sig)
                                 + c_city * out_of_pocket_share_able(city(base), med, sig))
    return np.asarray(share)


def uptake(years_since_launch: np.ndarray, midpoint: float, steepness: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-steepness * (years_since_launch - midpoint)))


class Market:
    """The approved products of one replication and their monthly patient flows."""

    def __init__(self, w):
        self.w = w
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
        self.stock = np.zeros(cap)
        self.treated = np.zeros(cap)
        self.revenue = np.zeros(cap)
        self.sponsors = []

    def _grow(self):
        for name in ("program_id", "modality", "cluster", "launch", "eligible0", "price0", "listed",
                     "listed_day", "stock", "treated", "revenue"):
            a = getattr(self, name)
            fill = np.nan if name == "listed_day" else 0
            setattr(self, name, np.concatenate((a, np.full(a.size, fill, dtype=a.dtype))))

    def launch_product(self, prog, t: float, z_eligible: float) -> None:
        p = self.w.p
        if self.n == self.program_id.size:
            self._grow()
        i = self.n
        m = prog.modality
        self.program_id[i] = prog.id
        self.modality[i] = MODALITIES.index(m)
        self.cluster[i] = CLUSTERS.index(prog.cluster)
        self.launch[i] = t
        self.eligible0[i] = p(f"market.eligible_per_year.{m}", t) * math.exp(
            p("market.eligible_sigma", t) * z_eligible)
        self.price0[i] = p(f"market.launch_price_cny.{m}", t)
        self.sponsors.append(prog.sponsor)
        self.n += 1

    def month(self, t: float) -> None:
        """Serve one month of patients for every launched product."""
        n = self.n
        if n == 0:
            return
        w, p = self.w, self.w.p
        rng = w.rng["market"]
        sl = slice(0, n)
        years = (t - self.launch[sl]) / DAYS_PER_YEAR
        hazard = p("market.nrdl_listing_hazard", t)
        if hazard > 0:
            newly = (~self.listed[sl]) & (rng.random(n) < 1.0 - math.exp(-hazard / 12.0))
            if newly.any():
                self.listed[sl] |= newly
                self.listed_day[sl][newly] = t
        eligible = self.eligible0[sl] * (1.0 + p("market.eligible_growth", t)) ** years / 12.0
        price = self.price0[sl] * (1.0 - p("market.price_erosion", t)) ** years
        listed = self.listed[sl]
        net = np.where(listed, price * (1.0 - p("market.nrdl_price_cut", t)), price)
        able = affordable_share(p, t, net, listed)
        ramp = uptake(years, p("market.uptake_midpoint_years", t), p("market.uptake_steepness", t))
        demand = eligible * p("market.access_ceiling", t) * able * ramp
        new = rng.poisson(demand)
        w.record("eligible_patients", t, float(eligible.sum()))
        w.record("patients_demand", t, float(new.sum()))
        if not new.any():
            return
        for key in set(zip(self.cluster[sl][new > 0].tolist(), self.modality[sl][new > 0].tolist())):
            members = np.nonzero((self.cluster[sl] == key[0]) & (self.modality[sl] == key[1]) & (new > 0))[0]
            self._serve(t, CLUSTERS[key[0]], MODALITIES[key[1]], members, new[members], net[members])

    def _serve(self, t, cluster, modality, idx, new, net):
        w, p = self.w, self.w.p
        rng = w.rng["market"]
        site = w.sites[cluster]
        dpb = max(1, p.int(f"manufacturing.doses_per_batch.{modality}", t))
        d = gamma_draw(w.rng["manufacturing"], p(f"manufacturing.batch_days.{modality}", t),
                       p("manufacturing.batch_cv", t))
        qc = p(f"manufacturing.qc_release_days.{modality}", t)
        tol = p("market.wait_tolerance_days", t)
        q = dose_loss_probability(p, modality, t)
        remake = p("manufacturing.remanufacture_success", t)
        unit = w.batch_cost(modality, t, d, site)
        if dpb == 1:
            legs = transit_days(p, t, w.rng["logistics"], legs=2)
            expected = legs + site.queue_wait(t) + d + qc
            survivors = rng.binomial(new, math.exp(-expected / tol))
            failed = rng.binomial(survivors, q)
            remade = rng.binomial(failed, remake)
            batches = int(survivors.sum() + failed.sum())
            booking = site.book(t, batches, d)
            treated = survivors - failed + remade
            v2v = legs + booking.mean_wait + d + qc
            w.record_v2v(t, v2v, float((treated - remade).sum()))
            w.record_v2v(t, v2v + d + qc, float(remade.sum()))
            waiting_days = booking.mean_wait * batches
            w.record("batches_commercial", t, batches)
            cost = batches * unit
            cost_i = (survivors + failed) * unit
        else:
            stock = self.stock[idx]
            served = np.minimum(new, stock)
            short = new - served
            target = STOCK_MONTHS * new
            lots = np.ceil(np.maximum(short + target - (stock - served), 0.0) / dpb).astype(np.int64)
            n_lots = int(lots.sum())
            booking = site.book(t, n_lots, d) if n_lots else None
            lot_wait = (booking.mean_wait if booking else 0.0) + d + qc
            good = lots - rng.binomial(lots, p(f"manufacturing.failure_rate.{modality}", t))
            leg = transit_days(p, t, w.rng["logistics"], legs=1)
            late = rng.binomial(short.astype(np.int64), math.exp(-(lot_wait + leg) / tol))
            late = np.minimum(late, good * dpb)
            lost = rng.binomial((served + late).astype(np.int64), p("logistics.loss_rate", t))
            self.stock[idx] = np.maximum(stock - served + good * dpb - late - lost, 0.0)
            treated = served + late
            survivors = treated
            waiting_days = float(late.sum()) * lot_wait
            w.record("batches_commercial", t, n_lots)
            cost_i = lots * unit
            cost = float(cost_i.sum())
        n_treated = float(treated.sum())
        revenue_i = treated * net
        w.record("patients_treated", t, n_treated)
        w.record("patients_dropped", t, float(new.sum() - survivors.sum()))
        w.record("patient_days_waiting", t, waiting_days)
        w.record("revenue_cny", t, float(revenue_i.sum()))
        w.record("commercial_cogs_cny", t, cost)
        self.treated[idx] += treated
        self.revenue[idx] += revenue_i
        margin = p("market.gross_margin_to_sponsor", t)
        gains = (margin * (revenue_i - cost_i)).tolist()
        for i, rev, gain in zip(idx.tolist(), revenue_i.tolist(), gains):
            sp = self.sponsors[i]
            sp.revenue += rev
            sp.cash = max(sp.cash + gain, 0.0)


def market_process(env, w):
    """Generator: one market month after another until the horizon."""
    while True:
        yield env.timeout(DAYS_PER_MONTH)
        w.market.month(env.now)
