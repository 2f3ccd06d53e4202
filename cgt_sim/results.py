"""ResultSet: the tidy tables of a run, their summary, and saving/loading them.

``annual``   one row per (replication, year)
``programs`` one row per (replication, program)
``products`` one row per (replication, approved product)
``sampled``  one row per replication: its draws of the uncertain parameters

A result folder is a Parquet dataset (a folder per table, a file per part of contiguous
replications), ``summary.csv`` and ``manifest.json``; ``save`` writes it into a temporary
folder beside the target and renames it into place, so a failed run never leaves a
half-written or clobbered result. ``load_results`` opens one and reads its tables when asked.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CgtSimError, NoResult, OptionError, ResultError, quoted
from .errors import reason as os_reason
from .outputs import ALIASES, CATEGORIES, HEADLINE, KEYS, annual_columns
from .paths import user_path
from .records import check_manifest
from .safe_load import read_json
from .storage import RUN_TABLES, atomic_folder, release_memory, result_kind, write_manifest

PROGRAM_ROWS = ("all", "clinical")  # which rows of the programs table a run keeps


def reached_clinic(programs: pd.DataFrame) -> pd.Series:
    """Rows of a ``programs`` table for programs that got past preclinical research: to an
    investigator-initiated trial or an IND review (and on), whatever happened to them then."""
    preclinical = ((programs["end_stage"] == "preclinical")
                   | programs["state"].isin(["preclinical", "not_started"])
                   | ((programs["state"] == "stalled") & ~programs["iit_track"] & programs["ind_day"].isna()))
    return ~preclinical


def keep_program_rows(programs: pd.DataFrame, rows: str) -> pd.DataFrame:
    """The rows of ``programs`` a run keeps (``rows``: one of PROGRAM_ROWS)."""
    if rows == "all":
        return programs
    return programs[reached_clinic(programs).to_numpy()].reset_index(drop=True)


def as_list(value) -> list:
    """The items of ``value`` as a list; one item (text, a number, a path) is a list of one,
    so ``"patients_treated"`` is one metric, not fifteen letters."""
    if isinstance(value, (str, bytes, Path)) or not hasattr(value, "__iter__"):
        return [value]
    return list(value)


def metric_columns(names, known: list[str] | None = None) -> list[str]:
    """Columns of ``annual`` for metric names (a name or a list; short names accepted), each
    once; an unknown name is an OptionError listing the ``known`` columns (default: the annual
    table's metrics)."""
    known = annual_columns() if known is None else known
    out = []
    for name in as_list(names):
        column = ALIASES.get(name, name) if isinstance(name, str) else name
        if column not in known:
            raise OptionError("metric", f"unknown metric {quoted(name)}; choose from "
                                + ", ".join(list(ALIASES) + list(known)))
        if column not in out:  # a metric asked twice (or by its short name too) is one metric
            out.append(column)
    return out


# --------------------------------------------------------------------------- the result folder

# A result folder (``cgt-sim run``, ``ResultSet.save``) is a Parquet dataset: a folder per table,
# a file per part of contiguous replications in each (``annual/part-000000-000007.parquet``),
# the same parts in every table, beside ``summary.csv`` and ``manifest.json``, whose ``layout``
# names the parts. A run writes its parts as they finish (see ``checkpoint``) and the finished
# result is those files put in place: no table of all replications is ever held in memory.
# Results written before (one ``<table>.parquet`` file per table, no ``layout``) are read too.
TABLES = RUN_TABLES  # ("annual", "programs", "products", "sampled")
LAYOUT_VERSION = 2  # 1: a file per table (read, no longer written)
PART = re.compile(r"part-(\d+)-(\d+)")
SUMMARY_BLOCK = 40  # metrics summarised at a time (memory: a block of the annual table)
_AGAIN = "write it again with `cgt-sim run` or ResultSet.save"


def part_name(first: int, last: int) -> str:
    """The name of the part holding replications ``first`` to ``last``."""
    return f"part-{first:06d}-{last:06d}"


def layout_of(parts) -> dict:
    """The ``layout`` a manifest records for the parts ``[(first, last), ...]``."""
    return {"version": LAYOUT_VERSION, "tables": list(TABLES), "parts": [[int(a), int(b)] for a, b in parts]}


def _filter_expression(where, columns: list[str]):
    """A pyarrow filter from ``where``: a pyarrow expression, or {column: value or values}
    (equal to the value, or one of the values); None for none. An unknown column is an
    OptionError naming ``where``."""
    import pyarrow.dataset as ds

    if where is None or isinstance(where, ds.Expression):
        return where
    if not isinstance(where, dict):
        raise OptionError("where", "must be {column: value or list of values} or a pyarrow expression "
                          f"(pyarrow.dataset.field('modality') == 'car_t'), not {quoted(where)}")
    expression = None
    for column, wanted in where.items():
        if column not in columns:
            raise OptionError("where", f"unknown column {quoted(column)}; the programs table has "
                              + ", ".join(columns))
        if isinstance(wanted, (list, tuple, set, frozenset, range, np.ndarray, pd.Series)):
            values = [v.item() if isinstance(v, np.generic) else v for v in wanted]
            term = ds.field(column).isin(values)
        else:
            term = ds.field(column) == (wanted.item() if isinstance(wanted, np.generic) else wanted)
        expression = term if expression is None else expression & term
    return expression


class ResultSet:
    """The result of ``cgt_sim.run``: ``annual`` (a row per replication and year), ``programs``
    (per replication and program), ``products`` (per replication and approved product),
    ``sampled`` (each replication's draws of the uncertain parameters) and ``manifest`` (the
    resolved scenario, seed, replications, versions, wall time); ``summary()``,
    ``headline()``, ``programs_where(...)``, ``save(folder)``. Two results are ``==`` when their
    tables are the same (the manifests may differ in wall time, executor and workers).

    A result read from a folder (``load_results``, or ``run`` with ``out``) reads its tables
    when first asked: ``annual``, ``products`` and ``sampled`` are read once and kept;
    ``programs`` (a row per program: tens of millions of rows in a long run) is read from the
    folder at every access and not kept (``p = res.programs`` to keep it), or only the rows and
    columns asked for with ``programs_where``; ``summary()`` reads the annual table a few
    columns at a time. A result made in Python holds its tables as given."""

    def __init__(self, annual: pd.DataFrame, programs: pd.DataFrame, products: pd.DataFrame,
                 manifest: dict | None = None, sampled: pd.DataFrame | None = None):
        self._held: dict = {"annual": annual, "programs": programs, "products": products, "sampled": sampled}
        self.manifest = {} if manifest is None else manifest
        self.path: Path | None = None  # the folder the tables are read from (None: held in memory)
        self._files: dict[str, list[Path]] = {}  # table -> its Parquet files, in replication order
        self._stored_parts: list[tuple[int, int]] | None = None  # (first, last) of each file

    @classmethod
    def _reading(cls, path: Path, manifest: dict, files: dict[str, list[Path]],
                 held: dict | None = None, parts: list[tuple[int, int]] | None = None) -> ResultSet:
        """A result whose tables are read from ``files`` when asked for (``held``: those read
        already; ``parts``: the replications of each file, a result of this version's layout)."""
        res = cls(None, None, None, manifest, None)  # type: ignore[arg-type]
        res.path, res._files, res._stored_parts = path, files, parts
        res._held.update(held or {})
        return res

    # --- the tables ---------------------------------------------------------------------
    def _stored(self, name: str) -> bool:
        """Whether table ``name`` is read from the result's folder (not held in memory)."""
        return self._held.get(name) is None and name in self._files

    def _columns(self, name: str) -> list[str]:
        """The columns of table ``name``: from its schema when it is in a folder."""
        if self._stored(name):
            import pyarrow.parquet as pq

            return [f.name for f in pq.read_schema(self._files[name][0])]
        return list(getattr(self, name).columns)

    def _table(self, name: str, keep: bool = True):
        if not self._stored(name):
            return self._held.get(name)
        if name == "sampled" and not self._files["sampled"]:  # (a result written before, without draws)
            held = pd.DataFrame({"replication": np.sort(self.annual["replication"].unique())})
        else:
            held = self._read(name)
        if keep:
            self._held[name] = held
        return held

    def _read(self, name: str, columns: list[str] | None = None, where=None) -> pd.DataFrame:
        """Rows and columns of one stored table, as the run made it (a ResultError naming the
        folder when a file cannot be read)."""
        files = self._files[name]
        try:
            table = read_parts(files, columns, where)
        except Exception as exc:  # pyarrow's own errors for a damaged or missing file
            where_ = files[0] if len(files) == 1 else self.path / name  # type: ignore[operator]
            raise ResultError(where_, None, f"cannot be read ({type(exc).__name__}: {_first_line(exc)}); "
                              f"{_AGAIN}") from None
        return with_categories(name, table.to_pandas())

    @property
    def annual(self) -> pd.DataFrame:
        return self._table("annual")

    @annual.setter
    def annual(self, value: pd.DataFrame) -> None:
        self._held["annual"] = value

    @property
    def programs(self) -> pd.DataFrame:
        """A row per replication and program; read from the result folder at every access when
        the result was read from one (see ``programs_where`` for some rows and columns)."""
        return self._table("programs", keep=False)

    @programs.setter
    def programs(self, value: pd.DataFrame) -> None:
        self._held["programs"] = value

    @property
    def products(self) -> pd.DataFrame:
        return self._table("products")

    @products.setter
    def products(self, value: pd.DataFrame) -> None:
        self._held["products"] = value

    @property
    def sampled(self) -> pd.DataFrame | None:
        return self._table("sampled")

    @sampled.setter
    def sampled(self, value: pd.DataFrame | None) -> None:
        self._held["sampled"] = value

    def programs_where(self, where=None, columns=None) -> pd.DataFrame:
        """Rows of the ``programs`` table, read only as far as needed: ``where`` is
        {column: value or list of values} (``{"modality": "autologous_car_t", "cluster": ["jiangsu",
        "shanghai"], "replication": range(100)}``: rows that match every column), or a pyarrow
        expression (``pyarrow.dataset.field("approval_day") < 3650``); ``columns``: the
        columns to return (default all). For questions across tables, ``cgt_sim.query`` runs
        SQL over results."""
        import pyarrow as pa
        import pyarrow.dataset as ds

        known = self._columns("programs")
        columns = None if columns is None else as_list(columns)
        for column in columns or []:
            if column not in known:
                raise OptionError("columns", f"unknown column {quoted(column)}; the programs table has "
                                  + ", ".join(known))
        expression = _filter_expression(where, known)
        if self._stored("programs"):
            return self._read("programs", columns, expression)
        table = pa.Table.from_pandas(self.programs, preserve_index=False)
        return with_categories("programs", ds.dataset(table).to_table(columns=columns, filter=expression).to_pandas())

    def table_files(self, name: str) -> list[Path] | None:
        """The Parquet files of table ``name`` (one of TABLES) in the result's folder, in
        replication order; None for a result held in memory (or a table it did not write)."""
        return list(self._files[name]) if self._files.get(name) else None

    # --- comparing and showing --------------------------------------------------------------
    def __eq__(self, other) -> bool:
        if not isinstance(other, ResultSet):
            return NotImplemented
        return all(_same_table(getattr(self, t), getattr(other, t)) for t in TABLES)

    __hash__ = None  # type: ignore[assignment]

    def _rows(self, name: str) -> int:
        """Rows of a table, without reading it when it is in a folder."""
        if not self._stored(name):
            return len(getattr(self, name))
        import pyarrow.parquet as pq

        return sum(pq.read_metadata(f).num_rows for f in self._files[name])

    def __repr__(self) -> str:  # short: the tables and the manifest are long
        m = self.manifest
        name = m.get("scenario", {}).get("name", "?") if isinstance(m.get("scenario"), dict) else "?"
        if self._stored("annual") and isinstance(m.get("start_year"), int) \
                and isinstance(m.get("horizon_year"), int):
            span = f"{m['start_year']}-{m['horizon_year']}"  # (as the run wrote them)
        else:
            years = self.annual["year"] if "year" in self.annual else pd.Series(dtype=float)
            span = f"{int(years.min())}-{int(years.max())}" if len(years) else "no years"
        return (f"ResultSet(scenario={name!r}, replications={m.get('replications')}, seed={m.get('seed')}, "
                f"{span}; annual {self._rows('annual'):,} rows, programs {self._rows('programs'):,}, "
                f"products {self._rows('products'):,})")

    def _repr_html_(self) -> str:  # a notebook shows this: what the result is and its headline figures
        from .text import result_html

        return result_html(self)

    @property
    def metrics(self) -> list[str]:
        return [c for c in self._columns("annual") if c not in KEYS]

    def summary(self, metrics=None) -> pd.DataFrame:
        """Per metric and year: mean, p5, p50, p95 over replications (NaNs ignored), and n.
        ``metrics``: a name or a list of names (columns of ``annual``, or a short name such as
        ``approvals``); default all. A result in a folder is summarised a few columns at a
        time, without holding its annual table."""
        metrics = self.metrics if metrics is None else metric_columns(metrics, self.metrics)
        if self._stored("annual"):
            return summarise_blocks(lambda columns: read_columns(self._files["annual"], columns), metrics)
        return summarise_blocks(lambda columns: self.annual[columns], metrics)

    def headline(self, years=None) -> pd.DataFrame:
        """A small table of the headline metrics at chosen years (a year or a list; default
        2025, 2030, 2035 and the horizon)."""
        s = self.summary(HEADLINE)
        all_years = sorted(int(y) for y in s["year"].unique())
        if not all_years:
            raise ValueError("the result holds no year")
        if years is None:
            horizon = all_years[-1]
            years = [y for y in (2025, 2030, 2035) if y in all_years and y != horizon] + [horizon]
        years = as_list(years)
        missing = [y for y in years if y not in all_years]
        if missing:
            raise ValueError(f"year {quoted(missing[0])} is not in the result ({all_years[0]}-{all_years[-1]})")
        return s[s["year"].isin(years)].reset_index(drop=True)

    # --- saving -------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write the result folder atomically (temporary folder, then rename): a Parquet dataset
        of the tables (see TABLES), ``summary.csv`` and ``manifest.json``. The manifest's
        replication count is that of the ``annual`` table saved (so a result cut down to some
        replications saves as such); the other tables may not hold replications it lacks. A
        result read from a folder is copied file by file."""
        path = user_path(path)
        if all(self._stored(t) for t in ("annual", "programs", "products")):
            return self._copy(path)
        self._check_saveable(path)
        reps = np.sort(self.annual["replication"].unique())
        runs = np.split(reps, np.flatnonzero(np.diff(reps) != 1) + 1)  # contiguous replications
        sampled = self.sampled
        if sampled is None or list(sampled.columns) == ["replication"] or "replication" not in sampled.columns:
            # no draws: the replications alone (those of annual, as a run returns them)
            sampled = pd.DataFrame({"replication": reps.astype(self.annual["replication"].dtype)})
        tables = {"annual": self.annual, "programs": self.programs, "products": self.products, "sampled": sampled}
        parts = []
        for run in runs:
            first, last = int(run[0]), int(run[-1])
            if len(runs) == 1:
                frames = tables
            else:
                frames = {name: (df[df["replication"].between(first, last)].reset_index(drop=True)
                                 if "replication" in df.columns else (df if first == reps[0] else df.iloc[:0]))
                          for name, df in tables.items()}
            parts.append((first, last, frames))
        manifest = {**self.manifest, "replications": len(reps)}
        with atomic_folder(path, "run") as tmp:
            write_dataset(tmp, parts, manifest, summary=self.summary())
        return path

    def _copy(self, path: Path) -> Path:
        """Save a result read from a folder: its files copied (as they are) into ``path``."""
        parts = [(first, last, {name: self._files[name][i] for name in TABLES if self._files.get(name)})
                 for i, (first, last) in enumerate(self._parts())]
        with atomic_folder(path, "run") as tmp:
            write_dataset(tmp, parts, dict(self.manifest), link=False)
        return path

    def _parts(self) -> list[tuple[int, int]]:
        """The (first, last) replications of each stored part (a result written before: one)."""
        if self._stored_parts is not None:
            return list(self._stored_parts)
        reps = self.annual["replication"]
        return [(int(reps.min()), int(reps.max()))]

    def _check_saveable(self, path: Path) -> None:
        if "replication" not in self.annual.columns or self.annual.empty:
            raise ResultError(path, None, "not written: the annual table holds no replication")

        def whole_numbers(name: str, column: str) -> None:  # as load_results reads them
            values = getattr(self, name)[column]
            if not pd.api.types.is_integer_dtype(values) or values.isna().any():
                what = "missing values" if pd.api.types.is_integer_dtype(values) else f"type {values.dtype}"
                raise ResultError(path, None, f"not written: the {column} column of {name} has {what}; "
                                    "it must hold whole numbers (an integer type)")

        for name in TABLES:
            table = getattr(self, name)
            if table is not None and "replication" in table.columns:
                whole_numbers(name, "replication")
        if self.annual.columns.duplicated().any():
            raise ResultError(path, None, "not written: the annual table has a column twice: "
                                + ", ".join(map(str, self.annual.columns[self.annual.columns.duplicated()])))
        if "year" not in self.annual.columns:
            raise ResultError(path, None, "not written: the annual table has no year column")
        whole_numbers("annual", "year")
        if self.annual.duplicated(list(KEYS)).any():
            raise ResultError(path, None, "not written: the annual table holds a replication and year twice")
        reps = set(self.annual["replication"].unique().tolist())
        for name in ("programs", "products", "sampled"):
            table = getattr(self, name)
            if table is None or "replication" not in table.columns or (name == "sampled" and len(table.columns) == 1):
                continue  # (sampled without draws is made from annual)
            extra = set(table["replication"].unique().tolist()) - reps
            if extra:
                raise ResultError(path, None, f"not written: {name} holds replication {min(extra)}, which annual "
                                    "does not; keep the same replications in every table")
        if self.sampled is not None and len(self.sampled.columns) > 1 and len(
                set(self.sampled["replication"].unique().tolist())) != len(reps):
            raise ResultError(path, None, "not written: sampled lacks replications that annual holds; keep the "
                                "same replications in every table")


def _first_line(exc: BaseException, most: int = 120) -> str:
    """The first line of an error's message, cut at a word after ``most`` characters."""
    reason = (str(exc).splitlines() or [""])[0]
    if len(reason) > most:
        reason = reason[:most].rsplit(" ", 1)[0] + " ..."
    return reason


def place_file(source: Path, target: Path, link: bool = True) -> None:
    """Put the file ``source`` at ``target``: a hard link (no copy; the file is never changed in
    place) where the file system has them and ``link``, else a copy."""
    if link:
        try:
            os.link(source, target)
            return
        except OSError:
            pass
    shutil.copyfile(source, target)


def write_dataset(folder: Path, parts, manifest: dict, summary: pd.DataFrame | None = None,
                  link: bool = True) -> None:
    """Write a result into ``folder`` (new and empty): ``parts`` is [(first, last, {table:
    DataFrame or the Parquet file to take})] in replication order; then ``summary.csv`` (from
    ``summary``, or read from the annual parts a few columns at a time) and ``manifest.json``
    with the ``layout``. Files are hard links where ``link`` and the file system allows."""

    for name in TABLES:
        (folder / name).mkdir()
    for first, last, sources in parts:
        file = f"{part_name(first, last)}.parquet"
        for name in TABLES:
            source = sources.get(name)
            if source is None:
                continue
            if isinstance(source, pd.DataFrame):
                source.to_parquet(folder / name / file, index=False)
            else:
                place_file(Path(source), folder / name / file, link)
    if summary is None:
        import pyarrow.parquet as pq

        annual = [folder / "annual" / f"{part_name(a, b)}.parquet" for a, b, _ in parts]
        metrics = [c for c in pq.read_schema(annual[0]).names if c not in KEYS]
        summary = summarise_blocks(lambda columns: read_columns(annual, columns), metrics)
    summary.to_csv(folder / "summary.csv", index=False)
    count = sum(last - first + 1 for first, last, _ in parts)
    manifest = {**manifest, "replications": count, "layout": layout_of((a, b) for a, b, _ in parts)}
    write_manifest(folder, manifest)


def read_parts(files, columns=None, where=None):
    """The rows (a pyarrow ``where`` expression, or all) and ``columns`` (default all) of the
    Parquet ``files`` of one table, as one pyarrow Table in their order. Read a file at a time
    without threads: a dataset scan of thousands of parts keeps buffers for many of them at
    once, several times the size of the columns read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = [pq.read_table(f, columns=columns, filters=where, use_threads=False) for f in files]
    table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
    del tables
    pa.default_memory_pool().release_unused()
    return table


def read_columns(files, columns) -> pd.DataFrame:
    """Numeric ``columns`` of the Parquet ``files`` of one table, as a DataFrame of one array
    per column: each file's columns are taken out as numpy arrays as it is read (thousands of
    small Arrow chunks would weigh more than their values)."""
    import pyarrow.parquet as pq

    pieces: dict[str, list] = {c: [] for c in columns}
    for f in files:
        table = pq.read_table(f, columns=columns, use_threads=False)
        for c in columns:
            pieces[c].append(table.column(c).to_numpy().copy())  # (a view would keep Arrow's buffer)
    return pd.DataFrame({c: np.concatenate(arrays) for c, arrays in pieces.items()}, copy=False)


def summarise_blocks(read, metrics) -> pd.DataFrame:
    """``summarise`` of the annual table, ``SUMMARY_BLOCK`` metrics at a time: ``read(columns)``
    returns the table's ``KEYS`` and those columns (its rows in replication order). The same
    numbers as ``summarise`` of the whole table (each metric's figures depend on its own
    column alone), with a block of the table in memory at a time."""
    metrics = list(metrics)
    if len(metrics) <= SUMMARY_BLOCK:
        return summarise(read(list(KEYS) + metrics), metrics)
    pieces = []
    for i in range(0, len(metrics), SUMMARY_BLOCK):
        block = metrics[i:i + SUMMARY_BLOCK]
        pieces.append(summarise(read(list(KEYS) + block), block))
        release_memory()
    return pd.concat(pieces, ignore_index=True)


def summarise(annual: pd.DataFrame, metrics) -> pd.DataFrame:
    """Per metric and year of a (replication, year, metrics...) table: mean, p5, p50, p95 over
    replications (NaNs ignored), and n; metrics in the order given.

    One metric is grouped at a time, by year (no long table of every metric: at 10,000
    replications to 2030 that table and its grouping weighed several hundred MB). Each column
    takes the type the metrics share, as a long table's value column would, so the figures are
    those of a groupby over it."""
    metrics = list(metrics)
    common = np.result_type(*[annual[m].dtype for m in metrics]) if metrics else np.dtype(float)
    years = annual["year"]
    pieces = []
    for m in metrics:
        g = annual[m].astype(common).groupby(years, sort=True)  # no copy where the type is the same
        stats = pd.DataFrame({"mean": g.mean(), "p5": g.quantile(0.05), "p50": g.quantile(0.50),
                              "p95": g.quantile(0.95), "n": g.count()})
        stats = stats.reset_index()  # (the index is the years, named year)
        stats.insert(0, "metric", m)
        pieces.append(stats)
    if not pieces:
        return pd.DataFrame(columns=["metric", "year", "mean", "p5", "p50", "p95", "n"])
    return pd.concat(pieces, ignore_index=True)


def _same_table(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return a.equals(b) and list(a.columns) == list(b.columns)


def refuse_repeats(folders) -> None:
    """A result folder given twice (by any path to it) is a ResultError naming it: comparing
    a result with itself is a slip, not a question."""
    seen: dict = {}
    for folder in folders:
        real = user_path(folder).resolve()
        if real in seen:
            also = f" (also as {seen[real]})" if str(seen[real]) != str(folder) else ""
            raise ResultError(folder, None, f"is given twice{also}; give each result once")
        seen[real] = folder


def not_a_result(path: Path) -> str:
    """Why ``path``, an existing folder without manifest.json, is not a result: the folder an
    unfinished run keeps (``X.partial``) says how to finish it."""
    if path.name.endswith(".partial") and (path / "checkpoint.json").exists():
        final = path.with_name(path.name[: -len(".partial")])
        return (f"is an unfinished run, not a result: finish it with cgt-sim run SCENARIO --resume "
                f"--out {final} (the same options), then use {final}")
    return "is not a cgt-sim result folder (no manifest.json)"


def load_results(path) -> ResultSet:
    """Open a result folder written by ``cgt-sim run`` or ``ResultSet.save``: its manifest and
    the list of its files are read and checked now, its tables when first asked for (see
    ``ResultSet``). Result folders of earlier versions (a Parquet file per table) open too.

    A missing folder, or one without manifest.json, raises ``NoResult`` (a ResultError and a
    FileNotFoundError); one with an unreadable manifest,
    the result of another analysis (``cgt-sim sweep`` or ``sensitivity``) or missing tables
    raises ResultError, whose message names the folder and says what it is."""
    path = user_path(path)
    if not path.exists():
        raise NoResult(path, None, "no such folder")
    if not (path / "manifest.json").exists():
        raise NoResult(path, None, not_a_result(path))
    try:  # within bounds (see safe_load); the system's refusals stay SystemRefused
        manifest = read_json(path / "manifest.json")
    except ResultError as exc:
        raise ResultError(path, None, f"manifest.json is unreadable ({exc.message}): not a usable cgt-sim result; "
                            "write it again with `cgt-sim run`") from None
    if not isinstance(manifest, dict):
        raise ResultError(path, None, "manifest.json is not a cgt-sim manifest (not a JSON object); "
                            "write the result again with `cgt-sim run`")
    analysis = manifest.get("analysis")
    if analysis is not None:
        raise ResultError(path, None, f"is a {analysis} result, not a run result; load_results and "
                            "`cgt-sim report` read folders written by `cgt-sim run`")
    if result_kind(manifest) != "run":
        raise ResultError(path, None, "has a manifest.json that cgt-sim did not write: not a cgt-sim result "
                            "folder")
    check_manifest(manifest, path / "manifest.json")  # types, not only keys
    manifest.pop("written_by", None)
    if "layout" in manifest:
        return _open_dataset(path, manifest)
    return _open_files(path, manifest)


def dataset_files(path: Path, manifest: dict) -> dict[str, list[Path]]:
    """The files of each table of the result folder ``path`` as its manifest's ``layout``
    names them, each checked to be there (a ResultError naming the first missing one)."""
    layout = manifest["layout"]
    if layout.get("version", LAYOUT_VERSION) > LAYOUT_VERSION:
        raise ResultError(path, None, f"is a result of a later cgt-sim (layout {layout['version']}); read it with "
                          "that version, or upgrade cgt-sim")
    if not all(type(p) is list and len(p) == 2 and all(type(x) is int and x >= 0 for x in p)
               for p in layout["parts"]):
        raise ResultError(path / "manifest.json", "layout.parts", f"must be pairs [first, last] of replications: "
                          f"the result is damaged; {_AGAIN}")
    parts = [(a, b) for a, b in layout["parts"]]
    for (a, b), after in zip(parts, parts[1:] + [None]):
        if b < a or (after is not None and after[0] <= b):
            raise ResultError(path / "manifest.json", "layout.parts", f"claims replications {a}-{b} out of order "
                              f"or twice: the result is damaged; {_AGAIN}")
    claimed = sum(b - a + 1 for a, b in parts)
    if not parts or claimed != manifest.get("replications"):
        raise ResultError(path / "manifest.json", None, f"says {quoted(manifest.get('replications'))} replications "
                          f"where its parts hold {claimed}: the result is damaged; {_AGAIN}")
    files = {}
    for name in TABLES:
        try:
            present = {e.name: e.is_file(follow_symlinks=False) for e in os.scandir(path / name)}
        except OSError:
            present = {}
        names = [f"{part_name(a, b)}.parquet" for a, b in parts]
        for n in names:
            if n not in present:
                raise ResultError(path / name / n, None, f"is missing: not a complete run result; {_AGAIN}")
            if not present[n]:  # (a FIFO would be waited on)
                raise ResultError(path / name / n, None, f"is not a regular file; {_AGAIN}")
        files[name] = [path / name / n for n in names]
    return files


def _open_dataset(path: Path, manifest: dict) -> ResultSet:
    """A result folder of this version's layout (a dataset of parts), opened to be read lazily."""
    files = dataset_files(path, manifest)
    for name in ("annual", "programs", "products", "sampled"):
        _check_keys(files[name][0], name)
    layout = manifest.pop("layout")  # (the files' business, not the run's: written again by save)
    return ResultSet._reading(path, manifest, files, parts=[(int(a), int(b)) for a, b in layout["parts"]])


