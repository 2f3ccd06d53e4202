"""Calibration: the targets file, outputs, misfit and objective, the fit, the fitted file."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import cgt_sim
from cgt_sim import CATALOGUE, CLUSTERS, MODALITIES
from cgt_sim.analysis.calibration import (
    Output,
    Target,
    evaluate,
    fit,
    fitted_document,
    load_targets,
    objective,
    prepare,
    score,
    write_fitted,
)
from cgt_sim.cli import app
from cgt_sim.cli.show import source_texts
from cgt_sim.errors import CgtSimError, OptionError
from cgt_sim.sources import SOURCES

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TARGETS = ROOT / "calibration" / "targets.yaml"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the project's targets

def test_project_targets_parse_and_cite():
    ts = load_targets(TARGETS)
    assert len(ts.targets) >= 10 and len(ts.fitted) >= 8
    assert {t.figure for t in ts.targets} >= {"A1", "A2", "A3", "A15", "A16", "A12", "B4", "B5", "B6"}
    for t in ts.targets:
        assert t.tolerance > 0 and t.weight > 0 and t.note
        assert all(k in SOURCES for k in t.source)
    for fp in ts.free:
        p = CATALOGUE[fp.key]
        assert p.is_assumption, f"{fp.key}: a sourced value is an input, not something to fit"
        assert p.low <= fp.low < fp.high <= p.high
    # the fit needs no more than the years up to 2026: each evaluation stays cheap
    assert max(t.year for t in ts.fitted) <= 2026


# --------------------------------------------------------------------------- bad input

GOOD_TARGET = "    output: cumulative_ind_approvals\n    year: 2018\n    value: 50\n    tolerance: 10\n    source: A002\n"
FREE = "free:\n  research.preclinical_years: {}\n"

BAD_TARGETS = {
    "empty file": ("", [None, "empty"]),
    "malformed YAML": ("targets: [oops\n", [None, "malformed YAML"]),
    "not a mapping": ("- 1\n- 2\n", [None, "mapping"]),
    "unknown top-level key": (FREE + "targetz: {}\n", ["targetz", "did you mean targets?"]),
    "no targets": (FREE + "targets: {}\n", ["targets", "at least one target"]),
    "horizon fitted": ("free:\n  simulation.horizon_year: {range: [2020, 2030]}\ntargets:\n  t:\n" + GOOD_TARGET,
                       ["free.simulation.horizon_year", "not a model parameter to fit"]),
    "unknown output": (FREE + "targets:\n  t:\n" + GOOD_TARGET.replace("cumulative_ind_approvals", "programs_in_clinik"),
                       ["targets.t.output", "unknown output 'programs_in_clinik'", "did you mean programs_in_clinic?"]),
    "unknown member": (FREE + "targets:\n  t:\n" + GOOD_TARGET.replace("cumulative_ind_approvals", "new_ind_approvals.tibet"),
                       ["targets.t.output", "modality or a cluster"]),
    "tolerance zero": (FREE + "targets:\n  t:\n" + GOOD_TARGET.replace("tolerance: 10", "tolerance: 0"),
                       ["targets.t.tolerance", "must be > 0 (got 0)"]),
    "tolerance negative": (FREE + "targets:\n  t:\n" + GOOD_TARGET.replace("tolerance: 10", "tolerance: -3"),
                           ["targets.t.tolerance", "must be > 0 (got -3)"]),
    "tolerance missing": (FREE + "targets:\n  t:\n" + GOOD_TARGET.replace("    tolerance: 10\n", ""),
                          ["targets.t.tolerance", "missing"]),
    "two kinds": (FREE + "targets:\n  t:\n" + GOOD_TARGET + "    interval: [1, 2]\n", ["targets.t", "exactly one of"]),
    "interval reversed": (FREE + "targets:\n  t:\n" + GOOD_TARGET.replace("    value: 50\n    tolerance: 10\n",
                                                                          "    interval: [60, 40]\n"),
                          ["targets.t.interval", "low < high"]),
    "year not a year": (FREE + "targets:\n  t:\n" + GOOD_TARGET.replace("2018", "soon"), ["targets.t.year", "a year"]),
    "unknown source": (FREE + "targets:\n  t:\n" + GOOD_TARGET.replace("A002", "A02"),
                       ["targets.t.source", "key of cgt_sim/sources.py", "did you mean A002?"]),
    "unknown target key": (FREE + "targets:\n  t:\n" + GOOD_TARGET + "    weigth: 2\n",
                           ["targets.t.weigth", "did you mean weight?"]),
    "free without a range": ("free:\n  clinical.p_phase1.autologous_car_t: {}\ntargets:\n  t:\n" + GOOD_TARGET,
                             ["free.clinical.p_phase1.autologous_car_t.range", "no plausible range"]),
    "unknown free parameter": ("free:\n  research.preclinical_yrs: {}\ntargets:\n  t:\n" + GOOD_TARGET,
                               ["free.research.preclinical_yrs", "unknown parameter", "did you mean"]),
    "dated free parameter": ("free:\n  financing.capital_climate: {range: [0.5, 2]}\ntargets:\n  t:\n" + GOOD_TARGET,
                             ["free.financing.capital_climate", "dated values"]),
    "range outside valid": ("free:\n  research.preclinical_success: {range: [0.2, 1.5]}\ntargets:\n  t:\n" + GOOD_TARGET,
                            ["free.research.preclinical_success.range", "between 0 and 1"]),
    "start outside range": ("free:\n  research.preclinical_years: {range: [1, 3], start: 5}\ntargets:\n  t:\n" + GOOD_TARGET,
                            ["free.research.preclinical_years.start", "[1, 3]"]),
}


@pytest.mark.parametrize("case", list(BAD_TARGETS))
def test_bad_targets_file_names_file_and_key(tmp_path, case):
    text, fragments = BAD_TARGETS[case]
    path = write(tmp_path / "targets.yaml", text)
    with pytest.raises(CgtSimError) as info:
        load_targets(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    key, *rest = fragments
    if key is not None:
        assert info.value.key == key or info.value.key.startswith(key), (info.value.key, key)
    for fragment in rest:
        assert fragment in message, (fragment, message)


def test_missing_targets_file(tmp_path):
    with pytest.raises(CgtSimError, match="file not found"):
        load_targets(tmp_path / "nope.yaml")
    with pytest.raises(OptionError, match=r"^targets: must be a path \(text or a pathlib.Path\), not 5 \(int\)$"):
        cgt_sim.history_match(5)


def test_fitting_needs_free_parameters_and_fitted_targets(tmp_path):
    path = write(tmp_path / "t.yaml", "targets:\n  t:\n" + GOOD_TARGET)
    with pytest.raises(CgtSimError, match="free: name at least one parameter"):
        prepare(path, BASELINE)
    path = write(tmp_path / "u.yaml", FREE + "targets:\n  t:\n" + GOOD_TARGET + "    fit: false\n")
    with pytest.raises(CgtSimError, match="no target has fit: true"):
        prepare(path, BASELINE)
    path = write(tmp_path / "v.yaml", FREE + "targets:\n  t:\n" + GOOD_TARGET.replace("2018", "2010"))
    with pytest.raises(CgtSimError, match="targets.t.year: must not be before the scenario's start year 2015"):
        prepare(path, BASELINE)


# --------------------------------------------------------------------------- misfit

def _target(kind, value, tolerance):
    return Target("t", Output("x", "annual", "x"), 2020, kind, value, tolerance, ("A001",))


def test_misfit_and_pass_rule():
    t = _target("value", 10.0, 2.0)
    assert t.misfit(14.0) == 2.0 and not t.passes(14.0)
    assert t.misfit(8.0) == -1.0 and t.passes(8.0)
    low = _target("at_least", 50.0, 10.0)
    assert low.misfit(500.0) == 0.0 and low.passes(500.0)
    assert low.misfit(45.0) == -0.5 and low.passes(45.0)
    assert low.misfit(30.0) == -2.0 and not low.passes(30.0)
    high = _target("at_most", 5.0, 1.0)
    assert high.misfit(-3.0) == 0.0 and high.misfit(7.0) == 2.0
    assert math.isnan(t.misfit(float("nan"))) and not t.passes(float("nan"))
    assert t.expected() == "10.0 ± 2.0" and low.expected() == ">= 50.0 (tolerance 10.0)"


def test_a_target_is_written_as_the_simulated_figures_beside_it():
    """validate's table puts the target beside the simulated mean and interval: both in the same
    short form (45k-60k beside 52k [48k-56k], not 45,000-60,000)."""
    from cgt_sim.analysis.validate import Check

    wide = _target("interval", 52_500.0, 7_500.0)
    assert wide.expected() == "45k-60k"
    row = Check("target", "t", 52_000.0, 48_000.0, 56_000.0, wide.expected(), True)
    assert row.simulated_text() == "52k [48k-56k]"
    assert _target("interval", 2_400.0, 1_200.0).expected() == "1200-3600"
    assert _target("value", 1.5e9, 0.3e9).expected() == "1.50bn ± 300.00M"


# --------------------------------------------------------------------------- outputs and objective

@pytest.fixture(scope="module")
def short_run():
    sc = cgt_sim.load_scenario(BASELINE, use_calibrated=False)
    return sc, cgt_sim.run(sc, replications=2, seed=5, workers=1, until=2020)


def test_program_outputs_add_up_to_the_annual_columns(short_run):
    _, res = short_run
    a = res.annual.set_index(["replication", "year"])
    for year in (2018, 2020):
        rows = a.xs(year, level="year")
        for measure, column in (("cumulative_approvals", "cumulative_approvals"),
                                ("cumulative_ind_approvals", "cumulative_ind_approvals"),
                                ("new_ind_approvals", "new_ind_approvals")):
            for group in (MODALITIES, CLUSTERS):
                total = sum(Output("", "programs", measure, m).values(res, year) for m in group)
                np.testing.assert_array_equal(total, rows[column].to_numpy())
        ended = rows[["programs_approved", "programs_failed", "programs_abandoned"]].sum(axis=1)
        started = sum(rows[f"programs_{s}"] for s in ("preclinical", "iit", "ind_review", "phase1", "phase2",
                                                      "phase3", "nda_review", "stalled")) + ended
        active = sum(Output("", "programs", "active_programs", c).values(res, year) for c in CLUSTERS)
        np.testing.assert_array_equal(active, (started - ended).to_numpy())
    assert (rows["cumulative_ind_approvals"] > 0).all()  # the sums are not trivially zero


def test_inflection_year_of_a_logistic_curve():
    years = np.arange(2015, 2046)
    curve = 1000.0 / (1.0 + np.exp(-0.5 * (years - 2032)))
    annual = pd.DataFrame({"replication": 0, "year": years, "patients_treated": curve})
    res = cgt_sim.ResultSet(annual, pd.DataFrame(), pd.DataFrame(), {"start_year": 2015})
    out = Output("inflection_year.patients_treated", "inflection", "patients_treated")
    assert out.values(res, 2045)[0] == 2032
    # cut before the inflection, the steepest rise is at the end of the window
    assert out.values(res, 2028)[0] == 2027


def test_objective_is_zero_at_the_simulated_values_and_grows_with_the_misfit(short_run):
    _, res = short_run
    outputs = [Output("cumulative_ind_approvals", "annual", "cumulative_ind_approvals"),
               Output("programs_in_clinic", "annual", "programs_in_clinic"),
               Output("new_ind_approvals.jiangsu", "programs", "new_ind_approvals", "jiangsu")]
    means = [float(o.values(res, 2020).mean()) for o in outputs]
    exact = [Target(o.name, o, 2020, "value", m, 5.0, ("A002",), weight=2.0) for o, m in zip(outputs, means)]
    scored = score(res, exact)
    assert objective(scored) == 0.0 and all(s.passed for s in scored)
    assert all(s.p5 <= s.mean <= s.p95 for s in scored)
    off = [Target(t.name, t.output, t.year, "value", t.value + 10.0, 5.0, t.source, weight=2.0) for t in exact]
    assert objective(score(res, off)) == pytest.approx(3 * 2.0 * 2.0 ** 2)


# --------------------------------------------------------------------------- the fit on a toy problem

TOY = """
free:
  research.arrivals_2015.autologous_car_t: {{range: [20, 120], start: 30}}
