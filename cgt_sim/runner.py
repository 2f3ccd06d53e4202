"""Replications: seeds, execution, checkpoints, precision, assembly into a ResultSet.

Each replication depends only on (scenario, root seed, replication index), so results are the
same whatever the executor (this process, worker processes, a Dask cluster) and the number of
workers; replications are sent out in chunks to keep scheduling overhead small (see
``executors``). With a result folder, finished replications are written as they come (see
``checkpoint``) and a resumed run computes only the missing ones. With a precision target,
replications are added in batches until the 95% confidence interval of a metric's mean is
narrow enough; the result is the same as a fixed-count run with that many replications.
"""

from __future__ import annotations

import math
import numbers
import os
import time
import warnings
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .checkpoint import Checkpoint, identity
from .errors import OptionError, ResultError, ScenarioError, SystemRefused, quoted
from .executors import check_executor, chunk_size, default_workers, open_executor
from .outputs import ALIASES, annual_columns
from .paths import user_path
from .progress import shows_progress
from .provenance import made_by
from .results import PROGRAM_ROWS, TABLES, ResultSet, keep_program_rows, load_results, metric_columns
from .scenario import (
    AfterHorizonWarning,
    Scenario,
    after_horizon_notes,
    check_run_counts,
    check_values,
    load_scenario,
)
from .storage import held, longer_run_text, release_memory, sigint_deferred
from .text import replications_text

FIRST_BATCH = 10  # replications before the first precision check
LEVEL = 0.95  # confidence level of the precision target


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run. ``finished`` replications were done; those of a run with a result
    folder are kept in ``partial`` for ``resume``."""

    def __init__(self, finished: int, total: int, partial: Path | None):
        self.finished, self.total, self.partial = finished, total, partial
        kept = f" and kept in {partial}" if partial is not None else ""
        super().__init__(f"{finished} of {total} replications finished{kept}")

    def __reduce__(self):
        return type(self), (self.finished, self.total, self.partial)


def resolve(scenario, overrides: dict | None = None, until: int | None = None, ensemble=None) -> Scenario:
    """A Scenario from a Scenario or a path, with overrides, an optional horizon year and an
    optional ensemble (an ``Ensemble`` or the path of an ensemble file, see ``ensemble.attach``)."""
    if not isinstance(scenario, (Scenario, str, os.PathLike)):
        raise ScenarioError("scenario", None, "must be the path of a scenario file or a Scenario "
                            f"(cgt_sim.load_scenario), not a {type(scenario).__name__}")
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(Path(scenario))
    if overrides:
        sc = sc.with_overrides(overrides)
    if until is not None:
        if isinstance(until, bool) or not isinstance(until, numbers.Integral):
            raise OptionError("until", f"must be a year such as 2035 (got {quoted(until)})")
        until = int(until)
        if until < sc.start_year:
            raise OptionError("until", f"must not be before the start year "
                                f"{sc.start_year} (got {until})")
        sc = sc.with_overrides({"simulation.horizon_year": until}, label="--until")
    if ensemble is not None:
        from .ensemble import attach

        sc = attach(sc, ensemble)
    check_values(sc)
    return sc


# --------------------------------------------------------------------------- precision target

@dataclass(frozen=True)
class Precision:
    """Run until the 95% half-width of ``metric``'s mean in ``year`` is within ``relative`` of the mean."""

    relative: float
    metric: str
    year: int

    def evaluate(self, values: np.ndarray) -> dict:
        from .stats import half_width

        x = values[~np.isnan(values)]
        mean = float(x.mean()) if x.size else math.nan
        half = half_width(x, LEVEL)
        undefined = None  # why a relative precision cannot be judged
        if not x.size:
            undefined = "no replication has a value of it that year"
        elif mean == 0.0 and half == 0.0:
            undefined = "it is 0 in every replication, and a precision relative to a mean of 0 is undefined"
        if math.isnan(half) or mean == 0.0:
            rel = math.inf
        else:
            rel = half / abs(mean)
        return {"metric": self.metric, "year": self.year, "target": self.relative, "level": LEVEL,
                "mean": mean, "half_width": half, "relative_half_width": rel, "reached": rel <= self.relative,
                "undefined": undefined}

    def next_total(self, n: int, stat: dict, cap: int) -> int:
        """Replications for the next check: enough if the spread stays as it is (half-width falls
        as 1/sqrt(n)) plus 10%, growing by at least 10 and at most 4-fold, within the cap."""
        rel = stat["relative_half_width"]
        needed = math.ceil(1.1 * n * (rel / self.relative) ** 2) if math.isfinite(rel) else 4 * n
        return min(cap, max(n + FIRST_BATCH, min(needed, 4 * n)))


