"""ResultSet: the tidy tables of a run, their summary, and saving/loading them.

``annual``   one row per (replication, year)
``programs`` one row per (replication, program)
``products`` one row per (replication, approved product)

``save`` writes Parquet tables, ``summary.csv`` and ``manifest.json`` into a temporary folder
beside the target and renames it into place, so a failed run never leaves a half-written or
clobbered result.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .paths import user_path

KEYS = ("replication", "year")
PROGRAM_ROWS = ("all", "clinical")  # which rows of the programs table a run keeps
HEADLINE = ("programs_in_clinic", "cumulative_ind_approvals", "cumulative_approvals",
            "patients_treated", "cogs_per_patient_cny", "net_price_per_patient_cny",
            "vein_to_vein_days_median", "manufacturing_utilisation")

# How tables name the headline metrics.
LABELS = {
    "programs_in_clinic": "programs in clinic (IIT, Phase I-III, review)",
    "cumulative_ind_approvals": "cumulative IND approvals",
    "cumulative_approvals": "cumulative marketing approvals",
    "patients_treated": "patients treated (year)",
    "cogs_per_patient_cny": "cost of goods per patient (CNY)",
    "net_price_per_patient_cny": "net price per patient (CNY)",
    "vein_to_vein_days_median": "median vein-to-vein (days)",
    "manufacturing_utilisation": "manufacturing utilisation",
}

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


def reached_clinic(programs: pd.DataFrame) -> pd.Series:
    """Rows of a ``programs`` table for programs that got past preclinical research: to an
    investigator-initiated trial or an IND review (and on), whatever happened to them then."""
    preclinical = ((programs["end_stage"] == "preclinical")
                   | programs["state"].isin(["preclinical", "not_started"])
                   | ((programs["state"] == "stalled") & ~programs["iit_track"] & programs["ind_day"].isna()))
    return ~preclinical


def keep_program_rows(programs: pd.DataFrame, rows: str) -> pd.DataFrame:
    """The rows of ``programs`` a run keeps (``rows``: one of PROGRAM_ROWS)."""
    if rows == "all":
        return programs
    return programs[reached_clinic(programs).to_numpy()].reset_index(drop=True)


# Short names of metrics (columns of ResultSet.annual).
ALIASES = {"approvals": "cumulative_approvals", "ind_approvals": "cumulative_ind_approvals"}


def as_list(value) -> list:
    """The items of ``value`` as a list; one item (text, a number, a path) is a list of one,
    so ``"patients_treated"`` is one metric, not fifteen letters."""
    if isinstance(value, (str, bytes, Path)) or not hasattr(value, "__iter__"):
        return [value]
    return list(value)


def metric_columns(names, known: list[str]) -> list[str]:
    """Columns of ``annual`` for metric names (a name or a list; short names accepted), each
    once; an unknown name is a ScenarioError listing the ``known`` columns."""
    from .scenario import ScenarioError

    out = []
    for name in as_list(names):
        column = ALIASES.get(name, name) if isinstance(name, str) else name
        if column not in known:
            raise ScenarioError("--metric", None, f"unknown metric {name!r}; choose from "
                                + ", ".join(list(ALIASES) + list(known)))
        if column not in out:  # a metric asked twice (or by its short name too) is one metric
            out.append(column)
    return out


@dataclass(repr=False, eq=False)
class ResultSet:
    """The result of ``cgt_sim.run``: ``annual`` (a row per replication and year), ``programs``
    (per replication and program), ``products`` (per replication and approved product),
    ``sampled`` (each replication's draws of the uncertain parameters) and ``manifest`` (the
    resolved scenario, seed, replications, versions, wall time); ``summary()``,
    ``headline()``, ``save(folder)``. Two results are ``==`` when their tables are the same
    (the manifests may differ in wall time, executor and workers)."""

    annual: pd.DataFrame
    programs: pd.DataFrame
    products: pd.DataFrame
    manifest: dict = field(default_factory=dict)
    sampled: pd.DataFrame | None = None

    def __eq__(self, other) -> bool:
        if not isinstance(other, ResultSet):
            return NotImplemented
        return all(_same_table(getattr(self, t), getattr(other, t))
                   for t in ("annual", "programs", "products", "sampled"))

    __hash__ = None

    def __repr__(self) -> str:  # short: the tables and the manifest are long
        m = self.manifest
        name = m.get("scenario", {}).get("name", "?") if isinstance(m.get("scenario"), dict) else "?"
        years = self.annual["year"] if "year" in self.annual else pd.Series(dtype=float)
        span = f"{int(years.min())}-{int(years.max())}" if len(years) else "no years"
        return (f"ResultSet(scenario={name!r}, replications={m.get('replications')}, seed={m.get('seed')}, "
                f"{span}; annual {len(self.annual):,} rows, programs {len(self.programs):,}, "
                f"products {len(self.products):,})")

    @property
    def metrics(self) -> list[str]:
        return [c for c in self.annual.columns if c not in KEYS]

    def summary(self, metrics=None) -> pd.DataFrame:
        """Per metric and year: mean, p5, p50, p95 over replications (NaNs ignored), and n.
        ``metrics``: a name or a list of names (columns of ``annual``, or a short name such as
        ``approvals``); default all."""
        return summarise(self.annual, self.metrics if metrics is None else metric_columns(metrics, self.metrics))

    def headline(self, years=None) -> pd.DataFrame:
        """A small table of the headline metrics at chosen years (a year or a list; default
        2025, 2030, 2035 and the horizon)."""
        all_years = sorted(self.annual["year"].unique())
        if years is None:
            horizon = all_years[-1]
            years = [y for y in (2025, 2030, 2035) if y in all_years and y != horizon] + [horizon]
        years = as_list(years)
        missing = [y for y in years if y not in all_years]
        if missing:
            raise ValueError(f"year {missing[0]!r} is not in the result ({all_years[0]}-{all_years[-1]})")
        s = self.summary(HEADLINE)
        return s[s["year"].isin(years)].reset_index(drop=True)

    def save(self, path) -> Path:
        """Write the result folder atomically (temporary folder, then rename). The manifest's
        replication count is that of the ``annual`` table saved (so a result cut down to some
        replications saves as such); the other tables may not hold replications it lacks."""
        from .scenario import ScenarioError

        path = user_path(path)
        if "replication" not in self.annual.columns or self.annual.empty:
            raise ScenarioError(path, None, "not written: the annual table holds no replication")
        def whole_numbers(name: str, column: str) -> None:  # as load_results reads them
            values = getattr(self, name)[column]
            if not pd.api.types.is_integer_dtype(values) or values.isna().any():
                what = "missing values" if pd.api.types.is_integer_dtype(values) else f"type {values.dtype}"
                raise ScenarioError(path, None, f"not written: the {column} column of {name} has {what}; "
                                    "it must hold whole numbers (an integer type)")

        for name in ("annual", "programs", "products", "sampled"):
            table = getattr(self, name)
            if table is not None and "replication" in table.columns:
                whole_numbers(name, "replication")
        if self.annual.columns.duplicated().any():
            raise ScenarioError(path, None, "not written: the annual table has a column twice: "
                                + ", ".join(map(str, self.annual.columns[self.annual.columns.duplicated()])))
        if "year" not in self.annual.columns:
            raise ScenarioError(path, None, "not written: the annual table has no year column")
        whole_numbers("annual", "year")
        if self.annual.duplicated(list(KEYS)).any():
            raise ScenarioError(path, None, "not written: the annual table holds a replication and year twice")
        reps = set(self.annual["replication"].unique().tolist())
        for name in ("programs", "products", "sampled"):
            table = getattr(self, name)
            if table is None or "replication" not in table.columns or (name == "sampled" and len(table.columns) == 1):
                continue  # (sampled without draws is not saved)
            extra = set(table["replication"].unique().tolist()) - reps
            if extra:
                raise ScenarioError(path, None, f"not written: {name} holds replication {min(extra)}, which annual "
                                    "does not; keep the same replications in every table")
        manifest = {**self.manifest, "replications": len(reps)}
        if self.sampled is not None and len(self.sampled.columns) > 1 and len(
                set(self.sampled["replication"].unique().tolist())) != len(reps):
            raise ScenarioError(path, None, "not written: sampled lacks replications that annual holds; keep the "
                                "same replications in every table")
        with atomic_folder(path, "run") as tmp:
            self.annual.to_parquet(tmp / "annual.parquet", index=False)
            self.programs.to_parquet(tmp / "programs.parquet", index=False)
            self.products.to_parquet(tmp / "products.parquet", index=False)
            if self.sampled is not None and len(self.sampled.columns) > 1:
                self.sampled.to_parquet(tmp / "sampled.parquet", index=False)
            self.summary().to_csv(tmp / "summary.csv", index=False)
            write_manifest(tmp, manifest)
        return path


def summarise(annual: pd.DataFrame, metrics) -> pd.DataFrame:
    """Per metric and year of a (replication, year, metrics...) table: mean, p5, p50, p95 over
    replications (NaNs ignored), and n; metrics in the order given."""
    metrics = list(metrics)
    long = annual.melt(id_vars=list(KEYS), value_vars=metrics, var_name="metric")
    g = long.groupby(["metric", "year"], sort=False)["value"]
    out = pd.DataFrame({
        "mean": g.mean(),
        "p5": g.quantile(0.05),
        "p50": g.quantile(0.50),
        "p95": g.quantile(0.95),
        "n": g.count(),
    }).reset_index()
    order = {m: i for i, m in enumerate(metrics)}
    out["_o"] = out["metric"].map(order)
    return out.sort_values(["_o", "year"]).drop(columns="_o").reset_index(drop=True)


# What cgt-sim writes into a folder of each kind (a sweep adds heatmap_<metric>.png per metric;
# a report's files are named in report.py).
OUTPUT_FILES = {
    "run": ("manifest.json", "summary.csv", "annual.parquet", "programs.parquet", "products.parquet",
            "sampled.parquet"),
    "sweep": ("manifest.json", "sweep.csv", "sweep.parquet"),
    "sensitivity": ("manifest.json", "indices.csv", "samples.parquet", "second_order.csv", "indices.png"),
}


def _written_here(folder: Path, kind: str | None) -> set[str]:
    """The names of what cgt-sim wrote into ``folder``, an earlier output of ``kind``, as its
    manifest tells: heat maps (of a two-parameter grid) and Sobol's second-order indices only
    when it wrote them. A run's sampled.parquet is always its own: load_results would read a
    stale one as the draws."""
    if kind == "report":
        from .report import report_files

        return set(report_files())
    names = set(OUTPUT_FILES.get(kind, ()))
    if kind not in ("sweep", "sensitivity"):
        return names
    manifest = _read_manifest(folder) or {}
    if kind == "sweep":
        grid, metrics = manifest.get("grid") or {}, manifest.get("metrics") or []
        if isinstance(grid, dict) and len(grid) == 2:
            names |= {f"heatmap_{m}.png" for m in metrics if isinstance(m, str)}
    factors = manifest.get("factors")
    if kind == "sensitivity" and (manifest.get("method") != "sobol" or not isinstance(factors, list)
                                  or len(factors) < 2):  # Sobol's second order needs two factors
        names.discard("second_order.csv")
    return names


def _keep_users_files(old: Path, new: Path, moved: list) -> None:
    """Move what cgt-sim did not write in ``old`` (an earlier output) into ``new``, recording
    each move in ``moved`` as (from, to), or (None, folder) for a folder made, to undo them.
    The run's own report folder (``report``, as ``cgt-sim report`` makes it) gives up its
    report files and keeps the rest; every other folder inside is the user's and moves whole
    (a copy of an earlier report kept by hand, say)."""
    kind = earlier_output(old)
    ours = _written_here(old, kind)
    for entry in sorted(old.iterdir()):
        target = new / entry.name
        if entry.name in ours or os.path.lexists(target):  # replaced by the new output
            continue
        if (kind == "run" and entry.name == "report" and entry.is_dir() and not entry.is_symlink()
                and earlier_output(entry) == "report"):
            target.mkdir()
            moved.append((None, target))
            _keep_users_files(entry, target, moved)
            if not any(target.iterdir()):
                target.rmdir()
                moved.remove((None, target))
            continue
        os.replace(entry, target)
        moved.append((entry, target))


WRITTEN: list = []  # outputs this process has put in place (the command line names them after a Ctrl-C)


@contextlib.contextmanager
def sigint_deferred():
    """A Ctrl-C inside the block takes effect when the block ends (raised as KeyboardInterrupt
    then), so that a swap of folders and its cleanup are never cut in two. Only the main thread
    can catch Ctrl-C; elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed: list = []
    previous = signal.signal(signal.SIGINT, lambda *_: pressed.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
    if pressed:
        raise KeyboardInterrupt


@contextlib.contextmanager
def atomic_folder(path, kind: str | None = None, check=None):
    """Yield a new temporary folder beside ``path``; when the block ends without error it
    replaces ``path`` (an earlier result, see ``check_result_folder``) in one rename, otherwise
    it is removed and ``path`` is left as it was. What cgt-sim did not write in the earlier
    result (a user's notes, say, also inside a report folder there) is moved into the new one
    first: only the earlier output's own files are replaced. A ``path`` that is a symbolic
    link is written where it points. A Ctrl-C during the swap takes effect after it.
    ``check(path)``: what may be replaced, when not a result of ``kind``."""
    path = followed(user_path(path))
    made = [p for p in path.parents if not p.exists()]  # folders made for it, deepest first
    if check is None:
        check_result_folder(path, kind)
    else:
        check(path)  # (a report folder's own rule)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for folder in made:  # nothing written: no empty folders left either
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    with sigint_deferred():
        old = None
        moved: list = []
        try:
            if path.exists():
                _keep_users_files(path, tmp, moved)
                old = path.parent / f".{path.name}.old-{uuid.uuid4().hex[:8]}"
                os.replace(path, old)
            os.replace(tmp, path)
        except BaseException:
            if old is not None and old.exists() and not path.exists():
                os.replace(old, path)  # put the previous result back
            for source, target in reversed(moved):  # with what was moved out of it
                if source is None:
                    with contextlib.suppress(OSError):
                        target.rmdir()
                elif os.path.lexists(target) and path.is_dir():
                    os.replace(target, source)
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        WRITTEN.append(path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def replications_text(n, kind: str = "") -> str:
    """"1 replication", "2 replications" ("2 paired replications" with kind "paired ")."""
    return f"{n} {kind}replication" + ("" if n == 1 else "s")


def bands_text(manifest: dict) -> str:
    """What a result's 5-95% bands hold: the model's randomness, and the draws of the
    scenario's uncertain parameters when it declares any."""
    n = len((manifest.get("scenario") or {}).get("uncertain") or {})
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


def _same_table(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return a.equals(b) and list(a.columns) == list(b.columns)


def series_labels(names, result_dirs) -> list[str]:
    """A label per result that tells the series apart: its scenario name when no other result
    has that name, else "name (folder)", else "name (path as given)", else numbered."""
    labels = list(names)
    for show in (lambda d: Path(d).resolve().name or str(d), str):
        seen = [labels.count(label) for label in labels]
        labels = [f"{n} ({show(d)})" if k > 1 else label for n, d, label, k in zip(names, result_dirs, labels, seen)]
    return number_repeats(labels)  # the same folder given twice


def refuse_repeats(folders) -> None:
    """A result folder given twice (by any path to it) is a ScenarioError naming it: comparing
    a result with itself is a slip, not a question."""
    from .scenario import ScenarioError

    seen: dict = {}
    for folder in folders:
        real = user_path(folder).resolve()
        if real in seen:
            also = f" (also as {seen[real]})" if str(seen[real]) != str(folder) else ""
            raise ScenarioError(folder, None, f"is given twice{also}; give each result once")
        seen[real] = folder


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


RESULT_KINDS = ("run", "sweep", "sensitivity")
WRITTEN_BY = "cgt-sim"  # every manifest.json it writes says so
REPORT_TITLE = "# cgt-sim report: "  # the first line of every report.md


def result_kind(manifest) -> str | None:
    """"run", "sweep" or "sensitivity" for a manifest that cgt-sim wrote (earlier versions did
    not mark it, but always recorded the package version and the scenario); None otherwise."""
    if isinstance(manifest, dict) and (manifest.get("written_by") == WRITTEN_BY
                                       or {"package_version", "scenario"} <= manifest.keys()):
        kind = manifest.get("analysis", "run")
        return kind if kind in RESULT_KINDS else None
    return None


def read_json(file: Path) -> dict | None:
    """The JSON object in ``file``, or None when there is none, it is no JSON or no object."""
    try:
        found = json.loads(Path(file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _read_manifest(folder: Path) -> dict | None:
    """The manifest.json of ``folder`` as a dict, or None (see ``read_json``)."""
    return read_json(folder / "manifest.json")


def earlier_run_text(folder) -> str | None:
    """"<scenario>, N replications to YYYY" for the run result in ``folder`` (before a new
    run replaces it), or None when the folder holds none."""
    manifest = _read_manifest(user_path(folder))
    if result_kind(manifest) != "run":
        return None
    name = (manifest.get("scenario") or {}).get("name", "?")
    return f"{name}, {replications_text(manifest.get('replications', 0))} to {manifest.get('horizon_year', '?')}"


def earlier_output(folder: Path) -> str | None:
    """What cgt-sim wrote into ``folder`` before: "run", "sweep" or "sensitivity" (a
    manifest.json that cgt-sim wrote), "report" (a report.md that starts with its title), or
    None. A file of the same name that another program wrote is not taken for one."""
    kind = result_kind(_read_manifest(folder))
    if kind is not None:
        return kind
    try:
        with open(folder / "report.md", encoding="utf-8") as f:
            if f.readline().startswith(REPORT_TITLE):
                return "report"
    except (OSError, ValueError):
        pass
    return None


def check_result_folder(out, kind: str | None = None) -> None:
    """A result may replace an earlier cgt-sim result of the same ``kind`` ("run", "sweep" or
    "sensitivity"; any kind when None) or an empty folder, never anything else, and its folder
    must be one that can be made: raise ScenarioError naming ``out`` otherwise."""
    from .scenario import ScenarioError

    out = followed(user_path(out))
    found = check_replaceable(out, RESULT_KINDS, "a cgt-sim result folder")
    if kind is not None and found is not None and found != kind:
        raise ScenarioError(out, None, f"holds a {found} result, which a {kind} result would replace "
                            "(nothing was written); choose another folder")
    check_writable(out)


def followed(path: Path) -> Path:
    """``path``, or where it points when it is a symbolic link (a result is written there); a
    link that loops is a ScenarioError naming it."""
    if not path.is_symlink():
        return path
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python raises either for a loop, by version
        from .scenario import ScenarioError

        raise ScenarioError(path, None, "is a symbolic link that loops; remove it or choose another place") from None


def check_replaceable(out: Path, kinds, what: str) -> str | None:
    """``out`` is new, an empty folder, or a folder holding an earlier cgt-sim output of one of
    ``kinds`` (``what``; see ``earlier_output``): return that kind (None for a new or empty
    folder); raise ScenarioError naming ``out`` otherwise."""
    from .scenario import ScenarioError, path_exists

    if not path_exists(out):
        return None
    here = Path.cwd().resolve()
    if out.resolve() == here or out.resolve() in here.parents:
        raise ScenarioError(out, None, "is the current folder or holds it, which cannot be replaced "
                            "(nothing was written); give a folder inside it")
    if out.is_dir():
        found = earlier_output(out)
        if found in kinds:
            return found
        if not any(out.iterdir()):
            return None
    raise ScenarioError(out, None, f"exists and is not {what} (nothing was written); choose another folder")


def check_replaceable_file(path, written: Callable[[str], bool], what: str) -> str | None:
    """``path`` (a file to be written) is new or holds ``what``, as ``written(text)`` tells from
    its text: return that text (None when there is no file); raise ScenarioError naming
    ``path`` otherwise (a folder, an unreadable file or another file: a scenario, say)."""
    from .scenario import ScenarioError, path_exists

    path = user_path(path)
    if not path_exists(path):
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = None
    if text is None or not written(text):
        raise ScenarioError(path, None, f"exists and is not {what} (nothing was written); choose another --out")
    return text


def check_writable(path) -> None:
    """``path`` (a file or folder to be written later) can be made: its parent folder is made if
    need be, and a probe folder is made in it and removed. Raise ScenarioError naming ``path``
    and the reason otherwise (before any work, not after it)."""
    from .scenario import ScenarioError

    path = user_path(path)
    above = path.absolute().parent
    while not above.exists() and above != above.parent:
        above = above.parent
    if not above.is_dir():
        raise ScenarioError(path, None, f"cannot be written: {above} is a file, not a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = path.parent / f".{path.name}.probe-{uuid.uuid4().hex[:8]}"
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise ScenarioError(path, None, f"cannot be written ({exc.strerror or exc}); choose another place") from None


def write_manifest(folder: Path, manifest: dict) -> None:
    """Write ``manifest`` as manifest.json, marked as cgt-sim's (see ``earlier_output``)."""
    marked = {"written_by": WRITTEN_BY, **manifest}
    (Path(folder) / "manifest.json").write_text(json.dumps(marked, indent=2, default=_json))


def _json(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    return str(o)


def load_results(path) -> ResultSet:
    """Load a result folder written by ``ResultSet.save`` (``cgt-sim run``).

    A folder without manifest.json raises FileNotFoundError; one with an unreadable manifest,
    the result of another analysis (``cgt-sim sweep`` or ``sensitivity``) or missing tables
    raises ScenarioError, whose message names the folder and says what it is."""
    from .scenario import ScenarioError

    path = user_path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such folder")
    if not (path / "manifest.json").exists():
        raise FileNotFoundError(f"{path}: not a cgt-sim result folder (no manifest.json)")
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ScenarioError(path, None, f"manifest.json is unreadable ({exc}): not a usable cgt-sim result; "
                            "write it again with `cgt-sim run`") from None
    if not isinstance(manifest, dict):
        raise ScenarioError(path, None, "manifest.json is not a cgt-sim manifest (not a JSON object); "
                            "write the result again with `cgt-sim run`")
    analysis = manifest.get("analysis")
    if analysis is not None:
        raise ScenarioError(path, None, f"is a {analysis} result, not a run result; load_results and "
                            "`cgt-sim report` read folders written by `cgt-sim run`")
    again = "write it again with `cgt-sim run` or ResultSet.save"
    if result_kind(manifest) != "run":
        raise ScenarioError(path, None, "has a manifest.json that cgt-sim did not write: not a cgt-sim result "
                            "folder")
    manifest.pop("written_by", None)
    missing = [t for t in ("annual", "programs", "products") if not (path / f"{t}.parquet").is_file()]
    if missing:
        raise ScenarioError(path, None, f"has a manifest.json but no {', '.join(f'{t}.parquet' for t in missing)}: "
                            f"not a complete run result; {again}")
    tables = {name: read_table(path / f"{name}.parquet", again) for name in ("annual", "programs", "products")}
    if (path / "sampled.parquet").exists():
        tables["sampled"] = read_table(path / "sampled.parquet", again)
    keys = {"annual": KEYS, "programs": ("replication", "program_id"), "products": ("replication", "program_id"),
            "sampled": ("replication",)}
    for name, df in tables.items():
        lacking = [c for c in keys[name] if c not in df.columns]
        if lacking:
            raise ScenarioError(path / f"{name}.parquet", None, f"has no {' or '.join(lacking)} column: not a "
                                f"cgt-sim {name} table; {again}")
        wrong = [c for c in keys[name] if not pd.api.types.is_integer_dtype(df[c])]
        if wrong:
            raise ScenarioError(path / f"{name}.parquet", None, f"its {wrong[0]} column holds {df[wrong[0]].dtype}, "
                                f"not whole numbers: not a cgt-sim {name} table; {again}")
    annual = tables["annual"]
    if annual.empty:
        raise ScenarioError(path / "annual.parquet", None, f"has no rows: not a finished run; {again}")
    reps = annual["replication"].nunique()
    stated = manifest.get("replications")
    if isinstance(stated, bool) or not isinstance(stated, int) or stated != reps:
        raise ScenarioError(path / "manifest.json", None, f"says {stated!r} replications where annual.parquet "
                            f"holds {reps}: the result is damaged; {again}")
    scenario = manifest.get("scenario")
    uncertain = scenario.get("uncertain") if isinstance(scenario, dict) else None
    if uncertain and ("sampled" not in tables or tables["sampled"]["replication"].nunique() != reps):
        raise ScenarioError(path, None, f"declares {len(uncertain)} uncertain parameters but sampled.parquet does not "
                            f"hold the draws of its {reps} replications; {again}")
    if "sampled" not in tables:  # nothing was uncertain: the replications alone, as the run returned them
        tables["sampled"] = pd.DataFrame({"replication": np.sort(annual["replication"].unique())})
    return ResultSet(annual, with_categories("programs", tables["programs"]),
                     with_categories("products", tables["products"]), manifest, tables["sampled"])


def read_table(file: Path, advice: str) -> pd.DataFrame:
    """A Parquet table; a damaged file is a ScenarioError naming it, with ``advice``."""
    from .scenario import ScenarioError

    try:
        return pd.read_parquet(file)
    except Exception as exc:  # pyarrow raises its own errors for a damaged file
        reason = str(exc).splitlines()[0] if str(exc) else ""
        if len(reason) > 120:  # pyarrow's messages can run on: cut at a word
            reason = reason[:120].rsplit(" ", 1)[0] + " ..."
        raise ScenarioError(file, None, f"cannot be read ({type(exc).__name__}: {reason}); {advice}") from None


def with_categories(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (a ``programs`` or ``products`` table read back from Parquet) with the fixed
    categories of its categorical columns: Parquet keeps none for an empty column, and tables
    with unequal categories do not concatenate as categorical."""
    from .model.world import CATEGORIES

    fix = {c: pd.CategoricalDtype(list(cats)) for c, cats in CATEGORIES.get(table, {}).items()
           if c in df.columns}
    fix = {c: t for c, t in fix.items() if isinstance(df[c].dtype, pd.CategoricalDtype) and df[c].dtype != t}
    return df.astype(fix) if fix else df
