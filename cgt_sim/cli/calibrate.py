"""``cgt-sim calibrate``: fit the free parameters of a targets file."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import CgtSimError
from ..text import replications_text
from .app import app
from .common import (
    check_output_file,
    check_run_options,
    fail,
    print_checks,
    print_table,
    say_notes,
)


@app.command()
def calibrate(
    targets: Path = typer.Argument(..., help="targets file, e.g. calibration/targets.yaml"),
    scenario: Optional[Path] = typer.Option(None, "--scenario", "-s",
                                            help="scenario to fit (its calibrated: file is ignored while fitting; "
                                                 "default: scenarios/baseline.yaml here, else the library's "
                                                 "baseline)"),
    budget: int = typer.Option(110, "--budget", "-b", help="evaluations the search may spend"),
    replications: int = typer.Option(16, "--replications", "-r", help="replications per evaluation (the same "
                                                                         "ones at every point)"),
    seed: int = typer.Option(42, "--seed", help="root random seed (>= 0)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="fitted file (default: fitted.yaml beside "
                                                                  "the targets file)"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="worker processes (default: all cores)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or table"),
    start: Optional[Path] = typer.Option(None, "--start", help="start the search at the parameters of this "
                                         "fitted file (a warm start after a model change)"),
):
    """Fit the free parameters of a targets file to its targets; write the fitted file."""
    from ..analysis.calibration import (
        check_fitted_target,
        fit,
        fitted_document,
        prepare,
        start_from,
        write_fitted,
    )
    from ..library import default_scenario

    scenario = scenario or default_scenario()
    check_run_options(replications, seed, workers)
    if budget < 1:
        fail(f"--budget: must be a whole number >= 1 (got {budget})")
    target = out or targets.parent / "fitted.yaml"
    check_output_file(target)
    try:
        check_fitted_target(target, None if out is not None else targets)
        ts, sc = prepare(targets, scenario)
        begin = None if start is None else start_from(start, ts)
    except CgtSimError as exc:
        fail(exc)
    say_notes(ts.after_horizon(sc))
    progress_cm, search_cb, final_cb = _calibrate_progress(quiet, budget, replications)
    with progress_cm:
        result = fit(sc, ts, budget=budget, replications=replications, seed=seed, workers=workers,
                     progress=search_cb, final_progress=final_cb, start=begin)
    path = write_fitted(target, fitted_document(result, ts, scenario, replications, seed, budget, start, out))
    if quiet:
        return
    from ..analysis.validate import target_check

    print_checks([target_check(s) for s in result.scored],
                  f"targets at the fitted values: mean [5-95% of {replications_text(replications)}]")
    _print_fitted(result, ts)
    typer.echo(f"objective {result.objective_start:.3g} at the start -> {result.objective:.3g} after "
               f"{result.evaluations} evaluations; fitted values written to {path}")


def _calibrate_progress(quiet: bool, budget: int, replications: int):
    """Two bars: the search's evaluations out of the budget (when the search ends before the
    budget is spent, its total becomes the number that ran, the number the command reports),
    then the final run's replications at the fitted values. Returns the context to show them in
    and the callbacks for ``fit``'s ``progress`` and ``final_progress`` (None when quiet)."""
    import contextlib

    if quiet:
        return contextlib.nullcontext(), None, None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    prog = Progress(TextColumn("[bold]{task.description}[/]"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[unit]}"), TimeElapsedColumn(), TimeRemainingColumn(), transient=False,
                    console=Console())
    search = prog.add_task("calibrate", total=budget, unit="evaluations")
    final = prog.add_task("final run", total=replications, unit="replications at the fitted values", visible=False,
                          start=False)
    state = {"started": False, "evaluations": 0, "final": False}

    def start():  # the bars appear with the first report, once work has started
        if not state["started"]:
            prog.start()
            state["started"] = True

    def on_search(done, total, best):
        start()
        state["evaluations"] = done
        prog.update(search, completed=done)

    def on_final(done, total):
        start()
        n = state["evaluations"]  # the search is over: n evaluations ran
        prog.update(search, total=n, completed=n)
        if not state["final"]:
            prog.start_task(final)  # its clock starts now, not with the search
            state["final"] = True
        prog.update(final, visible=True, completed=done, total=total)

    @contextlib.contextmanager
    def shown():
        try:
            yield
        finally:
            if state["started"]:
                prog.stop()

    return shown(), on_search, on_final


def _print_fitted(result, ts) -> None:
    print_table("free parameters", ["parameter", "start", "fitted", "range"],
                 [[fp.key, f"{result.start[fp.key]:.4g}", f"{result.values[fp.key]:.4g}", f"{fp.low:g}-{fp.high:g}"]
                  for fp in ts.free], right=("start", "fitted", "range"))


