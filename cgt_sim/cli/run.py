"""``cgt-sim run``: run a scenario and write its result."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import CgtSimError
from ..outputs import HEADLINE, label
from ..scenario import AfterHorizonWarning, after_horizon_notes
from ..storage import earlier_run_text
from ..text import band_text, bands_text, overrides_text, replications_text
from ..text import format_number as _fmt
from .app import INTERRUPTION_SAID, app
from .common import (
    check_run_options,
    fail,
    parse_sets,
    print_table,
    progress,
    say_notes,
)


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="scenario YAML file, or the name of one of the library "
                                              "(cgt-sim scenarios)"),
    replications: int = typer.Option(50, "--replications", "-r", help="replications to run"),
    seed: int = typer.Option(42, "--seed", help="root random seed (>= 0)"),
    until: Optional[int] = typer.Option(None, "--until", help="last simulated year (default: the scenario's horizon)"),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="override a parameter: key=value (repeatable)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="result folder (default: results/<scenario name>)"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="worker processes (default: all cores)"),
    executor: str = typer.Option("process", "--executor", "-e",
                                 help="where replications run: process (worker processes here), serial (this "
                                      "process) or dask (a Dask cluster)"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler",
                                            help="Dask scheduler address, e.g. tcp://host:8786 (default: a local "
                                                 "cluster of --workers processes)"),
    resume: bool = typer.Option(False, "--resume", help="complete an interrupted (or smaller) run into --out: "
                                                         "only missing replications run"),
    precision: Optional[float] = typer.Option(None, "--precision",
                                              help="add replications until the 95% half-width of --metric's mean "
                                                   "is within this fraction of the mean (--replications is the cap)"),
    metric: Optional[str] = typer.Option(None, "--metric", "-m", help="annual metric judged by --precision"),
    precision_year: Optional[int] = typer.Option(None, "--precision-year",
                                                 help="year at which --metric is judged (default: the horizon)"),
    programs: str = typer.Option("all", "--programs",
                                 help="rows of the programs table: all, or clinical (programs that got past "
                                      "preclinical research; less memory for long runs)"),
    allow_other_model: bool = typer.Option(False, "--allow-other-model",
                                           help="with --resume: take over replications made by other model code "
                                                "(refused otherwise)"),
    replace: bool = typer.Option(False, "--replace",
                                 help="replace a result in --out that has more replications or a longer horizon "
                                      "(refused otherwise, before anything runs)"),
    ensemble: Optional[Path] = typer.Option(None, "--ensemble",
                                            help="ensemble file of a history match (calibration/ensemble.parquet): "
                                                 "replication r takes the parameters of one of its members"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or table"),
):
    """Run a scenario and write its results (Parquet tables, summary.csv, manifest.json)."""
    from ..runner import Interrupted, check, resolve
    from ..runner import run as run_scenario

    check_run_options(replications, seed, workers)
    options = dict(executor=executor, scheduler=scheduler, resume=resume, precision=precision, metric=metric,
                   precision_year=precision_year, programs=programs, allow_other_model=allow_other_model)
    try:
        sc = resolve(scenario, parse_sets(set_), until, ensemble)
        target = out or Path("results") / sc.name
        check(sc, replications, seed, out=target, replace=replace, **options)
    except CgtSimError as exc:
        fail(exc)
    untouched = resume and precision is None and _nothing_to_resume(target, sc, seed, programs, replications,
                                                                    allow_other_model)
    replaced = None if resume else earlier_run_text(target)  # said at the end: a new run replaces it
    say_notes(after_horizon_notes(sc))
    progress_cm, callback = progress(quiet, replications, sc.name)
    try:
        with progress_cm, warnings.catch_warnings():
            warnings.simplefilter("ignore", AfterHorizonWarning)  # noted above, as the command says it
            res = run_scenario(sc, replications=replications, seed=seed, workers=workers, progress=callback,
                               out=target, replace=replace, **options)
    except CgtSimError as exc:  # found only when the work starts, e.g. an unreachable scheduler
        fail(exc)
    except Interrupted as exc:
        how = "; run the same command with --resume to complete it" if exc.partial is not None else ""
        typer.echo(f"interrupted: {exc}{how}", err=True)
        INTERRUPTION_SAID.append(True)
        raise typer.Exit(130) from None
    if not quiet:
        _print_headline(res, target, untouched=untouched, replaced=replaced)


def _nothing_to_resume(target: Path, sc, seed: int, programs: str, replications: int,
                       allow_other_model: bool = False) -> bool:
    """Whether ``target`` already holds exactly this run (the runner then returns it as it is)."""
    from ..checkpoint import Checkpoint, identity

    return Checkpoint(target, allow_other_model).complete(identity(sc, seed, programs), replications)


def _print_headline(res, path: Path, untouched: bool = False, replaced: str | None = None) -> None:
    from rich.console import Console
    from rich.markup import escape

    h = res.headline()
    years = [str(y) for y in sorted(h["year"].unique())]
    rows = []
    for metric in HEADLINE:
        row = [label(metric)]
        for y in years:
            r = h[(h["metric"] == metric) & (h["year"] == int(y))]
            row.append("-" if r.empty else band_text(r.iloc[0]["mean"], r.iloc[0]["p5"], r.iloc[0]["p95"]))
        rows.append(row)
    console = Console()
    print_table(f"{res.manifest['scenario']['name']}: mean [p5-p95] over "
                 f"{replications_text(res.manifest['replications'])}", ["metric", *years], rows, right=tuple(years),
                 caption=bands_text(res.manifest) + overrides_text(res.manifest), console=console)
    if "precision" in res.manifest:
        console.print(escape(precision_text(res.manifest["precision"], res.manifest["replications"])))
    if untouched:
        typer.echo(f"nothing to resume: {path}/ already holds these {replications_text(res.manifest['replications'])}")
    else:
        m = res.manifest
        how = [f"{m['wall_time_s']:.1f} s"]
        if m.get("resumed_replications"):
            how.append(f"{m['resumed_replications']} of the {replications_text(m['replications'])} "
                       "taken from the earlier run")
        if replaced:
            how.append(f"replaced the earlier result there: {replaced}")
        typer.echo(f"results written to {path}/ ({'; '.join(how)})")  # whole, for copying and grep


def precision_text(p: dict, replications: int) -> str:
    """One line on a --precision run: the interval reached, after how many replications."""
    def pct(x):
        return f"{100 * x:.3g}%"

    if p.get("undefined"):
        return (f"precision: {p['metric']} in {p['year']}: {p['undefined']}; stopped after "
                f"{replications_text(replications)} (choose a metric or --precision-year with a non-zero mean)")
    rel = p["relative_half_width"]
    interval = (f"mean {_fmt(p['mean'])} +/- {_fmt(p['half_width'])} ({pct(p['level'])} interval"
                + (f", {pct(rel)} of the mean)" if rel is not None else ")"))
    outcome = ("reached after" if p["reached"] else "not reached within")
    return (f"precision: {p['metric']} in {p['year']}: {interval}; the {pct(p['target'])} target was "
            f"{outcome} {replications_text(replications)}" + ("" if p["reached"] else " (raise --replications)"))


