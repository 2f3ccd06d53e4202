"""Scenario discovery: which combinations of uncertainties and policy choices lead to an outcome
(Bryant and Lempert 2010; Kwakkel's EMA Workbench, whose PRIM this uses).

The factors are the scenario's ``uncertain:`` parameters and its ``levers:`` (policy choices).
An experiment design (a Latin hypercube) samples every factor uniformly over its support, as a
sensitivity analysis does (``sensitivity.factor``); each experiment is the scenario with the
uncertain parameters fixed to the experiment's values and the levers set to theirs (a lever the
scenario changes over time keeps its dates: the value replaces that of its last change, as a
sweep does), run for a few replications with a seed of its own (the model's randomness is one
more uncertainty). The outcome, an expression over annual metrics in a year such as
``approvals_2035 < 60 and patients_treated_2030 >= 1000``, is judged on each experiment's means.
PRIM (``ema_workbench.analysis.prim``) then peels the factor space down to boxes where the
outcome holds: each box on its peeling trajectory has a coverage (the share of the experiments
where the outcome holds that fall in it) and a density (the share of the experiments in it where
the outcome holds). The box reported is the one of largest coverage among those whose density
reaches ``threshold`` (else the densest).

``ema_model(scenario)`` gives cgt-sim to users of the EMA Workbench as a ``Model``: its
uncertainties and levers are the scenario's, its outcomes metrics in a year.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import OptionError, ScenarioError
from ..paths import user_path
from ..results import as_list
from ..scenario import Scenario, whole_number, whole_number_at
from ..storage import atomic_folder, write_manifest
from .points import year_metric
from .sensitivity import Factor, factor
from .sweep import grid_change

EXAMPLE = 'e.g. "approvals_2035 < 60" or "approvals_2035 < 60 and patients_treated_2030 >= 1000"'
COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
           ast.Eq: operator.eq, ast.NotEq: operator.ne}
THRESHOLD = 0.8
EXPERIMENTS = 1000


def _ema():
    """The EMA Workbench's modules, or a one-line OptionError saying how to install them."""
    try:
        with warnings.catch_warnings():  # it warns about optional parts it lacks (ipyparallel, altair)
            warnings.simplefilter("ignore")
            import ema_workbench
            from ema_workbench.analysis import prim
    except ImportError:
        raise OptionError("discovery", "scenario discovery needs the EMA Workbench: pip install 'cgt-sim[discovery]' "
                          "(or pip install ema-workbench)") from None
    return ema_workbench, prim


# ------------------------------------------------------------------------------ outcomes

@dataclass(frozen=True)
class Outcome:
    """A condition on annual metrics in a year (see ``parse_outcome``)."""

    text: str
    metrics: dict  # name as written -> (annual column, year)
    tree: ast.Expression = field(repr=False)

    @property
    def last_year(self) -> int:
        return max(year for _, year in self.metrics.values())

    def holds(self, values: dict) -> np.ndarray:
        """Whether the outcome holds, given each metric's values ({name: array}); a comparison
        with a missing value (NaN) is false."""
        def walk(node):
            if isinstance(node, ast.Expression):
                return walk(node.body)
            if isinstance(node, ast.BoolOp):
                parts = [walk(v) for v in node.values]
                combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
                out = parts[0]
                for p in parts[1:]:
                    out = combine(out, p)
                return out
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
                return np.logical_not(walk(node.operand))
            if isinstance(node, ast.Compare):
                left, out = walk(node.left), None
                for op, right in zip(node.ops, node.comparators):
                    r = walk(right)
                    with np.errstate(invalid="ignore"):
                        part = COMPARE[type(op)](left, r)
                    out = part if out is None else np.logical_and(out, part)
                    left = r
                return out
            if isinstance(node, ast.Name):
                return np.asarray(values[node.id], dtype=float)
            if isinstance(node, ast.UnaryOp):  # a signed number
                v = walk(node.operand)
                return -v if isinstance(node.op, ast.USub) else v
            return float(node.value)

        return np.asarray(walk(self.tree), dtype=bool)


