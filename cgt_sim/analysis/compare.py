"""Paired comparison of scenarios under common random numbers.

Every scenario runs with the same root seed, so replication r of each scenario draws the same
random streams (and each program the same science). The effect of a scenario on a metric is
then estimated replication by replication, d_r = x_r(scenario) - x_r(first scenario), with a
t-interval on the mean of d_r. The unpaired interval (as if the runs were independent) is given
beside it, to show how much the pairing buys.
"""

from __future__ import annotations

import math
import numbers
from pathlib import Path

import pandas as pd

from ..errors import OptionError, ScenarioError, quoted
from ..executors import default_workers, kept_open
from ..paths import path_exists, user_path
from ..progress import shows_progress
from ..provenance import other_model
from ..results import ResultSet, load_results, metric_columns, not_a_result, refuse_repeats
from ..runner import resolve, run
from ..scenario import Scenario, check_run_counts, whole_number
from ..stats import interval, unpaired_interval
from ..storage import check_replaceable_file
from ..text import number_repeats, replications_text, series_labels, unique_ending
from ..timeline import Schedule
from .points import asked, check_years

DEFAULT_METRICS = ("cumulative_approvals", "cumulative_ind_approvals", "patients_treated",
                   "cogs_per_patient_cny", "net_price_per_patient_cny", "vein_to_vein_days_median")


COLUMNS = ("scenario", "baseline", "metric", "year")  # the first columns of the table


def check_compare_target(path) -> None:
    """The table may replace an earlier compare table, never another file (a scenario, say):
    raise ScenarioError naming ``path`` otherwise."""
    header = ",".join(COLUMNS) + ","
    check_replaceable_file(path, lambda text: text.startswith(header), "a table written by cgt-sim compare")


def scenario_labels(scenarios: list[Scenario]) -> list[str]:
    """A label per scenario that tells the rows apart: its name when no other scenario has that
    name, else "name (file)" when their files differ (as much of the path as tells them apart),
    else the name with the parameters in which they differ
    ("baseline (regulatory.ind_review_working_days=30)"), else numbered."""
    labels = [sc.name for sc in scenarios]

    def shared():
        return {label for label in labels if labels.count(label) > 1}

    twice = shared()
    files = {label: {_file(sc) for sc, lab in zip(scenarios, labels) if lab == label and sc.path}
             for label in twice}
    labels = [f"{label} ({unique_ending(_file(sc), files[label], '/')})"
              if label in twice and len(files[label]) > 1 and sc.path else label
              for sc, label in zip(scenarios, labels)]
    twice = shared()
    for label in twice:
        group = [sc for sc, lab in zip(scenarios, labels) if lab == label]
        keys = sorted({k for sc in group for k in sc.values}, key=str)
        differ = [k for k in keys if any(sc.values.get(k) != group[0].values.get(k) for sc in group)]
        if differ:
            labels = [f"{lab} ({_differences(sc, differ)})" if lab == label else lab
                      for sc, lab in zip(scenarios, labels)]
    return number_repeats(labels)


def _file(sc: Scenario) -> str:
    return Path(sc.path).resolve().as_posix()


def _differences(sc: Scenario, keys: list[str], most: int = 3) -> str:
    def text(key):
        v = sc.value(key) if key in sc.values else None
        if isinstance(v, Schedule):  # its last change: "30.0 from 2025-04-01"
            start, end = v.last_change()
            v = f"{v.values()[-1]} from {start}" if end is None else f"{v.values()[-1]} by {end}"
        return f"{key}={v}"
    shown = ", ".join(text(k) for k in keys[:most])
    return shown + (f", +{len(keys) - most} more" if len(keys) > most else "")


def paired_differences(results: list[ResultSet], metrics=DEFAULT_METRICS, years=None,
                       level: float = 0.90, names: list[str] | None = None) -> pd.DataFrame:
    """Differences of each result from the first, per metric and year, paired by replication:
    on the replications both have and in which both have a value (cost per patient before any
    patient has none), the means and both intervals alike; ``n`` counts them. ``names``: a
    label per result (default the scenario names of their manifests)."""
    if len(results) < 2:
        raise ValueError("compare needs at least two scenarios")
    base = results[0]
    if names is None:
        names = [r.manifest.get("scenario", {}).get("name", f"scenario_{i}") for i, r in enumerate(results)]
    rows = []
    for res, name in zip(results[1:], names[1:]):
        for metric in metrics:
            a = base.annual.pivot(index="replication", columns="year", values=metric)
            b = res.annual.pivot(index="replication", columns="year", values=metric)
            a, b = a.align(b, join="inner", axis=0)  # the replications both have
            for year in years:
                both = a[year].notna() & b[year].notna()  # and a value in both: every column on the pairs
                x0, x1 = a[year][both].to_numpy(dtype=float), b[year][both].to_numpy(dtype=float)
                row = {"scenario": name, "baseline": names[0], "metric": metric, "year": int(year),
                       "baseline_mean": float(x0.mean()) if x0.size else math.nan,
                       "scenario_mean": float(x1.mean()) if x1.size else math.nan, "n": int(x0.size)}
                row.update(interval(x1 - x0, level, "diff"))
                row.update(unpaired_interval(x1, x0, level))
                row["includes_zero"] = includes_zero(row)
                rows.append(row)
    out = pd.DataFrame(rows)
    if len(out):
        out["includes_zero"] = out["includes_zero"].astype("boolean")
    return out


