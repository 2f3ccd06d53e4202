"""History matching: the method on a toy simulator with a closed form, then on cgt-sim with tiny
settings (checkpoints, resume, executors, the command line, the report).
"""

from __future__ import annotations

import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import check_error

import cgt_sim
from cgt_sim.analysis import history
from cgt_sim.analysis.calibration import DEFAULT_DISCREPANCY, load_targets
from cgt_sim.analysis.history import Matcher, Observation, Settings, criterion_value
from cgt_sim.ensemble import load_ensemble
from cgt_sim.errors import CgtSimError, ScenarioError

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

# ------------------------------------------------------------------------------ a toy with a closed form

NOISE = 0.5  # the toy's run-to-run standard deviation
TRUTH = np.array([0.3, 0.6])


def toy_mean(X: np.ndarray) -> np.ndarray:
    """E[f(x)]: y1 = 10 x1, y2 = 10 x2^2 + 5 x1."""
    return np.stack([10 * X[:, 0], 10 * X[:, 1] ** 2 + 5 * X[:, 0]], axis=-1)


def toy(stage: str, X: np.ndarray, replications: int = 4) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(stage.encode()))
    return toy_mean(X)[:, None, :] + rng.normal(0.0, NOISE, (len(X), replications, 2))


OBS = [Observation("y1", "value", *toy_mean(TRUTH[None])[0, :1], 0.2 ** 2, 0.1 ** 2),
       Observation("y2", "value", *toy_mean(TRUTH[None])[0, 1:], 0.2 ** 2, 0.1 ** 2)]


def exact_nroy(X: np.ndarray, cutoff: float = 3.0) -> np.ndarray:
    """The space not ruled out, in closed form (no emulator: its variance is 0)."""
    sd = np.sqrt(np.array([o.var_obs + o.var_disc for o in OBS]) + NOISE ** 2)
    z = np.array([o.value for o in OBS])
    return (np.abs(toy_mean(X) - z) / sd).max(axis=1) <= cutoff


@pytest.fixture(scope="module")
def toy_match():
    m = Matcher(["x1", "x2"], OBS, Settings(waves=3, points=30, replications=4, members=40, candidates=4000, seed=1),
                toy)
    return m, m.run()


def test_the_toy_recovers_its_parameters(toy_match):
    m, found = toy_match
    assert m.nroy(TRUTH[None])[0]  # the truth is never ruled out
    members = found.members
    assert len(members) == 40
    assert abs(members[:, 0].mean() - TRUTH[0]) < 0.05 and abs(members[:, 1].mean() - TRUTH[1]) < 0.08
    # the emulated space agrees with the exact one on the box (both ways)
    exact, emulated = exact_nroy(m.box), m.nroy(m.box)
    assert abs(exact.mean() - emulated.mean()) < 0.02
    assert (exact == emulated).mean() > 0.96
    assert found.check.shape == (40, 4, 2)


def test_the_toy_rules_out_a_provably_implausible_region(toy_match):
    m, found = toy_match
    # x1 >= 0.6: E[y1] >= 6, three or more from 3 where the total sd is sqrt(0.05 + 0.25) < 0.55: I > 5.4
    far = m.box[:, 0] >= 0.6
    assert far.any() and not m.nroy(m.box)[far].any()
    assert not (found.members[:, 0] >= 0.6).any()
    assert found.waves[0]["nroy_fraction"] < 0.2


