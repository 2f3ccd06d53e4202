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
    method: str = typer.Option("point", "--method", help="point (one best fit: fitted.yaml) or history-matching "
                                                        "(every parameter set not ruled out: ensemble.parquet)"),
    budget: Optional[int] = typer.Option(None, "--budget", "-b", help="point: evaluations the search may spend "
                                                                      "(default 110)"),
    replications: Optional[int] = typer.Option(None, "--replications", "-r",
                                               help="point: replications per evaluation, the same ones at every point "
                                                    "(default 16); history-matching: per design point (default 8)"),
    seed: int = typer.Option(42, "--seed", help="root random seed (>= 0)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="fitted file (default: fitted.yaml beside the "
                                       "targets file); history-matching: the ensemble file (default: "
                                       "ensemble.parquet beside it; its report in <name>_report/)"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="worker processes (default: all cores)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or table"),
    start: Optional[Path] = typer.Option(None, "--start", help="point: start the search at the parameters of this "
                                         "fitted file (a warm start after a model change)"),
    waves: Optional[int] = typer.Option(None, "--waves", help="history-matching: at most this many waves (default 3)"),
    points: Optional[int] = typer.Option(None, "--points", help="history-matching: design points per wave "
                                         "(default 20 per free parameter)"),
    members: Optional[int] = typer.Option(None, "--members", help="history-matching: parameter sets drawn for the "
                                          "ensemble and checked by the simulator (default 100)"),
    cutoff: Optional[float] = typer.Option(None, "--cutoff", help="history-matching: implausibility cut-off "
                                           "(default 3)"),
    criterion: Optional[str] = typer.Option(None, "--criterion", help="history-matching: max (the largest "
                                            "implausibility over the targets, default) or second (the second largest)"),
    executor: Optional[str] = typer.Option(None, "--executor", "-e", help="history-matching: process, serial or "
                                           "dask (as for run)"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="history-matching: Dask scheduler address"),
    resume: bool = typer.Option(False, "--resume", help="history-matching: complete an interrupted match into --out"),
):
    """Calibrate the free parameters of a targets file: one best fit (fitted.yaml), or, with
    --method history-matching, every parameter set not ruled out (ensemble.parquet and a report)."""
    from ..library import default_scenario

    scenario = scenario or default_scenario()
    if method == "history-matching":
        for name, given in (("--budget", budget), ("--start", start)):
            if given is not None:
                fail(f"{name}: only used with --method point")
        _history_match(targets, scenario, replications, seed, out, workers, quiet, waves, points, members, cutoff,
                       criterion, executor, scheduler, resume)
        return
    if method != "point":
        fail(f"--method: must be point or history-matching (got {method!r})")
    for name, given in (("--waves", waves), ("--points", points), ("--members", members), ("--cutoff", cutoff),
                        ("--criterion", criterion), ("--executor", executor), ("--scheduler", scheduler),
                        ("--resume", resume or None)):
        if given is not None:
            fail(f"{name}: only used with --method history-matching")
    from ..analysis.calibration import (
        BUDGET,
        REPLICATIONS,
        check_fitted_target,
        fit,
        fitted_document,
        prepare,
        start_from,
        write_fitted,
    )

    budget = BUDGET if budget is None else budget
    replications = REPLICATIONS if replications is None else replications
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


def _history_match(targets, scenario, replications, seed, out, workers, quiet, waves, points, members, cutoff,
                   criterion, executor, scheduler, resume) -> None:
    from ..analysis import history
    from ..ensemble import check_ensemble_target
    from .app import INTERRUPTION_SAID

    replications = history.REPLICATIONS if replications is None else replications
    check_run_options(replications, seed, workers, min_replications=2)
    target = out or targets.parent / "ensemble.parquet"
    try:
        check_ensemble_target(target)
        plan = history.prepare(targets, scenario, history.WAVES if waves is None else waves, points, replications,
                               history.MEMBERS if members is None else members, seed,
                               history.CUTOFF if cutoff is None else cutoff, criterion or "max")
        from ..executors import check_executor

        check_executor(executor or "process", scheduler)
        history.FolderStore(history.partial_path(target)).check(plan.identity(), resume)
    except CgtSimError as exc:
        fail(exc)
    s = plan.settings
    if not quiet:
        typer.echo(f"history matching {len(plan.free)} parameters on {len(plan.targets)} targets: up to {s.waves} "
                   f"waves of {s.points} design points x {s.replications} replications, then {s.members} members "
                   "checked", err=True)
    bar, callback = _stage_progress(quiet)
    try:
        with bar:
            result = history.execute(plan, workers, executor or "process", scheduler, target, resume, callback,
                                     None if quiet else (lambda text: typer.echo(text, err=True)))
    except CgtSimError as exc:
        fail(exc)
    except history.Interrupted as exc:
        how = "; run the same command with --resume to complete it" if exc.partial is not None else ""
        typer.echo(f"interrupted: {exc}{how}", err=True)
        INTERRUPTION_SAID.append(True)
        raise typer.Exit(130) from None
    m = result.manifest
    if not quiet:
        rows = [[str(int(w["wave"])), str(int(w["design_points"])), f"{100 * w['ruled_out']:.2f}%",
                 f"{100 * w['runs_not_implausible']:.0f}%"] for _, w in result.waves.iterrows()]
        print_table("history match: the box ruled out per wave", ["wave", "design points", "ruled out",
                                                                  "runs not implausible"], rows,
                    right=("design points", "ruled out", "runs not implausible"))
        typer.echo(f"why the waves stopped: {m['stop']}")
    folder = history.report_path(target)
    if m["members_kept"]:
        typer.echo(f"{m['members_kept']} of {m['members_checked']} members kept ({m['simulator_runs']:,} simulator "
                   f"replications, {m['wall_time_s'] / 60:.1f} minutes): ensemble written to {target}, report to "
                   f"{folder}/")
        return
    typer.echo(f"no parameter set survived the check ({m['simulator_runs']:,} simulator replications): no ensemble "
               f"written; see the report in {folder}/", err=True)
    raise typer.Exit(1)


def _stage_progress(quiet: bool):
    """A bar per stage (each wave, then the members' check) over its design points."""
    import contextlib

    if quiet:
        return contextlib.nullcontext(), None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    prog = Progress(TextColumn("[bold]{task.description}[/]"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("design points"), TimeElapsedColumn(), console=Console(stderr=True))
    tasks: dict = {}

    def callback(stage: str, done: int, total: int) -> None:
        if not tasks:
            prog.start()
        if stage not in tasks:
            tasks[stage] = prog.add_task(stage, total=total)
        prog.update(tasks[stage], completed=done, total=total)

    @contextlib.contextmanager
    def shown():
        try:
            yield
        finally:
            if tasks:
                prog.stop()

    return shown(), callback
