"""The ``cgt-sim`` command line: run, show, schema.

Bad input gives one line naming the file and the key, exit code 2, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
import yaml

from .parameters import CATALOGUE
from .results import format_number as _fmt
from .scenario import ScenarioError, load_scenario
from .sources import cite
from .timeline import Schedule

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="cgt-sim: simulate how cell and gene therapy becomes an industry.")


def _fail(message: str) -> None:
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


def parse_sets(items: list[str] | None) -> dict:
    """Parse ``--set key=value`` items (values are YAML: 30, 0.5, true, {value: 30, from: 2026-01-01})."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ScenarioError("--set", item, "expected key=value, e.g. regulatory.ind_review_working_days=30")
        key, _, raw = item.partition("=")
        key = key.strip()
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except (yaml.YAMLError, ValueError, TypeError):
            raise ScenarioError("--set", key, f"could not read the value {raw!r}") from None
        if value is None:
            raise ScenarioError("--set", key, "needs a value after '='")
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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or table"),
):
    """Run a scenario and write its results (Parquet tables, summary.csv, manifest.json)."""
    from .runner import resolve, run as run_scenario

    _check_run_options(replications, seed, workers)
    try:
        sc = resolve(scenario, parse_sets(set_), until)
    except ScenarioError as exc:
        _fail(str(exc))
    target = out or Path("results") / sc.name
    if target.exists() and (not target.is_dir() or (not (target / "manifest.json").exists()
                                                    and any(target.iterdir()))):
        _fail(f"{target}: exists and is not a cgt-sim result folder; choose another --out")
    progress_cm, callback = _progress(quiet, replications, sc.name)
    with progress_cm:
        res = run_scenario(sc, replications=replications, seed=seed, workers=workers, progress=callback)
    path = res.save(target)
    if not quiet:
        _print_headline(res, path)


