"""cgt_sim.plot draws on the Axes it is given (what the report saves), a notebook's result shows
as a table, and progress=True draws a bar."""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.figure import Figure

import cgt_sim
from cgt_sim import plot
from cgt_sim.analysis.compare import compare_results
from cgt_sim.errors import OptionError

SHORT = dict(replications=3, seed=4, until=2027, workers=1)


@pytest.fixture(scope="module")
def pair():
    return cgt_sim.run("baseline", **SHORT), cgt_sim.run("faster_approval", **SHORT)


def _axes():
    return Figure().subplots()


def test_fan_draws_the_mean_by_year_on_the_axes_given(pair):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    ax = _axes()
    assert plot.fan(list(pair), "approvals", ax=ax) is ax
    assert plt.get_fignums() == before  # nothing drawn on a pyplot figure
    lines = [line for line in ax.get_lines() if line.get_label().endswith("mean, 5-95% band")]
    assert [line.get_label() for line in lines] == ["baseline: mean, 5-95% band", "faster_approval: mean, 5-95% band"]
    for line, res in zip(lines, pair):
        mean = res.annual.groupby("year")["cumulative_approvals"].mean()
        assert np.array_equal(line.get_xdata(), mean.index) and np.allclose(line.get_ydata(), mean.to_numpy())
    assert ax.get_title() == "Cumulative marketing approvals"
    money = plot.fan(pair[0], "cogs_per_patient_cny", ax=_axes(), title="cost")
    assert money.get_ylabel() == "CNY (thousands)" and money.get_title() == "cost"


def test_difference_from_two_results_and_from_compare_s_table(pair):
    expected = compare_results(list(pair), years=list(range(2015, 2028)), metrics=["cumulative_approvals"])
    ax = plot.difference(pair[0], pair[1], "approvals", ax=_axes())
    (line,) = [x for x in ax.get_lines() if x.get_label().startswith("faster_approval")]
    assert np.allclose(line.get_ydata(), expected["diff_mean"]) and list(line.get_xdata()) == list(range(2015, 2028))
    assert ax.get_title() == "Cumulative marketing approvals: difference from baseline"
    table = compare_results(list(pair), metrics=["patients_treated", "cumulative_approvals"])
    ax = plot.difference(table, metric="patients_treated", scenario="faster_approval", ax=_axes())
    assert len(ax.containers) == 1  # three years: points with their intervals
    with pytest.raises(OptionError, match="^metric: 'net_price_per_patient_cny' is not in the table"):
        plot.difference(table, metric="net_price_per_patient_cny", ax=_axes())
    with pytest.raises(OptionError, match="^other: give the ResultSet"):
        plot.difference(pair[0], metric="approvals", ax=_axes())


def test_funnel_draws_the_report_s_outcomes(pair):
    ax = plot.funnel(list(pair), ax=_axes(), labels=["a", "b"])
    heights = [bar.get_height() for bar in ax.containers[0]]
    assert heights == pytest.approx(list(cgt_sim.report.funnel(pair[0]).values))
    assert [c.get_label() for c in ax.containers] == ["a", "b"]
    with pytest.raises(OptionError, match="^res: give a ResultSet"):
        plot.funnel("results/baseline", ax=_axes())


def test_a_result_shows_in_a_notebook_as_its_headline_table(pair):
    html = pair[0]._repr_html_()
    assert html.startswith("<p><b>ResultSet</b> of scenario <code>baseline</code>: 3 replications, seed 4, 2015-2027")
    assert "<th>2025</th>" in html and "<th>2027</th>" in html and "cumulative marketing approvals" in html


def test_progress_true_draws_a_bar_and_a_callable_is_still_called(capsys):
    cgt_sim.run("baseline", replications=2, until=2016, workers=1, progress=True)
    err = capsys.readouterr().err
    assert "run: 100%" in err and "2/2" in err
    cgt_sim.run("baseline", replications=2, until=2016, workers=1, progress=False)
    assert capsys.readouterr().err == ""
    seen = []
    cgt_sim.run("baseline", replications=2, until=2016, workers=1, progress=lambda done, total: seen.append(done))
    assert seen[-1] == 2
    cgt_sim.sweep("baseline", {"regulatory.ind_review_working_days": [30, 60]}, replications=1, until=2016,
                  workers=1, progress=True)
    assert "sweep: 100%" in capsys.readouterr().err


