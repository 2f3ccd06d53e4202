"""report.html: a report as one self-contained page with interactive charts (Plotly).

The page holds everything it needs (Plotly's script included, no network): the charts of the
PNG report, which show their values on hover; a box per scenario that hides or shows it in
every chart at once (a legend entry does the same in one chart); where each result comes from
(seed, replications, values set with --set, package version, model fingerprint); the table of
differences from the first result and the headline tables. In English or, with ``lang="zh"``,
in Chinese, with large amounts in 万 and 亿.

``report.write_report`` calls ``write_html`` with what it has computed; the charts take their
data from the functions of ``plot``, so both reports show the same numbers.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from . import plot
from .outputs import metric_name, metric_unit, unit_name
from .policy import starts_text
from .text import axis_scale, band_text, difference_rows, difference_text, format_number, provenance_facts, say

# Chinese text falls back to the fonts a reader's system has, by the names of the common ones.
FONTS = ('-apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", "Source Han Sans SC", '
         '"PingFang SC", "Microsoft YaHei", "WenQuanYi Zen Hei", sans-serif')
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
PATTERNS = ("", "/", ".", "x", "\\", "+")

STYLE = """
body { font-family: FONTS; margin: 0 auto; max-width: 1180px; padding: 1em 1.5em 3em; color: #222;
       line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.88em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.55em; vertical-align: top; }
