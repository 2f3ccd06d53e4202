"""Paired comparison under common random numbers (cgt_sim/compare.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from conftest import check_error
from typer.testing import CliRunner

import cgt_sim
from cgt_sim.cli import app
from cgt_sim.errors import ScenarioError

SCEN = Path(__file__).resolve().parents[1] / "scenarios"
BASE = SCEN / "baseline.yaml"


def test_identical_scenarios_differ_by_exactly_zero():
    table = cgt_sim.compare([BASE, BASE], replications=3, seed=5, workers=1, until=2024)
    assert set(table["year"]) == {2024}
    assert (table["diff_mean"].fillna(0.0) == 0.0).all()
    finite = table.dropna(subset=["diff_low"])
    assert (finite["diff_low"] == 0.0).all() and (finite["diff_high"] == 0.0).all()
    assert finite["includes_zero"].all()


def test_paired_intervals_are_tighter_than_unpaired():
    """Faster IND review changes little by 2027; pairing removes the noise the runs share."""
    table = cgt_sim.compare([BASE, SCEN / "faster_approval.yaml"], replications=8, seed=3,
                            workers=2, until=2027, metrics=["cumulative_ind_approvals",
                                                            "cumulative_approvals"])
    width = table["diff_high"] - table["diff_low"]
    unpaired = table["unpaired_high"] - table["unpaired_low"]
    assert (width < unpaired).all(), table
    inds = table[table["metric"] == "cumulative_ind_approvals"].iloc[0]
    assert inds["diff_mean"] > 0  # 30 instead of 60 working days clears INDs sooner


def test_python_compare_takes_one_metric_or_year_and_refuses_what_the_cli_refuses():
    table = cgt_sim.compare([BASE, BASE], replications=2, seed=5, workers=1, until=2017,
                            metrics="patients_treated", years=2017)
    assert list(table["metric"]) == ["patients_treated"] and list(table["year"]) == [2017]
    # asked twice, or by a short name and a column name: once
    twice = cgt_sim.compare([BASE, BASE], replications=2, seed=5, workers=1, until=2017, years=[2017, 2017],
                            metrics=["approvals", "cumulative_approvals", "patients_treated", "patients_treated"])
    assert list(twice["metric"]) == ["cumulative_approvals", "patients_treated"] and (twice["n"] == 2).all()
    assert str(table["includes_zero"].dtype) == "boolean"
    for kw, message in ((dict(scenarios=str(BASE)), "give a list of at least two scenarios"),
                        (dict(replications=1), "replications: must be a whole number >= 2"),
                        (dict(level="0.9"), "level: must be a number between 0 and 1"),
                        (dict(years=[2016.5]), "years: 2016.5 is not a year"),
                        (dict(years=[]), "years: is empty: give at least one"),  # not the defaults
                        (dict(metrics=[]), "metrics: is empty: give at least one")):
        kw = {"scenarios": [BASE, BASE], "replications": 2, "until": 2017, **kw}
        with pytest.raises(cgt_sim.CgtSimError, match=message):
            cgt_sim.compare(**kw)


def test_an_interval_from_one_pair_is_undefined_not_significant():
    from cgt_sim.analysis.compare import paired_differences

    res = cgt_sim.run(BASE, replications=1, seed=5, workers=1, until=2016)
    other = cgt_sim.run(SCEN / "faster_approval.yaml", replications=1, seed=5, workers=1, until=2016)
    table = paired_differences([res, other], ["new_programs"], [2016])
    assert table["diff_low"].isna().all() and table["includes_zero"].isna().all()


def test_default_years_are_2030_2035_and_the_horizon():
    from cgt_sim.analysis.points import default_years

    assert default_years(2015, 2045) == [2030, 2035, 2045]
    assert default_years(2015, 2032) == [2030, 2032]
    assert default_years(2015, 2030) == [2030]


@pytest.mark.parametrize("args,needle", [
    ([str(BASE)], "at least two"),
    ([str(BASE), str(BASE), "--metric", "nope"], "--metric: unknown metric 'nope'"),
    ([str(BASE), str(BASE), "--years", "2050"], "--years: 2050 is outside"),
    ([str(BASE), str(BASE), "--years", "soon"], "--years"),
    ([str(BASE), str(BASE), "--years", ""], "--years: is empty"),
    ([str(BASE), str(BASE), "--replications", "1"], "--replications"),
    ([str(BASE), str(BASE), "--level", "1.5"], "--level"),
    ([str(BASE), str(SCEN / "missing.yaml")], "file not found"),
])
def test_bad_compare_input_gives_one_line(args, needle):
    result = CliRunner().invoke(app, ["compare", *args])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], result.output


def test_cli_compare_writes_the_table(tmp_path):
    out = tmp_path / "cmp.csv"
    result = CliRunner().invoke(app, ["compare", str(BASE), str(SCEN / "cold_chain.yaml"), "-r", "2",
                                      "--until", "2022", "--workers", "1", "--out", str(out),
                                      "-m", "programs_in_clinic"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table["scenario"].unique()) == ["cold_chain"]
    assert list(table["year"]) == [2022]
    assert {"diff_mean", "diff_low", "diff_high", "unpaired_low", "unpaired_high",
            "includes_zero"} <= set(table.columns)
    # run again into the same file: an earlier table is replaced; a file of another kind never is
    again = CliRunner().invoke(app, ["compare", str(BASE), str(SCEN / "cold_chain.yaml"), "-r", "2",
                                     "--until", "2016", "--workers", "1", "--out", str(out), "-q"])
    assert again.exit_code == 0, again.output
    assert list(pd.read_csv(out)["year"]) == [2016] * len(pd.read_csv(out))
    mine = tmp_path / "mine.yaml"
    mine.write_text("name: mine\n")
    refused = CliRunner().invoke(app, ["compare", str(BASE), str(SCEN / "cold_chain.yaml"), "-r", "2",
                                       "--until", "2016", "--workers", "1", "--out", str(mine), "-q"])
    assert refused.exit_code == 2 and refused.stderr.startswith(
        f"error: {mine}: exists and is not a table written by cgt-sim compare (nothing was written)")
    assert mine.read_text() == "name: mine\n"


def test_rows_tell_apart_scenarios_that_share_a_name(tmp_path):
    from cgt_sim.analysis.compare import scenario_labels

    ind = "regulatory.ind_review_working_days"
    variants = [cgt_sim.load_scenario(BASE, overrides={ind: d}) for d in (60, 30, 120)]
    table = cgt_sim.compare(variants, replications=2, seed=5, workers=1, until=2017, metrics="ind_approvals",
                            years=2017)
    assert list(table["scenario"]) == [f"baseline ({ind}=30.0)", f"baseline ({ind}=120.0)"]
    assert set(table["baseline"]) == {f"baseline ({ind}=60.0)"}
    # a copy of a file under another name: the file tells them apart; the same scenario twice: a number
    copy = tmp_path / "mine.yaml"
    copy.write_text(f"name: baseline\nextends: {BASE}\n")
    assert scenario_labels([cgt_sim.load_scenario(BASE), cgt_sim.load_scenario(copy)]) == [
        "baseline (baseline.yaml)", "baseline (mine.yaml)"]
    assert scenario_labels([variants[0], variants[0]]) == ["baseline #1", "baseline #2"]
    # files of one name in two folders: as much of the path as tells them apart
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "mine.yaml").write_text(f"name: baseline\nextends: {BASE}\n")
    assert scenario_labels([cgt_sim.load_scenario(tmp_path / f / "mine.yaml") for f in ("a", "b")]) == [
        "baseline (a/mine.yaml)", "baseline (b/mine.yaml)"]
    dated = [cgt_sim.load_scenario(BASE, overrides={"market.price_erosion": {"value": v, "from": "2024-01-01"}})
             for v in (0.1, 0.2)]
    assert scenario_labels(dated) == ["baseline (market.price_erosion=0.1 from 2024-01-01)",
                                      "baseline (market.price_erosion=0.2 from 2024-01-01)"]
    assert scenario_labels([variants[0], cgt_sim.load_scenario(SCEN / "faster_approval.yaml")]) == [
        "baseline", "faster_approval"]


@pytest.mark.slow
def test_saved_results_compare_as_the_scenarios_do(tmp_path, monkeypatch):
    """Results saved by run compare without running again, to the same table as comparing
    their scenarios; different seeds or years, mixed inputs and run options are refused."""
    from cgt_sim.errors import CgtSimError

    scen = Path(__file__).resolve().parents[1] / "scenarios"
    kw = dict(replications=3, seed=5, until=2024, workers=1)
    a = cgt_sim.run(scen / "baseline.yaml", out=tmp_path / "a", **kw)
    b = cgt_sim.run(scen / "faster_approval.yaml", out=tmp_path / "b", **kw)
    ran = cgt_sim.compare([scen / "baseline.yaml", scen / "faster_approval.yaml"], years=[2020, 2024], **kw)
    pd.testing.assert_frame_equal(cgt_sim.compare([a, b], years=[2020, 2024]), ran)
    loaded = [cgt_sim.load_results(tmp_path / n) for n in "ab"]
    pd.testing.assert_frame_equal(cgt_sim.compare(loaded, years=[2020, 2024]), ran)
    pd.testing.assert_frame_equal(cgt_sim.compare([tmp_path / "a", str(tmp_path / "b")], years=[2020, 2024]), ran)

    other_seed = cgt_sim.run(scen / "baseline.yaml", **{**kw, "seed": 6})
    with pytest.raises(CgtSimError, match="baseline #2 was run from seed 6 and baseline #1 from seed 5: their replications are not paired"):
        cgt_sim.compare([a, other_seed])
    shorter = cgt_sim.run(scen / "baseline.yaml", **{**kw, "until": 2022})
    with pytest.raises(CgtSimError, match="must cover the same years: baseline #1 covers 2015-2024, baseline #2 "
                                            "2015-2022"):
        cgt_sim.compare([a, shorter])
    with pytest.raises(CgtSimError, match="^until: applies to scenarios"):
        cgt_sim.compare([a, b], until=2020)
    for mixed, message in (([a, scen / "baseline.yaml"], "baseline.yaml: is a file, not a result folder"),
                           ([tmp_path / "a", tmp_path / "typo"], "typo: not found"),
                           ([a, cgt_sim.load_scenario(scen / "baseline.yaml")], "item 1 is a Scenario, among saved results")):
        with pytest.raises(CgtSimError, match=message):  # the argument at fault is named
            cgt_sim.compare(mixed)
    # results of unequal replication counts pair on those both have: means and differences alike
    more = cgt_sim.run(scen / "faster_approval.yaml", **{**kw, "replications": 5})
    uneven = cgt_sim.compare([a, more], years=[2024], metrics="ind_approvals")
    same = cgt_sim.compare([a, b], years=[2024], metrics="ind_approvals")
    pd.testing.assert_frame_equal(uneven, same)
    assert uneven["n"].tolist() == [3]

    monkeypatch.chdir(tmp_path)
    ok = CliRunner().invoke(app, ["compare", "a", "b", "--years", "2020,2024", "--out", "c.csv", "-q"])
    assert ok.exit_code == 0, ok.output
    pd.testing.assert_frame_equal(pd.read_csv("c.csv"), pd.read_csv(io.StringIO(ran.to_csv(index=False))))
    (tmp_path / "empty").mkdir()
    one = cgt_sim.run(scen / "baseline.yaml", **{**kw, "replications": 1}, out=tmp_path / "one")
    with pytest.raises(CgtSimError, match="baseline #2 has 1 replication; an interval needs at least 2"):
        cgt_sim.compare([a, one])
    for args, message in ((["a", str(scen / "baseline.yaml")], "is a file, not a result folder; give result folders, or "
                                                               "scenario files, not both"),
                          (["a", "b", "-r", "50"],  # even the default value
                           "--replications: applies to scenarios to run; results are compared as they were run"),
                          (["a", "empty"], "empty: is not a cgt-sim result folder (no manifest.json)"),
                          (["a", "nothere"], "nothere: not found"),
                          (["a", "./a"], "a: is given twice; give each result once"),
                          (["a", str(tmp_path / "a")], "is given twice (also as a); give each result once")):
        bad = CliRunner().invoke(app, ["compare", *args, "--out", "d.csv"])
        assert bad.exit_code == 2 and message in bad.output, bad.output
        assert not (tmp_path / "d.csv").exists()


def _made(name: str, values: dict) -> cgt_sim.ResultSet:
    """A hand-made result of one year: {replication: vein-to-vein days (NaN: no patient)}."""
    annual = pd.DataFrame({"replication": list(values), "year": 2020,
                           "vein_to_vein_days_median": list(values.values())})
    empty = pd.DataFrame({"replication": pd.Series([], dtype=int)})
    manifest = {"seed": 1, "replications": len(values), "start_year": 2020, "horizon_year": 2020,
                "scenario": {"name": name}}
    return cgt_sim.ResultSet(annual, empty, empty, manifest, None)


def test_saved_results_pair_where_both_have_a_value_and_share_enough_replications():
    nan = float("nan")
    base = _made("base", {0: 30.0, 1: nan, 2: 40.0, 3: 50.0, 4: 36.0})
    other = _made("other", {0: 28.0, 1: 20.0, 2: nan, 3: 47.0, 4: 30.0, 5: 99.0})
    row = cgt_sim.compare([base, other], metrics="vein_to_vein_days_median", years=2020).iloc[0]
    # the pairs: replications 0, 3 and 4 (1 and 2 lack a value in one result, 5 is not in base)
    assert row["n"] == 3 and row["baseline_mean"] == pytest.approx((30 + 50 + 36) / 3)
    assert row["scenario_mean"] == pytest.approx((28 + 47 + 30) / 3)
    assert row["diff_mean"] == pytest.approx(row["scenario_mean"] - row["baseline_mean"])
    assert row["unpaired_low"] < row["diff_mean"] < row["unpaired_high"]
    apart = _made("apart", {7: 1.0, 8: 2.0})
    with pytest.raises(cgt_sim.ScenarioError, match="apart and base share 0 replications"):
        cgt_sim.compare([base, apart])
    from cgt_sim.analysis.compare import pairs_text, shared_replications
    assert pairs_text(shared_replications([base, other, _made("three", {0: 1.0, 3: 1.0, 4: 1.0})])) == (
        "3-5 paired replications")
    assert pairs_text([6, 6]) == "6 paired replications"


def test_a_result_holding_a_year_twice_is_refused_by_name():
    base = _made("base", {0: 30.0, 1: 31.0, 2: 32.0})
    doubled = _made("doubled", {0: 30.0, 1: 31.0, 2: 32.0})
    doubled.annual = pd.concat([doubled.annual, doubled.annual])
    with pytest.raises(cgt_sim.ScenarioError, match="doubled holds a replication and year twice"):
        cgt_sim.compare([base, doubled])


def _saved(annual_a: dict, annual_b: dict, seed: int = 1):
    """Two ResultSets of one seed whose annual tables hold the given columns (a row per
    replication, year 2020)."""
    from cgt_sim.results import ResultSet

    def result(columns, name):
        n = len(next(iter(columns.values())))
        annual = pd.DataFrame({"replication": range(n), "year": [2020] * n, **columns})
        manifest = {"scenario": {"name": name}, "seed": seed, "replications": n, "start_year": 2020,
                    "horizon_year": 2020, "model_fingerprint": "x"}
        keys = pd.DataFrame({"replication": pd.Series([], dtype="int32"), "program_id": pd.Series([], dtype="int32")})
        return ResultSet(annual, keys, keys.copy(), manifest)

    return result(annual_a, "a"), result(annual_b, "b")


def test_a_zero_width_interval_is_read_for_what_it_is():
    """Differences within rounding of the levels include zero (not 'excluding zero' because the
    interval has no width); the same difference in every pair is said to be that, not a finding
    of the replications; a real spread is read as higher, lower or unclear."""
    from cgt_sim.analysis.compare import compare_results
    from cgt_sim.text import difference_rows

    base = [250_000.0, 180_000.0, 300_000.0, 220_000.0]
    a, b = _saved({"noise": base, "shift": [1.0, 2.0, 3.0, 4.0], "spread": [10.0, 12.0, 9.0, 11.0],
                   "flat": [5.0, 5.0, 5.0, 5.0]},
                  {"noise": [x + 2.0 ** -20 for x in base],  # (exactly: the same in every pair)
                   "shift": [6.0, 7.0, 8.0, 9.0], "spread": [20.0, 23.0, 18.0, 22.0],
                   "flat": [5.0, 5.0, 5.0, 5.0]})
    table = compare_results([a, b], metrics=["noise", "shift", "spread", "flat"], years=[2020]).set_index("metric")
    assert table.loc["noise", "diff_low"] > 0  # an interval of rounding noise, all above zero ...
    assert bool(table.loc["noise", "includes_zero"])  # ... includes zero
    assert table.loc["shift", "diff_low"] == table.loc["shift", "diff_high"] == 5.0
    assert not bool(table.loc["shift", "includes_zero"])
    _heads, rows = difference_rows(table.reset_index(), 0.9)
    reading = {row[1]: row[-1] for row in rows}
    assert reading == {"noise": "no difference in any pair", "shift": "the same difference in every pair",
                       "spread": "higher", "flat": "no difference in any pair"}


def test_the_table_shows_both_levels_and_the_difference_in_headline_units(tmp_path):
    """compare prints each scenario's level beside the reference's and the paired difference
    with its interval, named and written as in run's headline table (CNY in k/M; 万 in Chinese)."""
    a, b = _saved({"cogs_per_patient_cny": [250_000.0, 260_000.0, 255_000.0]},
                  {"cogs_per_patient_cny": [200_000.0, 212_000.0, 203_000.0]})
    folders = [str(r.save(tmp_path / n)) for r, n in ((a, "a"), (b, "b"))]
    for lang, cells in (("en", ["cost of goods per patient (CNY)", "255k", "205k", "-50k [", "lower"]),
                        ("zh", ["每位患者生产成本（元）", "25.5万", "20.5万", "-5.00万 [", "低于参照"])):
        result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["compare", *folders, "--metric", "cogs_per_patient_cny",
                                                                "--out", str(tmp_path / "c.csv"), "--lang", lang])
        assert result.exit_code == 0, result.output
        row = next(line for line in result.stdout.splitlines() if "2020" in line and "│" in line)
        assert all(cell in row for cell in cells), (cells, row)
        assert "~0" not in result.stdout and "cogs_per_patient_cny" not in result.stdout


