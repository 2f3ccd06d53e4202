"""Global sensitivity analysis of one metric over a scenario's ``uncertain:`` parameters (SALib).

The factors are the parameters of the scenario's ``uncertain:`` block. Whatever the declared
distribution, each factor is sampled *uniformly over its support* (``Uncertain.bounds``: low-high
of uniform and triangular; the smallest to the largest value of a choice, whose values are then
picked with equal chance; normal and lognormal without bounds cut at 3 standard deviations),
within the parameter's valid range; whole-number parameters are rounded. Sensitivity asks how
much each factor *can* move the metric over its range, so the declared shape (a triangle's mode,
a choice's weights) does not weight the sample.

Each sample point is the scenario with every factor fixed to the point's value (an override,
which replaces the ``uncertain:`` draw), run for a few replications with the same root seed at
every point (common random numbers, so the points differ by their parameters, not by their
luck); the point's metric is the mean over those replications of an annual column at a year.

Sobol (Saltelli's scheme, ``SALib.sample.sobol``): N*(2D+2) points for D factors, first-order
(S1), total (ST) and second-order (S2) indices. Morris (``SALib.sample.morris``, 4 levels):
N trajectories of D+1 points, mu, mu* (mean absolute elementary effect, in metric units per whole
factor range, measured on the values the model ran with: see ``morris_indices``) and sigma.
``*_conf`` columns are half-widths of 95% bootstrap intervals; they
show sampling error over the points, not the simulation noise left in each point's mean.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import OptionError, ScenarioError, quoted
from ..parameters import CATALOGUE
from ..paths import user_path
from ..progress import shows_progress
from ..provenance import made_by
from ..runner import resolve
from ..scenario import Scenario, whole_number, whole_number_at
from ..storage import atomic_folder, write_manifest
from .points import run_points, year_metric

METHODS = ("sobol", "morris")
DEFAULT_SAMPLES = {"sobol": 64, "morris": 10}
MORRIS_LEVELS = 4
CONF_LEVEL = 0.95
RESAMPLES = 1000
INDEX_COLUMNS = {"sobol": ["S1", "S1_conf", "ST", "ST_conf"],
                 "morris": ["mu", "mu_star", "mu_star_conf", "sigma"]}


@dataclass(frozen=True)
class Factor:
    """One uncertain parameter and the range a sensitivity analysis samples uniformly."""

    key: str
    low: float
    high: float
    choices: tuple = ()  # the values of a choice distribution (picked with equal chance)
    integer: bool = False

    @property
    def bounds(self) -> list[float]:
        """The factor's range in SALib's sample space (an index range for a choice)."""
        return [0.0, float(len(self.choices))] if self.choices else [self.low, self.high]

    def value(self, x: float):
        """The parameter value for a sample coordinate ``x`` within ``bounds``."""
        if self.choices:
            return self.choices[min(int(x), len(self.choices) - 1)]
        if self.integer:  # each whole number of the range with an equal share of it
            return whole_number_at((x - self.low) / (self.high - self.low), self.low, self.high)
        return float(x)


def factors(scenario: Scenario) -> list[Factor]:
    """The factors of a scenario: its ``uncertain:`` parameters, in the order declared."""
    where = scenario.path or scenario.name
    if not scenario.uncertain:
        raise ScenarioError(where, "uncertain", "the scenario has no uncertain parameters; a sensitivity "
                            "analysis varies those of an 'uncertain:' block")
    return [factor(where, "uncertain", key, u, "a sensitivity analysis") for key, u in scenario.uncertain.items()]


def factor(where, section: str, key: str, u, what: str) -> Factor:
    """The factor of a declared distribution ``u`` (of ``section``, uncertain or levers): its
    support, sampled uniformly by ``what`` (an analysis), which needs a range."""
    low, high = u.bounds()
    choices = tuple(sorted(set(u.args["values"]))) if u.dist == "choice" else ()
    if (len(choices) < 2) if u.dist == "choice" else not low < high:
        raise ScenarioError(where, f"{section}.{key}", f"has a single value; {what} needs a range")
    return Factor(key, low, high, choices, CATALOGUE[key].kind == "int")


def _problem(facs: list[Factor]) -> dict:
    """The SALib problem of a list of factors."""
    return {"num_vars": len(facs), "names": [f.key for f in facs], "bounds": [f.bounds for f in facs]}


@dataclass
class SensitivityPlan:
    """Everything checked and sampled before a sensitivity analysis runs."""

    scenario: Scenario  # with the horizon cut to ``until``
    factors: list[Factor]
    method: str
    samples: int
    metric: str
    column: str
    year: int
    seed: int
    inputs: np.ndarray  # SALib sample, one row per point, one column per factor

    @property
    def points(self) -> int:
        return len(self.inputs)

    @property
    def problem(self) -> dict:
        return _problem(self.factors)

    def values(self) -> pd.DataFrame:
        """The parameter values of every point (one column per factor)."""
        return pd.DataFrame({f.key: [f.value(x) for x in self.inputs[:, j]]
                             for j, f in enumerate(self.factors)})

    def point_scenarios(self) -> list[Scenario]:
        return [self.scenario.with_overrides(row, label="sensitivity")
                for row in self.values().to_dict("records")]


def prepare(scenario, metric: str = "approvals_2035", method: str = "sobol", samples: int | None = None,
            until: int | None = None, seed: int = 42) -> SensitivityPlan:
    """Check the inputs of a sensitivity analysis and draw its sample points (nothing runs).

    ``until``: last simulated year (default: the metric's year). Raises ScenarioError naming
    what is wrong."""
    if method not in METHODS:
        raise OptionError("method", f"must be sobol or morris (got {quoted(method)})")
    samples = DEFAULT_SAMPLES[method] if samples is None else samples
    samples = whole_number(samples, "samples", 2)
    if method == "sobol" and samples & (samples - 1):
        raise OptionError("samples", f"sobol needs a power of 2 such as 32, 64 or 128 "
                            f"(got {samples})")
    seed = whole_number(seed, "seed", 0)
    sc = resolve(scenario, until=until)
    column, year = year_metric(metric, sc)
    if until is None:
        sc = resolve(sc, until=year)
    facs = factors(sc)
    if method == "sobol":
        from SALib.sample import sobol as sampler

        inputs = sampler.sample(_problem(facs), samples, calc_second_order=True, scramble=True, seed=seed)
    else:
        from SALib.sample import morris as sampler

        inputs = sampler.sample(_problem(facs), samples, num_levels=MORRIS_LEVELS, seed=seed)
    return SensitivityPlan(sc, facs, method, samples, metric, column, year, seed, inputs)


WIDE = 0.1  # a Sobol index (a share of variance) known to no better than +-0.1 cannot rank factors


def imprecise(indices: pd.DataFrame, method: str) -> list[str]:
    """The factors whose indices are too uncertain to read: a Sobol S1 or ST whose 95%
    half-width exceeds 0.1, or a Morris mu_star whose half-width exceeds mu_star itself."""
    if method == "sobol":
        wide = (indices["S1_conf"] > WIDE) | (indices["ST_conf"] > WIDE)
    else:
        wide = indices["mu_star_conf"] > indices["mu_star"].abs()
    return list(indices.loc[wide.fillna(False).astype(bool), "parameter"])


@dataclass(repr=False, eq=False)  # == is identity: its tables do not compare as one truth value
class SensitivityResult:
    """Indices (one row per factor, most influential first), the sample points and a manifest."""

    indices: pd.DataFrame
    samples: pd.DataFrame
    second_order: pd.DataFrame | None = None
    manifest: dict = field(default_factory=dict)

    def __repr__(self) -> str:  # short: the samples and the manifest are long
        m = self.manifest
        first = self.indices["parameter"].iloc[0] if len(self.indices) else None
        return (f"SensitivityResult(scenario={m.get('scenario', {}).get('name')!r}, method={m.get('method')!r}, "
                f"metric={m.get('metric')!r}, {len(self.indices)} factors (first: {first!r}), "
                f"{m.get('points')} points x {m.get('replications')} replications)")

    def save(self, path) -> Path:
        """Write indices.csv, samples.parquet, second_order.csv (Sobol), a bar chart of the
        indices (indices.png) and manifest.json into ``path``, atomically."""
        path = user_path(path)
        with atomic_folder(path, "sensitivity") as tmp:
            self.indices.to_csv(tmp / "indices.csv", index=False)
            self.samples.to_parquet(tmp / "samples.parquet", index=False)
            if self.second_order is not None:
                self.second_order.to_csv(tmp / "second_order.csv", index=False)
            from ..report import chart_text

            with chart_text([self.manifest["scenario"]["name"]]):
                plot_indices(self.indices, self.manifest, tmp / "indices.png")
            write_manifest(tmp, self.manifest)
        return path


def execute(plan: SensitivityPlan, replications: int = 2, workers: int | None = None,
            progress=None) -> SensitivityResult:
    """Run every sample point of a plan and compute the indices."""
    started = time.perf_counter()
    samples = plan.values()

    def has_value(i: int, rows: pd.DataFrame) -> None:
        """Stop at the first point without a value: the indices need every point."""
        if np.isnan(rows[plan.column].mean()):
            at = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in samples.iloc[i].items())
            raise OptionError("metric", f"{plan.metric} has no value at sample point {i} ({at}) "
                                "and the indices need every point; choose another metric or year")

    frames = run_points(plan.point_scenarios(), replications, plan.seed, [plan.column], [plan.year],
                        workers, progress, has_value)
    y = np.array([f[plan.column].mean() for f in frames], dtype=float)
    samples.insert(0, "point", np.arange(len(samples)))
    samples[plan.metric] = y
    constant = bool(np.ptp(y) == 0.0)
    indices, second = _analyse(plan, y, constant)
    manifest = {
        "analysis": "sensitivity",
        "method": plan.method,
        "metric": plan.metric,
        "column": plan.column,
        "year": plan.year,
        "samples": plan.samples,
        "points": plan.points,
        "replications": replications,
        "seed": plan.seed,
        "start_year": plan.scenario.start_year,
        "horizon_year": plan.scenario.horizon_year,
        "conf_level": CONF_LEVEL,
        "sampling": "uniform over each factor's range",
        "factors": [{"key": f.key, "low": f.low, "high": f.high, **({"values": list(f.choices)} if f.choices else {}),
                     "declared": plan.scenario.uncertain[f.key].to_dict()} for f in plan.factors],
        "metric_constant": constant,
        "scenario": plan.scenario.to_dict(),
        **made_by(),
        "salib_version": version("SALib"),
        "wall_time_s": round(time.perf_counter() - started, 3),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if plan.method == "morris":
        manifest["morris_levels"] = MORRIS_LEVELS
    return SensitivityResult(indices, samples, second, manifest)


def _analyse(plan: SensitivityPlan, y: np.ndarray, constant: bool):
    names = [f.key for f in plan.factors]
    cols = INDEX_COLUMNS[plan.method]
    second = None
    if constant and plan.method == "sobol":  # variance-based indices of a constant are 0/0
        indices = pd.DataFrame({"parameter": names, **{c: np.nan for c in cols}})
        return indices, _second_order(names, None)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if plan.method == "sobol":
            from SALib.analyze import sobol

            r = sobol.analyze(plan.problem, y, calc_second_order=True, num_resamples=RESAMPLES,
                              conf_level=CONF_LEVEL, seed=plan.seed)
            second = _second_order(names, r)
        else:
            r = morris_indices(plan.factors, plan.inputs, y, plan.seed)
    indices = pd.DataFrame({"parameter": names, **{c: np.asarray(r[c], dtype=float) for c in cols}})
    rank = "ST" if plan.method == "sobol" else "mu_star"
    indices = indices.sort_values(rank, ascending=False, kind="stable").reset_index(drop=True)
    return indices, second


def morris_indices(facs: list[Factor], inputs: np.ndarray, y: np.ndarray, seed: int | None = None) -> dict:
    """Morris indices from trajectories (``inputs``: N trajectories of D+1 points in sample
    space, each step moving one factor; ``y``: the metric at each point).

    An elementary effect is the change in the metric over the change in the factor's *value*
    as a share of its whole range (high - low), so mu, mu* and sigma are in metric units per
    whole factor range for every kind of factor: a choice (whose sample-space step can move
    it by one value or several) and a whole-number parameter (rounded) too. A step that leaves
    a rounded value unchanged gives no effect. mu_star_conf: half-width of the bootstrap
    interval of mu* at ``CONF_LEVEL`` (``RESAMPLES`` resamples)."""
    from scipy import stats

    d = len(facs)
    values = np.array([[f.value(x) for f, x in zip(facs, row)] for row in inputs], dtype=float)
    span = np.array([f.high - f.low for f in facs], dtype=float)
    effects: list[list[float]] = [[] for _ in range(d)]
    for start in range(0, len(inputs), d + 1):
        x, v, out = inputs[start:start + d + 1], values[start:start + d + 1], y[start:start + d + 1]
        for j in range(d):
            moved = np.flatnonzero(x[j + 1] != x[j])
            if moved.size != 1:
                continue
            i = int(moved[0])
            dv = v[j + 1, i] - v[j, i]
            if dv != 0:
                effects[i].append(float(out[j + 1] - out[j]) / (dv / span[i]))
    rng = np.random.default_rng(seed)
    z = stats.norm.ppf(0.5 + CONF_LEVEL / 2)
    r = {"mu": [], "mu_star": [], "sigma": [], "mu_star_conf": []}
    for ee in map(np.asarray, effects):
        r["mu"].append(ee.mean() if ee.size else np.nan)
        r["mu_star"].append(np.abs(ee).mean() if ee.size else np.nan)
        r["sigma"].append(ee.std(ddof=1) if ee.size > 1 else np.nan)
        boot = np.abs(ee)[rng.integers(0, ee.size, (RESAMPLES, ee.size))].mean(axis=1) if ee.size else []
        r["mu_star_conf"].append(z * np.std(boot, ddof=1) if ee.size > 1 else np.nan)
    return r


def _second_order(names: list[str], r) -> pd.DataFrame | None:
    """S2 of each pair of factors (None with a single factor)."""
    if len(names) < 2:
        return None
    rows = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            rows.append({"parameter_a": names[i], "parameter_b": names[j],
                         "S2": np.nan if r is None else float(r["S2"][i, j]),
                         "S2_conf": np.nan if r is None else float(r["S2_conf"][i, j])})
    return pd.DataFrame(rows)


def plot_indices(indices: pd.DataFrame, manifest: dict, path: Path) -> None:
    """Horizontal bars of the indices, most influential factor on top, with 95% error bars."""
    from matplotlib.figure import Figure

    method = manifest["method"]
    d = len(indices)
    fig = Figure(figsize=(8.5, 1.6 + 0.55 * d))
    ax = fig.subplots()
    y = np.arange(d)[::-1]  # first row (largest) on top
    h = 0.38
    if method == "sobol":
        bars = (("ST", "ST_conf", "total effect (ST)"), ("S1", "S1_conf", "first order (S1)"))
        xlabel = f"Sobol index (share of the variance of {manifest['metric']})"
    else:
        bars = (("mu_star", "mu_star_conf", "mu* (mean |elementary effect|)"),
                ("sigma", None, "sigma (interactions, non-linearity)"))
        xlabel = f"change in {manifest['metric']} over a factor's whole range"
    for k, (col, conf, label) in enumerate(bars):
        err = None if conf is None else indices[conf].to_numpy()
        ax.barh(y + (h / 2 if k == 0 else -h / 2), indices[col].to_numpy(), height=h, xerr=err,
                capsize=3, label=label + (", 95% interval" if conf else ""), color=f"C{k}",
                alpha=1.0 if k == 0 else 0.6)
    ax.set_yticks(y, indices["parameter"].tolist())
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_title(f"{manifest['scenario']['name']}: {method} sensitivity of {manifest['metric']}\n"
                 f"{manifest['points']} points, each the mean of {manifest['replications']} replication(s), "
                 "common random numbers", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    if manifest.get("metric_constant"):
        ax.text(0.5, 0.5, f"{manifest['metric']} is the same at every point:\nno index to show",
                transform=ax.transAxes, ha="center", va="center")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


@shows_progress("sensitivity", "points")
def sensitivity(scenario, metric: str = "approvals_2035", method: str = "sobol", samples: int | None = None,
                replications: int = 2, seed: int = 42, until: int | None = None, workers: int | None = None,
                progress=None) -> SensitivityResult:
    """Sensitivity indices of ``metric`` (``<metric>_<year>``) over the scenario's uncertain parameters.

    ``method``: "sobol" (``samples`` N a power of 2, default 64: N*(2D+2) points) or "morris"
    (N trajectories, default 10: N*(D+1) points). Every point runs ``replications`` replications
    with root seed ``seed``; ``until``: the last simulated year (default the metric's year).
    ``progress``: True for a bar, or a callable(done, total) over points.

    Returns a ``SensitivityResult``: ``.indices`` (a row per factor, most influential first:
    S1, S1_conf, ST, ST_conf for Sobol; mu, mu_star, mu_star_conf, sigma for Morris),
    ``.samples`` (each point's factor values and metric), ``.second_order`` (Sobol S2, else None),
    ``.manifest`` and ``.save(folder)``. Bad input raises ``ScenarioError`` before anything runs.
    A metric that is the same at every point, or intervals too wide to rank the factors
    (``imprecise``), give a ``UserWarning``, as the command prints a note.
    """
    plan = prepare(scenario, metric, method, samples, until, seed)
    result = execute(plan, replications, workers, progress)
    for text in notes(result):
        warnings.warn(text, stacklevel=2)
    return result


def notes(result: SensitivityResult) -> list[str]:
    """What a reader of the indices should be told: a metric that never changed, or factors
    whose intervals are too wide to rank them (arguments named in backquotes, as the command
    line renames them)."""
    m = result.manifest
    if m["metric_constant"]:
        return [f"{m['metric']} is the same at every point; the indices are undefined"]
    wide = imprecise(result.indices, m["method"])
    if wide:
        return [f"the intervals of {len(wide)} of {len(result.indices)} parameters are too wide to rank them "
                f"({', '.join(wide)}); run more `samples` (or more `replications` per point)"]
    return []