def test_a_progress_that_is_no_function_is_refused_before_any_work():
    """A number for progress would fail ('int object is not callable') only when the first work
    finished, minutes into a compare, sweep, sensitivity or discover: it is refused at once."""
    calls = {
        "progress(done, total)": [
            lambda p: cgt_sim.run("baseline", replications=1, until=2015, progress=p),
            lambda p: cgt_sim.sweep("baseline", {"regulatory.p_ind_clear": [0.5]}, replications=1, until=2015,
                                    progress=p),
            lambda p: cgt_sim.sensitivity("baseline_uncertain", "approvals_2016", "morris", 2, replications=1,
                                          progress=p),
            lambda p: cgt_sim.discover("baseline_uncertain", "approvals_2016 < 3", experiments=2, progress=p)],
        "progress(scenario_index, done, total)": [
            lambda p: cgt_sim.compare(["baseline", "faster_approval"], replications=2, until=2015, progress=p)],
        "progress(stage, done, total)": [lambda p: cgt_sim.history_match("calibration/targets.yaml", progress=p)],
    }
    for call, functions in calls.items():
        for function in functions:
            with pytest.raises(OptionError, match=rf"^progress: must be a function {re.escape(call)} or None "
                                                  r"\(got 5\)"):
                function(5)
    with pytest.raises(OptionError, match=r"^progress: .*\(got True\)$"):  # no bar there: a callable or None
        calls["progress(done, total)"][-1](True)


def test_the_funnel_shows_a_few_approvals_beside_thousands_of_failures(pair):
    ax = plot.funnel(list(pair), ax=_axes())
    assert ax.get_yscale() == "symlog"  # 0 stays 0, every stage readable


def test_revenue_by_payer_adds_up_to_the_revenue(pair):
    res = pair[1]
    table = plot.spending_table(res)
    revenue = res.annual.groupby("year")["revenue_cny"].mean().reindex(table.index)
    assert table.sum(axis=1).to_numpy() == pytest.approx(revenue.to_numpy())
    ax = plot.spending(list(pair), ax=_axes())
    assert len(ax.patches) == 2 * len(plot.PAYERS) * len(table)  # a stacked bar per result and year
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(y) for y in table.index]


def test_patients_by_indication_never_exceed_those_eligible(pair):
    from cgt_sim.parameters import INDICATIONS

    table = plot.indication_table(pair[0])
    assert list(table.index) == list(INDICATIONS) and (table["treated"] <= table["eligible"] + 1e-9).all()
    ax = plot.indications(pair[0], ax=_axes())
    widths = sorted(round(bar.get_width(), 6) for bar in ax.patches)
    assert widths == sorted(round(v, 6) for v in table["treated"])
    assert ax.get_xscale() == "symlog"


def test_a_year_no_result_simulated_is_refused_not_drawn_as_nothing(pair):
    """The results run 2015-2027: a chart of 2030 (or 1990) would show empty or zero bars as if
    they were figures."""
    for call, argument in ((lambda y: plot.indications(pair[0], ax=_axes(), year=y), "year"),
                           (lambda y: plot.spending(list(pair), ax=_axes(), years=[2025, y]), "years")):
        for year in (1990, 2030):
            with pytest.raises(OptionError, match=rf"^{argument}: {year} is outside the simulated years 2015-2027$"):
                call(year)
        with pytest.raises(OptionError, match=rf"^{argument}: '2026' is not a year"):
            call("2026")
        assert call(2026).get_title()
    with pytest.raises(OptionError, match="^years: is empty"):
        plot.spending(pair[0], years=[])


def test_charts_in_chinese_and_policy_marks(pair):
    ax = plot.fan(list(pair), "cogs_per_patient_cny", ax=_axes(), lang="zh")
    assert ax.get_title() == "每位患者生产成本" and ax.get_ylabel() == "万元" and ax.get_xlabel() == "年份"
    marks = [line for line in ax.get_lines() if "政策自2025-04起" in line.get_label()]
    assert len(marks) == 1 and marks[0].get_xdata()[0] == pytest.approx(2025 + 90 / 365)
    assert marks[0].get_color() == plot.color(1)  # the scenario's colour
    plain = plot.fan(list(pair), "approvals", ax=_axes(), marks=False)
    assert not [line for line in plain.get_lines() if "policy" in line.get_label()]
    with pytest.raises(OptionError, match="^lang: must be one of en, zh"):
        plot.fan(pair[0], "approvals", ax=_axes(), lang="fr")
    colours = [line.get_color() for line in ax.get_lines() if line.get_label().endswith("均值及5%-95%区间")]
    assert len(set(colours)) == 2