_KEY_COLUMNS = {"annual": KEYS, "programs": ("replication", "program_id"), "products": ("replication", "program_id"),
                "sampled": ("replication",)}


def _check_keys(file: Path, name: str) -> None:
    """The table in ``file`` has its key columns, of whole numbers (read from its schema)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if not stat.S_ISREG(os.stat(file).st_mode):
            raise ResultError(file, None, f"is not a regular file; {_AGAIN}")
        meta = pq.read_metadata(file)
        schema = meta.schema.to_arrow_schema()
    except OSError as exc:
        raise ResultError(file, None, f"cannot be read ({os_reason(exc)}); {_AGAIN}") from None
    except CgtSimError:
        raise
    except Exception as exc:  # pyarrow's own errors for a damaged file
        raise ResultError(file, None, f"cannot be read ({type(exc).__name__}: {_first_line(exc)}); {_AGAIN}") from None
    lacking = [c for c in _KEY_COLUMNS[name] if c not in schema.names]
    if lacking:
        raise ResultError(file, None, f"has no {' or '.join(lacking)} column: not a cgt-sim {name} table; {_AGAIN}")
    if name == "annual" and meta.num_rows == 0:
        raise ResultError(file, None, f"has no rows: not a finished run; {_AGAIN}")
    for c in _KEY_COLUMNS[name]:
        kind = schema.field(c).type
        if not pa.types.is_integer(kind):
            shown = "object" if pa.types.is_string(kind) or pa.types.is_large_string(kind) else str(kind)
            raise ResultError(file, None, f"its {c} column holds {shown}, not whole numbers: not a cgt-sim {name} "
                              f"table; {_AGAIN}")


def _open_files(path: Path, manifest: dict) -> ResultSet:
    """A result folder of an earlier version: a Parquet file per table. Its annual table is
    read (and checked) now, the others when asked for."""
    missing = [t for t in ("annual", "programs", "products") if not (path / f"{t}.parquet").is_file()]
    if missing:
        raise ResultError(path, None, f"has a manifest.json but no {', '.join(f'{t}.parquet' for t in missing)}: "
                            f"not a complete run result; {_AGAIN}")
    files = {name: [path / f"{name}.parquet"] for name in ("annual", "programs", "products")}
    files["sampled"] = [path / "sampled.parquet"] if (path / "sampled.parquet").exists() else []
    for name, found in files.items():
        if found:
            _check_keys(found[0], name)
    annual = read_table(path / "annual.parquet", _AGAIN)
    if annual.empty:
        raise ResultError(path / "annual.parquet", None, f"has no rows: not a finished run; {_AGAIN}")
    reps = annual["replication"].nunique()
    stated = manifest.get("replications")
    if isinstance(stated, bool) or not isinstance(stated, int) or stated != reps:
        raise ResultError(path / "manifest.json", None, f"says {quoted(stated)} replications where annual.parquet "
                            f"holds {reps}: the result is damaged; {_AGAIN}")
    held = {"annual": annual}
    scenario = manifest.get("scenario")
    uncertain = scenario.get("uncertain") if isinstance(scenario, dict) else None
    if files["sampled"]:
        held["sampled"] = read_table(files["sampled"][0], _AGAIN)
    if uncertain and ("sampled" not in held or held["sampled"]["replication"].nunique() != reps):
        raise ResultError(path, None, f"declares {len(uncertain)} uncertain parameters but sampled.parquet does not "
                            f"hold the draws of its {reps} replications; {_AGAIN}")
    return ResultSet._reading(path, manifest, files, held)


def read_table(file: Path, advice: str) -> pd.DataFrame:
    """A Parquet table; a damaged file (or no regular file: a FIFO is not waited on) is a
    ResultError naming it, with ``advice``."""
    try:
        if not stat.S_ISREG(os.stat(file).st_mode):
            raise ResultError(file, None, f"is not a regular file; {advice}")
    except OSError as exc:
        raise ResultError(file, None, f"cannot be read ({os_reason(exc)}); {advice}") from None
    try:
        return pd.read_parquet(file)
    except Exception as exc:  # pyarrow raises its own errors for a damaged file
        reason = str(exc).splitlines()[0] if str(exc) else ""
        if len(reason) > 120:  # pyarrow's messages can run on: cut at a word
            reason = reason[:120].rsplit(" ", 1)[0] + " ..."
        raise ResultError(file, None, f"cannot be read ({type(exc).__name__}: {reason}); {advice}") from None


def with_categories(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (a ``programs`` or ``products`` table read back from Parquet) with the fixed
    categories of its categorical columns: Parquet keeps none for an empty column, and tables
    with unequal categories do not concatenate as categorical."""
    fix = {c: pd.CategoricalDtype(list(cats)) for c, cats in CATEGORIES.get(table, {}).items()
           if c in df.columns}
    fix = {c: t for c, t in fix.items() if isinstance(df[c].dtype, pd.CategoricalDtype) and df[c].dtype != t}
    return df.astype(fix) if fix else df