def includes_zero(row: dict):
    """Whether the paired interval of ``row`` includes zero; NA when it is undefined (fewer
    than two pairs). Differences within rounding of the levels (1e-9 of the larger mean) count
    as zero: two runs that differ only in the last bits of a sum have no difference, and an
    interval of no width there is not one that excludes zero."""
    low, high = row["diff_low"], row["diff_high"]
    if math.isnan(low) or math.isnan(high):
        return pd.NA
    scale = max(abs(row["baseline_mean"]), abs(row["scenario_mean"]))
    rounding = 1e-9 * scale if math.isfinite(scale) else 0.0
    return bool(low - rounding <= 0.0 <= high + rounding)


def check_level(level) -> None:
    """The level of the intervals: a number strictly between 0 and 1."""
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0.0 < level < 1.0:
        raise OptionError("level", f"must be a number between 0 and 1 (got {quoted(level)})")


def prepare(scenarios, until: int | None = None, years=None, metrics=None,
            overrides: dict | None = None, level: float = 0.90, ensemble=None):
    """Resolve and check every input of a comparison before anything runs.

    Returns (scenarios, years, metrics); raises ScenarioError naming what is wrong."""
    check_level(level)
    if isinstance(scenarios, (str, Path, Scenario)) or not hasattr(scenarios, "__iter__"):
        raise ScenarioError("compare", None, "give a list of at least two scenarios (the first is the reference)")
    if ensemble is not None:
        from ..ensemble import load_ensemble

        ensemble = load_ensemble(ensemble)  # read once for every scenario
    scs = [resolve(s, overrides, until, ensemble) for s in scenarios]
    if len(scs) < 2:
        raise ScenarioError("compare", None, "give at least two scenario files (the first is the reference)")
    start, horizon = scs[0].start_year, scs[0].horizon_year
    for sc in scs[1:]:
        if (sc.start_year, sc.horizon_year) != (start, horizon):
            raise ScenarioError(sc.path, "simulation.horizon_year",
                                f"all scenarios must cover the same years ({start}-{horizon}); "
                                f"got {sc.start_year}-{sc.horizon_year}")
    years = check_years(years, start, horizon)
    metrics = metric_columns(asked(metrics, "metrics", DEFAULT_METRICS))
    return scs, years, metrics


