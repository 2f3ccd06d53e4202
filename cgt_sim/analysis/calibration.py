"""Calibration: targets taken from the sources, how far a run is from them, and the fit.

A targets file (``calibration/targets.yaml``)::

    free:                                   # parameters the fit may move, each within a range
      research.preclinical_years: {}        # {}: the catalogue's plausible range
      market.access_ceiling: {range: [0.3, 0.8]}
    targets:
      programs_in_clinic_2024:              # a name for the target
        figure: A1                          # the figure's id (optional)
        output: programs_in_clinic          # a model output (see OUTPUTS below)
        year: 2024
        interval: [400, 500]                # or value + tolerance, or at_least / at_most + tolerance
        weight: 1                           # optional, default 1
        source: A001                        # key(s) of cgt_sim/sources.py: seed article, publication
        note: ...                           # optional
        fit: true                           # optional; false: scored and reported, not fitted
        known_gap: ...                      # optional: a documented miss (see calibration/README.md)
        discrepancy: 10%                    # optional: the model discrepancy of history matching, a
                                            # standard deviation in the output's units or a share of
                                            # the target's value (default DEFAULT_DISCREPANCY)

Every target has a *misfit* z: (simulated mean - value) / tolerance for a value;
(mean - centre) / half-width for an interval; the shortfall past the bound / tolerance for
``at_least``/``at_most`` (0 when the bound holds). A target passes when |z| <= 1. The fit
minimises the weighted sum of z^2 over the targets with ``fit: true``, all evaluated on the
same replications (common random numbers), so two candidate points differ only by their
parameters.

Outputs: any column of ``ResultSet.annual`` at the year, and these, computed from the
``programs`` table per replication:

* ``cumulative_approvals.<modality|cluster>``: marketing approvals by 31 December of the year
* ``cumulative_ind_approvals.<modality|cluster>``: IND approvals by 31 December of the year
* ``new_ind_approvals.<modality|cluster>``: IND approvals within the year
* ``active_programs.<modality|cluster>``: programs started and not ended on 31 December
* ``inflection_year.<annual column>``: the year of the largest increase of the column's
  3-year centred moving average, over the simulated years up to the target's year
"""

from __future__ import annotations

import datetime as dt
import math
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..errors import ScenarioError, quoted, refused
from ..executors import default_workers, kept_open
from ..outputs import annual_columns
from ..parameters import CATALOGUE, CLUSTERS, MODALITIES
from ..paths import same_file, user_path
from ..provenance import made_by
from ..runner import run
from ..safe_load import Unreadable, yaml_text
from ..scenario import Scenario, _suggest, as_number, load_scenario, read_yaml
from ..sources import SOURCES
from ..storage import check_replaceable_file, held
from ..timeline import Clock, Schedule

TOP_KEYS = {"description", "free", "targets"}
TARGET_KEYS = {"figure", "output", "year", "value", "tolerance", "interval", "at_least", "at_most",
               "weight", "source", "note", "fit", "known_gap", "discrepancy"}
FREE_KEYS = {"range", "start"}
KINDS = ("value", "interval", "at_least", "at_most")
PROGRAM_OUTPUTS = {
    "cumulative_approvals": "marketing approvals by 31 December of the year",
    "cumulative_ind_approvals": "IND approvals by 31 December of the year",
    "new_ind_approvals": "IND approvals within the year",
    "new_approvals": "marketing approvals within the year",
    "active_programs": "programs started and not ended on 31 December",
}
INFLECTION = "inflection_year"
BUDGET = 110  # evaluations of the point fit's search
REPLICATIONS = 16  # replications per evaluation of the point fit
DEFAULT_DISCREPANCY = 0.10  # model discrepancy of a target without one: 10% of its value (history matching)
NAN_MISFIT = 100.0  # an output the run does not produce (e.g. no patients) counts as far off
SIGNIFICANT = 4  # fitted values are stored (and the final table computed) at 4 significant digits
RESTART_STEPS = (0.3, 0.3, 0.1, 0.04)  # Nelder-Mead's successive initial simplex sizes (on [0, 1])