def test_observations_read_the_kinds_of_target():
    iv = Observation("iv", "interval", 450.0, 0.0, 10.0 ** 2, 50.0)  # 400-500: 0 inside, from the nearer end
    assert iv.implausibility(np.array([420.0, 530.0, 340.0]), 6.0 ** 2 + 8.0 ** 2 - 10.0 ** 2 + 100.0).tolist() == [
        0.0, pytest.approx(30.0 / np.sqrt(200.0)), pytest.approx(60.0 / np.sqrt(200.0))]
    low = Observation("low", "at_least", 50.0, 10.0 ** 2, 0.0)
    assert low.implausibility(np.array([80.0, 20.0]), 0.0).tolist() == [0.0, 3.0]
    high = Observation("high", "at_most", 5.0, 1.0, 0.0)
    assert high.implausibility(np.array([4.0, 7.0, np.nan]), 3.0).tolist() == [0.0, 1.0, np.inf]
    imp = np.array([[1.0, 4.0, 2.0], [0.5, 0.2, 0.1]])
    assert criterion_value(imp, "max").tolist() == [4.0, 0.5]
    assert criterion_value(imp, "second").tolist() == [2.0, 0.2]
    ts = load_targets(ROOT / "calibration" / "targets.yaml")
    obs = {t.name: Observation.of(t) for t in ts.targets}
    assert obs["programs_in_clinic_2024"].var_obs == 0.0 and obs["programs_in_clinic_2024"].half == 50.0
    assert obs["car_t_approvals_2025"].var_obs == pytest.approx(9.0)
    for t in ts.targets:
        if not t.discrepancy_text:
            assert t.discrepancy_sd == pytest.approx(DEFAULT_DISCREPANCY * abs(t.value))


def test_discrepancy_is_a_number_or_a_percentage(tmp_path):
    base = yaml.safe_load((ROOT / "calibration" / "targets.yaml").read_text())
    base["targets"]["car_t_approvals_2025"]["discrepancy"] = "25%"
    base["targets"]["cgt_approvals_2025"]["discrepancy"] = 2
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump(base))
    ts = {t.name: t for t in load_targets(path).targets}
    assert ts["car_t_approvals_2025"].discrepancy_sd == pytest.approx(2.0)
    assert ts["cgt_approvals_2025"].discrepancy_sd == 2.0
    base["targets"]["cgt_approvals_2025"]["discrepancy"] = "lots"
    path.write_text(yaml.safe_dump(base))
    with pytest.raises(ScenarioError, match=r"targets.cgt_approvals_2025.discrepancy: must be a number >= 0"):
        load_targets(path)


# ------------------------------------------------------------------------------ on cgt-sim, tiny

