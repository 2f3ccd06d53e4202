"""Many variants of one scenario, run under common random numbers, and the metrics they report.

A sensitivity analysis (sample points) and a sweep (grid points) both run the same scenario
with a few parameters fixed to other values, every variant with the same root seed, so
replication r of each variant sees the same random streams and differences between variants
come from the parameters, not from the luck of the draw.

Metrics are columns of ``ResultSet.annual``; ``approvals`` and ``ind_approvals`` are short
names of ``cumulative_approvals`` and ``cumulative_ind_approvals``. A metric at a year is
written ``<metric>_<year>``, e.g. ``approvals_2035`` or ``patients_treated_2030``.
"""

from __future__ import annotations

import operator
import re

import pandas as pd

from ..errors import OptionError, ScenarioError, quoted
from ..executors import kept_open, open_executor, process_workers
from ..outputs import ALIASES, KEYS, annual_columns
from ..results import as_list
from ..runner import run
from ..scenario import Scenario, check_run_counts


def default_years(start: int, horizon: int) -> list[int]:
    """2030, 2035 (when simulated before the horizon) and the horizon."""
    return [y for y in (2030, 2035) if start <= y < horizon] + [horizon]


def asked(values, what: str, default) -> list:
    """``values`` (one or a list) as a list, ``default`` when None. An empty list is a
    ScenarioError naming ``what``: asking for nothing is likelier a slip than a wish for the
    defaults."""
    if values is None:
        return list(default)
    values = as_list(values)
    if not values:
        raise ScenarioError(what, None, "is empty: give at least one, or leave it out for the defaults")
    return values


def check_years(years, start: int, horizon: int) -> list[int]:
    """The years asked for (default: ``default_years``), each within the simulated years."""
    years = asked(years, "years", default_years(start, horizon))
    out = []
    for y in years:
        try:
            y = operator.index(y)
        except TypeError:
            raise OptionError("years", f"{quoted(y)} is not a year (a whole number)") from None
        if not start <= y <= horizon:
            raise OptionError("years", f"{y} is outside the simulated years {start}-{horizon}")
        if int(y) not in out:  # a year asked twice is one year
            out.append(int(y))
    return out


def year_metric(name: str, scenario: Scenario, last_year: int | None = None) -> tuple[str, int]:
    """(annual column, year) of a ``<metric>_<year>`` name such as ``approvals_2035``.

    The year must lie between the scenario's start year and ``last_year`` (default its horizon).
    """
    m = re.fullmatch(r"(.+)_(\d{4})", name) if isinstance(name, str) else None
    known = annual_columns()
    column = ALIASES.get(m.group(1), m.group(1)) if m else None
    if column not in known:
        raise OptionError("metric", f"unknown metric {quoted(name)}; use <metric>_<year> "
                            "(e.g. approvals_2035) with <metric> one of " + ", ".join(list(ALIASES) + known))
    year = int(m.group(2))
    start, last = scenario.start_year, scenario.horizon_year if last_year is None else last_year
    if not start <= year <= last:
        raise OptionError("metric", f"{name}: year {year} is outside the simulated years "
                            f"{start}-{last}")
    return column, year


def _point(scenario: Scenario, replications: int, seed: int, columns: list[str], years: list[int],
           workers: int) -> pd.DataFrame:
    res = run(scenario, replications=replications, seed=seed, workers=workers)
    annual = res.annual
    return annual.loc[annual["year"].isin(years), list(KEYS) + list(columns)].reset_index(drop=True)


def run_points(scenarios: list[Scenario], replications: int, seed: int, columns: list[str],
               years: list[int], workers: int | None = None, progress=None,
               check=None) -> list[pd.DataFrame]:
    """Run every scenario with the same seed; return, per scenario, its annual rows
    (replication, year, columns) at ``years``.

    With at least as many scenarios as workers, whole scenarios go to worker processes (each
    runs its replications one after another: a few replications per point would not keep the
    cores busy); with fewer, the scenarios run in turn and their replications in parallel.
    Results do not depend on ``workers``. ``progress``: optional callable(done, total) called
    as scenarios finish. ``check``: optional callable(index, rows) called as each scenario
    finishes; what it raises stops the run at once (the points not yet run are not run).
    """
    replications, seed, workers = check_run_counts(replications, seed, workers)
    workers = process_workers(workers)
    total = len(scenarios)
    out: list = [None] * total
    with kept_open(workers):  # one pool of workers for every point
        if workers == 1 or total < workers:
            for i, sc in enumerate(scenarios):
                out[i] = _point(sc, replications, seed, columns, years, workers)
                if check:
                    check(i, out[i])
                if progress:
                    progress(i + 1, total)
            return out
        # an error or Ctrl-C stops the workers at once, points running or not yet started
        with open_executor("process", workers) as pool:
            calls = pool.calls(_point, [(sc, replications, seed, columns, years, 1) for sc in scenarios])
            for done, (i, rows) in enumerate(calls, 1):
                out[i] = rows
                if check:
                    check(i, rows)
                if progress:
                    progress(done, total)
    return out