def test_a_failed_compare_creates_no_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for args in ([str(BASE), str(SCEN / "missing.yaml")], [str(BASE), str(BASE), "--metric", "nope"],
                 [str(BASE), str(BASE), "--out", "deep/er/c.csv", "--years", "2050"],
                 [str(BASE), str(BASE), "--report", "rep/x", "--lang", "fr"]):
        result = CliRunner().invoke(app, ["compare", *args, "-r", "2", "--until", "2016", "-w", "1"])
        assert result.exit_code == 2, result.output
        assert list(tmp_path.iterdir()) == [], args


def test_compare_report_draws_the_difference_of_each_metric_by_year(tmp_path):
    """compare --report writes the report of the runs it made: the paired difference from the
    first scenario by year for each compared metric (with zero marked), and report.html."""
    from matplotlib.figure import Figure

    drawn = {}
    real = Figure.savefig

    def savefig(fig, path, *args, **kwargs):
        drawn[Path(path).name] = fig.axes[0]
        return real(fig, path, *args, **kwargs)

    out = tmp_path / "rep"
    import unittest.mock

    with unittest.mock.patch.object(Figure, "savefig", savefig):
        result = CliRunner().invoke(app, ["compare", str(BASE), str(SCEN / "faster_approval.yaml"), "-r", "2",
                                          "--until", "2027", "-w", "1", "--out", str(tmp_path / "c.csv"), "-q",
                                          "--metric", "ind_approvals", "--metric", "patients_treated",
                                          "--report", str(out)])
    assert result.exit_code == 0, result.output
    for metric in ("cumulative_ind_approvals", "patients_treated"):
        ax = drawn[f"difference_{metric}.png"]
        assert ax.get_title().endswith(": difference from baseline")
        zero = [line for line in ax.get_lines() if line.get_label() == "no difference"]
        assert len(zero) == 1 and set(zero[0].get_ydata()) == {0.0}
        (mean,) = [line for line in ax.get_lines() if line.get_label().startswith("faster_approval: mean")]
        assert list(mean.get_xdata()) == list(range(2015, 2028))  # every year, not only the table's
        marks = [line for line in ax.get_lines() if "policy from 2025-04" in line.get_label()]
        assert len(marks) == 1 and marks[0].get_xdata()[0] == pytest.approx(2025 + 90 / 365)
    written = {p.name for p in out.iterdir()}
    assert {"difference_cumulative_ind_approvals.png", "report.html", "report.md"} <= written
    assert "difference_cumulative_approvals.png" not in written  # the metrics compared, not the defaults
    text = (out / "report.md").read_text()
    assert "## Differences from baseline (mean [90% paired interval])" in text


def test_a_library_scenario_among_result_folders_is_named_as_one(tmp_path, monkeypatch):
    """`compare results/baseline payment_reform` mixes a saved result with a scenario to run: the
    scenario is there (in the library), so "not found" would send the reader looking for it."""
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError, match="^payment_reform: is a scenario of the library, not a result folder; "
                                            "give result folders, or scenarios, not both"):
        cgt_sim.compare(["payment_reform", "a"])
    bad = CliRunner().invoke(app, ["compare", "payment_reform", "a", "-q"])
    check_error(bad.exit_code, bad.stdout, bad.stderr, ["payment_reform: is a scenario of the library"])
    with pytest.raises(ScenarioError, match="^typo: not found$"):
        cgt_sim.compare(["typo", "a"])
    assert [p.name for p in tmp_path.iterdir()] == ["a"]