# --------------------------------------------------------------------------------- outputs

@dataclass(frozen=True)
class Output:
    """A model output: an annual column, a count from the programs table, or an inflection year."""

    name: str
    kind: str  # "annual" | "programs" | "inflection"
    column: str  # annual column, or programs-table measure
    member: str = ""  # modality or cluster for "programs"

    def values(self, res, year: int) -> np.ndarray:
        """The output at ``year``, one value per replication (in replication order)."""
        reps = np.sort(res.annual["replication"].unique())
        if self.kind == "annual":
            a = res.annual[res.annual["year"] == year].set_index("replication")[self.column]
            return a.reindex(reps).to_numpy(dtype=float)
        if self.kind == "inflection":
            return np.array([_inflection_year(g[g["year"] <= year], self.column)
                             for _, g in res.annual.groupby("replication", sort=True)])
        return _program_counts(res, self.column, self.member, year).reindex(reps, fill_value=0).to_numpy(float)


def _inflection_year(annual: pd.DataFrame, column: str) -> float:
    s = annual.sort_values("year").set_index("year")[column].astype(float)
    smooth = s.rolling(3, center=True).mean()
    rise = smooth.diff().dropna()
    return float(rise.idxmax()) if len(rise) and np.isfinite(rise.to_numpy()).any() else math.nan


def _program_counts(res, measure: str, member: str, year: int) -> pd.Series:
    p = res.programs
    clock = Clock(dt.date(int(res.manifest["start_year"]), 1, 1))
    begin, end = clock.year_start_day(year), clock.year_start_day(year + 1)
    p = p[p["modality" if member in MODALITIES else "cluster"] == member]
    if measure == "cumulative_approvals":
        hit = p["approval_day"] < end
    elif measure == "cumulative_ind_approvals":
        hit = p["ind_day"] < end
    elif measure == "new_ind_approvals":
        hit = (p["ind_day"] >= begin) & (p["ind_day"] < end)
    elif measure == "new_approvals":
        hit = (p["approval_day"] >= begin) & (p["approval_day"] < end)
    else:  # active_programs
        hit = (p["arrival_day"] < end) & ~(p["end_day"] < end)
    return hit.groupby(p["replication"]).sum()


def parse_output(name, file, key: str, annual_columns: list[str]) -> Output:
    """The Output named ``name``; an unknown name is a ScenarioError naming file and key."""
    if not isinstance(name, str) or not name:
        raise ScenarioError(file, key, "must name a model output such as programs_in_clinic")
    if name in annual_columns:
        return Output(name, "annual", name)
    head, _, tail = name.partition(".")
    members = MODALITIES + CLUSTERS
    if head in PROGRAM_OUTPUTS and tail in members:
        return Output(name, "programs", head, tail)
    if head == INFLECTION and tail in annual_columns:
        return Output(name, "inflection", tail)
    if head in PROGRAM_OUTPUTS:
        raise ScenarioError(file, key, f"unknown output {quoted(name)}: {head}.<member> takes a modality or "
                            f"a cluster ({', '.join(members)})" + _suggest(tail, members))
    if head == INFLECTION:
        raise ScenarioError(file, key, f"unknown output {quoted(name)}: {INFLECTION}.<annual column>"
                            + _suggest(tail, annual_columns))
    known = list(annual_columns) + [f"{h}.<modality|cluster>" for h in PROGRAM_OUTPUTS] + [
        f"{INFLECTION}.<annual column>"]
    hint = _suggest(name, list(annual_columns) + list(PROGRAM_OUTPUTS))  # before the list: it is long
    raise ScenarioError(file, key, f"unknown output {quoted(name)}{hint}; allowed: " + ", ".join(known))


# --------------------------------------------------------------------------------- targets

