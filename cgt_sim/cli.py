"""The ``cgt-sim`` command line: run, show, schema.

Bad input gives one line naming the file and the key, exit code 2, and writes nothing.
"""

from __future__ import annotations

import json
import signal
import sys
import warnings
from pathlib import Path
from typing import List, Optional

import typer
import yaml
from typer.core import TyperCommand, TyperGroup

from .parameters import CATALOGUE
from .paths import user_path
from .results import (LABELS, WRITTEN, band_text, bands_text, earlier_run_text, followed, format_number as _fmt,
                      overrides_text, replications_text, sigint_deferred, unique_ending)
from .scenario import (AfterHorizonWarning, ScenarioError, after_horizon_notes, default_scenario, fitted_targets,
                       fixed_for_run, load_scenario, value_text, yaml_value)
from .sources import cite


class _PlainFlags:
    """Help that shows a flag (--quiet, --resume, --help) as a plain flag: typer's rich help
    gives every option a type, so a flag read `<bool>`, as if it took a value (it takes none)."""

    def format_help(self, ctx, formatter) -> None:
        flags = [p for p in self.get_params(ctx) if getattr(p, "is_flag", False) and p.metavar is None]
        for p in flags:
            p.metavar = ""  # shown in place of the type; only while the help is written
        try:
            return super().format_help(ctx, formatter)
        finally:
            for p in flags:
                p.metavar = None


class _Command(_PlainFlags, TyperCommand):
    pass


class _Group(_PlainFlags, TyperGroup):
    pass


class _App(typer.Typer):
    """typer.Typer whose commands show flags as flags in their help (see _PlainFlags)."""

    def command(self, *args, **kwargs):
        kwargs.setdefault("cls", _Command)
        return super().command(*args, **kwargs)


app = _App(cls=_Group, add_completion=False, no_args_is_help=True,
           help="cgt-sim: simulate how cell and gene therapy becomes an industry.")


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"cgt-sim {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                          help="print the version and exit")) -> None:
    pass  # the options of cgt-sim itself; the help text is the app's


def _fail(message: str | ScenarioError) -> None:
    """Print one line (a ScenarioError as the command line names things) and exit with code 2."""
    if isinstance(message, ScenarioError):
        message = message.command_line
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _check_run_options(replications: int, seed: int, workers, min_replications: int = 1) -> None:
    if replications < min_replications:
        why = " to give an interval" if min_replications > 1 else ""
        _fail(f"--replications: must be a whole number >= {min_replications}{why} (got {replications})")
    if seed < 0:
        _fail(f"--seed: must be a whole number >= 0 (got {seed})")
    if workers is not None and workers < 1:
        _fail(f"--workers: must be a whole number >= 1 (got {workers})")


def _yaml_problem(exc) -> str:
    """The reason a YAML value could not be read, in a few words."""
    return str(getattr(exc, "problem", None) or exc).splitlines()[0]


