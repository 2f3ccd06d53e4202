"""Reports: PNG figures and a report.md from one or more result folders.

Fan charts (mean and 5-95% band over replications, by year) of the headline metrics, a stage
funnel of program outcomes, and, for several results, the scenarios overlaid on one chart.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CgtSimError
from .outputs import LABELS
from .paths import user_path
from .results import ResultSet, load_results, refuse_repeats
from .storage import OUTPUT_FILES, REPORT_TITLE, atomic_folder, followed
from .text import (
    band_text,
    bands_text,
    overrides_text,
    replications_text,
    series_labels,
)

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


def report_files() -> list[str]:
    """The files a report writes into its folder."""
    return list(OUTPUT_FILES["report"])


# solid, dashed, dotted, dash-dot, long dash, dash-dot-dot: six scenarios each their own dash
LINE_STYLES = ("-", (0, (5, 3)), (0, (1, 2)), (0, (6, 2, 1, 2)), (0, (10, 3)), (0, (6, 2, 1, 2, 1, 2)))

def _band(res: ResultSet, metric: str) -> pd.DataFrame:
    g = res.annual.groupby("year")[metric]
    scale = SCALE.get(metric, 1.0)
    return pd.DataFrame({"mean": g.mean() * scale, "p5": g.quantile(0.05) * scale,
                         "p95": g.quantile(0.95) * scale})


def _check_columns(res: ResultSet, folder) -> None:
    """The annual columns a report draws must be there: ScenarioError naming the folder otherwise."""
    from .errors import ScenarioError
    from .outputs import HEADLINE

    needed = [m for m, _, _ in FAN_METRICS] + list(HEADLINE) + [f"programs_{k}" for k, _ in OUTCOMES if k != "ongoing"]
    missing = [c for c in dict.fromkeys(needed) if c not in res.annual.columns]
    if missing:
        raise ScenarioError(folder, None, f"annual.parquet has no {missing[0]} column: not a complete run result; "
                            "write it again with `cgt-sim run`")


def funnel(res: ResultSet) -> pd.Series:
    """Mean programs per replication by outcome at the horizon (from the year-end counts of
    ``annual``, so a result that kept only clinical program rows gives the same funnel)."""
    a = res.annual
    last = a[a["year"] == a["year"].max()]
    states = [c for c in a.columns if c.startswith("programs_") and c != "programs_in_clinic"]
    ended = {key: float(last[f"programs_{key}"].mean()) for key, _ in OUTCOMES if key != "ongoing"}
    ongoing = float(last[states].sum(axis=1).mean()) - sum(ended.values())
    return pd.Series({label: ended.get(key, ongoing) for key, label in OUTCOMES})


# Fonts with Chinese characters, tried after the default font for scenario names and labels
# (matplotlib falls back glyph by glyph along the list); none ships with matplotlib.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC",
             "Arial Unicode MS")


class ChartFontWarning(UserWarning):
    """The charts' fonts lack characters of a scenario name: they show as boxes."""


def chart_fonts(labels) -> tuple[list[str], str]:
    """The font families the charts use (matplotlib's default, then any installed font of
    ``CJK_FONTS``) and the characters of ``labels`` that none of them has."""
    from matplotlib import font_manager, ft2font

    installed = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    families = [f for f in ("DejaVu Sans", *CJK_FONTS) if f in installed] or ["sans-serif"]
    covered: set = set()
    for family in families:
        if family in installed:
            covered |= set(ft2font.FT2Font(installed[family]).get_charmap())
    missing = dict.fromkeys(ch for label in labels for ch in label if not ch.isspace() and ord(ch) not in covered)
    return families, "".join(missing)


@contextlib.contextmanager
def chart_text(labels):
    """Charts drawn inside this block use fonts for ``labels`` (see ``chart_fonts``); characters
    that none of them has are said once, as a ``ChartFontWarning``, not in a warning per glyph
    and chart. Yields those characters ("" for none)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    families, missing = chart_fonts(labels)
    if missing:
        warnings.warn(ChartFontWarning(
            f"the charts' fonts have no {missing} (in a scenario name), which show as boxes; install a font with "
            "these characters, e.g. Noto Sans CJK SC, or name the scenarios in Latin letters"), stacklevel=3)
    with plt.rc_context({"font.family": families}), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")  # said once, above
        yield missing


def check_report_folder(out) -> None:
    """A report may go into a new or empty folder, replace an earlier report (a folder with
    report.md), or go back into a folder of a run result that holds files of the user's and
    none of the files a report writes (a report folder whose report went when its result was
    replaced, the user's notes kept); never into a result or any other folder: ScenarioError
    naming ``out`` otherwise."""
    from .storage import check_replaceable, check_writable, earlier_output

    out = followed(user_path(out))
    try:
        check_replaceable(out, ("report",), "an earlier report folder")
    except CgtSimError:
        if not (out.name == "report" and out.is_dir() and earlier_output(out) is None
                and earlier_output(out.parent) == "run"
                and not any(os.path.lexists(out / name) for name in report_files())):
            raise
    check_writable(out)


def write_report(result_dirs, out: Path | None = None) -> Path:
    """Write PNG figures and report.md for one or more result folders; return the report path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    refuse_repeats(result_dirs)
    results = [load_results(d) for d in result_dirs]
    for res, d in zip(results, result_dirs):
        _check_columns(res, d)
    names = series_labels([r.manifest.get("scenario", {}).get("name", Path(d).name)
                           for r, d in zip(results, result_dirs)], result_dirs)
    out = user_path(out) if out else user_path(result_dirs[0]) / "report"
    # written whole into a temporary folder and swapped in (files of the user's there kept), so
    # an interrupted report leaves the earlier one as it was
    with atomic_folder(out, check=check_report_folder) as tmp:
        with chart_text(names) as missing:
            figures = _figures(plt, results, names, tmp)
        lines = [REPORT_TITLE + ", ".join(names), ""]
        if missing:
            lines += [f"Note: the charts' fonts have no {missing}; these characters show as boxes.", ""]
        _write_markdown(lines, results, names, result_dirs, figures, tmp)
    return followed(out) / "report.md"


def _tick(v: float, _pos=None) -> str:
    """An axis tick: 1,234 from 10 up, 2.5 or 0.02 below, never '-0'."""
    v = round(v, 12) + 0.0  # a tick at -0.0 or -1e-17 reads 0
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:g}"