@dataclass(frozen=True)
class Target:
    name: str
    output: Output
    year: int
    kind: str  # value | interval | at_least | at_most
    value: float  # the value, the interval's centre, or the bound
    tolerance: float  # the tolerance, the interval's half-width, or the bound's tolerance
    source: tuple  # keys of cgt_sim/sources.py
    weight: float = 1.0
    figure: str = ""
    note: str = ""
    fit: bool = True
    known_gap: str = ""
    discrepancy: float | None = None  # model discrepancy (a standard deviation; None: the default)
    discrepancy_text: str = ""  # as the targets file gives it ("10%", "4"; "" for the default)

    @property
    def discrepancy_sd(self) -> float:
        """The model discrepancy: as given, else DEFAULT_DISCREPANCY of the target's value."""
        return self.discrepancy if self.discrepancy is not None else DEFAULT_DISCREPANCY * abs(self.value)

    def misfit(self, simulated: float) -> float:
        """Signed distance from the target in tolerances (0 when a bound holds)."""
        if not math.isfinite(simulated):
            return math.nan
        d = simulated - self.value
        if self.kind == "at_least":
            d = min(d, 0.0)
        elif self.kind == "at_most":
            d = max(d, 0.0)
        return d / self.tolerance

    def passes(self, simulated: float) -> bool:
        z = self.misfit(simulated)
        return math.isfinite(z) and abs(z) <= 1.0

    def expected(self) -> str:
        """The target as text, its figures written as the simulated ones beside it
        (``text.format_number``): '1200-3600', '8.0 ± 3.0', '>= 50.0 (tolerance 10.0)', '45k-60k'."""
        from ..text import format_number

        f = (lambda x: f"{x:g}") if self.output.kind == "inflection" else format_number  # years: 2030, not 2.0k
        if self.kind == "interval":
            return f"{f(self.value - self.tolerance)}-{f(self.value + self.tolerance)}"
        if self.kind == "value":
            return f"{f(self.value)} ± {f(self.tolerance)}"
        sign = ">=" if self.kind == "at_least" else "<="
        return f"{sign} {f(self.value)} (tolerance {f(self.tolerance)})"


@dataclass(frozen=True)
class Free:
    """A free parameter: the fit moves it within [low, high], starting from ``start``."""

    key: str
    low: float
    high: float
    start: float | None = None  # None: the scenario's value (without calibration)

    @property
    def is_int(self) -> bool:
        return CATALOGUE[self.key].kind == "int"

    def at(self, u: float) -> float:
        """The value at position u in [0, 1] of the range (rounded for whole-number parameters)."""
        x = self.low + min(max(u, 0.0), 1.0) * (self.high - self.low)
        return float(round(x)) if self.is_int else float(x)

    def position(self, x: float) -> float:
        return (x - self.low) / (self.high - self.low)


@dataclass
class TargetSet:
    path: str
    targets: list[Target]
    free: list[Free] = field(default_factory=list)
    description: str = ""

    @property
    def fitted(self) -> list[Target]:
        return [t for t in self.targets if t.fit]

    def check_years(self, scenario: Scenario) -> None:
        """Every target year must be simulated from the scenario's start year on."""
        for t in self.targets:
            if t.year < scenario.start_year:
                raise ScenarioError(self.path, f"targets.{t.name}.year", f"must not be before the "
                                    f"scenario's start year {scenario.start_year} (got {t.year})")

    def after_horizon(self, scenario: Scenario) -> list[str]:
        """A note per target dated after the scenario's horizon: the runs are extended to it
        (as documented), which is what a year mistyped (2060 for 2025) also does."""
        return [f"{self.path}: targets.{t.name}.year {t.year} is after the scenario's horizon "
                f"{scenario.horizon_year}; the runs go on to {t.year}" for t in self.targets
                if t.year > scenario.horizon_year]