@shows_progress("scenario", "replications", "progress(scenario_index, done, total)")
def compare(scenarios, replications: int = 50, seed: int = 42, workers: int | None = None,
            until: int | None = None, years=None, metrics=None, level: float = 0.90,
            overrides: dict | None = None, progress=None, executor: str = "process",
            scheduler: str | None = None, allow_other_model: bool = False, ensemble=None) -> pd.DataFrame:
    """Run scenarios with common random numbers; return paired differences from the first.

    ``scenarios``: a list of paths or Scenario objects (the first is the reference), each run
    with ``replications`` (at least 2) replications from root ``seed``, with ``overrides`` and
    to ``until``; or a list of saved results (``ResultSet``s, e.g. from ``load_results``, or
    their folders), compared without running anything (see ``compare_results``). ``years``: a
    year or a list (default 2030, 2035 and the horizon).
    ``metrics``: a name or a list of ``ResultSet.annual`` columns or short names (default the
    headline metrics). ``level``: of the intervals (default 0.90). ``progress``: True for a bar
    per scenario, or a callable(scenario_index, done, total). ``executor``, ``scheduler``: as for ``run``.
    ``allow_other_model``: saved results made by other model code (see ``provenance``) are
    compared all the same (refused otherwise).
    ``ensemble``: an ensemble file, as for ``run``: replication r of every scenario takes the
    same member (and the same random streams), so the pairs share their parameters too.

    Returns one row per other scenario, metric and year: scenario, baseline (their labels, see
    ``scenario_labels``), metric, year,
    baseline_mean, scenario_mean, n (paired replications), diff_mean, diff_low, diff_high (the
    paired t-interval), unpaired_low, unpaired_high (Welch, as if the runs were independent)
    and includes_zero (NA when the interval is undefined).
    """
    if not isinstance(scenarios, (str, Path, Scenario, ResultSet, dict)) and hasattr(scenarios, "__iter__"):
        scenarios = list(scenarios)  # a generator or any other iterable, read once
    saved = saved_results(scenarios)
    if saved is not None:
        refuse_run_options({"replications": replications != 50, "seed": seed != 42, "workers": workers is not None,
                            "until": until is not None, "overrides": overrides is not None,
                            "progress": progress is not None, "executor": executor != "process",
                            "scheduler": scheduler is not None, "ensemble": ensemble is not None})
        return compare_results(saved[0], years, metrics, level, names=saved[1], allow_other_model=allow_other_model)
    if allow_other_model:
        raise OptionError("allow_other_model", "applies to saved results; scenarios run now all run with this code")
    replications = whole_number(replications, "replications", 2)  # an interval needs two pairs
    scs, years, metrics = prepare(scenarios, until, years, metrics, overrides, level, ensemble)
    results = run_all(scs, replications, seed, workers, progress, executor, scheduler)
    return paired_differences(results, metrics, years, level, scenario_labels(scs))


def run_all(scs: list[Scenario], replications: int, seed: int, workers: int | None = None, progress=None,
            executor: str = "process", scheduler: str | None = None) -> list[ResultSet]:
    """Run each of ``scs`` (resolved scenarios, see ``prepare``) from root ``seed``, in one
    pool of worker processes; ``progress(scenario_index, done, total)``."""
    check_run_counts(replications, seed, workers)
    results = []
    with kept_open(default_workers(replications, workers) if executor == "process" else 1):  # one pool for all
        for i, sc in enumerate(scs):
            cb = (lambda done, total, i=i: progress(i, done, total)) if progress else None
            results.append(run(sc, replications=replications, seed=seed, workers=workers, progress=cb,
                               executor=executor, scheduler=scheduler))
    return results


def saved_results(items) -> tuple[list[ResultSet], list[str]] | None:
    """The saved results a comparison is given, and a label per result: ``items`` holds
    ``ResultSet``s or result folders (None when it holds neither: scenarios to run). Labels are
    the scenario names, told apart by folder where they repeat (see ``series_labels``). A
    missing path, a file or a scenario among them is a ScenarioError naming it."""
    if not isinstance(items, (list, tuple)) or not any(
            isinstance(x, ResultSet) or (isinstance(x, (str, Path)) and user_path(x).is_dir()) for x in items):
        return None
    results, where = [], []
    for i, x in enumerate(items):
        if isinstance(x, ResultSet):
            results.append(x)
            where.append(None)
            continue
        if not isinstance(x, (str, Path)):
            raise ScenarioError("compare", None, f"item {i} is a {type(x).__name__}, among saved results; give "
                                "result folders or ResultSets, or scenarios, not both")
        path = user_path(x)
        if not path_exists(path):
            from ..library import library_scenario

            if library_scenario(x) is not None:  # compare results/baseline payment_reform
                raise ScenarioError(x, None, "is a scenario of the library, not a result folder; give result "
                                    "folders, or scenarios, not both (run it into a folder first)")
            raise ScenarioError(x, None, "not found")
        if not path.is_dir():
            raise ScenarioError(x, None, "is a file, not a result folder; give result folders, or scenario files, "
                                "not both")
        try:
            results.append(load_results(path))  # a sweep or sensitivity folder is refused here
        except FileNotFoundError:
            raise ScenarioError(x, None, not_a_result(path)) from None
        where.append(str(x))
    refuse_repeats([w for w in where if w is not None])
    names = [r.manifest.get("scenario", {}).get("name", f"result_{i}") for i, r in enumerate(results)]
    if None in where:  # a ResultSet has no folder to tell it apart by
        return results, number_repeats(names)
    return results, series_labels(names, where)


def _ensemble_of(manifest: dict) -> tuple | None:
    """(file, fingerprint) of the ensemble a result was run over (None without one)."""
    e = (manifest.get("scenario") or {}).get("ensemble")
    return None if not isinstance(e, dict) else (e.get("file"), e.get("sha256"))


def shared_replications(results: list[ResultSet]) -> list[int]:
    """How many replications each result after the first shares with the first (the pairs)."""
    first = set(results[0].annual["replication"].unique().tolist())
    return [len(first & set(r.annual["replication"].unique().tolist())) for r in results[1:]]