def parse_outcome(text, scenario: Scenario) -> Outcome:
    """An outcome expression: comparisons (<, <=, >, >=, ==, !=) of ``<metric>_<year>`` names
    (as elsewhere: ``approvals_2035``, ``patients_treated_2030``) with numbers or each other,
    joined by ``and``, ``or``, ``not`` and parentheses. Anything else is an OptionError naming
    ``outcome``."""
    if not isinstance(text, str) or not text.strip():
        raise OptionError("outcome", f"give a condition on metrics in a year, {EXAMPLE}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise OptionError("outcome", f"{text!r} is not an expression ({exc.msg}); {EXAMPLE}") from None
    metrics: dict = {}

    def bad(node, what: str):
        part = ast.get_source_segment(text.strip(), node) or type(node).__name__
        raise OptionError("outcome", f"{text!r}: {what} ({part!r}); {EXAMPLE}")

    def condition(node) -> None:  # something true or false
        if isinstance(node, ast.BoolOp):
            for v in node.values:
                condition(v)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            condition(node.operand)
        elif isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) not in COMPARE:
                    bad(node, "compare with <, <=, >, >=, == or !=")
            for side in [node.left, *node.comparators]:
                quantity(side)
        else:
            bad(node, "not a comparison such as approvals_2035 < 60")

    def quantity(node) -> None:  # a metric in a year or a number
        if isinstance(node, ast.Name):
            try:
                metrics[node.id] = year_metric(node.id, scenario)
            except OptionError as exc:
                raise OptionError("outcome", exc.message) from None
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            quantity(node.operand)
            if not isinstance(node.operand, ast.Constant):
                bad(node, "a sign goes before a number only")
        elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(
                node.value, bool):
            if not math.isfinite(node.value):
                bad(node, "not a finite number")
        else:
            bad(node, "a metric in a year (<metric>_<year>) or a number is expected here")

    condition(tree.body)
    if not metrics:
        raise OptionError("outcome", f"{text!r} names no metric; {EXAMPLE}")
    return Outcome(text.strip(), metrics, tree)


# ------------------------------------------------------------------------------ the design

@dataclass
class DiscoveryPlan:
    """Everything checked and sampled before a discovery runs."""

    scenario: Scenario  # run to the outcome's last year (or ``until``)
    outcome: Outcome
    uncertain: list  # Factor
    levers: list  # Factor
    inputs: np.ndarray  # experiments x factors, in [0, 1)
    replications: int
    seed: int
    threshold: float

    @property
    def factors(self) -> list[Factor]:
        return self.uncertain + self.levers

    def values(self) -> pd.DataFrame:
        """Each experiment's factor values (a column per factor)."""
        return pd.DataFrame({f.key: [_value(f, u) for u in self.inputs[:, j]] for j, f in enumerate(self.factors)})

    def scenario_of(self, row: dict) -> Scenario:
        """The scenario of one experiment: uncertain parameters fixed, levers set (see the module)."""
        fixed = {f.key: row[f.key] for f in self.uncertain}
        sc = self.scenario.with_overrides(fixed, label="discover") if fixed else self.scenario
        chosen = grid_change(self.scenario, {f.key: row[f.key] for f in self.levers})
        return sc.with_overrides(chosen, label="discover") if chosen else sc


def _value(f: Factor, u: float):
    if f.choices:
        return f.choices[min(int(u * len(f.choices)), len(f.choices) - 1)]
    if f.integer:
        return whole_number_at(u, f.low, f.high)
    return float(f.low + u * (f.high - f.low))


def design_factors(sc: Scenario, what: str = "a scenario discovery") -> tuple[list[Factor], list[Factor]]:
    """The uncertain and lever factors of a scenario; one of them at least."""
    where = sc.path or sc.name
    if not sc.uncertain and not sc.levers:
        raise ScenarioError(where, None, f"declares no uncertain: parameters and no levers:; {what} varies those")
    return ([factor(where, "uncertain", k, u, what) for k, u in sc.uncertain.items()],
            [factor(where, "levers", k, u, what) for k, u in sc.levers.items()])