def load_targets(path) -> TargetSet:
    """Read and validate a targets file; problems raise ScenarioError naming file and key (and
    a ``path`` that is no path an OptionError naming ``targets``, the argument of calibrate,
    history_match and validate)."""
    path = user_path(path, argument="targets")
    data = read_yaml(path)
    if data is None:
        raise ScenarioError(path, None, "the file is empty; expected 'free:' and 'targets:'")
    if not isinstance(data, dict):
        raise ScenarioError(path, None, "must be a mapping with 'free:' and 'targets:'")
    for key in data:
        if key not in TOP_KEYS:
            raise ScenarioError(path, key, "unknown key; allowed: " + ", ".join(sorted(TOP_KEYS))
                                + _suggest(str(key), TOP_KEYS))
    raw_targets = data.get("targets")
    if not isinstance(raw_targets, dict) or not raw_targets:
        raise ScenarioError(path, "targets", "must map at least one target name to its figure "
                            "(output, year, value/interval, source)")
    columns = tuple(annual_columns())
    targets = [_parse_target(path, str(name), spec, columns) for name, spec in raw_targets.items()]
    raw_free = data.get("free") or {}
    if not isinstance(raw_free, dict):
        raise ScenarioError(path, "free", "must map parameter keys to {} or {range: [low, high]}")
    free = [_parse_free(path, str(key), spec) for key, spec in raw_free.items()]
    desc = data.get("description", "")
    return TargetSet(str(path), targets, free, desc if isinstance(desc, str) else "")


def _number(file, key: str, value, positive: bool = False) -> float:
    number = as_number(value)  # numbers written as text (1e2) too, as in scenario files
    if number is None or not math.isfinite(number):
        raise ScenarioError(file, key, f"must be a number (got {quoted(value)})")
    value = number
    if positive and value <= 0:
        raise ScenarioError(file, key, f"must be > 0 (got {value:g})")
    return float(value)


def _parse_target(file, name: str, spec, columns) -> Target:
    where = f"targets.{name}"
    if not isinstance(spec, dict):
        raise ScenarioError(file, where, "must be a mapping (output, year, value/interval, source)")
    for key in spec:
        if key not in TARGET_KEYS:
            raise ScenarioError(file, f"{where}.{key}", "unknown key; allowed: " + ", ".join(sorted(TARGET_KEYS))
                                + _suggest(str(key), TARGET_KEYS))
    if "output" not in spec:
        raise ScenarioError(file, f"{where}.output", "missing: name the model output the figure maps to")
    output = parse_output(spec["output"], file, f"{where}.output", columns)
    year = spec.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
        raise ScenarioError(file, f"{where}.year", f"must be a year such as 2025 (got {quoted(year)})")
    given = [k for k in KINDS if k in spec]
    if len(given) != 1:
        raise ScenarioError(file, where, "give exactly one of value (with tolerance), interval: [low, high], "
                            f"at_least or at_most (with tolerance); got {', '.join(given) or 'none'}")
    kind = given[0]
    if kind == "interval":
        iv = spec["interval"]
        if not isinstance(iv, list) or len(iv) != 2:
            raise ScenarioError(file, f"{where}.interval", f"must be [low, high] (got {quoted(iv)})")
        low = _number(file, f"{where}.interval", iv[0])
        high = _number(file, f"{where}.interval", iv[1])
        if not low < high:
            raise ScenarioError(file, f"{where}.interval", f"needs low < high (got [{low:g}, {high:g}])")
        if "tolerance" in spec:
            raise ScenarioError(file, f"{where}.tolerance", "an interval is its own tolerance; remove it")
        value, tol = (low + high) / 2.0, (high - low) / 2.0
    else:
        value = _number(file, f"{where}.{kind}", spec[kind])
        if "tolerance" not in spec:
            raise ScenarioError(file, f"{where}.tolerance", f"missing: {kind} needs a tolerance > 0 "
                                "(the uncertainty of the figure)")
        tol = _number(file, f"{where}.tolerance", spec["tolerance"], positive=True)
    weight = _number(file, f"{where}.weight", spec.get("weight", 1.0), positive=True)
    source = spec.get("source")
    keys = source if isinstance(source, list) and source else [source]
    for key in keys:
        if not isinstance(key, str) or key not in SOURCES:
            raise ScenarioError(file, f"{where}.source", "must be a key of cgt_sim/sources.py (a seed article "
                                f"such as A001, or a publication such as YICAI2025), or a list of them; got "
                                f"{quoted(key)}" + _suggest(str(key), SOURCES))
    fit = spec.get("fit", True)
    if not isinstance(fit, bool):
        raise ScenarioError(file, f"{where}.fit", f"must be true or false (got {quoted(fit)})")
    texts = {}
    for key in ("figure", "note", "known_gap"):
        v = spec.get(key, "")
        if not isinstance(v, (str, int, float)) or isinstance(v, bool):
            raise ScenarioError(file, f"{where}.{key}", "must be text")
        texts[key] = str(v).strip()
    disc, disc_text = _discrepancy(file, f"{where}.discrepancy", spec.get("discrepancy"), value)
    return Target(name, output, year, kind, value, tol, tuple(keys), weight, fit=fit, discrepancy=disc,
                  discrepancy_text=disc_text, **texts)