def _progress(quiet: bool, total: int, name: str):
    import contextlib

    if quiet:
        return contextlib.nullcontext(), None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    prog = Progress(TextColumn(f"[bold]{name}[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("replications"),
                    TimeElapsedColumn(), TimeRemainingColumn(), transient=False)
    task = prog.add_task("run", total=total)

    def callback(done, _total):
        prog.update(task, completed=done)

    return prog, callback


LABELS = {
    "programs_in_clinic": "programs in clinic (IIT, Phase I-III, review)",
    "cumulative_ind_approvals": "cumulative IND approvals",
    "cumulative_approvals": "cumulative marketing approvals",
    "patients_treated": "patients treated (year)",
    "cogs_per_patient_cny": "cost of goods per patient (CNY)",
    "net_price_per_patient_cny": "net price per patient (CNY)",
    "vein_to_vein_days_median": "median vein-to-vein (days)",
    "manufacturing_utilisation": "manufacturing utilisation",
}


def _print_headline(res, path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    h = res.headline()
    years = sorted(h["year"].unique())
    from rich.markup import escape

    table = Table(title=escape(f"{res.manifest['scenario']['name']}: mean [p5-p95] over "
                               f"{res.manifest['replications']} replications"))
    table.add_column("metric")
    for y in years:
        table.add_column(str(y), justify="right")
    for metric, label in LABELS.items():
        row = [label]
        for y in years:
            r = h[(h["metric"] == metric) & (h["year"] == y)]
            if r.empty:
                row.append("-")
            else:
                r = r.iloc[0]
                row.append(escape(f"{_fmt(r['mean'])} [{_fmt(r['p5'])}-{_fmt(r['p95'])}]"))
        table.add_row(*row)
    console = Console()
    console.print(table)
    console.print(f"results written to {path}/ ({res.manifest['wall_time_s']:.1f} s)")


def _value_text(key: str, v) -> str:
    p = CATALOGUE[key]
    if isinstance(v, Schedule):
        if v.is_constant:
            return _num(v.values()[0], p.kind)
        parts = []
        prev = None
        for i, (d, val) in enumerate(v.knots):
            if i == 0:
                parts.append(_num(val, p.kind))
            elif d == prev[0]:
                parts.append(f"-> {_num(val, p.kind)} from {d.isoformat()}")
            elif val != prev[1]:
                parts.append(f"~> {_num(val, p.kind)} by {d.isoformat()}")
            prev = (d, val)
        return " ".join(parts)
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).lower() if isinstance(v, bool) else str(v)


def _num(x: float, kind: str) -> str:
    return str(int(round(x))) if kind == "int" else f"{x:g}"


@app.command()
def compare(
    scenarios: List[Path] = typer.Argument(..., help="scenario YAML files; the first is the reference"),
    replications: int = typer.Option(50, "--replications", "-r", help="replications per scenario"),
    seed: int = typer.Option(42, "--seed", help="root random seed, shared by all scenarios (>= 0)"),
    until: Optional[int] = typer.Option(None, "--until", help="last simulated year"),
    years: Optional[str] = typer.Option(None, "--years", help="comma-separated years (default 2030,2035,horizon)"),
    metric: Optional[List[str]] = typer.Option(None, "--metric", "-m", help="annual metric (repeatable)"),
    level: float = typer.Option(0.90, "--level", help="confidence level of the intervals"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="CSV file (default results/compare.csv)"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="worker processes (default: all cores)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or table"),
):
    """Paired differences of scenarios from the first, under common random numbers."""
    from .compare import compare as run_compare, prepare

    _check_run_options(replications, seed, workers, min_replications=2)
    try:
        year_list = [int(y) for y in years.split(",")] if years else None
    except ValueError:
        _fail(f"--years: expected comma-separated years such as 2030,2035 (got {years!r})")
    target = out or Path("results") / "compare.csv"
    if target.exists() and target.is_dir():
        _fail(f"{target}: is a folder; --out takes a CSV file name")
    try:
        scs, year_list, metric = prepare(scenarios, until, year_list, metric, level=level)
    except ScenarioError as exc:
        _fail(str(exc))
    progress_cm, task_cb = _progress(quiet, replications * len(scs), "compare")
    callback = None if task_cb is None else (lambda i, done, total: task_cb(i * replications + done, None))
    with progress_cm:
        table = run_compare(scs, replications=replications, seed=seed, workers=workers,
                            years=year_list, metrics=metric, level=level, progress=callback)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    table.to_csv(tmp, index=False)
    tmp.replace(target)
    if not quiet:
        _print_comparison(table, level, replications)
        typer.echo(f"comparison written to {target}")


def _print_comparison(table, level: float, replications: int) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    years = sorted(table["year"].unique())
    t = Table(title=escape(f"difference from {table['baseline'].iloc[0]}: mean [{level:.0%} paired interval], "
                           f"{replications} paired replications; ~0 = interval includes zero"))
    t.add_column("scenario")
    t.add_column("metric")
    for y in years:
        t.add_column(str(y), justify="right")
    for (scn, metric), g in table.groupby(["scenario", "metric"], sort=False):
        cells = []
        for y in years:
            r = g[g["year"] == y]
            if r.empty:
                cells.append("-")
                continue
            r = r.iloc[0]
            mark = " ~0" if r["includes_zero"] else ""
            cells.append(escape(f"{_fmt(r['diff_mean'])} [{_fmt(r['diff_low'])}, {_fmt(r['diff_high'])}]{mark}"))
        t.add_row(scn, LABELS.get(metric, metric), *cells)
    Console().print(t)


@app.command()
def report(
    results: List[Path] = typer.Argument(..., help="result folders written by run (several are overlaid)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="report folder (default <first result>/report)"),
):
    """Write PNG fan charts, a program-outcome funnel and report.md for one or more results."""
    from .report import write_report

    for d in results:
        if not (d / "manifest.json").exists():
            _fail(f"{d}: not a cgt-sim result folder (no manifest.json); write one with cgt-sim run")
    if out is not None and out.exists() and not out.is_dir():
        _fail(f"{out}: exists and is not a folder")
    path = write_report([str(d) for d in results], out)
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
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(sc.to_dict(), indent=2, default=str))
        return
    typer.echo(f"# {sc.name}: {sc.description}" if sc.description else f"# {sc.name}")
    typer.echo(f"# files: {' <- '.join(reversed(sc.files)) or '(defaults)'}")
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
        unc_text = f"   ~ {unc.dist}({', '.join(f'{k}={v}' for k, v in unc.args.items())})" if unc else ""
        typer.echo(f"  {key} = {_value_text(key, sc.values[key])} {p.unit}{marker}{unc_text}")
        typer.echo(f"      range: {p.range_text()}" + (f"; plausible {p.plausible[0]:g}-{p.plausible[1]:g}"
                                                        if p.plausible else ""))
        typer.echo(f"      source: {cite(p.source)}")
        typer.echo(f"      {p.doc}")


@app.command()
def schema():
    """Print a JSON Schema for scenario files (for editor completion and validation)."""
    typer.echo(json.dumps(scenario_json_schema(), indent=2))


def scenario_json_schema() -> dict:
    props = {}
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
        dated = {"type": "object", "properties": {"value": num, "from": {"type": ["string", "integer"]},
                                                  "to": {"type": ["string", "integer"]}},
                 "required": ["value"], "additionalProperties": False}
        props[key] = {"description": f"{p.doc} [{p.unit}]",
                      "anyOf": [num, dated, {"type": "array", "items": dated}]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cgt-sim scenario",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "extends": {"type": "string"},
            "description": {"type": "string"},
            "source": {"type": "string"},
            "notes": {"type": "string"},
            "set": {"type": "object", "properties": props, "additionalProperties": False},
            "uncertain": {"type": "object", "propertyNames": {"enum": list(props)}},
        },
    }


def main():  # console-script entry point
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
