"""``cgt-sim sensitivity``: Sobol or Morris indices of one metric."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import CgtSimError
from ..text import replications_text
from .app import app
from .common import check_result_folder, check_run_options, fail, font_notes, progress


@app.command()
def sensitivity(
    scenario: Path = typer.Argument(..., help="scenario YAML file with an 'uncertain:' block (the "
                                              "factors), or the name of one of the library (cgt-sim scenarios)"),
    method: str = typer.Option("sobol", "--method", help="sobol (variance-based) or morris (elementary effects)"),
    samples: Optional[int] = typer.Option(None, "--samples", "-n", help="sobol: base sample N, a power of 2 "
                                          "(N*(2D+2) points; default 64); morris: trajectories (N*(D+1) points; "
                                          "default 10)"),
    metric: str = typer.Option("approvals_2035", "--metric", "-m", help="<annual metric>_<year>, e.g. approvals_2035"),
    replications: int = typer.Option(2, "--replications", "-r", help="replications per sample point"),
    seed: int = typer.Option(42, "--seed", help="root random seed of every point and of the sampling (>= 0)"),
    until: Optional[int] = typer.Option(None, "--until", help="last simulated year (default: the metric's year)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o",
                                       help="result folder (default results/<scenario>_sensitivity)"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="worker processes (default: all cores)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or table"),
):
    """Sobol or Morris sensitivity indices of one metric over the scenario's uncertain parameters."""
    from ..analysis.sensitivity import execute, prepare

    check_run_options(replications, seed, workers)
    try:
        plan = prepare(scenario, metric, method, samples, until, seed)
    except CgtSimError as exc:
        fail(exc)
    target = out or Path("results") / f"{plan.scenario.name}_sensitivity"
    check_result_folder(target, "sensitivity")
    progress_cm, callback = progress(quiet, plan.points, f"{plan.scenario.name} {method}", "points")
    with progress_cm:
        try:
            result = execute(plan, replications, workers, callback)
        except CgtSimError as exc:
            fail(exc)
    path = font_notes(result.save, target)
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
    from ..analysis.sensitivity import notes

    for text in notes(result):
        console.print(escape("note: " + text))
    console.print(f"sensitivity written to {path}/ ({m['wall_time_s']:.1f} s)")


