"""``cgt-sim compare``: paired differences of scenarios (or saved results) from the first."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import CgtSimError, refused
from ..paths import user_path
from ..storage import WRITTEN, followed, held, sigint_deferred
from ..text import check_lang, difference_rows, say
from .app import app
from .common import (
    check_output_file,
    check_run_options,
    fail,
    font_notes,
    parse_years,
    print_table,
    progress,
)


@app.command()
def compare(
    scenarios: List[Path] = typer.Argument(..., help="scenario YAML files or names of the library (cgt-sim "
                                                     "scenarios), or result folders written by run (compared "
                                                     "without running); the first is the reference"),
    replications: Optional[int] = typer.Option(None, "--replications", "-r",
                                               help="replications per scenario (default 50)"),
    seed: Optional[int] = typer.Option(None, "--seed", help="root random seed, shared by all scenarios (>= 0) "
                                                            "(default 42)"),
    until: Optional[int] = typer.Option(None, "--until", help="last simulated year"),
    years: Optional[str] = typer.Option(None, "--years", help="comma-separated years (default 2030,2035,horizon)"),
    metric: Optional[List[str]] = typer.Option(None, "--metric", "-m", help="annual metric (repeatable)"),
    level: float = typer.Option(0.90, "--level", help="confidence level of the intervals"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="CSV file (default results/compare.csv)"),
    report: Optional[Path] = typer.Option(None, "--report",
                                          help="also write a report of the runs into this folder: the difference of "
                                               "each metric by year, charts, report.md and report.html"),
    lang: str = typer.Option("en", "--lang", help="language of the table and the report: en or zh (Chinese)"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="worker processes (default: all cores)"),
    executor: Optional[str] = typer.Option(None, "--executor", "-e",
                                           help="process, serial or dask (as for run; default process)"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address (as for run)"),
    allow_other_model: bool = typer.Option(False, "--allow-other-model",
                                           help="compare saved results made by other model code (refused "
                                                "otherwise)"),
    ensemble: Optional[Path] = typer.Option(None, "--ensemble",
                                            help="ensemble file of a history match (calibration/ensemble.parquet): "
                                                 "replication r takes the parameters of one of its members"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or table"),
):
    """Paired differences of scenarios from the first, under common random numbers: each
    scenario's level, the difference and its interval."""
    from ..analysis.compare import (
        check_compare_target,
        compare_results,
        paired_differences,
        pairs_text,
        prepare,
        refuse_run_options,
        run_all,
        saved_results,
        scenario_labels,
        shared_replications,
    )
    from ..executors import check_executor
    from ..report import check_report_folder

    options_given = dict(replications=replications is not None, seed=seed is not None, until=until is not None,
                         workers=workers is not None, executor=executor is not None, scheduler=scheduler is not None,
                         ensemble=ensemble is not None)
    replications = 50 if replications is None else replications
    seed = 42 if seed is None else seed
    executor = "process" if executor is None else executor
    check_run_options(replications, seed, workers, min_replications=2)
    try:
        check_executor(executor, scheduler)
        check_lang(lang)
    except CgtSimError as exc:
        fail(exc)
    year_list = parse_years(years)
    metric = metric or None  # no --metric: the defaults
    target = user_path(out) if out else Path("results") / "compare.csv"
    try:
        target = followed(target)  # a link is written where it points
    except CgtSimError as exc:
        fail(exc)
    check_output_file(target)
    try:
        check_compare_target(target)
        if report is not None:
            report = followed(user_path(report))
            check_report_folder(report)
    except CgtSimError as exc:
        fail(exc)
    try:
        saved = saved_results(scenarios)
        if saved is not None:
            refuse_run_options(options_given)
            table = compare_results(saved[0], year_list, metric, level, names=saved[1],
                                    allow_other_model=allow_other_model)
        elif allow_other_model:
            refuse_run_options({"allow_other_model": True})
    except CgtSimError as exc:
        fail(exc)
    if saved is not None:
        _write_comparison(table, target, level, pairs_text(shared_replications(saved[0]), lang), quiet, lang)
        if report is not None:
            _write_report([str(user_path(x)) for x in scenarios], report, metric, level, lang, quiet)
        return
    try:
        scs, year_list, metric = prepare(scenarios, until, year_list, metric, level=level, ensemble=ensemble)
    except CgtSimError as exc:
        fail(exc)
    progress_cm, task_cb = progress(quiet, replications * len(scs), "compare")
    callback = None if task_cb is None else (lambda i, done, total: task_cb(i * replications + done, None))
    try:
        with progress_cm:
            results = run_all(scs, replications, seed, workers, callback, executor, scheduler)
    except CgtSimError as exc:  # an unreachable scheduler
        fail(exc)
    names = scenario_labels(scs)
    table = paired_differences(results, metric, year_list, level, names)
    _write_comparison(table, target, level, pairs_text([replications], lang), quiet, lang)
    if report is not None:
        _write_report(results, report, metric, level, lang, quiet, names)


def _write_report(results, folder: Path, metrics, level: float, lang: str, quiet: bool, names=None) -> None:
    """The report of the compared results: a difference chart per metric, and the rest."""
    from ..report import write_report

    try:
        path = font_notes(lambda: write_report(results, folder, metrics=metrics, level=level, lang=lang,
                                               labels=names))
    except CgtSimError as exc:
        fail(exc)
    if not quiet:
        typer.echo(f"report written to {path} and {path.with_name('report.html')}")


def _write_comparison(table, target: Path, level: float, pairs: str, quiet: bool, lang: str = "en") -> None:
    """Write the table whole beside ``target`` and rename it into place, holding the lock of
    ``target``; a failed write (no space left) leaves ``target`` as it was and no temporary
    file."""
    with held(target):
        tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            table.to_csv(tmp, index=False)
            with sigint_deferred():
                tmp.replace(target)
                WRITTEN.append(target)
        except OSError as exc:
            raise refused(exc, target) from None
        finally:
            tmp.unlink(missing_ok=True)
    if not quiet:
        _print_comparison(table, level, pairs, lang)
        typer.echo(f"comparison written to {target}")


def _print_comparison(table, level: float, pairs: str, lang: str = "en") -> None:
    """Per scenario, metric and year: both levels, the paired difference with its interval,
    and what it says; metrics named and numbers written as in run's headline table."""
    heads, rows = difference_rows(table, level, lang)
    title = (f"difference from {table['baseline'].iloc[0]}: mean [{level:.0%} paired interval], {pairs}; "
             if lang == "en" else f"与{table['baseline'].iloc[0]}之差：均值 [{level:.0%}配对置信区间]，{pairs}；")
    title += say("unclear_means", lang)
    print_table(title, heads, rows, right=tuple(heads[2:6]), heads=3)
