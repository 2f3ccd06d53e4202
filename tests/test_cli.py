"""The ``cgt-sim`` command line end to end, in subprocesses.

Every run is short (horizon <= 2022, <= 2 replications). Independent commands run a few at a
time in parallel to keep the suite fast: first the good runs, then every bad input pointed at
the folder a good run wrote. Further bad inputs run in this process with typer's CliRunner.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import check_error, folder_bytes
from typer.testing import CliRunner

import cgt_sim
from cgt_sim import CATALOGUE
from cgt_sim.cli import app
from cgt_sim.sources import cite

ROOT = Path(__file__).resolve().parents[1]
IND = "regulatory.ind_review_working_days"
FITTED = yaml.safe_load((ROOT / "calibration" / "fitted.yaml").read_text())["parameters"]
RUN = ["run", "scenarios/baseline.yaml", "--replications", "2", "--seed", "1", "--until", "2022"]


def cgt_sim_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "cgt_sim.cli", *args]


def _env() -> dict:
    env = dict(os.environ)
    env.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb", "PYTHONIOENCODING": "utf-8"})
    env.pop("PYTHONWARNINGS", None)
    return env


def run_all(commands: dict, cwd: Path, parallel: int = 4) -> dict:
    """Run {name: argv} in cwd, a few at a time; return {name: CompletedProcess}."""
    def one(args):
        return subprocess.run(cgt_sim_cmd(*args), cwd=cwd, env=_env(), capture_output=True, text=True,
                              timeout=300)
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        futures = {name: pool.submit(one, args) for name, args in commands.items()}
        return {name: f.result() for name, f in futures.items()}


# bad inputs: name -> (argv, fragments the single stderr line must contain).
# These run in subprocesses (the whole program, as a user runs it) ...
BAD = {
    "malformed_yaml": (["run", "bad/malformed.yaml"], ["bad/malformed.yaml", "line 4, column 4", "malformed YAML"]),
    "unknown_top_level_key": (["run", "bad/unknown_key.yaml"], ["bad/unknown_key.yaml", "sett", "did you mean set?"]),
    "probability_1_3": (["run", "bad/x.yaml"],
                        ["bad/x.yaml", "set.regulatory.p_ind_clear", "must be between 0 and 1 (got 1.3)"]),
    "negative_capacity": (["run", "scenarios/baseline.yaml", "--set", "manufacturing.suites_2015.beijing=-1"],
                          ["--set", "manufacturing.suites_2015.beijing", "got -1"]),
    "cyclic_extends": (["run", "bad/a.yaml"], ["b.yaml", "extends", "cyclic extends (a.yaml -> b.yaml -> a.yaml)"]),
    "missing_file": (["run", "bad/nope.yaml"], ["bad/nope.yaml", "file not found"]),
    "set_without_equals": (["run", "scenarios/baseline.yaml", "--set", IND], ["--set", IND, "key=value"]),
    "until_before_start": (["run", "scenarios/baseline.yaml", "--until", "2010"],
                           ["--until", "start year 2015", "2010"]),
}

# ... and these in this process (typer's CliRunner), to keep the suite fast.
BAD_IN_PROCESS = {
    "unknown_parameter": (["run", "bad/unknown_param.yaml"],
                          ["bad/unknown_param.yaml", "set.regulatory.ind_review_workingdays",
                           "did you mean regulatory.ind_review_working_days?"]),
    "probability_1_3_set": (["run", "scenarios/baseline.yaml", "--set", "regulatory.p_ind_clear=1.3"],
                            ["--set", "regulatory.p_ind_clear", "got 1.3"]),
    "non_integer_capacity": (["run", "scenarios/baseline.yaml", "--set", "manufacturing.suites_2015.beijing=2.5"],
                             ["--set", "manufacturing.suites_2015.beijing", "whole number"]),
    "self_extends": (["run", "bad/self.yaml"], ["self.yaml", "extends", "cyclic"]),
    "missing_extends": (["run", "bad/orphan.yaml"], ["orphan.yaml", "extends", "file not found", "gone.yaml"]),
    "directory_as_scenario": (["run", "bad"], ["bad", "cannot read"]),
    "set_without_value": (["run", "scenarios/baseline.yaml", "--set", f"{IND}="], ["--set", IND, "needs a value"]),
    "set_unreadable_value": (["run", "scenarios/baseline.yaml", "--set", f"{IND}={{value: 30"],
                             ["--set", IND, "could not read"]),
    "set_impossible_date": (["run", "scenarios/baseline.yaml", "--set", f"{IND}={{value: 30, from: 2026-02-30}}"],
                            ["--set", IND, "expected a date", "2026-02-30"]),
    "set_twice": (["run", "scenarios/baseline.yaml", "--set", f"{IND}=30", "--set", f"{IND}=40"],
                  ["--set", IND, "given twice"]),
    "set_unknown_key": (["run", "scenarios/baseline.yaml", "--set", "regulatory.ind_review=30"],
                        ["--set", "regulatory.ind_review", "unknown parameter"]),
    "set_wrong_type": (["run", "scenarios/baseline.yaml", "--set", "financing.unconstrained=3"],
                       ["--set", "financing.unconstrained", "true or false"]),
    "set_bad_ramp": (["run", "scenarios/baseline.yaml", "--set",
                      "market.nrdl_listing_hazard={value: 0.3, from: 2028-01-01, to: 2026-01-01}"],
                     ["--set", "market.nrdl_listing_hazard", "must be after 'from'"]),
    "until_after_max": (["run", "scenarios/baseline.yaml", "--until", "2300"],
                        ["error: --until: simulation.horizon_year: must be between 2015 and 2200 (got 2300)"]),
    "unknown_executor": (["run", "scenarios/baseline.yaml", "--executor", "threads"],
                         ["--executor", "unknown executor 'threads'", "process, serial, dask"]),
    "scheduler_without_dask": (["run", "scenarios/baseline.yaml", "--scheduler", "tcp://127.0.0.1:8786"],
                               ["--scheduler", "only used with --executor dask"]),
    "bad_scheduler_address": (["run", "scenarios/baseline.yaml", "--executor", "dask", "--scheduler", "nonsense::x"],
                              ["--scheduler", "cannot connect to 'nonsense::x'"]),
    "scheduler_port_out_of_range": (["run", "scenarios/baseline.yaml", "--executor", "dask", "--scheduler",
                                     "tcp://127.0.0.1:99999"],  # answered at once, not after a timeout
                                    ["--scheduler", "port 99999 is not a port number, which runs from 1 to 65535"]),
    "precision_above_1": (["run", "scenarios/baseline.yaml", "--precision", "1.5", "--metric", "patients_treated"],
                          ["--precision", "between 0 and 1", "got 1.5"]),
    "precision_zero": (["run", "scenarios/baseline.yaml", "--precision", "0", "--metric", "patients_treated"],
                       ["--precision", "between 0 and 1", "got 0.0"]),
    "precision_without_metric": (["run", "scenarios/baseline.yaml", "--precision", "0.05"],
                                 ["--precision", "needs --metric", "cumulative_approvals"]),
    "unknown_metric": (["run", "scenarios/baseline.yaml", "--precision", "0.05", "--metric", "approvalz"],
                       ["--metric", "unknown metric 'approvalz'", "cumulative_approvals, "]),
    "metric_without_precision": (["run", "scenarios/baseline.yaml", "--metric", "patients_treated"],
                                 ["--metric", "only used with --precision"]),
    "allow_other_model_without_resume": (["run", "scenarios/baseline.yaml", "--allow-other-model"],
                                         ["error: --allow-other-model: only used with --resume"]),
    "precision_year_outside": (["run", "scenarios/baseline.yaml", "--precision", "0.05", "--metric",
                                "patients_treated", "--precision-year", "2050"],
                               ["--precision-year", "2015-2045 (got 2050)"]),
    "unknown_program_rows": (["run", "scenarios/baseline.yaml", "--programs", "some"],
                             ["--programs", "unknown choice 'some'", "all, clinical"]),
    "compare_unknown_executor": (["compare", "scenarios/baseline.yaml", "scenarios/faster_approval.yaml",
                                  "--executor", "threads"], ["--executor", "unknown executor 'threads'"]),
    "show_missing_file": (["show", "bad/nope.yaml"], ["bad/nope.yaml", "file not found"]),
    "show_bad_set": (["show", "scenarios/baseline.yaml", "--set", "nonsense"], ["--set", "nonsense"]),
    "zero_suites": (["run", "scenarios/baseline.yaml", "--set", "manufacturing.suites_2015.jiangsu=0"],
                    ["--set", "manufacturing.suites_2015.jiangsu", "must be between 1 and 100000 (got 0)"]),
    "uncertain_can_leave_range": (["run", "bad/unbounded.yaml"],
                                  ["bad/unbounded.yaml", "uncertain.manufacturing.suites_2015.jiangsu",
                                   "must stay between 1 and 100000", "uniform", "triangular"]),
    "name_escapes_results": (["run", "bad/escape.yaml"], ["bad/escape.yaml", "name", "'../../escaped'"]),
    "name_empty": (["run", "bad/noname.yaml"], ["bad/noname.yaml", "name", "must not be empty"]),
    "empty_scenario": (["run", "bad/empty.yaml"],
                       ["bad/empty.yaml: the file is empty; a scenario needs at least a name (or extends)"]),
    "duplicate_key": (["run", "bad/duplicate.yaml"],
                      ["bad/duplicate.yaml: set.regulatory.p_ind_clear: line 4, column 3: duplicate key (first on line 3)"]),
    "show_only_unknown_prefix": (["show", "scenarios/baseline.yaml", "--only", "nosuch"],
                                 ["--only", "no parameter starts with 'nosuch'", "financing, manufacturing"]),
    "show_only_near_miss": (["show", "scenarios/baseline.yaml", "--only", "markte"],
                            ["--only", "no parameter starts with 'markte'", "did you mean market?"]),
    "show_only_near_miss_deeper": (["show", "scenarios/baseline.yaml", "--only", "manufacturing.suite_2015"],
                                   ["did you mean manufacturing.suites_2015?"]),
    "set_without_key": (["run", "scenarios/baseline.yaml", "--set", "=3"],
                        ["--set '=3': expected KEY=VALUE with a parameter name before '='"]),
    "set_blank_key": (["show", "scenarios/baseline.yaml", "--set", " = 3"], ["--set ' = 3'", "parameter name before '='"]),
}


def _with_out(args: list[str]) -> list[str]:
    # (--replace: a bad run is refused for its own reason, not for the longer result in out/r1)
    return args + (["--out", "out/r1", "--workers", "1", "-r", "1", "--replace"] if args[0] == "run" else [])


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    shutil.copytree(ROOT / "scenarios", root / "scenarios")
    shutil.copytree(ROOT / "calibration", root / "calibration")  # the baseline reads fitted.yaml
    bad = root / "bad"
    bad.mkdir()
    (bad / "malformed.yaml").write_text("name: broken\nset:\n  regulatory.p_ind_clear: [0.5\n  x: 1\n")
    (bad / "unknown_key.yaml").write_text("extends: ../scenarios/baseline.yaml\nsett: {}\n")
    (bad / "unknown_param.yaml").write_text("set:\n  regulatory.ind_review_workingdays: 30\n")
    (bad / "x.yaml").write_text("extends: ../scenarios/baseline.yaml\nset:\n  regulatory.p_ind_clear: 1.3\n")
    (bad / "a.yaml").write_text("extends: b.yaml\n")
    (bad / "b.yaml").write_text("extends: a.yaml\n")
    (bad / "self.yaml").write_text("extends: self.yaml\n")
    (bad / "orphan.yaml").write_text("extends: gone.yaml\n")
    (bad / "unbounded.yaml").write_text("extends: ../scenarios/baseline.yaml\nuncertain:\n"
                                        "  manufacturing.suites_2015.jiangsu: {dist: normal, mean: 3, sd: 5}\n")
    (bad / "escape.yaml").write_text("name: ../../escaped\nextends: ../scenarios/baseline.yaml\n")
    (bad / "noname.yaml").write_text("name: ''\nextends: ../scenarios/baseline.yaml\n")
    (bad / "empty.yaml").write_text("# a scenario to be written\n\n")
    (bad / "duplicate.yaml").write_text("extends: ../scenarios/baseline.yaml\nset:\n  regulatory.p_ind_clear: 0.5\n"
                                        "  regulatory.p_ind_clear: 0.6\n")
    return root


@pytest.fixture(scope="module")
def runs(work) -> dict:
    """Phase 1: the good commands. Phase 2: every bad input, with --out at phase 1's result."""
    good = run_all({
        "run_w1": RUN + ["--workers", "1", "--out", "out/r1"],
        "run_w2": RUN + ["--workers", "2", "--out", "out/r2", "--quiet"],
        "run_set": ["run", "scenarios/baseline.yaml", "-r", "1", "--until", "2017", "--quiet", "--workers", "1",
                    "--set", f"{IND}=30", "--set", "market.nrdl_listing_hazard={value: 0.3, from: 2016-01-01}",
                    "--out", "out/rset"],
        "show": ["show", "scenarios/baseline.yaml"],
        "show_json": ["show", "scenarios/baseline.yaml", "--json"],
        "schema": ["schema"],
    }, work)
    assert good["run_w1"].returncode == 0, good["run_w1"].stderr
    target = work / "out" / "r1"
    before = folder_bytes(target)
    bad = run_all({name: _with_out(args) for name, (args, _) in BAD.items()}, work)
    after = folder_bytes(target)
    return {"good": good, "bad": bad, "before": before, "after": after}