def prepare(scenario, outcome: str, experiments: int = EXPERIMENTS, replications: int = 1, seed: int = 42,
            until: int | None = None, threshold: float = THRESHOLD) -> DiscoveryPlan:
    """Check the inputs of a discovery and draw its design (nothing runs)."""
    from ..runner import resolve

    experiments = whole_number(experiments, "experiments", 2)
    replications = whole_number(replications, "replications", 1)
    seed = whole_number(seed, "seed", 0)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise OptionError("threshold", f"must be a density between 0 and 1 (got {threshold!r})")
    sc = resolve(scenario, until=until)
    found = parse_outcome(outcome, sc)
    if until is None:
        sc = resolve(sc, until=found.last_year)
    uncertain, levers = design_factors(sc)
    from scipy.stats import qmc

    inputs = qmc.LatinHypercube(d=len(uncertain) + len(levers), seed=np.random.default_rng(seed)).random(experiments)
    return DiscoveryPlan(sc, found, uncertain, levers, inputs, replications, seed, float(threshold))


def experiment(scenario: Scenario, seed: int, replications: int, metrics: list) -> np.ndarray:
    """The metrics ((column, year) pairs) of ``replications`` replications of one experiment,
    replications x metrics: the task a worker runs."""
    from ..runner import run

    res = run(scenario, replications=replications, seed=seed, workers=1, executor="serial")
    a = res.annual
    return np.column_stack([a[a["year"] == year].sort_values("replication")[column].to_numpy(dtype=float)
                            for column, year in metrics])


def experiment_seed(seed: int, i: int) -> int:
    """The root seed of experiment ``i``: its replications have streams of their own."""
    return int(np.random.SeedSequence([seed, 0x6469, i]).generate_state(1)[0])


# ------------------------------------------------------------------------------ running

@dataclass(repr=False, eq=False)
class DiscoveryResult:
    """``experiments`` (factor values, metric means, ``outcome``), the PRIM ``trajectory`` (a row
    per box: coverage, density, mass, restricted dimensions), ``box`` (the limits of the chosen
    box on its restricted factors, with quasi-p-values), ``chosen`` (its row of the trajectory,
    None when PRIM had nothing to find) and ``manifest``."""

    experiments: pd.DataFrame
    trajectory: pd.DataFrame
    box: pd.DataFrame
    chosen: int | None
    manifest: dict

    def __repr__(self) -> str:
        m = self.manifest
        return (f"DiscoveryResult({m['scenario']['name']!r}, {m['outcome']!r}: holds in {m['cases']} of "
                f"{m['experiments']} experiments; box coverage {m.get('coverage')}, density {m.get('density')})")

    def save(self, path) -> Path:
        """Write experiments.parquet, peeling.csv, box.csv, peeling.png (the peeling trajectory),
        report.md and manifest.json into ``path``, atomically."""
        path = user_path(path)
        with atomic_folder(path, "discovery") as tmp:
            self.experiments.to_parquet(tmp / "experiments.parquet", index=False)
            self.trajectory.to_csv(tmp / "peeling.csv", index=False)
            self.box.to_csv(tmp / "box.csv", index=False)
            plot_trajectory(self, tmp / "peeling.png")
            (tmp / "report.md").write_text(_markdown(self), encoding="utf-8")
            write_manifest(tmp, self.manifest)
        return path


