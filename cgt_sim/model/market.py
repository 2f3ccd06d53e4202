"""Pricing, payment and patients: approved products compete for their indication's patients.

Each month, for every indication and the products on the market in it (vectorised over
products):

* the indication's patients come forward (``demand.Demand``: a flow reaching the line of
  therapy, and for chronic diseases part of an untreated pool);
* a product's list price is set at launch (the catalogue price moved with the cost of goods,
  ``launch_price``) and erodes month by month at the yearly rate in force; a national listing
  cuts it by the negotiated share (``payers``: listing only when the national list's CGT budget
  has room for it);
* who pays (``payers.PayerInputs.payments``): the national list, the commercial innovative-drug
  list and city insurance (rationed to its budget) pay their shares; the share of patients
  whose household can pay the rest is ``able``;
* the indication's patients reached: fit for the therapy x access through treatment centres x
  an uptake curve since the first launch in the indication (logistic) x the share able to pay
  the most affordable product. They are split among the products in proportion to
  (order of entry) ** -``market.entry_order_exponent`` x able to pay x each product's own
  uptake since its launch, so a pioneer keeps an advantage, a cheaper entrant takes share, and
  a product's sales can fall as others arrive; one that treats too few patients for a year is
  withdrawn;
* a product's new patients are ordered from its sponsor's own plant if it has one, else from its
  cluster's CDMO site, as one booking per (site, modality) per month. Autologous products need
  one batch per patient and patients drop out while they wait (exponential tolerance);
  off-the-shelf products serve patients from stock and make lots to keep two months of demand
  in stock.

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

from ..parameters import CLUSTERS, INDICATIONS, MODALITIES
from ..timeline import DAYS_PER_YEAR
from .accounts import Accounts
from .demand import Demand, DemandInputs
from .financing import Financing, Sponsor
from .logistics import LogisticsInputs
from .manufacturing import CostOfGoods, ManufacturingInputs, ManufacturingSite
from .payers import PayerInputs, Payers, Payments
from .program import Program
from .runparams import RunParams, Value
from .streams import gamma_draw

STOCK_MONTHS = 2.0  # assumption: off-the-shelf products keep two months of demand in stock


@dataclass(frozen=True, slots=True)
class MarketInputs:
    launch_price_cny: dict[str, Value]  # by modality
    cost_pass_through: Value
    reference_cost_per_dose_cny: dict[str, Value]  # by modality
    price_erosion: Value
    access_ceiling: Value
    uptake_midpoint_years: Value
    uptake_steepness: Value
    entry_order_exponent: Value
    withdrawal_patients_per_year: Value
    withdrawal_grace_years: Value
    wait_tolerance_days: Value
    gross_margin_to_sponsor: Value
    payers: PayerInputs
    demand: DemandInputs

    @classmethod
    def bind(cls, params: RunParams) -> MarketInputs:
        b = params.bind
        return cls(
            launch_price_cny={m: b(f"market.launch_price_cny.{m}") for m in MODALITIES},
            cost_pass_through=b("market.cost_pass_through"),
            reference_cost_per_dose_cny={m: b(f"market.reference_cost_per_dose_cny.{m}") for m in MODALITIES},
            price_erosion=b("market.price_erosion"),
            access_ceiling=b("market.access_ceiling"),
            uptake_midpoint_years=b("market.uptake_midpoint_years"),
            uptake_steepness=b("market.uptake_steepness"),
            entry_order_exponent=b("market.entry_order_exponent"),
            withdrawal_patients_per_year=b("market.withdrawal_patients_per_year"),
            withdrawal_grace_years=b("market.withdrawal_grace_years"),
            wait_tolerance_days=b("market.wait_tolerance_days"),
            gross_margin_to_sponsor=b("market.gross_margin_to_sponsor"),
            payers=PayerInputs.bind(params),
            demand=DemandInputs.bind(params),
        )

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


def launch_price(list_price: float, elasticity: float, cost_per_dose: float, reference_cost: float) -> float:
    """A launch price: the catalogue ``list_price``, moved by the ratio of the national cost per
    dose to the ``reference_cost`` at which that price holds, to the power of the pass-through
    ``elasticity`` (0: prices ignore cost)."""
    if elasticity == 0.0:
        return list_price
    ratio = cost_per_dose / reference_cost
    return list_price * max(ratio, 0.0) ** elasticity


def uptake(years_since_launch, midpoint, steepness):
    return 1.0 / (1.0 + np.exp(-steepness * (years_since_launch - midpoint)))


def entry_shares(order: np.ndarray, able: np.ndarray, ramp: np.ndarray, exponent: float) -> np.ndarray:
    """How an indication's treated patients split among its products: in proportion to
    (order of entry) ** -exponent x share able to pay x the product's own uptake (zeros when
    no product can take any)."""
    weights = np.asarray(order, dtype=float) ** -exponent * able * ramp
    total = weights.sum()
    return weights / total if total > 0 else np.zeros_like(weights)


class Market:
    """The approved products of one replication, the indications they compete in, and their
    monthly patient flows."""

    _ARRAYS = ("program_id", "modality", "cluster", "indication", "order", "site", "launch", "price0",
               "listed", "listed_day", "updated", "log_price", "uptake_mid", "uptake_steep", "on_market",
               "withdrawn_day", "stock", "treated", "treated_year", "revenue", "nrdl_committed", "nrdl_month")

    def __init__(self, inputs: MarketInputs, manufacturing: ManufacturingInputs, logistics: LogisticsInputs,
                 accounts: Accounts, sites: dict[str, ManufacturingSite], cost_of_goods: CostOfGoods,
                 financing: Financing, rng: dict[str, np.random.Generator], day_2024: float, years: int):
        self.inputs = inputs
        self.manufacturing = manufacturing
        self.logistics = logistics
        self.accounts = accounts
        self.cost_of_goods = cost_of_goods
        self.financing = financing
        self.rng = rng
        self.demand = Demand(inputs.demand, day_2024 + DAYS_PER_YEAR, rng["market"])
        self.payers = Payers(inputs.payers, accounts, day_2024)
        self.site_list: list[ManufacturingSite] = [sites[c] for c in CLUSTERS]  # CDMO sites, then plants
        self.plant_of: dict[int, int] = {}  # sponsor id -> index of its plant in site_list
        self.n = 0
        cap = 64
        ints, flags = np.zeros(cap, dtype=np.int64), np.zeros(cap, dtype=bool)
        self.program_id = ints.copy()
        self.modality = ints.copy()
        self.cluster = ints.copy()
        self.indication = ints.copy()
        self.order = ints.copy()  # order of entry in its indication (1: the pioneer)
        self.site = ints.copy()  # index into site_list of where it is made
        self.launch = np.zeros(cap)
        self.price0 = np.zeros(cap)
        self.listed = flags.copy()
        self.listed_day = np.full(cap, np.nan)
        self.updated = np.zeros(cap)  # day to which the price has moved on
        self.log_price = np.zeros(cap)  # log of the price factor accumulated since launch (erosion)
        self.uptake_mid = np.zeros(cap)  # the product's own uptake curve, fixed at launch
        self.uptake_steep = np.zeros(cap)
        self.on_market = flags.copy()
        self.withdrawn_day = np.full(cap, np.nan)
        self.stock = np.zeros(cap)
        self.treated = np.zeros(cap)
        self.treated_year = np.zeros(cap)  # patients treated this year (for withdrawal)
        self.revenue = np.zeros(cap)
        self.nrdl_committed = np.zeros(cap)  # expected yearly reimbursement when listed
        self.nrdl_month = np.zeros(cap)  # reimbursement last month
        self.sponsors: list[Sponsor] = []
        n_ind = len(INDICATIONS)
        self.first_launch = np.full(n_ind, np.nan)  # day of the first launch in each indication
        self.class_mid = np.zeros(n_ind)  # the indication's uptake curve, read at its first launch
        self.class_steep = np.zeros(n_ind)
        self.entrants = np.zeros(n_ind, dtype=np.int64)
        self.on_market_snapshot = np.zeros(years)

    def _grow(self):
        for name in self._ARRAYS:
            a = getattr(self, name)
            fill = np.nan if name in ("listed_day", "withdrawn_day") else 0
            setattr(self, name, np.concatenate((a, np.full(a.size, fill, dtype=a.dtype))))

    # --- products ----------------------------------------------------------------------------
    def launch_product(self, program: Program, t: float) -> None:
        inputs = self.inputs
        if self.n == self.program_id.size:
            self._grow()
        i, m, k = self.n, program.modality, program.indication
        sponsor = program.sponsor
        assert sponsor is not None
        self.program_id[i] = program.id
        self.modality[i] = MODALITIES.index(m)
        self.cluster[i] = CLUSTERS.index(program.cluster)
        self.indication[i] = k
        self.entrants[k] += 1
        self.order[i] = self.entrants[k]
        if self.entrants[k] == 1:
            self.first_launch[k] = t
            self.class_mid[k] = inputs.uptake_midpoint_years(t)
            self.class_steep[k] = inputs.uptake_steepness(t)
        self.site[i] = self.plant_of.get(sponsor.id, self.cluster[i])
        self.launch[i] = t
        self.price0[i] = inputs.launch_price(m, t, self.cost_of_goods.cost_per_dose)
        self.updated[i] = t
        self.log_price[i] = 0.0
        self.uptake_mid[i] = inputs.uptake_midpoint_years(t)
        self.uptake_steep[i] = inputs.uptake_steepness(t)
        self.on_market[i] = True
        self.sponsors.append(sponsor)
        self.n += 1

    def use_plant(self, sponsor: Sponsor, site: ManufacturingSite) -> None:
        """``sponsor``'s own plant is ready: its products (and later ones) are made there."""
        self.site_list.append(site)
        index = len(self.site_list) - 1
        self.plant_of[sponsor.id] = index
        for i, s in enumerate(self.sponsors):
            if s is sponsor:
                self.site[i] = index

    # --- the month -----------------------------------------------------------------------------
    def month(self, t: float, start: float) -> None:
        """Serve the month from day ``start`` to ``t``: patients come forward in every
        indication; where products are on the market they are reached, split among the products
        and ordered; prices erode and national listings happen at the rates in force at the
        month's start."""
        inputs, accounts, payers = self.inputs, self.accounts, self.payers
        expected_flow, expected_pool = self.demand.expected(t, start)
        came = self.demand.month(t, start)
        for k, ind in enumerate(INDICATIONS):
            accounts.record(f"eligible_patients_{ind}", t, float(came[k]))
        n = self.n
        if n == 0:
            return
        rng = self.rng["market"]
        sl = slice(0, n)
        on = self.on_market[sl]
        indication = self.indication[sl]
        live = np.unique(indication[on])
        accounts.record("eligible_patients", t, float(came[live].sum()))
        # prices move on at the rates in force (a dated change moves them on from its date)
        span = (t - self.updated[sl]) / DAYS_PER_YEAR
        self.log_price[sl] += math.log1p(-inputs.price_erosion(start)) * span
        self.updated[sl] = t
        price = self.price0[sl] * np.exp(self.log_price[sl])
        cut = inputs.payers.nrdl_price_cut(t)
        years = (t - self.launch[sl]) / DAYS_PER_YEAR
        own_ramp = uptake(years, self.uptake_mid[sl], self.uptake_steep[sl])
        exponent = inputs.entry_order_exponent(t)
        reach = np.zeros(len(INDICATIONS))
        for k in live.tolist():
            since = (t - self.first_launch[k]) / DAYS_PER_YEAR
            reach[k] = (inputs.access_ceiling(t) * inputs.demand.fit_share[INDICATIONS[k]](t)
                        * float(uptake(since, self.class_mid[k], self.class_steep[k])))
        expected_came = expected_flow + expected_pool

        def allocation(pay: Payments) -> tuple[np.ndarray, np.ndarray]:
            """Per product, its share of its indication's patients reached, and per indication the
            chance that a patient who comes forward is treated."""
            share = np.zeros(n)
            p_any = np.zeros(len(INDICATIONS))
            for k in live.tolist():
                members = np.flatnonzero(on & (indication == k))
                share[members] = entry_shares(self.order[members], pay.able[members], own_ramp[members], exponent)
                p_any[k] = min(reach[k] * float(pay.able[members].max()), 1.0)
            return share, p_any

        self._list_products(t, price, cut, on, indication, own_ramp, exponent, reach, expected_came)
        listed = self.listed[sl]
        net = np.where(listed, price * (1.0 - cut), price)
        # city insurance rations its cover when this month's expected claims would overrun its budget
        full = inputs.payers.payments(t, net, listed)
        share, p_any = allocation(full)
        claims = float((expected_came[indication] * p_any[indication] * share * full.city)[on].sum())
        months_left = (accounts.edges[accounts.year_of_day(start) + 1] - start) / (t - start)
        factor = payers.city_factor(t, claims, months_left)
        pay = full if factor >= 1.0 else inputs.payers.payments(t, net, listed, factor)
        if factor < 1.0:
            share, p_any = allocation(pay)
        # patients reached in each indication, split among its products
        new = np.zeros(n, dtype=np.int64)
        for k in live.tolist():
            reached = int(rng.binomial(int(came[k]), p_any[k]))
            if reached:
                members = np.flatnonzero(on & (indication == k))
                new[members] = rng.multinomial(reached, share[members])
        accounts.record("patients_demand", t, float(new.sum()))
        treated = self._serve(t, np.flatnonzero(new), new, net) if new.any() else np.zeros(n)
        by_indication = np.bincount(indication, weights=treated, minlength=len(INDICATIONS))
        for k in live.tolist():
            accounts.record(f"patients_treated_{INDICATIONS[k]}", t, float(by_indication[k]))
        self.demand.treated(by_indication)
        self.nrdl_month[sl] = treated * pay.nrdl
        payers.paid(t, float((treated * pay.nrdl).sum()), float((treated * pay.commercial).sum()),
                    float((treated * pay.city).sum()), float((treated * pay.out_of_pocket).sum()))

    def _list_products(self, t, price, cut, on, indication, own_ramp, exponent, reach, expected_came) -> None:
        """National listing: each unlisted product on the market applies with the yearly
        listing probability in force (its monthly share, by modality scope) and is listed when
        its expected yearly reimbursement fits in the list's CGT budget left by the products
        listed before it (each counted at the larger of its expected and its last month's
        reimbursement)."""
        inputs = self.inputs.payers
        hazard = inputs.nrdl_listing_hazard(t)
        if hazard <= 0:
            return
        n = self.n
        sl = slice(0, n)
        scope = np.array([inputs.nrdl_scope[m](t) for m in MODALITIES])[self.modality[sl]]
        rng = self.rng["market"]
        applies = on & ~self.listed[sl] & (rng.random(n) < 1.0 - (1.0 - hazard * scope) ** (1.0 / 12.0))
        if not applies.any():
            return
        listed = self.listed[sl]
        committed = float(np.maximum(self.nrdl_committed[sl], 12.0 * self.nrdl_month[sl])[listed].sum())
        budget = self.payers.nrdl_budget(t)
        for j in np.flatnonzero(applies).tolist():
            k = indication[j]
            members = np.flatnonzero(on & (indication == k))
            as_listed = listed.copy()
            as_listed[j] = True
            net = np.where(as_listed, price * (1.0 - cut), price)[members]
            pay = inputs.payments(t, net, as_listed[members])
            share = entry_shares(self.order[members], pay.able, own_ramp[members], exponent)
            p_any = min(reach[k] * float(pay.able.max()), 1.0)
            mine = int(np.flatnonzero(members == j)[0])
            expected = 12.0 * expected_came[k] * p_any * share[mine] * pay.nrdl[mine]
            if committed + expected <= budget:
                self.listed[j] = True
                self.listed_day[j] = t
                self.nrdl_committed[j] = expected
                committed += expected
                listed[j] = True

    def entrant_patients(self, t: float) -> np.ndarray:
        """Patients a year a product entering each indication on day ``t`` could expect once
        uptake matures, by modality and indication: the indication's patients reached (fit x
        access x able to pay the modality's catalogue price, listed if the national list is
        open), its share as the next entrant beside equal products."""
        inputs, payers = self.inputs, self.inputs.payers
        flow, pool = self.demand.expected(t + DAYS_PER_YEAR, t)
        reached = (flow + pool) * inputs.access_ceiling(t) * np.array(
            [inputs.demand.fit_share[i](t) for i in INDICATIONS])
        prices = np.array([inputs.launch_price_cny[m](t) for m in MODALITIES])
        listed = np.full(len(MODALITIES), payers.nrdl_listing_hazard(t) > 0)
        net = np.where(listed, prices * (1.0 - payers.nrdl_price_cut(t)), prices)
        able = payers.payments(t, net, listed).able
        exponent = inputs.entry_order_exponent(t)
        on_market = self.products_on_market()
        share = np.array([float(entry_shares(np.arange(1, c + 2), np.ones(c + 1), np.ones(c + 1), exponent)[-1])
                          for c in on_market.tolist()])
        return np.outer(able, reached * share)

    def entrant_revenue(self, t: float) -> np.ndarray:
        """Yearly revenue a product entering each indication on day ``t`` could expect at
        maturity, by modality and indication (``entrant_patients`` x the catalogue price)."""
        prices = np.array([self.inputs.launch_price_cny[m](t) for m in MODALITIES])
        return self.entrant_patients(t) * prices[:, None]

    def first_year_patients(self, program: Program, t: float) -> float:
        """Patients a product of ``program`` launched on day ``t`` could expect in its first
        year on the market: ``entrant_patients`` at the uptake a year after launch (what a
        sponsor sizes its plant for; the plant grows with demand after)."""
        inputs = self.inputs
        ramp = float(uptake(1.0, inputs.uptake_midpoint_years(t), inputs.uptake_steepness(t)))
        return ramp * float(self.entrant_patients(t)[MODALITIES.index(program.modality), program.indication])

    def products_on_market(self) -> np.ndarray:
        """Products on the market, per indication."""
        n = self.n
        return np.bincount(self.indication[:n][self.on_market[:n]], minlength=len(INDICATIONS))

    def close_year(self, yi: int, t: float) -> None:
        """Withdraw the products that have been on the market long enough and treated too few
        patients in the year; count those on the market."""
        n = self.n
        inputs = self.inputs
        if n:
            sl = slice(0, n)
            old = (t - self.launch[sl]) >= inputs.withdrawal_grace_years(t) * DAYS_PER_YEAR
            gone = self.on_market[sl] & old & (self.treated_year[sl] < inputs.withdrawal_patients_per_year(t))
            if gone.any():
                self.on_market[sl] &= ~gone
                self.withdrawn_day[sl][gone] = t
                self.accounts.record("products_withdrawn", t - 1e-9, float(gone.sum()))
            self.treated_year[sl] = 0.0
        self.on_market_snapshot[yi] = float(self.on_market[:n].sum())

    def _serve(self, t: float, idx: np.ndarray, new_all: np.ndarray, net_all: np.ndarray) -> np.ndarray:
        """Order, make and deliver the doses of one month's new patients (``new_all[idx]``);
        return the patients treated, per product.

        Products are served in groups of one site and modality, each group one booking; the
        random draws of all groups are made together. Patients decide whether to wait on the
        queue as it stands when the month's orders are placed."""
        made, logistics, accounts = self.manufacturing, self.logistics, self.accounts
        rng = self.rng["market"]
        new, net = new_all[idx], net_all[idx]
        cl, mo = self.site[idx], self.modality[idx]  # (the site each product is made at)
        key = cl * len(MODALITIES) + mo
        order = np.argsort(key, kind="stable")
        idx, new, net, cl, mo, key = idx[order], new[order], net[order], cl[order], mo[order], key[order]
        bounds = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1], [True])))
        groups = []
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            site, m = self.site_list[cl[a]], MODALITIES[mo[a]]
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
        self.treated_year[idx] += treated
        out = np.zeros(self.n)
        out[idx] = treated
        return out


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
