"""Reports: PNG figures and a report.md from one or more result folders.

Fan charts (mean and 5-95% band over replications, by year) of the headline metrics, a stage
funnel of program outcomes, and, for several results, the scenarios overlaid on one chart.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path

from . import plot
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

FAN_METRICS, OUTCOMES = plot.FAN_METRICS, plot.OUTCOMES  # the charts of a report
funnel = plot.outcomes  # programs by outcome at the horizon, mean per replication


def report_files() -> list[str]:
    """The files a report writes into its folder."""
    return list(OUTPUT_FILES["report"])


def _check_columns(res: ResultSet, folder) -> None:
    """The annual columns a report draws must be there: ScenarioError naming the folder otherwise."""
    from .errors import ScenarioError
    from .outputs import HEADLINE

    needed = [m for m, _, _ in FAN_METRICS] + list(HEADLINE) + [f"programs_{k}" for k, _ in OUTCOMES if k != "ongoing"]
    missing = [c for c in dict.fromkeys(needed) if c not in res.annual.columns]
    if missing:
        raise ScenarioError(folder, None, f"its annual table has no {missing[0]} column: not a complete run result; "
                            "write it again with `cgt-sim run`")


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

    families, missing = chart_fonts(labels)
    if missing:
        warnings.warn(ChartFontWarning(
            f"the charts' fonts have no {missing} (in a scenario name), which show as boxes; install a font with "
            "these characters, e.g. Noto Sans CJK SC, or name the scenarios in Latin letters"), stacklevel=3)
    with matplotlib.rc_context({"font.family": families}), warnings.catch_warnings():
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
    """Write PNG figures and report.md for one or more result folders; return the report path.
    The charts are drawn on figures of their own (``matplotlib.figure.Figure``), with the
    functions of ``cgt_sim.plot``: matplotlib's backend and pyplot's figures are left alone."""
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
            figures = _figures(results, names, tmp)
        lines = [REPORT_TITLE + ", ".join(names), ""]
        if missing:
            lines += [f"Note: the charts' fonts have no {missing}; these characters show as boxes.", ""]
        _write_markdown(lines, results, names, result_dirs, figures, tmp)
    return followed(out) / "report.md"


def _figures(results, names, out: Path) -> list:
    """Draw the fan charts and the funnel into ``out``; return (title, file name) pairs."""
    from matplotlib.figure import Figure

    figures = []
    for metric, title, _unit in FAN_METRICS:
        fig = Figure(figsize=(7, 4.2))
        plot.fan(results, metric, ax=fig.subplots(), labels=names, title=title)
        fig.tight_layout()
        fig.savefig(out / f"{metric}.png", dpi=110, bbox_inches="tight")
        figures.append((title, f"{metric}.png"))
    crowded = len(results) > 2  # (plot.funnel's own size for a crowded chart)
    fig = Figure(figsize=(7 + (len(results) - 2) if crowded else 7, 4.6 if crowded else 4.2))
    plot.funnel(results, ax=fig.subplots(), labels=names)
    fig.tight_layout()
    fig.savefig(out / "funnel.png", dpi=110, bbox_inches="tight")
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