def test_run_writes_a_result_folder(work, runs):
    proc = runs["good"]["run_w1"]
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    out = work / "out" / "r1"
    for name in ("summary.csv", "manifest.json"):
        assert (out / name).is_file(), name
    for name in ("annual", "programs", "products", "sampled"):  # a folder of Parquet parts each
        assert {p.suffix for p in (out / name).iterdir()} == {".parquet"}, name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 1
    assert manifest["replications"] == 2
    assert manifest["package_version"] == cgt_sim.__version__
    assert isinstance(manifest["wall_time_s"], (int, float)) and manifest["wall_time_s"] >= 0
    assert manifest["scenario"]["name"] == "baseline"
    assert manifest["scenario"]["parameters"]["simulation.horizon_year"] == 2022
    fitted = "calibration/fitted.yaml"  # the baseline's calibrated values, then --until
    assert manifest["scenario"]["origin"] == {**{k: fitted for k in FITTED}, "simulation.horizon_year": "--until"}
    annual = pd.read_parquet(out / "annual")
    assert sorted(annual["replication"].unique()) == [0, 1]
    assert sorted(annual["year"].unique()) == list(range(2015, 2023))
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["metric", "year", "mean", "p5", "p50", "p95", "n"]
    assert "results written to out/r1" in proc.stdout
    assert "bands: the model's randomness only" in " ".join(proc.stdout.split())  # no uncertain: block
    assert [p.name for p in (work / "out").iterdir() if p.name.startswith(".")] == []


