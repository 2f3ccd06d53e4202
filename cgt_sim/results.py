"""ResultSet: the tidy tables of a run, their summary, and saving/loading them.

``annual``   one row per (replication, year)
``programs`` one row per (replication, program)
``products`` one row per (replication, approved product)

``save`` writes Parquet tables, ``summary.csv`` and ``manifest.json`` into a temporary folder
beside the target and renames it into place, so a failed run never leaves a half-written or
clobbered result.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import OptionError, ResultError, quoted
from .errors import reason as os_reason
from .outputs import ALIASES, CATEGORIES, HEADLINE, KEYS, annual_columns
from .paths import user_path
from .records import check_manifest
from .safe_load import read_json
from .storage import atomic_folder, result_kind, write_manifest

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


@dataclass(repr=False, eq=False)
class ResultSet:
    """The result of ``cgt_sim.run``: ``annual`` (a row per replication and year), ``programs``
    (per replication and program), ``products`` (per replication and approved product),
    ``sampled`` (each replication's draws of the uncertain parameters) and ``manifest`` (the
    resolved scenario, seed, replications, versions, wall time); ``summary()``,
    ``headline()``, ``save(folder)``. Two results are ``==`` when their tables are the same
    (the manifests may differ in wall time, executor and workers)."""

    annual: pd.DataFrame
    programs: pd.DataFrame
    products: pd.DataFrame
    manifest: dict = field(default_factory=dict)
    sampled: pd.DataFrame | None = None

    def __eq__(self, other) -> bool:
        if not isinstance(other, ResultSet):
            return NotImplemented
        return all(_same_table(getattr(self, t), getattr(other, t))
                   for t in ("annual", "programs", "products", "sampled"))

    __hash__ = None

    def __repr__(self) -> str:  # short: the tables and the manifest are long
        m = self.manifest
        name = m.get("scenario", {}).get("name", "?") if isinstance(m.get("scenario"), dict) else "?"
        years = self.annual["year"] if "year" in self.annual else pd.Series(dtype=float)
        span = f"{int(years.min())}-{int(years.max())}" if len(years) else "no years"
        return (f"ResultSet(scenario={name!r}, replications={m.get('replications')}, seed={m.get('seed')}, "
                f"{span}; annual {len(self.annual):,} rows, programs {len(self.programs):,}, "
                f"products {len(self.products):,})")

    def _repr_html_(self) -> str:  # a notebook shows this: what the result is and its headline figures
        from .text import result_html

        return result_html(self)

    @property
    def metrics(self) -> list[str]:
        return [c for c in self.annual.columns if c not in KEYS]

    def summary(self, metrics=None) -> pd.DataFrame:
        """Per metric and year: mean, p5, p50, p95 over replications (NaNs ignored), and n.
        ``metrics``: a name or a list of names (columns of ``annual``, or a short name such as
        ``approvals``); default all."""
        return summarise(self.annual, self.metrics if metrics is None else metric_columns(metrics, self.metrics))

    def headline(self, years=None) -> pd.DataFrame:
        """A small table of the headline metrics at chosen years (a year or a list; default
        2025, 2030, 2035 and the horizon)."""
        all_years = sorted(self.annual["year"].unique())
        if years is None:
            horizon = all_years[-1]
            years = [y for y in (2025, 2030, 2035) if y in all_years and y != horizon] + [horizon]
        years = as_list(years)
        missing = [y for y in years if y not in all_years]
        if missing:
            raise ValueError(f"year {quoted(missing[0])} is not in the result ({all_years[0]}-{all_years[-1]})")
        s = self.summary(HEADLINE)
        return s[s["year"].isin(years)].reset_index(drop=True)

    def save(self, path) -> Path:
        """Write the result folder atomically (temporary folder, then rename). The manifest's
        replication count is that of the ``annual`` table saved (so a result cut down to some
        replications saves as such); the other tables may not hold replications it lacks."""
        path = user_path(path)
        if "replication" not in self.annual.columns or self.annual.empty:
            raise ResultError(path, None, "not written: the annual table holds no replication")
        def whole_numbers(name: str, column: str) -> None:  # as load_results reads them
            values = getattr(self, name)[column]
            if not pd.api.types.is_integer_dtype(values) or values.isna().any():
                what = "missing values" if pd.api.types.is_integer_dtype(values) else f"type {values.dtype}"
                raise ResultError(path, None, f"not written: the {column} column of {name} has {what}; "
                                    "it must hold whole numbers (an integer type)")

        for name in ("annual", "programs", "products", "sampled"):
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
                continue  # (sampled without draws is not saved)
            extra = set(table["replication"].unique().tolist()) - reps
            if extra:
                raise ResultError(path, None, f"not written: {name} holds replication {min(extra)}, which annual "
                                    "does not; keep the same replications in every table")
        manifest = {**self.manifest, "replications": len(reps)}
        if self.sampled is not None and len(self.sampled.columns) > 1 and len(
                set(self.sampled["replication"].unique().tolist())) != len(reps):
            raise ResultError(path, None, "not written: sampled lacks replications that annual holds; keep the "
                                "same replications in every table")
        with atomic_folder(path, "run") as tmp:
            self.annual.to_parquet(tmp / "annual.parquet", index=False)
            self.programs.to_parquet(tmp / "programs.parquet", index=False)
            self.products.to_parquet(tmp / "products.parquet", index=False)
            if self.sampled is not None and len(self.sampled.columns) > 1:
                self.sampled.to_parquet(tmp / "sampled.parquet", index=False)
            self.summary().to_csv(tmp / "summary.csv", index=False)
            write_manifest(tmp, manifest)
        return path


def summarise(annual: pd.DataFrame, metrics) -> pd.DataFrame:
    """Per metric and year of a (replication, year, metrics...) table: mean, p5, p50, p95 over
    replications (NaNs ignored), and n; metrics in the order given."""
    metrics = list(metrics)
    long = annual.melt(id_vars=list(KEYS), value_vars=metrics, var_name="metric")
    g = long.groupby(["metric", "year"], sort=False)["value"]
    out = pd.DataFrame({
        "mean": g.mean(),
        "p5": g.quantile(0.05),
        "p50": g.quantile(0.50),
        "p95": g.quantile(0.95),
        "n": g.count(),
    }).reset_index()
    order = {m: i for i, m in enumerate(metrics)}
    out["_o"] = out["metric"].map(order)
    return out.sort_values(["_o", "year"]).drop(columns="_o").reset_index(drop=True)


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


def load_results(path) -> ResultSet:
    """Load a result folder written by ``ResultSet.save`` (``cgt-sim run``).

    A folder without manifest.json raises FileNotFoundError; one with an unreadable manifest,
    the result of another analysis (``cgt-sim sweep`` or ``sensitivity``) or missing tables
    raises ResultError, whose message names the folder and says what it is."""
    path = user_path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such folder")
    if not (path / "manifest.json").exists():
        raise FileNotFoundError(f"{path}: not a cgt-sim result folder (no manifest.json)")
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
    again = "write it again with `cgt-sim run` or ResultSet.save"
    if result_kind(manifest) != "run":
        raise ResultError(path, None, "has a manifest.json that cgt-sim did not write: not a cgt-sim result "
                            "folder")
    check_manifest(manifest, path / "manifest.json")  # types, not only keys
    manifest.pop("written_by", None)
    missing = [t for t in ("annual", "programs", "products") if not (path / f"{t}.parquet").is_file()]
    if missing:
        raise ResultError(path, None, f"has a manifest.json but no {', '.join(f'{t}.parquet' for t in missing)}: "
                            f"not a complete run result; {again}")
    tables = {name: read_table(path / f"{name}.parquet", again) for name in ("annual", "programs", "products")}
    if (path / "sampled.parquet").exists():
        tables["sampled"] = read_table(path / "sampled.parquet", again)
    keys = {"annual": KEYS, "programs": ("replication", "program_id"), "products": ("replication", "program_id"),
            "sampled": ("replication",)}
    for name, df in tables.items():
        lacking = [c for c in keys[name] if c not in df.columns]
        if lacking:
            raise ResultError(path / f"{name}.parquet", None, f"has no {' or '.join(lacking)} column: not a "
                                f"cgt-sim {name} table; {again}")
        wrong = [c for c in keys[name] if not pd.api.types.is_integer_dtype(df[c])]
        if wrong:
            raise ResultError(path / f"{name}.parquet", None, f"its {wrong[0]} column holds {df[wrong[0]].dtype}, "
                                f"not whole numbers: not a cgt-sim {name} table; {again}")
    annual = tables["annual"]
    if annual.empty:
        raise ResultError(path / "annual.parquet", None, f"has no rows: not a finished run; {again}")
    reps = annual["replication"].nunique()
    stated = manifest.get("replications")
    if isinstance(stated, bool) or not isinstance(stated, int) or stated != reps:
        raise ResultError(path / "manifest.json", None, f"says {quoted(stated)} replications where annual.parquet "
                            f"holds {reps}: the result is damaged; {again}")
    scenario = manifest.get("scenario")
    uncertain = scenario.get("uncertain") if isinstance(scenario, dict) else None
    if uncertain and ("sampled" not in tables or tables["sampled"]["replication"].nunique() != reps):
        raise ResultError(path, None, f"declares {len(uncertain)} uncertain parameters but sampled.parquet does not "
                            f"hold the draws of its {reps} replications; {again}")
    if "sampled" not in tables:  # nothing was uncertain: the replications alone, as the run returned them
        tables["sampled"] = pd.DataFrame({"replication": np.sort(annual["replication"].unique())})
    return ResultSet(annual, with_categories("programs", tables["programs"]),
                     with_categories("products", tables["products"]), manifest, tables["sampled"])


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