TINY = {
    "free": {"research.arrivals_2015.autologous_car_t": {}, "research.preclinical_years": {}},
    "targets": {
        "programs_2017": {"output": "programs_in_clinic", "year": 2017, "interval": [20, 120], "source": "A001",
                          "discrepancy": "20%"},
        "new_2016": {"output": "new_programs", "year": 2016, "value": 110, "tolerance": 20, "source": "A001"},
        "fastest": {"output": "inflection_year.new_programs", "year": 2017, "interval": [2015, 2017],
                    "source": "A002"},
    },
}
SETTINGS = dict(waves=2, points=5, replications=2, members=3, candidates=500, seed=4)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("targets") / "targets.yaml"
    path.write_text(yaml.safe_dump(TINY, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def tiny_match(tiny):
    return cgt_sim.history_match(tiny, BASELINE, executor="serial", **SETTINGS)


def assert_same_match(a, b) -> None:
    pd.testing.assert_frame_equal(a.ensemble, b.ensemble)
    pd.testing.assert_frame_equal(a.runs, b.runs)
    pd.testing.assert_frame_equal(a.waves.drop(columns="wall_time_s"), b.waves.drop(columns="wall_time_s"))


def test_a_tiny_match_on_cgt_sim(tiny_match):
    m = tiny_match.manifest
    assert [t["name"] for t in m["targets"]] == ["programs_2017", "new_2016"]
    assert m["left_out"][0]["name"] == "fastest" and "smooth" in m["left_out"][0]["reason"]
    assert m["targets"][0]["discrepancy"] == "20%" and m["targets"][0]["discrepancy_sd"] == pytest.approx(14.0)
    assert set(tiny_match.runs["stage"]) <= {"wave-1", "wave-2"}
    assert list(tiny_match.runs.columns[:3]) == ["stage", "research.arrivals_2015.autologous_car_t",
                                                 "research.preclinical_years"]
    assert len(tiny_match.checked) <= 3
    kept = tiny_match.checked[tiny_match.checked["kept"]]
    assert (kept["implausibility"] <= 3.0).all()
    assert len(tiny_match.ensemble) == len(kept)
    assert tiny_match.manifest["simulator_runs"] == 2 * (len(tiny_match.runs) + len(tiny_match.checked))


def test_a_match_is_the_same_on_every_executor(tiny, tiny_match):
    other = cgt_sim.history_match(tiny, BASELINE, executor="process", workers=2, **SETTINGS)
    assert_same_match(other, tiny_match)


def test_an_interrupted_match_resumes_to_the_same_result(tiny, tiny_match, tmp_path):
    out = tmp_path / "ensemble.parquet"
    seen = []

    def stop(stage, done, total):
        seen.append((stage, done))
        if stage == "wave-1" and done >= 3:
            raise KeyboardInterrupt

    with pytest.raises(history.Interrupted) as info:
        cgt_sim.history_match(tiny, BASELINE, executor="serial", out=out, progress=stop, **SETTINGS)
    assert info.value.partial == history.partial_path(out) and info.value.finished == 3
    assert len(list(info.value.partial.glob("wave-1/point-*.npy"))) == 3
    with pytest.raises(CgtSimError, match="holds 3 finished design points of an unfinished history match; add "
                                          "`resume`"):
        cgt_sim.history_match(tiny, BASELINE, executor="serial", out=out, **SETTINGS)
    with pytest.raises(CgtSimError, match="was made with other settings"):
        cgt_sim.history_match(tiny, BASELINE, executor="serial", out=out, resume=True, **{**SETTINGS, "seed": 5})
    seen.clear()
    done = cgt_sim.history_match(tiny, BASELINE, executor="serial", out=out, resume=True,
                                 progress=lambda *a: seen.append(a), **SETTINGS)
    assert seen[0] == ("wave-1", 3, 5)  # three points taken over
    assert_same_match(done, tiny_match)
    assert not history.partial_path(out).exists()
    report = history.report_path(out)
    assert {p.name for p in report.iterdir()} == set(cgt_sim.storage.OUTPUT_FILES["history-matching"])
    assert "# History match:" in (report / "report.md").read_text()
    if len(done.ensemble):
        e = load_ensemble(out)
        assert e.keys == ("research.arrivals_2015.autologous_car_t", "research.preclinical_years")
        assert len(e) == len(done.ensemble)


def test_bad_settings_are_refused(tiny):
    for kwargs, match in (({"criterion": "third"}, "criterion: must be max or second"),
                          ({"replications": 1}, "replications: must be a whole number >= 2"),
                          ({"cutoff": 0}, "cutoff: must be a number > 0"),
                          ({"waves": 0}, "waves: must be a whole number >= 1")):
        with pytest.raises(CgtSimError, match=match):
            cgt_sim.history_match(tiny, BASELINE, **kwargs)


def test_the_command_line_matches_and_refuses(tiny, tmp_path):
    out = tmp_path / "e.parquet"
    args = [sys.executable, "-m", "cgt_sim.cli", "calibrate", str(tiny), "--scenario", str(BASELINE),
            "--method", "history-matching", "--waves", "1", "--points", "4", "-r", "2", "--members", "2",
            "--out", str(out), "--executor", "serial"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    assert (history.report_path(out) / "report.md").exists()
    bad = subprocess.run(args[:-4] + ["--budget", "5"], capture_output=True, text=True, timeout=60)
    check_error(bad.returncode, bad.stdout, bad.stderr, ["--budget: only used with --method point"])
    bad = subprocess.run(args[:7] + ["--waves", "2"], capture_output=True, text=True, timeout=60)
    check_error(bad.returncode, bad.stdout, bad.stderr, ["--waves: only used with --method history-matching"])
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\n")
    out.write_text("not an ensemble")
    bad = subprocess.run(args, capture_output=True, text=True, timeout=60)
    check_error(bad.returncode, bad.stdout, bad.stderr, [str(out), "is not an ensemble file"])
