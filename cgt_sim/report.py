"""Reports: PNG figures, report.md and an interactive report.html from one or more results.

Fan charts (mean and 5-95% band over replications, by year) of the headline metrics with marks
where each scenario's policies start, the paired difference of each scenario from the first by
year (with its interval and zero marked), revenue by payer, patients by indication and the
program outcomes; several results are overlaid on one chart. report.md holds the differences,
the headline tables and where each result comes from; report.html the same with charts that
show their values (``interactive``). ``lang="zh"`` writes all of it in Chinese.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path

from . import plot
from .errors import CgtSimError, OptionError
from .outputs import HEADLINE, label
from .paths import user_path
from .policy import starts_text
from .results import ResultSet, as_list, load_results, refuse_repeats
from .storage import OUTPUT_FILES, REPORT_TITLE, atomic_folder, followed
from .text import (
    WORDS,
    band_text,
    bands_text,
    check_lang,
    difference_rows,
    number_repeats,
    overrides_text,
    provenance_facts,
    replications_text,
    say,
    series_labels,
)

FAN_METRICS, OUTCOMES = plot.FAN_METRICS, plot.OUTCOMES  # the charts of a report
funnel = plot.outcomes  # programs by outcome at the horizon, mean per replication
DIFFERENCE_METRICS = plot.FAN  # the difference charts of a report, unless told otherwise
COMPARED = HEADLINE + ("revenue_cny",)  # the metrics of a report's table of differences


def report_files() -> list[str]:
    """The files a report writes into its folder."""
    return list(OUTPUT_FILES["report"])


def _check_columns(res: ResultSet, folder) -> None:
    """The annual columns a report draws must be there: ScenarioError naming the folder otherwise."""
    from .errors import ScenarioError
    from .parameters import INDICATIONS

    per_indication = [f"{what}_{i}" for i in INDICATIONS for what in ("patients_treated", "eligible_patients")]
    needed = (list(plot.FAN) + list(COMPARED) + [f"programs_{k}" for k in OUTCOMES if k != "ongoing"]
              + list(plot.PAYERS) + per_indication)
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
    if not any(f in installed for f in CJK_FONTS) and any(ord(ch) > 0x2e7f for label in labels for ch in label):
        installed = _fonts_added_since_cache(font_manager)
    families = [f for f in ("DejaVu Sans", *CJK_FONTS) if f in installed] or ["sans-serif"]
    covered: set = set()
    for family in families:
        if family in installed:
            covered |= set(ft2font.FT2Font(installed[family]).get_charmap())
    missing = dict.fromkeys(ch for label in labels for ch in label if not ch.isspace() and ord(ch) not in covered)
    return families, "".join(missing)


def _fonts_added_since_cache(font_manager) -> dict:
    """matplotlib lists the system's fonts once, in a cache: a font with Chinese characters
    installed after that is added here (once per process), so that it is used."""
    for path in font_manager.findSystemFonts():
        if any(word in Path(path).name for word in ("CJK", "SourceHan", "wqy", "WenQuanYi")):
            with contextlib.suppress(Exception):  # a font file matplotlib cannot read is skipped
                font_manager.fontManager.addfont(path)
    return {f.name: f.fname for f in font_manager.fontManager.ttflist}


@contextlib.contextmanager
def chart_text(labels, lang: str = "en"):
    """Charts drawn inside this block use fonts for ``labels`` (see ``chart_fonts``) and, in
    Chinese (``lang="zh"``), for the charts' own words; characters that none of them has are
    said once, as a ``ChartFontWarning``, not in a warning per glyph and chart. Yields those
    characters ("" for none)."""
    import matplotlib

    words = [w[1] for w in WORDS.values()] if lang == "zh" else []
    families, missing = chart_fonts(list(labels) + words)
    if missing:
        where = "in a scenario name" if lang == "en" else "in a scenario name or the Chinese chart text"
        warnings.warn(ChartFontWarning(
            f"the charts' fonts have no {_shortened(missing)} ({where}), which show as boxes; install a font with "
            "these characters, e.g. Noto Sans CJK SC" + (", or name the scenarios in Latin letters"
                                                           if lang == "en" else "")), stacklevel=3)
    with matplotlib.rc_context({"font.family": families}), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")  # said once, above
        yield _shortened(missing)


def _shortened(chars: str, most: int = 12) -> str:
    return chars if len(chars) <= most else chars[:most] + "..."


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


def write_report(results, out: Path | None = None, *, lang: str = "en", metrics=None, level: float = 0.90,
                 labels=None) -> Path:
    """Write the report of one or more results: PNG figures, report.md and report.html (in
    English, or in Chinese with ``lang="zh"``); return the path of report.md.

    ``results``: result folders (written by ``cgt-sim run``) or ``ResultSet``s; the first is
    the reference of the differences. ``out``: the report folder (default ``<first
    folder>/report``; needed when the first result has no folder). ``metrics``: the metrics of
    the difference charts (default those of the fan charts). ``level``: of the intervals of the
    differences. ``labels``: a name per result (default their scenario names, told apart by
    folder where they repeat). The charts are drawn on figures of their own
    (``matplotlib.figure.Figure``), with the functions of ``cgt_sim.plot``: matplotlib's
    backend and pyplot's figures are left alone."""
    from .analysis.compare import check_level, compare_results
    from .interactive import write_html
    from .results import metric_columns

    lang = check_lang(lang)
    check_level(level)
    items = as_list(results)
    if not items:
        raise OptionError("results", "give at least one result folder or ResultSet")
    folders = [None if isinstance(r, ResultSet) else r for r in items]
    for folder in folders:
        if folder is not None:
            user_path(folder, argument="results")  # a folder's path, not a number or None
    refuse_repeats([f for f in folders if f is not None])
    loaded = [r if isinstance(r, ResultSet) else load_results(r) for r in items]
    for res, folder in zip(loaded, folders):
        _check_columns(res, folder if folder is not None else "results")
    names = _names(loaded, folders, labels)
    if out is None and folders[0] is None:
        raise OptionError("out", "give the report folder: the first result is not a folder")
    out = user_path(out, argument="out") if out is not None else user_path(folders[0]) / "report"
    shown = metric_columns(DIFFERENCE_METRICS if metrics is None else metrics, loaded[0].metrics)
    differences, why = None, ""
    if len(loaded) > 1:
        years = sorted(int(y) for y in loaded[0].annual["year"].unique())
        try:  # every simulated year, for the charts; the table shows the headline years
            differences = compare_results(loaded, years=years, metrics=list(dict.fromkeys(shown + list(COMPARED))),
                                          level=level, names=names)
        except CgtSimError as exc:  # another seed, other years, other model code: no pairs
            why = exc.message
    marks = plot.policy_marks(loaded)
    # written whole into a temporary folder and swapped in (files of the user's there kept), so
    # an interrupted report leaves the earlier one as it was
    with atomic_folder(out, check=check_report_folder) as tmp:
        with chart_text(names, lang) as missing:
            figures = _figures(loaded, names, tmp, lang=lang, marks=marks, differences=differences, shown=shown,
                               level=level)
        notes = [say("font_note", lang, chars=missing)] if missing else []
        if len(loaded) > 1 and differences is None:
            notes.append(say("no_differences", lang, why=why))
        table = _headline_differences(differences, loaded[0])
        _write_markdown(loaded, names, folders, figures, tmp, lang=lang, notes=notes, table=table, level=level,
                        marks=marks)
        write_html(tmp / "report.html", loaded, names, folders, lang=lang, notes=notes, table=table, level=level,
                   marks=marks, differences=differences, shown=shown)
    return followed(out) / "report.md"