targets:
  car_t_ind_approvals_2019:
    output: cumulative_ind_approvals.autologous_car_t
    year: 2019
    value: {value}
    tolerance: 2
    source: A002
  programs_2019_check:
    output: new_programs
    year: 2019
    at_least: 1
    tolerance: 1
    source: A002
    fit: false
"""


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """One free parameter, one target: what the model gives at 90 arrivals (same seed and
    replications as the fit, so the objective is exactly zero there)."""
    root = tmp_path_factory.mktemp("toy")
    sc = cgt_sim.load_scenario(BASELINE, use_calibrated=False)
    probe = write(root / "probe.yaml", TOY.format(value=1))
    ts = load_targets(probe)
    truth = evaluate(sc, ts.fitted, 2, 3, workers=1, overrides={"research.arrivals_2015.autologous_car_t": 90})
    path = write(root / "targets.yaml", TOY.format(value=truth[0].mean))
    return root, path, truth[0].mean


def test_fit_finds_the_toy_parameter(toy):
    root, path, _value = toy
    ts, sc = prepare(path, BASELINE)
    seen = []
    result = fit(sc, ts, budget=10, replications=2, seed=3, workers=1,
                 progress=lambda done, total, best: seen.append((done, total, best)))
    assert result.start == {"research.arrivals_2015.autologous_car_t": 30}
    assert result.objective_start > 25  # far off at the start (more than 5 tolerances)
    assert result.objective < result.objective_start / 20
    assert abs(result.values["research.arrivals_2015.autologous_car_t"] - 90) < 15
    assert [d for d, _, _ in seen] == list(range(1, result.evaluations + 1)) and result.evaluations <= 10
    bests = [b for _, _, b in seen]
    assert bests == sorted(bests, reverse=True) and bests[-1] == pytest.approx(result.objective)
    # the final table scores every target, the unfitted check too, at the fitted values
    assert [s.target.name for s in result.scored] == ["car_t_ind_approvals_2019", "programs_2019_check"]

    doc = fitted_document(result, ts, BASELINE, 2, 3, 10)
    out = write_fitted(root / "fitted.yaml", doc)
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []  # no temporary file left
    back = yaml.safe_load(out.read_text())
    assert back["parameters"] == result.values and back["seed"] == 3 and back["replications"] == 2
    assert back["targets"]["car_t_ind_approvals_2019"]["pass"] == result.scored[0].passed
    assert back["targets"]["programs_2019_check"]["fitted"] is False
    assert back["objective_start"] > back["objective"]

    # a scenario that reads the fitted file takes its values and cites it
    scen = write(root / "s.yaml", "name: s\nextends: " + str(BASELINE) + "\ncalibrated: fitted.yaml\n")
    loaded = cgt_sim.load_scenario(scen)
    key = "research.arrivals_2015.autologous_car_t"
    assert loaded.value(key) == result.values[key]
    assert loaded.origin[key] == str(out) and loaded.calibrated[key] == str(out)  # over the baseline's
    assert source_texts(loaded)[key].startswith(f"calibrated ({out}, to the targets in {doc['targets_file']}): "
                                               "fitted by cgt-sim calibrate")
    # ... unless told not to, and a --set wins over it
    assert cgt_sim.load_scenario(scen, use_calibrated=False).value(key) == CATALOGUE[key].default
    overridden = cgt_sim.load_scenario(scen, overrides={key: 40})
    assert overridden.value(key) == 40 and key not in overridden.calibrated


def test_bad_fitted_files(tmp_path):
    scen = write(tmp_path / "s.yaml", f"extends: {BASELINE}\ncalibrated: fitted.yaml\n")
    with pytest.raises(CgtSimError) as info:
        cgt_sim.load_scenario(scen)
    assert str(info.value) == f"{scen}: calibrated: file not found: {tmp_path / 'fitted.yaml'}"
    write(tmp_path / "fitted.yaml", "parameters:\n  research.preclinical_success: 1.4\n")
    with pytest.raises(CgtSimError) as info:
        cgt_sim.load_scenario(scen)
    assert str(info.value).startswith(f"{tmp_path / 'fitted.yaml'}: parameters.research.preclinical_success: "
                                      "must be between 0 and 1")
    write(tmp_path / "fitted.yaml", "objective: 1\n")  # no fitted file: the scenario's key is wrong
    with pytest.raises(CgtSimError) as info:
        cgt_sim.load_scenario(scen)
    assert str(info.value) == (f"{scen}: calibrated: {tmp_path / 'fitted.yaml'} is not a fitted file written by "
                               "cgt-sim calibrate (it has no parameters)")
    write(tmp_path / "fitted.yaml", "parameters: []\n")  # a fitted file gone wrong
    with pytest.raises(CgtSimError, match="fitted.yaml: parameters: must map"):
        cgt_sim.load_scenario(scen)
    write(tmp_path / "s.yaml", f"extends: {BASELINE}\ncalibrated: 3\n")
    with pytest.raises(CgtSimError, match="s.yaml: calibrated: must be a file name"):
        cgt_sim.load_scenario(scen)


# --------------------------------------------------------------------------- the command

def calibrate_cli(root, path, monkeypatch, *args):
    """``cgt-sim calibrate <path> --scenario <baseline> ARGS -w 1`` run from ``root`` in a wide
    terminal (progress bars on one line each)."""
    monkeypatch.chdir(root)
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner().invoke(app, ["calibrate", str(path), "--scenario", str(BASELINE), *args, "-w", "1"])


def test_calibrate_command_writes_the_fitted_file(toy, monkeypatch):
    root, path, _ = toy
    out = root / "cli" / "fitted.yaml"
    result = calibrate_cli(root, path, monkeypatch, "--budget", "2", "-r", "1", "--seed", "3", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "car_t_ind_approvals_2019" in result.stdout and "research.arrivals_2015.autologous_car_t" in result.stdout
    assert f"written to {out}" in result.stdout.replace("\n", "")
    doc = yaml.safe_load(out.read_text())
    assert doc["evaluations"] == 2 and doc["budget"] == 2
    assert doc["command"].startswith(f"cgt-sim calibrate {path} --scenario {BASELINE} --budget 2")
    # the default output sits beside the targets file
    result = calibrate_cli(root, path, monkeypatch, "--budget", "1", "-r", "1", "--quiet")
    assert result.exit_code == 0 and result.stdout == ""
    assert (root / "fitted.yaml").exists()
    # and replaces a fit only to the same targets file: other targets beside it need --out
    other = root / "other_targets.yaml"
    other.write_text(path.read_text())
    before = (root / "fitted.yaml").read_bytes()
    result = calibrate_cli(root, other, monkeypatch, "--budget", "1", "-r", "1", "--quiet")
    assert result.exit_code == 2 and result.stderr.startswith(
        f"error: {root / 'fitted.yaml'}: holds the fit to {path}, not to {other} (nothing was written); "
        "give --out")
    assert (root / "fitted.yaml").read_bytes() == before


def test_calibrate_can_start_where_an_earlier_fit_ended(toy, monkeypatch):
    """--start: the search begins at a fitted file's parameters (a warm start after a model
    change) and never ends worse than there."""
    root, path, _ = toy
    first = root / "warm" / "first.yaml"
    assert calibrate_cli(root, path, monkeypatch, "--budget", "3", "-r", "1", "--seed", "3", "--out",
                         str(first), "--quiet").exit_code == 0
    earlier = yaml.safe_load(first.read_text())
    second = root / "warm" / "second.yaml"
    result = calibrate_cli(root, path, monkeypatch, "--budget", "2", "-r", "1", "--seed", "3", "--out",
                           str(second), "--quiet", "--start", str(first))
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load(second.read_text())
    assert doc["start"] == earlier["parameters"] and doc["command"].endswith(f" --start {first} --out {second}")
    assert doc["objective_start"] == pytest.approx(earlier["objective"], rel=1e-3)
    assert doc["objective"] <= doc["objective_start"]
    # a start that is not a fit of these free parameters is one line naming the file
    bad = root / "warm" / "bad.yaml"
    bad.write_text("parameters:\n  research.preclinical_years: 2.5\n")
    result = calibrate_cli(root, path, monkeypatch, "--budget", "1", "-r", "1", "--quiet", "--start", str(bad),
                           "--out", str(root / "warm" / "third.yaml"))
    assert result.exit_code == 2 and f"{bad}: parameters: must give exactly the free parameters" in result.stderr
    assert "(missing research.arrivals_2015.autologous_car_t" in result.stderr
    assert "not free in this targets file: research.preclinical_years" in result.stderr
    # --out never replaces a file that is not a fitted file (here: the targets file itself)
    before = path.read_bytes()
    result = calibrate_cli(root, path, monkeypatch, "--budget", "1", "-r", "1", "--quiet", "--out", str(path))
    assert result.exit_code == 2 and "is not a fitted file written by cgt-sim calibrate" in result.stderr
    assert path.read_bytes() == before


def test_calibrate_progress_agrees_with_the_evaluations_reported(toy, monkeypatch):
    """The bar counts the search's evaluations and, apart, the final run's replications: its
    total is the number the last line reports (it once counted both on one bar: 4/4 for
    --budget 3 -r 1, then "after 3 evaluations")."""
    root, path, _ = toy
    out = root / "progress" / "fitted.yaml"
    result = calibrate_cli(root, path, monkeypatch, "--budget", "3", "-r", "1", "--seed", "3", "--out", str(out))
    assert result.exit_code == 0, result.output
    n = yaml.safe_load(out.read_text())["evaluations"]
    assert n == 3
    assert re.search(r"calibrate [━ ]+3/3 +evaluations", result.stdout)
    assert re.search(r"final run [━ ]+1/1 +replications at the fitted values", result.stdout)
    assert "4/4" not in result.stdout
    assert "after 3 evaluations" in result.stdout.replace("\n", "")


def test_calibrate_progress_when_the_search_ends_before_the_budget(toy, monkeypatch):
    """A search that converges before spending its budget: the bar's total becomes the number of
    evaluations that ran, the number reported (no real runs: a stand-in for evaluate)."""
    from cgt_sim.analysis import calibration
    from cgt_sim.analysis.calibration import Scored

    root, path, value = toy
    key = "research.arrivals_2015.autologous_car_t"

    def evaluate_stand_in(scenario, targets, replications, seed, workers=None, overrides=None, progress=None):
        if progress:
            progress(0, replications)
            progress(replications, replications)
        mean = value * overrides[key] / 90  # on target at 90 arrivals
        return [Scored(t, mean, mean, mean, replications) for t in targets]

    monkeypatch.setattr(calibration, "evaluate", evaluate_stand_in)
    out = root / "converged" / "fitted.yaml"
    result = calibrate_cli(root, path, monkeypatch, "--budget", "100", "-r", "2", "--out", str(out))
    assert result.exit_code == 0, result.output
    n = yaml.safe_load(out.read_text())["evaluations"]
    assert 1 < n < 100
    assert re.search(rf"calibrate [━ ]+{n}/{n} +evaluations", result.stdout)
    assert re.search(r"final run [━ ]+2/2 +replications at the fitted values", result.stdout)
    assert "/100" not in result.stdout and "/102" not in result.stdout
    assert f"after {n} evaluations" in result.stdout.replace("\n", "")


@pytest.mark.parametrize("args,needle", [
    (["--budget", "0"], "error: --budget: must be a whole number >= 1 (got 0)"),
    (["--replications", "0"], "error: --replications"),
    (["--scenario", "nope.yaml"], "error: nope.yaml: file not found"),
])
def test_calibrate_bad_options(toy, monkeypatch, args, needle):
    root, path, _ = toy
    monkeypatch.chdir(root)
    before = sorted(p.name for p in root.iterdir())
    result = CliRunner().invoke(app, ["calibrate", str(path), *args])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(needle) and len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in root.iterdir()) == before


def test_calibrate_bad_targets_file_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path / "targets.yaml", FREE + "targets:\n  t:\n" + GOOD_TARGET.replace("tolerance: 10", "tolerance: 0"))
    result = CliRunner().invoke(app, ["calibrate", "targets.yaml", "--scenario", str(BASELINE)])
    assert result.exit_code == 2
    assert result.stderr == "error: targets.yaml: targets.t.tolerance: must be > 0 (got 0)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_target_after_the_horizon_is_noted(tmp_path):
    """Runs go on to a target year after the scenario's horizon, as documented; a note says so,
    since a mistyped year (2060 for 2025) does the same."""
    late = write(tmp_path / "late.yaml", TARGETS.read_text(encoding="utf-8").replace(
        "year: 2025", "year: 2060", 1))
    ts, sc = prepare(late, BASELINE)
    notes = ts.after_horizon(sc)
    assert len(notes) == 1 and "year 2060 is after the scenario's horizon 2045; the runs go on to 2060" in notes[0]
    assert load_targets(TARGETS).after_horizon(sc) == []