def _discrepancy(file, key: str, raw, value: float) -> tuple[float | None, str]:
    """A target's model discrepancy: a number >= 0 in the output's units, or a share of the
    target's value written as a percentage ("10%"); (None, "") when not given."""
    if raw is None:
        return None, ""
    if isinstance(raw, str) and raw.strip().endswith("%"):
        share = as_number(raw.strip()[:-1].strip())
        if share is None or not math.isfinite(share) or share < 0:
            raise ScenarioError(file, key, f"must be a percentage such as 10% or a number >= 0 (got {raw!r})")
        return share / 100.0 * abs(value), raw.strip()
    number = as_number(raw)
    if number is None or not math.isfinite(number) or number < 0:
        raise ScenarioError(file, key, f"must be a number >= 0 (a standard deviation in the output's units) or a "
                            f"percentage of the target's value such as 10% (got {raw!r})")
    return float(number), f"{number:g}"


def _parse_free(file, key: str, spec) -> Free:
    where = f"free.{key}"
    p = CATALOGUE.get(key)
    if p is None:
        raise ScenarioError(file, where, "unknown parameter" + _suggest(key, CATALOGUE))
    if p.kind not in ("float", "int"):
        raise ScenarioError(file, where, f"only numeric parameters can be fitted ({key} is {p.kind})")
    if key.startswith("simulation."):
        raise ScenarioError(file, where, "sets the simulated years, which are not a model parameter to fit")
    if isinstance(p.default, list):
        raise ScenarioError(file, where, "has dated values; only a constant parameter can be fitted")
    spec = {} if spec is None else spec
    if not isinstance(spec, dict):
        raise ScenarioError(file, where, "must be {} (the plausible range) or {range: [low, high], start: x}")
    for k in spec:
        if k not in FREE_KEYS:
            raise ScenarioError(file, f"{where}.{k}", "unknown key; allowed: range, start")
    if "range" in spec:
        rg = spec["range"]
        if not isinstance(rg, list) or len(rg) != 2:
            raise ScenarioError(file, f"{where}.range", f"must be [low, high] (got {quoted(rg)})")
        low, high = (_number(file, f"{where}.range", v) for v in rg)
    elif p.plausible is not None:
        low, high = (float(v) for v in p.plausible)
    else:
        raise ScenarioError(file, f"{where}.range", "missing: the catalogue gives no plausible range "
                            f"for {key} (source {p.source}); give range: [low, high]")
    if not low < high:
        raise ScenarioError(file, f"{where}.range", f"needs low < high (got [{low:g}, {high:g}])")
    if (p.low is not None and low < p.low) or (p.high is not None and high > p.high):
        raise ScenarioError(file, f"{where}.range", f"must lie within the parameter's valid range, "
                            f"{p.range_text()} (got [{low:g}, {high:g}])")
    start = None
    if "start" in spec:
        start = _number(file, f"{where}.start", spec["start"])
        if not low <= start <= high:
            raise ScenarioError(file, f"{where}.start", f"must lie in the range [{low:g}, {high:g}] (got {start:g})")
    return Free(key, low, high, start)


