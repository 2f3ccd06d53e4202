"""Charts of results on matplotlib Axes, for a figure of your own or a notebook.

Each function draws on ``ax`` when given one (``fig, ax = plt.subplots()``, or an Axes of a
``matplotlib.figure.Figure``) and returns it; without ``ax`` it makes a new pyplot figure, which
a notebook shows inline. Nothing here switches matplotlib's backend: ``cgt-sim report`` draws
its files with these same functions on ``Figure`` objects of its own.

    import cgt_sim
    from cgt_sim import plot
    res = cgt_sim.run("baseline", replications=8, until=2035)
    plot.fan(res, "approvals")               # mean and 5-95% band by year
    plot.funnel(res)                         # program outcomes at the horizon
    table = cgt_sim.compare(["baseline", "faster_approval"], replications=8, until=2035, years=range(2025, 2036))
    plot.difference(table, "approvals")      # paired difference by year with its interval
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .outputs import ALIASES, LABELS
from .results import ResultSet, as_list
from .text import number_repeats

# The report's fan charts: metric, title, unit of the axis; money in thousands of CNY.
FAN_METRICS = (
    ("cumulative_approvals", "Cumulative marketing approvals", "products"),
    ("patients_treated", "Patients treated per year", "patients / year"),
    ("cogs_per_patient_cny", "Cost of goods per patient", "CNY (thousands)"),
    ("net_price_per_patient_cny", "Net price per patient", "CNY (thousands)"),
    ("vein_to_vein_days_median", "Median vein-to-vein time (autologous)", "days"),
    ("manufacturing_utilisation", "Manufacturing utilisation", "share of suite-days booked"),
)
SCALE = {"cogs_per_patient_cny": 1e-3, "net_price_per_patient_cny": 1e-3}
OUTCOMES = (("approved", "approved"), ("failed", "failed\n(science)"),
            ("abandoned", "abandoned\n(financing)"), ("ongoing", "ongoing\nat horizon"))
# solid, dashed, dotted, dash-dot, long dash, dash-dot-dot: six series each their own dash
LINE_STYLES = ("-", (0, (5, 3)), (0, (1, 2)), (0, (6, 2, 1, 2)), (0, (10, 3)), (0, (6, 2, 1, 2, 1, 2)))
_TITLES = {m: (title, unit) for m, title, unit in FAN_METRICS}


def _axes(ax, figsize=(7, 4.2)):
    """``ax``, or the Axes of a new pyplot figure (shown inline in a notebook)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


def _results(res) -> list[ResultSet]:
    results = as_list(res)
    if not results or not all(isinstance(r, ResultSet) for r in results):
        from .errors import OptionError

        raise OptionError("res", "give a ResultSet (cgt_sim.run, cgt_sim.load_results) or a list of them")
    return results


def _labels(results: list[ResultSet], labels) -> list[str]:
    if labels is not None:
        return [str(x) for x in as_list(labels)]
    return number_repeats([str((r.manifest.get("scenario") or {}).get("name", f"result {i}"))
                           for i, r in enumerate(results)])


def _metric(metric: str, results: list[ResultSet]) -> str:
    from .results import metric_columns

    return metric_columns([metric], results[0].metrics)[0]


def _colors() -> list:
    import matplotlib

    return matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]


def tick(v: float, _pos=None) -> str:
    """An axis tick: 1,234 from 10 up, 2.5 or 0.02 below, never '-0'."""
    v = round(v, 12) + 0.0  # a tick at -0.0 or -1e-17 reads 0
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:g}"


def band(res: ResultSet, metric: str) -> pd.DataFrame:
    """Mean, p5 and p95 of ``metric`` over replications by year (money in thousands of CNY)."""
    g = res.annual.groupby("year")[metric]
    scale = SCALE.get(metric, 1.0)
    return pd.DataFrame({"mean": g.mean() * scale, "p5": g.quantile(0.05) * scale,
                         "p95": g.quantile(0.95) * scale})


