"""How numbers, bands and names of results are written in tables, captions and reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, (float, np.floating)) and np.isnan(x))


def format_number(x, lang: str = "en") -> str:
    """Short human form: 4.56bn, 1.23M, 45k, 612, 3.4, 0.87, 0; '-' for missing. In Chinese
    (``lang="zh"``) large numbers count in 万 (10^4) and 亿 (10^8): 4.5万, 123万, 1.23亿."""
    if _missing(x):
        return "-"
    if x == 0:
        return "0"
    if isinstance(x, (float, np.floating)) and np.isinf(x):
        return "inf" if x > 0 else "-inf"
    ax = abs(x)
    if lang == "zh" and ax >= 9_999.5:
        return _chinese(x)
    # each form from where its rounded text would start (999,999 is 1.00M, not 1000k)
    if ax >= 999_995_000:
        return f"{x / 1e9:.2f}bn"
    if ax >= 999_500:
        return f"{x / 1e6:.2f}M"
    if ax >= 1e4:
        return f"{x / 1e3:.0f}k"
    if ax >= 99.95:
        return f"{x:.0f}"
    if ax >= 0.995:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _chinese(x: float) -> str:
    """A number of 10,000 or more in 万 or 亿, to three significant digits (whole 万 from
    1,000万 on: 1,234万)."""
    def three(v: float) -> str:
        for digits, below in ((2, 10), (1, 100)):
            if abs(round(v, digits)) < below:
                return f"{v:.{digits}f}"
        return f"{v:,.0f}"

    wan = x / 1e4
    if abs(round(wan)) < 10_000:
        return three(wan) + "万"
    return three(x / 1e8) + "亿"


def signed_number(x, lang: str = "en") -> str:
    """A difference in short form with its sign: +7.1, -0.3, +1.2k (+1.20万); small ones to two
    significant digits (+0.004, not 0.00); 0 without a sign; '-' for missing."""
    if _missing(x):
        return "-"
    if x == 0:
        return "0"
    text = format_number(abs(x), lang) if abs(x) >= 0.995 else f"{abs(x):.2g}"
    return ("+" if x > 0 else "-") + text


def band_text(mean, low, high, sep: str = "-", lang: str = "en") -> str:
    """``mean [low-high]`` in short form; just '-' when there is no mean (a year without
    treated patients has no cost per patient, for instance)."""
    text = format_number(mean, lang)
    if lang == "zh" and sep == "-":
        sep = "～"  # (a Chinese range; a hyphen would read as a minus beside 万)
    return text if text == "-" else f"{text} [{format_number(low, lang)}{sep}{format_number(high, lang)}]"


# Scales of a chart axis of money: (at least, factor, English, Chinese).
_SCALES = {"en": ((1e9, 1e9, "billions"), (1e6, 1e6, "millions"), (1e3, 1e3, "thousands")),
           "zh": ((1e8, 1e8, "亿"), (1e4, 1e4, "万"))}


def axis_scale(largest: float, unit: str, lang: str = "en") -> tuple[float, str]:
    """(factor, axis text) for an axis of ``unit`` (a key of ``outputs.UNITS``) whose values
    reach ``largest`` in size: money is shown in thousands, millions or billions of CNY (万元,
    亿元 in Chinese), other units as they are."""
    from .outputs import unit_name

    name = unit_name(unit, lang)
    if unit == "cny" and np.isfinite(largest):
        for least, factor, word in _SCALES[lang]:
            if largest >= least:
                return factor, (f"{name} ({word})" if lang == "en" else f"{word}{name}")
    return 1.0, name


# The words of charts, tables and the report, (English, Chinese).
WORDS = {
    "year": ("year", "年份"),
    "mean_band": ("mean, 5-95% band", "均值及5%-95%区间"),
    "mean": ("mean", "均值"),
    "band": ("5-95% band", "5%-95%区间"),
    "difference_from": ("difference from", "相对于"),
    "difference_title": ("{metric}: difference from {reference}", "{metric}：与{reference}之差"),
    "paired_difference": ("mean paired difference and its {level} interval", "配对差均值及其{level}置信区间"),
    "no_difference": ("no difference", "无差异"),
    "no_data": ("no data", "无数据"),
    "no_year_value": ("no simulated year has a value (no patient treated yet, for instance)",
                      "模拟期内无数值（例如尚无患者接受治疗）"),
    "policy_from": ("policy from {date}", "政策自{date}起"),
    "outcomes_title": ("Program outcomes by {year}", "截至{year}年的项目结局"),
    "outcomes_each": ("Program outcomes by each run's horizon", "截至各模拟期末的项目结局"),
    "programs_per_replication": ("programs per replication (mean, log scale)", "每次重复的项目数（均值，对数刻度）"),
    "approved": ("approved", "获批"),
    "failed": ("failed\n(science)", "失败\n（科学原因）"),
    "abandoned": ("abandoned\n(money)", "终止\n（资金原因）"),
    "ongoing": ("ongoing\nat horizon", "期末\n仍在进行"),
    "spending_title": ("Who pays for the patients treated (mean)", "治疗费用由谁支付（均值）"),
    "indications_title": ("Patients by indication in {year} (mean)", "{year}年各适应症患者数（均值）"),
    "treated": ("treated", "已治疗"),
    "eligible": ("eligible (came forward)", "适用患者（就诊）"),
    "by_horizon": ("by {year}", "截至{year}年"),
    # reports and tables
    "report_title": ("cgt-sim report: {names}", "cgt-sim 报告：{names}"),
    "results": ("Results and where they come from", "结果及其来源"),
    "headline": ("Headline figures (mean [5-95%])", "主要指标（均值 [5%-95%]）"),
    "differences": ("Differences from {reference} (mean [{level} paired interval])",
                    "与{reference}之差（均值 [{level}配对置信区间]）"),
    "figures": ("Figures", "图表"),
    "no_differences": ("No differences are shown: {why}", "未显示差值：{why}"),
    "metric": ("metric", "指标"),
    "scenario": ("scenario", "情景"),
    "reference": ("reference", "参照"),
    "difference": ("difference [{level} interval]", "差值 [{level}置信区间]"),
    "reading": ("reading", "解读"),
    "level_reference": ("reference", "参照"),
    "level_scenario": ("this scenario", "本情景"),
    "higher": ("higher", "高于参照"),
    "lower": ("lower", "低于参照"),
    "unclear": ("no clear difference", "无明显差异"),
    "unclear_means": ("no clear difference: the interval includes 0", "无明显差异：区间包含0"),
    "same_zero": ("no difference in any pair", "各配对均无差异"),
    "same_every": ("the same difference in every pair", "各配对差值相同"),
    "too_few": ("too few pairs for an interval", "配对数不足，无法给出区间"),
    "folder": ("folder", "文件夹"),
    "replications": ("replications", "重复次数"),
    "seed": ("seed", "随机种子"),
    "years": ("years", "年份范围"),
    "set_values": ("values set with --set", "--set 设定的参数"),
    "policies": ("policy starts", "政策起始"),
    "version": ("cgt-sim version", "cgt-sim 版本"),
    "fingerprint": ("model fingerprint", "模型指纹"),
    "bands": ("bands", "区间含义"),
    "about": ("scenario", "情景说明"),
    "none": ("none", "无"),
    "bands_random": ("the model's randomness only", "仅模型随机性"),
    "bands_uncertain": ("the model's randomness and {n} uncertain parameters", "模型随机性及{n}个不确定参数"),
    "toggle": ("Scenarios shown (click to hide or show one in every chart):",
               "显示的情景（点击可在所有图表中隐藏或显示）："),
    "hover_hint": ("Hover over a chart for its values; click a legend entry to hide or show it.",
                   "将鼠标悬停在图表上查看数值；点击图例可隐藏或显示对应曲线。"),
    "font_note": ("Note: the charts' fonts have no {chars}; these characters show as boxes.",
                  "注意：图表字体缺少{chars}，这些字符将显示为方框。"),
    "interval_note": ("Bands (5-95%) are the spread over replications; the intervals of differences are {level} "
                      "confidence intervals of the mean paired difference, which narrow as replications are added.",
                      "区间（5%-95%）为各次重复结果的分布范围；差值的区间为配对差均值的{level}置信区间，"
                      "随重复次数增加而收窄。"),
}


def say(key: str, lang: str = "en", **fields) -> str:
    """The words ``WORDS[key]`` in ``lang``, with ``fields`` filled in."""
    from .outputs import LANGS

    return WORDS[key][LANGS.index(lang)].format(**fields)


def check_lang(lang) -> str:
    """``lang``, one of ``outputs.LANGS``; an OptionError naming ``lang`` otherwise."""
    from .errors import OptionError
    from .outputs import LANGS

    if lang not in LANGS:
        raise OptionError("lang", f"must be one of {', '.join(LANGS)} (got {lang!r})")
    return lang


def reading(row, lang: str = "en") -> str:
    """What a row of ``cgt_sim.compare``'s table says, in words: higher or lower than the
    reference, no clear difference (the interval includes 0), the same difference in every
    pair (an interval of no width: no spread to judge, not a certainty the replications
    proved), or too few pairs."""
    low, high, mean = (float(row[k]) for k in ("diff_low", "diff_high", "diff_mean"))
    if not (np.isfinite(low) and np.isfinite(high)):
        return say("too_few", lang)
    if low == high:
        return say("same_zero" if bool(row["includes_zero"]) else "same_every", lang)
    if bool(row["includes_zero"]):
        return say("unclear", lang)
    return say("higher" if mean > 0 else "lower", lang)


def difference_text(mean, low, high, lang: str = "en") -> str:
    """``+7.1 [+5.0, +9.2]``: a mean paired difference and its interval, signed."""
    text = signed_number(mean, lang)
    if text == "-" or _missing(low) or _missing(high):
        return text
    return f"{text} [{signed_number(low, lang)}, {signed_number(high, lang)}]"


def difference_rows(table: pd.DataFrame, level: float, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    """The heads and rows of ``cgt_sim.compare``'s table as the command, report.md and
    report.html show it: per scenario, metric and year, the reference's level (the title
    names the reference), the scenario's, the paired difference with its interval, and what
    that says (``reading``); metrics named and numbers written as in the headline table."""
    from .outputs import label

    heads = [say("scenario", lang), say("metric", lang), say("year", lang),
             say("level_reference", lang), say("level_scenario", lang),
             say("difference", lang, level=f"{level:.0%}"), say("reading", lang)]
    rows = []
    for r in table.itertuples(index=False):
        row = r._asdict()
        rows.append([str(row["scenario"]), label(row["metric"], lang), str(row["year"]),
                     format_number(row["baseline_mean"], lang), format_number(row["scenario_mean"], lang),
                     difference_text(row["diff_mean"], row["diff_low"], row["diff_high"], lang), reading(row, lang)])
    return heads, rows


def replications_text(n, kind: str = "") -> str:
    """"1 replication", "2 replications" ("2 paired replications" with kind "paired ")."""
    return f"{n} {kind}replication" + ("" if n == 1 else "s")


def bands_text(manifest: dict) -> str:
    """What a result's 5-95% bands hold: the model's randomness, and the draws of the
    scenario's uncertain parameters when it declares any."""
    n = len((manifest.get("scenario") or {}).get("uncertain") or {})
    ens = (manifest.get("scenario") or {}).get("ensemble")
    if isinstance(ens, dict):
        more = f" and {n} uncertain parameter" + ("s" if n > 1 else "") if n else ""
        return (f"bands: the model's randomness, the parameter sets of {ens.get('members')} members of the "
                f"ensemble {ens.get('file')}{more}")
    if n:
        return f"bands: the model's randomness and {n} uncertain parameter" + ("s" if n > 1 else "")
    return "bands: the model's randomness only (no parameter drawn from an uncertain: block)"


