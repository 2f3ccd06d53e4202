"""cgt-sim report: figures and report.md from result folders (cgt_sim/report.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import cgt_sim
from cgt_sim.cli import app
from cgt_sim.report import FAN_METRICS, funnel

SCEN = Path(__file__).resolve().parents[1] / "scenarios"


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