def _names(results: list[ResultSet], folders: list, labels) -> list[str]:
    """A name per result: ``labels``, else the scenario names told apart by folder (numbered
    where a result has no folder)."""
    if labels is not None:
        names = [str(x) for x in as_list(labels)]  # one label, as the charts take it
        if len(names) != len(results):
            raise OptionError("labels", f"give a name per result ({len(results)}), not {len(names)}")
        return names
    scenario = [str((r.manifest.get("scenario") or {}).get("name", Path(str(f)).name if f else f"result {i}"))
                for i, (r, f) in enumerate(zip(results, folders))]
    if all(f is not None for f in folders):
        return series_labels(scenario, folders)
    return number_repeats(scenario)


def _headline_differences(differences, reference: ResultSet):
    """The rows of the table of differences: the compared metrics at the headline years."""
    if differences is None:
        return None
    years = plot.chart_years(reference)
    rows = differences[differences["metric"].isin(COMPARED) & differences["year"].isin(years)]
    order = {"metric": {m: i for i, m in enumerate(COMPARED)},
             "scenario": {s: i for i, s in enumerate(dict.fromkeys(differences["scenario"]))}}  # as given
    return rows.sort_values(["scenario", "metric", "year"], key=lambda c: c.map(order[c.name]) if c.name in order
                            else c).reset_index(drop=True)


def _save(fig, path: Path) -> None:
    fig.savefig(path, dpi=110, bbox_inches="tight")  # (cut to what is drawn, the legend below included)


