"""cgt-sim validate: the checks it makes, that they can fail, its exit codes and bad input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import cgt_sim
import cgt_sim.analysis.validate as validation
from cgt_sim import MODALITIES
from cgt_sim.analysis.calibration import load_targets, score
from cgt_sim.analysis.validate import PUBLISHED_LOA, Check, chain_checks, failed, loa_checks, queue_check, target_check
from cgt_sim.cli import app

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def test_chain_checks_pass_for_the_model_and_fail_for_a_changed_chain():
    sc = cgt_sim.load_scenario(BASELINE)
    rows = chain_checks(sc, seed=4, programs=500)
    assert [r.group for r in rows] == ["chain"] * 2 * len(MODALITIES)
    assert all(r.passed for r in rows), [r for r in rows if not r.passed]
    assert all(r.low < r.simulated < r.high for r in rows)
    # Phase II success of CAR-T drops to a tenth from 2016: the programs (which start in 2015)
    # meet it, the analytic chain (read at the start) does not, and the check must notice
    worse = sc.with_overrides({"clinical.p_phase2.autologous_car_t": {"value": 0.04, "from": "2016-01-01"}})
    rows = chain_checks(worse, seed=4, programs=500)
    share = next(r for r in rows if r.name.startswith("approval share, autologous_car_t"))
    assert share.passed is False and failed(rows) == [share]


def test_queue_check_matches_erlang_c():
    row = queue_check(seed=9, customers=30_000, warmup=2_000)
    assert row.group == "queue" and row.passed
    # utilisation 0.75 of 3 suites, 2-day batches: lambda = 1.125/day, offered load 2.25
    assert row.expected.startswith(f"{validation.erlang_c(3, 2.25) / (3 * 0.5 - 1.125):.3f} ± ")


def test_loa_rows_count_approvals_among_programs_past_their_ind():
    # two replications; CAR-T: 4 of 10 INDs approved (one program's IND falls after the cohort)
    rows = []
    for rep in (0, 1):
        for i in range(5):
            rows.append(dict(replication=rep, modality="autologous_car_t", state="approved" if i < 2 else "failed",
                             ind_day=1000.0 + i))
    rows.append(dict(replication=0, modality="autologous_car_t", state="approved", ind_day=20000.0))
    rows.append(dict(replication=0, modality="in_vivo_gene", state="phase2", ind_day=500.0))
    res = cgt_sim.ResultSet(pd.DataFrame({"replication": [0, 1], "year": [2045, 2045]}), pd.DataFrame(rows),
                            pd.DataFrame(), {"start_year": 2015})
    sc = cgt_sim.load_scenario(BASELINE)
    out = loa_checks(res, sc, 2030)
    assert len(out) == len(PUBLISHED_LOA)
    assert all(r.group == "LoA" and not r.counted for r in out)
    car_t = [r for r, spec in zip(out, PUBLISHED_LOA) if spec[0] == "autologous_car_t"]
    assert all(r.simulated == 0.4 and r.low < 0.4 < r.high for r in car_t)
    assert car_t[0].passed is None  # no published interval
    assert car_t[1].passed is False  # 40% is outside the published 7.3-23.9%
    gene = [r for r, spec in zip(out, PUBLISHED_LOA) if spec[0] == "in_vivo_gene"]
    assert gene[0].simulated == 0.0 and "100% still open" in gene[0].note
    pooled = out[-1]
    assert pooled.simulated == pytest.approx(4 / 11)
    allo = next(r for r, spec in zip(out, PUBLISHED_LOA) if spec[0] == "allogeneic_cell")
    assert math.isnan(allo.simulated) and allo.passed is None  # no programs


def test_target_rows_and_known_gaps(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("""
targets:
  met:
    output: cumulative_ind_approvals
    year: 2016
    at_least: 0
    tolerance: 1
    source: A002
  missed:
    output: cumulative_ind_approvals
    year: 2016
    at_least: 100000
    tolerance: 1
    source: A002
  documented:
    output: new_programs
    year: 2016
    value: 1000000
    tolerance: 1
    source: A002
    fit: false
    known_gap: the toy model is too small
