"""``cgt-sim query``: SQL over one or more results' tables (DuckDB)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..errors import CgtSimError
from .app import app
from .common import fail, print_table

SHOWN = 50  # rows printed at most (--out writes them all)


@app.command()
def query(
    arguments: List[str] = typer.Argument(..., metavar="RESULT... SQL",
                                          help="result folders written by run, then the SQL query: views annual, "
                                               "programs, products and sampled (with a result column when several "
                                               "results are given)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="write the rows to a new .csv or .parquet file"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no table (with --out)"),
):
    """Run an SQL query over results' tables and print its rows (or write them with --out)."""
    from pandas import NA

    from ..sql import query as run_query

    if len(arguments) < 2:
        fail("give one or more result folders and then the SQL query, such as "
             "\"SELECT year, avg(cumulative_approvals) FROM annual GROUP BY year ORDER BY year\"")
    *folders, sql = arguments
    try:
        frame = run_query(folders, sql, out)
    except CgtSimError as exc:
        fail(exc)
    if out is not None:
        if not quiet:
            typer.echo(f"{len(frame):,} rows written to {out}")
        return
    if quiet:
        return

    def cell(v) -> str:
        if isinstance(v, float):
            return "-" if v != v else f"{v:.6g}"
        return "" if v is None or v is NA else str(v)

    shown = frame.head(SHOWN)
    numeric = [c for c in frame.columns if frame[c].dtype.kind in "iuf"]
    caption = f"{SHOWN} of {len(frame):,} rows; --out writes them all" if len(frame) > SHOWN else None
    print_table(f"{len(frame):,} row{'s' * (len(frame) != 1)}", [str(c) for c in frame.columns],
                [[cell(v) for v in row] for row in shown.itertuples(index=False)], right=[str(c) for c in numeric],
                caption=caption)
