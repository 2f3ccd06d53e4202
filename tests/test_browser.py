"""report.html in a real browser: headless Chromium opens the file offline, every chart is
drawn (its SVG holds marks) and the console stays silent. Skipped where no Chromium is
installed (.ci/run installs it)."""

from __future__ import annotations

import html.parser
import shutil
import subprocess
from pathlib import Path

import pytest

import cgt_sim

ROOT = Path(__file__).resolve().parents[1]
BROWSER = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(name)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no Chromium installed (apt-get install chromium; "
                                                          ".ci/run installs it)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND",  # offline: no address resolves
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000"]


LEAVES = {"path", "rect", "line", "circle", "br", "img", "input", "meta", "link", "use", "hr"}  # hold no marks


class Charts(html.parser.HTMLParser):
    """The Plotly charts of a page as drawn: per chart, the SVG roots and the marks drawn in its
    traces (lines, areas, bars and points with a path)."""

    def __init__(self):
        super().__init__()
        self.charts: dict = {}
        self.stack: list = []  # (tag, chart id or None, inside a trace)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        chart = self.stack[-1][1] if self.stack else None
        trace = self.stack[-1][2] if self.stack else False
        if "plotly-graph-div" in classes:
            chart = a.get("id")
            self.charts[chart] = {"svg": 0, "marks": 0}
        if chart is not None:
            if tag == "svg" and "main-svg" in classes:
                self.charts[chart]["svg"] += 1
            if tag == "g" and "trace" in classes:
                trace = True
            if trace and tag == "path" and len(a.get("d") or "") > 3 and a.get("d") != "M0,0Z":
                self.charts[chart]["marks"] += 1
        if tag not in LEAVES:
            self.stack.append((tag, chart, trace))

    def handle_endtag(self, tag):
        if tag in LEAVES or all(t != tag for t, _, _ in self.stack):
            return
        while self.stack and self.stack.pop()[0] != tag:
            pass


def open_in_browser(page: Path, profile: Path) -> tuple[dict, list[str]]:
    """The charts of ``page`` as Chromium draws them, and what its console said."""
    proc = subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    parser = Charts()
    parser.feed(proc.stdout)
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return parser.charts, console


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    folders = [str(cgt_sim.run(ROOT / "scenarios" / f"{name}.yaml", replications=2, seed=3, until=2027,
                               workers=1).save(root / name)) for name in ("baseline", "payment_reform")]
    return {lang: cgt_sim.write_report(folders, root / f"report_{lang}", lang=lang).with_name("report.html")
            for lang in ("en", "zh")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_chart_is_drawn_and_the_console_stays_silent(reports, lang, tmp_path):
    page = reports[lang]
    charts, console = open_in_browser(page, tmp_path / "profile")
    assert console == []
    expected = page.read_text(encoding="utf-8").count("Plotly.newPlot(")
    assert len(charts) == expected == 15, charts
    for chart, drawn in charts.items():
        assert drawn["svg"] >= 1 and drawn["marks"] >= 1, (chart, drawn)


def test_a_script_error_would_be_seen(tmp_path):
    """The check above can fail: a page whose script fails says so on the console, and a chart
    that is not drawn has no SVG."""
    page = tmp_path / "broken.html"
    page.write_text('<html><body><div class="plotly-graph-div" id="c1"></div><script>nope();</script></body></html>')
    charts, console = open_in_browser(page, tmp_path / "profile")
    assert any("nope is not defined" in line for line in console)
    assert charts == {"c1": {"svg": 0, "marks": 0}}


def test_a_scenario_box_hides_it_in_every_chart(reports, tmp_path):
    """Unticking the second scenario's box takes its traces out of every chart (fewer marks in
    each), and leaves no error."""
    page = reports["en"]
    shown, _ = open_in_browser(page, tmp_path / "p1")
    clicked = tmp_path / "clicked.html"
    clicked.write_text(page.read_text(encoding="utf-8").replace(
        "</body>", "<script>document.querySelector('.toggles input[data-group=\"s1\"]').click();</script></body>"),
        encoding="utf-8")
    hidden, console = open_in_browser(clicked, tmp_path / "p2")
    assert console == []
    assert all(hidden[c]["marks"] < shown[c]["marks"] for c in shown), (shown, hidden)