def overrides_text(manifest: dict) -> str:
    """"; with --set key = value, ...": the parameters a run changed beyond its scenario files
    (their origin in the manifest), as ``cgt-sim show`` writes their values; "" for none."""
    import datetime as dt

    from .parameters import CATALOGUE
    from .scenario import value_text
    from .timeline import Schedule

    sc = manifest.get("scenario") or {}
    origin, values = sc.get("origin") or {}, sc.get("parameters") or {}
    start = dt.date(int(manifest.get("start_year") or 2015), 1, 1)
    shown = []
    for key in (k for k, o in origin.items() if o == "--set" and k in CATALOGUE and k in values):
        v = values[key]
        if isinstance(v, dict) and "knots" in v:
            v = Schedule(tuple((dt.date.fromisoformat(d), x) for d, x in v["knots"]))
        elif isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10_000:
            shown.append(f"{key} = {v:,}")  # 6,000,000,000 CNY reads better than 6000000000
            continue
        shown.append(f"{key} = {value_text(key, v, start)}")
    return "; with --set " + "; ".join(shown) if shown else ""


def provenance_facts(manifest: dict, lang: str = "en") -> dict:
    """Where a result comes from, as a report shows it: replications, seed, years, the values
    set with --set, the package version and the model fingerprint, what its bands hold and
    what its scenario file says it is."""
    m = manifest
    scenario = m.get("scenario") if isinstance(m.get("scenario"), dict) else {}
    n = len(scenario.get("uncertain") or {})
    bands = say("bands_uncertain", lang, n=n) if n else say("bands_random", lang)
    return {"replications": str(m.get("replications")), "seed": str(m.get("seed")),
            "years": f"{m.get('start_year')}-{m.get('horizon_year')}",
            "set_values": overrides_text(m).removeprefix("; with --set ") or say("none", lang),
            "version": str(m.get("package_version")), "fingerprint": str(m.get("model_fingerprint")),
            "bands": bands, "about": " ".join(str(scenario.get("description") or "").split())}