def check_precision(sc: Scenario, replications: int, precision, metric, precision_year) -> Precision | None:
    """The precision target, or None; raises ScenarioError naming the bad option."""
    if precision is None:
        for name, value in (("metric", metric), ("precision_year", precision_year)):
            if value is not None:
                raise OptionError(name, "only used with `precision`")
        return None
    if isinstance(precision, bool) or not isinstance(precision, numbers.Real) or not 0.0 < precision < 1.0:
        raise OptionError("precision", "must be a relative half-width between 0 and 1, "
                            f"e.g. 0.05 for 5% of the mean (got {quoted(precision)})")

    if metric is None:
        raise OptionError("precision", "needs `metric`, one of "
                            + ", ".join(list(ALIASES) + annual_columns()))
    metric = metric_columns([metric])[0]
    year = sc.horizon_year if precision_year is None else precision_year
    if isinstance(year, bool) or not isinstance(year, numbers.Integral) or not sc.start_year <= year <= sc.horizon_year:
        raise OptionError("precision_year", f"must be a simulated year, {sc.start_year}-"
                            f"{sc.horizon_year} (got {quoted(year)})")
    if replications < 2:
        raise OptionError("replications", f"is the most `precision` may run; must be >= 2 "
                            f"(got {replications})")
    return Precision(float(precision), metric, int(year))


def check(sc: Scenario, replications: int, seed: int, executor: str = "process", scheduler: str | None = None,
          out=None, resume: bool = False, precision=None, metric=None, precision_year=None,
          programs: str = "all", allow_other_model: bool = False, replace: bool = False) -> Precision | None:
    """Check every option of a run before anything runs or is written; raise ScenarioError
    naming the first bad one. Returns the precision target (None without one)."""
    check_executor(executor, scheduler)
    if programs not in PROGRAM_ROWS:
        raise OptionError("programs", f"unknown choice {quoted(programs)}; choose " + ", ".join(PROGRAM_ROWS))
    if allow_other_model and not resume:  # a run without resume takes over nothing
        raise OptionError("allow_other_model", "only used with `resume` (to take over replications made by other "
                          "model code)")
    goal = check_precision(sc, replications, precision, metric, precision_year)
    if out is not None:
        Checkpoint(out, allow_other_model).check(identity(sc, seed, programs), resume,
                                                 replications if goal is None else None)
        if not resume and not replace:
            check_not_shorter(out, replications, sc.horizon_year)
    elif resume:
        raise OptionError("resume", "needs the result folder to complete (out=...)")
    return goal


def check_not_shorter(out, replications: int, horizon_year: int) -> None:
    """A quick run never replaces a longer one unasked: a result in ``out`` with more
    replications or a longer horizon than this run's is a ResultError naming ``out``, which
    says so and how to keep it (``replace``, or another folder)."""
    lost = longer_run_text(out, replications, horizon_year)
    if lost is not None:
        out = user_path(out)
        beside = out.with_name(f"{out.name}_r{replications}_{horizon_year}")
        raise ResultError(out, None, f"{lost}; nothing was run. Add `replace` to replace it, or give another "
                          f"`out` (such as {beside})")


# --------------------------------------------------------------------------- finished replications

_TEXT = pd.Series(["x"]).dtype  # the dtype pandas gives a column of text