def test_set_is_recorded_in_the_manifest(work, runs):
    proc = runs["good"]["run_set"]
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""  # --quiet
    manifest = json.loads((work / "out" / "rset" / "manifest.json").read_text())
    sc = manifest["scenario"]
    assert sc["origin"][IND] == "--set"
    assert sc["origin"]["market.nrdl_listing_hazard"] == "--set"
    assert sc["parameters"][IND] == 30.0
    assert sc["parameters"]["market.nrdl_listing_hazard"]["knots"][-1] == ["2016-01-01", 0.3]
    assert manifest["replications"] == 1 and manifest["seed"] == 42


def test_results_do_not_depend_on_workers(work, runs):
    assert runs["good"]["run_w2"].returncode == 0, runs["good"]["run_w2"].stderr
    one, two = work / "out" / "r1", work / "out" / "r2"
    for table in ("annual", "programs", "products"):
        pd.testing.assert_frame_equal(pd.read_parquet(one / table), pd.read_parquet(two / table))
    assert (one / "summary.csv").read_bytes() == (two / "summary.csv").read_bytes()
    assert json.loads((two / "manifest.json").read_text())["workers"] == 2


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_one_line_exit_2_nothing_written(runs, case):
    proc = runs["bad"][case]
    check_error(proc.returncode, proc.stdout, proc.stderr, BAD[case][1])


@pytest.mark.parametrize("case", list(BAD_IN_PROCESS))
def test_bad_input_in_process(work, runs, monkeypatch, case):
    args, fragments = BAD_IN_PROCESS[case]
    monkeypatch.chdir(work)
    target = work / "out" / "r1"
    before = folder_bytes(target)
    result = CliRunner().invoke(app, _with_out(args))
    check_error(result.exit_code, result.stdout, result.stderr, fragments)
    assert folder_bytes(target) == before


def test_bad_inputs_leave_the_previous_result_byte_identical(work, runs):
    assert runs["before"] and runs["after"] == runs["before"]
    assert sorted(p.name for p in (work / "out").iterdir()) == ["r1", "r2", "rset"]  # no temp folders


def test_readme_error_example_format(runs):
    # docs/cli.md: error: scenarios/x.yaml: set.regulatory.p_ind_clear: must be between 0 and 1 (got 1.3)
    assert runs["bad"]["probability_1_3"].stderr == (
        "error: bad/x.yaml: set.regulatory.p_ind_clear: must be between 0 and 1 (got 1.3)\n")


def test_out_must_be_a_result_folder(work, monkeypatch):
    monkeypatch.chdir(work)
    other = work / "not_results"
    other.mkdir(exist_ok=True)
    (other / "precious.txt").write_text("keep me")
    a_file = work / "a_file.txt"
    a_file.write_text("keep me too")
    for out in (other, a_file):
        result = CliRunner().invoke(app, RUN + ["-r", "1", "--until", "2015", "--workers", "1", "--out", str(out)])
        check_error(result.exit_code, result.stdout, result.stderr, [str(out), "not a cgt-sim result folder"])
    assert [p.name for p in other.iterdir()] == ["precious.txt"]
    assert (other / "precious.txt").read_text() == "keep me"
    assert a_file.read_text() == "keep me too"


@pytest.fixture(scope="module")
def unfinished(work) -> Path:
    """resume/r: a finished result (seed 1, 2015-2016, 1 replication); resume/r.partial: a run
    of 3 replications with seed 3 stopped after 1."""
    from cgt_sim.runner import Interrupted

    def stop(done, total):
        if done >= 1:
            raise KeyboardInterrupt

    folder = work / "resume"
    cgt_sim.run(work / "scenarios" / "baseline.yaml", replications=1, seed=1, until=2016, workers=1,
                out=folder / "r")
    with pytest.raises(Interrupted):
        cgt_sim.run(work / "scenarios" / "baseline.yaml", replications=3, seed=3, until=2016,
                    executor="serial", out=folder / "x", progress=stop)
    (folder / "x.partial").rename(folder / "r.partial")
    (folder / "x").exists() and shutil.rmtree(folder / "x")
    return folder


@pytest.mark.parametrize("args,fragments", [
    (["--seed", "2", "--resume"], ["--resume", "resume/r.partial was made with seed 3, not 2", "--seed"]),
    (["--seed", "3", "--resume", "--set", f"{IND}=30"],
     ["--resume", "resume/r.partial was made with a different scenario", IND]),
    (["--seed", "3", "--resume", "--until", "2017"], ["--resume", "runs to 2016, not 2017 (--until, or the scenario's horizon)"]),
    (["--seed", "3"], ["resume/r.partial: holds 1 finished replication of an unfinished run", "add --resume"]),
])
def test_resume_refuses_another_seed_or_scenario(work, unfinished, monkeypatch, args, fragments):
    monkeypatch.chdir(work)
    before = folder_bytes(unfinished)
    argv = ["run", "scenarios/baseline.yaml", "--until", "2016", "-r", "3", "--out", "resume/r", *args]
    if "--until" in args:
        del argv[2:4]
    result = CliRunner().invoke(app, argv)
    check_error(result.exit_code, result.stdout, result.stderr, fragments)
    assert folder_bytes(unfinished) == before


def test_resume_of_a_finished_result_made_with_another_seed(work, unfinished, monkeypatch):
    monkeypatch.chdir(work)
    shutil.copytree(unfinished / "r", work / "resume" / "done")
    before = folder_bytes(work / "resume" / "done")
    result = CliRunner().invoke(app, ["run", "scenarios/baseline.yaml", "--until", "2016", "--seed", "2",
                                      "--out", "resume/done", "--resume"])
    check_error(result.exit_code, result.stdout, result.stderr,
                ["--resume", "resume/done was made with seed 1, not 2"])
    assert folder_bytes(work / "resume" / "done") == before
    assert not (work / "resume" / "done.partial").exists()