def _figures(results, names, out: Path, *, lang: str = "en", marks=None, differences=None, shown=(),
             level: float = 0.90) -> list:
    """Draw the charts into ``out``; return (title, file name) pairs in the order the report
    shows them: the differences first (the answer), then the levels, revenue, patients by
    indication and the outcomes."""
    from matplotlib.figure import Figure

    figures = []
    if differences is not None:
        for metric in shown:
            fig = Figure(figsize=(7, 4.2))
            ax = plot.difference(differences, metric=metric, level=level, ax=fig.subplots(), marks=marks[1:],
                                 lang=lang)
            _save(fig, out / f"difference_{metric}.png")
            figures.append((ax.get_title(), f"difference_{metric}.png"))
    for metric in plot.FAN:
        fig = Figure(figsize=(7, 4.2))
        ax = plot.fan(results, metric, ax=fig.subplots(), labels=names, marks=marks, lang=lang)
        _save(fig, out / f"{metric}.png")
        figures.append((ax.get_title(), f"{metric}.png"))
    for name, draw, size in (("spending", plot.spending, (7.5, 4.4)), ("indications", plot.indications, (7.5, 5.2))):
        fig = Figure(figsize=size)
        ax = draw(results, ax=fig.subplots(), labels=names, lang=lang)
        _save(fig, out / f"{name}.png")
        figures.append((ax.get_title(), f"{name}.png"))
    crowded = len(results) > 2  # (plot.funnel's own size for a crowded chart)
    fig = Figure(figsize=(7 + (len(results) - 2) if crowded else 7, 4.6 if crowded else 4.2))
    ax = plot.funnel(results, ax=fig.subplots(), labels=names, lang=lang)
    _save(fig, out / "funnel.png")
    figures.append((ax.get_title(), "funnel.png"))
    return figures


def _write_markdown(results, names, folders, figures, out: Path, *, lang: str, notes: list, table, level: float,
                    marks) -> Path:
    """report.md: what each result is and where it comes from, the differences from the first,
    the headline figures, and the figures."""
    title = say("report_title", lang, names=", ".join(names))
    lines = [("# " + title) if lang == "zh" else REPORT_TITLE + ", ".join(names), ""]
    lines += [f"{note}" for note in notes] + ([""] if notes else [])
    for res, name, folder, starts in zip(results, names, folders, marks):
        m = res.manifest
        where = f" ({folder})" if folder is not None else ""
        if lang == "en":
            lines.append(f"- **{name}**{where}: {replications_text(m.get('replications'))}, seed {m.get('seed')}, "
                         f"{m.get('start_year')}-{m.get('horizon_year')}, cgt-sim {m.get('package_version')}, "
                         f"model {m.get('model_fingerprint')}; {bands_text(m)}{overrides_text(m)}")
        else:
            p = provenance_facts(m, lang)
            lines.append(f"- **{name}**{where}：{say('replications', lang)} {p['replications']}，"
                         f"{say('seed', lang)} {p['seed']}，{p['years']}，cgt-sim {p['version']}，"
                         f"{say('fingerprint', lang)} {p['fingerprint']}；{say('bands', lang)}：{p['bands']}；"
                         f"{say('set_values', lang)}：{p['set_values']}")
        about = provenance_facts(res.manifest, lang)["about"]
        if about:
            lines.append(f"  {about}")  # what the scenario file says it is
        if starts:
            lines.append(f"  {say('policies', lang)}: {starts_text(starts)}")
    if table is not None and len(table):
        heads, rows = difference_rows(table, level, lang)
        lines += ["", f"## {say('differences', lang, reference=names[0], level=f'{level:.0%}')}", "",
                  "| " + " | ".join(heads) + " |", "|---" * len(heads) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", f"## {say('headline', lang)}", ""]
    for res, name in zip(results, names):
        h = res.headline()
        years = sorted(h["year"].unique())
        lines += [f"### {name}", "", f"| {say('metric', lang) if lang == 'zh' else 'metric'} | "
                  + " | ".join(str(y) for y in years) + " |", "|---|" + "---|" * len(years)]
        for metric in h["metric"].unique():
            cells = []
            for y in years:
                r = h[(h["metric"] == metric) & (h["year"] == y)].iloc[0]
                cells.append(band_text(r["mean"], r["p5"], r["p95"], lang=lang))
            lines.append(f"| {label(metric, lang)} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += [f"## {say('figures', lang)}", ""]
    for title, name in figures:
        lines += [f"### {title}", "", f"![{title}]({name})", ""]
    report = out / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    return report
