"""``cgt-sim validate``: the model against closed forms, its targets and published rates."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import CgtSimError
from ..text import replications_text
from .app import app
from .common import check_run_options, fail, print_checks, progress, say_notes


@app.command()
def validate(
    targets: Optional[Path] = typer.Option(None, "--targets", "-t", help="targets file (default: "
                                           "calibration/targets.yaml here, else the package's)"),
    scenario: Optional[Path] = typer.Option(None, "--scenario", "-s", help="scenario to check (default: "
                                            "scenarios/baseline.yaml here, else the library's baseline)"),
    replications: int = typer.Option(16, "--replications", "-r", help="replications of the scenario"),
    seed: int = typer.Option(42, "--seed", help="root random seed (>= 0)"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="worker processes (default: all cores)"),
    ensemble: Optional[Path] = typer.Option(None, "--ensemble", help="run the scenario over the members of an "
                                            "ensemble file; each target row gives the share of replications within it"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or table; the exit code says it all"),
    backtest: bool = typer.Option(False, "--backtest", help="add the out-of-sample test: the scenario fitted to "
                                  "the figures of 2022 and earlier (the backtest folder beside the targets "
                                  "file) against 2023-2025"),
):
    """Check the model against closed forms, its calibration targets and published rates.

    Exit code 0 when every counted check passes, 1 when one fails, 2 on bad input."""
    from ..analysis.validate import BACKTEST, backtest_checks, backtest_scenario, failed
    from ..analysis.validate import prepare as prepare_validation
    from ..analysis.validate import validate as run_validation
    from ..library import default_scenario, default_targets

    check_run_options(replications, seed, workers)
    scenario = scenario or default_scenario()
    targets = targets or default_targets()
    folder = Path(targets).parent / BACKTEST
    try:
        sc, ts = prepare_validation(scenario, targets, ensemble)
        if backtest:
            backtest_scenario(scenario, folder)  # bad backtest files are refused before any work
    except CgtSimError as exc:
        fail(exc)
    say_notes(ts.after_horizon(sc))
    progress_cm, callback = progress(quiet, replications * (2 if backtest else 1), "validate")
    with progress_cm:
        rows = run_validation(sc, ts, replications=replications, seed=seed, workers=workers, progress=callback)
        if backtest:
            step = None if callback is None else (lambda done, total=None: callback(replications + done))
            rows += backtest_checks(scenario, folder, replications, seed, workers, step)
    bad = failed(rows)
    if not quiet:
        print_checks(rows, f"validation of {sc.name}: {replications_text(replications)}, seed {seed}")
        gaps = sum(1 for r in rows if r.passed is False and not r.counted and r.group in ("target", "check"))
        typer.echo(f"{len(bad)} counted check(s) failed" + (f"; {gaps} known gap(s)" if gaps else "")
                   + "; LoA" + (" and backtest" if backtest else "") + " rows compare, they do not fail the run")
    if bad:
        raise typer.Exit(1)


