"""Charts of results on matplotlib Axes, for a figure of your own or a notebook.

Each function draws on ``ax`` when given one (``fig, ax = plt.subplots()``, or an Axes of a
``matplotlib.figure.Figure``) and returns it; without ``ax`` it makes a new pyplot figure, which
a notebook shows inline. Nothing here switches matplotlib's backend: ``cgt-sim report`` draws
its files with these same functions on ``Figure`` objects of its own. ``lang="zh"`` writes a
chart's titles, axes and legends in Chinese (a font with Chinese characters must be installed,
see ``report.chart_text``).

    import cgt_sim
    from cgt_sim import plot
    res = cgt_sim.run("baseline", replications=8, until=2035)
    plot.fan(res, "approvals")               # mean and 5-95% band by year
    plot.funnel(res)                         # program outcomes at the horizon
    plot.spending(res)                       # revenue by payer
    plot.indications(res)                    # patients treated and eligible by indication
    table = cgt_sim.compare(["baseline", "faster_approval"], replications=8, until=2035, years=range(2025, 2036))
    plot.difference(table, "approvals")      # paired difference by year with its interval

The functions that compute what the charts show (``band``, ``outcomes``, ``spending_table``,
``indication_table``, ``policy_marks``) serve the interactive report (``html.py``) too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .outputs import ALIASES, INDICATION_NAMES, LANGS, metric_name, metric_unit
from .parameters import INDICATIONS
from .policy import PolicyStart, policy_starts
from .results import ResultSet, as_list
from .text import axis_scale, number_repeats, say

# The report's fan charts (metric, English title, unit of the axis before scaling).
FAN = ("cumulative_approvals", "patients_treated", "cogs_per_patient_cny", "net_price_per_patient_cny",
       "vein_to_vein_days_median", "manufacturing_utilisation")
OUTCOMES = ("approved", "failed", "abandoned", "ongoing")
PAYERS = ("nrdl_spending_cny", "commercial_insurance_spending_cny", "city_insurance_spending_cny",
          "out_of_pocket_cny")
# Okabe and Ito's colours, told apart also by readers with a colour-vision deficiency; each
# series has its own dash too, and its band its own edges, so up to five overlaid scenarios
# stay distinguishable where their bands overlap.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
# solid, dashed, dotted, dash-dot, long dash, dash-dot-dot: six series each their own dash
LINE_STYLES = ("-", (0, (5, 3)), (0, (1, 2)), (0, (6, 2, 1, 2)), (0, (10, 3)), (0, (6, 2, 1, 2, 1, 2)))
PAYER_COLORS = ("#4C72B0", "#55A868", "#C44E52", "#8C8C8C")
HATCHES = ("", "//", "..", "xx", "\\\\", "++")


def chart_title(metric: str, lang: str = "en") -> str:
    """A chart's title for ``metric``: its name, the first letter a capital in English."""
    name = metric_name(metric, lang)
    return name[:1].upper() + name[1:] if lang == "en" else name


FAN_METRICS = tuple((m, chart_title(m), metric_unit(m)) for m in FAN)


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


def _simulated_years(results: list[ResultSet], years, argument: str) -> list[int]:
    """``years`` (a year or a list of them) as whole numbers, each simulated by one of
    ``results`` at least: a year none of them simulated would be drawn as nothing, or as 0. An
    OptionError naming ``argument`` otherwise."""
    import operator

    from .errors import OptionError, quoted

    simulated = sorted({int(y) for r in results for y in r.annual["year"].unique()})
    out = []
    for y in as_list(years):
        try:
            y = operator.index(y)
        except TypeError:
            raise OptionError(argument, f"{quoted(y)} is not a year (a whole number)") from None
        if y not in simulated:
            raise OptionError(argument, f"{y} is outside the simulated years {simulated[0]}-{simulated[-1]}")
        out.append(int(y))
    if not out:
        raise OptionError(argument, "is empty: give at least one year, or leave it out for the defaults")
    return out


def _lang(lang: str) -> str:
    from .text import check_lang

    return check_lang(lang)


def labels_of(results: list[ResultSet], labels=None) -> list[str]:
    """A name per result: ``labels``, or the results' scenario names (numbered where they repeat)."""
    if labels is not None:
        return [str(x) for x in as_list(labels)]
    return number_repeats([str((r.manifest.get("scenario") or {}).get("name", f"result {i}"))
                           for i, r in enumerate(results)])