def parse_sets(items: list[str] | None) -> dict:
    """Parse ``--set key=value`` items (values are YAML: 30, 0.5, true, {value: 30, from: 2026-01-01})."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ScenarioError("--set", item, "expected key=value, e.g. regulatory.ind_review_working_days=30")
        key, _, raw = item.partition("=")
        key = key.strip()
        if not key:
            raise ScenarioError(f"--set {item!r}", None, "expected KEY=VALUE with a parameter name before '='")
        try:
            value = yaml_value(raw) if raw.strip() else None
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            raise ScenarioError("--set", key, f"could not read the value {raw!r} ({_yaml_problem(exc)})") from None
        if value is None:
            raise ScenarioError("--set", key, "needs a value after '='")
        if key in out:
            raise ScenarioError("--set", key, "is given twice; give each key once")
        out[key] = value
    return out


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or table"),
):
    """Run a scenario and write its results (Parquet tables, summary.csv, manifest.json)."""
    from .runner import Interrupted, check, resolve, run as run_scenario

    _check_run_options(replications, seed, workers)
    options = dict(executor=executor, scheduler=scheduler, resume=resume, precision=precision, metric=metric,
                   precision_year=precision_year, programs=programs)
    try:
        sc = resolve(scenario, parse_sets(set_), until)
        target = out or Path("results") / sc.name
        check(sc, replications, seed, out=target, **options)
    except ScenarioError as exc:
        _fail(exc)
    untouched = resume and precision is None and _nothing_to_resume(target, sc, seed, programs, replications)
    replaced = None if resume else earlier_run_text(target)  # said at the end: a new run replaces it
    _say_notes(after_horizon_notes(sc))
    progress_cm, callback = _progress(quiet, replications, sc.name)
    try:
        with progress_cm, warnings.catch_warnings():
            warnings.simplefilter("ignore", AfterHorizonWarning)  # noted above, as the command says it
            res = run_scenario(sc, replications=replications, seed=seed, workers=workers, progress=callback,
                               out=target, **options)
    except ScenarioError as exc:  # found only when the work starts, e.g. an unreachable scheduler
        _fail(exc)
    except Interrupted as exc:
        how = "; run the same command with --resume to complete it" if exc.partial is not None else ""
        typer.echo(f"interrupted: {exc}{how}", err=True)
        _INTERRUPTION_SAID.append(True)
        raise typer.Exit(130)
    if not quiet:
        _print_headline(res, target, untouched=untouched, replaced=replaced)


def _nothing_to_resume(target: Path, sc, seed: int, programs: str, replications: int) -> bool:
    """Whether ``target`` already holds exactly this run (the runner then returns it as it is)."""
    from .checkpoint import Checkpoint, identity

    return Checkpoint(target).complete(identity(sc, seed, programs), replications)


def _check_result_folder(target: Path, kind: str) -> None:
    """A result folder may replace an earlier cgt-sim result of its kind (see
    ``results.check_result_folder``), never anything else; checked before any work."""
    from .results import check_result_folder

    try:
        check_result_folder(target, kind)
    except ScenarioError as exc:
        _fail(exc)


def _check_output_file(target: Path) -> None:
    """An output file (a table, a fitted file) can be written: checked before any work."""
    from .results import check_writable

    if target.is_dir():
        _fail(f"{target}: is a folder; give a file name")
    try:
        check_writable(target)
    except ScenarioError as exc:
        _fail(exc)


def _parse_years(years: str | None) -> list[int] | None:
    if years is not None and not years.strip():
        _fail("--years: is empty: give years such as 2030,2035, or leave it out for the defaults")
    try:
        return [int(y) for y in years.split(",")] if years else None
    except ValueError:
        _fail(f"--years: expected comma-separated years such as 2030,2035 (got {years!r})")


def _remaining_column():
    """Time left at the average pace so far: work arrives in chunks, so an estimate from the
    latest jumps (rich's own column) swings and stalls; this one counts down between them."""
    import datetime as dt

    from rich.progress import ProgressColumn
    from rich.text import Text

    class Remaining(ProgressColumn):
        def render(self, task):
            pace = task.fields.get("pace")  # (elapsed at the last report, seconds per unit so far)
            if task.finished:
                return Text("0:00:00", style="progress.remaining")
            if pace is None or task.total is None:
                return Text("-:--:--", style="progress.remaining")
            # at least a second while work is left: a chunk can take longer than the pace so far
            left = max(1.0, pace[1] * (task.total - task.completed) - ((task.elapsed or 0.0) - pace[0]))
            return Text(str(dt.timedelta(seconds=int(round(left)))), style="progress.remaining")

    return Remaining()


def _progress(quiet: bool, total: int, name: str, unit: str = "replications"):
    import contextlib

    if quiet:
        return contextlib.nullcontext(), None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    prog = Progress(TextColumn(f"[bold]{name}[/]"), BarColumn(), MofNCompleteColumn(), TextColumn(unit),
                    TimeElapsedColumn(), _remaining_column(), transient=False, console=Console())
    task = prog.add_task("run", total=total)
    started, started_at = [], {}

    def callback(done, total=None):  # the bar appears with the first report, once work has started
        if not started:
            prog.start()
            started.append(True)
        prog.update(task, completed=done, **({"total": total} if total else {}))
        elapsed = next(t.elapsed for t in prog.tasks if t.id == task) or 0.0
        first = started_at.setdefault("at", (elapsed, done))  # replications taken over count from here
        if done > first[1]:
            prog.update(task, pace=(elapsed, (elapsed - first[0]) / (done - first[1])))

    @contextlib.contextmanager
    def shown():
        try:
            yield
        finally:
            if started:
                prog.stop()

    return shown(), callback


def _print_headline(res, path: Path, untouched: bool = False, replaced: str | None = None) -> None:
    from rich.console import Console
    from rich.markup import escape

    h = res.headline()
    years = [str(y) for y in sorted(h["year"].unique())]
    rows = []
    for metric, label in LABELS.items():
        row = [label]
        for y in years:
            r = h[(h["metric"] == metric) & (h["year"] == int(y))]
            row.append("-" if r.empty else band_text(r.iloc[0]["mean"], r.iloc[0]["p5"], r.iloc[0]["p95"]))
        rows.append(row)
    console = Console()
    _print_table(f"{res.manifest['scenario']['name']}: mean [p5-p95] over "
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


@app.command()
def compare(
    scenarios: List[Path] = typer.Argument(..., help="scenario YAML files, or result folders written by run (compared "
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
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="worker processes (default: all cores)"),
    executor: Optional[str] = typer.Option(None, "--executor", "-e",
                                           help="process, serial or dask (as for run; default process)"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address (as for run)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or table"),
):
    """Paired differences of scenarios from the first, under common random numbers."""
    from .compare import (check_compare_target, compare as run_compare, compare_results, pairs_text, prepare,
                          refuse_run_options, saved_results, shared_replications)
    from .executors import check_executor

    options_given = dict(replications=replications is not None, seed=seed is not None, until=until is not None,
                         workers=workers is not None, executor=executor is not None, scheduler=scheduler is not None)
    replications = 50 if replications is None else replications
    seed = 42 if seed is None else seed
    executor = "process" if executor is None else executor
    _check_run_options(replications, seed, workers, min_replications=2)
    try:
        check_executor(executor, scheduler)
    except ScenarioError as exc:
        _fail(exc)
    year_list = _parse_years(years)
    metric = metric or None  # no --metric: the defaults
    target = user_path(out) if out else Path("results") / "compare.csv"
    try:
        target = followed(target)  # a link is written where it points
    except ScenarioError as exc:
        _fail(exc)
    _check_output_file(target)
    try:
        check_compare_target(target)
    except ScenarioError as exc:
        _fail(exc)
    try:
        saved = saved_results(scenarios)
        if saved is not None:
            refuse_run_options(options_given)
            table = compare_results(saved[0], year_list, metric, level, names=saved[1])
    except ScenarioError as exc:
        _fail(exc)
    if saved is not None:
        _write_comparison(table, target, level, pairs_text(shared_replications(saved[0])), quiet)
        return
    try:
        scs, year_list, metric = prepare(scenarios, until, year_list, metric, level=level)
    except ScenarioError as exc:
        _fail(exc)
    progress_cm, task_cb = _progress(quiet, replications * len(scs), "compare")
    callback = None if task_cb is None else (lambda i, done, total: task_cb(i * replications + done, None))
    try:
        with progress_cm:
            table = run_compare(scs, replications=replications, seed=seed, workers=workers, years=year_list,
                                metrics=metric, level=level, progress=callback, executor=executor,
                                scheduler=scheduler)
    except ScenarioError as exc:  # an unreachable scheduler
        _fail(exc)
    _write_comparison(table, target, level, pairs_text([replications]), quiet)


def _write_comparison(table, target: Path, level: float, pairs: str, quiet: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    table.to_csv(tmp, index=False)
    with sigint_deferred():
        tmp.replace(target)
        WRITTEN.append(target)
    if not quiet:
        _print_comparison(table, level, pairs)
        typer.echo(f"comparison written to {target}")


def _print_comparison(table, level: float, pairs: str) -> None:
    import pandas as pd

    years = sorted(table["year"].unique())
    rows = []
    for (scn, metric), g in table.groupby(["scenario", "metric"], sort=False):
        cells = []
        for y in years:
            r = g[g["year"] == y]
            if r.empty:
                cells.append("-")
                continue
            r = r.iloc[0]
            mark = " ~0" if r["includes_zero"] is not pd.NA and r["includes_zero"] else ""
            cells.append(band_text(r['diff_mean'], r['diff_low'], r['diff_high'], ", ") + mark)
        rows.append([scn, LABELS.get(metric, metric), *cells])
    _print_table(f"difference from {table['baseline'].iloc[0]}: mean [{level:.0%} paired interval], "
                 f"{pairs}; ~0 = interval includes zero",
                 ["scenario", "metric", *map(str, years)], rows, right=tuple(map(str, years)), heads=2)


@app.command()
def sensitivity(
    scenario: Path = typer.Argument(..., help="scenario YAML file with an 'uncertain:' block (the factors)"),
    method: str = typer.Option("sobol", "--method", help="sobol (variance-based) or morris (elementary effects)"),
    samples: Optional[int] = typer.Option(None, "--samples", "-n", help="sobol: base sample N, a power of 2 "
                                          "(N*(2D+2) points; default 64); morris: trajectories (N*(D+1) points; default 10)"),
    metric: str = typer.Option("approvals_2035", "--metric", "-m", help="<annual metric>_<year>, e.g. approvals_2035"),
    replications: int = typer.Option(2, "--replications", "-r", help="replications per sample point"),
    seed: int = typer.Option(42, "--seed", help="root random seed of every point and of the sampling (>= 0)"),
    until: Optional[int] = typer.Option(None, "--until", help="last simulated year (default: the metric's year)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="result folder (default results/<scenario>_sensitivity)"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="worker processes (default: all cores)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or table"),
):
    """Sobol or Morris sensitivity indices of one metric over the scenario's uncertain parameters."""
    from .sensitivity import execute, prepare

    _check_run_options(replications, seed, workers)
    try:
        plan = prepare(scenario, metric, method, samples, until, seed)
    except ScenarioError as exc:
        _fail(exc)
    target = out or Path("results") / f"{plan.scenario.name}_sensitivity"
    _check_result_folder(target, "sensitivity")
    progress_cm, callback = _progress(quiet, plan.points, f"{plan.scenario.name} {method}", "points")
    with progress_cm:
        try:
            result = execute(plan, replications, workers, callback)
        except ScenarioError as exc:
            _fail(exc)
    path = _font_notes(result.save, target)
    if not quiet:
        _print_indices(result, path)


def _print_indices(result, path: Path) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    m = result.manifest
    t = Table(title=escape(f"{m['scenario']['name']}: {m['method']} indices of {m['metric']}"),
              caption=escape(f"{m['points']} points x {replications_text(m['replications'])}; +- half-width of "
                             "the 95% interval"))
    t.add_column("parameter", no_wrap=True)
    pairs = (("S1", "S1_conf"), ("ST", "ST_conf")) if m["method"] == "sobol" else (("mu_star", "mu_star_conf"),
                                                                                   ("sigma", None))
    for col, _ in pairs:
        t.add_column(col, justify="right")
    for _, r in result.indices.iterrows():
        cells = [f"{r[c]:.3g}" + (f" +- {r[conf]:.2g}" if conf else "") for c, conf in pairs]
        t.add_row(r["parameter"], *cells)
    console = Console()
    console.print(t)
    from .sensitivity import notes

    for text in notes(result):
        console.print(escape("note: " + text))
    console.print(f"sensitivity written to {path}/ ({m['wall_time_s']:.1f} s)")


@app.command()
def sweep(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    grid: Optional[List[str]] = typer.Option(None, "--grid", "-g", help="key=v1,v2,... (repeatable; the grid is "
                                             "every combination)"),
    replications: int = typer.Option(20, "--replications", "-r", help="replications per grid point"),
    seed: int = typer.Option(42, "--seed", help="root random seed, shared by every grid point (>= 0)"),
    until: Optional[int] = typer.Option(None, "--until", help="last simulated year"),
    years: Optional[str] = typer.Option(None, "--years", help="comma-separated years (default 2030,2035,horizon)"),
    metric: Optional[List[str]] = typer.Option(None, "--metric", "-m", help="annual metric (repeatable)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="result folder (default results/<scenario>_sweep)"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="worker processes (default: all cores)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or table"),
):
    """Run a scenario over a grid of parameter values with common random numbers: one tidy table."""
    from .sweep import execute, parse_grid, prepare

    _check_run_options(replications, seed, workers)
    year_list = _parse_years(years)
    metric = metric or None  # no --metric: the defaults
    try:
        plan = prepare(scenario, parse_grid(grid), until, year_list, metric)
    except ScenarioError as exc:
        _fail(exc)
    target = out or Path("results") / f"{plan.scenario.name}_sweep"
    _check_result_folder(target, "sweep")
    progress_cm, callback = _progress(quiet, len(plan.points), f"{plan.scenario.name} sweep", "grid points")
    with progress_cm:
        result = execute(plan, replications, seed, workers, callback)
    path = _font_notes(result.save, target)
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
        t.add_column(LABELS.get(col, col), justify="right", min_width=7)
    for _, r in wide.iterrows():
        t.add_row(*[_grid_text(r[k]) for k in result.keys], *[escape(_fmt(r.get(c, float("nan")))) for c in m["metrics"]])
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
                t.add_row(*[_grid_text(r[k]) if i == 0 else "" for k in result.keys], escape(LABELS.get(c, c)),
                          escape(_fmt(r.get(c, float("nan")))), end_section=i == len(m["metrics"]) - 1)
    console.print(t)
    for key, dates in m.get("grid_dates", {}).items():
        when = f"from {dates['from']}" if dates["to"] is None else f"as the target of the ramp {dates['from']} to {dates['to']}"
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


@app.command()
def calibrate(
    targets: Path = typer.Argument(..., help="targets file, e.g. calibration/targets.yaml"),
    scenario: Path = typer.Option(Path("scenarios/baseline.yaml"), "--scenario", "-s",
                                  help="scenario to fit (its calibrated: file is ignored while fitting)"),
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
    from .calibration import check_fitted_target, fit, fitted_document, prepare, start_from, write_fitted

    _check_run_options(replications, seed, workers)
    if budget < 1:
        _fail(f"--budget: must be a whole number >= 1 (got {budget})")
    target = out or targets.parent / "fitted.yaml"
    _check_output_file(target)
    try:
        check_fitted_target(target, None if out is not None else targets)
        ts, sc = prepare(targets, scenario)
        begin = None if start is None else start_from(start, ts)
    except ScenarioError as exc:
        _fail(exc)
    _say_notes(ts.after_horizon(sc))
    progress_cm, search_cb, final_cb = _calibrate_progress(quiet, budget, replications)
    with progress_cm:
        result = fit(sc, ts, budget=budget, replications=replications, seed=seed, workers=workers,
                     progress=search_cb, final_progress=final_cb, start=begin)
    path = write_fitted(target, fitted_document(result, ts, scenario, replications, seed, budget, start, out))
    if quiet:
        return
    from .validate import target_check

    _print_checks([target_check(s) for s in result.scored],
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
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

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
    _print_table("free parameters", ["parameter", "start", "fitted", "range"],
                 [[fp.key, f"{result.start[fp.key]:.4g}", f"{result.values[fp.key]:.4g}", f"{fp.low:g}-{fp.high:g}"]
                  for fp in ts.free], right=("start", "fitted", "range"))


@app.command()
def validate(
    targets: Path = typer.Option(Path("calibration/targets.yaml"), "--targets", "-t", help="targets file"),
    scenario: Path = typer.Option(Path("scenarios/baseline.yaml"), "--scenario", "-s", help="scenario to check"),
    replications: int = typer.Option(16, "--replications", "-r", help="replications of the scenario"),
    seed: int = typer.Option(42, "--seed", help="root random seed (>= 0)"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="worker processes (default: all cores)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or table; the exit code says it all"),
):
    """Check the model against closed forms, its calibration targets and published rates.

    Exit code 0 when every counted check passes, 1 when one fails, 2 on bad input."""
    from .validate import failed, prepare as prepare_validation, validate as run_validation

    _check_run_options(replications, seed, workers)
    try:
        sc, ts = prepare_validation(scenario, targets)
    except ScenarioError as exc:
        _fail(exc)
    _say_notes(ts.after_horizon(sc))
    progress_cm, callback = _progress(quiet, replications, "validate")
    with progress_cm:
        rows = run_validation(sc, ts, replications=replications, seed=seed, workers=workers, progress=callback)
    bad = failed(rows)
    if not quiet:
        _print_checks(rows, f"validation of {sc.name}: {replications_text(replications)}, seed {seed}")
        gaps = sum(1 for r in rows if r.passed is False and not r.counted and r.group != "LoA")
        typer.echo(f"{len(bad)} counted check(s) failed" + (f"; {gaps} known gap(s)" if gaps else "")
                   + "; LoA rows compare, they do not fail the run")
    if bad:
        raise typer.Exit(1)


def _print_table(title: str, columns: list, rows: list, *, right=(), heads: int = 1, caption: str | None = None,
                 console=None) -> None:
    """A table of ``rows`` (plain text cells) under ``columns``; columns in ``right`` are
    right-aligned and kept on one line. Numbers and words are never cut: where the table does not
    fit the console even with its text wrapped at spaces, each row becomes a block, its first ``heads`` cells
    on one line and the others as "column: value" lines below."""
    from rich.cells import cell_len
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console()
    t = Table(title=escape(title), caption=escape(caption) if caption else None)
    for col in columns:  # figures on one line; text may wrap at spaces
        t.add_column(escape(col), justify="right" if col in right else "left", no_wrap=col in right)
    for row in rows:
        t.add_row(*[escape(str(c)) for c in row])

    def least(i: int, col: str) -> int:  # a right column's whole cells; a text column's longest word
        cells = [str(row[i]) for row in rows] + [col]
        return max(cell_len(c) if col in right else max((cell_len(w) for w in c.split()), default=0)
                   for c in cells)

    if sum(least(i, col) + 3 for i, col in enumerate(columns)) + 1 <= console.width:  # 3: padding and rule
        console.print(t)
        return
    # too narrow: a block per row
    console.print(escape(title), style="italic")
    for row in rows:
        console.print(escape(" ".join(str(c) for c in row[:heads] if str(c))), style="bold")
        line = ""
        for item in (f"{col}: {c}" for col, c in zip(columns[heads:], row[heads:]) if str(c)):
            if line and cell_len(line) + 3 + cell_len(item) > console.width:  # items side by side
                console.print(escape(line))
                line = ""
            line = f"{line}   {item}" if line else f"  {item}"
        if line:
            console.print(escape(line))
    if caption:
        console.print(escape(caption))


def _print_checks(rows, title: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    _print_table(title, ["group", "check", "simulated [interval]", "expected / tolerance", "pass", "note"],
                 [[r.group, r.name, r.simulated_text(), r.expected, r.verdict(), r.note] for r in rows],
                 right=("simulated [interval]",), heads=2, console=console)
    kinds = sorted({(r.group, r.interval) for r in rows})
    console.print(escape("intervals: " + "; ".join(f"{g}: {i}" for g, i in kinds)))


def _font_notes(write, *args):
    """``write(*args)``, with a chart font's missing characters said once as a note on stderr
    (a ChartFontWarning), as every command that draws charts says it."""
    from .report import ChartFontWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ChartFontWarning)
        value = write(*args)
    for w in caught:
        if issubclass(w.category, ChartFontWarning):
            _say_notes([w.message])
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return value


def _say_notes(notes) -> None:
    """Each note as one line on stderr, "note: ...", as every command says them."""
    for note in notes:
        typer.echo(f"note: {note}", err=True)


@app.command()
def report(
    results: List[Path] = typer.Argument(..., help="result folders written by run (several are overlaid)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="report folder (default <first result>/report)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no closing line"),
):
    """Write PNG fan charts, a program-outcome funnel and report.md for one or more results."""
    from .report import write_report

    results = [user_path(d) for d in results]  # a quoted ~ too, as load_results takes it
    out = user_path(out) if out is not None else None
    for d in results:
        if not d.exists():
            _fail(f"{d}: not found")
        if not (d / "manifest.json").exists():
            _fail(f"{d}: not a cgt-sim result folder (no manifest.json); write one with cgt-sim run")
    if out is not None and out.exists() and not out.is_dir():
        _fail(f"{out}: exists and is not a folder")
    try:
        path = _font_notes(write_report, [str(d) for d in results], out)
    except ScenarioError as exc:  # not a run result: a sweep or sensitivity folder, an unreadable manifest
        _fail(exc)
    if not quiet:
        typer.echo(f"report written to {path}")


@app.command()
def show(
    scenario: Path = typer.Argument(..., help="scenario YAML file"),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="override a parameter: key=value (repeatable)"),
    as_json: bool = typer.Option(False, "--json", help="print the resolved scenario as JSON"),
    only: Optional[str] = typer.Option(None, "--only", help="show only keys starting with this prefix, e.g. market"),
):
    """Print the resolved parameter tree: value, unit, valid range, source, and who set it."""
    try:
        sc = load_scenario(scenario, parse_sets(set_))
    except ScenarioError as exc:
        _fail(exc)
    if only is not None and not any(key.startswith(only) for key in CATALOGUE):
        _fail(_unknown_prefix(only))
    if as_json:
        data = sc.to_dict()
        if only:
            for part in ("parameters", "origin", "uncertain"):
                data[part] = {k: v for k, v in data[part].items() if k.startswith(only)}
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    typer.echo(f"# {sc.name}: {sc.description}" if sc.description else f"# {sc.name}")
    if sc.source:
        typer.echo(f"# source: {'; '.join(cite(part.strip()) for part in sc.source.split(','))}")
    typer.echo(f"# files: {' <- '.join(reversed(sc.files)) or '(defaults)'}")
    sources = source_texts(sc)
    section = None
    for key, p in CATALOGUE.items():
        if only and not key.startswith(only):
            continue
        head = key.split(".")[0]
        if head != section:
            section = head
            typer.echo(f"\n[{section}]")
        origin = sc.origin.get(key, "default")
        marker = "" if origin == "default" else f"   <- set in {origin}"
        unc = sc.uncertain.get(key)
        unc_text = (f"   ~ {unc.dist}({', '.join(f'{k}={v}' for k, v in unc.args.items())})"
                    + (f" declared in {unc.declared_in}" if unc.declared_in else "")) if unc else ""
        outside = origin != "default" and key not in sc.calibrated and _outside_plausible(p, sc.values[key])
        typer.echo(f"  {key} = {value_text(key, sc.values[key])} {p.unit}{marker}{unc_text}"
                   + ("   (outside the plausible range)" if outside else ""))
        typer.echo(f"      range: {p.range_text()}" + (f"; plausible {p.plausible[0]:g} to {p.plausible[1]:g}"
                                                        if p.plausible else ""))
        typer.echo(f"      source: {sources[key]}")
        typer.echo(f"      {p.doc}")


def _outside_plausible(p, value) -> bool:
    """Whether a value (any value of a dated one) lies outside the parameter's plausible range
    (``show`` marks the values a scenario or --set chose so: a what-if beyond what the range
    takes as plausible)."""
    from .timeline import Schedule

    if not p.plausible or isinstance(value, bool):
        return False
    values = value.values() if isinstance(value, Schedule) else [value]
    low, high = p.plausible
    return any(isinstance(v, (int, float)) and not low <= v <= high for v in values)


def _unknown_prefix(only: str) -> str:
    """The --only error: the closest prefix of a parameter key, and the sections."""
    from .scenario import _suggest

    sections = dict.fromkeys(key.split(".")[0] for key in CATALOGUE)
    return (f"--only: no parameter starts with {only!r}{_suggest(only, _prefixes(CATALOGUE, whole=True))}; "
            "the sections are " + ", ".join(sections))


def _prefixes(keys, whole: bool = False) -> list[str]:
    """The dotted prefixes of parameter keys in first-seen order ("a" and "a.b" of "a.b.c"),
    and the keys themselves when ``whole``."""
    found: dict = {}
    for key in keys:
        parts = key.split(".")
        for i in range(1, len(parts) + whole):
            found.setdefault(".".join(parts[:i]))
    return list(found)


def source_texts(sc) -> dict:
    """Each parameter's source; a calibrated value cites the fitted file (and the targets it was
    fitted to) and the catalogue default it replaced; a value a scenario file or --set changed
    names where, and cites the source of the default it replaced as the default's (a what-if's
    value is the scenario's, not the source's). Each fitted file is read once."""
    targets = {f: fitted_targets(f) for f in set(sc.calibrated.values())}
    defaults = default_scenario().values
    out = {}
    for key, p in CATALOGUE.items():
        fitted = sc.calibrated.get(key)
        origin = sc.origin.get(key, "default")
        if fitted is None and origin != "default" and sc.values[key] != defaults[key]:
            where = (f"the value set in {origin} (see its source: line)" if origin.endswith((".yaml", ".yml"))
                     else f"the value given with {origin} (a what-if)")
            out[key] = f"{where}; catalogue default {value_text(key, defaults[key])}: {cite(p.source)}"
        elif fitted is None:
            out[key] = cite(p.source)
        else:
            out[key] = (f"calibrated ({fitted}, to the targets in {targets[fitted]}): {cite('calibrated')}; "
                        f"catalogue default {value_text(key, defaults[key])}: {cite(p.source)}")
    return out


@app.command()
def schema():
    """Print a JSON Schema for scenario files (for editor completion and validation)."""
    try:
        typer.echo(json.dumps(scenario_json_schema(), indent=2))
    except OSError as exc:  # e.g. redirected to a full disk
        _fail(f"cannot write the schema ({exc.strerror or exc})")


# A number written as text (YAML 1.1 reads 50e6 or 1.5e3 as text; the loader takes them as
# numbers). Its range is checked by the loader only.
NUMBER_TEXT = {"type": "string", "description": "a number written as text, such as 50e6",
               "pattern": r"^\s*[+-]?(\d(_?\d)*(\.(\d(_?\d)*)?)?|\.\d(_?\d)*)([eE][+-]?\d(_?\d)*)?\s*$"}


def _or_text(number: dict) -> dict:
    """A numeric schema that also takes the number written as text."""
    return {"anyOf": [number, NUMBER_TEXT]}


def scenario_json_schema() -> dict:
    """JSON Schema of scenario files: every form of value the loader takes in ``set`` (a plain
    value, a step, a ramp, steps, a list of these), the distributions of ``uncertain``, and keys
    given dotted or as nested mappings (``manufacturing: {suites_2015: {jiangsu: 40}}``)."""
    props, dists = {}, {}
    for key, p in CATALOGUE.items():
        if p.kind == "bool":
            props[key] = {"type": "boolean", "description": p.doc}
            continue
        if p.kind == "date":
            props[key] = {"type": ["string", "integer"], "description": p.doc}
            continue
        num = {"type": "number" if p.kind == "float" else "integer"}
        if p.low is not None:
            num["minimum"] = p.low
        if p.high is not None:
            num["maximum"] = p.high
        description = f"{p.doc} [{p.unit}]"
        if not key.startswith("simulation."):
            dists[key] = _distribution_schema(p, num)
        if fixed_for_run(key):  # one value for the whole run
            props[key] = {"description": description, "anyOf": [num, NUMBER_TEXT]}
            continue
        value = _or_text(num)
        dated = {"$ref": "#/$defs/dated", "properties": {"value": value}}
        steps = {"$ref": "#/$defs/steps", "properties": {"steps": {"additionalProperties": value}}}
        changes = {"type": "array", "items": {"$ref": f"#/properties/set/properties/{key}"}}  # applied in order
        props[key] = {"description": description, "anyOf": [num, NUMBER_TEXT, dated, steps, changes]}
    date = {"type": ["string", "integer"], "description": "a date (YYYY-MM-DD) or a year"}
    defs = {"dated": {"type": "object", "properties": {"value": {}, "from": date, "to": date},
                      "required": ["value"], "dependentRequired": {"to": ["from"]}, "additionalProperties": False,
                      "description": "a value from a date (a step), or reached by 'to' (a ramp from 'from')"},
            "steps": {"type": "object", "properties": {"steps": {
                          "type": "object", "minProperties": 1,
                          "propertyNames": {"pattern": "^[0-9]{4}(-[0-9]{2}-[0-9]{2})?$"}}},
                      "required": ["steps"], "additionalProperties": False,
                      "description": "date: value, each a step from its date"},
            **_distribution_defs()}
    sections = {}
    for section, leaves in (("set", props), ("uncertain", dists)):
        patterns = _nested_key_schemas(section, leaves, defs)
        sections[section] = {"type": ["object", "null"], "properties": leaves, "patternProperties": patterns,
                             "additionalProperties": False}  # null: the key given empty, as the loader allows
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cgt-sim scenario",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "pattern": "^(?!\\.)(?!.*\\.\\.)[\\w.-]+$",
                     "description": "names the result folder results/<name>: letters, digits, _, - and ., "
                                    "not starting with '.'"},
            "extends": {"type": "string"},
            "description": {"type": "string"},
            "source": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                       "description": "citation of the scenario: text, or source keys (A004, NMPA_IND...)"},
            "calibrated": {"type": "string"},
            "notes": {"type": "string"},
            "set": sections["set"],
            "uncertain": sections["uncertain"],
        },
        "$defs": defs,
    }


def _distribution_schema(p, num: dict) -> dict:
    """``uncertain`` entry of parameter p: one of the distributions (their own fields only, from
    ``$defs``), with p's range on the values drawn; normal and lognormal must be cut by low/high
    wherever p's valid range ends."""
    from .scenario import DISTRIBUTIONS, support_bounds

    branches = []
    for dist in DISTRIBUTIONS:
        branch = {"$ref": f"#/$defs/dist:{dist}"}
        cuts = support_bounds(p, dist)
        if cuts:
            branch["required"] = cuts
        branches.append(branch)
    value = _or_text(num)
    return {"type": "object", "oneOf": branches,
            "properties": {"low": value, "high": value, "mode": value, "values": {"items": value}}}


def _distribution_defs() -> dict:
    """``$defs`` of the distributions of ``uncertain``: the fields each takes, and which it needs."""
    from .scenario import DISTRIBUTIONS

    def number(**bounds):
        return _or_text({"type": "number", **bounds})

    at_least_0 = number(minimum=0)
    fields = {"low": number(), "high": number(), "mode": number(), "mean": number(), "sd": at_least_0,
              "median": number(exclusiveMinimum=0), "sigma": at_least_0,
              "values": {"type": "array", "minItems": 1, "items": number()},
              "weights": {"type": "array", "items": at_least_0}}
    return {f"dist:{dist}": {"type": "object",
                             "properties": {"dist": {"const": dist}, **{k: fields[k] for k in sorted(need | optional)}},
                             "required": ["dist"] + sorted(need), "additionalProperties": False}
            for dist, (need, optional) in DISTRIBUTIONS.items()}


def _nested_key_schemas(section: str, leaves: dict, defs: dict) -> dict:
    """The nested form of a section's keys: one $defs entry per dotted prefix of the parameter
    keys (its properties: the rest of each key below it, dotted or nested again); returns the
    section's patternProperties, which admit each prefix as a key."""
    import re

    prefixes = _prefixes(leaves)
    for prefix in prefixes:
        below = {}
        for key in leaves:
            if key.startswith(prefix + "."):
                below[key[len(prefix) + 1:]] = {"$ref": f"#/properties/{section}/properties/{key}"}
        for other in prefixes:
            if other.startswith(prefix + "."):
                below[other[len(prefix) + 1:]] = {"$ref": f"#/$defs/{section}:{other}"}
        defs[f"{section}:{prefix}"] = {"type": "object", "properties": below, "additionalProperties": False}
    return {"^" + re.escape(prefix) + "$": {"$ref": f"#/$defs/{section}:{prefix}"} for prefix in prefixes}


def _click_exceptions():
    """The exception module of the click that typer runs on (recent typers carry their own)."""
    try:
        from typer._click import exceptions
    except ImportError:
        from click import exceptions
    return exceptions


# Set when a command has said how it was interrupted (run: what it kept), so main does not
# add its own line.
_INTERRUPTION_SAID: list = []


def _aborts() -> tuple:
    """Ctrl-C as typer and click report it when they do not exit themselves."""
    found = [KeyboardInterrupt, typer.Abort]
    try:
        from click import Abort
        found.append(Abort)
    except ImportError:
        pass
    return tuple(found)


def main():  # console-script entry point
    """Run the command line; a mistyped command or option is one line and exit code 2, as
    every other bad input is (typer would draw a box of several lines)."""
    errors = _click_exceptions()
    no_args = tuple(getattr(errors, n) for n in ("NoArgsIsHelpError", "NoArgsIsHelp") if hasattr(errors, n))
    try:
        code = app(standalone_mode=False)
    except no_args:  # plain `cgt-sim`: the overview, as --help gives it
        code = app(["--help"], standalone_mode=False)
    except errors.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "cgt-sim"
        typer.echo(f"error: {where}: {' '.join(exc.format_message().split())} (see {where} --help)", err=True)
        code = 2
    except errors.ClickException as exc:
        typer.echo(f"error: {exc.format_message()}", err=True)
        code = exc.exit_code
    except _aborts():
        code = 130
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the command is over: a late Ctrl-C changes nothing
    if code == 130 and not _INTERRUPTION_SAID:  # (recent typers turn Ctrl-C into exit code 130 silently)
        typer.echo(f"interrupted after writing {', '.join(map(str, WRITTEN))}" if WRITTEN
                   else "interrupted: nothing was written", err=True)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
