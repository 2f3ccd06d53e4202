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
    kw = dict(replications=6, seed=21, workers=2, until=2030)
    base = cgt_sim.run(SCEN / "baseline.yaml", **kw)
    cheap = cgt_sim.run(SCEN / "manufacturing_cost_decline.yaml", **kw)
    b = base.annual.pivot(index="replication", columns="year", values="cogs_per_patient_cny")
    c = cheap.annual.pivot(index="replication", columns="year", values="cogs_per_patient_cny")
    before = (c - b).loc[:, :2025].to_numpy()
    after = (c - b).loc[:, 2026:].to_numpy()
    assert np.nanmax(np.abs(before)) == 0.0  # identical until the policy starts
    assert np.nanmax(after) < 0.0