def _metric(metric: str, results: list[ResultSet]) -> str:
    from .results import metric_columns

    return metric_columns([metric], results[0].metrics)[0]


def color(i: int) -> str:
    """The colour of the ``i``-th series."""
    return PALETTE[i % len(PALETTE)]


def tick(v: float, _pos=None) -> str:
    """An axis tick: 1,234 from 10 up, 2.5 or 0.02 below, never '-0'."""
    v = round(v, 12) + 0.0  # a tick at -0.0 or -1e-17 reads 0
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:g}"


def band(res: ResultSet, metric: str, scale: float = 1.0) -> pd.DataFrame:
    """Mean, p5 and p95 of ``metric`` over replications by year, divided by ``scale``."""
    g = res.annual.groupby("year")[metric]
    return pd.DataFrame({"mean": g.mean() / scale, "p5": g.quantile(0.05) / scale, "p95": g.quantile(0.95) / scale})


def largest(frames, columns) -> float:
    """The largest absolute value in ``columns`` of ``frames`` (0 when none has a value)."""
    values = [np.nanmax(np.abs(f[c].to_numpy(dtype=float))) for f in frames for c in columns
              if len(f) and f[c].notna().any()]
    return float(max(values, default=0.0))


def policy_marks(results: list[ResultSet]) -> list[list[PolicyStart]]:
    """For each result, the dates its policies start: the first result's from the values its
    own scenario files or ``--set`` gave, every other's where it departs from the first."""
    first = results[0].manifest
    return [policy_starts(r.manifest, None if i == 0 else first) for i, r in enumerate(results)]


def _draw_marks(ax, marks, names: list[str], lang: str) -> None:
    """A dotted vertical line at each policy start, in its scenario's colour, named in the
    legend ("payment_reform: policy from 2026-01: nrdl_listing_hazard +2")."""
    if not marks:
        return
    low, high = ax.get_xlim()
    sep = ": " if lang == "en" else "："
    for i, (starts, name) in enumerate(zip(marks, names)):
        for start in starts:
            if low <= start.year <= high:
                text = say("policy_from", lang, date=start.date.strftime("%Y-%m")) + f"{sep}{start.names(1)}"
                ax.axvline(start.year, color=color(i), linestyle=(0, (1, 2)), linewidth=1.3,
                           label=f"{name}{sep}{text}")
    ax.set_xlim(low, high)


def _marks_for(marks, results: list[ResultSet]):
    if marks is True:
        return policy_marks(results)
    return marks or None


def _legend_below(ax, offset: float = -0.16) -> None:
    """The legend below the axes, never over a band: two columns for three entries or more,
    unless they are long."""
    texts = ax.get_legend_handles_labels()[1]
    wide = len(texts) < 3 or max(len(t) for t in texts) > 42
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, offset), ncol=1 if wide else 2, fontsize=8, frameon=False)


