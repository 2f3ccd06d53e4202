"""Sensitivity analysis: factors from the ``uncertain:`` block, fixed per point, indices that rank
a factor that drives the metric above one that cannot act on it, outputs, and every bad input.

The test scenario (tests/scenarios/two_factors.yaml) has two uncertain parameters: the arrival
scale multiplies how many programs start, the price erosion acts only on launched products, so
it cannot change the first years' new programs. Runs are a few short points (to 2016).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import check_error, folder_bytes
from typer.testing import CliRunner

import cgt_sim
from cgt_sim.analysis.points import year_metric
from cgt_sim.analysis.sensitivity import Factor, factors, prepare
from cgt_sim.cli import app
from cgt_sim.model.world import simulate

ROOT = Path(__file__).resolve().parents[1]
TWO = ROOT / "tests" / "scenarios" / "two_factors.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"
ARRIVALS, EROSION = "research.arrival_scale", "market.price_erosion"


def test_factors_are_the_uncertain_parameters_over_their_support():
    sc = cgt_sim.load_scenario(TWO)
    assert factors(sc) == [Factor(ARRIVALS, 0.5, 1.5), Factor(EROSION, 0.0, 0.08)]


def test_factor_values_for_choices_and_whole_numbers():
    choice = Factor("x", 10.0, 30.0, choices=(10, 20, 30))
    assert choice.bounds == [0.0, 3.0]
    assert [choice.value(x) for x in (0.0, 0.99, 1.0, 2.5, 3.0)] == [10, 10, 20, 30, 30]
    whole = Factor("y", 10.0, 30.0, integer=True)
    assert whole.value(12.6) == 12 and isinstance(whole.value(12.6), int)
    assert (whole.value(10.0), whole.value(30.0)) == (10, 30)
    # each whole number of the range gets an equal share of it (rounding gave 10 and 30 half)
    counts = np.unique([whole.value(x) for x in np.linspace(10.0, 30.0, 21_000, endpoint=False)],
                       return_counts=True)
    assert counts[0].tolist() == list(range(10, 31)) and counts[1].min() >= 999 and counts[1].max() <= 1001


def test_a_uniform_whole_number_parameter_draws_each_value_alike():
    sc = cgt_sim.load_scenario(TWO, uncertain={"manufacturing.suites_2015.beijing": {
        "dist": "uniform", "low": 1, "high": 3}})
    rng = np.random.default_rng(0)
    draws = [sc.uncertain["manufacturing.suites_2015.beijing"].sample(rng) for _ in range(6000)]
    values, counts = np.unique(draws, return_counts=True)
    assert values.tolist() == [1.0, 2.0, 3.0]
    assert abs(counts - 2000).max() < 5 * np.sqrt(2000 * 2 / 3)  # 5 binomial sd


def test_an_override_fixes_an_uncertain_parameter(tmp_path):
    sc = cgt_sim.load_scenario(TWO, overrides={"simulation.horizon_year": 2015})
    fixed = sc.with_overrides({ARRIVALS: 0.7})
    assert set(fixed.uncertain) == {EROSION} and set(sc.uncertain) == {ARRIVALS, EROSION}
    assert fixed.value(ARRIVALS) == 0.7
    assert set(simulate(fixed, 0, 1)["sampled"]) == {EROSION}
    # a file extending one that declares a parameter uncertain fixes it by setting it
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {TWO}\nset:\n  {ARRIVALS}: 1.2\n")
    assert set(cgt_sim.load_scenario(child).uncertain) == {EROSION}


def test_support_stays_within_the_parameter_range(tmp_path):
    path = tmp_path / "u.yaml"
    path.write_text(f"extends: {BASELINE}\nuncertain:\n"
                    "  regulatory.p_ind_clear: {dist: normal, mean: 0.9, sd: 0.1, low: 0.6, high: 1}\n"
                    "  manufacturing.suites_2015.beijing: {dist: choice, values: [30, 10, 20]}\n")
    fs = factors(cgt_sim.load_scenario(path))
    assert fs[0] == Factor("regulatory.p_ind_clear", pytest.approx(0.6), 1.0)
    assert fs[1].choices == (10, 20, 30) and fs[1].integer


def test_the_uncertain_baseline_spans_the_catalogue_plausible_ranges():
    sc = cgt_sim.load_scenario(ROOT / "scenarios" / "baseline_uncertain.yaml")
    base = cgt_sim.load_scenario(BASELINE)
    assert sc.values == base.values and len(sc.uncertain) == 9
    for f in factors(sc):
        p = cgt_sim.CATALOGUE[f.key]
        if p.plausible is not None:
            assert (f.low, f.high) == p.plausible, f.key
        assert f.low <= p.default <= f.high, f.key  # the baseline value lies inside its range


def test_metric_names():
    sc = cgt_sim.load_scenario(BASELINE)
    assert year_metric("approvals_2035", sc) == ("cumulative_approvals", 2035)
    assert year_metric("ind_approvals_2030", sc) == ("cumulative_ind_approvals", 2030)
    assert year_metric("patients_treated_2030", sc) == ("patients_treated", 2030)
    assert year_metric("batch_cost_cny_in_vivo_gene_2045", sc) == ("batch_cost_cny_in_vivo_gene", 2045)


def test_the_plan_samples_the_declared_ranges():
    sobol = prepare(TWO, "new_programs_2016", "sobol", 4, seed=5)
    assert sobol.points == 4 * (2 * 2 + 2) and sobol.scenario.horizon_year == 2016  # until = metric year
    values = sobol.values()
    assert values[ARRIVALS].between(0.5, 1.5).all() and values[EROSION].between(0.0, 0.08).all()
    assert values[ARRIVALS].nunique() > 4  # uniform over the range, not a few levels
    morris = prepare(TWO, "new_programs_2016", "morris", 3, until=2018, seed=5)
    assert morris.points == 3 * (2 + 1) and morris.scenario.horizon_year == 2018
    # every point fixes both factors, so no uncertain draw is left
    for sc, row in zip(morris.point_scenarios(), morris.values().to_dict("records")):
        assert sc.uncertain == {} and sc.value(ARRIVALS) == pytest.approx(row[ARRIVALS])
    again = prepare(TWO, "new_programs_2016", "morris", 3, until=2018, seed=5)
    assert np.array_equal(again.inputs, morris.inputs)


@pytest.fixture(scope="module")
def morris_runs():
    kw = dict(metric="new_programs_2016", method="morris", samples=3, replications=1, seed=4)
    return cgt_sim.sensitivity(TWO, workers=1, **kw), cgt_sim.sensitivity(TWO, workers=2, **kw)


def test_morris_ranks_the_driver_first_and_the_inert_factor_at_zero(morris_runs):
    res, _ = morris_runs
    ind = res.indices.set_index("parameter")
    assert list(res.indices["parameter"]) == [ARRIVALS, EROSION]
    assert ind.loc[ARRIVALS, "mu_star"] > 0 and ind.loc[ARRIVALS, "mu"] > 0  # more arrivals, more programs
    assert ind.loc[EROSION, ["mu", "mu_star", "sigma"]].tolist() == [0.0, 0.0, 0.0]
    # the point's metric is the mean over replications of the annual column at the year
    assert list(res.samples.columns) == ["point", ARRIVALS, EROSION, "new_programs_2016"]


def test_results_do_not_depend_on_workers(morris_runs):
    one, two = morris_runs
    pd.testing.assert_frame_equal(one.samples, two.samples)
    pd.testing.assert_frame_equal(one.indices, two.indices)


def test_sobol_ranks_the_driver_first_and_saves_everything(tmp_path):
    with pytest.warns(UserWarning, match="too wide to rank them"):  # 4 samples: a smoke test of the method
        res = cgt_sim.sensitivity(TWO, "new_programs_2016", "sobol", samples=4, replications=1, seed=2, workers=2)
    ind = res.indices.set_index("parameter")
    assert list(res.indices.columns) == ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert ind.loc[ARRIVALS, "ST"] > 0.2 and ind.loc[EROSION, "ST"] == 0.0 and ind.loc[EROSION, "S1"] == 0.0
    assert len(res.second_order) == 1 and set(res.second_order.columns) == {"parameter_a", "parameter_b", "S2",
                                                                            "S2_conf"}
    out = tmp_path / "sens"
    out.mkdir()
    (out / "manifest.json").write_text('{"written_by": "cgt-sim", "analysis": "sensitivity"}')  # an earlier one:
    (out / "indices.csv").write_text("x")  # its files are replaced,
    (out / "notes.txt").write_text("x")  # the user's are kept, even one named like a sweep's
    (out / "heatmap_mine.png").write_bytes(b"x")
    res.save(out)
    assert sorted(p.name for p in out.iterdir()) == ["heatmap_mine.png", "indices.csv", "indices.png",
                                                     "manifest.json", "notes.txt", "samples.parquet",
                                                     "second_order.csv"]
    assert (out / "indices.csv").read_text() != "x"
    assert (out / "indices.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pd.testing.assert_frame_equal(pd.read_parquet(out / "samples.parquet"), res.samples)
    back = pd.read_csv(out / "indices.csv")
    assert back["parameter"].tolist() == res.indices["parameter"].tolist()
    m = json.loads((out / "manifest.json").read_text())
    assert (m["method"], m["points"], m["samples"], m["replications"], m["seed"]) == ("sobol", 24, 4, 1, 2)
    assert m["factors"][0]["key"] == ARRIVALS and m["factors"][0]["low"] == 0.5
    assert m["factors"][1]["declared"] == {"dist": "triangular", "low": 0.0, "mode": 0.03, "high": 0.08}


def test_a_constant_metric_gives_undefined_sobol_indices(tmp_path):
    with pytest.warns(UserWarning, match="approvals_2015 is the same at every point"):
        res = cgt_sim.sensitivity(TWO, "approvals_2015", "sobol", samples=2, replications=1, workers=1)
    assert res.samples["approvals_2015"].eq(0).all()
    assert repr(res).startswith("SensitivityResult(scenario='two_factors', method='sobol', metric='approvals_2015'")  # nothing is approved in the first year
    assert res.manifest["metric_constant"] and res.indices[["S1", "ST"]].isna().all().all()
    res.save(tmp_path / "c")
    assert (tmp_path / "c" / "indices.png").exists()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_metric_without_a_value_is_an_error_at_the_first_point_without_one(workers):
    finished = []
    with pytest.raises(cgt_sim.OptionError, match=r"^metric: vein_to_vein_days_median_2015 has no value "
                       r"at sample point \d+ \(research.arrival_scale=.*market.price_erosion="):
        cgt_sim.sensitivity(TWO, "vein_to_vein_days_median_2015", "morris", samples=2, replications=1,
                            workers=workers, progress=lambda done, total: finished.append((done, total)))
    assert not finished or finished[-1][0] < finished[-1][1]  # it did not run every point first


def test_indices_too_uncertain_to_rank_are_named():
    from cgt_sim.analysis.sensitivity import imprecise

    sobol = pd.DataFrame({"parameter": ["a", "b", "c"], "S1": [0.5, 0.99, 0.1], "S1_conf": [0.05, 3.2, 0.02],
                          "ST": [0.6, 0.5, 0.1], "ST_conf": [0.08, 0.4, 0.15]})
    assert imprecise(sobol, "sobol") == ["b", "c"]
    morris = pd.DataFrame({"parameter": ["a", "b"], "mu_star": [2.0, 0.5], "mu_star_conf": [1.0, 0.7]})
    assert imprecise(morris, "morris") == ["b"]


def test_cli_writes_the_folder_and_prints_the_indices(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["sensitivity", str(TWO), "--method", "morris", "--samples", "2",
                                      "--metric", "new_programs_2016", "-r", "1", "-w", "1", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert ARRIVALS in result.stdout and "sensitivity written to" in result.stdout
    out = tmp_path / "results" / "two_factors_sensitivity"
    assert json.loads((out / "manifest.json").read_text())["seed"] == 3
    assert not (out / "second_order.csv").exists()


BAD = {
    "no_uncertain_block": ([str(BASELINE)], [f"{BASELINE}: uncertain: the scenario has no uncertain parameters"]),
    "unknown_metric": ([str(TWO), "--metric", "approval_2030"],
                       ["--metric: unknown metric 'approval_2030'", "approvals, ind_approvals", "new_programs"]),
    "metric_without_year": ([str(TWO), "--metric", "approvals"], ["--metric: unknown metric 'approvals'",
                                                                    "<metric>_<year>"]),
    "metric_after_horizon": ([str(TWO), "--metric", "approvals_2050"],
                             ["--metric: approvals_2050: year 2050 is outside the simulated years 2015-2045"]),
    "metric_after_until": ([str(TWO), "--metric", "approvals_2030", "--until", "2020"],
                           ["--metric", "outside the simulated years 2015-2020"]),
    "unknown_method": ([str(TWO), "--method", "fast"], ["--method: must be sobol or morris (got 'fast')"]),
    "samples_zero": ([str(TWO), "--samples", "0"], ["--samples: must be a whole number >= 2 (got 0)"]),
    "sobol_not_power_of_two": ([str(TWO), "--samples", "12"], ["--samples: sobol needs a power of 2", "got 12"]),
    "replications_zero": ([str(TWO), "-r", "0"], ["--replications: must be a whole number >= 1 (got 0)"]),
    "negative_seed": ([str(TWO), "--seed", "-1"], ["--seed: must be a whole number >= 0"]),
    "until_before_start": ([str(TWO), "--until", "2010"], ["--until", "start year 2015"]),
    "missing_file": (["nope.yaml"], ["nope.yaml", "file not found"]),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_input_is_one_line_and_writes_nothing(name, tmp_path, monkeypatch):
    args, fragments = BAD[name]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["sensitivity", *args])
    check_error(result.exit_code, result.stdout, result.stderr, fragments)
    assert list(tmp_path.iterdir()) == []


def test_a_metric_that_is_not_text_is_an_option_error():
    for metric in (5, None, ["approvals_2016"]):
        with pytest.raises(cgt_sim.OptionError, match=r"^metric: unknown metric .*; use <metric>_<year>"):
            prepare(TWO, metric, "morris", 2)


def test_a_single_valued_factor_is_an_error(tmp_path):
    path = tmp_path / "one.yaml"
    path.write_text(f"extends: {TWO}\nuncertain:\n  {EROSION}: {{dist: uniform, low: 0.02, high: 0.02}}\n")
    with pytest.raises(cgt_sim.ScenarioError, match=f"uncertain.{EROSION}: has a single value"):
        prepare(path, "new_programs_2016", "morris", 2)


def test_an_existing_folder_that_is_not_a_result_is_left_alone(tmp_path):
    other = tmp_path / "precious"
    other.mkdir()
    (other / "keep.txt").write_text("keep me")
    before = folder_bytes(other)
    result = CliRunner().invoke(app, ["sensitivity", str(TWO), "--method", "morris", "--samples", "2", "--metric",
                                      "new_programs_2016", "--out", str(other)])
    check_error(result.exit_code, result.stdout, result.stderr, [str(other), "not a cgt-sim result folder"])
    assert folder_bytes(other) == before


def test_morris_effects_are_per_whole_range_for_every_kind_of_factor():
    """A linear response: each factor's elementary effect is its slope times its whole range,
    whether it is continuous, a choice (a step can move it by one value or several) or a whole
    number (rounded)."""
    from SALib.sample import morris as sampler

    from cgt_sim.analysis.sensitivity import MORRIS_LEVELS, Factor, _problem, morris_indices

    facs = [Factor("a", 0.0, 2.0), Factor("b", 30.0, 60.0, choices=(30.0, 60.0)),
            Factor("c", 30.0, 90.0, choices=(30.0, 45.0, 90.0)), Factor("d", 1.0, 4.0, integer=True),
            Factor("e", 0.0, 1.0)]
    slope = np.array([3.0, -0.2, 0.1, 5.0, 0.0])
    inputs = sampler.sample(_problem(facs), 8, num_levels=MORRIS_LEVELS, seed=3)
    values = np.array([[f.value(x) for f, x in zip(facs, row)] for row in inputs])
    r = morris_indices(facs, inputs, values @ slope, seed=1)
    whole = slope * np.array([2.0, 30.0, 60.0, 3.0, 1.0])
    assert np.allclose(r["mu"], whole) and np.allclose(r["mu_star"], np.abs(whole))
    assert np.allclose(r["sigma"], 0.0, atol=1e-9) and np.allclose(r["mu_star_conf"], 0.0, atol=1e-9)