def test_ctrl_c_keeps_finished_replications_and_resume_completes(work, runs):
    """A real Ctrl-C (SIGINT) on a run with worker processes: exit 130, one line saying what was
    kept, the earlier result untouched; --resume then completes the run."""
    import signal
    import time

    folder = work / "sigint"
    folder.mkdir()
    shutil.copytree(work / "out" / "rset", folder / "r")  # run_set's: seed 42, 2015-2017, 1 replication
    before = folder_bytes(folder / "r")
    args = ["run", "scenarios/baseline.yaml", "--until", "2017", "--workers", "2", "--quiet", "--out", "sigint/r",
            "--set", f"{IND}=30", "--set", "market.nrdl_listing_hazard={value: 0.3, from: 2016-01-01}"]
    # a test run started in the background ignores Ctrl-C, and so would the command it starts
    proc = subprocess.Popen(cgt_sim_cmd(*args, "-r", "400"), cwd=work, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    parts = folder / "r.partial" / "parts"
    deadline = time.monotonic() + 120
    while not (parts.is_dir() and any(p.name.startswith("part-") for p in parts.iterdir())):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stdout == "" and "Traceback" not in stderr
    kept_ranges = [(int(p.name.split("-")[1]), int(p.name.split("-")[2]))
                   for p in parts.iterdir() if p.name.startswith("part-")]
    kept = sum(last - first + 1 for first, last in kept_ranges)
    assert 1 <= kept < 400
    assert stderr.splitlines() == [f"interrupted: {kept} of 400 replications finished and kept in "
                                   "sigint/r.partial; run the same command with --resume to complete it"]
    assert folder_bytes(folder / "r") == before  # the earlier result is untouched
    # resuming keeps every finished replication: asking for fewer than were finished is refused
    reps_kept = {r for first, last in kept_ranges for r in range(first, last + 1)}
    need = max(reps_kept) + 1
    if need > 4:
        refused = subprocess.run(cgt_sim_cmd(*args, "-r", "4", "--resume"), cwd=work, env=_env(),
                                 capture_output=True, text=True, timeout=120)
        assert refused.returncode == 2 and "would drop" in refused.stderr, refused.stderr
    need = max(need, 4)
    done = subprocess.run(cgt_sim_cmd(*args, "-r", str(need), "--resume"), cwd=work, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["r"]
    manifest = json.loads((folder / "r" / "manifest.json").read_text())
    # reused: what the interrupted run kept (its chunks may have finished in any order) and the
    # earlier result's replication 0
    assert manifest["replications"] == need
    assert manifest["resumed_replications"] == len({0} | reps_kept)
    annual = pd.read_parquet(folder / "r" / "annual")
    assert sorted(annual["replication"].unique()) == list(range(need))
    earlier = pd.read_parquet(work / "out" / "rset" / "annual")
    pd.testing.assert_frame_equal(annual[annual["replication"] < 1].reset_index(drop=True), earlier)


def test_run_with_precision_and_serial_executor(work, monkeypatch):
    monkeypatch.chdir(work)
    result = CliRunner().invoke(app, ["run", "scenarios/baseline.yaml", "--until", "2016", "-r", "3",
                                      "--executor", "serial", "--precision", "0.0001", "--metric", "new_programs",
                                      "--out", "out_precision/p"])
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((work / "out_precision" / "p" / "manifest.json").read_text())
    assert manifest["executor"] == "serial" and manifest["replications"] == 3
    p = manifest["precision"]
    assert p["reached"] is False and p["year"] == 2016 and p["max_replications"] == 3
    text = " ".join(result.stdout.split())  # the console wraps long lines
    assert "precision: new_programs in 2016: mean " in text
    assert "(95% interval, " in text and "the 0.01% target was not reached within 3 replications" in text


def test_show_prints_every_key_with_its_source(runs):
    proc = runs["good"]["show"]
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("# baseline: ")
    assert lines[1] == "# source: seed articles 000-004 and the publications cited per parameter; " \
                       "calibrated to calibration/targets.yaml"
    assert lines[2] == "# files: scenarios/baseline.yaml"
    starts = {}
    for i, line in enumerate(lines):
        if line.startswith("  ") and not line.startswith("   ") and " = " in line:
            starts[line.split(" = ", 1)[0].strip()] = i
    assert list(starts) == list(CATALOGUE)
    for key, i in starts.items():
        block = lines[i:i + 4]
        assert block[1].strip().startswith("range: "), block
        assert CATALOGUE[key].unit in block[0]
        if key in FITTED:  # the baseline sets only its calibrated values, citing the fitted file
            assert block[0].endswith("<- set in calibration/fitted.yaml"), block
            assert block[2].strip().startswith("source: calibrated (calibration/fitted.yaml, to the targets in "
                                               f"calibration/targets.yaml): {cite('calibrated')}; "
                                               "catalogue default "), block
            assert block[2].strip().endswith(cite(CATALOGUE[key].source)), block
        else:
            assert block[2].strip() == f"source: {cite(CATALOGUE[key].source)}", block
            assert "<- set in" not in block[0]
    assert sum(line.strip().startswith("source: ") for line in lines) == len(CATALOGUE)
    for section in {k.split(".")[0] for k in CATALOGUE}:
        assert f"[{section}]" in lines


def test_show_with_set_marks_the_override():
    result = CliRunner().invoke(app, ["show", str(ROOT / "scenarios" / "baseline.yaml"), "--set", f"{IND}=30",
                                      "--only", "regulatory"])
    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith(f"  {IND} = "))
    assert line.startswith(f"  {IND} = 30 ") and line.endswith("<- set in --set")
    assert "[market]" not in result.stdout  # --only regulatory
    assert "[regulatory]" in result.stdout
    # the 30 days are the what-if's, not the regulation's: its source is cited for the default
    lines = result.stdout.splitlines()
    source = lines[lines.index(line) + 2].strip()
    assert source.startswith("source: the value given with --set (a what-if); catalogue default 60: NMPA"), source


def test_show_cites_a_scenario_files_value_as_its_own():
    result = CliRunner().invoke(app, ["show", str(ROOT / "scenarios" / "payment_reform.yaml"), "--only",
                                      "market.nrdl_listing_hazard"])
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert ("payment_reform.yaml (source: A002, A004, NRDL_CUTS, HUIMINBAO, YICAI2025); catalogue default 0: "
            "China National Reimbursement Drug List practice") in text and "source: the value set in " in text


def test_show_on_a_scenario_without_a_source_says_it_cites_none(tmp_path):
    """A user's what-if without a source: line is not sent to look for one."""
    mine = tmp_path / "mine.yaml"
    mine.write_text(f"name: mine\nextends: {ROOT / 'scenarios' / 'baseline.yaml'}\nset:\n  {IND}: 30\n")
    result = CliRunner().invoke(app, ["show", str(mine), "--only", IND])
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "see its source" not in text
    assert (f"source: the value set in {mine}, which cites no source (a what-if; a source: line there would cite "
            "one); catalogue default 60: NMPA") in text


def test_show_marks_a_chosen_value_outside_the_plausible_range_and_a_fit_that_missed(tmp_path):
    result = CliRunner().invoke(app, ["show", str(ROOT / "scenarios" / "allogeneic_shift.yaml"), "--only",
                                      "research.arrival_growth_extra"])
    marked = [line.split(" = ")[0].strip() for line in result.stdout.splitlines()
              if "(outside the plausible range)" in line]
    assert marked == ["research.arrival_growth_extra.allogeneic_cell"]  # 0.10 against 0 to 0.06
    base = CliRunner().invoke(app, ["show", str(ROOT / "scenarios" / "baseline.yaml")])
    assert "outside the plausible range" not in base.stdout  # defaults and fitted values are not marked
    fitted = yaml.safe_load((ROOT / "calibration" / "fitted.yaml").read_text(encoding="utf-8"))
    fitted["fitted_targets_pass"] = False
    (tmp_path / "fit.yaml").write_text(yaml.safe_dump(fitted), encoding="utf-8")
    (tmp_path / "s.yaml").write_text(f"name: s\nextends: {ROOT / 'scenarios' / 'baseline.yaml'}\n"
                                     "calibrated: fit.yaml\n", encoding="utf-8")
    missed = CliRunner().invoke(app, ["show", str(tmp_path / "s.yaml"), "--only", "research.preclinical_years"])
    assert missed.exit_code == 0, missed.output
    assert "which the fit missed in part" in " ".join(missed.stdout.split())


def test_show_says_which_file_declared_a_distribution(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["show", "scenarios/baseline_uncertain.yaml", "--only", "market.cost_pass"])
    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("  market.cost_pass_through = "))
    assert line.endswith("~ uniform(low=0.0, high=1.0) declared in scenarios/baseline_uncertain.yaml"), line


