"""``cgt-sim sweep``: a scenario over a grid of parameter values."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..errors import CgtSimError
from ..outputs import label
from ..text import format_number as _fmt
from ..text import replications_text, unique_ending
from .app import app
from .common import (
    check_result_folder,
    check_run_options,
    fail,
    font_notes,
    parse_years,
    progress,
)


@app.command()
def sweep(
    scenario: Path = typer.Argument(..., help="scenario YAML file, or the name of one of the library "
                                              "(cgt-sim scenarios)"),
    grid: Optional[List[str]] = typer.Option(None, "--grid", "-g", help="key=v1,v2,... (repeatable; the grid is "
                                             "every combination)"),
    replications: int = typer.Option(20, "--replications", "-r", help="replications per grid point"),
    seed: int = typer.Option(42, "--seed", help="root random seed, shared by every grid point (>= 0)"),
    until: Optional[int] = typer.Option(None, "--until", help="last simulated year"),
    years: Optional[str] = typer.Option(None, "--years", help="comma-separated years (default 2030,2035,horizon)"),
    metric: Optional[List[str]] = typer.Option(None, "--metric", "-m", help="annual metric (repeatable)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="result folder (default results/<scenario>_sweep)"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="worker processes (default: all cores)"),
    ensemble: Optional[Path] = typer.Option(None, "--ensemble",
                                            help="ensemble file of a history match (calibration/ensemble.parquet): "
                                                 "replication r takes the parameters of one of its members"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or table"),
):
    """Run a scenario over a grid of parameter values with common random numbers: one tidy table."""
    from ..analysis.sweep import execute, parse_grid, prepare

    check_run_options(replications, seed, workers)
    year_list = parse_years(years)
    metric = metric or None  # no --metric: the defaults
    try:
        plan = prepare(scenario, parse_grid(grid), until, year_list, metric, ensemble)
    except CgtSimError as exc:
        fail(exc)
    target = out or Path("results") / f"{plan.scenario.name}_sweep"
    check_result_folder(target, "sweep")
    progress_cm, callback = progress(quiet, len(plan.points), f"{plan.scenario.name} sweep", "grid points")
    with progress_cm:
        result = execute(plan, replications, seed, workers, callback)
    path = font_notes(result.save, target)
    if not quiet:
        _print_sweep(result, path)


def _print_sweep(result, path: Path) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    m = result.manifest
    year = m["years"][-1]
    at = result.table[result.table["year"] == year]
    wide = at.pivot_table(index=result.keys, columns="metric", values="mean", sort=False,
                          dropna=False).reset_index()  # a metric without values stays, shown as -
    title = escape(f"{m['scenario']['name']}: mean of {replications_text(m['replications'])} in {year}")
    t = Table(title=title)
    for key in result.keys:  # the parameter's last name(s): the full keys head the written table
        t.add_column(unique_ending(key, result.keys, "."), justify="right", no_wrap=True)
    for col in m["metrics"]:
        t.add_column(label(col), justify="right", min_width=7)
    for _, r in wide.iterrows():
        t.add_row(*[_grid_text(r[k]) for k in result.keys],
                  *[escape(_fmt(r.get(c, float("nan")))) for c in m["metrics"]])
    console = Console()
    if console.measure(t, options=console.options.update_width(10**4)).minimum > console.width:
        # too wide even with its headers wrapped: a row per point and metric instead
        t = Table(title=title)
        for key in result.keys:
            t.add_column(unique_ending(key, result.keys, "."), justify="right", overflow="fold")
        t.add_column("metric", overflow="fold")
        t.add_column("mean", justify="right", no_wrap=True)
        for _, r in wide.iterrows():
            for i, c in enumerate(m["metrics"]):
                t.add_row(*[_grid_text(r[k]) if i == 0 else "" for k in result.keys], escape(label(c)),
                          escape(_fmt(r.get(c, float("nan")))), end_section=i == len(m["metrics"]) - 1)
    console.print(t)
    for key, dates in m.get("grid_dates", {}).items():
        when = (f"from {dates['from']}" if dates["to"] is None
                else f"as the target of the ramp {dates['from']} to {dates['to']}")
        late = int(dates["from"][:4]) > m["horizon_year"]
        console.print(escape(f"{key}: each value applies {when}, the scenario's last change"
                             + (f", after the last simulated year {m['horizon_year']}: no effect" if late else "")))
    others = [str(y) for y in m["years"][:-1]]
    if others:
        console.print(escape(f"other years ({', '.join(others)}): in {path}/sweep.csv, which also gives p5, "
                             "p50 and p95"))
    points = f"{m['points']} grid point" + ("" if m["points"] == 1 else "s")
    console.print(f"sweep written to {path}/ ({points}, {m['wall_time_s']:.1f} s)")


def _grid_text(value) -> str:
    """A grid value as it was most likely typed: 30 for 30.0, 0.05 as it is."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


