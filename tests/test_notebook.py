"""A notebook end to end (nbclient, a real kernel): a result shows as a table, a report is
written, and a chart of cgt_sim.plot is drawn inline afterwards: the report leaves the
notebook's backend alone."""

from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


def test_a_notebook_runs_reports_and_draws_inline(tmp_path):
    cells = [
        "%matplotlib inline\nimport matplotlib\nimport cgt_sim\nfrom cgt_sim import plot\n"
        "res = cgt_sim.run('baseline', replications=2, until=2018, workers=1, progress=True)\nres",
        f"report = cgt_sim.write_report([str(res.save({str(tmp_path / 'baseline')!r}))])\nprint(report.name)",
        "ax = plot.fan(res, 'approvals')\nprint(matplotlib.get_backend(), type(ax).__name__)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
                            ).execute()
    shown, reported, drawn = (cell.outputs for cell in nb.cells)
    html = next(o for o in shown if o.output_type == "execute_result")["data"]["text/html"]
    assert "<b>ResultSet</b> of scenario <code>baseline</code>: 2 replications, seed 42, 2015-2018" in html
    assert "cumulative marketing approvals" in html
    assert "report.md" in "".join(o.get("text", "") for o in reported)
    assert (tmp_path / "baseline" / "report" / "funnel.png").is_file()
    text = "".join(o.get("text", "") for o in drawn if o.output_type == "stream")
    assert "inline" in text and "Axes" in text  # the backend is still the notebook's
    assert any("image/png" in o.get("data", {}) for o in drawn if o.output_type == "display_data")