def execute(plan: DiscoveryPlan, workers: int | None = None, executor: str = "process", scheduler: str | None = None,
            progress=None) -> DiscoveryResult:
    """Run the experiments of a plan and find the box with PRIM."""
    from ..executors import default_workers, open_executor

    started = time.perf_counter()
    table = plan.values()
    rows = table.to_dict("records")
    names = list(plan.outcome.metrics)
    metrics = [plan.outcome.metrics[n] for n in names]
    out = np.full((len(rows), len(names)), np.nan)
    args = [(plan.scenario_of(row), experiment_seed(plan.seed, i), plan.replications, metrics)
            for i, row in enumerate(rows)]
    with open_executor(executor, default_workers(len(rows), workers), scheduler) as ex:
        if progress:
            progress(0, len(rows))
        for done, (i, values) in enumerate(ex.calls(experiment, args), 1):
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a metric without a value in any replication
                out[i] = np.nanmean(values, axis=0)
            if progress:
                progress(done, len(rows))
        slots = ex.slots
    for j, name in enumerate(names):
        table[name] = out[:, j]
    y = plan.outcome.holds({n: out[:, j] for j, n in enumerate(names)})
    table["outcome"] = y
    table.insert(0, "experiment", np.arange(len(table)))
    trajectory, box, chosen = find_box(table[[f.key for f in plan.factors]], y, plan.threshold)
    manifest = {
        "analysis": "discovery",
        "outcome": plan.outcome.text,
        "metrics": {n: {"column": c, "year": y_} for n, (c, y_) in plan.outcome.metrics.items()},
        "experiments": len(table),
        "cases": int(y.sum()),
        "replications": plan.replications,
        "seed": plan.seed,
        "threshold": plan.threshold,
        "sampling": "Latin hypercube, uniform over each factor's range",
        "factors": [{"key": f.key, "kind": kind, "low": f.low, "high": f.high,
                     **({"values": list(f.choices)} if f.choices else {})}
                    for kind, group in (("uncertain", plan.uncertain), ("lever", plan.levers)) for f in group],
        "start_year": plan.scenario.start_year,
        "horizon_year": plan.scenario.horizon_year,
        "scenario": plan.scenario.to_dict(),
        "package_version": __version__,
        "ema_workbench_version": _ema()[0].__version__,
        "executor": executor,
        "workers": slots,
        "wall_time_s": round(time.perf_counter() - started, 3),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if chosen is not None:
        row = trajectory.iloc[chosen]
        manifest.update(box=int(chosen), coverage=round(float(row["coverage"]), 4),
                        density=round(float(row["density"]), 4), mass=round(float(row["mass"]), 4),
                        restricted=int(row["res_dim"]))
    else:
        manifest["note"] = ("the outcome holds in none of the experiments" if not y.any() else
                            "the outcome holds in every experiment") + ": there is no box to find"
    return DiscoveryResult(table, trajectory, box, chosen, manifest)


def find_box(x: pd.DataFrame, y: np.ndarray, threshold: float) -> tuple[pd.DataFrame, pd.DataFrame, int | None]:
    """PRIM's peeling trajectory, the limits of the chosen box and its index (see the module);
    (empty, empty, None) when the outcome holds everywhere or nowhere."""
    empty = pd.DataFrame(columns=["parameter", "low", "high", "range_low", "range_high", "qp_low", "qp_high"])
    if not y.any() or y.all():
        return pd.DataFrame(columns=["coverage", "density", "mass", "res_dim"]), empty, None
    _, prim = _ema()
    x = x.astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(x, np.asarray(y, dtype=bool), threshold=threshold).find_box()
    trajectory = box.peeling_trajectory.reset_index(drop=True)
    dense = trajectory[trajectory["density"] >= threshold]
    chosen = int(dense["coverage"].idxmax()) if len(dense) else int(trajectory["density"].idxmax())
    limits, qp = box.box_lims[chosen], box.qp[chosen]
    rows = []
    for key in qp:  # the factors the box restricts
        lo, hi = float(limits[key].iloc[0]), float(limits[key].iloc[1])
        p_lo, p_hi = (np.nan if v is None or v < 0 else float(v) for v in qp[key])
        rows.append({"parameter": key, "low": lo, "high": hi, "range_low": float(x[key].min()),
                     "range_high": float(x[key].max()), "qp_low": p_lo, "qp_high": p_hi})
    limits_table = pd.DataFrame(rows, columns=empty.columns)
    return trajectory, limits_table, chosen


def plot_trajectory(result: DiscoveryResult, path: Path) -> None:
    """Coverage against density of every box on the peeling trajectory, coloured by the number
    of factors it restricts; the chosen box ringed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t, m = result.trajectory, result.manifest
    fig, ax = plt.subplots(figsize=(5.6, 4.2))
    if len(t):
        sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18)
        fig.colorbar(sc, ax=ax, label="factors restricted")
        row = t.iloc[result.chosen]
        ax.scatter([row["coverage"]], [row["density"]], s=140, facecolors="none", edgecolors="red", lw=1.5,
                   label=f"chosen box: coverage {row['coverage']:.2f}, density {row['density']:.2f}")
        ax.axhline(m["threshold"], color="grey", lw=0.8, ls="--")
        ax.legend(fontsize=8, loc="lower left")
    else:
        ax.text(0.5, 0.5, m.get("note", "no box"), ha="center", va="center", fontsize=9, wrap=True)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("coverage (share of the cases in the box)")
    ax.set_ylabel("density (share of the box that are cases)")
    ax.set_title(f"{m['scenario']['name']}: PRIM peeling trajectory\n{m['outcome']} "
                 f"({m['cases']} of {m['experiments']} experiments)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _markdown(result: DiscoveryResult) -> str:
    m = result.manifest
    lines = [f"# Scenario discovery: {m['scenario']['name']}, {m['outcome']}", "",
             f"{m['experiments']} experiments (a Latin hypercube over {len(m['factors'])} factors, "
             f"{m['replications']} replication(s) each, seed {m['seed']}); the outcome holds in {m['cases']}.", ""]
    if result.chosen is None:
        lines += [f"No box: {m['note']}.", ""]
    else:
        lines += [f"Chosen box (PRIM, density threshold {m['threshold']:g}): coverage {m['coverage']:.2f}, "
                  f"density {m['density']:.2f}, mass {m['mass']:.2f}, {m['restricted']} factors restricted.", "",
                  "| factor | box low | box high | range | quasi-p (low, high) |", "|---|---|---|---|---|"]
        for _, r in result.box.iterrows():
            lines.append(f"| {r['parameter']} | {r['low']:.4g} | {r['high']:.4g} | {r['range_low']:.4g}-"
                         f"{r['range_high']:.4g} | {_p(r['qp_low'])}, {_p(r['qp_high'])} |")
        lines.append("")
    lines += ["![peeling trajectory](peeling.png)", "",
              "Factors: " + "; ".join(f"{f['key']} ({f['kind']}, {f['low']:g}-{f['high']:g})" for f in m["factors"]),
              "", "Files: experiments.parquet, peeling.csv, box.csv, manifest.json.", ""]
    return "\n".join(lines)


def _p(x) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2g}"


def discover(scenario, outcome: str, experiments: int = EXPERIMENTS, replications: int = 1, seed: int = 42,
             until: int | None = None, threshold: float = THRESHOLD, workers: int | None = None,
             executor: str = "process", scheduler: str | None = None, progress=None) -> DiscoveryResult:
    """Scenario discovery on ``scenario`` (a path or a Scenario with ``uncertain:`` parameters
    and/or ``levers:``): ``experiments`` experiments of a Latin hypercube over them, each run for
    ``replications`` replications (a seed of its own) to the outcome's last year (or ``until``);
    ``outcome`` an expression such as ``"approvals_2035 < 60"`` (see ``parse_outcome``) judged on
    each experiment's means; then PRIM (EMA Workbench) finds the box of factors where it holds,
    the box of largest coverage whose density reaches ``threshold``. ``workers``, ``executor``,
    ``scheduler``: as for ``run``; ``progress``: optional callable(done, total) over experiments.
    Returns a ``DiscoveryResult`` (``.experiments``, ``.trajectory``, ``.box``, ``.manifest``,
    ``.save(folder)``)."""
    from ..executors import check_executor
    from ..progress import check_progress

    check_executor(executor, scheduler)
    check_progress(progress)
    if workers is not None:  # as run, sweep and history_match check it
        workers = whole_number(workers, "workers", 1)
    plan = prepare(scenario, outcome, experiments, replications, seed, until, threshold)
    _ema()
    return execute(plan, workers, executor, scheduler, progress)


# ------------------------------------------------------------------------------ the EMA Workbench

class EmaFunction:
    """cgt-sim as the function of an EMA ``Model``: keyword arguments are the factors' values
    (by parameter key); returns each outcome's mean over the replications."""

    def __init__(self, plan: DiscoveryPlan, outcomes: dict):
        self.plan, self.outcomes = plan, outcomes

    def __call__(self, **values) -> dict:
        row = {f.key: values[f.key] for f in self.plan.factors if f.key in values}
        for f in self.plan.factors:
            row.setdefault(f.key, _value(f, 0.5))
            if f.integer and not f.choices:
                row[f.key] = int(round(float(row[f.key])))
        seed = int(values.get("seed", self.plan.seed))
        names = list(self.outcomes)
        out = experiment(self.plan.scenario_of(row), seed, self.plan.replications, [self.outcomes[n] for n in names])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return {n: float(np.nanmean(out[:, j])) for j, n in enumerate(names)}


def ema_model(scenario, outcomes=None, replications: int = 1, seed: int = 42, until: int | None = None):
    """An ``ema_workbench.Model`` that runs cgt-sim: its uncertainties are the scenario's
    ``uncertain:`` parameters and its levers the scenario's ``levers:`` (each over its support:
    ``RealParameter``, ``IntegerParameter`` or ``CategoricalParameter``; EMA names have ``__``
    for the dots of the keys, and the keys themselves are the variable names), its outcomes
    ``ScalarOutcome``s of ``outcomes`` (``<metric>_<year>`` names; default approvals, patients
    treated and cost per patient in the horizon year), each the mean over ``replications``
    replications from ``seed`` (common random numbers across experiments; give the model an
    uncertainty named ``seed`` to vary it). Run it with the Workbench's own samplers and
    evaluators (``perform_experiments``, ``MultiprocessingEvaluator``...)."""
    ema, _ = _ema()
    from ..runner import resolve

    sc = resolve(scenario, until=until)
    if outcomes is None:
        outcomes = [f"{m}_{sc.horizon_year}" for m in ("approvals", "patients_treated", "cogs_per_patient_cny")]
    outcomes = as_list(outcomes)  # one name, or a list of them
    if not outcomes:
        raise OptionError("outcomes", "name at least one metric in a year, such as approvals_2035")
    resolved = {}
    for name in outcomes:
        try:
            resolved[name] = year_metric(name, sc)
        except OptionError as exc:
            raise OptionError("outcomes", exc.message) from None
    if until is None:
        sc = resolve(sc, until=max(y for _, y in resolved.values()))
    uncertain, levers = design_factors(sc, "an EMA model")
    plan = DiscoveryPlan(sc, Outcome("", {}, ast.Expression(body=ast.Constant(True))), uncertain, levers,
                         np.empty((0, len(uncertain) + len(levers))), whole_number(replications, "replications", 1),
                         whole_number(seed, "seed", 0), THRESHOLD)
    model = ema.Model(re.sub(r"[^0-9A-Za-z]", "", sc.name) or "cgtsim", function=EmaFunction(plan, resolved))
    model.uncertainties = [_ema_parameter(ema, f) for f in uncertain]
    model.levers = [_ema_parameter(ema, f) for f in levers]
    model.outcomes = [ema.ScalarOutcome(name) for name in resolved]
    return model


def _ema_parameter(ema, f: Factor):
    name = f.key.replace(".", "__")
    if f.choices:
        return ema.CategoricalParameter(name, list(f.choices), variable_name=f.key)
    if f.integer:
        return ema.IntegerParameter(name, int(math.ceil(f.low)), int(math.floor(f.high)), variable_name=f.key)
    return ema.RealParameter(name, f.low, f.high, variable_name=f.key)