def test_show_cites_the_scenario_source_by_its_keys():
    result = CliRunner().invoke(app, ["show", str(ROOT / "scenarios" / "faster_approval.yaml"), "--only",
                                      "regulatory"])
    assert result.exit_code == 0, result.stderr
    line = result.stdout.splitlines()[1]
    assert line == "# source: " + "; ".join(cite(k) for k in ("A004", "NMPA_IND", "NMPA_REVIEW"))


def test_show_gives_where_a_ramp_starts_and_ends():
    result = CliRunner().invoke(app, ["show", str(ROOT / "scenarios" / "baseline.yaml"), "--only",
                                      "research.arrival_growth", "--set",
                                      "research.arrival_growth=[0.2, {value: 0.2, from: 2021}, "
                                      "{value: 0.02, from: 2021, to: 2030}]"])
    assert result.exit_code == 0, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("  research.arrival_growth = "))
    assert line.startswith("  research.arrival_growth = 0.2 ~> 0.02 from 2021-01-01 to 2030-01-01 "), line


def test_show_starts_a_dated_value_at_the_start_year():
    """A change dated before 2015 is in force from the first day: show gives that value."""
    result = CliRunner().invoke(app, ["show", str(ROOT / "scenarios" / "baseline.yaml"), "--only",
                                      "research.arrival_growth", "--set",
                                      "research.arrival_growth={value: 0.1, from: 2010, to: 2020}"])
    assert result.exit_code == 0, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("  research.arrival_growth = "))
    assert line.startswith("  research.arrival_growth = 0.15 ~> 0.1 from 2015-01-01 to 2020-01-01 "), line


def test_show_json_with_only_keeps_those_keys():
    result = CliRunner().invoke(app, ["show", str(ROOT / "scenarios" / "baseline.yaml"), "--json", "--only",
                                      "regulatory.p_"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["parameters"] and all(k.startswith("regulatory.p_") for k in data["parameters"])
    assert set(data["parameters"]) == {k for k in CATALOGUE if k.startswith("regulatory.p_")}


def test_show_json(runs):
    proc = runs["good"]["show_json"]
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["name"] == "baseline"
    assert list(data["parameters"]) == list(CATALOGUE)
    assert data["parameters"][IND] == 60.0
    assert data["origin"] == {k: "calibration/fitted.yaml" for k in FITTED}


def test_schema(runs):
    proc = runs["good"]["schema"]
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    assert schema["type"] == "object"
    assert set(schema["properties"]) >= {"name", "extends", "description", "set", "uncertain"}
    assert list(schema["properties"]["set"]["properties"]) == list(CATALOGUE)
    assert schema["properties"]["set"]["properties"]["regulatory.p_ind_clear"]["anyOf"][0] == {
        "type": "number", "minimum": 0.0, "maximum": 1.0}


def _as_json_data(value):
    """A YAML document as an editor's YAML 1.2 parser hands it to a JSON Schema validator: dates
    (keys too) are text."""
    import datetime as dt

    if isinstance(value, dict):
        return {(k.isoformat() if isinstance(k, dt.date) else str(k)): _as_json_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json_data(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def _docs_scenario_example() -> str:
    import re

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    return re.search(r"## Scenario files\s+```yaml\n(.*?)```", text, re.S).group(1)


@pytest.fixture(scope="module")
def schema_validator():
    jsonschema = pytest.importorskip("jsonschema")
    from cgt_sim.schema import scenario_json_schema

    schema = scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)  # a valid JSON Schema (a few seconds: checked once)
    # formats checked, as editors check them (a date's day must exist)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_schema_accepts_every_shipped_scenario_and_the_readme_example(tmp_path, schema_validator):
    validator = schema_validator
    files = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))
    readme = tmp_path / "scenarios" / "readme_example.yaml"
    readme.parent.mkdir()
    readme.write_text(_docs_scenario_example())
    shutil.copy(ROOT / "scenarios" / "baseline.yaml", readme.parent)
    shutil.copytree(ROOT / "calibration", tmp_path / "calibration")
    assert len(files) >= 10
    for path in files + [readme]:
        from cgt_sim import load_scenario

        load_scenario(path)  # valid for the loader ...
        data = _as_json_data(yaml.safe_load(path.read_text(encoding="utf-8")))
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(data)]
        assert errors == [], (path.name, errors)  # ... and for the schema
    assert validator.is_valid({"name": "a-b_c.2"})
    for name in ("", "../../escaped", ".hidden", "a/b", "a..b"):
        assert not validator.is_valid({"name": name}), name


