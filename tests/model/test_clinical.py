"""The program funnel: simulation vs the analytic absorbing chain; state conservation."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest

import cgt_sim
from cgt_sim.analysis.validate import funnel_overrides
from cgt_sim.model.program import ACTIVE_CLINICAL, STATES
from cgt_sim.model.regulatory import RegulatoryInputs
from cgt_sim.model.runparams import LookupParams, RunParams
from cgt_sim.model.world import simulate
from cgt_sim.timeline import Clock

BASELINE = "scenarios/baseline.yaml"
CLOCK = Clock(dt.date(2015, 1, 1))


def funnel_scenario(arrivals: dict, extra: dict | None = None):
    """Money and capacity unconstrained, IND route open, programs arriving in 2015 only."""
    return cgt_sim.load_scenario(BASELINE, overrides=funnel_overrides(arrivals, extra))


def run_funnel(scenario, seed):
    programs = pd.DataFrame(simulate(scenario, 0, seed)["programs"])
    return scenario, programs


@pytest.fixture(scope="module")
def baseline_funnel():
    sc = funnel_scenario({"autologous_car_t": 10000, "in_vivo_gene": 10000,
                          "allogeneic_cell": 4000, "rna_in_vivo_car": 4000})
    return run_funnel(sc, seed=11)


# Different branches of the chain weigh in: many IITs with a short Phase I after them, mostly
# pivotal Phase IIs, a harsher IND, a faster IND clock and slow sponsor responses.
ALTERED = {
    "research.preclinical_success": 0.8,
    "research.preclinical_years": 1.5,
    "clinical.iit_share.allogeneic_cell": 0.8,
    "clinical.iit_phase1_factor": 0.2,
    "clinical.iit_success": 0.7,
    "clinical.pivotal_phase2_share.allogeneic_cell": 0.7,
    "clinical.p_phase2.allogeneic_cell": 0.5,
    "regulatory.p_ind_clear": 0.7,
    "regulatory.ind_review_working_days": 30,
    "regulatory.sponsor_response_days": 300,
    "clinical.phase_cv": 0.6,
}


@pytest.fixture(scope="module")
def altered_funnel():
    return run_funnel(funnel_scenario({"allogeneic_cell": 5000}, ALTERED), seed=5)


def check_funnel(scenario, programs, modality):
    p = RunParams(scenario, CLOCK)
    f = cgt_sim.analytic_funnel(p, modality)
    progs = programs[programs["modality"] == modality]
    n = len(progs)
    assert n > 3000
    # everything resolved, for science only
    assert set(progs["state"]) <= {"approved", "failed"}

    approved = progs[progs["state"] == "approved"]
    se = math.sqrt(f.p_approval * (1 - f.p_approval) / n)
    share = len(approved) / n
    assert abs(share - f.p_approval) < 4 * se, (modality, share, f.p_approval, se)

    days = approved["approval_day"] - approved["arrival_day"]
    se_d = days.std(ddof=1) / math.sqrt(len(days))
    assert abs(days.mean() - f.mean_days_to_approval) < 4 * se_d, (
        modality, days.mean(), f.mean_days_to_approval, se_d)

    # from the start of Phase I (the day the IND clears: no money or capacity waits)
    in_p1 = progs[np.isfinite(progs["ind_day"])]
    appr1 = in_p1[in_p1["state"] == "approved"]
    se1 = math.sqrt(f.p_approval_from_phase1 * (1 - f.p_approval_from_phase1) / len(in_p1))
    share1 = len(appr1) / len(in_p1)
    assert abs(share1 - f.p_approval_from_phase1) < 4 * se1, (modality, share1, se1)
    days1 = appr1["approval_day"] - appr1["ind_day"]
    se_d1 = days1.std(ddof=1) / math.sqrt(len(days1))
    assert abs(days1.mean() - f.mean_days_phase1_to_approval) < 4 * se_d1

    # the IIT track is taken by its share of the programs that get past preclinical
    past = progs[progs["end_stage"] != "preclinical"]
    q = p(f"clinical.iit_share.{modality}")
    se_q = math.sqrt(q * (1 - q) / len(past))
    assert abs(past["iit_track"].mean() - q) < 4 * se_q


@pytest.mark.slow
@pytest.mark.parametrize("modality", cgt_sim.MODALITIES)
def test_funnel_matches_analytic_chain(baseline_funnel, modality):
    check_funnel(*baseline_funnel, modality)


@pytest.mark.slow
def test_funnel_matches_analytic_chain_altered_parameters(altered_funnel):
    sc, programs = altered_funnel
    f = cgt_sim.analytic_funnel(RunParams(sc, CLOCK), "allogeneic_cell")
    base = cgt_sim.analytic_funnel(RunParams(cgt_sim.load_scenario(BASELINE), CLOCK),
                                   "allogeneic_cell")
    assert abs(f.p_approval - base.p_approval) > 0.02  # the override really changed the chain
    check_funnel(sc, programs, "allogeneic_cell")


@pytest.mark.slow
def test_funnel_programs_end_where_the_chain_says(baseline_funnel):
    """Where programs fail, stage by stage, for CAR-T (no money: nobody is abandoned)."""
    sc, programs = baseline_funnel
    p = RunParams(sc, CLOCK)
    m = "autologous_car_t"
    progs = programs[programs["modality"] == m]
    n = len(progs)
    counts = Counter(progs["end_stage"])
    pre = p("research.preclinical_success")
    iit = p(f"clinical.iit_share.{m}")
    expected = {
        "preclinical": 1 - pre,
        "iit": pre * iit * (1 - p("clinical.iit_success")),
    }
    reach_ind = pre * (1 - iit + iit * p("clinical.iit_success"))
    expected["ind_review"] = reach_ind * (1 - p("regulatory.p_ind_clear"))
    reach_p1 = reach_ind * p("regulatory.p_ind_clear")
    expected["phase1"] = reach_p1 * (1 - p(f"clinical.p_phase1.{m}"))
    for stage, share in expected.items():
        se = math.sqrt(share * (1 - share) / n)
        assert abs(counts[stage] / n - share) < 4 * se, (stage, counts[stage] / n, share)


# --- conservation ---------------------------------------------------------------------------
@pytest.fixture(scope="module", params=[0, 1])
def short_baseline(request):
    sc = cgt_sim.load_scenario(BASELINE, overrides={"simulation.horizon_year": 2025})
    out = simulate(sc, request.param, 42)
    return (pd.DataFrame(out["annual"]), pd.DataFrame(out["programs"]),
            pd.DataFrame(out["products"]))


def test_every_program_in_exactly_one_state(short_baseline):
    annual, programs, _products = short_baseline
    assert len(programs) > 1000
    assert programs["program_id"].is_unique
    assert set(programs["state"]) <= set(STATES)  # none "not_started" at the horizon
    last = annual[annual["year"] == annual["year"].max()].iloc[0]
    counts = programs["state"].value_counts()
    for s in STATES:
        assert last[f"programs_{s}"] == counts.get(s, 0), s
    assert sum(last[f"programs_{s}"] for s in STATES) == len(programs)
    assert last["programs_in_clinic"] == sum(counts.get(s, 0) for s in ACTIVE_CLINICAL)


def test_flows_add_up_to_the_states(short_baseline):
    annual, programs, products = short_baseline
    annual = annual.sort_values("year")
    snap = sum(annual[f"programs_{s}"] for s in STATES)
    np.testing.assert_array_equal(snap.to_numpy(), annual["new_programs"].cumsum().to_numpy())
    states = programs["state"]
    assert annual["cumulative_approvals"].iloc[-1] == (states == "approved").sum()
    assert annual["new_approvals"].sum() == (states == "approved").sum() == len(products)
    assert annual["failed_science"].sum() == (states == "failed").sum()
    assert annual["abandoned_financing"].sum() == (states == "abandoned").sum()
    assert annual["cumulative_ind_approvals"].iloc[-1] == np.isfinite(programs["ind_day"]).sum()
    # snapshots of ended programs only grow
    for s in ("approved", "failed", "abandoned"):
        assert annual[f"programs_{s}"].is_monotonic_increasing
    ended = states.isin(["approved", "failed", "abandoned"])
    assert np.isfinite(programs.loc[ended, "end_day"]).all()
    assert np.isnan(programs.loc[~ended, "end_day"]).all()
    assert (np.isfinite(programs["approval_day"]) == (states == "approved")).all()
    # nothing clears an IND before the registration route opens (18 Dec 2017)
    open_day = CLOCK.day(dt.date(2017, 12, 18))
    assert (programs["ind_day"].dropna() >= open_day).all()
    ends = programs.loc[ended]
    assert (ends["end_day"] >= ends["arrival_day"]).all()


# --- regulatory clocks ----------------------------------------------------------------------
def test_ind_review_days_are_working_days():
    for days in (60.0, 30.0):
        regulatory = RegulatoryInputs.bind(LookupParams(lambda key, t, days=days: days))
        assert regulatory.ind_review_days(0.0) == pytest.approx(days * 365.25 / 250)
    assert pytest.approx(87.66) == 60 * 365.25 / 250


def test_ind_review_clock_counts_from_the_filing_date():
    sc = cgt_sim.load_scenario(BASELINE, overrides={
        "regulatory.ind_review_working_days": {"value": 30, "from": "2025-04-01"}})
    regulatory = RegulatoryInputs.bind(RunParams(sc, CLOCK))
    change = CLOCK.day(dt.date(2025, 4, 1))
    assert regulatory.ind_review_days(change - 1) == pytest.approx(60 * 365.25 / 250)
    assert regulatory.ind_review_days(change) == pytest.approx(30 * 365.25 / 250)
    assert regulatory.ind_review_days(change + 400) == pytest.approx(30 * 365.25 / 250)


def test_nda_review_days():
    nda_review_days = RegulatoryInputs.bind(RunParams(cgt_sim.load_scenario(BASELINE), CLOCK)).nda_review_days
    m = "autologous_car_t"  # priority share 0.6
    assert nda_review_days(m, 0.0, 0.1, 0.0) == pytest.approx(130 * 365.25 / 250)
    assert nda_review_days(m, 0.0, 0.9, 0.0) == pytest.approx(200 * 365.25 / 250)
    # sponsor response: exponential with mean 120 days, by inversion of the uniform
    u = 1 - math.exp(-1.0)
    assert nda_review_days(m, 0.0, 0.9, u) == pytest.approx(200 * 365.25 / 250 + 120.0)
    assert math.isfinite(nda_review_days(m, 0.0, 0.9, 1.0))


@pytest.mark.parametrize("changes", [
    {"regulatory.p_ind_clear": 0.0},  # nobody reaches Phase I: the means are those of a program that did
    {"clinical.iit_share.autologous_car_t": 1.0, "clinical.iit_success": 0.0},
])
def test_analytic_funnel_means_are_their_limits_where_nobody_gets_there(changes):
    """Where approval has probability 0 the mean time to it is undefined (NaN); the mean from
    Phase I start is still that of a program starting Phase I, the limit of small odds."""
    at = {key: cgt_sim.analytic_funnel(cgt_sim.load_scenario(BASELINE, overrides={
        k: (v if v else 1e-12) if key == "near" else v for k, v in changes.items()}), "autologous_car_t")
        for key in ("at", "near")}
    assert at["at"].p_approval == 0.0 and math.isnan(at["at"].mean_days_to_approval)
    assert at["at"].mean_days_phase1_to_approval == pytest.approx(at["near"].mean_days_phase1_to_approval)


def test_analytic_funnel_takes_a_scenario_or_its_file():
    """The public form: a Scenario or a scenario file, read on 1 January of ``year``."""
    sc = cgt_sim.load_scenario(BASELINE)
    lookup = cgt_sim.analytic_funnel(RunParams(sc, CLOCK), "autologous_car_t")
    assert cgt_sim.analytic_funnel(sc, "autologous_car_t") == lookup
    assert cgt_sim.analytic_funnel(BASELINE, "autologous_car_t") == lookup
    # a dated change shows in the year it is in force, not before
    fast = cgt_sim.load_scenario(BASELINE, overrides={
        "regulatory.ind_review_working_days": {"from": "2030-01-01", "value": 30}})
    before = cgt_sim.analytic_funnel(fast, "autologous_car_t", year=2029)
    after = cgt_sim.analytic_funnel(fast, "autologous_car_t", year=2031)
    assert before.mean_days_to_approval == pytest.approx(lookup.mean_days_to_approval)
    assert after.mean_days_to_approval < before.mean_days_to_approval
    with pytest.raises(ValueError, match="unknown modality 'car_t'; choose one of autologous_car_t"):
        cgt_sim.analytic_funnel(sc, "car_t")
    with pytest.raises(ValueError, match="year= needs a scenario"):
        cgt_sim.analytic_funnel(RunParams(sc, CLOCK), "autologous_car_t", year=2030)
    # the year is a keyword (a third positional argument would be taken for a day), a whole
    # number from the start year on
    with pytest.raises(TypeError):
        cgt_sim.analytic_funnel(fast, "autologous_car_t", 2031)
    with pytest.raises(ValueError, match="give year= or t=, not both"):
        cgt_sim.analytic_funnel(fast, "autologous_car_t", year=2031, t=100.0)
    assert cgt_sim.analytic_funnel(fast, "autologous_car_t", year=np.int64(2031)) == after
    for bad, message in ((2010, "year: must be a whole number >= 2015"), ("2030", "year: must be a whole number"),
                         (2030.5, "year: must be a whole number"), (2201, "year: must be a year from 2015 to 2200")):
        with pytest.raises(cgt_sim.CgtSimError, match=message):
            cgt_sim.analytic_funnel(fast, "autologous_car_t", year=bad)
