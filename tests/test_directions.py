"""Direction checks on paired replications (same seed: common random numbers).

Faster review can only bring the first approval forward when nothing else depends on timing:
with money and capacity unconstrained each program's science and durations are its own, so its
approval date can only move earlier. (With financing on, an earlier program meets its funding
rounds under a different capital climate, so a paired replication can come out later; that is
the model, not noise.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cgt_sim

SCEN = Path(__file__).resolve().parents[1] / "scenarios"
FREE = {"financing.unconstrained": True, "manufacturing.capacity_unlimited": True}


def test_faster_review_never_delays_the_first_approval_when_nothing_else_binds():
    kw = dict(replications=6, seed=21, workers=2, until=2026)
    base = cgt_sim.run(SCEN / "baseline.yaml", overrides=FREE, **kw)
    fast = cgt_sim.run(SCEN / "baseline.yaml", overrides={
        **FREE, "regulatory.ind_review_working_days": 30, "regulatory.nda_standard_working_days": 130}, **kw)
    b = base.products.groupby("replication")["approval_day"].min()
    f = fast.products.groupby("replication")["approval_day"].min()
    assert len(b) == 6 and (f.reindex(b.index) <= b + 1e-9).all(), (f - b).tolist()
    assert (f < b).any()  # and it does bring some forward


def test_cheaper_manufacturing_never_raises_cost_of_goods_per_patient():
    kw = dict(replications=4, seed=21, workers=2, until=2029)
    base = cgt_sim.run(SCEN / "baseline.yaml", **kw)
    cheap = cgt_sim.run(SCEN / "manufacturing_cost_decline.yaml", **kw)
    b = base.annual.pivot(index="replication", columns="year", values="cogs_per_patient_cny")
    c = cheap.annual.pivot(index="replication", columns="year", values="cogs_per_patient_cny")
    before = (c - b).loc[:, :2025].to_numpy()
    after = (c - b).loc[:, 2026:].to_numpy()
    assert np.nanmax(np.abs(before)) == 0.0  # identical until the policy starts
    assert np.nanmax(after) < 0.0


def test_a_dated_price_erosion_moves_prices_on_from_its_date_not_over_their_past():
    """Erosion and growth accrue month by month at the rate in force: a faster erosion from
    2024 lowers 2024 prices by at most a year of the extra decline ((1 - 0.10) / (1 - 0.03)),
    not by the new rate over each product's whole life since launch."""
    kw = dict(replications=2, seed=8, workers=1, until=2024)
    base = cgt_sim.run(SCEN / "baseline.yaml", overrides=FREE, **kw)
    fast = cgt_sim.run(SCEN / "baseline.yaml", overrides={
        **FREE, "market.price_erosion": {"value": 0.10, "from": "2024-01-01"}}, **kw)
    a = base.annual.set_index(["replication", "year"])
    b = fast.annual.set_index(["replication", "year"])
    before = a.index.get_level_values("year") < 2024
    assert a[before].equals(b[before])
    ratio = (b.xs(2024, level="year")["net_price_per_patient_cny"]
             / a.xs(2024, level="year")["net_price_per_patient_cny"])
    assert ((ratio > 0.9) & (ratio < 1.0)).all(), ratio.tolist()


def test_a_yearly_listing_probability_of_one_lists_every_product_in_its_first_month():
    listed = cgt_sim.run(SCEN / "baseline.yaml", replications=2, seed=8, workers=1, until=2025, overrides={
        **FREE, "market.nrdl_listing_hazard": {"value": 1.0, "from": "2024-01-01"}}).products
    start = 3287.0  # 2024-01-01, days from 2015-01-01
    assert len(listed) > 0 and listed["nrdl_listed"].all()
    first_month = np.maximum(listed["approval_day"], start) + 31
    assert (listed["nrdl_listed_day"] <= first_month).all()
    assert (listed["nrdl_listed_day"] >= start).all()


def test_a_listing_scoped_to_car_t_lists_only_car_t():
    others = {f"market.nrdl_scope.{m}": 0.0 for m in ("allogeneic_cell", "in_vivo_gene", "rna_in_vivo_car")}
    products = cgt_sim.run(SCEN / "baseline.yaml", replications=2, seed=8, workers=1, until=2026, overrides={
        **FREE, **others, "market.nrdl_listing_hazard": {"value": 1.0, "from": "2024-01-01"}}).products
    products = products[products["approval_year"] <= 2025]  # a month at least before the horizon
    car_t = products["modality"] == "autologous_car_t"
    assert car_t.any() and (~car_t).any()
    assert products.loc[car_t, "nrdl_listed"].all() and not products.loc[~car_t, "nrdl_listed"].any()


def test_mid_year_changes_to_arrivals_and_the_automation_decline_start_mid_year():
    kw = dict(replications=2, seed=8, workers=1, until=2024)
    base_run = cgt_sim.run(SCEN / "baseline.yaml", overrides=FREE, **kw)
    base = base_run.annual.set_index(["replication", "year"])
    doubled = cgt_sim.run(SCEN / "baseline.yaml", overrides={
        **FREE, "research.arrival_scale": {"value": 2.0, "from": "2020-07-01"}}, **kw)
    more = doubled.annual.set_index(["replication", "year"])
    before = base.index.get_level_values("year") < 2020
    assert base[before].equals(more[before])
    # arrivals are drawn month by month: those before the change are the same programs
    july = 2008.0  # 2020-07-01, days from 2015-01-01
    cols = ["program_id", "modality", "arrival_day"]
    first_half = [r.programs.loc[r.programs["arrival_day"] < july, cols].reset_index(drop=True)
                  for r in (base_run, doubled)]
    assert len(first_half[0]) > 0 and first_half[0].equals(first_half[1])
    half = more.xs(2020, level="year")["new_programs"].sum() / base.xs(2020, level="year")["new_programs"].sum()
    assert 1.3 < half < 1.7  # doubled for half the year
    cheaper = cgt_sim.run(SCEN / "baseline.yaml", overrides={
        **FREE, "manufacturing.cogs_annual_decline": {"value": 0.5, "from": "2024-07-01"}}, **kw).annual
    cheaper = cheaper.set_index(["replication", "year"])
    col = "batch_cost_cny_autologous_car_t"
    assert (cheaper.xs(2023, level="year")[col] == base.xs(2023, level="year")[col]).all()
    ratio = cheaper.xs(2024, level="year")[col] / base.xs(2024, level="year")[col]
    expected = ((1 - 0.5) / (1 - 0.02)) ** 0.5  # six months of the faster decline
    assert np.allclose(ratio, expected, rtol=0.03), ratio.tolist()