def no_data(ax, what: str, lang: str = "en") -> None:
    """An empty chart says why instead of showing axes around nothing."""
    ax.text(0.5, 0.5, f"{say('no_data', lang)}: {what}", ha="center", va="center", transform=ax.transAxes,
            color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def fan(res, metric: str, ax=None, *, labels=None, title: str | None = None, marks=True, lang: str = "en"):
    """Mean and 5-95% band over replications of ``metric`` by year (a fan chart); ``res``: a
    ResultSet or a list of them, overlaid (``labels``: a name per result, default their
    scenario names). ``metric``: an annual column or a short name (``approvals``). ``marks``:
    True marks where each scenario's policies start (see ``policy_marks``), False none, or a
    list per result of ``policy.PolicyStart``. Returns the Axes."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    lang = _lang(lang)
    results = _results(res)
    metric = _metric(metric, results)
    names = labels_of(results, labels)
    ax = _axes(ax)
    unit = metric_unit(metric)
    scale, unit_text = axis_scale(largest([band(r, metric) for r in results], ["p95", "mean"]), unit, lang)
    sep = ": " if lang == "en" else "："
    for i, (r, name) in enumerate(zip(results, names)):
        b = band(r, metric, scale)
        c, dash = color(i), LINE_STYLES[i % len(LINE_STYLES)]
        ax.fill_between(b.index, b["p5"], b["p95"], color=c, alpha=0.12, linewidth=0)
        few = b["mean"].notna().sum() <= 3  # a line alone would not show one or two points
        if not few:  # the band's edges, so overlapping bands stay apart
            for edge in ("p5", "p95"):
                ax.plot(b.index, b[edge], color=c, linewidth=0.7, alpha=0.7, linestyle=dash)
        # each series its own dash, so a scenario that matches another still shows both
        ax.plot(b.index, b["mean"], color=c, linewidth=2, marker="o" if few else None, linestyle=dash,
                label=f"{name}{sep}{say('mean_band', lang)}")
        if few and b["p5"].notna().any():
            ax.errorbar(b.index, b["mean"], yerr=[b["mean"] - b["p5"], b["p95"] - b["mean"]], color=c,
                        fmt="none", capsize=3)
    ax.set_title(chart_title(metric, lang) if title is None else title)
    if not any(band(r, metric)["mean"].notna().any() for r in results):
        no_data(ax, say("no_year_value", lang), lang)
        return ax
    ax.set_xlabel(say("year", lang))
    ax.set_ylabel(unit_text)
    years = sorted({int(y) for r in results for y in r.annual["year"].unique()})
    if years[0] == years[-1]:  # one simulated year: a year either side, not a century
        ax.set_xlim(years[0] - 1, years[0] + 1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(tick))
    ax.grid(alpha=0.3)
    _draw_marks(ax, _marks_for(marks, results), names, lang)
    _legend_below(ax)
    return ax


def outcomes(res: ResultSet, lang: str | None = None) -> pd.Series:
    """Mean programs per replication by outcome at the horizon (from the year-end counts of
    ``annual``, so a result that kept only clinical program rows gives the same funnel),
    indexed by the outcomes' names in ``lang`` (default: the English chart labels)."""
    a = res.annual
    last = a[a["year"] == a["year"].max()]
    states = [c for c in a.columns if c.startswith("programs_") and c != "programs_in_clinic"]
    ended = {key: float(last[f"programs_{key}"].mean()) for key in OUTCOMES if key != "ongoing"}
    ongoing = float(last[states].sum(axis=1).mean()) - sum(ended.values())
    return pd.Series({say(key, lang or "en"): ended.get(key, ongoing) for key in OUTCOMES})


def funnel(res, ax=None, *, labels=None, lang: str = "en"):
    """Program outcomes at the horizon (approved, failed for science, abandoned for money,
    ongoing), mean per replication, on a log axis so that a few approvals show beside thousands
    of failures; ``res``: a ResultSet or a list of them, side by side. Returns the Axes."""
    from matplotlib.ticker import FuncFormatter

    lang = _lang(lang)
    results = _results(res)
    names = labels_of(results, labels)
    crowded = len(results) > 2  # labels side by side would overlap: upright, on a wider chart
    ax = _axes(ax, (7 + (len(results) - 2) if crowded else 7, 4.6 if crowded else 4.2))
    width = 0.8 / len(results)
    x = np.arange(len(OUTCOMES))
    horizons = [int(r.annual["year"].max()) for r in results]
    for i, (r, name, horizon) in enumerate(zip(results, names, horizons)):
        f = outcomes(r, lang)
        label = name if len(set(horizons)) == 1 else f"{name} ({say('by_horizon', lang, year=horizon)})"
        bars = ax.bar(x + i * width - 0.4 + width / 2, f.values, width, label=label, color=color(i))
        ax.bar_label(bars, labels=[f"{v:,.0f}" if v >= 10 or v == 0 else f"{v:.1f}" for v in f.values], fontsize=7,
                     padding=2, rotation=90 if crowded else 0)
    ax.set_yscale("symlog", linthresh=1.0)  # 0 stays 0; 170 approvals show beside 8,500 failures
    ax.set_xticks(x, [say(key, lang) for key in OUTCOMES])
    ax.set_ylabel(say("programs_per_replication", lang))
    ax.yaxis.set_major_formatter(FuncFormatter(tick))
    ax.set_title(say("outcomes_title", lang, year=horizons[0]) if len(set(horizons)) == 1
                 else say("outcomes_each", lang))
    ax.grid(axis="y", alpha=0.3)
    ax.set_ylim(0, ax.get_ylim()[1] * (8 if crowded else 3))  # room for the labels above the bars
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=min(len(results), 3), fontsize=8,
              frameon=False)  # below the bars, as on the fan charts
    return ax