th { background: #f4f4f4; text-align: left; } td.num { text-align: right; white-space: nowrap; }
tbody td:first-child { white-space: nowrap; }
.toggles { position: sticky; top: 0; background: #fff; padding: 0.5em 0; border-bottom: 1px solid #eee; z-index: 10; }
.toggles label { margin-right: 1.2em; cursor: pointer; white-space: nowrap; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px; vertical-align: -0.1em; }
.note { color: #8a4b00; } .hint { color: #666; font-size: 0.9em; }
.chart { margin: 1.2em 0 2em; } .about { color: #555; font-size: 0.9em; }
""".replace("FONTS", FONTS)

# Hides or shows a scenario's traces in every chart: those of its legend group.
TOGGLE_SCRIPT = """
document.querySelectorAll('.toggles input').forEach(function (box) {
  box.addEventListener('change', function () {
    var group = box.getAttribute('data-group'), on = box.checked;
    document.querySelectorAll('.plotly-graph-div').forEach(function (gd) {
      var idx = [];
      (gd.data || []).forEach(function (t, k) { if (t.legendgroup === group) { idx.push(k); } });
      if (idx.length) { Plotly.restyle(gd, {visible: on ? true : 'legendonly'}, idx); }
    });
  });
});
"""


def _rgba(color: str, alpha: float) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _group(i: int) -> str:
    return f"s{i}"


def _layout(title: str, lang: str, **more) -> dict:
    layout = {"title": {"text": title, "x": 0.02, "xanchor": "left"}, "height": 440,
              "font": {"family": FONTS.replace('"', "'"), "size": 13}, "hovermode": "x unified",
              "legend": {"orientation": "h", "y": -0.22, "x": 0, "font": {"size": 11}},
              "margin": {"l": 70, "r": 20, "t": 60, "b": 110}, "template": "plotly_white",
              "xaxis": {"title": {"text": say("year", lang)}, "tickformat": "d"},
              "yaxis": {"tickformat": ","}}
    layout.update(more)
    return layout


def _mark_traces(starts, i: int, name: str, low: float, high: float, lang: str, colour: str) -> list:
    """A dotted vertical line per policy start of scenario ``i``, in its legend group."""
    import plotly.graph_objects as go

    sep = ": " if lang == "en" else "："
    traces = []
    for start in starts:
        text = say("policy_from", lang, date=start.date.isoformat()) + sep + ", ".join(start.keys)
        traces.append(go.Scatter(x=[start.year, start.year], y=[low, high], mode="lines", legendgroup=_group(i),
                                 name=f"{name}{sep}{say('policy_from', lang, date=start.date.strftime('%Y-%m'))}",
                                 line={"color": colour, "dash": "dot", "width": 1.5},
                                 hovertemplate=text + "<extra></extra>"))
    return traces


def _log_ticks(lang: str) -> dict:
    """Tick labels of a log axis: Plotly's short 10k in English, whole numbers with separators
    in Chinese (10,000: "k" is no Chinese unit, and 万 ticks would read unevenly)."""
    return {} if lang == "en" else {"tickformat": ","}


def _span(values) -> tuple[float, float]:
    """The heights a policy mark spans: the data's, with zero (a mark never stretches the axis
    beyond the data: a share that changes by 0.1 is not drawn on an axis to 1)."""
    finite = [float(v) for v in values if np.isfinite(v)]
    low, high = min(finite + [0.0]), max(finite + [0.0])
    return (low, high) if high > low else (low, low + 1.0)


def fan_figure(results, names, metric: str, marks, lang: str):
    """The fan chart of ``metric`` (mean line and 5-95% band per result), with policy starts."""
    import plotly.graph_objects as go

    unit = metric_unit(metric)
    bands = [plot.band(r, metric) for r in results]
    scale, unit_text = axis_scale(plot.largest(bands, ["p95", "mean"]), unit, lang)
    traces: list = []
    for i, (b, name) in enumerate(zip(bands, names)):
        b = b.dropna(subset=["mean"])
        colour, group = plot.color(i), _group(i)
        years = [int(y) for y in b.index]
        line = {"color": colour, "width": 0.8, "dash": DASHES[i % len(DASHES)]}
        traces.append(go.Scatter(x=years, y=(b["p95"] / scale).tolist(), mode="lines", line=line, legendgroup=group,
                                 showlegend=False, hoverinfo="skip"))
        traces.append(go.Scatter(x=years, y=(b["p5"] / scale).tolist(), mode="lines", line=line, legendgroup=group,
                                 showlegend=False, hoverinfo="skip", fill="tonexty", fillcolor=_rgba(colour, 0.13)))
        texts = [band_text(m, lo, hi, lang=lang) + f" {unit_name(unit, lang)}"
                 for m, lo, hi in zip(b["mean"], b["p5"], b["p95"])]
        traces.append(go.Scatter(x=years, y=(b["mean"] / scale).tolist(), mode="lines+markers" if len(years) <= 3
                                 else "lines", name=name, legendgroup=group, customdata=[[t] for t in texts],
                                 line={"color": colour, "width": 2.5, "dash": DASHES[i % len(DASHES)]},
                                 hovertemplate=f"{html.escape(name)}: %{{customdata[0]}}<extra></extra>"))
    low, high = _span([v / scale for b in bands for v in list(b["p5"]) + list(b["p95"])])
    for i, (starts, name) in enumerate(zip(marks, names)):
        traces += _mark_traces(starts, i, name, low, high, lang, plot.color(i))
    return go.Figure(traces, _layout(plot.chart_title(metric, lang), lang, yaxis={"title": {"text": unit_text},
                                                                                  "tickformat": ","}))


def difference_figure(differences, metric: str, marks, level: float, lang: str):
    """The paired difference of each scenario from the first by year: mean, interval, zero."""
    import plotly.graph_objects as go

    rows = differences[differences["metric"] == metric]
    unit = metric_unit(metric)
    scale, unit_text = axis_scale(plot.largest([rows], ["diff_low", "diff_high", "diff_mean"]), unit, lang)
    traces: list = []
    groups = list(rows.groupby("scenario", sort=False))
    years = sorted(int(y) for y in rows["year"].unique())
    for j, (name, g) in enumerate(groups):
        g = g.sort_values("year").dropna(subset=["diff_mean"])
        colour, group = plot.color(j + 1), _group(j + 1)
        x = [int(y) for y in g["year"]]
        edge = {"color": colour, "width": 0.6}
        traces.append(go.Scatter(x=x, y=(g["diff_high"] / scale).tolist(), mode="lines", line=edge,
                                 legendgroup=group, showlegend=False, hoverinfo="skip"))
        traces.append(go.Scatter(x=x, y=(g["diff_low"] / scale).tolist(), mode="lines", line=edge, legendgroup=group,
                                 showlegend=False, hoverinfo="skip", fill="tonexty", fillcolor=_rgba(colour, 0.2)))
        texts = [difference_text(m, lo, hi, lang) + f" {unit_name(unit, lang)}"
                 for m, lo, hi in zip(g["diff_mean"], g["diff_low"], g["diff_high"])]
        traces.append(go.Scatter(x=x, y=(g["diff_mean"] / scale).tolist(), mode="lines+markers", name=str(name),
                                 legendgroup=group, customdata=[[t] for t in texts], marker={"size": 4},
                                 line={"color": colour, "width": 2.5, "dash": DASHES[(j + 1) % len(DASHES)]},
                                 hovertemplate=f"{html.escape(str(name))}: %{{customdata[0]}}<extra></extra>"))
    traces.append(go.Scatter(x=[years[0], years[-1]], y=[0, 0], mode="lines", name=say("no_difference", lang),
                             line={"color": "black", "width": 1.2}, hoverinfo="skip"))
    low, high = _span([v / scale for v in list(rows["diff_low"]) + list(rows["diff_high"])])
    for j, (name, _g) in enumerate(groups):
        traces += _mark_traces(marks[j + 1] if j + 1 < len(marks) else [], j + 1, str(name), low, high, lang,
                               plot.color(j + 1))
    reference = str(rows["baseline"].iloc[0])
    title = say("difference_title", lang, metric=plot.chart_title(metric, lang), reference=reference)
    subtitle = say("paired_difference", lang, level=f"{level:.0%}")
    return go.Figure(traces, _layout(f"{title}<br><sup>{subtitle}</sup>", lang,
                                     yaxis={"title": {"text": unit_text}, "tickformat": ",", "zeroline": True}))


def spending_figure(results, names, lang: str):
    """Revenue by payer at the headline years: a stacked bar per result, side by side."""
    import plotly.graph_objects as go

    years = plot.chart_years(results[0])
    tables = [plot.spending_table(r, years) for r in results]
    scale, unit_text = axis_scale(plot.largest([t.sum(axis=1).to_frame("total") for t in tables], ["total"]),
                                  "cny", lang)
    traces = []
    for i, (t, name) in enumerate(zip(tables, names)):
        bottom = np.zeros(len(years))
        for k, (payer, colour) in enumerate(zip(plot.PAYERS, plot.PAYER_COLORS)):
            values = t[payer].fillna(0.0).to_numpy(dtype=float)
            texts = [format_number(v, lang) + f" {unit_name('cny', lang)}" for v in values]
            traces.append(go.Bar(x=[str(y) for y in years], y=(values / scale).tolist(), base=(bottom / scale).tolist(),
                                 offsetgroup=str(i), legendgroup=_group(i), name=metric_name(payer, lang),
                                 legendgrouptitle={"text": name} if k == 0 else None,
                                 marker={"color": colour, "pattern": {"shape": PATTERNS[i % len(PATTERNS)]}},
                                 customdata=[[x] for x in texts],
                                 hovertemplate=f"{html.escape(name)} · {html.escape(metric_name(payer, lang))}: "
                                               "%{customdata[0]}<extra></extra>"))
            bottom += values
    layout = _layout(say("spending_title", lang), lang, barmode="group", hovermode="closest",
                     yaxis={"title": {"text": unit_text}, "tickformat": ","})
    layout["xaxis"] = {"title": {"text": say("year", lang)}, "type": "category"}
    layout["legend"] = {"orientation": "v", "x": 1.02, "y": 1, "font": {"size": 11}, "groupclick": "toggleitem"}
    layout["margin"] = {"l": 70, "r": 20, "t": 60, "b": 60}
    return go.Figure(traces, layout)


def indications_figure(results, names, lang: str):
    """Patients treated by indication at the horizon (bars, log axis), with those eligible."""
    import plotly.graph_objects as go

    year = int(results[0].annual["year"].max())
    tables = [plot.indication_table(r, year) for r in results]
    order = tables[0].sort_values(["treated", "eligible"], ascending=True).index.tolist()
    labels = [plot.indication_name(i, lang) for i in order]
    traces = []
    for i, (t, name) in enumerate(zip(tables, names)):
        t = t.reindex(order)
        treated = [format_number(v, lang) for v in t["treated"]]
        eligible = [format_number(v, lang) for v in t["eligible"]]
        traces.append(go.Bar(y=labels, x=t["treated"].tolist(), orientation="h", offsetgroup=str(i),
                             legendgroup=_group(i), name=f"{name}: {say('treated', lang)}",
                             marker={"color": plot.color(i)}, customdata=[[a, b] for a, b in zip(treated, eligible)],
                             hovertemplate=f"{html.escape(name)}: %{{y}}<br>{say('treated', lang)} %{{customdata[0]}}"
                                           f"<br>{say('eligible', lang)} %{{customdata[1]}}<extra></extra>"))
        traces.append(go.Scatter(y=labels, x=t["eligible"].tolist(), mode="markers", legendgroup=_group(i),
                                 name=f"{name}: {say('eligible', lang)}", hoverinfo="skip",
                                 marker={"symbol": "line-ns-open", "size": 16, "color": plot.color(i),
                                         "line": {"width": 3, "color": plot.color(i)}}))
    layout = _layout(say("indications_title", lang, year=year), lang, barmode="group", hovermode="closest",
                     height=max(480, 60 + 34 * len(order) * max(1, len(results)) // 2))
    layout["xaxis"] = {"type": "log", **_log_ticks(lang),
                       "title": {"text": unit_name("patients", lang) + (" (log)" if lang == "en" else "（对数刻度）")}}
    layout["yaxis"] = {"automargin": True}
    layout["margin"] = {"l": 160, "r": 20, "t": 60, "b": 110}
    return go.Figure(traces, layout)


def funnel_figure(results, names, lang: str):
    """Program outcomes at the horizon, mean per replication, on a log axis."""
    import plotly.graph_objects as go

    traces = []
    for i, (r, name) in enumerate(zip(results, names)):
        f = plot.outcomes(r, lang)
        traces.append(go.Bar(x=[k.replace("\n", "<br>") for k in f.index], y=f.to_numpy(dtype=float).tolist(),
                             name=name, legendgroup=_group(i), marker={"color": plot.color(i)},
                             text=[format_number(v, lang) for v in f], textposition="outside",
                             hovertemplate=f"{html.escape(name)}: %{{text}}<extra></extra>"))
    horizons = {int(r.annual["year"].max()) for r in results}
    title = (say("outcomes_title", lang, year=horizons.pop()) if len(horizons) == 1 else say("outcomes_each", lang))
    top = max((float(np.nanmax(t.y)) for t in traces if len(t.y)), default=1.0)
    layout = _layout(title, lang, barmode="group", hovermode="closest",
                     yaxis={"type": "log", **_log_ticks(lang), "title": {"text": say("programs_per_replication", lang)},
                            "range": [-0.3, float(np.log10(max(top, 1.0))) + 0.5]})  # from 0.5, room for labels
    layout["xaxis"] = {"type": "category"}
    return go.Figure(traces, layout)


def _table(heads: list[str], rows: list[list[str]], numeric=()) -> str:
    out = ["<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in heads) + "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="num">{html.escape(c)}</td>' if k in numeric
                                    else f"<td>{html.escape(c)}</td>" for k, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _provenance_table(results, names, folders, marks, lang: str) -> str:
    """Where each result comes from: a column per result, a row per fact."""
    keys = ("folder", "replications", "seed", "years", "set_values", "policies", "version", "fingerprint", "bands",
            "about")
    facts = []
    for res, folder, starts in zip(results, folders, marks):
        p = provenance_facts(res.manifest, lang)
        p["folder"] = str(folder) if folder is not None else "-"
        p["policies"] = starts_text(starts) or say("none", lang)
        facts.append(p)
    rows = [[say(k, lang), *(p[k] or "-" for p in facts)] for k in keys]
    return _table(["", *names], rows)


def _headline_tables(results, names, lang: str) -> str:
    from .outputs import label

    out = []
    for res, name in zip(results, names):
        h = res.headline()
        years = sorted(int(y) for y in h["year"].unique())
        rows = []
        for metric in h["metric"].unique():
            cells = []
            for y in years:
                r = h[(h["metric"] == metric) & (h["year"] == y)].iloc[0]
                cells.append(band_text(r["mean"], r["p5"], r["p95"], lang=lang))
            rows.append([label(metric, lang), *cells])
        out.append(f"<h3>{html.escape(name)}</h3>"
                   + _table([say("metric", lang), *map(str, years)], rows, numeric=tuple(range(1, len(years) + 1))))
    return "".join(out)


def write_html(path: Path, results, names, folders, *, lang: str, notes, table, level: float, marks, differences,
               shown) -> Path:
    """Write report.html (see the module's description) to ``path``."""
    from plotly.offline import get_plotlyjs

    figures = []
    if differences is not None:
        figures += [difference_figure(differences, m, marks, level, lang) for m in shown]
    figures += [fan_figure(results, names, m, marks, lang) for m in plot.FAN]
    figures += [spending_figure(results, names, lang), indications_figure(results, names, lang),
                funnel_figure(results, names, lang)]
    charts = "".join('<div class="chart">' + fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{k}",
                                                       config=CONFIG) + "</div>" for k, fig in enumerate(figures, 1))
    title = say("report_title", lang, names=", ".join(names))
    toggles = "".join(f'<label><input type="checkbox" checked data-group="{_group(i)}"> '
                      f'<span class="swatch" style="background:{plot.color(i)}"></span> {html.escape(name)}</label>'
                      for i, name in enumerate(names))
    parts = [f"<h1>{html.escape(title)}</h1>"]
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    parts.append(f'<div class="toggles">{html.escape(say("toggle", lang))} {toggles}</div>')
    parts.append(f'<p class="hint">{html.escape(say("hover_hint", lang))} '
                 f'{html.escape(say("interval_note", lang, level=f"{level:.0%}"))}</p>')
    parts += [f"<h2>{html.escape(say('results', lang))}</h2>", _provenance_table(results, names, folders, marks, lang)]
    if table is not None and len(table):
        heads, rows = difference_rows(table, level, lang)
        parts += [f"<h2>{html.escape(say('differences', lang, reference=names[0], level=f'{level:.0%}'))}</h2>",
                  _table(heads, rows, numeric=(2, 3, 4, 5))]
    parts += [f"<h2>{html.escape(say('headline', lang))}</h2>", _headline_tables(results, names, lang),
              f"<h2>{html.escape(say('figures', lang))}</h2>", charts]
    page = (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
            f'<script type="text/javascript">{get_plotlyjs()}</script></head>'
            f"<body>{''.join(parts)}<script>{TOGGLE_SCRIPT}</script></body></html>\n")
    path.write_text(page, encoding="utf-8")
    return path

