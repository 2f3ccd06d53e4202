"""Parameter sweeps: a scenario run at every point of a grid of parameter values.

Every grid point is the scenario with the grid's parameters fixed to the point's values (an
override: a swept parameter that the scenario declares uncertain is fixed too), run with the
same root seed (common random numbers), so the rows of the table differ by their parameters,
not by the luck of the draw. The result is one tidy table: the grid parameters, then metric,
year, mean, p5, p50, p95 and n over replications.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..errors import ScenarioError, quoted
from ..parameters import CATALOGUE
from ..paths import user_path
from ..progress import shows_progress
from ..provenance import made_by
from ..results import metric_columns, summarise
from ..runner import resolve
from ..scenario import Scenario, _suggest, yaml_value
from ..storage import atomic_folder, write_manifest
from ..text import format_number as fmt
from ..timeline import Schedule
from .compare import DEFAULT_METRICS
from .points import asked, check_years, run_points

GRID_EXAMPLE = "e.g. regulatory.ind_review_working_days=30,60"


def parse_grid(items: list[str] | None) -> dict[str, list]:
    """``--grid key=v1,v2,...`` items as {key: [values]}; each value is read as a YAML scalar."""
    grid: dict[str, list] = {}
    for item in items or []:
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq or not key or not raw.strip():
            raise ScenarioError("grid", item, f"expected key=v1,v2,... ({GRID_EXAMPLE})", argument=True)
        if key in grid:
            raise ScenarioError("grid", key, "given twice; list all its values in one `grid`", argument=True)
        values = []
        for text in raw.split(","):
            try:
                v = yaml_value(text) if text.strip() else None
            except (yaml.YAMLError, ValueError, TypeError):
                split = (" (values are split at commas: give single values, "
                         f"{GRID_EXAMPLE}, not a list or a mapping)") if raw.count(",") else ""
                raise ScenarioError("grid", key, f"could not read the value {quoted(text)}{split}",
                                    argument=True) from None
            if v is None:
                raise ScenarioError("grid", key, f"empty value in {quoted(raw)} ({GRID_EXAMPLE})", argument=True)
            values.append(v)
        grid[key] = values
    return grid


def check_grid(grid: dict, scenario: Scenario) -> dict[str, list]:
    """Validate a grid against the parameter catalogue; return it with values as stored
    (numbers as float, or int for whole-number parameters; dates as ISO text)."""
    if not isinstance(grid, dict) or not grid:
        raise ScenarioError("grid", None, f"give at least one parameter and its values ({GRID_EXAMPLE})", argument=True)
    out = {}
    for key, values in grid.items():
        p = CATALOGUE.get(key)
        if p is None:
            raise ScenarioError("grid", key, "unknown parameter" + _suggest(str(key), CATALOGUE), argument=True)
        if key.startswith("simulation."):
            why = ("the horizon is set with `until`" if key == "simulation.horizon_year"
                   else "every grid point simulates the same years")
            raise ScenarioError("grid", key, f"cannot be swept ({why})", argument=True)
        if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
            raise ScenarioError("grid", key, f"needs a list of one or more values (got {quoted(values)})",
                                argument=True)
        values = list(values)  # a list, a tuple, a range, a numpy array
        if not values:
            raise ScenarioError("grid", key, "needs a list of one or more values", argument=True)
        seen = []
        for v in values:
            if hasattr(v, "__len__") and not isinstance(v, str):  # a list, a mapping, an array
                raise ScenarioError("grid", key, f"takes single values {p.range_text()} (got {quoted(v)})",
                                    argument=True)
            scenario.with_overrides(grid_change(scenario, {key: v}), label="--grid")  # raises on a bad value
            v = _stored(p, v)
            if v in seen:
                raise ScenarioError("grid", key, f"the value {v} is listed twice", argument=True)
            seen.append(v)
        out[key] = seen
    return out


def last_change(scenario: Scenario, key: str) -> tuple[str, str | None] | None:
    """The dates of the scenario's last dated change of ``key``: (from, to) of a ramp, (from,
    None) of a step; None when its value does not change over time."""
    v = scenario.values.get(key)
    if not isinstance(v, Schedule) or v.is_constant:
        return None
    start, end = v.last_change()
    return start.isoformat(), None if end is None else end.isoformat()


def grid_change(scenario: Scenario, point: dict) -> dict:
    """The overrides of one grid point. A parameter the scenario changes over time keeps its
    dates: the grid value replaces the value of its last change (a step's value from its date,
    a ramp's target), so a policy swept still starts when the scenario says."""
    out = {}
    for k, v in point.items():
        dates = last_change(scenario, k)
        if dates is None:
            out[k] = v
        elif scenario.values[k].values()[-1] == _stored(CATALOGUE[k], v):
            continue  # the scenario's own value: its path stays as it is
        else:
            out[k] = {"value": v, "from": dates[0]} if dates[1] is None else {"value": v, "from": dates[0],
                                                                               "to": dates[1]}
    return out


def _stored(p, v):
    if p.kind == "date":
        from ..timeline import parse_date

        return parse_date(v).isoformat()
    if p.kind == "bool":
        return bool(v)
    return int(round(float(v))) if p.kind == "int" else float(v)


@dataclass
class SweepPlan:
    """Everything checked before a sweep runs."""

    scenario: Scenario  # with the horizon cut to ``until``
    grid: dict[str, list]
    years: list[int]
    metrics: list[str]

    @property
    def points(self) -> list[tuple]:
        """Every combination of grid values, the first key varying slowest."""
        return list(itertools.product(*self.grid.values()))

    def point_scenarios(self) -> list[Scenario]:
        return [self.scenario.with_overrides(grid_change(self.scenario, dict(zip(self.grid, p))),
                                             label="--grid") for p in self.points]

    @property
    def dated(self) -> dict[str, dict]:
        """The swept parameters that keep the scenario's dates: key -> {"from": ..., "to": ...}."""
        out = {}
        for key in self.grid:
            dates = last_change(self.scenario, key)
            if dates is not None:
                out[key] = {"from": dates[0], "to": dates[1]}
        return out


def prepare(scenario, grid: dict, until: int | None = None, years=None, metrics=None, ensemble=None) -> SweepPlan:
    """Check the inputs of a sweep (nothing runs); raises ScenarioError naming what is wrong.

    ``years``: default 2030, 2035 and the horizon; ``metrics``: annual columns or their short
    names (default the headline metrics of ``compare``); ``ensemble``: as for ``run``."""
    sc = resolve(scenario, until=until, ensemble=ensemble)
    grid = check_grid(grid, sc)
    years = check_years(years, sc.start_year, sc.horizon_year)
    metrics = metric_columns(asked(metrics, "metrics", DEFAULT_METRICS))
    return SweepPlan(sc, grid, years, metrics)


@dataclass(repr=False, eq=False)  # == is identity: its tables do not compare as one truth value
class SweepResult:
    """The tidy table of a sweep (one row per grid point, metric and year) and its manifest."""

    table: pd.DataFrame
    manifest: dict = field(default_factory=dict)

    def __repr__(self) -> str:  # short: the table and the manifest are long
        m = self.manifest
        return (f"SweepResult(scenario={m.get('scenario', {}).get('name')!r}, grid={m.get('grid')}, "
                f"replications={m.get('replications')}, seed={m.get('seed')}; table {len(self.table):,} rows)")

    @property
    def keys(self) -> list[str]:
        return list(self.manifest["grid"])

    def save(self, path) -> Path:
        """Write sweep.csv, sweep.parquet, manifest.json and, for a two-parameter grid, one
        heat map per metric (heatmap_<metric>.png) into ``path``, atomically."""
        path = user_path(path)
        with atomic_folder(path, "sweep") as tmp:
            self.table.to_csv(tmp / "sweep.csv", index=False)
            self.table.to_parquet(tmp / "sweep.parquet", index=False)
            if len(self.keys) == 2:
                from ..report import chart_text

                with chart_text([self.manifest["scenario"]["name"]]):
                    for metric in self.manifest["metrics"]:
                        plot_heatmap(self.table, self.manifest, metric, tmp / f"heatmap_{metric}.png")
            write_manifest(tmp, self.manifest)
        return path


def execute(plan: SweepPlan, replications: int = 20, seed: int = 42, workers: int | None = None,
            progress=None) -> SweepResult:
    """Run every grid point of a plan with the same seed and tabulate the metrics."""
    started = time.perf_counter()
    frames = run_points(plan.point_scenarios(), replications, seed, plan.metrics, plan.years, workers, progress)
    parts = []
    for point, frame in zip(plan.points, frames):
        s = summarise(frame, plan.metrics)
        for j, (key, value) in enumerate(zip(plan.grid, point)):
            s.insert(j, key, value)
        parts.append(s)
    table = pd.concat(parts, ignore_index=True)
    manifest = {
        "analysis": "sweep",
        "grid": plan.grid,
        "grid_dates": plan.dated,  # swept values that replace a dated change keep its dates
        "points": len(plan.points),
        "metrics": plan.metrics,
        "years": plan.years,
        "replications": replications,
        "seed": seed,
        "start_year": plan.scenario.start_year,
        "horizon_year": plan.scenario.horizon_year,
        "scenario": plan.scenario.to_dict(),
        **made_by(),
        "wall_time_s": round(time.perf_counter() - started, 3),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return SweepResult(table, manifest)


def plot_heatmap(table: pd.DataFrame, manifest: dict, metric: str, path: Path) -> None:
    """Mean of one metric over a two-parameter grid, one panel per year, values written in the cells."""
    from matplotlib.figure import Figure

    (row_key, row_values), (col_key, col_values) = list(manifest["grid"].items())
    sub = table[table["metric"] == metric]
    years = manifest["years"]
    from matplotlib.ticker import FuncFormatter

    width = max(4.6, 0.9 * len(col_values) + 2.6)
    height = max(2.8, 0.5 * len(row_values) + 2.0)
    fig = Figure(figsize=(width * len(years), height))
    axes = fig.subplots(1, len(years), squeeze=False)
    for ax, year in zip(axes[0], years):
        at = sub[sub["year"] == year]
        grid = at.pivot_table(index=row_key, columns=col_key, values="mean", aggfunc="first", dropna=False)
        grid = grid.reindex(index=row_values, columns=col_values)
        values = grid.to_numpy(dtype=float)
        im = ax.imshow(values, cmap="viridis", aspect="auto", origin="lower")
        finite = values[np.isfinite(values)]
        lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                v = values[i, j]
                light = hi > lo and (v - lo) / (hi - lo) > 0.6  # dark text on the bright end of viridis
                ax.text(j, i, fmt(v), ha="center", va="center", fontsize=8, color="black" if light else "white")
        ax.set_xticks(range(len(col_values)), [_tick(v) for v in col_values])
        ax.set_yticks(range(len(row_values)), [_tick(v) for v in row_values])
        ax.set_xlabel(col_key)
        ax.set_ylabel(row_key)
        ax.set_title(str(year))
        bar = fig.colorbar(im, ax=ax, format=FuncFormatter(lambda x, _pos: fmt(x)))
        bar.set_label(f"{metric} (mean)")
    fig.suptitle(f"{manifest['scenario']['name']}: {metric}\nmean of {manifest['replications']} replications "
                 "per cell, common random numbers", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _tick(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v).lower() if isinstance(v, bool) else str(v)


@shows_progress("sweep", "points")
def sweep(scenario, grid: dict, replications: int = 20, seed: int = 42, workers: int | None = None,
          until: int | None = None, years=None, metrics=None, progress=None, ensemble=None) -> SweepResult:
    """Run a scenario at every point of ``grid`` ({parameter key: [values]}; any sequence of
    values) with common random numbers; return a ``SweepResult``: ``.table`` has one row per grid
    point, metric and year (a column per grid key, then metric, year, mean, p5, p50, p95, n over
    the replications), ``.manifest`` and ``.save(folder)``.

    ``years``: default 2030, 2035 (when simulated) and the horizon; ``metrics``: names or short
    names of ``annual`` columns (default the headline metrics); ``until``: the last simulated
    year. ``progress``: True for a bar, or a callable(done, total) over grid points. ``ensemble``: an
    ensemble file, as for ``run`` (every grid point pairs replication r with the same member).
    Bad input raises ``ScenarioError`` before anything runs.
    """
    plan = prepare(scenario, grid, until, years, metrics, ensemble)
    return execute(plan, replications, seed, workers, progress)
