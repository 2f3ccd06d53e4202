"""How numbers, bands and names of results are written in tables, captions and reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def format_number(x) -> str:
    """Short human form: 4.56bn, 1.23M, 45k, 612, 3.4, 0.87, 0; '-' for missing."""
    if x is None or x is pd.NA or (isinstance(x, (float, np.floating)) and np.isnan(x)):
        return "-"
    if x == 0:
        return "0"
    if isinstance(x, (float, np.floating)) and np.isinf(x):
        return "inf" if x > 0 else "-inf"
    # each form from where its rounded text would start (999,999 is 1.00M, not 1000k)
    ax = abs(x)
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


def band_text(mean, low, high, sep: str = "-") -> str:
    """``mean [low-high]`` in short form; just '-' when there is no mean (a year without
    treated patients has no cost per patient, for instance)."""
    text = format_number(mean)
    return text if text == "-" else f"{text} [{format_number(low)}{sep}{format_number(high)}]"


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

    from .outputs import LABELS

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
    table = pd.DataFrame({str(y): {LABELS.get(r.metric, r.metric): band_text(r.mean, r.p5, r.p95)
                                   for r in h[h["year"] == y].itertuples()} for y in sorted(h["year"].unique())})
    table.index.name = "mean [p5-p95]"
    return head + table.to_html(escape=True)
