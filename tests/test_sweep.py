"""Parameter sweeps: grid parsing and validation, common random numbers across grid points, a
monotone response, the tidy table and its files, and every bad input. Runs are short (to 2016-2020)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import check_error, folder_bytes
from typer.testing import CliRunner

import cgt_sim
from cgt_sim.analysis.sweep import check_grid, parse_grid
from cgt_sim.cli import app

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
IND = "regulatory.ind_review_working_days"
ARRIVALS = "research.arrival_scale"
EROSION = "market.price_erosion"
STATS = ["metric", "year", "mean", "p5", "p50", "p95", "n"]


def test_grid_values_are_yaml_scalars():
    grid = parse_grid([f"{IND}=30, 60", "financing.unconstrained=true,false",
                       "regulatory.ind_pathway_open=2016-01-01,2017-12-18", f"{EROSION}=0,0.05"])
    assert grid == {IND: [30, 60], "financing.unconstrained": [True, False],
                    "regulatory.ind_pathway_open": [dt.date(2016, 1, 1), dt.date(2017, 12, 18)], EROSION: [0, 0.05]}
    checked = check_grid(grid, cgt_sim.load_scenario(BASELINE))
    assert checked[IND] == [30.0, 60.0] and checked["regulatory.ind_pathway_open"] == ["2016-01-01", "2017-12-18"]
    assert check_grid({"manufacturing.suites_2015.beijing": [10.0, 20]}, cgt_sim.load_scenario(BASELINE)) == {
        "manufacturing.suites_2015.beijing": [10, 20]}
    # any sequence of values (a numpy array, a range) is a list of values; text is not
    sc = cgt_sim.load_scenario(BASELINE)
    assert check_grid({IND: np.array([30, 60]), EROSION: range(0, 1)}, sc) == {IND: [30.0, 60.0], EROSION: [0.0]}
    with pytest.raises(cgt_sim.ScenarioError, match="needs a list of one or more values"):
        check_grid({IND: "30,60"}, sc)


@pytest.fixture(scope="module")
def arrival_sweeps():
    kw = dict(grid={ARRIVALS: [0.5, 1, 2]}, replications=2, seed=3, until=2017, years=[2016, 2017],
              metrics=["new_programs", "ind_approvals"])
    return cgt_sim.sweep(BASELINE, workers=1, **kw), cgt_sim.sweep(BASELINE, workers=2, **kw)


def test_the_table_is_tidy(arrival_sweeps):
    res, _ = arrival_sweeps
    t = res.table
    assert list(t.columns) == [ARRIVALS] + STATS
    assert len(t) == 3 * 2 * 2 and (t["n"] == 2).all()
    assert t[ARRIVALS].tolist() == [0.5] * 4 + [1.0] * 4 + [2.0] * 4
    assert t["metric"].tolist()[:4] == ["new_programs", "new_programs", "cumulative_ind_approvals",
                                         "cumulative_ind_approvals"]  # short names become column names
    assert ((t["p5"] <= t["mean"]) & (t["mean"] <= t["p95"])).all()


def test_more_arrivals_start_more_programs(arrival_sweeps):
    res, _ = arrival_sweeps
    for year in (2016, 2017):  # noqa: B007  (read by the query as @year)
        means = res.table.query("metric == 'new_programs' and year == @year")["mean"].tolist()
        assert means[0] < means[1] < means[2]


def test_results_do_not_depend_on_workers(arrival_sweeps):
    one, two = arrival_sweeps
    pd.testing.assert_frame_equal(one.table, two.table)


def test_grid_points_share_random_numbers():
    """Price erosion acts only on launched products, so it cannot change the first years: under
    common random numbers its grid points give identical rows; and the point at the baseline
    value is the plain run with the same seed."""
    res = cgt_sim.sweep(BASELINE, {EROSION: [0.0, 0.05], IND: [30, 60]}, replications=2, seed=5, until=2018,
                        years=[2017, 2018], metrics=["new_programs", "ind_approvals"], workers=2)
    t = res.table
    stats = STATS[2:]
    for ind in (30.0, 60.0):
        a = t[(t[EROSION] == 0.0) & (t[IND] == ind)][stats].reset_index(drop=True)
        b = t[(t[EROSION] == 0.05) & (t[IND] == ind)][stats].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)
    plain = cgt_sim.run(BASELINE, replications=2, seed=5, until=2018, workers=1,
                        overrides={EROSION: 0.05}).summary(["new_programs", "cumulative_ind_approvals"])
    plain = plain[plain["year"] >= 2017].reset_index(drop=True)
    at = t[(t[EROSION] == 0.05) & (t[IND] == 60.0)][STATS].reset_index(drop=True)
    pd.testing.assert_frame_equal(at, plain)


def test_save_writes_tables_heatmaps_and_manifest(tmp_path):
    res = cgt_sim.sweep(BASELINE, {IND: [30, 60], EROSION: [0.0, 0.1]}, replications=1, until=2016,
                        metrics=["new_programs", "approvals"], workers=1)
    out = res.save(tmp_path / "s")
    assert sorted(p.name for p in out.iterdir()) == [
        "heatmap_cumulative_approvals.png", "heatmap_new_programs.png", "manifest.json", "sweep.csv", "sweep.parquet"]
    assert (out / "heatmap_new_programs.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pd.testing.assert_frame_equal(pd.read_parquet(out / "sweep.parquet"), res.table)
    pd.testing.assert_frame_equal(pd.read_csv(out / "sweep.csv"), res.table, check_dtype=False)
    m = json.loads((out / "manifest.json").read_text())
    assert m["grid"] == {IND: [30.0, 60.0], EROSION: [0.0, 0.1]} and m["points"] == 4
    assert m["years"] == [2016] and m["seed"] == 42 and m["replications"] == 1
    # one grid parameter: no heat map
    one = cgt_sim.sweep(BASELINE, {IND: [30]}, replications=1, until=2015, metrics=["new_programs"], workers=1)
    assert not list(one.save(tmp_path / "one").glob("*.png"))


def test_cli_writes_the_folder_and_prints_the_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["sweep", str(BASELINE), "--grid", f"{IND}=30,60", "--grid", f"{EROSION}=0,0.1",
                                      "--until", "2016", "-r", "1", "-w", "1", "--metric", "new_programs",
                                      "--years", "2015,2016"])
    assert result.exit_code == 0, result.output
    assert "ind_review_working_days" in result.stdout and "sweep written to" in result.stdout  # the key's last name heads its column
    assert "mean of 1 replication in 2016" in result.stdout and "other years (2015): in results" in " ".join(result.stdout.split())
    out = tmp_path / "results" / "baseline_sweep"
    assert len(pd.read_csv(out / "sweep.csv")) == 8 and (out / "heatmap_new_programs.png").exists()


def test_a_scenario_name_the_chart_fonts_cannot_draw_is_one_note(tmp_path, monkeypatch):
    """Heat maps (and sensitivity's bar chart, drawn the same way) of a scenario named in
    Chinese: one note where no installed font has the characters, never a warning per glyph."""
    import warnings

    from cgt_sim.report import chart_fonts

    monkeypatch.chdir(tmp_path)
    (tmp_path / "city.yaml").write_text(f"name: 城市基金\nextends: {BASELINE}\n", encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = CliRunner().invoke(app, ["sweep", "city.yaml", "--grid", f"{IND}=30,60", "--grid", f"{EROSION}=0,0.1",
                                          "--until", "2015", "-r", "1", "-w", "1", "--metric", "new_programs", "-q"])
    assert result.exit_code == 0, result.output
    assert [str(w.message) for w in caught if "Glyph" in str(w.message)] == []
    notes = [ln for ln in result.stderr.splitlines() if ln.strip()]
    if chart_fonts(["城市基金"])[1]:  # no font with Chinese characters installed
        assert len(notes) == 1 and notes[0].startswith("note: the charts' fonts have no 城市基金"), notes
    else:
        assert notes == []
    assert (tmp_path / "results" / "城市基金_sweep" / "heatmap_new_programs.png").exists()


def test_a_table_too_wide_for_the_terminal_gives_a_row_per_point_and_metric(tmp_path, monkeypatch):
    """At 80 columns two long grid keys and six metrics would be cut off; every metric of every
    point is still shown."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(app, ["sweep", str(BASELINE), "--grid", f"{IND}=30,60", "--grid", f"{EROSION}=0,0.1",
                                      "--until", "2015", "-r", "1", "-w", "1"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    text = result.stdout
    for word in ("marketing", "IND", "treated", "goods", "net price", "vein-to-vein"):  # every metric
        assert text.count(word) == 4, word  # once per grid point


BAD = {
    "no_grid": ([], ["--grid: give at least one parameter"]),
    "no_equals": (["--grid", IND], ["--grid", IND, "expected key=v1,v2"]),
    "no_values": (["--grid", f"{IND}="], ["--grid", "expected key=v1,v2"]),
    "empty_value": (["--grid", f"{IND}=30,,60"], ["--grid", IND, "empty value"]),
    "key_twice": (["--grid", f"{IND}=30", "--grid", f"{IND}=60"], ["--grid", IND, "given twice"]),
    "unknown_key": (["--grid", "regulatory.ind_review_workingdays=30"],
                    ["--grid: regulatory.ind_review_workingdays: unknown parameter",
                     f"did you mean {IND}?"]),
    "out_of_range": (["--grid", "regulatory.p_ind_clear=0.5,1.3"],
                     ["--grid: regulatory.p_ind_clear: must be between 0 and 1 (got 1.3)"]),
    "not_whole": (["--grid", "manufacturing.suites_2015.beijing=2.5"],
                  ["--grid: manufacturing.suites_2015.beijing: must be a whole number"]),
    "value_twice": (["--grid", f"{IND}=30,30.0"], ["--grid", IND, "the value 30.0 is listed twice"]),
    "horizon": (["--grid", "simulation.horizon_year=2030,2035"], ["--grid: simulation.horizon_year: cannot be swept"]),
    "dated_value": (["--grid", f"{IND}={{value: 30}}"], ["--grid", IND]),
    "a_list_split_at_its_commas": (["--grid", f"{IND}=[30, 60]"],
                                   [f"--grid: {IND}: could not read the value '[30' (values are split at commas: "
                                    "give single values"]),
    "unknown_metric": (["--grid", f"{IND}=30", "--metric", "nope"], ["--metric: unknown metric 'nope'"]),
    "bad_years": (["--grid", f"{IND}=30", "--years", "2030,x"], ["--years: expected comma-separated years"]),
    "year_after_until": (["--grid", f"{IND}=30", "--until", "2020", "--years", "2025"],
                         ["--years: 2025 is outside the simulated years 2015-2020"]),
    "replications_zero": (["--grid", f"{IND}=30", "-r", "0"], ["--replications: must be a whole number >= 1"]),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_input_is_one_line_and_writes_nothing(name, tmp_path, monkeypatch):
    args, fragments = BAD[name]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["sweep", str(BASELINE), *args])
    check_error(result.exit_code, result.stdout, result.stderr, fragments)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_that_is_not_a_result_is_left_alone(tmp_path):
    other = tmp_path / "precious"
    other.mkdir()
    (other / "keep.txt").write_text("keep me")
    before = folder_bytes(other)
    result = CliRunner().invoke(app, ["sweep", str(BASELINE), "--grid", f"{IND}=30", "--out", str(other)])
    check_error(result.exit_code, result.stdout, result.stderr, [str(other), "not a cgt-sim result folder"])
    assert folder_bytes(other) == before


@pytest.mark.parametrize("kw,message", [
    (dict(seed=-1), "seed: must be a whole number >= 0 (got -1)"),
    (dict(seed="1"), "seed: must be a whole number >= 0 (got '1')"),
    (dict(workers=0), "workers: must be a whole number >= 1 (got 0)"),
    (dict(workers="2"), "workers: must be a whole number >= 1 (got '2')"),
    (dict(replications=0), "replications: must be a whole number >= 1 (got 0)"),
])
def test_python_sweep_and_sensitivity_check_counts_before_running(kw, message):
    ran = []
    with pytest.raises(cgt_sim.OptionError) as info:
        cgt_sim.sweep(BASELINE, {IND: [30, 60]}, **{"replications": 1, "until": 2016, "workers": 2, **kw},
                      progress=lambda *a: ran.append(a))
    assert str(info.value) == message and not ran
    uncertain = ROOT / "scenarios" / "baseline_uncertain.yaml"
    with pytest.raises(cgt_sim.OptionError) as info:
        cgt_sim.sensitivity(uncertain, "ind_approvals_2016", "morris", samples=2,
                            **{"replications": 1, "workers": 2, **kw}, progress=lambda *a: ran.append(a))
    assert str(info.value) == message and not ran


def test_errors_raised_in_worker_processes_come_back_whole():
    import pickle

    from cgt_sim.runner import Interrupted

    err = pickle.loads(pickle.dumps(cgt_sim.ScenarioError("f.yaml", "set.x", "must be 1")))
    assert (str(err), type(err), err.key) == ("f.yaml: set.x: must be 1", cgt_sim.ScenarioError, "set.x")
    err = pickle.loads(pickle.dumps(cgt_sim.OptionError("until", "must be 2030", key="k")))
    assert (str(err), type(err), err.argument) == ("until: k: must be 2030", cgt_sim.OptionError, True)
    stop = pickle.loads(pickle.dumps(Interrupted(3, 10, Path("r.partial"))))
    assert (stop.finished, stop.total, stop.partial, str(stop)) == (3, 10, Path("r.partial"),
                                                                   "3 of 10 replications finished and kept in r.partial")


def test_a_dated_parameter_keeps_its_dates_when_swept(tmp_path, monkeypatch):
    """Sweeping a policy the scenario starts on a date replaces its value from that date: at the
    scenario's own values the sweep reproduces the scenario's run."""
    reform = ROOT / "scenarios" / "payment_reform.yaml"
    grid = {"market.nrdl_listing_hazard": [0.5], "market.city_insurance_coverage": [0.3]}
    res = cgt_sim.sweep(reform, grid, replications=1, seed=4, until=2026, years=[2026], metrics=["patients_treated"],
                        workers=1)
    assert res.manifest["grid_dates"] == {"market.nrdl_listing_hazard": {"from": "2026-01-01", "to": None},
                                          "market.city_insurance_coverage": {"from": "2026-01-01",
                                                                             "to": "2030-01-01"}}
    run = cgt_sim.run(reform, replications=1, seed=4, until=2026, workers=1).summary("patients_treated")
    assert res.table["mean"].iloc[0] == pytest.approx(float(run[run["year"] == 2026]["mean"].iloc[0]))
    # and before its date a swept policy changes nothing
    early = cgt_sim.sweep(reform, {"market.nrdl_listing_hazard": [0.0, 0.9]}, replications=1, seed=4, until=2025,
                          years=[2025], metrics=["patients_treated"], workers=1).table
    assert early["mean"].nunique() == 1
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "120")
    out = CliRunner().invoke(app, ["sweep", str(reform), "--grid", "market.nrdl_listing_hazard=0.2,0.5", "-r", "1",
                                   "--until", "2016", "-w", "1", "--metric", "new_programs",
                                   "--out", str(tmp_path / "s")])
    assert out.exit_code == 0, out.output
    assert "market.nrdl_listing_hazard: each value applies from 2026-01-01, the scenario's last change, after the " \
        "last simulated year 2016: no effect" in " ".join(out.stdout.split())
    assert repr(res).startswith("SweepResult(scenario='payment_reform', grid={") and len(repr(res)) < 300
