"""The committed example report (results/examples/) is what its recipe gives with this model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cgt_sim
from cgt_sim.report import write_report

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "results" / "examples" / "baseline_vs_payment_reform" / "report.md"
UNITS = {"k": 1e3, "M": 1e6, "bn": 1e9}


def headline_means(text: str) -> dict:
    """{(scenario, metric, column): mean} from the headline tables of a report.md."""
    means, scenario, years = {}, None, []
    for line in text.splitlines():
        if line.startswith("### "):
            scenario = line[4:].strip()
        elif line.startswith("| metric |"):
            years = [c.strip() for c in line.strip("|").split("|")[1:]]
        elif line.startswith("| ") and scenario and years and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            for year, cell in zip(years, cells[1:]):
                m = re.match(r"(-?[\d.]+)(k|M|bn)?", cell)
                if m:
                    means[(scenario, cells[0], year)] = float(m[1]) * UNITS.get(m[2], 1.0)
    return means


@pytest.mark.slow
def test_the_example_report_matches_its_recipe(tmp_path):
    """Run the recipe of results/examples/README.md again: every headline mean of the committed
    report.md must come back (to its printed rounding; 5% leeway for another machine's last
    bits). A model change that moves the figures must make the example again."""
    recipe = (ROOT / "results" / "examples" / "README.md").read_text()
    assert "-r 8 --seed 42 --until 2035" in recipe
    folders = []
    for name in ("baseline", "payment_reform"):
        res = cgt_sim.run(ROOT / "scenarios" / f"{name}.yaml", replications=8, seed=42, until=2035)
        folders.append(str(res.save(tmp_path / name)))
    fresh = headline_means(write_report(folders, tmp_path / "report").read_text())
    committed = headline_means(EXAMPLE.read_text())
    assert len(committed) == 2 * 8 * 3 and committed.keys() == fresh.keys()
    off = {k: (committed[k], fresh[k]) for k in committed
           if abs(committed[k] - fresh[k]) > 0.05 * abs(fresh[k]) + 0.01}
    assert not off, f"the example report is out of date; make it again with its recipe: {off}"
