"""Scenario discovery: levers in scenario files, outcome expressions, PRIM on a case with a known
box, a small discovery on cgt-sim, and cgt-sim as a model of the EMA Workbench."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import check_error

import cgt_sim
from cgt_sim.analysis.discovery import ema_model, experiment, find_box, parse_outcome, prepare
from cgt_sim.errors import CgtSimError, OptionError, ScenarioError
from cgt_sim.schema import scenario_json_schema

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
IND = "regulatory.ind_review_working_days"
PASS = "market.cost_pass_through"


@pytest.fixture(scope="module")
def explored(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenarios") / "explored.yaml"
    path.write_text(f"name: explored\nextends: {ROOT / 'scenarios' / 'faster_approval.yaml'}\n"
                    f"uncertain:\n  {PASS}: {{dist: uniform, low: 0, high: 1}}\n"
                    f"levers:\n  {IND}: {{dist: uniform, low: 20, high: 60}}\n"
                    "  research.arrivals_2015.autologous_car_t: {dist: uniform, low: 30, high: 90}\n")
    return path


# ------------------------------------------------------------------------------ levers

def test_levers_are_declared_like_uncertain_parameters(explored, tmp_path):
    sc = cgt_sim.load_scenario(explored)
    assert list(sc.levers) == [IND, "research.arrivals_2015.autologous_car_t"]
    assert sc.levers[IND].bounds() == (20.0, 60.0) and sc.levers[IND].declared_in == str(explored)
    assert sc.value(IND).values()[-1] == 30.0  # a run keeps the scenario's (dated) value
    assert sc.to_dict()["levers"][IND] == {"dist": "uniform", "low": 20.0, "high": 60.0}
    import jsonschema

    jsonschema.validate(yaml.safe_load(explored.read_text()), scenario_json_schema())
    both = tmp_path / "both.yaml"
    both.write_text(f"extends: {BASELINE}\nset:\n  {IND}: 30\nlevers:\n  {IND}: {{dist: uniform, low: 20, high: 60}}\n")
    with pytest.raises(ScenarioError, match=rf"levers.{IND}: is also in this file's set or uncertain"):
        cgt_sim.load_scenario(both)
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASELINE}\nlevers:\n  {IND}: {{dist: uniform, low: 20}}\n")
    with pytest.raises(ScenarioError, match=rf"levers.{IND}: uniform needs high, low \(missing high\)"):
        cgt_sim.load_scenario(bad)
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(f"extends: {explored}\nset:\n  {IND}: 45\n")
    assert IND not in cgt_sim.load_scenario(fixed).levers  # a value set later fixes the lever
    shown = subprocess.run([sys.executable, "-m", "cgt_sim.cli", "show", str(explored), "--only", IND],
                           capture_output=True, text=True, timeout=60)
    assert "lever: uniform(low=20.0, high=60.0)" in shown.stdout


# ------------------------------------------------------------------------------ outcomes

def test_outcome_expressions(explored):
    sc = cgt_sim.load_scenario(explored)
    o = parse_outcome("approvals_2035 < 60 and (patients_treated_2030 >= 1e3 or not ind_approvals_2025 > -1)", sc)
    assert o.metrics == {"approvals_2035": ("cumulative_approvals", 2035), "patients_treated_2030": (
        "patients_treated", 2030), "ind_approvals_2025": ("cumulative_ind_approvals", 2025)}
    assert o.last_year == 2035
    values = {"approvals_2035": np.array([50, 50, 70, np.nan]), "patients_treated_2030": np.array([2e3, 10, 2e3, 2e3]),
              "ind_approvals_2025": np.array([5, 5, 5, 5])}
    assert o.holds(values).tolist() == [True, False, False, False]
    chained = parse_outcome("10 <= approvals_2030 < 20", sc)
    assert chained.holds({"approvals_2030": np.array([5, 10, 19.5, 20])}).tolist() == [False, True, True, False]
    for text, match in (("approvals_2035 <", "is not an expression"),
                        ("approvals_2035", "not a comparison"),
                        ("approvals_2035 in 60", "compare with <"),
                        ("approvals_2035 < len(x)", "a metric in a year"),
                        ("approvl_2035 < 60", "unknown metric 'approvl_2035'"),
                        ("approvals_2090 < 60", "year 2090 is outside the simulated years"),
                        ("1 < 2", "names no metric"),
                        ("", "give a condition")):
        with pytest.raises(OptionError, match=match) as info:
            parse_outcome(text, sc)
        assert info.value.subject == "outcome"


# ------------------------------------------------------------------------------ PRIM

def test_prim_finds_a_known_box():
    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.random((1500, 4)), columns=["a", "b", "c", "d"])
    y = ((x["a"] > 0.6) & (x["b"] < 0.3)).to_numpy()  # a box of 12% of the space; c and d do not matter
    trajectory, box, chosen = find_box(x, y, 0.8)
    row = trajectory.iloc[chosen]
    assert row["density"] >= 0.8 and row["coverage"] >= 0.9
    limits = box.set_index("parameter")
    assert set(limits.index) == {"a", "b"}
    # the box of largest coverage with density >= 0.8: the true box, and at most a quarter more (0.3 / 0.8)
    assert limits.loc["a", "low"] == pytest.approx(0.6, abs=0.03) and limits.loc["a", "high"] > 0.97
    assert 0.28 <= limits.loc["b", "high"] <= 0.3 / 0.8 and limits.loc["b", "low"] < 0.03
    assert trajectory["density"].max() == 1.0
    assert (limits["qp_low"].fillna(0) < 1e-6).all() and (limits["qp_high"].fillna(0) < 1e-6).all()
    nothing = find_box(x, np.zeros(len(x), dtype=bool), 0.8)
    assert nothing[2] is None and nothing[0].empty


# ------------------------------------------------------------------------------ on cgt-sim

def test_a_small_discovery(explored, tmp_path):
    kwargs = dict(experiments=6, until=2017, seed=2)
    res = cgt_sim.discover(explored, "new_programs_2017 > 130", executor="serial", **kwargs)
    e = res.experiments
    assert list(e.columns[:4]) == ["experiment", PASS, IND, "research.arrivals_2015.autologous_car_t"]
    assert e[IND].between(20, 60).all() and e[PASS].between(0, 1).all()
    assert (e["outcome"] == (e["new_programs_2017"] > 130)).all()
    assert res.manifest["cases"] == int(e["outcome"].sum())
    # more programs arrive where more start: the lever moves the metric
    assert np.corrcoef(e["research.arrivals_2015.autologous_car_t"], e["new_programs_2017"])[0, 1] > 0.5
    other = cgt_sim.discover(explored, "new_programs_2017 > 130", executor="process", workers=2, **kwargs)
    pd.testing.assert_frame_equal(other.experiments, e)
    path = res.save(tmp_path / "d")
    assert {p.name for p in path.iterdir()} == set(cgt_sim.storage.OUTPUT_FILES["discovery"])


def test_the_ema_workbench_runs_cgt_sim(explored):
    from ema_workbench import SequentialEvaluator

    model = ema_model(explored, outcomes=["new_programs_2016"], until=2016, seed=5)
    assert [u.name for u in model.uncertainties] == ["market__cost_pass_through"]
    assert {lever.name for lever in model.levers} == {"regulatory__ind_review_working_days",
                                                      "research__arrivals_2015__autologous_car_t"}
    with SequentialEvaluator(model) as evaluator:
        found, outcomes = evaluator.perform_experiments(scenarios=2, policies=1)
    assert len(found) == 2 and outcomes["new_programs_2016"].shape == (2,)
    plan = prepare(explored, "new_programs_2016 > 0", experiments=2, until=2016, seed=5)
    row = found.iloc[0]
    values = {PASS: row["market__cost_pass_through"], IND: row["regulatory__ind_review_working_days"],
              "research.arrivals_2015.autologous_car_t": row["research__arrivals_2015__autologous_car_t"]}
    expected = experiment(plan.scenario_of(values), 5, 1, [("new_programs", 2016)])
    assert outcomes["new_programs_2016"][0] == expected[0, 0]


def test_the_command_line_refuses_a_malformed_outcome_in_one_line(explored, tmp_path):
    out = tmp_path / "d"
    for outcome, fragment in (("approvals_2035 <", "--outcome: 'approvals_2035 <' is not an expression"),
                              ("approvals_2035 < 60 and", "--outcome:"),
                              ("foo_2035 > 1", "--outcome: unknown metric 'foo_2035'")):
        proc = subprocess.run([sys.executable, "-m", "cgt_sim.cli", "discover", str(explored), "--outcome", outcome,
                               "--out", str(out)], capture_output=True, text=True, timeout=60)
        check_error(proc.returncode, proc.stdout, proc.stderr, [fragment])
    proc = subprocess.run([sys.executable, "-m", "cgt_sim.cli", "discover", str(BASELINE), "--outcome",
                           "approvals_2030 > 1"], capture_output=True, text=True, timeout=60)
    check_error(proc.returncode, proc.stdout, proc.stderr, ["declares no uncertain: parameters and no levers:"])
    assert not out.exists()
    with pytest.raises(CgtSimError, match="threshold: must be a density"):
        prepare(explored, "approvals_2030 > 1", threshold=1.5)


def test_workers_that_are_not_a_whole_number_above_0_are_refused(explored):
    """As run refuses them: workers=0 is not 'all cores'."""
    for workers in (0, -2, 1.5):
        with pytest.raises(OptionError, match=r"^workers: must be a whole number >= 1"):
            cgt_sim.discover(explored, "new_programs_2016 > 1", experiments=2, until=2016, workers=workers)


def test_ema_model_outcomes_that_are_not_metric_names_are_named():
    for outcomes, says in ((5, "unknown metric 5"), ([], "name at least one metric"),
                           (["approvals_2035", None], "unknown metric None")):
        with pytest.raises(OptionError, match=f"^outcomes: {says}"):
            ema_model(BASELINE, outcomes=outcomes)


def test_without_the_ema_workbench_discovery_says_how_to_get_it(explored, monkeypatch):
    monkeypatch.setitem(sys.modules, "ema_workbench", None)  # as if it were not installed
    with pytest.raises(OptionError, match=r"^discovery: scenario discovery needs the EMA Workbench: pip install "
                                          r"'cgt-sim\[discovery\]'"):
        cgt_sim.discover(explored, "new_programs_2016 > 1", experiments=2, until=2016)