def series_labels(names, result_dirs) -> list[str]:
    """A label per result that tells the series apart: its scenario name when no other result
    has that name, else "name (folder)", else "name (path as given)", else numbered."""
    labels = list(names)
    for show in (lambda d: Path(d).resolve().name or str(d), str):
        seen = [labels.count(label) for label in labels]
        labels = [f"{n} ({show(d)})" if k > 1 else label for n, d, label, k in zip(names, result_dirs, labels, seen)]
    return number_repeats(labels)  # the same folder given twice


def number_repeats(labels: list[str]) -> list[str]:
    """``labels`` with each label that still occurs more than once numbered "label #1", "#2"..."""
    twice = {label for label in labels if labels.count(label) > 1}
    counts: dict = {}
    out = []
    for label in labels:
        if label in twice:
            counts[label] = counts.get(label, 0) + 1
            label = f"{label} #{counts[label]}"
        out.append(label)
    return out


def unique_ending(item: str, items, sep: str) -> str:
    """The shortest ending of ``item`` (whole parts separated by ``sep``) that no other of
    ``items`` shares: "ind_review_working_days" among dotted keys, "a/baseline.yaml" among
    paths."""
    parts = item.split(sep)
    for n in range(1, len(parts)):
        end = sep.join(parts[-n:])
        if not any(k != item and (k == end or k.endswith(sep + end)) for k in items):
            return end
    return item




def result_html(res) -> str:
    """A result as a notebook shows it (``ResultSet._repr_html_``): its scenario, replications,
    seed and years, what its bands hold, and the headline table (mean [p5-p95] by year)."""
    import html

    from .outputs import label

    m = res.manifest
    name = (m.get("scenario") or {}).get("name", "?") if isinstance(m.get("scenario"), dict) else "?"
    years = sorted(int(y) for y in res.annual["year"].unique()) if "year" in res.annual else []
    span = f"{years[0]}-{years[-1]}" if years else "no years"
    head = (f"<p><b>ResultSet</b> of scenario <code>{html.escape(str(name))}</code>: "
            f"{replications_text(m.get('replications', '?'))}, seed {html.escape(str(m.get('seed')))}, {span}; "
            f"{html.escape(bands_text(m))}</p>")
    if not years or "replication" not in res.annual:
        return head
    h = res.headline()
    table = pd.DataFrame({str(y): {label(r.metric): band_text(r.mean, r.p5, r.p95)
                                   for r in h[h["year"] == y].itertuples()} for y in sorted(h["year"].unique())})
    table.index.name = "mean [p5-p95]"
    return head + table.to_html(escape=True)