def chart_years(res: ResultSet) -> list[int]:
    """The years a chart of levels shows: those of the headline table (2025, 2030, 2035 and
    the horizon, as simulated)."""
    years = sorted(int(y) for y in res.annual["year"].unique())
    picked = [y for y in (2025, 2030, 2035) if y in years and y != years[-1]] + [years[-1]]
    return picked


def spending_table(res: ResultSet, years=None) -> pd.DataFrame:
    """Mean spending per replication of each payer (``PAYERS``, columns) by year (rows; default
    ``chart_years``): they add up to the revenue of the year."""
    years = chart_years(res) if years is None else [int(y) for y in as_list(years)]
    means = res.annual.groupby("year")[list(PAYERS)].mean()
    return means.reindex(years)


def spending(res, ax=None, *, labels=None, years=None, lang: str = "en"):
    """Revenue by payer (national list, commercial list, city insurance, households), mean per
    replication, as stacked bars at ``years`` (default 2025, 2030, 2035 and the horizon), a
    bar per result side by side (told apart by hatching). Returns the Axes."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter

    lang = _lang(lang)
    results = _results(res)
    names = labels_of(results, labels)
    years = _simulated_years(results, years, "years") if years is not None else chart_years(results[0])
    tables = [spending_table(r, years) for r in results]
    ax = _axes(ax, (7.5, 4.4))
    scale, unit_text = axis_scale(largest([t.sum(axis=1).to_frame("total") for t in tables], ["total"]), "cny", lang)
    n = len(results)
    width = 0.8 / n
    shown = tables[0].index.tolist()
    x = np.arange(len(shown))
    for i, t in enumerate(tables):
        bottom = np.zeros(len(shown))
        for payer, c in zip(PAYERS, PAYER_COLORS):
            values = t[payer].reindex(shown).fillna(0.0).to_numpy() / scale
            ax.bar(x + i * width - 0.4 + width / 2, values, width, bottom=bottom, color=c,
                   hatch=HATCHES[i % len(HATCHES)], edgecolor="white", linewidth=0.5)
            bottom += values
    ax.set_xticks(x, [str(y) for y in shown])
    ax.set_xlabel(say("year", lang))
    ax.set_ylabel(unit_text)
    ax.yaxis.set_major_formatter(FuncFormatter(tick))
    ax.set_title(say("spending_title", lang))
    ax.grid(axis="y", alpha=0.3)
    handles = [Patch(facecolor=c, label=metric_name(p, lang)) for p, c in zip(PAYERS, PAYER_COLORS)]
    if n > 1:
        handles += [Patch(facecolor="white", edgecolor="0.3", hatch=HATCHES[i % len(HATCHES)], label=name)
                    for i, name in enumerate(names)]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8, frameon=False)
    return ax


def indication_table(res: ResultSet, year: int | None = None) -> pd.DataFrame:
    """Per indication (rows, ``parameters.INDICATIONS``): mean patients treated and eligible
    (came forward) per replication in ``year`` (default the horizon)."""
    a = res.annual
    year = int(a["year"].max()) if year is None else int(year)
    at = a[a["year"] == year]
    return pd.DataFrame({"treated": [float(at[f"patients_treated_{i}"].mean()) for i in INDICATIONS],
                         "eligible": [float(at[f"eligible_patients_{i}"].mean()) for i in INDICATIONS]},
                        index=list(INDICATIONS))


def indication_name(indication: str, lang: str = "en") -> str:
    return INDICATION_NAMES[indication][LANGS.index(lang)]


def indications(res, ax=None, *, labels=None, year: int | None = None, lang: str = "en"):
    """Patients treated by indication in ``year`` (default the horizon; mean per replication),
    a bar per result, with the patients who came forward in that indication as a mark: a log
    axis, so that rare diseases show beside lymphoma. Returns the Axes."""
    from matplotlib.ticker import FuncFormatter

    lang = _lang(lang)
    results = _results(res)
    names = labels_of(results, labels)
    year = int(results[0].annual["year"].max()) if year is None else _simulated_years(results, year, "year")[0]
    tables = [indication_table(r, year) for r in results]
    order = tables[0].sort_values(["treated", "eligible"], ascending=True).index.tolist()  # largest on top
    ax = _axes(ax, (7.5, 5.2))
    n = len(results)
    height = 0.8 / n
    y = np.arange(len(order))
    for i, (t, name) in enumerate(zip(tables, names)):
        t = t.reindex(order)
        pos = y + (n - 1 - i) * height - 0.4 + height / 2  # the first result on top within a row
        ax.barh(pos, t["treated"], height, color=color(i), label=f"{name}: {say('treated', lang)}" if n > 1
                else say("treated", lang))
        ax.plot(t["eligible"], pos, linestyle="none", marker="|", markersize=9, markeredgewidth=2, color="0.2",
                label=say("eligible", lang) if i == 0 else None)
    ax.set_xscale("symlog", linthresh=10.0)
    ax.set_yticks(y, [indication_name(i, lang) for i in order], fontsize=8)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v / 1e4:g}万" if lang == "zh" and v >= 1e4
                                               else tick(v)))
    ax.set_xlabel(metric_name("patients_treated", lang) if lang == "zh" else "patients (mean per replication)")
    ax.set_title(say("indications_title", lang, year=year))
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8, frameon=False)
    return ax


def difference(data, other=None, metric: str = "cumulative_approvals", *, scenario: str | None = None,
               level: float = 0.90, ax=None, marks=None, lang: str = "en"):
    """The paired difference of a scenario from the reference by year, with its interval, and
    zero marked.

    ``data``: the table of ``cgt_sim.compare`` (each of its scenarios a line, or only
    ``scenario``; its years and level), or a ResultSet, the reference, with ``other`` the
    ResultSet to difference from it (run from the same seed: replication r of each paired;
    every simulated year, at ``level``). ``metric``: an annual column or a short name.
    ``marks``: a list per scenario of ``policy.PolicyStart`` to mark (see ``fan``; with two
    ResultSets, True marks where ``other`` departs from ``data``). Returns the Axes."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    from .errors import OptionError

    lang = _lang(lang)
    column = ALIASES.get(metric, metric)
    if isinstance(data, ResultSet):
        from .analysis.compare import compare_results

        if not isinstance(other, ResultSet):
            raise OptionError("other", "give the ResultSet to difference from `data` (or give `data` the table "
                              "of cgt_sim.compare)")
        years = sorted(int(y) for y in data.annual["year"].unique())
        table = compare_results([data, other], years=years, metrics=[column], level=level)
        if marks is True:
            marks = [policy_starts(other.manifest, data.manifest)]
    elif isinstance(data, pd.DataFrame) and {"scenario", "baseline", "metric", "year", "diff_mean"} <= set(data):
        if other is not None:
            raise OptionError("other", "only used with a ResultSet as `data`")
        table = data
        if marks is True:
            raise OptionError("marks", "give the policy starts (a list per scenario) with the table of "
                              "cgt_sim.compare; True needs two ResultSets")
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
    scale, unit_text = axis_scale(largest([rows], ["diff_low", "diff_high", "diff_mean"]), metric_unit(column), lang)
    sep = ": " if lang == "en" else "："
    interval = say("paired_difference", lang, level=f"{level:.0%}")
    groups = list(rows.groupby("scenario", sort=False))
    for i, (name, g) in enumerate(groups):
        g = g.sort_values("year")
        c = color(i + 1)  # the reference is the first colour, as in the fan charts
        mean, low, high = (g[k].to_numpy(dtype=float) / scale for k in ("diff_mean", "diff_low", "diff_high"))
        if len(g) > 3:
            ax.fill_between(g["year"], low, high, color=c, alpha=0.2, linewidth=0)
            ax.plot(g["year"], mean, color=c, linewidth=2, linestyle=LINE_STYLES[(i + 1) % len(LINE_STYLES)],
                    label=f"{name}{sep}{interval}")
        else:
            ax.errorbar(g["year"], mean, yerr=[mean - low, high - mean], color=c, fmt="o", capsize=3,
                        label=f"{name}{sep}{interval}")
    ax.axhline(0.0, color="black", linewidth=1.0, label=say("no_difference", lang))
    ax.set_title(say("difference_title", lang, metric=chart_title(column, lang), reference=rows["baseline"].iloc[0]))
    ax.set_xlabel(say("year", lang))
    ax.set_ylabel(unit_text)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(tick))
    ax.grid(alpha=0.3)
    if marks:  # (each scenario's colour, after the reference's)
        _draw_marks(ax, [[]] + list(marks), ["", *(name for name, _ in groups)], lang)
    _legend_below(ax)
    return ax