# --------------------------------------------------------------------------------- scoring

@dataclass(frozen=True)
class Scored:
    """One target against a run: the simulated mean, its 5-95% spread over replications."""

    target: Target
    mean: float
    p5: float
    p95: float
    n: int

    @property
    def misfit(self) -> float:
        return self.target.misfit(self.mean)

    @property
    def passed(self) -> bool:
        return self.target.passes(self.mean)

    def to_dict(self) -> dict:
        t = self.target
        return {"output": t.output.name, "year": t.year, "target": t.expected(), "fitted": t.fit,
                "simulated_mean": _round(self.mean), "p5": _round(self.p5), "p95": _round(self.p95),
                "misfit": _round(self.misfit), "pass": bool(self.passed)}


def score(res, targets: list[Target]) -> list[Scored]:
    """Score targets against a ResultSet (every target year must be simulated)."""
    out = []
    for t in targets:
        v = t.output.values(res, t.year)
        v = v[np.isfinite(v)]
        if v.size:
            out.append(Scored(t, float(v.mean()), float(np.quantile(v, 0.05)), float(np.quantile(v, 0.95)),
                              int(v.size)))
        else:
            out.append(Scored(t, math.nan, math.nan, math.nan, 0))
    return out


def objective(scored: list[Scored]) -> float:
    """Weighted sum of squared misfits (an output that is missing counts as NAN_MISFIT)."""
    total = 0.0
    for s in scored:
        z = s.misfit
        total += s.target.weight * (NAN_MISFIT if not math.isfinite(z) else z) ** 2
    return total


def evaluate(scenario: Scenario, targets: list[Target], replications: int, seed: int,
             workers: int | None = None, overrides: dict | None = None, progress=None) -> list[Scored]:
    """Run the scenario to the latest target year and score the targets."""
    until = max(t.year for t in targets)
    res = run(scenario, replications=replications, seed=seed, workers=workers, overrides=overrides,
              until=until, progress=progress)
    return score(res, targets)


# --------------------------------------------------------------------------------- the fit

def starting_point(scenario: Scenario, ts: TargetSet) -> dict:
    """Where the fit starts: each free parameter's ``start``, else its value in the scenario
    (as loaded without calibration), moved into its range."""
    out = {}
    for fp in ts.free:
        if fp.start is not None:
            out[fp.key] = fp.start
            continue
        v = scenario.values[fp.key]
        if not (isinstance(v, Schedule) and v.is_constant):
            raise ScenarioError(ts.path, f"free.{fp.key}", f"the scenario gives it dated values "
                                f"({scenario.origin.get(fp.key)}); only a constant parameter can be fitted")
        out[fp.key] = min(max(float(v.values()[0]), fp.low), fp.high)
    return out


@dataclass
class Fit:
    values: dict  # free parameter -> fitted value (rounded to SIGNIFICANT digits)
    start: dict
    objective: float
    objective_start: float
    evaluations: int
    scored: list[Scored]  # every target at the fitted values (the final run)


class _BudgetSpent(Exception):
    pass