def test_launch_prices_follow_cost_of_goods_by_the_pass_through_elasticity():
    from cgt_sim.model.market import launch_price

    assert launch_price(1.2e6, 0.5, 400e3, 400e3) == 1.2e6
    assert np.isclose(launch_price(1.2e6, 0.5, 100e3, 400e3), 1.2e6 * 0.5)  # (1/4) ** 0.5
    assert launch_price(1.2e6, 0.0, 100e3, 400e3) == 1.2e6


def test_a_manufacturing_cost_decline_reaches_prices_and_patients():
    """Cheaper manufacturing from 2026 lowers the launch prices of later products, so more
    patients can pay: the what-if moves patients, not only the sponsors' margins."""
    kw = dict(replications=2, seed=5, workers=2, until=2030)
    base = cgt_sim.run(SCEN / "baseline.yaml", **kw)
    cheap = cgt_sim.run(SCEN / "baseline.yaml", overrides={
        "manufacturing.cogs_annual_decline": {"value": 0.15, "from": "2026-01-01"}}, **kw)
    a, b = (r.annual.set_index(["replication", "year"]) for r in (base, cheap))
    before = a.index.get_level_values("year") < 2026
    assert a[before].equals(b[before])
    later = [r.products.query("approval_year >= 2028").groupby("replication")["launch_price_cny"].mean()
             for r in (base, cheap)]
    assert (later[1] < later[0]).all()
    gain = b.xs(2030, level="year")["patients_treated"] - a.xs(2030, level="year")["patients_treated"]
    assert (gain > 0).all(), gain.tolist()



def test_households_that_can_pay_nothing_buy_nothing():
    from cgt_sim.model.payers import out_of_pocket_share_able

    assert list(out_of_pocket_share_able([0.0, 1.0, 5e5], 0.0, 1.2)) == [1.0, 0.0, 0.0]
    annual = cgt_sim.run(SCEN / "baseline.yaml", replications=1, seed=3, workers=1, until=2024,
                         overrides={"market.ability_to_pay_median_cny": {"value": 0, "from": "2021-01-01"}}).annual
    assert annual["cumulative_approvals"].iloc[-1] > 0 and (annual["patients_treated"] == 0).all()


@pytest.mark.slow
def test_payment_reform_does_not_lower_approvals_unless_cdmos_are_the_only_capacity():
    """Commercial patients after reimbursement crowd out trials only where they share CDMO
    suites: with sponsors' own plants (the baseline) approvals fall by no more than the small
    crowding-out of the products made on CDMO suites (docs/model.md: about 1% by 2030, against
    about 3% where every patient shares them); with no plants (payment_reform_cdmo_only) sites
    build more."""
    kw = dict(replications=12, seed=3, workers=2, until=2030, years=[2028, 2030],
              metrics=["approvals", "vein_to_vein_days_median", "suites"])
    table = cgt_sim.compare([SCEN / "baseline.yaml", SCEN / "payment_reform.yaml",
                             SCEN / "payment_reform_cdmo_only.yaml"], **kw).set_index(["scenario", "metric", "year"])
    reform = table.loc["payment_reform"]
    for year in (2028, 2030):
        row = reform.loc[("cumulative_approvals", year)]
        assert row["diff_mean"] >= -0.02 * row["baseline_mean"], reform.loc["cumulative_approvals"]
    cdmo, own = table.loc["payment_reform_cdmo_only"], reform
    assert cdmo.loc[("suites", 2030), "diff_mean"] > own.loc[("suites", 2030), "diff_mean"]


@pytest.mark.slow
def test_fewer_starting_suites_never_give_more_suites_or_shorter_waits():
    """The expansion rule sizes sites from forecast demand, so a site that starts smaller ends no
    bigger than one that starts larger, its patients wait no less and no more of them are treated
    (paired, same seed). Patients who wait too long drop out, so the median wait of those treated
    moves little: the test holds it to its interval, and the count treated to a clear fall."""
    from cgt_sim.parameters import CLUSTERS

    base = cgt_sim.load_scenario(SCEN / "baseline.yaml")
    small = base.with_overrides({f"manufacturing.suites_2015.{c}": round(0.4 * base.value(f"manufacturing.suites_2015.{c}"))
                                 for c in CLUSTERS})
    table = cgt_sim.compare([base, small], replications=12, seed=3, workers=2, until=2025, years=[2025],
                            metrics=["suites", "vein_to_vein_days_median", "patients_treated"]).set_index("metric")
    assert table.loc["suites", "diff_low"] <= 0.0 and table.loc["suites", "diff_mean"] <= 0.0
    assert table.loc["vein_to_vein_days_median", "diff_high"] >= 0.0
    assert table.loc["patients_treated", "diff_high"] < 0.0