SCHEMA_GOOD = [
    # every value form of set: plain, step, ramp, steps, a list of them (nested too), nested mappings
    "set: {regulatory.ind_review_working_days: 30}",
    "set: {regulatory.ind_review_working_days: {value: 30}}",
    "set: {regulatory.ind_review_working_days: {value: 30, from: 2025-04-01}}",
    "set: {market.nrdl_listing_hazard: {value: 0.3, from: 2026, to: 2028-01-01}}",
    "set: {financing.capital_climate: {steps: {2026-01-01: 1.2, 2028: 1.0}}}",
    "set: {financing.capital_climate: [0.9, {value: 1.2, from: 2026}, {steps: {2030-01-01: 1}}, [{value: 1, from: 2031}]]}",
    "set: {manufacturing: {suites_2015: {jiangsu: 40}, batch_days.in_vivo_gene: {value: 15, from: 2027}}}",
    "set: {manufacturing.suites_2015: {beijing: 12}}",
    "source: [A004, NMPA_IND]",
    "set: {financing.unconstrained: true, regulatory.ind_pathway_open: 2016-06-01}",
    # numbers YAML 1.1 reads as text
    "set: {financing.seed_cash_cny: 50e6, financing.capital_climate: {steps: {2026: 1.2e0}}}",
    "uncertain: {financing.seed_cash_cny: {dist: uniform, low: 2e7, high: '8e7'}}",
    "uncertain: {manufacturing.suites_2015.beijing: {dist: choice, values: [1e1, 20], weights: [1e0, 3]}}",
    # every distribution
    "uncertain: {research.arrival_scale: {dist: uniform, low: 0.8, high: 1.2}}",
    "uncertain: {research.arrival_scale: {dist: triangular, low: 0.8, mode: 1, high: 1.2}}",
    "uncertain: {regulatory.p_ind_clear: {dist: normal, mean: 0.9, sd: 0.05, low: 0.7, high: 1}}",
    "uncertain: {manufacturing.learning_rate: {dist: lognormal, median: 0.15, sigma: 0.3, high: 0.4}}",
    "uncertain: {research.preclinical_years: {dist: lognormal, median: 2.5, sigma: 0.3, low: 1, high: 4}}",
    "uncertain: {manufacturing.suites_2015.beijing: {dist: choice, values: [10, 20], weights: [1, 3]}}",
    "uncertain: {manufacturing: {suites_2015: {jiangsu: {dist: uniform, low: 30, high: 40}}}}",
    "set:\nuncertain:",  # sections given empty
]
SCHEMA_BAD = [
    "set: {manufacturing.suites_2015.jiangsu: 0}",
    "set: {regulatory.ind_review_working_days: {value: 30, to: 2026}}",  # a ramp needs from
    "set: {regulatory.ind_review_working_days: {value: 30, form: 2025}}",
    "set: {financing.capital_climate: {steps: {}}}",
    "set: {financing.capital_climate: {steps: {2026-01-01: 11}}}",
    "set: {financing.capital_climate: {steps: {soon: 1}}}",
    "set: {simulation.horizon_year: {value: 2040, from: 2030}}",
    "set: {manufacturing: {suites_2015: {jiangsu: 40, tianjin: 3}}}",
    "set: {manufacturing: 5}",
    "uncertain: {regulatory.p_ind_clear: {dist: uniform, low: 0.5, high: 1.3}}",
    "uncertain: {regulatory.p_ind_clear: {dist: uniform, low: 0.5, high: 0.9, mode: 0.7}}",
    "uncertain: {regulatory.p_ind_clear: {dist: triangular, low: 0.5, high: 0.9}}",
    "uncertain: {manufacturing.suites_2015.jiangsu: {dist: normal, mean: 3, sd: 5}}",
    "uncertain: {regulatory.p_ind_clear: {dist: lognormal, median: 0.5, sigma: 0.2}}",
    "uncertain: {regulatory.p_ind_clear: {dist: gamma, shape: 2}}",
    "uncertain: {regulatory.p_ind_clear: {dist: choice, values: []}}",
    "uncertain: {financing.unconstrained: {dist: choice, values: [true, false]}}",
    "uncertain: {regulatory.p_ind_clear: 0.5}",
    "uncertain: {simulation.horizon_year: {dist: choice, values: [2030, 2040]}}",
    "set: {manufacturing.suites_2015.jiangsu: {value: 1, from: 2016}}",
    "set: {financing.seed_cash_cny: lots}",
    "uncertain: {financing.seed_cash_cny: {dist: uniform, low: 2e7, high: 8e7 CNY}}",
    "uncertain: {manufacturing.suites_2015.beijing: {dist: choice, values: [10, 20], weights: [1, many]}}",
]


@pytest.mark.parametrize("text", SCHEMA_GOOD)
def test_schema_accepts_what_the_loader_accepts(tmp_path, schema_validator, text):
    from cgt_sim import load_scenario

    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\n{text}\n")
    load_scenario(path)
    errors = [e.message[:200] for e in schema_validator.iter_errors(_as_json_data(yaml.safe_load(path.read_text())))]
    assert errors == [], text


@pytest.mark.parametrize("text", SCHEMA_BAD)
def test_schema_rejects_what_the_loader_rejects(tmp_path, schema_validator, text):
    from cgt_sim import load_scenario
    from cgt_sim.errors import CgtSimError

    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\n{text}\n")
    with pytest.raises(CgtSimError):
        load_scenario(path)
    assert list(schema_validator.iter_errors(_as_json_data(yaml.safe_load(path.read_text())))), text


DATE_FORMS = ["2025-04-01", "2025", "'2025'", "2025.0", "'2025-04-01'", "2025-13-01", "'2025-4-1'", "'20250401'",
              "1800", "'1800'", "2300", "2025.5", "2025-04-01 10:00:00", "'2025-04-01T00:00'", "'2025-W14-2'",
              "' 2025-04-01 '", "'2025-02-30'", "true", "''"]
DATE_PLACES = ["set: {{regulatory.ind_review_working_days: {{value: 30, from: {d}}}}}",
               "set: {{financing.capital_climate: {{steps: {{{d}: 1.2}}}}}}",
               "set: {{regulatory.ind_pathway_open: {d}}}"]


@pytest.mark.parametrize("place", DATE_PLACES, ids=["from", "steps", "date parameter"])
def test_the_schema_and_the_loader_take_the_same_dates(tmp_path, schema_validator, place):
    """Every form of date, in every place a date goes: the JSON Schema accepts exactly what the
    loader accepts (a year 1900-2200 as a number or four digits, a calendar day YYYY-MM-DD)."""
    from cgt_sim import load_scenario
    from cgt_sim.errors import CgtSimError
    from cgt_sim.scenario import yaml_value

    differ = []
    for form in DATE_FORMS:
        text = "name: s\n" + place.format(d=form) + "\n"
        path = tmp_path / "s.yaml"
        path.write_text(text)
        try:
            load_scenario(path)
            loader = True
        except CgtSimError:
            loader = False
        schema = schema_validator.is_valid(_as_json_data(yaml_value(text)))  # as an editor reads the file
        if loader != schema:
            differ.append((form, loader, schema))
    assert differ == []


def test_a_name_outside_results_writes_nothing_there(work, monkeypatch):
    here = work / "nested"
    (here / "bad").mkdir(parents=True)
    (here / "bad" / "escape.yaml").write_text("name: ../../escaped\nextends: ../../scenarios/baseline.yaml\n")
    monkeypatch.chdir(here)
    result = CliRunner().invoke(app, ["run", "bad/escape.yaml", "-r", "1", "--until", "2016", "--workers", "1",
                                      "--quiet"])
    check_error(result.exit_code, result.stdout, result.stderr, ["bad/escape.yaml: name: ", "'../../escaped'"])
    assert not (work / "escaped").exists() and not (here / "results").exists()


