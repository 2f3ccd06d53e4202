"""SQL over results: DuckDB reads result folders' tables where they lie.

    cgt_sim.query("results/baseline", "SELECT year, avg(cumulative_approvals) FROM annual GROUP BY year")
    cgt_sim.query(["results/baseline", "results/reform"], "SELECT result, count(*) FROM products GROUP BY result")

The query sees a view per table of a run result, ``annual``, ``programs``, ``products`` and
``sampled`` (columns as in the README); with several results each view holds the rows of all
of them and a first column ``result`` (the result's folder name, or its path as given when two
share a name). DuckDB scans the Parquet files of the result folders (see ``results``), reading
only the columns and row groups a query needs, so a question about a 10,000-replication result
needs no more memory than its answer.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pandas as pd

from .errors import OptionError, ResultError, quoted
from .paths import user_path
from .results import TABLES, ResultSet, load_results, refuse_repeats

OUTPUT_SUFFIXES = (".csv", ".parquet")


def _results(results) -> list[tuple[str, ResultSet]]:
    """(label, result) for a folder, a ResultSet or a list of them."""
    if isinstance(results, (str, os.PathLike, ResultSet)):
        results = [results]
    try:
        results = list(results)
    except TypeError:
        raise OptionError("results", f"must be a result folder, a ResultSet or a list of them, not "
                          f"{type(results).__name__}") from None
    if not results:
        raise OptionError("results", "give at least one result folder")
    paths = [r for r in results if not isinstance(r, ResultSet)]
    for r in paths:
        if not isinstance(r, (str, os.PathLike)):
            raise OptionError("results", f"must be result folders or ResultSets, not {type(r).__name__}")
    refuse_repeats(paths)
    opened = []
    for r in results:
        if isinstance(r, ResultSet):
            name = r.manifest.get("scenario", {}).get("name") if isinstance(r.manifest.get("scenario"), dict) else None
            opened.append((r.path.name if r.path is not None else str(name or "result"), str(r.path or name), r))
        else:
            opened.append((user_path(r).name, str(r), load_results(r)))
    short = [name for name, _, _ in opened]
    labels = short if len(set(short)) == len(short) else [given for _, given, _ in opened]
    if len(set(labels)) != len(labels):  # (results in memory of one scenario)
        labels = [f"{label}#{i + 1}" for i, label in enumerate(labels)]
    return [(label, res) for label, (_, _, res) in zip(labels, opened)]


def _sql_text(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def connect(results):
    """A DuckDB connection with the views ``annual``, ``programs``, ``products`` and
    ``sampled`` over ``results`` (a result folder, a ResultSet or a list of them; see the
    module's docstring), for several queries over the same results."""
    import duckdb

    opened = _results(results)
    con = duckdb.connect()
    several = len(opened) > 1
    for table in TABLES:
        selects = []
        for i, (label, res) in enumerate(opened):
            files = res.table_files(table)
            if files:
                source = f"read_parquet([{', '.join(_sql_text(f) for f in files)}])"
            else:  # held in memory (or a result of an earlier version without draws)
                frame = getattr(res, table)
                if frame is None:
                    continue
                source = f"_{table}_{i}"
                con.register(source, frame)
            label_column = f"{_sql_text(label)} AS result, " if several else ""
            selects.append(f"SELECT {label_column}* FROM {source}")
        if selects:
            con.execute(f"CREATE VIEW {table} AS " + " UNION ALL BY NAME ".join(selects))
    return con


def query(results, sql: str, out=None) -> pd.DataFrame:
    """Run the SQL query ``sql`` over the tables of ``results`` (a result folder, a ResultSet,
    or a list of them: views ``annual``, ``programs``, ``products``, ``sampled``, and a
    ``result`` column when several; see the module's docstring) and return its rows as a
    DataFrame. ``out``: also write them to a new file, CSV (``.csv``) or Parquet (``.parquet``)
    by its suffix (an existing file is not replaced). A query DuckDB refuses is an
    OptionError naming ``sql`` and DuckDB's reason."""
    import duckdb

    if not isinstance(sql, str) or not sql.strip():
        raise OptionError("sql", f"must be the text of an SQL query, not {quoted(sql)}")
    target = None
    if out is not None:
        target = user_path(out, argument="out")
        if target.suffix.lower() not in OUTPUT_SUFFIXES:
            raise OptionError("out", f"must end in .csv or .parquet (the format written), not {quoted(str(out))}")
        if os.path.lexists(target):
            raise ResultError(target, None, "exists (nothing was written); choose another `out` or remove it")
    con = connect(results)
    try:
        frame = con.execute(sql).df()
    except duckdb.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise OptionError("sql", f"{reason} (the views are {', '.join(TABLES)})") from None
    finally:
        con.close()
    if target is not None:
        _write(frame, target)
    return frame


def _write(frame: pd.DataFrame, target: Path) -> None:
    """``frame`` to ``target`` by its suffix, through a temporary file beside it."""
    from .errors import refused

    tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix.lower() == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise refused(exc, target, "cannot be written") from None
    except Exception as exc:  # a column Parquet cannot hold: a type DuckDB gave
        tmp.unlink(missing_ok=True)
        reason = (str(exc).strip().splitlines() or [""])[0][:120]
        raise ResultError(target, None, f"cannot be written ({type(exc).__name__}: {reason})") from None