def no_data(ax, what: str) -> None:
    """An empty chart says why instead of showing axes around nothing."""
    ax.text(0.5, 0.5, f"no data: {what}", ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def fan(res, metric: str, ax=None, *, labels=None, title: str | None = None):
    """Mean and 5-95% band over replications of ``metric`` by year (a fan chart); ``res``: a
    ResultSet or a list of them, overlaid (``labels``: a name per result, default their
    scenario names). ``metric``: an annual column or a short name (``approvals``). Returns the Axes."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    results = _results(res)
    metric = _metric(metric, results)
    names = _labels(results, labels)
    ax = _axes(ax)
    colors = _colors()
    default_title, unit = _TITLES.get(metric, (LABELS.get(metric, metric), ""))
    for i, (r, name) in enumerate(zip(results, names)):
        b = band(r, metric)
        c = colors[i % len(colors)]
        ax.fill_between(b.index, b["p5"], b["p95"], color=c, alpha=0.2, linewidth=0)
        few = b["mean"].notna().sum() <= 3  # a line alone would not show one or two points
        # each series its own dash, so a scenario that matches another still shows both
        ax.plot(b.index, b["mean"], color=c, linewidth=2, marker="o" if few else None,
                linestyle=LINE_STYLES[i % len(LINE_STYLES)], label=f"{name}: mean, 5-95% band")
        if few and b["p5"].notna().any():
            ax.errorbar(b.index, b["mean"], yerr=[b["mean"] - b["p5"], b["p95"] - b["mean"]], color=c,
                        fmt="none", capsize=3)
    ax.set_title(default_title if title is None else title)
    if not any(band(r, metric)["mean"].notna().any() for r in results):
        no_data(ax, "no simulated year has a value (no patient treated yet, for instance)")
        return ax
    ax.set_xlabel("year")
    ax.set_ylabel(unit)
    years = sorted({int(y) for r in results for y in r.annual["year"].unique()})
    if years[0] == years[-1]:  # one simulated year: a year either side, not a century
        ax.set_xlim(years[0] - 1, years[0] + 1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(tick))
    ax.grid(alpha=0.3)
    # below the axes, never over a band
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1 if len(results) < 3 else 2,
              fontsize=8, frameon=False)
    return ax


def outcomes(res: ResultSet) -> pd.Series:
    """Mean programs per replication by outcome at the horizon (from the year-end counts of
    ``annual``, so a result that kept only clinical program rows gives the same funnel)."""
    a = res.annual
    last = a[a["year"] == a["year"].max()]
    states = [c for c in a.columns if c.startswith("programs_") and c != "programs_in_clinic"]
    ended = {key: float(last[f"programs_{key}"].mean()) for key, _ in OUTCOMES if key != "ongoing"}
    ongoing = float(last[states].sum(axis=1).mean()) - sum(ended.values())
    return pd.Series({label: ended.get(key, ongoing) for key, label in OUTCOMES})


def funnel(res, ax=None, *, labels=None):
    """Program outcomes at the horizon (approved, failed for science, abandoned for money,
    ongoing), mean per replication; ``res``: a ResultSet or a list of them, side by side.
    Returns the Axes."""
    from matplotlib.ticker import FuncFormatter

    results = _results(res)
    names = _labels(results, labels)
    crowded = len(results) > 2  # labels side by side would overlap: upright, on a wider chart
    ax = _axes(ax, (7 + (len(results) - 2) if crowded else 7, 4.6 if crowded else 4.2))
    colors = _colors()
    width = 0.8 / len(results)
    x = np.arange(len(OUTCOMES))
    horizons = [int(r.annual["year"].max()) for r in results]
    for i, (r, name, horizon) in enumerate(zip(results, names, horizons)):
        f = outcomes(r)
        label = name if len(set(horizons)) == 1 else f"{name} (by {horizon})"
        bars = ax.bar(x + i * width - 0.4 + width / 2, f.values, width, label=label, color=colors[i % len(colors)])
        ax.bar_label(bars, labels=[f"{v:,.0f}" if v >= 10 or v == 0 else f"{v:.1f}" for v in f.values], fontsize=7,
                     padding=2, rotation=90 if crowded else 0)
    ax.set_xticks(x, [label for _, label in OUTCOMES])
    ax.set_ylabel("programs per replication (mean)")
    ax.yaxis.set_major_formatter(FuncFormatter(tick))
    ax.set_title(f"Program outcomes by {horizons[0]}" if len(set(horizons)) == 1
                 else "Program outcomes by each run's horizon")
    ax.grid(axis="y", alpha=0.3)
    if crowded:
        ax.set_ylim(top=ax.get_ylim()[1] * 1.15)  # room for the upright labels
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=min(len(results), 3), fontsize=8,
              frameon=False)  # below the bars, as on the fan charts
    return ax


def difference(data, other=None, metric: str = "cumulative_approvals", *, scenario: str | None = None,
               level: float = 0.90, ax=None):
    """The paired difference of a scenario from the reference by year, with its interval.

    ``data``: the table of ``cgt_sim.compare`` (each of its scenarios a line, or only
    ``scenario``; its years and level), or a ResultSet, the reference, with ``other`` the
    ResultSet to difference from it (run from the same seed: replication r of each paired;
    every simulated year, at ``level``). ``metric``: an annual column or a short name.
    Returns the Axes."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    from .errors import OptionError

    column = ALIASES.get(metric, metric)
    if isinstance(data, ResultSet):
        from .analysis.compare import compare_results

        if not isinstance(other, ResultSet):
            raise OptionError("other", "give the ResultSet to difference from `data` (or give `data` the table "
                              "of cgt_sim.compare)")
        years = sorted(int(y) for y in data.annual["year"].unique())
        table = compare_results([data, other], years=years, metrics=[column], level=level)
    elif isinstance(data, pd.DataFrame) and {"scenario", "baseline", "metric", "year", "diff_mean"} <= set(data):
        if other is not None:
            raise OptionError("other", "only used with a ResultSet as `data`")
        table = data
    else:
        raise OptionError("data", "give the table of cgt_sim.compare, or two ResultSets")
    rows = table[table["metric"] == column]
    if rows.empty:
        raise OptionError("metric", f"{metric!r} is not in the table; it has " + ", ".join(table["metric"].unique()))
    if scenario is not None:
        if scenario not in set(rows["scenario"]):
            raise OptionError("scenario", f"{scenario!r} is not in the table; it has "
                              + ", ".join(rows["scenario"].unique()))
        rows = rows[rows["scenario"] == scenario]
    ax = _axes(ax)
    colors = _colors()
    scale = SCALE.get(column, 1.0)
    for i, (name, g) in enumerate(rows.groupby("scenario", sort=False)):
        g = g.sort_values("year")
        c = colors[i % len(colors)]
        mean, low, high = (g[k].to_numpy(dtype=float) * scale for k in ("diff_mean", "diff_low", "diff_high"))
        if len(g) > 3:
            ax.fill_between(g["year"], low, high, color=c, alpha=0.2, linewidth=0)
            ax.plot(g["year"], mean, color=c, linewidth=2, linestyle=LINE_STYLES[i % len(LINE_STYLES)],
                    label=f"{name}: mean paired difference, interval")
        else:
            ax.errorbar(g["year"], mean, yerr=[mean - low, high - mean], color=c, fmt="o", capsize=3,
                        label=f"{name}: mean paired difference, interval")
    ax.axhline(0.0, color="black", linewidth=0.8)
    unit = _TITLES.get(column, ("", ""))[1]
    ax.set_title(f"{_TITLES.get(column, (LABELS.get(column, column),))[0]}: difference from "
                 f"{rows['baseline'].iloc[0]}")
    ax.set_xlabel("year")
    ax.set_ylabel(unit)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(tick))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    return ax