def pairs_text(counts: list[int], lang: str = "en") -> str:
    """"6 paired replications", or "3-6 paired replications" when the results pair unequally."""
    low, high = min(counts, default=0), max(counts, default=0)
    if lang == "zh":
        return f"{high}次配对重复" if low == high else f"{low}-{high}次配对重复"
    return replications_text(high, "paired ") if low == high else f"{low}-{high} paired replications"


def refuse_run_options(given: dict) -> None:
    """Saved results are compared as they were run: a ScenarioError names the first option
    that only shapes runs and was given (``given``: option name -> whether it was)."""
    for name, changed in given.items():
        if changed:
            raise OptionError(name, "applies to scenarios to run; results are compared as they were run")


def compare_results(results: list, years=None, metrics=None, level: float = 0.90,
                    names: list[str] | None = None, allow_other_model: bool = False) -> pd.DataFrame:
    """Paired differences of saved results from the first (``ResultSet``s, e.g. from
    ``load_results``), as ``compare`` gives for scenarios, without running anything. The
    results must come from the same root seed (so replication r of each drew the same random
    numbers) and cover the same years; each is compared with the first on the replications
    both have (``n`` counts the pairs; both means are over them). ``names``: a label per result (default their
    scenario names, numbered where they repeat). Results made by other model code than the
    first's (their manifests' ``model_fingerprint``) are refused unless ``allow_other_model``:
    their differences would mix a change of the model with the scenarios'."""
    check_level(level)
    results = list(results)
    if len(results) < 2 or not all(isinstance(r, ResultSet) for r in results):
        raise ScenarioError("compare", None, "give a list of at least two results (the first is the reference)")
    if names is None:
        names = number_repeats([r.manifest.get("scenario", {}).get("name", f"result_{i}")
                                for i, r in enumerate(results)])
    first = results[0].manifest
    for name, res in zip(names, results):
        if res.manifest.get("replications", 0) < 2:
            raise ScenarioError("compare", None, f"{name} has {replications_text(res.manifest.get('replications', 0))}"
                                "; an interval needs at least 2")
    for name, res in zip(names, results):
        if {"replication", "year"} <= set(res.annual.columns) and res.annual.duplicated(["replication", "year"]).any():
            raise ScenarioError("compare", None, f"{name} holds a replication and year twice in its annual table")
    for name, shared in zip(names[1:], shared_replications(results)):
        if shared < 2:
            raise ScenarioError("compare", None, f"{name} and {names[0]} share {replications_text(shared)} "
                                "(replication r of each is paired with r of the other); an interval needs at least 2")
    for name, res in zip(names[1:], results[1:]):
        m = res.manifest
        if m.get("seed") != first.get("seed"):
            raise ScenarioError("compare", None, f"{name} was run from seed {m.get('seed')} and {names[0]} from "
                                f"seed {first.get('seed')}: their replications are not paired; run them from one seed")
        other = other_model(m.get("model_fingerprint"), first.get("model_fingerprint"))
        if other and not allow_other_model:
            raise ScenarioError("compare", None, f"{name} {other.replace('not ', 'where ' + names[0] + ' has ')}: "
                                "the differences would mix a change of the model with the scenarios'; run them again "
                                "with one cgt-sim, or use `allow_other_model`")
        if (_ensemble_of(m) or (None, None))[1] != (_ensemble_of(first) or (None, None))[1]:
            def over(x):
                return "without an ensemble" if x is None else f"over the ensemble {x[0]}"
            raise ScenarioError("compare", None, f"{name} was run {over(_ensemble_of(m))} and {names[0]} "
                                f"{over(_ensemble_of(first))}: replication r of each did not take the same parameter "
                                "set; run them over one ensemble (or none)")
        if (m.get("start_year"), m.get("horizon_year")) != (first.get("start_year"), first.get("horizon_year")):
            raise ScenarioError("compare", None, f"all results must cover the same years: {names[0]} covers "
                                f"{first.get('start_year')}-{first.get('horizon_year')}, {name} "
                                f"{m.get('start_year')}-{m.get('horizon_year')}")
    years = check_years(years, int(first["start_year"]), int(first["horizon_year"]))
    known = [c for c in results[0].annual.columns  # the columns every result has
             if c not in ("replication", "year") and all(c in r.annual.columns for r in results)]
    metrics = metric_columns(asked(metrics, "metrics", DEFAULT_METRICS), known)
    return paired_differences(results, metrics, years, level, names)