""")
    ts = load_targets(path)
    res = cgt_sim.run(BASELINE, replications=1, seed=1, workers=1, until=2016)
    rows = [target_check(s) for s in score(res, ts.targets)]
    assert [(r.group, r.passed, r.counted) for r in rows] == [
        ("target", True, True), ("target", False, True), ("check", False, False)]
    assert [r.verdict() for r in rows] == ["yes", "NO", "NO (known gap)"]
    assert failed(rows) == [rows[1]]


def test_a_backtest_row_is_shown_without_a_known_gap_mark():
    """Backtest rows are never counted, but a miss there is a miss of a prediction, not a
    documented gap: its verdict says NO and nothing more."""
    from cgt_sim.analysis.validate import Check

    row = Check("backtest", "patients 2025", 663.0, 500.0, 800.0, "1,200-3,600", False, counted=False)
    assert row.verdict() == "NO" and not row.fails_run
    assert Check("backtest fit", "x", 1.0, 1.0, 1.0, "1", True, counted=False).verdict() == "yes"


# --------------------------------------------------------------------------- the command

TINY = """
targets:
  ind_approvals_2016:
    output: cumulative_ind_approvals
    year: 2016
    at_least: {bound}
    tolerance: 1
    source: A002
"""


@pytest.fixture()
def short_validate(monkeypatch, tmp_path):
    """validate in this process with a short run (LoA cohort before the start: no rows counted)."""
    monkeypatch.setattr(validation, "LOA_HORIZON", 2016)
    monkeypatch.setattr(validation, "FUNNEL_PROGRAMS", 200)
    monkeypatch.setattr(validation, "QUEUE_ORDERS", 20_000)
    monkeypatch.setenv("COLUMNS", "200")

    def invoke(bound, *extra):
        path = tmp_path / "targets.yaml"
        path.write_text(TINY.format(bound=bound))
        return CliRunner().invoke(app, ["validate", "--targets", str(path), "--scenario", str(BASELINE),
                                        "-r", "1", "-w", "1", *extra])
    return invoke


def test_validate_exit_codes(short_validate):
    ok = short_validate(0)
    assert ok.exit_code == 0, ok.output
    for fragment in ("chain", "approval share, autologous_car_t", "queue", "M/M/3", "ind_approvals_2016", "LoA",
                     "0 counted check(s) failed"):
        assert fragment in ok.stdout, fragment
    bad = short_validate(100000)
    assert bad.exit_code == 1
    assert "1 counted check(s) failed" in bad.stdout and "NO" in bad.stdout
    quiet = short_validate(100000, "--quiet")
    assert quiet.exit_code == 1 and quiet.stdout == ""


@pytest.mark.parametrize("args,needle", [
    (["--targets", "nope.yaml"], "error: nope.yaml: file not found"),
    (["--scenario", "nope.yaml"], "error: nope.yaml: file not found"),
    (["--replications", "0"], "error: --replications"),
    (["--seed", "-2"], "error: --seed"),
])
def test_validate_bad_options(tmp_path, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    full = ["validate", "--targets", str(ROOT / "calibration" / "targets.yaml"), "--scenario", str(BASELINE)]
    result = CliRunner().invoke(app, full + args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(needle), result.stderr


def test_validate_bad_targets_file(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("targets:\n  x:\n    output: nonsense\n    year: 2020\n    value: 1\n    tolerance: 1\n"
                    "    source: A001\n")
    result = CliRunner().invoke(app, ["validate", "--targets", str(path), "--scenario", str(BASELINE)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: targets.x.output: unknown output 'nonsense'")


def test_check_text():
    row = Check("chain", "x", 0.0512, 0.05, 0.0524, "0.0500 ± 0.0040 (4 SE)", True, fmt="{:.4f}")
    assert row.simulated_text() == "0.0512 [0.0500-0.0524]" and row.verdict() == "yes"
    assert Check("LoA", "y", 0.1, 0.08, 0.12, "5.3%", False, counted=False).verdict() == "outside CI"
    assert not np.isnan(row.simulated)
