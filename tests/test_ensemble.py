"""Runs over an ensemble of parameter sets: which member each replication takes, reproducibility
across executors and resume, pairing across scenarios, and refusals of ensembles that do not fit.

Every run is short (horizon 2017-2018, a few replications); the ensembles are written here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import check_error

import cgt_sim
from cgt_sim.ensemble import load_ensemble, member_order, write_ensemble
from cgt_sim.errors import CgtSimError, ScenarioError
from cgt_sim.executors import local_cluster
from cgt_sim.runner import Interrupted

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
ARRIVALS = "research.arrivals_2015.autologous_car_t"
ACCESS = "market.access_ceiling"
FRAMES = ("annual", "programs", "products", "sampled")


def make_ensemble(path: Path, members: int = 5, scenario=BASELINE, keys=(ARRIVALS, ACCESS),
                  targets=ROOT / "calibration" / "targets.yaml") -> Path:
    """An ensemble file of ``members`` parameter sets of ``keys``, spread over their ranges."""
    frac = np.linspace(0.0, 1.0, members)
    table = {"member": np.arange(members)}
    for key, (low, high) in zip(keys, [(40.0, 80.0), (0.4, 0.8), (1.0, 2.0)]):
        table[key] = low + frac * (high - low)
    write_ensemble(path, pd.DataFrame(table), {"parameters": list(keys), "scenario": str(scenario),
                                               "targets_file": str(targets)})
    return path


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory) -> Path:
    return make_ensemble(tmp_path_factory.mktemp("ens") / "ensemble.parquet")


@pytest.fixture(scope="module")
def reference(ensemble):
    return cgt_sim.run(BASELINE, replications=7, seed=3, until=2017, executor="serial", ensemble=ensemble)


def assert_same(a, b) -> None:
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_each_replication_takes_a_member_in_turn(ensemble, reference):
    e = load_ensemble(ensemble)
    sampled = reference.sampled
    assert list(sampled.columns) == ["replication", "member", ARRIVALS, ACCESS]
    order = member_order(3, 5)
    assert sorted(order.tolist()) == list(range(5))  # a permutation of the members
    assert sampled["member"].tolist() == [int(order[r % 5]) for r in range(7)]
    assert np.array_equal(sampled[[ARRIVALS, ACCESS]].to_numpy(), e.values[sampled["member"].to_numpy()])
    counts = np.bincount(sampled["member"], minlength=5)
    assert counts.max() - counts.min() <= 1  # every member serves equally often
    # the member's values are the ones the model ran with: more arrivals, more programs
    annual = reference.annual.merge(sampled, on="replication")
    first = annual[annual["year"] == 2015].sort_values(ARRIVALS)
    assert first["new_programs"].iloc[-1] > first["new_programs"].iloc[0]
    assert reference.manifest["scenario"]["ensemble"]["parameters"] == [ARRIVALS, ACCESS]
    assert "ensemble" in cgt_sim.text.bands_text(reference.manifest)


@pytest.mark.parametrize("executor,workers", [("process", 2), ("serial", 1)])
def test_ensemble_runs_are_identical_across_executors(ensemble, reference, executor, workers):
    res = cgt_sim.run(BASELINE, replications=7, seed=3, until=2017, executor=executor, workers=workers,
                      ensemble=ensemble)
    assert_same(res, reference)


def test_ensemble_runs_are_identical_on_dask(ensemble, reference):
    cluster = local_cluster(2)
    try:
        res = cgt_sim.run(BASELINE, replications=7, seed=3, until=2017, executor="dask",
                          scheduler=cluster.scheduler_address, ensemble=ensemble)
    finally:
        cluster.close()
    assert_same(res, reference)


def test_scenarios_are_paired_by_member_and_streams(ensemble, reference):
    other = cgt_sim.run(ROOT / "scenarios" / "payment_reform.yaml", replications=7, seed=3, until=2017,
                        ensemble=ensemble)
    pd.testing.assert_frame_equal(other.sampled, reference.sampled)
    # payment reform starts in 2026: to 2017 the two scenarios are the same replication by replication
    pd.testing.assert_frame_equal(other.annual, reference.annual)
    table = cgt_sim.compare([BASELINE, ROOT / "scenarios" / "faster_approval.yaml"], replications=3, seed=3,
                            until=2017, years=[2017], metrics=["new_programs"], ensemble=ensemble)
    assert (table["diff_mean"] == 0).all()  # the IND pilot starts in 2025: nothing differs by 2017


def test_a_parameter_the_scenario_sets_keeps_its_value(ensemble, tmp_path):
    what_if = tmp_path / "what_if.yaml"
    what_if.write_text(f"extends: {BASELINE}\nset:\n  {ACCESS}: 0.3\n")
    res = cgt_sim.run(what_if, replications=2, seed=3, until=2016, ensemble=ensemble)
    described = res.manifest["scenario"]["ensemble"]
    assert described["parameters"] == [ARRIVALS] and described["kept"] == [ACCESS]
    assert list(res.sampled.columns) == ["replication", "member", ARRIVALS]
    fixed = cgt_sim.run(BASELINE, replications=2, seed=3, until=2016, ensemble=ensemble, overrides={ACCESS: 0.3})
    assert fixed.manifest["scenario"]["ensemble"]["kept"] == [ACCESS]


def test_resume_and_precision_over_an_ensemble(ensemble, reference, tmp_path):
    out = tmp_path / "res"

    def stop(done, total):
        if done >= 3:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted):
        cgt_sim.run(BASELINE, replications=7, seed=3, until=2017, executor="serial", out=out, ensemble=ensemble,
                    progress=stop)
    other = make_ensemble(tmp_path / "other.parquet", members=4)
    with pytest.raises(CgtSimError, match="was made over another ensemble"):
        cgt_sim.run(BASELINE, replications=7, seed=3, until=2017, out=out, resume=True, ensemble=other)
    with pytest.raises(CgtSimError, match="was made over an ensemble"):
        cgt_sim.run(BASELINE, replications=7, seed=3, until=2017, out=out, resume=True)
    res = cgt_sim.run(BASELINE, replications=7, seed=3, until=2017, out=out, resume=True, ensemble=ensemble)
    assert_same(res, reference)
    back = cgt_sim.load_results(out)
    assert_same(back, reference)
    precise = cgt_sim.run(BASELINE, replications=20, seed=3, until=2017, ensemble=ensemble, precision=0.5,
                          metric="new_programs")
    assert precise.manifest["replications"] == 10
    pd.testing.assert_frame_equal(precise.sampled.head(7), reference.sampled)


def test_saved_results_over_different_ensembles_are_not_compared(ensemble, reference, tmp_path):
    plain = cgt_sim.run(BASELINE, replications=7, seed=3, until=2017)
    with pytest.raises(ScenarioError, match="did not take the same parameter set"):
        cgt_sim.compare([reference, plain])


def test_ensembles_that_do_not_fit_are_refused(ensemble, tmp_path):
    alone = tmp_path / "alone.yaml"
    alone.write_text("name: alone\n")  # the catalogue's defaults: does not extend the baseline
    with pytest.raises(ScenarioError, match=r"was made for .*baseline.yaml, which the scenario \(alone.yaml\) "
                                            r"does not extend"):
        cgt_sim.run(alone, replications=1, until=2016, ensemble=ensemble)
    other_targets = make_ensemble(tmp_path / "t.parquet", targets=tmp_path / "other_targets.yaml")
    with pytest.raises(ScenarioError, match="was made for the targets .*other_targets.yaml, but the scenario is "
                                            "calibrated to calibration/targets.yaml"):
        cgt_sim.run(BASELINE, replications=1, until=2016, ensemble=other_targets)
    with pytest.raises(ScenarioError, match=r"market.access_ceiling: is uncertain in .*baseline_uncertain.yaml"):
        cgt_sim.run(ROOT / "scenarios" / "baseline_uncertain.yaml", replications=1, until=2016, ensemble=ensemble)
    unknown = tmp_path / "unknown.parquet"
    write_ensemble(unknown, pd.DataFrame({"member": [0], "market.acess_ceiling": [0.5]}),
                   {"parameters": ["market.acess_ceiling"], "scenario": str(BASELINE)})
    with pytest.raises(ScenarioError, match=r"market.acess_ceiling: unknown parameter \(did you mean "
                                            r"market.access_ceiling\?\)"):
        load_ensemble(unknown)
    outside = tmp_path / "outside.parquet"
    write_ensemble(outside, pd.DataFrame({"member": [0, 1], ACCESS: [0.5, 1.5]}),
                   {"parameters": [ACCESS], "scenario": str(BASELINE)})
    with pytest.raises(ScenarioError, match="market.access_ceiling: member 1 has 1.5, outside"):
        load_ensemble(outside)
    plain = tmp_path / "plain.parquet"
    pd.DataFrame({ACCESS: [0.5]}).to_parquet(plain)
    with pytest.raises(ScenarioError, match="is not an ensemble file written by cgt-sim calibrate"):
        load_ensemble(plain)
    with pytest.raises(ScenarioError, match="file not found"):
        load_ensemble(tmp_path / "missing.parquet")


def test_the_command_line_refuses_an_ensemble_of_another_scenario_in_one_line(ensemble, tmp_path):
    alone = tmp_path / "alone.yaml"
    alone.write_text("name: alone\n")
    out = tmp_path / "out"
    for verb in (["run", str(alone), "--out", str(out)],
                 ["compare", str(alone), str(BASELINE), "--out", str(tmp_path / "c.csv")],
                 ["sweep", str(alone), "--grid", "regulatory.p_ind_clear=0.9", "--out", str(out)]):
        proc = subprocess.run([sys.executable, "-m", "cgt_sim.cli", *verb, "-r", "2", "--until", "2016",
                               "--ensemble", str(ensemble)], capture_output=True, text=True, timeout=120)
        check_error(proc.returncode, proc.stdout, proc.stderr, [str(ensemble), "does not extend"])
    assert not out.exists() and not (tmp_path / "c.csv").exists()


def test_validate_runs_over_an_ensemble_and_says_its_coverage(ensemble):
    from cgt_sim.analysis.calibration import Scored, load_targets
    from cgt_sim.analysis.validate import prepare, target_check

    sc, _ = prepare(BASELINE, ROOT / "calibration" / "targets.yaml", ensemble)
    assert sc.ensemble is not None and len(sc.ensemble) == 5
    target = load_targets(ROOT / "calibration" / "targets.yaml").targets[0]
    row = target_check(Scored(target, 450.0, 400.0, 500.0, 10), 0.7)
    assert row.note == "70% of replications within the target" and row.passed