@pytest.mark.parametrize("args,needle", [
    (["--set", "regulatory.ind_review_working_days={value: 30, from: 2030-13-01}"],
     "--set: regulatory.ind_review_working_days"),
    (["--replications", "0"], "--replications"),
    (["--workers", "0"], "--workers"),
    (["--seed", "-1"], "--seed"),
])
def test_more_bad_options_give_one_line(args, needle):
    result = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "baseline.yaml"), *args])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]


def test_impossible_date_in_a_scenario_file(tmp_path):
    from cgt_sim import load_scenario
    from cgt_sim.errors import CgtSimError

    f = tmp_path / "s.yaml"
    f.write_text("set:\n  regulatory.ind_review_working_days: {value: 30, from: 2030-13-01}\n")
    with pytest.raises(CgtSimError) as exc:
        load_scenario(f)
    assert str(exc.value) == (f"{f}: set.regulatory.ind_review_working_days: expected a date such as "
                              "2026-01-01: '2030-13-01' is no calendar day")


def test_show_cites_the_targets_a_fitted_file_was_fitted_to(tmp_path):
    fitted = tmp_path / "fitted.yaml"
    fitted.write_text("targets_file: my/targets.yaml\nparameters:\n  research.arrivals_2015.allogeneic_cell: 30\n")
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\ncalibrated: fitted.yaml\n")
    result = CliRunner().invoke(app, ["show", str(scenario), "--only", "research.arrivals_2015.allogeneic_cell"])
    assert result.exit_code == 0, result.output
    assert f"calibrated ({fitted}, to the targets in my/targets.yaml): " in result.output
    assert "calibration/targets.yaml" not in result.output


def test_resume_with_nothing_missing_leaves_the_result_alone(tmp_path):
    out = tmp_path / "done"
    argv = ["run", str(ROOT / "scenarios" / "baseline.yaml"), "--until", "2016", "-r", "2", "--workers", "1",
            "--out", str(out)]
    assert CliRunner().invoke(app, argv).exit_code == 0
    before = folder_bytes(out)
    result = CliRunner().invoke(app, argv + ["--resume"])
    assert result.exit_code == 0, result.output
    assert f"nothing to resume: {out}/ already holds these 2 replications" in " ".join(result.output.split())
    assert folder_bytes(out) == before


def test_run_says_what_it_replaced_reused_and_changed(tmp_path):
    """A run into a folder that holds a result says so (a --set run without --out replaces the
    scenario's own result); --resume says how many replications it took over; --set is shown."""
    out = tmp_path / "baseline"
    argv = ["run", str(ROOT / "scenarios" / "baseline.yaml"), "--until", "2016", "--workers", "1", "--out", str(out)]
    first = CliRunner().invoke(app, argv + ["-r", "2"])
    assert first.exit_code == 0, first.output
    assert "replaced the earlier" not in first.output and "taken from" not in first.output
    before = folder_bytes(out)
    refused = CliRunner().invoke(app, argv + ["-r", "1", "--set", f"{IND}=30"])  # fewer replications: asked first
    assert refused.exit_code == 2 and folder_bytes(out) == before
    again = CliRunner().invoke(app, argv + ["-r", "1", "--set", f"{IND}=30", "--replace"])
    text = " ".join(again.output.split())
    assert again.exit_code == 0, again.output
    assert "replaced the earlier result there: baseline, 2 replications to 2016)" in text
    assert f"with --set {IND} = 30" in text
    more = CliRunner().invoke(app, argv + ["-r", "3", "--set", f"{IND}=30", "--resume"])
    text = " ".join(more.output.split())
    assert more.exit_code == 0, more.output
    assert "1 of the 3 replications taken from the earlier run)" in text and "replaced the earlier" not in text


def test_help_shows_flags_as_flags(monkeypatch):
    """--resume, --quiet, --help take no value, so no command's help gives them a <bool> type."""
    import typer.main

    monkeypatch.setenv("COLUMNS", "200")
    run_help = CliRunner().invoke(app, ["run", "--help"])
    assert run_help.exit_code == 0, run_help.output
    assert "<bool>" not in run_help.output
    assert "--resume" in run_help.output and "--quiet" in run_help.output and "<int>" in run_help.output
    for name in [None, *typer.main.get_command(app).commands]:
        result = CliRunner().invoke(app, [name, "--help"] if name else ["--help"])
        assert result.exit_code == 0 and "--help" in result.output, (name, result.output)
        assert "<bool>" not in result.output, name


