"""``cgt-sim report``: charts, report.md and report.html for one or more results."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..errors import CgtSimError
from ..paths import user_path
from .app import app
from .common import fail, font_notes


@app.command()
def report(
    results: List[Path] = typer.Argument(..., help="result folders written by run (several are overlaid; the first "
                                                   "is the reference of the differences)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="report folder (default <first result>/report)"),
    lang: str = typer.Option("en", "--lang", help="language of the report: en or zh (Chinese)"),
    level: float = typer.Option(0.90, "--level", help="confidence level of the intervals of the differences"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no closing line"),
):
    """Write PNG charts, report.md and an interactive report.html for one or more results."""
    from ..report import write_report
    from ..results import not_a_result

    results = [user_path(d) for d in results]  # a quoted ~ too, as load_results takes it
    out = user_path(out) if out is not None else None
    for d in results:
        if not d.exists():
            fail(f"{d}: not found")
        if not (d / "manifest.json").exists():
            reason = not_a_result(d)
            fail(f"{d}: {reason}" + ("; write one with cgt-sim run" if reason.startswith("is not") else ""))
    if out is not None and out.exists() and not out.is_dir():
        fail(f"{out}: exists and is not a folder")
    try:
        path = font_notes(lambda: write_report([str(d) for d in results], out, lang=lang, level=level))
    except CgtSimError as exc:  # not a run result: a sweep or sensitivity folder, an unreadable manifest
        fail(exc)
    if not quiet:
        typer.echo(f"report written to {path} and {path.with_name('report.html')}")
