"""cgt-sim report: figures and report.md from result folders (cgt_sim/report.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import folder_bytes, table_file
from matplotlib.figure import Figure
from typer.testing import CliRunner

import cgt_sim
from cgt_sim.cli import app
from cgt_sim.plot import PALETTE
from cgt_sim.report import FAN_METRICS, funnel, report_files

ROOT = Path(__file__).resolve().parents[1]

SCEN = Path(__file__).resolve().parents[1] / "scenarios"
IND = "regulatory.ind_review_working_days"
SERIES = [int(PALETTE[0][i:i + 2], 16) for i in (1, 3, 5)]  # the first series' colour


@pytest.fixture(scope="module")
def two_results(tmp_path_factory):
    root = tmp_path_factory.mktemp("res")
    paths = []
    for name in ("baseline", "cold_chain"):
        res = cgt_sim.run(SCEN / f"{name}.yaml", replications=2, seed=4, workers=1, until=2026)
        paths.append(res.save(root / name))
    return paths


def test_report_writes_every_figure_and_the_markdown(two_results, tmp_path):
    out = tmp_path / "rep"
    result = CliRunner().invoke(app, ["report", *map(str, two_results), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = (out / "report.md").read_text()
    for metric, title, _unit in FAN_METRICS:
        png = out / f"{metric}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
        assert f"]({metric}.png)" in text and title in text
    assert (out / "funnel.png").exists() and "baseline" in text and "cold_chain" in text
    assert text.count("bands: the model's randomness only (no parameter drawn from an uncertain: block)") == 2
    assert "| cost of goods per patient (CNY) |" in text  # the run table's names, not column names
    for name in ("baseline", "cold_chain"):  # what each scenario is, as its file says
        about = " ".join(cgt_sim.load_scenario(SCEN / f"{name}.yaml").description.split())
        assert f"\n  {about}\n" in text


def test_funnel_counts_every_program_once(two_results):
    res = cgt_sim.load_results(two_results[0])
    f = funnel(res)
    assert f.sum() == pytest.approx(len(res.programs) / 2)  # mean over 2 replications
    assert (f >= 0).all()


def test_report_rejects_a_folder_that_is_not_a_result(tmp_path):
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "not a cgt-sim result folder" in lines[0]


def test_report_rejects_a_sweep_a_sensitivity_and_a_broken_result(two_results, tmp_path):
    """Folders with a manifest.json that are not run results: one line naming the folder and
    what it is, exit 2, no traceback and no report written."""
    sweep = cgt_sim.sweep(SCEN / "baseline.yaml", {IND: [30]}, replications=1, until=2015,
                          metrics=["new_programs"], workers=1).save(tmp_path / "sweep")
    sensitivity = tmp_path / "sensitivity"
    sensitivity.mkdir()
    (sensitivity / "manifest.json").write_text(json.dumps({"analysis": "sensitivity", "method": "sobol"}))
    broken = Path(shutil.copytree(two_results[0], tmp_path / "broken"))
    (broken / "manifest.json").write_text('{"scenario": {"name": ')
    cases = ((sweep, "is a sweep result, not a run result"),
             (sensitivity, "is a sensitivity result, not a run result"),
             (broken, "manifest.json is unreadable"))
    for folder, what in cases:
        out = tmp_path / f"report_{folder.name}"
        result = CliRunner().invoke(app, ["report", str(two_results[0]), str(folder), "--out", str(out)])
        assert result.exit_code == 2, (folder, result.output, result.exception)
        assert "Traceback" not in result.output
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith(f"error: {folder}: {what}"), lines
        if what.endswith("run result"):
            assert "`cgt-sim run`" in lines[0]
        assert not out.exists()


def test_report_tells_two_runs_of_one_scenario_apart(two_results, tmp_path, monkeypatch):
    """Two results of the baseline (one with a --set) get labels that differ: the folder name
    joins the scenario name, in the markdown and in every chart legend."""
    ind30 = cgt_sim.run(SCEN / "baseline.yaml", replications=2, seed=4, workers=1, until=2018,
                        overrides={IND: 30}).save(tmp_path / "baseline_ind30")
    assert cgt_sim.load_results(ind30).manifest["scenario"]["name"] == "baseline"
    legends = {}
    real_savefig = Figure.savefig

    def savefig(fig, path, *args, **kwargs):
        legends[Path(path).name] = [t.get_text() for ax in fig.axes if ax.get_legend()
                                    for t in ax.get_legend().get_texts()]
        return real_savefig(fig, path, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", savefig)
    out = tmp_path / "rep"
    result = CliRunner().invoke(app, ["report", str(two_results[0]), str(ind30), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = (out / "report.md").read_text()
    assert "### baseline (baseline)\n" in text and "### baseline (baseline_ind30)\n" in text
    assert "### baseline\n" not in text
    # other horizons: no differences (said in the report), the levels and the rest drawn
    assert set(legends) == set(report_files()) - {"report.md", "report.html"} - {
        f"difference_{m}.png" for m, _, _ in FAN_METRICS}
    assert "No differences are shown: all results must cover the same years" in text
    for name in [f"{m}.png" for m, _, _ in FAN_METRICS] + ["funnel.png"]:
        labels = legends[name]
        assert len(labels) == 2 and len(set(labels)) == 2, labels
        assert "baseline_ind30" in labels[1]
    assert sum("baseline_ind30" in label for label in legends["spending.png"]) == 1  # its hatching


def test_series_labels():
    from cgt_sim.text import series_labels

    assert series_labels(["baseline", "cold_chain"], ["r/a", "r/b"]) == ["baseline", "cold_chain"]
    assert series_labels(["baseline", "baseline", "cold_chain"], ["r/a", "r/b", "r/c"]) == [
        "baseline (a)", "baseline (b)", "cold_chain"]
    # the same folder name under two parents: the paths; the same folder twice: numbered
    assert series_labels(["baseline", "baseline"], ["x/r", "y/r"]) == ["baseline (x/r)", "baseline (y/r)"]
    assert series_labels(["baseline", "baseline"], ["x/r", "x/r"]) == ["baseline (x/r) #1", "baseline (x/r) #2"]


def test_report_writes_only_into_a_new_empty_or_report_folder(two_results, tmp_path):
    other = tmp_path / "sweep"
    other.mkdir()
    (other / "manifest.json").write_text('{"analysis": "sweep"}')
    result = CliRunner().invoke(app, ["report", str(two_results[0]), "--out", str(other)])
    assert result.exit_code == 2 and "is not an earlier report folder" in result.output
    assert [p.name for p in other.iterdir()] == ["manifest.json"]
    again = tmp_path / "rep"
    for _ in range(2):  # an earlier report is replaced
        result = CliRunner().invoke(app, ["report", str(two_results[0]), "--out", str(again)])
        assert result.exit_code == 0, result.output


def test_an_interrupted_report_leaves_the_earlier_one_as_it_was(two_results, tmp_path, monkeypatch):
    """The report is written into a temporary folder and swapped in: stopped while drawing, the
    earlier report (and the user's notes beside it) stays whole, and no temporary folder is left."""
    from cgt_sim import report as report_module
    from cgt_sim.report import write_report

    out = tmp_path / "rep"
    write_report([str(two_results[0])], out)
    (out / "notes.txt").write_text("mine")
    before = folder_bytes(out)
    real, calls = report_module._figures, []

    def stopped(results, names, folder, **kwargs):
        calls.append(folder)
        real(results, names, folder, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(report_module, "_figures", stopped)
    with pytest.raises(KeyboardInterrupt):
        write_report([str(two_results[1])], out)
    assert calls and calls[0] != out  # drawn elsewhere first
    assert folder_bytes(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["rep"]
    monkeypatch.setattr(report_module, "_figures", real)
    shutil.copytree(out, tmp_path / "v1")
    shutil.move(tmp_path / "v1", out / "v1")  # a copy of the earlier report, kept inside by hand
    kept = folder_bytes(out / "v1")
    write_report([str(two_results[1])], out)  # and then replaced whole, the notes and the copy kept
    assert (out / "notes.txt").read_text() == "mine" and folder_bytes(out) != before
    assert folder_bytes(out / "v1") == kept


def test_report_and_compare_outputs_follow_links_and_refuse_loops(two_results, tmp_path):
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    for args in (["report", str(two_results[0]), "--out", str(tmp_path / "loop1")],
                 ["compare", str(two_results[0]), str(two_results[1]), "--out", str(tmp_path / "loop1")]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2 and "is a symbolic link that loops" in result.output, result.output
    (tmp_path / "store").mkdir()
    (tmp_path / "c.csv").symlink_to(tmp_path / "store" / "c.csv")
    result = CliRunner().invoke(app, ["compare", str(two_results[0]), str(two_results[1]), "--out",
                                      str(tmp_path / "c.csv"), "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c.csv").is_symlink() and (tmp_path / "store" / "c.csv").read_text().startswith("scenario,")


def test_the_python_api_writes_the_report_the_command_writes(two_results, tmp_path):
    path = cgt_sim.write_report([two_results[0], two_results[1]], tmp_path / "both")
    assert path == tmp_path / "both" / "report.md" and path.read_text().startswith("# cgt-sim report: ")
    assert "write_report" in dir(cgt_sim)


def test_labels_are_one_name_or_a_name_per_result(two_results, tmp_path):
    """As the charts take them (plot.labels_of): one label alone is a list of one."""
    assert cgt_sim.write_report([two_results[0]], tmp_path / "one", labels="reference").exists()
    assert "reference" in (tmp_path / "one" / "report.md").read_text()
    with pytest.raises(cgt_sim.OptionError, match=r"^labels: give a name per result \(2\), not 1$"):
        cgt_sim.write_report(list(two_results), tmp_path / "two", labels=5)
    assert not (tmp_path / "two").exists()


def test_a_result_given_twice_is_refused(two_results):
    twice = CliRunner().invoke(app, ["report", str(two_results[0]), str(two_results[0]) + "/"])
    assert twice.exit_code == 2 and "is given twice" in twice.output, twice.output


def test_a_report_goes_back_into_its_folder_when_the_result_was_replaced(tmp_path):
    """Running into a result replaces its report's files but keeps the user's notes in the
    report folder; a report can then be written there again."""
    out = tmp_path / "r"
    for _ in range(2):
        cgt_sim.run(ROOT / "scenarios" / "baseline.yaml", replications=2, seed=3, until=2016, workers=1, out=out)
        if not (out / "report").exists():
            assert CliRunner().invoke(app, ["report", str(out), "-q"]).exit_code == 0
            (out / "report" / "notes.md").write_text("mine")
    assert [p.name for p in (out / "report").iterdir()] == ["notes.md"]
    result = CliRunner().invoke(app, ["report", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert (out / "report" / "report.md").exists() and (out / "report" / "notes.md").read_text() == "mine"


def test_a_one_year_result_shows_its_points(tmp_path):
    """With one simulated year each series is a point: drawn with a marker and its band."""
    out = tmp_path / "one"
    cgt_sim.run(ROOT / "scenarios" / "baseline.yaml", replications=2, seed=3, until=2015, workers=1).save(out)
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    import matplotlib.image as mi
    import numpy as np

    img = mi.imread(out / "report" / "manufacturing_utilisation.png")[:, :, :3]
    series = (np.abs(img - np.array(SERIES) / 255).sum(axis=2) < 0.15).sum()
    assert series > 110  # the legend's swatch alone is about 85 pixels of the series colour


def test_a_one_year_result_is_drawn_on_a_year_either_side(tmp_path, monkeypatch):
    """Not on matplotlib's default axis around a single point (1925-2125)."""
    from cgt_sim.report import write_report

    out = tmp_path / "one"
    cgt_sim.run(ROOT / "scenarios" / "baseline.yaml", replications=2, seed=3, until=2015, workers=1).save(out)
    spans, real = {}, Figure.savefig

    def recording(fig, path, *args, **kwargs):
        spans[Path(path).name] = fig.axes[0].get_xlim()
        return real(fig, path, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", recording)
    write_report([str(out)])
    assert spans["patients_treated.png"] == (2014, 2016)


def test_report_lists_what_a_run_set_beyond_its_scenario(tmp_path):
    from cgt_sim.report import write_report

    cgt_sim.run(SCEN / "baseline.yaml", replications=1, seed=4, workers=1, until=2016, out=tmp_path / "set",
                overrides={"regulatory.ind_review_working_days": 30,
                           "financing.guided_fund_cny.shanghai": {"value": 6e9, "from": 2016, "to": 2017}})
    text = write_report([str(tmp_path / "set")], tmp_path / "rep").read_text()
    assert ("; with --set regulatory.ind_review_working_days = 30; financing.guided_fund_cny.shanghai = "
            "0 ~> 6e+09 from 2016-01-01 to 2017-01-01") in text or (
        "; with --set financing.guided_fund_cny.shanghai = 0 ~> 6e+09 from 2016-01-01 to 2017-01-01; "
        "regulatory.ind_review_working_days = 30") in text, text[:600]


def test_large_whole_numbers_set_for_a_run_read_with_thousands_separators():
    from cgt_sim.text import overrides_text

    manifest = {"start_year": 2015, "scenario": {
        "origin": {"financing.guided_fund_cny.shanghai": "--set", "regulatory.ind_review_working_days": "--set"},
        "parameters": {"financing.guided_fund_cny.shanghai": 6e9, "regulatory.ind_review_working_days": 30.0}}}
    assert overrides_text(manifest) == ("; with --set financing.guided_fund_cny.shanghai = 6,000,000,000; "
                                        "regulatory.ind_review_working_days = 30")


def test_report_reads_home_paths_and_refuses_a_result_without_a_drawn_column(two_results, tmp_path, monkeypatch):
    import pandas as pd
    from typer.testing import CliRunner

    from cgt_sim.cli import app

    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copytree(two_results[0], tmp_path / "r")
    result = CliRunner().invoke(app, ["report", "~/r", "--out", "~/rep", "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rep" / "report.md").exists()
    file = table_file(tmp_path / "r", "annual")
    pd.read_parquet(file).drop(columns=["cumulative_approvals"]).to_parquet(file)
    result = CliRunner().invoke(app, ["report", str(tmp_path / "r"), "--out", str(tmp_path / "rep2"), "-q"])
    assert result.exit_code == 2 and "its annual table has no cumulative_approvals column" in result.stderr


def test_an_empty_chart_says_so_and_missing_glyphs_are_one_note(tmp_path, monkeypatch):
    """A metric with no value in any year (cost per patient before any patient) draws a 'no
    data' chart, not axes around nothing; a scenario name the fonts cannot draw gives one
    note, not a warning per glyph."""
    import warnings

    from cgt_sim.report import ChartFontWarning, chart_fonts

    monkeypatch.chdir(tmp_path)
    (tmp_path / "city.yaml").write_text(f"name: 城市基金\nextends: {SCEN / 'baseline.yaml'}\n", encoding="utf-8")
    cgt_sim.run(tmp_path / "city.yaml", replications=1, seed=4, workers=1, until=2016, out=tmp_path / "city")
    res = cgt_sim.load_results(tmp_path / "city")
    assert res.annual["cogs_per_patient_cny"].isna().all()
    _families, missing = chart_fonts(["城市基金"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = CliRunner().invoke(app, ["report", "city", "--out", "rep", "-q"])
    assert result.exit_code == 0, result.output
    assert [str(w.message) for w in caught if "Glyph" in str(w.message)] == []
    notes = [ln for ln in result.stderr.splitlines() if ln.strip()]
    text = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    if missing:  # no font with Chinese characters installed
        assert len(notes) == 1 and notes[0].startswith("note: the charts' fonts have no 城市基金"), notes
        assert "Note: the charts' fonts have no 城市基金" in text
        with pytest.warns(ChartFontWarning):
            from cgt_sim.report import write_report
            write_report(["city"], tmp_path / "rep")
    else:
        assert notes == [] and "Note:" not in text
    import matplotlib.image as mi
    import numpy as np

    img = mi.imread(tmp_path / "rep" / "cogs_per_patient_cny.png")[:, :, :3]
    assert (np.abs(img - np.array(SERIES) / 255).sum(axis=2) < 0.15).sum() == 0  # no series drawn
    grey = (np.abs(img - 0.4).sum(axis=2) < 0.1).sum()
    assert grey > 200  # the 'no data' text


def test_a_report_writes_exactly_its_declared_files(two_results, tmp_path):
    """Two results: every file of storage.OUTPUT_FILES["report"]; one result: all but the
    difference charts (nothing to difference from)."""
    both = cgt_sim.write_report([str(p) for p in two_results], tmp_path / "both").parent
    assert sorted(p.name for p in both.iterdir()) == sorted(report_files())
    one = cgt_sim.write_report([str(two_results[0])], tmp_path / "one").parent
    assert sorted(p.name for p in one.iterdir()) == sorted(f for f in report_files() if not f.startswith("difference_"))


def test_the_report_in_chinese(two_results, tmp_path):
    """--lang zh: titles, metric names, table heads and numbers (万, 亿) in Chinese, in
    report.md and report.html; the folder is still known as a report, to be replaced."""
    out = tmp_path / "zh"
    result = CliRunner().invoke(app, ["report", *map(str, two_results), "--out", str(out), "--lang", "zh", "-q"])
    assert result.exit_code == 0, result.output
    text = (out / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# cgt-sim 报告：baseline, cold_chain\n")
    assert "## 主要指标（均值 [5%-95%]）" in text and "| 每位患者生产成本（元） |" in text
    assert "## 与baseline之差（均值 [90%配对置信区间]）" in text and "| 情景 | 指标 | 年份 |" in text
    assert "万 [" in text and "cost of goods" not in text
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "年治疗患者数" in page and "显示的情景" in page
    assert CliRunner().invoke(app, ["report", str(two_results[0]), "--out", str(out), "-q"]).exit_code == 0
    assert CliRunner().invoke(app, ["report", str(two_results[0]), "--lang", "fr"]).exit_code == 2


def test_report_html_is_self_contained_and_says_where_each_result_comes_from(two_results, tmp_path):
    """One file that opens offline: Plotly's script inside, nothing fetched; the provenance of
    each result (seed, replications, package version, model fingerprint) and the tables."""
    import re

    page = (cgt_sim.write_report([str(p) for p in two_results], tmp_path / "r").parent / "report.html").read_text()
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)  # no file or address to fetch
    assert page.count("Plotly.newPlot(") == len(report_files()) - 2  # a chart per PNG
    m = cgt_sim.load_results(two_results[0]).manifest
    for fact in (m["model_fingerprint"], m["package_version"], "<td>4</td>", "2015-2026"):
        assert fact in page, fact
    assert "Differences from baseline (mean [90% paired interval])" in page
    assert "Headline figures (mean [5-95%])" in page and 'data-group="s1"' in page


def test_a_policy_mark_spans_the_data_and_never_stretches_the_axis():
    """The dotted line of a policy start runs over the chart's data (and zero), so a difference
    in a share of 0.1 is drawn on an axis of about 0.1, not 0 to 1."""
    import datetime as dt

    import pandas as pd

    from cgt_sim.interactive import difference_figure
    from cgt_sim.policy import PolicyStart

    table = pd.DataFrame({"scenario": "reform", "baseline": "baseline", "metric": "manufacturing_utilisation",
                          "year": [2025, 2026, 2027], "diff_mean": [0.0, 0.05, 0.12],
                          "diff_low": [0.0, 0.02, 0.08], "diff_high": [0.0, 0.07, 0.16]})
    start = PolicyStart(dt.date(2026, 1, 1), ("market.nrdl_listing_hazard",))
    figure = difference_figure(table, "manufacturing_utilisation", [[], [start]], 0.9, "en")
    marks = [t for t in figure.data if t.line.dash == "dot" and t.mode == "lines"]
    assert len(marks) == 1 and list(marks[0].x) == [2026, 2026]
    assert tuple(marks[0].y) == (0.0, pytest.approx(0.16))