def fit(scenario: Scenario, ts: TargetSet, budget: int = BUDGET, replications: int = REPLICATIONS, seed: int = 42,
        workers: int | None = None, progress=None, final_progress=None, start: dict | None = None) -> Fit:
    """Choose the free parameters within their ranges to minimise the objective.

    Each evaluation runs ``replications`` replications with root ``seed`` to the latest fitted
    target year, the same replications at every point (common random numbers). The search
    works on [0, 1] per parameter: the starting point, then a Latin-hypercube sample (seeded) of
    two points per parameter (at most an eighth of the budget), then Nelder-Mead (with
    dimension-adapted coefficients, Gao and Han 2012) from the best point found, restarted from
    the best point with a fresh simplex when it converges (RESTART_STEPS), until ``budget``
    evaluations are spent or the last, smallest simplex has converged. A final run at the
    fitted values (rounded to SIGNIFICANT digits) scores every target, the unfitted ones too.

    ``progress``: optional callable(evaluations done, budget, best objective so far);
    ``final_progress``: optional callable(replications done, replications) for the final run.
    ``start``: where the search starts ({free parameter: value}, see ``start_from``; default
    ``starting_point``). The best point is kept, so the fit is never worse than its start.
    """
    from scipy.optimize import minimize
    from scipy.stats import qmc

    start = check_fittable(ts, scenario) if start is None else start
    fitted = ts.fitted
    d = len(ts.free)
    cache: dict = {}
    best = {"f": math.inf, "u": None}

    def values_at(u) -> dict:
        return {fp.key: int(fp.at(float(x))) if fp.is_int else _round(fp.at(float(x)))
                for fp, x in zip(ts.free, u)}

    def f(u) -> float:
        vals = values_at(np.clip(u, 0.0, 1.0))
        key = tuple(vals.values())
        if key in cache:
            return cache[key]
        if len(cache) >= budget:
            raise _BudgetSpent
        scored = evaluate(scenario, fitted, replications, seed, workers, vals)
        obj = objective(scored)
        cache[key] = obj
        if obj < best["f"]:
            best["f"], best["u"] = obj, np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if progress:
            progress(len(cache), budget, best["f"])
        return obj

    u0 = np.array([fp.position(start[fp.key]) for fp in ts.free])
    with kept_open(default_workers(replications, workers)):  # one pool of workers for every evaluation
        try:
            f0 = f(u0)
            n_lhs = min(budget // 8, 2 * d)
            if n_lhs:
                for u in qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(n_lhs):
                    f(u)
            for step in RESTART_STEPS:  # Nelder-Mead from the best point, restarted smaller
                ub = best["u"]
                simplex = [ub] + [np.clip(ub + step * np.eye(d)[i] * (1 if ub[i] <= 0.5 else -1), 0.0, 1.0)
                                  for i in range(d)]
                minimize(f, ub, method="Nelder-Mead", bounds=[(0.0, 1.0)] * d,
                         options={"initial_simplex": np.array(simplex), "maxfev": 100 * budget,
                                  "xatol": step / 20, "fatol": 0.01, "adaptive": True})
        except _BudgetSpent:
            pass
        values = values_at(best["u"])
        scored = evaluate(scenario, ts.targets, replications, seed, workers, values, final_progress)
    return Fit(values, start, objective([s for s in scored if s.target.fit]), f0, len(cache), scored)


def _round(x: float) -> float | None:
    """x to SIGNIFICANT digits, as plain data (None when not finite)."""
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{SIGNIFICANT}g}")


# --------------------------------------------------------------------------------- fitted.yaml

def start_from(path, ts: TargetSet) -> dict:
    """The starting point of a warm start: the parameters of a fitted file, which must be the
    free parameters of ``ts``, each within its range (ScenarioError naming the file otherwise)."""
    found = read_fit(path)
    params = found.get("parameters")
    free = {fp.key: fp for fp in ts.free}
    if not isinstance(params, dict):
        raise ScenarioError(path, "parameters", f"missing: give the free parameters of {ts.path}: " + ", ".join(free))
    missing, extra = [k for k in free if k not in params], [k for k in params if k not in free]
    if missing or extra:
        what = "; ".join(part for part in (("missing " + ", ".join(missing)) if missing else "",
                                           ("not free in this targets file: " + ", ".join(extra)) if extra else "")
                         if part)
        raise ScenarioError(path, "parameters", f"must give exactly the free parameters of {ts.path} ({what})")
    out = {}
    for key, value in params.items():
        fp, number = free[key], as_number(value)
        if number is None or not fp.low <= number <= fp.high:
            raise ScenarioError(path, f"parameters.{key}", f"must be a number between {fp.low:g} and "
                                f"{fp.high:g} (got {quoted(value)})")
        out[key] = number
    return out