def tables(results: list[dict]) -> dict:
    """DataFrames of finished replications (in order). Text columns always get the text dtype,
    also when empty, so tables built from any grouping of replications concatenate alike.
    Built column by column, one copy of each column and a block per column (see ``join``)."""
    def column(v):
        return pd.Series(v, dtype=_TEXT) if isinstance(v, list) else pd.Series(v, copy=False)

    out = {name: pd.DataFrame({k: _concat([column(r[name][k]) for r in results]) for k in results[0][name]},
                              copy=False)
           for name in ("annual", "programs", "products")}
    out["sampled"] = pd.DataFrame([{"replication": int(r["annual"]["replication"][0]), **r["sampled"]}
                                   for r in results]).astype({"replication": np.int32})
    return out


def _concat(pieces: list[pd.Series]) -> pd.Series:
    """Series of one column concatenated (their arrays directly when all have one dtype, which
    skips pandas' per-Series work: a long run joins thousands)."""
    if len(pieces) == 1:
        return pieces[0]
    if all(p.dtype == pieces[0].dtype for p in pieces):
        arrays = [p.array for p in pieces]
        return pd.Series(type(arrays[0])._concat_same_type(arrays), copy=False)
    return pd.concat(pieces, ignore_index=True)


def join(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """``frames`` (alike tables; the list is emptied) concatenated column by column, each
    column let go in the parts as soon as it is joined, so the parts and the whole are never
    all held at once; the freed memory is handed back to the system (see ``release_memory``)."""
    columns = list(frames[0].columns)
    if len(frames) == 1 or any(list(df.columns) != columns for df in frames):
        return pd.concat(frames, ignore_index=True)
    parts = [{c: df[c] for c in columns} for df in frames]
    frames.clear()
    out = {}
    for c in columns:
        out[c] = _concat([p.pop(c) for p in parts])
        release_memory()
    return pd.DataFrame(out, copy=False)




class _Finished:
    """Finished replications in contiguous parts. With a checkpoint (a run into a result
    folder) each part is written there and let go: the parent holds only the replications of
    the part being gathered, however long the run; without one, the parts are held for
    ``assemble``."""

    def __init__(self, store: Checkpoint | None, goal: Precision | None, programs: str = "all"):
        self.store, self.goal, self.programs = store, goal, programs
        self.parts: list[tuple[list[int], dict]] = []
        self.reps: set[int] = set()
        self.values: dict[int, float] = {}  # replication -> the precision metric in its year
        self.buffer: list[tuple[int, dict]] = []

    def keep(self, reps: list[int], frames: dict) -> None:
        if self.reps.intersection(reps):
            return  # already held (a part overlapping a finished result)
        if self.store is None:
            self.parts.append((reps, frames))
        self.reps.update(reps)
        if self.goal is not None:
            self._note_values(frames["annual"])

    def keep_stored(self, reps: list[int], folder: Path) -> None:
        """Replications finished earlier, in the checkpoint's part ``folder``."""
        if self.reps.intersection(reps):
            return
        self.reps.update(reps)
        if self.goal is not None:
            from .results import read_table

            self._note_values(read_table(folder / "annual.parquet", "delete this part to run its replications "
                                         "again")[["replication", "year", self.goal.metric]])

    def _note_values(self, annual: pd.DataFrame) -> None:
        assert self.goal is not None
        at = annual[annual["year"] == self.goal.year]
        self.values.update(zip(at["replication"].astype(int), at[self.goal.metric].astype(float)))

    def add(self, reps: list[int], results: list[dict], size: int) -> None:
        """Take finished replications; write them out in parts of about ``size``."""
        if self.buffer and reps[0] != self.buffer[-1][0] + 1:
            self.flush()
        self.buffer.extend(zip(reps, results))
        if len(self.buffer) >= size:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        reps = [r for r, _ in self.buffer]
        frames = tables([res for _, res in self.buffer])
        frames["programs"] = keep_program_rows(frames["programs"], self.programs)
        if self.store is not None:
            self.store.write(reps, frames)
        self.buffer = []
        self.keep(reps, frames)

    def count(self, total: int) -> int:
        return sum(1 for r in self.reps if r < total) + sum(1 for r, _ in self.buffer if r < total)

    def metric_values(self, total: int) -> np.ndarray:
        return np.array([self.values[r] for r in range(total)], dtype=float)

    def assemble(self, total: int) -> dict:
        """The tables of replications 0..total-1, in order (each table's parts let go once it
        is assembled)."""
        parts = sorted((p for p in self.parts if p[0][0] < total), key=lambda p: p[0][0])
        self.parts = []
        out = {}
        for name in TABLES:
            frames = [f.pop(name) for _, f in parts]
            frames = [df[df["replication"] < total].reset_index(drop=True) if reps[-1] >= total else df
                      for (reps, _), df in zip(parts, frames)]
            out[name] = join(frames)
        return out


# --------------------------------------------------------------------------- run

@shows_progress("run", "replications")
def run(scenario, replications: int = 100, seed: int = 42, workers: int | None = None,
        overrides: dict | None = None, until: int | None = None, progress=None, executor: str = "process",
        scheduler: str | None = None, out=None, resume: bool = False, precision: float | None = None,
        metric: str | None = None, precision_year: int | None = None, programs: str = "all",
        allow_other_model: bool = False, replace: bool = False, ensemble=None) -> ResultSet:
    """Run ``replications`` replications of a scenario (a Scenario or a YAML path) from root
    ``seed``; return a ``ResultSet`` (``.annual``: a row per replication and year; ``.programs``:
    per replication and program; ``.products``: per replication and approved product;
    ``.sampled``: each replication's uncertain draws; ``.manifest``; ``.summary()``,
    ``.headline()``, ``.save(folder)``; columns in docs/cli.md).

    ``overrides``: {dotted key: value}, values in any form of a scenario's ``set``; ``until``:
    the last simulated year (the horizon).
    ``workers``: processes to use (default: all cores; 1 runs in this process).
    ``progress``: True for a progress bar (terminal or Jupyter, see ``progress``), or a
    callable(done, total) called as replications finish.
    ``executor``: "process" (worker processes on this machine), "serial" (this process) or
    "dask" (a Dask distributed cluster at ``scheduler``, or a LocalCluster of ``workers``
    processes when no address is given).
    ``out``: result folder; finished replications are written to ``<out>.partial/`` as they
    come (the parts of the result's dataset, see ``results``) and put in place in ``out`` at
    the end: this process holds one chunk of replications at a time, however many are run, and
    returns the result read from ``out`` (its tables read when asked for). Without ``out`` the
    tables are assembled in memory. ``resume``: reuse the replications
    finished by an earlier run into ``out`` (same scenario and seed) and run only the rest.
    ``precision``, ``metric``, ``precision_year``: run batches of replications until the 95%
    half-width of ``metric``'s mean in ``precision_year`` (default: the horizon) is within
    ``precision`` times the mean, at most ``replications``; the manifest reports the count.
    ``programs``: which rows the ``programs`` table keeps: "all" (every program) or "clinical"
    (programs that got past preclinical research, see ``results.reached_clinic``; the other
    tables are the same either way), for long runs that need less memory.
    ``allow_other_model``: ``resume`` may take over replications made by other model code (see
    ``provenance``; refused otherwise); the manifest then records their fingerprint.
    ``replace``: the result may replace one in ``out`` with more replications or a longer
    horizon (refused otherwise, before anything runs: a quick run never replaces a long one
    unasked).
    ``ensemble``: an ensemble file (or ``cgt_sim.load_ensemble``'s result): replication r takes
    the parameter set of one member, a function of ``seed`` and r (see ``cgt_sim.ensemble``),
    so the bands carry the parameters' uncertainty as well as the model's randomness.

    Ctrl-C raises ``Interrupted`` after cancelling pending work; finished replications stay in
    the partial folder.

    A run with ``out`` holds the lock of ``out`` (and so of ``<out>.partial``) from its checks to
    its last write: another run into ``out`` meanwhile is a ResultError naming this one (see
    ``locks``); temporary folders a killed run left beside ``out`` are removed first.
    """
    replications, seed, workers = check_run_counts(replications, seed, workers)
    if out is not None:
        user_path(out, argument="out")
    # (progress is checked by shows_progress)
    if out is None:
        return _run(scenario, replications, seed, workers, overrides, until, progress, executor, scheduler, out,
                    resume, precision, metric, precision_year, programs, allow_other_model, replace, ensemble)
    with held(out):
        return _run(scenario, replications, seed, workers, overrides, until, progress, executor, scheduler, out,
                    resume, precision, metric, precision_year, programs, allow_other_model, replace, ensemble)


def _run(scenario, replications, seed, workers, overrides, until, progress, executor, scheduler, out, resume,
         precision, metric, precision_year, programs, allow_other_model, replace, ensemble) -> ResultSet:
    """``run`` after its counts are checked (holding the lock of ``out``, when given)."""
    sc = resolve(scenario, overrides, until, ensemble)
    for note in after_horizon_notes(sc):
        warnings.warn(note, AfterHorizonWarning, stacklevel=3)
    goal = check(sc, replications, seed, executor, scheduler, out, resume, precision, metric, precision_year,
                 programs, allow_other_model, replace)
    workers = default_workers(replications, workers)
    store = Checkpoint(out, allow_other_model) if out is not None else None
    ident = identity(sc, seed, programs)
    if resume and goal is None and store.complete(ident, replications):
        if progress:
            progress(replications, replications)
        return load_results(out)  # nothing is missing: the finished result stays as it is
    done = _Finished(store, goal, programs)
    total = replications if goal is None else min(replications, FIRST_BATCH)
    stat = None
    started = time.perf_counter()
    try:
        with open_executor(executor, workers, scheduler) as ex:
            slots = ex.slots
            if store is not None:
                store.start(ident, resume, replications if goal is None else None)
                for first, last, folder in store.part_names():
                    done.keep_stored(list(range(first, last + 1)), folder)
            resumed = done.count(replications)
            while True:
                todo = [r for r in range(total) if r not in done.reps]
                if progress:
                    progress(total - len(todo), total)
                if todo:
                    size = chunk_size(len(todo), slots)
                    with closing(ex.run(sc, seed, todo, size)) as finished:
                        for reps, results in finished:
                            done.add(reps, results, size)
                            del results  # not kept to the end of the run
                            if progress:
                                progress(done.count(total), total)
                    done.flush()
                if goal is None:
                    break
                stat = goal.evaluate(done.metric_values(total))
                if stat["reached"] or stat["undefined"] or total >= replications:
                    break  # (more replications of a metric without a usable mean are not run)
                total = goal.next_total(total, stat, replications)
    except BaseException as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        try:
            done.flush()
        finally:
            if store is not None and store.path.exists() and not store.finished():
                store.remove()
        if interrupted:
            kept = store.path if store is not None and store.finished() else None
            raise Interrupted(done.count(total), total, kept) from None
        raise
    wall = time.perf_counter() - started
    manifest = {
        "scenario": sc.to_dict(),
        "seed": seed,
        "replications": total,
        "executor": executor,
        "workers": slots,
        "programs": programs,
        "start_year": sc.start_year,
        "horizon_year": sc.horizon_year,
        **made_by(),
        "wall_time_s": round(wall, 3),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if resume:
        manifest["resumed_replications"] = min(resumed, total)
        if store.other_model is not None:
            manifest["resumed_model_fingerprint"] = store.other_model  # taken over with allow_other_model
    if stat is not None:
        manifest["precision"] = {**stat, "replications_needed": total if stat["reached"] else None,
                                 "max_replications": replications,
                                 "relative_half_width": _finite(stat["relative_half_width"]),
                                 "half_width": _finite(stat["half_width"]), "mean": _finite(stat["mean"])}
    if store is None:
        frames = done.assemble(total)
        return ResultSet(frames["annual"], frames["programs"], frames["products"], manifest, frames["sampled"])
    # the run is finished: a Ctrl-C while its result is put in place takes effect once it is
    # there and the partial folder is gone (never a result beside a stale partial folder)
    with sigint_deferred():
        try:
            store.finish(manifest, total)
        except SystemRefused as exc:  # (a full disk, say): what finished is kept
            raise SystemRefused(exc.subject, exc.key, f"{exc.message}; the {replications_text(total)} "
                                f"finished stay in {store.path} for `resume`", errno=exc.errno) from None
        store.remove()
    return load_results(store.out)


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None