def _no_data(ax, what: str) -> None:
    """An empty chart says why instead of showing axes around nothing."""
    ax.text(0.5, 0.5, f"no data: {what}", ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def _figures(plt, results, names, out: Path) -> list:
    """Draw the fan charts and the funnel into ``out``; return (title, file name) pairs."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    figures = []
    for metric, title, unit in FAN_METRICS:
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for i, (res, name) in enumerate(zip(results, names)):
            b = _band(res, metric)
            c = colors[i % len(colors)]
            ax.fill_between(b.index, b["p5"], b["p95"], color=c, alpha=0.2, linewidth=0)
            few = b["mean"].notna().sum() <= 3  # a line alone would not show one or two points
            # each series its own dash, so a scenario that matches another still shows both
            ax.plot(b.index, b["mean"], color=c, linewidth=2, marker="o" if few else None,
                    linestyle=LINE_STYLES[i % len(LINE_STYLES)], label=f"{name}: mean, 5-95% band")
            if few and b["p5"].notna().any():
                ax.errorbar(b.index, b["mean"], yerr=[b["mean"] - b["p5"], b["p95"] - b["mean"]], color=c,
                            fmt="none", capsize=3)
        ax.set_title(title)
        if not any(_band(res, metric)["mean"].notna().any() for res in results):
            _no_data(ax, "no simulated year has a value (no patient treated yet, for instance)")
        else:
            ax.set_xlabel("year")
            ax.set_ylabel(unit)
            years = sorted({int(y) for res in results for y in res.annual["year"].unique()})
            if years[0] == years[-1]:  # one simulated year: a year either side, not a century
                ax.set_xlim(years[0] - 1, years[0] + 1)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_formatter(FuncFormatter(_tick))
            ax.grid(alpha=0.3)
            # below the axes, never over a band
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1 if len(results) < 3 else 2,
                      fontsize=8, frameon=False)
        fig.tight_layout()
        path = out / f"{metric}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        figures.append((title, path.name))
    # stage funnel: programs by outcome at the horizon, one bar group per scenario
    crowded = len(results) > 2  # labels side by side would overlap: upright, on a wider chart
    fig, ax = plt.subplots(figsize=(7 + (len(results) - 2) if crowded else 7, 4.6 if crowded else 4.2))
    width = 0.8 / len(results)
    labels = [label for _, label in OUTCOMES]
    x = np.arange(len(labels))
    horizons = [int(res.annual["year"].max()) for res in results]
    for i, (res, name, horizon) in enumerate(zip(results, names, horizons)):
        f = funnel(res)
        label = name if len(set(horizons)) == 1 else f"{name} (by {horizon})"
        bars = ax.bar(x + i * width - 0.4 + width / 2, f.values, width, label=label, color=colors[i % len(colors)])
        ax.bar_label(bars, labels=[f"{v:,.0f}" if v >= 10 or v == 0 else f"{v:.1f}" for v in f.values], fontsize=7,
                     padding=2, rotation=90 if crowded else 0)
    ax.set_xticks(x, labels)
    ax.set_ylabel("programs per replication (mean)")
    ax.yaxis.set_major_formatter(FuncFormatter(_tick))
    ax.set_title(f"Program outcomes by {horizons[0]}" if len(set(horizons)) == 1
                 else "Program outcomes by each run's horizon")
    ax.grid(axis="y", alpha=0.3)
    if crowded:
        ax.set_ylim(top=ax.get_ylim()[1] * 1.15)  # room for the upright labels
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=min(len(results), 3), fontsize=8,
              frameon=False)  # below the bars, as on the fan charts
    fig.tight_layout()
    fig.savefig(out / "funnel.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    figures.append(("Program outcomes", "funnel.png"))
    return figures


def _write_markdown(lines: list, results, names, result_dirs, figures, out: Path) -> Path:
    """report.md: what each result is, its headline figures, and the figures."""
    for res, name, d in zip(results, names, result_dirs):
        m = res.manifest
        lines.append(f"- **{name}** ({d}): {replications_text(m.get('replications'))}, seed {m.get('seed')}, "
                     f"{m.get('start_year')}-{m.get('horizon_year')}, cgt-sim {m.get('package_version')}; "
                     f"{bands_text(m)}{overrides_text(m)}")
        about = " ".join(str((m.get("scenario") or {}).get("description") or "").split())
        if about:
            lines.append(f"  {about}")  # what the scenario file says it is
    lines += ["", "## Headline figures (mean [5-95%])", ""]
    for res, name in zip(results, names):
        h = res.headline()
        years = sorted(h["year"].unique())
        lines += [f"### {name}", "", "| metric | " + " | ".join(str(y) for y in years) + " |",
                  "|---|" + "---|" * len(years)]
        for metric in h["metric"].unique():
            cells = []
            for y in years:
                r = h[(h["metric"] == metric) & (h["year"] == y)].iloc[0]
                cells.append(band_text(r['mean'], r['p5'], r['p95']))
            lines.append(f"| {LABELS.get(metric, metric)} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Figures", ""]
    for title, name in figures:
        lines += [f"### {title}", "", f"![{title}]({name})", ""]
    report = out / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    return report
