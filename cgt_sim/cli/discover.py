"""``cgt-sim discover``: scenario discovery (PRIM) over a scenario's uncertainties and levers."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import CgtSimError
from .app import app
from .common import check_result_folder, check_run_options, fail, print_table, progress


@app.command()
def discover(
    scenario: Path = typer.Argument(..., help="scenario YAML file with an 'uncertain:' block and/or "
                                              "'levers:', or the name of one of the library (cgt-sim scenarios)"),
    outcome: str = typer.Option(..., "--outcome", help='condition on metrics in a year, e.g. "approvals_2035 < 60" '
                                "(comparisons joined by and, or, not)"),
    experiments: int = typer.Option(1000, "--experiments", "-n", help="experiments of the Latin hypercube"),
    replications: int = typer.Option(1, "--replications", "-r", help="replications per experiment (the outcome "
                                     "is judged on their means)"),
    seed: int = typer.Option(42, "--seed", help="root random seed of the design and the experiments (>= 0)"),
    until: Optional[int] = typer.Option(None, "--until", help="last simulated year (default: the outcome's last year)"),
    threshold: float = typer.Option(0.8, "--threshold", help="density the box must reach (PRIM)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="result folder (default results/<scenario>_discover)"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="worker processes (default: all cores)"),
    executor: str = typer.Option("process", "--executor", "-e", help="process, serial or dask (as for run)"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address (as for run)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or table"),
):
    """Scenario discovery: the boxes of uncertainties and levers where an outcome holds (PRIM)."""
    from ..analysis.discovery import _ema, execute, prepare
    from ..executors import check_executor

    check_run_options(replications, seed, workers)
    try:
        check_executor(executor, scheduler)
        plan = prepare(scenario, outcome, experiments, replications, seed, until, threshold)
        _ema()
    except CgtSimError as exc:
        fail(exc)
    target = out or Path("results") / f"{plan.scenario.name}_discover"
    check_result_folder(target, "discovery")
    progress_cm, callback = progress(quiet, experiments, f"{plan.scenario.name} discover", "experiments")
    try:
        with progress_cm:
            result = execute(plan, workers, executor, scheduler, callback)
    except CgtSimError as exc:
        fail(exc)
    path = result.save(target)
    if not quiet:
        _print_box(result, path)


def _print_box(result, path: Path) -> None:
    m = result.manifest
    typer.echo(f"{m['outcome']}: holds in {m['cases']} of {m['experiments']} experiments")
    if result.chosen is None:
        typer.echo(f"no box: {m['note']}")
    else:
        rows = [[r["parameter"], f"{r['low']:.4g}", f"{r['high']:.4g}", f"{r['range_low']:.4g}-{r['range_high']:.4g}"]
                for _, r in result.box.iterrows()]
        print_table(f"PRIM box: coverage {m['coverage']:.2f}, density {m['density']:.2f}, mass {m['mass']:.2f}",
                    ["factor", "low", "high", "range"], rows, right=("low", "high", "range"))
    typer.echo(f"discovery written to {path}/ ({m['wall_time_s']:.1f} s)")