def test_help_says_a_scenario_may_be_a_library_name(monkeypatch):
    """Every command that takes a scenario takes a library scenario by name (cgt-sim run
    baseline), and its help says so, as run's does."""
    monkeypatch.setenv("COLUMNS", "200")
    for name in ("run", "show", "sweep", "sensitivity", "discover", "compare"):
        result = CliRunner().invoke(app, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert "of the library (cgt-sim scenarios)" in " ".join(result.output.replace("│", " ").split()), name


@pytest.mark.parametrize("command", [
    ["run", "scenarios/baseline.yaml", "-r", "1", "--until", "2016"],
    ["sweep", "scenarios/baseline.yaml", "--grid", f"{IND}=30,60", "-r", "1", "--until", "2016"],
    ["sensitivity", "scenarios/baseline_uncertain.yaml", "--method", "morris", "--samples", "2",
     "--metric", "approvals_2016", "-r", "1"],
    ["compare", "scenarios/baseline.yaml", "scenarios/cold_chain.yaml", "-r", "2", "--until", "2016"],
    ["calibrate", "calibration/targets.yaml", "--budget", "1", "-r", "1"],
])
def test_an_output_that_cannot_be_written_is_refused_before_any_work(tmp_path, monkeypatch, command):
    monkeypatch.chdir(ROOT)
    afile = tmp_path / "afile"
    afile.write_text("x")
    target = afile / ("out.csv" if command[0] == "compare" else "out.yaml" if command[0] == "calibrate" else "out")
    result = CliRunner().invoke(app, [*command, "--quiet", "--out", str(target)])
    check_error(result.exit_code, result.stdout, result.stderr, [str(target), "is a file, not a folder"])
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


def test_a_result_of_another_kind_is_not_replaced(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "full"
    out.mkdir()
    (out / "manifest.json").write_text('{"written_by": "cgt-sim", "scenario": {"name": "baseline"}}')  # a run result
    before = folder_bytes(out)
    result = CliRunner().invoke(app, ["sweep", "scenarios/baseline.yaml", "--grid", f"{IND}=30,60", "-r", "1",
                                      "--until", "2016", "--quiet", "--out", str(out)])
    check_error(result.exit_code, result.stdout, result.stderr, [str(out), "holds a run result"])
    assert folder_bytes(out) == before


def _command(args, code: str = "") -> subprocess.CompletedProcess:
    """The cgt-sim command (its console-script entry point) run in a fresh interpreter."""
    script = code + "\nimport sys\nfrom cgt_sim.entry import main\nsys.argv = ['cgt-sim'] + sys.argv[1:]\nmain()\n"
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, message", [
    (["bogus"], "error: cgt-sim: No such command 'bogus'. (see cgt-sim --help)"),
    (["run"], "error: cgt-sim run: Missing argument 'scenario'. (see cgt-sim run --help)"),
    (["run", "scenarios/baseline.yaml", "--until", "abc"], "error: cgt-sim run: Invalid value for '--until'"),
    (["show", "scenarios/baseline.yaml", "--bogus"], "error: cgt-sim show: No such option: --bogus"),
])
def test_a_mistyped_command_or_option_is_one_line(args, message):
    proc = _command(args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(message) and proc.stderr.count("\n") == 1, proc.stderr


def test_ctrl_c_while_the_command_starts_is_an_interruption():
    """A Ctrl-C while the libraries load (here: when pandas is imported) is not a traceback."""
    hook = ("import sys\nclass Pressed:\n    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'pandas':\n            raise KeyboardInterrupt\n"
            "sys.meta_path.insert(0, Pressed())\n")
    proc = _command(["--help"], hook)
    assert proc.returncode == 130 and proc.stderr == "interrupted: nothing was written\n", proc.stderr


def test_ctrl_c_in_a_sweep_says_nothing_was_written(tmp_path):
    """A real Ctrl-C while a sweep's worker processes run: exit 130 and one line (Typer turns
    Ctrl-C into exit code 130 without a word), and no result folder."""
    import signal
    import time

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(cgt_sim_cmd("sweep", str(root / "scenarios" / "baseline.yaml"), "--grid", f"{IND}=30,60",
                                        "-r", "40", "-w", "2", "-q", "--out", "sw"),
                            cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 120
    while not (children.exists() and children.read_text().split()):  # its worker processes have started
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and stderr == "interrupted: nothing was written\n", stderr
    assert not (tmp_path / "sw").exists()


def test_version():
    from cgt_sim import __version__

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"cgt-sim {__version__}\n"


def test_python_dash_m_is_the_same_command():
    from cgt_sim import __version__

    proc = subprocess.run([sys.executable, "-m", "cgt_sim", "--version"], capture_output=True, text=True,
                          timeout=120, env=_env())
    assert proc.returncode == 0 and proc.stdout == f"cgt-sim {__version__}\n", proc.stderr
    bad = subprocess.run([sys.executable, "-m", "cgt_sim", "bogus"], capture_output=True, text=True, timeout=120,
                         env=_env())
    assert bad.returncode == 2 and bad.stderr.startswith("error: python -m cgt_sim: No such command 'bogus'")


@pytest.mark.parametrize("width", [40, 60, 80, 200])
def test_tables_never_cut_a_figure_or_a_word(width):
    """At any console width every figure and every word of a table is printed whole: as a
    table when it fits, as a block per row otherwise."""
    import io

    from rich.console import Console

    from cgt_sim.cli.common import print_table as _print_table

    rows = [["faster_approval", "cumulative_ind_approvals", "1806 [1790-1821]", "3524 [3486-3563] ~0"],
            ["manufacturing_cost_decline", "patients treated (year)", "10.83bn [6.59bn, 15.07bn]", "-"]]
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None)
    _print_table("difference from baseline", ["scenario", "metric", "2030", "2035"], rows,
                 right=("2030", "2035"), heads=2, console=console)
    text = buf.getvalue()
    for row in rows:
        for cell in row:
            for word in cell.split():
                assert word in text, (width, word, text)
        assert "…" not in text
    for row in rows:
        for figure in row[2:]:
            if figure != "-":
                assert figure in text  # a figure is never wrapped inside
    assert ("┃" in text) == (width == 200)


def test_time_left_counts_down_at_the_average_pace():
    """Replications arrive in chunks: the estimate is the pace so far times what is left,
    counting down between chunks, and says nothing before the first chunk."""
    from types import SimpleNamespace

    from cgt_sim.cli.common import remaining_column as _remaining_column

    col = _remaining_column()

    def shown(**kw):
        task = SimpleNamespace(fields={}, finished=False, total=16, completed=0, elapsed=0.0)
        for k, v in kw.items():
            setattr(task, k, v) if k != "pace" else task.fields.update(pace=v)
        return col.render(task).plain

    assert shown(elapsed=3.0) == "-:--:--"
    assert shown(completed=4, elapsed=8.0, pace=(8.0, 2.0)) == "0:00:24"  # 12 left at 2 s each
    assert shown(completed=4, elapsed=11.0, pace=(8.0, 2.0)) == "0:00:21"  # counts down in between
    assert shown(completed=4, elapsed=60.0, pace=(8.0, 2.0)) == "0:00:01"  # slower than so far: not done yet
    assert shown(completed=16, finished=True) == "0:00:00"


def test_a_quick_run_never_replaces_a_long_one_unasked(tmp_path):
    """A run that would replace a result with more replications or a longer horizon says so
    before it starts (nothing runs, nothing is written) and needs --replace."""
    out = tmp_path / "r"
    argv = ["run", str(ROOT / "scenarios" / "baseline.yaml"), "--workers", "1", "--out", str(out), "-q"]
    assert CliRunner().invoke(app, argv + ["-r", "3", "--until", "2017"]).exit_code == 0
    before = folder_bytes(out)
    for more, what in ((["-r", "2", "--until", "2017"], "more replications than this run's 2 to 2017"),
                       (["-r", "3", "--until", "2016"], "a longer horizon than this run's 3 to 2016"),
                       (["-r", "2", "--until", "2016"], "more replications and a longer horizon than this run's 2 "
                                                        "to 2016")):
        result = CliRunner().invoke(app, argv + more)
        check_error(result.exit_code, result.stdout, result.stderr,
                    [f"{out}: holds baseline, 3 replications to 2017: {what}; nothing was run", "--replace",
                     f"--out (such as {out}_r{more[1]}_{more[3]})"])
        assert folder_bytes(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["r"]
    with pytest.raises(cgt_sim.ResultError, match="Add `replace` to replace it"):
        cgt_sim.run(ROOT / "scenarios" / "baseline.yaml", replications=2, until=2017, workers=1, out=out)
    assert CliRunner().invoke(app, argv + ["-r", "4", "--until", "2017"]).exit_code == 0  # more: no question
    replaced = CliRunner().invoke(app, argv + ["-r", "2", "--until", "2016", "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert json.loads((out / "manifest.json").read_text())["replications"] == 2


def test_a_run_that_fails_leaves_no_folder(tmp_path, monkeypatch):
    """A run refused at the start, or failing once it has begun, leaves no results/ folder."""
    from cgt_sim import runner
    from cgt_sim.errors import ResultError

    monkeypatch.chdir(tmp_path)
    bad = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "baseline.yaml"), "--metric", "nope",
                                   "--precision", "0.1", "-r", "2", "--until", "2016"])
    assert bad.exit_code == 2 and list(tmp_path.iterdir()) == []

    def unreachable(*args, **kwargs):
        raise ResultError("scheduler", None, "cannot be reached")

    monkeypatch.setattr(runner, "open_executor", unreachable)
    result = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "baseline.yaml"), "-r", "2", "--until",
                                      "2016", "--workers", "1", "--out", "results/deep/x"])
    assert result.exit_code == 2 and "cannot be reached" in result.stderr, result.output
    assert list(tmp_path.iterdir()) == []