def fitted_document(result: Fit, ts: TargetSet, scenario_path, replications: int, seed: int,
                    budget: int, start_file=None, out=None) -> dict:
    """The content of a fitted file (plain data, in the order it is written)."""
    fit_horizon = max(t.year for t in ts.fitted)
    return {
        "created": dt.date.today().isoformat(),
        **made_by(),
        "command": (f"cgt-sim calibrate {ts.path} --scenario {scenario_path} --budget {budget} "
                    f"--replications {replications} --seed {seed}"
                    + (f" --start {start_file}" if start_file is not None else "")
                    + (f" --out {out}" if out is not None else "")),
        "targets_file": str(ts.path),
        "scenario": str(scenario_path),
        "seed": seed,
        "replications": replications,
        "fit_horizon": fit_horizon,
        "budget": budget,
        "evaluations": result.evaluations,
        "objective": _round(result.objective),
        "objective_start": _round(result.objective_start),
        "fitted_targets_pass": all(s.passed for s in result.scored if s.target.fit),
        "parameters": dict(result.values),
        "start": {k: _round(v) for k, v in result.start.items()},
        "ranges": {fp.key: [fp.low, fp.high] for fp in ts.free},
        "targets": {s.target.name: s.to_dict() for s in result.scored},
    }


HEADER = ("# Written by cgt-sim calibrate: the fitted parameter values, the objective, and every\n"
          "# target at the fitted values (mean and 5-95% of replications). Scenarios read\n"
          "# 'parameters' through 'calibrated:'. Do not edit by hand: change targets.yaml and re-run\n"
          "# the command below (see calibration/README.md).\n")


def check_fitted_target(path, targets=None) -> None:
    """A fitted file may replace an earlier fitted file, never another file (a targets file, a
    scenario); with ``targets`` (the default output, beside the targets file) only an earlier
    fit to the same targets file: raise ScenarioError naming ``path`` otherwise."""
    text = check_replaceable_file(path, _is_fitted, "a fitted file written by cgt-sim calibrate")
    if text is None or targets is None:
        return
    recorded = yaml_text(text)["targets_file"]
    if not same_file(recorded, Path(targets)):
        raise ScenarioError(path, None, f"holds the fit to {recorded}, not to {targets} "
                            f"(nothing was written); give `out` to write this fit elsewhere, or `out` {path} "
                            "to replace that fit")


def _is_fitted(text: str) -> bool:
    try:
        data = yaml_text(text)  # within bounds (see safe_load)
    except Unreadable:
        return False
    return isinstance(data, dict) and {"parameters", "targets_file", "objective"} <= set(data)


def write_fitted(path, document: dict) -> Path:
    """Write a fitted file atomically (a temporary file beside it, then a rename)."""
    path = user_path(path)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    with held(path):  # one writer at a time
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True,
                                                   width=1000), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            raise refused(exc, path) from None
        finally:
            tmp.unlink(missing_ok=True)
    return path


def read_fit(path) -> dict:
    """A fitted file as data (for reproducing its table: seed, replications, parameters)."""
    from ..scenario import read_fitted

    data = read_yaml(user_path(path))
    read_fitted(Path(path))  # the parameters must be valid
    return data


def check_fittable(ts: TargetSet, scenario: Scenario) -> dict:
    """Raise ScenarioError unless the targets can be fitted on the scenario; return the start."""
    if not ts.free:
        raise ScenarioError(ts.path, "free", "name at least one parameter to fit")
    if not ts.fitted:
        raise ScenarioError(ts.path, "targets", "no target has fit: true; nothing to fit to")
    ts.check_years(scenario)
    return starting_point(scenario, ts)


def prepare(targets_path, scenario_path) -> tuple[TargetSet, Scenario]:
    """Load and check the targets and the scenario to fit (without its calibrated values)."""
    ts = load_targets(targets_path)
    sc = load_scenario(scenario_path, use_calibrated=False)
    check_fittable(ts, sc)
    return ts, sc
