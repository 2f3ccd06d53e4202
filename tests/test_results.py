"""ResultSet: summary, headline, atomic save and load."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import table_file

import cgt_sim
from cgt_sim import ResultSet, load_results
from cgt_sim import storage as storage_module
from cgt_sim.errors import CgtSimError, ResultError
from cgt_sim.outputs import HEADLINE
from cgt_sim.storage import REPORT_TITLE


def annual_frame(years=range(2015, 2023), replications=5, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(replications):
        for y in years:
            row = {"replication": r, "year": y}
            for i, m in enumerate(HEADLINE):
                row[m] = float(rng.normal(10 * (i + 1), 3))
            row["extra_metric"] = float(r * 100 + y)
            rows.append(row)
    df = pd.DataFrame(rows)
    df.loc[(df["replication"] == 0) & (df["year"] == years[0]), "vein_to_vein_days_median"] = np.nan
    return df


def result_set(seed=0, years=range(2015, 2023), replications=5) -> ResultSet:
    annual = annual_frame(years, replications, seed)
    programs = pd.DataFrame({"replication": [0, 0, 1], "program_id": [0, 1, 0],
                             "modality": ["autologous_car_t", "in_vivo_gene", "allogeneic_cell"],
                             "state": ["approved", "failed", "phase2"], "start_day": [1.5, 20.0, 33.25]})
    products = pd.DataFrame({"replication": [0], "program_id": [0], "approval_year": [2021],
                             "price_cny": [1.2e6]})
    sampled = pd.DataFrame({"replication": list(range(replications)),
                            "manufacturing.cogs_annual_decline": np.linspace(0, 0.08, replications)})
    manifest = {"seed": seed, "replications": replications, "scenario": {"name": "hand-made"},
                "wall_time_s": 0.5, "np_value": np.int64(3), "np_float": np.float64(0.25)}
    return ResultSet(annual, programs, products, manifest, sampled)


def folder_bytes(path: Path) -> dict:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- summary

def test_summary_columns_and_values():
    res = result_set()
    s = res.summary()
    assert list(s.columns) == ["metric", "year", "mean", "p5", "p50", "p95", "n"]
    assert res.metrics == list(HEADLINE) + ["extra_metric"]
    assert list(s["metric"].unique()) == res.metrics  # in column order
    assert len(s) == len(res.metrics) * 8
    for metric in res.metrics:
        years = s[s["metric"] == metric]["year"].tolist()
        assert years == sorted(years) == list(range(2015, 2023))
    a = res.annual
    for metric in ("programs_in_clinic", "vein_to_vein_days_median", "extra_metric"):
        for year in (2015, 2018, 2022):
            x = a[a["year"] == year][metric].dropna().to_numpy()
            row = s[(s["metric"] == metric) & (s["year"] == year)].iloc[0]
            assert row["mean"] == pytest.approx(x.mean())
            assert row["p5"] == pytest.approx(np.quantile(x, 0.05))
            assert row["p50"] == pytest.approx(np.median(x))
            assert row["p95"] == pytest.approx(np.quantile(x, 0.95))
            assert row["n"] == len(x)
    # the NaN is ignored, not counted
    row = s[(s["metric"] == "vein_to_vein_days_median") & (s["year"] == 2015)].iloc[0]
    assert row["n"] == 4
    row = s[(s["metric"] == "extra_metric") & (s["year"] == 2020)].iloc[0]
    assert row["mean"] == 200 + 2020  # replications 0..4 -> mean 200
    assert row["p5"] == pytest.approx(2020 + 20) and row["p95"] == pytest.approx(2020 + 380)


def test_summary_by_hand():
    annual = pd.DataFrame({"replication": [0, 1, 2, 0, 1, 2], "year": [2020, 2020, 2020, 2021, 2021, 2021],
                           "a": [1.0, 2.0, 3.0, 10.0, np.nan, 30.0], "b": [0, 0, 0, 5, 5, 5]})
    res = ResultSet(annual, pd.DataFrame(), pd.DataFrame())
    s = res.summary()
    expected = pd.DataFrame({
        "metric": ["a", "a", "b", "b"],
        "year": [2020, 2021, 2020, 2021],
        "mean": [2.0, 20.0, 0.0, 5.0],
        "p5": [1.1, 11.0, 0.0, 5.0],
        "p50": [2.0, 20.0, 0.0, 5.0],
        "p95": [2.9, 29.0, 0.0, 5.0],
        "n": [3, 2, 3, 3],
    })
    pd.testing.assert_frame_equal(s, expected, check_dtype=False)
    only_b = res.summary(["b"])
    assert only_b["metric"].tolist() == ["b", "b"]


# --------------------------------------------------------------------------- headline

@pytest.mark.parametrize("last, expected", [
    (2045, [2025, 2030, 2035, 2045]),
    (2040, [2025, 2030, 2035, 2040]),
    (2035, [2025, 2030, 2035]),
    (2031, [2025, 2030, 2031]),
    (2030, [2025, 2030]),
    (2025, [2025]),
    (2022, [2022]),
])
def test_headline_years(last, expected):
    res = result_set(years=range(2015, last + 1), replications=2)
    h = res.headline()
    assert sorted(h["year"].unique()) == expected
    assert set(h["metric"]) == set(HEADLINE)
    assert "extra_metric" not in set(h["metric"])
    assert list(h.columns) == ["metric", "year", "mean", "p5", "p50", "p95", "n"]


def test_summary_and_headline_take_one_name_or_year_and_refuse_unknown_ones():
    res = result_set()
    one = res.summary("patients_treated")
    assert list(one["metric"].unique()) == ["patients_treated"]
    assert list(res.summary(["approvals"])["metric"].unique()) == ["cumulative_approvals"]
    with pytest.raises(ValueError, match="^metric: unknown metric .bogus.; choose from approvals, ind_approvals, "):
        res.summary(["bogus"])
    assert set(res.headline(2020)["year"]) == {2020}
    with pytest.raises(ValueError, match="year 2099 is not in the result"):
        res.headline([2020, 2099])


def test_headline_explicit_years():
    res = result_set(years=range(2015, 2046), replications=2)
    assert sorted(res.headline(years=[2020, 2044])["year"].unique()) == [2020, 2044]


# --------------------------------------------------------------------------- save / load

def test_save_and_load_round_trip(tmp_path):
    res = result_set()
    out = res.save(tmp_path / "deep" / "r")
    assert out == tmp_path / "deep" / "r"
    assert sorted(p.name for p in out.iterdir()) == ["annual", "manifest.json", "products", "programs", "sampled",
                                                      "summary.csv"]
    assert [p.name for p in (out / "annual").iterdir()] == ["part-000000-000004.parquet"]
    back = load_results(out)
    pd.testing.assert_frame_equal(back.annual, res.annual)
    assert back.annual.equals(res.annual)
    pd.testing.assert_frame_equal(back.programs, res.programs)
    pd.testing.assert_frame_equal(back.products, res.products)
    pd.testing.assert_frame_equal(back.sampled, res.sampled)
    assert back.manifest == json.loads(json.dumps(res.manifest, default=storage_module._json))  # (no layout)
    assert json.loads((out / "manifest.json").read_text())["layout"]["parts"] == [[0, 4]]
    assert back.manifest["np_value"] == 3 and back.manifest["np_float"] == 0.25
    summary = pd.read_csv(out / "summary.csv")
    pd.testing.assert_frame_equal(summary, res.summary(), check_dtype=False)
    assert [p.name for p in tmp_path.joinpath("deep").iterdir()] == ["r"]  # no temp folders left


def test_a_home_folder_path_is_expanded_as_a_shell_would(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    out = result_set().save("~/r")
    assert out == tmp_path / "home" / "r"
    assert load_results("~/r").annual.equals(load_results(out).annual)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]  # no folder named "~"


def test_sampled_without_uncertain_parameters_holds_the_replications_of_annual(tmp_path):
    res = result_set()
    res.sampled = pd.DataFrame({"replication": [0, 1]})
    out = res.save(tmp_path / "r")
    pd.testing.assert_frame_equal(load_results(out).sampled, pd.DataFrame({"replication": np.arange(5)}))


def test_save_replaces_a_previous_result_and_keeps_the_users_files(tmp_path):
    target = tmp_path / "r"
    result_set(seed=1).save(target)  # with sampled: its draws
    assert len(pd.read_parquet(table_file(target, "sampled")).columns) > 1
    for name in ("report", "report/v1", "copied"):  # its report, and two copies of it the user kept
        (target / name).mkdir()
        (target / name / "report.md").write_text(REPORT_TITLE + "baseline\n")
        (target / name / "funnel.png").write_bytes(b"png")
    (target / "report" / "mine.txt").write_text("mine")
    (target / "copied" / "analysis.txt").write_text("mine")
    (target / "notes.txt").write_text("my notes")  # the user's own
    (target / "indices.csv").write_text("mine too")  # named like a sensitivity result's file
    (target / "figures").mkdir()
    (target / "figures" / "a.png").write_bytes(b"png")
    res = result_set(seed=2)
    res.sampled = res.sampled[["replication"]]  # nothing uncertain: no draws to write
    res.save(target)
    assert load_results(target).annual.equals(res.annual)
    assert sorted(p.name for p in target.iterdir()) == [
        "annual", "copied", "figures", "indices.csv", "manifest.json", "notes.txt", "products", "programs",
        "report", "sampled", "summary.csv"]
    assert list(pd.read_parquet(table_file(target, "sampled")).columns) == ["replication"]
    # the run's own report folder gives up the report's files; a copy is the user's, whole
    assert sorted(p.name for p in (target / "report").iterdir()) == ["mine.txt", "v1"]
    assert sorted(p.name for p in (target / "report" / "v1").iterdir()) == ["funnel.png", "report.md"]
    assert sorted(p.name for p in (target / "copied").iterdir()) == ["analysis.txt", "funnel.png", "report.md"]
    assert (target / "notes.txt").read_text() == "my notes" and (target / "indices.csv").read_text() == "mine too"
    assert (target / "figures" / "a.png").read_bytes() == b"png"
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_save_through_a_symbolic_link_writes_where_it_points(tmp_path):
    store = tmp_path / "store" / "r"
    result_set(seed=1).save(store)
    (store / "notes.txt").write_text("mine")
    link = tmp_path / "r"
    link.symlink_to(store, target_is_directory=True)
    res = result_set(seed=2)
    res.save(link)
    assert link.is_symlink() and load_results(store).annual.equals(res.annual)
    assert (store / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r", "store"]
    assert [p.name for p in (tmp_path / "store").iterdir()] == ["r"]


def test_save_refuses_tables_of_other_replications_and_counts_what_it_saves(tmp_path):
    res = result_set(seed=1)
    cut = ResultSet(res.annual[res.annual["replication"] < 1], res.programs, res.products, res.manifest,
                    res.sampled)
    with pytest.raises(CgtSimError, match="not written: programs holds replication 1, which annual does not"):
        cut.save(tmp_path / "r")
    cut.programs = res.programs[res.programs["replication"] < 1]
    with pytest.raises(CgtSimError, match="not written: sampled holds replication 1, which annual does not"):
        cut.save(tmp_path / "r")
    assert not (tmp_path / "r").exists()
    cut.sampled = res.sampled[res.sampled["replication"] < 1]
    loaded = load_results(cut.save(tmp_path / "r"))
    assert loaded.manifest["replications"] == 1 and loaded.annual.equals(cut.annual)
    # what load_results would refuse is not written either
    twice = ResultSet(pd.concat([res.annual, res.annual]), res.programs, res.products, res.manifest, res.sampled)
    with pytest.raises(CgtSimError, match="not written: the annual table holds a replication and year twice"):
        twice.save(tmp_path / "twice")
    for bad_year, message in ((res.annual.astype({"year": float}), "year column of annual has type float64"),
                              (res.annual.astype({"year": "Int64"}).mask(res.annual["year"] == 2016),
                               "year column of annual has missing values")):
        bad_year["replication"] = res.annual["replication"]
        with pytest.raises(CgtSimError, match=message):
            ResultSet(bad_year, res.programs, res.products, res.manifest, res.sampled).save(tmp_path / "twice")
    floats = ResultSet(res.annual.astype({"replication": float}), res.programs, res.products, res.manifest,
                       res.sampled)
    with pytest.raises(CgtSimError, match="not written: the replication column of annual has type float64; it must hold whole"):
        floats.save(tmp_path / "floats")
    assert not (tmp_path / "twice").exists() and not (tmp_path / "floats").exists()


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "r"
    result_set(seed=1).save(target)
    before = folder_bytes(target)
    calls = []
    real = pd.DataFrame.to_parquet

    def flaky(self, *args, **kwargs):
        calls.append(args[0] if args else kwargs.get("path"))
        if len(calls) == 2:
            raise OSError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", flaky)
    with pytest.raises(cgt_sim.SystemRefused, match="disk full"):  # one line naming the folder
        result_set(seed=2).save(target)
    assert len(calls) == 2
    assert folder_bytes(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["r"]  # no temp folder remains


def test_save_to_a_new_folder_leaves_nothing_when_writing_fails(tmp_path, monkeypatch):
    def broken(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(KeyboardInterrupt):
        result_set().save(tmp_path / "new")
    with pytest.raises(KeyboardInterrupt):
        result_set().save(tmp_path / "a" / "b" / "new")  # nor the folders made for it
    assert list(tmp_path.iterdir()) == []


def test_save_restores_the_previous_result_if_the_final_rename_fails(tmp_path, monkeypatch):
    target = tmp_path / "r"
    result_set(seed=1).save(target)
    before = folder_bytes(target)
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append((Path(src).name, Path(dst).name))
        if len(calls) == 2:  # the first moves the old result aside, the second fails
            raise OSError("rename failed")
        return real(src, dst)

    monkeypatch.setattr(storage_module.os, "replace", flaky)
    with pytest.raises(cgt_sim.SystemRefused, match="rename failed"):
        result_set(seed=2).save(target)
    assert folder_bytes(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_save_never_replaces_what_is_not_a_result(tmp_path):
    """A file, or a folder holding anything but an earlier result, is left as it was."""
    from cgt_sim.errors import CgtSimError

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "analysis.ipynb").write_text("mine")
    afile = tmp_path / "afile"
    afile.write_text("mine")
    for target in (notes, afile):
        before = sorted(p.name for p in tmp_path.iterdir())
        with pytest.raises(CgtSimError, match="not a cgt-sim result folder") as info:
            result_set().save(target)
        assert str(target) in str(info.value)
        assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (notes / "analysis.ipynb").read_text() == "mine" and afile.read_text() == "mine"
    empty = tmp_path / "empty"
    empty.mkdir()
    result_set().save(empty)  # an empty folder is fine
    assert (empty / "manifest.json").exists()


def test_save_never_replaces_a_result_of_another_kind_or_writes_where_it_cannot(tmp_path):
    from cgt_sim.errors import CgtSimError
    from cgt_sim.storage import check_result_folder

    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "manifest.json").write_text('{"written_by": "cgt-sim", "analysis": "sweep"}')
    with pytest.raises(CgtSimError, match="holds a sweep result, which a run result would replace"):
        result_set().save(sweep)
    assert [p.name for p in sweep.iterdir()] == ["manifest.json"]
    check_result_folder(sweep, "sweep")  # a sweep may replace a sweep
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(CgtSimError, match=f"cannot be written: {afile} is a file, not a folder"):
        result_set().save(afile / "sub")


@pytest.mark.parametrize("files", [
    {"manifest.json": '{"name": "My app", "start_url": "/"}', "index.html": "<html></html>"},
    {"manifest.json": "{}"},
    {"manifest.json": '{"scenario": '},  # not JSON
    {"report.md": "# Notes\n", "notes.txt": "mine"},
])
def test_a_folder_of_another_program_is_never_replaced(tmp_path, files):
    """A file named like cgt-sim's (manifest.json, report.md) does not make a folder cgt-sim's:
    saving over it would delete the other files."""
    from cgt_sim.errors import CgtSimError
    from cgt_sim.report import check_report_folder

    folder = tmp_path / "theirs"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    before = folder_bytes(folder)
    with pytest.raises(CgtSimError, match=f"^{folder}: exists and is not a cgt-sim result folder"):
        result_set().save(folder)
    with pytest.raises(CgtSimError, match=f"^{folder}: exists and is not an earlier report folder"):
        check_report_folder(folder)
    assert folder_bytes(folder) == before


def test_what_cgt_sim_wrote_is_recognised(tmp_path):
    from cgt_sim.storage import earlier_output

    out = result_set().save(tmp_path / "r")
    assert json.loads((out / "manifest.json").read_text())["written_by"] == "cgt-sim"
    assert "written_by" not in load_results(out).manifest
    assert earlier_output(out) == "run" and earlier_output(tmp_path) is None
    # a result written before manifests were marked: known by its package version and scenario
    (out / "manifest.json").write_text('{"package_version": "0.1.0", "scenario": {"name": "x"}}')
    assert earlier_output(out) == "run"


def test_a_damaged_table_is_named_not_a_traceback(tmp_path):
    from cgt_sim.errors import CgtSimError

    out = result_set().save(tmp_path / "r")
    table_file(out, "annual").write_text("junk")
    with pytest.raises(CgtSimError, match=f"{table_file(out, 'annual')}: cannot be read .*write it again"):
        load_results(out)


def test_an_unfinished_run_is_named_with_how_to_finish_it(tmp_path):
    """The folder an interrupted run keeps is not a result: the message says to resume it."""
    partial = tmp_path / "long.partial"
    partial.mkdir()
    (partial / "checkpoint.json").write_text("{}")
    with pytest.raises(ResultError, match=rf"^{partial}: is an unfinished run, .*--resume --out {tmp_path / 'long'} "):
        load_results(partial)
    (tmp_path / "other.partial").mkdir()  # no checkpoint: a folder like any other
    with pytest.raises(ResultError, match="is not a cgt-sim result folder"):
        load_results(tmp_path / "other.partial")


def test_load_results_of_a_non_result_folder(tmp_path):
    """A ResultError (the family's, exit code 2), and a FileNotFoundError as it always was."""
    for folder, says in ((tmp_path, "is not a cgt-sim result folder"), (tmp_path / "typo", "no such folder")):
        with pytest.raises(ResultError, match=f"^{folder}: {says}") as caught:
            load_results(folder)
        assert isinstance(caught.value, FileNotFoundError) and caught.value.exit_code == 2
        again = pickle.loads(pickle.dumps(caught.value))  # as it comes back from a worker process
        assert type(again) is type(caught.value) and str(again) == str(caught.value)


def test_load_results_names_a_folder_that_is_not_a_run_result(tmp_path):
    """A sweep or sensitivity result, an unreadable manifest or missing tables: a ScenarioError
    (what the command line shows as one line) naming the folder and what it is."""
    from cgt_sim.errors import CgtSimError

    for analysis in ("sweep", "sensitivity"):
        folder = tmp_path / analysis
        folder.mkdir()
        (folder / "manifest.json").write_text(json.dumps({"analysis": analysis, "scenario": {"name": "x"}}))
        with pytest.raises(CgtSimError) as info:
            load_results(folder)
        assert str(info.value) == (f"{folder}: is a {analysis} result, not a run result; load_results and "
                                   "`cgt-sim report` read folders written by `cgt-sim run`")
    broken = result_set().save(tmp_path / "broken")
    (broken / "manifest.json").write_text('{"scenario": ')
    with pytest.raises(CgtSimError, match="manifest.json is unreadable") as info:
        load_results(broken)
    assert str(info.value).startswith(f"{broken}: ")
    (broken / "manifest.json").write_text("[1, 2]")
    with pytest.raises(CgtSimError, match="not a JSON object"):
        load_results(broken)
    partial = result_set().save(tmp_path / "partial")
    table_file(partial, "annual").unlink()
    with pytest.raises(CgtSimError, match=r"partial/annual/part-000000-000004.parquet: is missing"):
        load_results(partial)


def test_load_results_refuses_what_cgt_sim_did_not_write_or_a_table_it_cannot_use(tmp_path):
    """What save would refuse to replace is no result to load either; tables without the
    key columns, or a run without a year, are not results."""
    from cgt_sim.errors import CgtSimError

    foreign = result_set().save(tmp_path / "foreign")
    (foreign / "manifest.json").write_text(json.dumps({"a": 1}))
    with pytest.raises(CgtSimError, match="has a manifest.json that cgt-sim did not write"):
        load_results(foreign)
    for table, column in (("annual", "year"), ("programs", "replication")):
        folder = result_set().save(tmp_path / table)
        df = pd.read_parquet(table_file(folder, table)).drop(columns=[column])
        df.to_parquet(table_file(folder, table))
        with pytest.raises(CgtSimError, match=rf"{table}/part-000000-000004.parquet: has no {column} column"):
            load_results(folder)
    empty = result_set().save(tmp_path / "empty")
    pd.read_parquet(table_file(empty, "annual")).iloc[:0].to_parquet(table_file(empty, "annual"))
    with pytest.raises(CgtSimError, match="annual/part-000000-000004.parquet: has no rows"):
        load_results(empty)


def test_load_results_refuses_a_damaged_result(tmp_path):
    """Keys of the wrong type, a manifest that disagrees with the tables, lost draws."""
    from cgt_sim.errors import CgtSimError

    text = result_set().save(tmp_path / "text")
    a = pd.read_parquet(table_file(text, "annual"))
    a.assign(replication=a["replication"].astype(str)).to_parquet(table_file(text, "annual"))
    with pytest.raises(CgtSimError, match="annual/part-000000-000004.parquet: its replication column holds .*, "
                       "not whole numbers"):
        load_results(text)
    counted = result_set().save(tmp_path / "counted")
    manifest = json.loads((counted / "manifest.json").read_text())
    (counted / "manifest.json").write_text(json.dumps({**manifest, "replications": 3}))
    with pytest.raises(CgtSimError, match="manifest.json: says 3 replications where its parts hold 5"):
        load_results(counted)
    drawn = result_set()
    drawn.manifest["scenario"]["uncertain"] = {"manufacturing.cogs_annual_decline": {"dist": "uniform"}}
    lost = drawn.save(tmp_path / "lost")
    table_file(lost, "sampled").unlink()
    with pytest.raises(CgtSimError, match="sampled/part-000000-000004.parquet: is missing"):
        load_results(lost)


def test_band_text_gives_a_dash_for_a_year_without_a_mean():
    """A year with no treated patients has no cost per patient: one dash, not '- [---]'."""
    from cgt_sim.text import band_text

    assert band_text(float("nan"), float("nan"), float("nan")) == "-"
    assert band_text(np.float64("nan"), 1.0, 2.0) == "-"
    assert band_text(1234.0, 1000.0, 2_500_000.0) == "1234 [1000-2.50M]"
    assert band_text(-3.0, -5.0, 0.5, ", ") == "-3.0 [-5.0, 0.50]"
    assert band_text(0.0, 0.0, 0.0) == "0 [0-0]"  # no IND approvals yet
    assert band_text(10_833.02e6, 6_593.95e6, 999_999.0) == "10.83bn [6.59bn-1.00M]"
    assert band_text(99.97, 0.996, 999_999_999.0) == "100 [1.0-1.00bn]"
    from cgt_sim.text import format_number
    assert [format_number(x) for x in (np.float32("nan"), pd.NA, np.inf, -np.inf, np.float32(3.5))] == [
        "-", "-", "inf", "-inf", "3.5"]


@pytest.mark.parametrize("x, text", [
    (9_999.4, "9999"), (12_345, "1.23万"), (99_999, "10.0万"), (999_949, "100万"), (1_234_567, "123万"),
    (12_345_678, "1,235万"), (99_995_000, "1.00亿"), (123_456_789, "1.23亿"), (1.5e10, "150亿"),
    (-184_000, "-18.4万"), (0.5, "0.50"), (0, "0"), (float("nan"), "-")])
def test_chinese_numbers_count_in_wan_and_yi(x, text):
    from cgt_sim.text import format_number

    assert format_number(x, "zh") == text


def test_differences_and_axes_are_written_for_their_reader():
    from cgt_sim.text import axis_scale, band_text, difference_text, signed_number

    assert [signed_number(x) for x in (7.06, -0.003, 0.27, 0, 12_000, float("nan"))] == [
        "+7.1", "-0.003", "+0.27", "0", "+12k", "-"]  # never '-0.00' beside '0.27'
    assert difference_text(-0.003, -0.2, 0.27) == "-0.003 [-0.2, +0.27]"
    assert signed_number(-50_000, "zh") == "-5.00万"
    assert band_text(184_000, 160_000, 208_000, lang="zh") == "18.4万 [16.0万～20.8万]"
    assert axis_scale(2.5e5, "cny") == (1e3, "CNY (thousands)") and axis_scale(2.5e5, "cny", "zh") == (1e4, "万元")
    assert axis_scale(3e9, "cny") == (1e9, "CNY (billions)") and axis_scale(3e9, "cny", "zh") == (1e8, "亿元")
    assert axis_scale(30_000, "patients", "zh") == (1.0, "人") and axis_scale(800, "cny") == (1.0, "CNY")


def test_every_output_has_its_names_and_unit_in_both_languages():
    from cgt_sim.outputs import HEADLINE, LABELS, METRIC_TEXT, UNITS, annual_columns, label

    assert set(METRIC_TEXT) == set(annual_columns())
    for metric, (en, zh, unit) in METRIC_TEXT.items():
        assert en and zh and unit in UNITS, metric
        assert all(ord(ch) < 0x2e80 for ch in en) and any(ord(ch) >= 0x2e80 for ch in zh), metric
    assert list(LABELS) == list(HEADLINE) and LABELS["cogs_per_patient_cny"] == label("cogs_per_patient_cny")
    assert label("cogs_per_patient_cny", "zh") == "每位患者生产成本（元）" and label("unknown_column") == "unknown_column"


@pytest.mark.parametrize("step", [1, 2, 3, 4])
def test_an_interrupted_swap_puts_the_earlier_result_and_the_users_files_back(tmp_path, monkeypatch, step):
    """A Ctrl-C at any rename of the swap (a user's file moved across, the earlier result moved
    aside, the new one moved in) leaves the earlier folder exactly as it was."""
    target = tmp_path / "r"
    result_set(seed=1).save(target)
    (target / "report").mkdir()
    (target / "report" / "report.md").write_text(REPORT_TITLE + "baseline\n")
    (target / "report" / "mine.txt").write_text("a note in the report")
    (target / "notes.txt").write_text("my notes")
    before = folder_bytes(target)
    real, calls = os.replace, []

    def interrupted(src, dst):
        calls.append((src, dst))
        if len(calls) == step:
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(storage_module.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        result_set(seed=2).save(target)
    monkeypatch.setattr(storage_module.os, "replace", real)
    assert folder_bytes(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_replacing_removes_only_what_the_earlier_output_wrote(tmp_path):
    """A file the earlier output could have written but did not (heat maps of a one-parameter
    sweep, second-order indices of a Morris analysis) is the user's, and stays."""
    from cgt_sim.storage import _written_here, write_manifest

    sweep1, sweep2, morris, sobol1, sobol2 = (tmp_path / n for n in ("sweep1", "sweep2", "morris", "s1", "s2"))
    for folder, manifest in ((sweep1, {"analysis": "sweep", "grid": {"a": [1]}, "metrics": ["m"]}),
                             (sweep2, {"analysis": "sweep", "grid": {"a": [1], "b": [2]}, "metrics": ["m"]}),
                             (morris, {"analysis": "sensitivity", "method": "morris"}),
                             (sobol1, {"analysis": "sensitivity", "method": "sobol", "factors": [{}]}),
                             (sobol2, {"analysis": "sensitivity", "method": "sobol", "factors": [{}, {}]})):
        folder.mkdir()
        write_manifest(folder, {"package_version": "0", "scenario": {}, **manifest})
    assert "heatmap_m.png" not in _written_here(sweep1, "sweep")
    assert "heatmap_m.png" in _written_here(sweep2, "sweep")
    assert "second_order.csv" not in _written_here(morris, "sensitivity")
    assert "second_order.csv" not in _written_here(sobol1, "sensitivity")  # one factor: no pairs
    assert "second_order.csv" in _written_here(sobol2, "sensitivity")
    assert "sampled.parquet" in _written_here(tmp_path, "run")  # read back as the draws: never kept


def test_a_ctrl_c_during_a_swap_takes_effect_after_it(tmp_path):
    import signal

    from cgt_sim.storage import WRITTEN, sigint_deferred

    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), sigint_deferred():
        os.kill(os.getpid(), signal.SIGINT)
        reached = True  # not cut short
    assert reached and signal.getsignal(signal.SIGINT) == before
    out = result_set().save(tmp_path / "r")
    assert WRITTEN[-1] == out  # the command line names it after a later Ctrl-C


def test_summarise_gives_the_figures_of_a_groupby_over_the_long_table():
    """The summary groups one metric at a time (memory); its figures are those of the plain
    definition: every metric melted into one long table, grouped by metric and year."""
    from cgt_sim.results import summarise

    rng = np.random.default_rng(8)
    n = 40
    annual = pd.DataFrame({"replication": np.repeat(np.arange(n), 3), "year": np.tile([2024, 2025, 2026], n),
                           "count": rng.integers(0, 50, 3 * n), "share": rng.random(3 * n)})
    annual.loc[::7, "share"] = np.nan
    for metrics in (["count"], ["count", "share"], ["share", "count"]):
        long = annual.melt(id_vars=["replication", "year"], value_vars=metrics, var_name="metric")
        g = long.groupby(["metric", "year"], sort=False)["value"]
        expected = pd.DataFrame({"mean": g.mean(), "p5": g.quantile(0.05), "p50": g.quantile(0.5),
                                 "p95": g.quantile(0.95), "n": g.count()}).reset_index()
        expected["_o"] = expected["metric"].map({m: i for i, m in enumerate(metrics)})
        expected = expected.sort_values(["_o", "year"]).drop(columns="_o").reset_index(drop=True)
        pd.testing.assert_frame_equal(summarise(annual, metrics), expected, check_exact=True)
