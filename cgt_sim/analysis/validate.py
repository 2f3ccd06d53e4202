"""Validation: the model against closed forms, against its calibration targets, and against
published likelihoods of approval.

``cgt-sim validate`` prints one row per check:

* **chain**: with money and manufacturing capacity unconstrained, programs of each modality that
  all start in 2015 (and nothing later) run to 2075; the share approved must equal the product
  of the stage probabilities, and the mean time to approval the (weighted) sum of the stage
  durations (``analytic_funnel``), within 4 standard errors.
* **queue**: single-batch orders arriving as a Poisson process with exponential batch times
  through a ``ManufacturingSite``: the mean wait must equal the M/M/c (Erlang C) mean wait
  within 4 batch-means standard errors.
* **target** / **check**: every calibration target, at the scenario, within its tolerance
  (checks are the targets with ``fit: false``); a documented miss (``known_gap``) is shown but
  does not fail the run.
* **LoA**: the simulated likelihood of approval from Phase I (programs whose IND cleared up to
  15 years before the horizon, money and capacity as in the scenario) beside published figures.
  Figures that set the phase probabilities are consistency checks, the others held-out
  comparisons; the verdict (inside the published confidence interval, when one is given) is
  shown but does not fail the run.
* **long run**: in 2035 and 2045, bounds a domain expert holds a projection to: no indication
  treats more patients than came forward in it (every replication), CGT revenue stays a small
  share of China's drug spending, and yearly approvals stay within twice today's global rate.
* **backtest** (``backtest``): the scenario fitted to the figures of 2022 and earlier only
  (``calibration/backtest/``) against what was observed in 2023-2025; shown, not counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.clinical import analytic_funnel
from ..model.manufacturing import ManufacturingSite
from ..model.runparams import RunParams
from ..parameters import MODALITIES, MODALITY_LABELS
from ..scenario import Scenario, load_scenario
from ..timeline import DAYS_PER_YEAR

Z90 = 1.6448536269514722  # two-sided 90% normal quantile
SE_LIMIT = 4.0  # analytic checks pass within this many standard errors
LOA_HORIZON = 2045  # validate runs the scenario at least this far (likelihood of approval)
LOA_LAG = 15  # ... and counts programs whose IND cleared at least this many years before it
FUNNEL_PROGRAMS = 2000  # programs per modality in the unconstrained chain run
QUEUE_ORDERS = 100_000  # orders through the M/M/c queue
LONG_RUN_YEARS = (2035, 2040, 2045)  # years of the long-run bounds
# China's drug sales in 2023 (Menet, three terminals and six markets), grown at the scenario's
# health-spending growth: the denominator of the spending bound.
DRUG_SPENDING_2023_CNY = 1.8865e12
# CGT revenue at most this share of drug spending: the NEWDIGS projection of US durable CGT
# revenue in 2030, 24.4 bn USD (Young, Quinn & Trusheim 2022), is about 4% of US prescription
# drug spending; China's prices and payers leave less room.
CGT_DRUG_SHARE_BOUND = 0.03
# New approvals a year at most twice the 13 novel CGTs authorised worldwide in 2024 (FDA, NMPA,
# EMA and PMDA together): China holds about a quarter of global pipelines (article 002).
APPROVALS_PER_YEAR_BOUND = 26.0

# Published likelihood of approval from Phase I (figure B1): modality ("all" =
# every modality pooled), what the figure is, value, 95% interval or None, source, role.
# "input": the figure set that modality's phase probabilities (see cgt_sim/parameters.py);
# "held-out": not used to set any parameter.
PUBLISHED_LOA = (
    ("autologous_car_t", "CAR-T 2011-2020", 0.173, None, "BIO2021", "input"),
    ("autologous_car_t", "CAR-T", 0.136, (0.073, 0.239), "ELSALLAB2025", "input"),
    ("allogeneic_cell", "CGT other than CAR-T and AAV (implied)", 0.04, None, "ELSALLAB2025", "input"),
    ("in_vivo_gene", "AAV gene therapy", 0.136, (0.064, 0.267), "ELSALLAB2025", "input"),
    ("in_vivo_gene", "durable rare-disease gene therapy", 0.19, None, "PHARES2025", "held-out"),
    ("rna_in_vivo_car", "all drugs 2011-2020", 0.079, None, "BIO2021", "input"),
    ("rna_in_vivo_car", "RNAi 2011-2020", 0.135, None, "BIO2021", "held-out"),
    ("all", "all CGT (1,961 programmes)", 0.053, (0.040, 0.069), "ELSALLAB2025", "held-out"),
)


@dataclass(frozen=True)
class Check:
    """One row of the validation table."""

    group: str  # chain | queue | target | check | LoA
    name: str
    simulated: float
    low: float  # interval of the simulated value (see ``interval``)
    high: float
    expected: str
    passed: bool | None  # None: a comparison without a verdict
    counted: bool = True  # whether a failure fails the run (exit code 1)
    interval: str = "90% CI"  # what low-high is
    note: str = ""
    fmt: str = ""  # format of the simulated value and its interval ("" = short human form)

    def simulated_text(self) -> str:
        from ..text import format_number

        f = self.fmt.format if self.fmt else format_number
        return f"{f(self.simulated)} [{f(self.low)}-{f(self.high)}]"

    def verdict(self) -> str:
        if self.passed is None:
            return "-"
        if self.group == "LoA":
            return "in CI" if self.passed else "outside CI"
        if self.counted or self.group.startswith("backtest"):  # a backtest row is shown, never counted
            return "yes" if self.passed else "NO"
        return ("yes" if self.passed else "NO") + " (known gap)"

    @property
    def fails_run(self) -> bool:
        return self.passed is False and self.counted


def failed(rows: list[Check]) -> list[Check]:
    return [r for r in rows if r.fails_run]


# --------------------------------------------------------------------------------- the chain

def funnel_overrides(arrivals: dict, extra: dict | None = None) -> dict:
    """Overrides for a chain run: money and capacity unconstrained, the IND route open, programs
    arriving in 2015 only (``arrivals`` per modality, scaled by 1.2; 0 for modalities not
    given), every one of them started whatever its market, and a 60-year horizon, so every
    program ends approved or failed for science."""
    overrides = {
        "financing.unconstrained": True,
        "manufacturing.capacity_unlimited": True,
        "research.start_revenue_cny": 1.0,
        "research.development_capacity": 1e7,
        "regulatory.ind_pathway_open": "2000-01-01",
        "research.arrival_scale": {"steps": {"2015-01-01": 1.2, "2016-01-01": 0.0}},
        "simulation.horizon_year": 2075,
    }
    for m in MODALITIES:
        overrides[f"research.arrivals_2015.{m}"] = arrivals.get(m, 0)
    overrides.update(extra or {})
    return overrides


def chain_checks(scenario: Scenario, seed: int, programs: int = FUNNEL_PROGRAMS) -> list[Check]:
    """Approval share and mean years to approval per modality vs the analytic chain."""
    from ..model.world import simulate

    sc = scenario.with_overrides(funnel_overrides(dict.fromkeys(MODALITIES, programs)), label="validate")
    table = pd.DataFrame(simulate(sc, 0, seed)["programs"])
    p = RunParams(sc, sc.clock)
    rows = []
    for m in MODALITIES:
        f = analytic_funnel(p, m)
        progs = table[table["modality"] == m]
        n = len(progs)
        approved = progs[progs["state"] == "approved"]
        share = len(approved) / n
        se = math.sqrt(f.p_approval * (1 - f.p_approval) / n)
        rows.append(_against_exact("chain", f"approval share, {m} ({n:,} programs)", share, se,
                                   f.p_approval, "{:.4f}"))
        years = (approved["approval_day"] - approved["arrival_day"]).to_numpy() / DAYS_PER_YEAR
        se_y = years.std(ddof=1) / math.sqrt(years.size) if years.size > 1 else math.nan
        rows.append(_against_exact("chain", f"mean years to approval, {m}", float(years.mean()), se_y,
                                   f.mean_days_to_approval / DAYS_PER_YEAR, "{:.2f}"))
    return rows


def _against_exact(group: str, name: str, simulated: float, se: float, exact: float, fmt: str) -> Check:
    ok = math.isfinite(se) and abs(simulated - exact) < SE_LIMIT * se
    return Check(group, name, simulated, simulated - Z90 * se, simulated + Z90 * se,
                 f"{fmt.format(exact)} ± {fmt.format(SE_LIMIT * se)} (4 SE)", ok, fmt=fmt)


# --------------------------------------------------------------------------------- the queue

def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load a = lambda/mu."""
    rho = a / c
    if not 0 <= rho < 1:
        raise ValueError(f"the queue must be stable (a / c < 1; got {rho:g})")
    head = sum(a ** k / math.factorial(k) for k in range(c))
    tail = a ** c / math.factorial(c) / (1.0 - rho)
    return tail / (head + tail)


def mmc_waits(c: int, lam: float, mu: float, customers: int, seed: int) -> np.ndarray:
    """Waits of ``customers`` single-batch orders (Poisson arrivals at rate ``lam``, exponential
    batch times at rate ``mu``) booked on a ManufacturingSite with ``c`` suites."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / lam, customers)).tolist()
    services = rng.exponential(1.0 / mu, customers).tolist()
    site = ManufacturingSite("validate", c)
    return np.array([site.book(t, 1, d).mean_wait for t, d in zip(arrivals, services)])


def batch_means(x: np.ndarray, batches: int = 40) -> tuple[float, float]:
    """Mean of a correlated series and its standard error from ``batches`` batch means."""
    means = np.array([b.mean() for b in np.array_split(x, batches)])
    return float(x.mean()), float(means.std(ddof=1) / math.sqrt(batches))


def queue_check(seed: int, c: int = 3, rho: float = 0.75, mean_days: float = 2.0,
                customers: int = 100_000, warmup: int = 5_000) -> Check:
    mu = 1.0 / mean_days
    lam = rho * c * mu
    exact = erlang_c(c, lam / mu) / (c * mu - lam)
    mean, se = batch_means(mmc_waits(c, lam, mu, customers, seed)[warmup:])
    return _against_exact("queue", f"mean wait (days), M/M/{c} at utilisation {rho:g} "
                          f"({customers:,} orders)", mean, se, exact, "{:.3f}")


# --------------------------------------------------------------------------------- targets

def target_check(s, coverage: float | None = None) -> Check:
    """A Check row for a scored calibration target (``calibration.Scored``); ``coverage``: the
    share of replications within the target (over an ensemble), noted."""
    t = s.target
    passed = s.passed
    note = "known gap, see calibration/README.md" if t.known_gap else ""
    if coverage is not None:
        note = "; ".join(x for x in (f"{coverage:.0%} of replications within the target", note) if x)
    return Check("target" if t.fit else "check", f"{t.name}: {t.output.name} {t.year}", s.mean,
                 s.p5, s.p95, t.expected(), passed, counted=not t.known_gap,
                 interval="5-95% of replications", note=note)


# --------------------------------------------------------------------------------- LoA

def loa_checks(res, scenario: Scenario, cohort_last_year: int) -> list[Check]:
    """Likelihood of approval from Phase I (IND cleared by the end of ``cohort_last_year``)
    per modality and pooled, beside the published figures."""
    clock = scenario.clock
    cutoff = clock.year_start_day(cohort_last_year + 1)
    progs = res.programs[res.programs["ind_day"] < cutoff]
    p = RunParams(scenario, clock)
    rows = []
    for modality, figure, value, ci, source, role in PUBLISHED_LOA:
        sel = progs if modality == "all" else progs[progs["modality"] == modality]
        n = len(sel)
        k = int((sel["state"] == "approved").sum())
        share, low, high = _wilson(k, n)
        label = "all modalities" if modality == "all" else MODALITY_LABELS[modality].split(" (")[0]
        published = f"{value:.1%}" + (f" ({ci[0]:.1%}-{ci[1]:.1%})" if ci else "")
        passed = None if ci is None or n == 0 else bool(ci[0] <= share <= ci[1])
        chain = "" if modality == "all" else f"; chain {analytic_funnel(p, modality).p_approval_from_phase1:.1%}"
        still_open = float((~sel["state"].isin(["approved", "failed", "abandoned"])).mean()) if n else math.nan
        rows.append(Check("LoA", f"{label} vs {figure}", share, low, high, f"{published} {source} [{role}]",
                          passed, counted=False, fmt="{:.1%}",
                          note=f"{n:,} INDs to {cohort_last_year}, {still_open:.0%} still open{chain}"))
    return rows


def _wilson(k: int, n: int, z: float = Z90) -> tuple[float, float, float]:
    if n == 0:
        return math.nan, math.nan, math.nan
    phat = k / n
    den = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / den
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / den
    return phat, centre - half, centre + half


# --------------------------------------------------------------------------------- long run

def long_run_checks(res, scenario: Scenario) -> list[Check]:
    """The long-run bounds in each year of ``LONG_RUN_YEARS`` the result simulates."""
    from ..parameters import INDICATIONS

    annual = res.annual
    rows = []
    growth = RunParams(scenario, scenario.clock)("market.health_spending_growth")
    for year in LONG_RUN_YEARS:
        at = annual[annual["year"] == year]
        if at.empty:
            continue
        excess = max(float((at[f"patients_treated_{i}"] - at[f"eligible_patients_{i}"]).max()) for i in INDICATIONS)
        worst = max(INDICATIONS, key=lambda i: float((at[f"patients_treated_{i}"] / at[f"eligible_patients_{i}"]
                                                     .where(at[f"eligible_patients_{i}"] > 0)).max()))
        share = (at[f"patients_treated_{worst}"] / at[f"eligible_patients_{worst}"].where(
            at[f"eligible_patients_{worst}"] > 0)).to_numpy(dtype=float)
        rows.append(Check("long run", f"treated / eligible, highest indication ({worst}), {year}",
                          float(np.nanmean(share)), *_band(share), "<= 1 in every indication and replication",
                          excess <= 0.0, fmt="{:.2f}", interval="5-95% of replications"))
        spending = DRUG_SPENDING_2023_CNY * (1.0 + growth) ** (year - 2023)
        cgt = at["revenue_cny"].to_numpy(dtype=float) / spending
        rows.append(Check("long run", f"CGT revenue / China's drug spending, {year}", float(cgt.mean()), *_band(cgt),
                          f"<= {CGT_DRUG_SHARE_BOUND:.0%} (drug spending {spending / 1e12:.1f} trn CNY)",
                          bool(np.quantile(cgt, 0.95) <= CGT_DRUG_SHARE_BOUND), fmt="{:.2%}",
                          interval="5-95% of replications", note="95th percentile must hold"))
        approvals = at["new_approvals"].to_numpy(dtype=float)
        rows.append(Check("long run", f"new approvals a year, {year}", float(approvals.mean()), *_band(approvals),
                          f"<= {APPROVALS_PER_YEAR_BOUND:g} (2 x the world's 2024 rate)",
                          bool(approvals.mean() <= APPROVALS_PER_YEAR_BOUND), interval="5-95% of replications"))
    return rows


def _band(x: np.ndarray) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    return (float(np.quantile(x, 0.05)), float(np.quantile(x, 0.95))) if x.size else (math.nan, math.nan)


# --------------------------------------------------------------------------------- backtest

BACKTEST = "backtest"  # beside the targets file: targets.yaml (to 2022), fitted.yaml, observations.yaml


def backtest_scenario(scenario_path, folder) -> tuple[Scenario, object, object]:
    """The scenario with the backtest's fitted values in place of its own calibration, the
    backtest's targets (2022 and earlier) and the observations it must predict."""
    from pathlib import Path

    from ..paths import user_path
    from ..scenario import read_fitted
    from .calibration import load_targets

    folder = user_path(folder)
    targets = load_targets(Path(folder) / "targets.yaml")
    observations = load_targets(Path(folder) / "observations.yaml")
    fitted = read_fitted(Path(folder) / "fitted.yaml")
    sc = load_scenario(scenario_path, use_calibrated=False).with_overrides(fitted, label="backtest")
    return sc, targets, observations


def backtest_checks(scenario_path, folder, replications: int = 16, seed: int = 42, workers: int | None = None,
                    progress=None) -> list[Check]:
    """The backtest: the fitted targets (2022 and earlier) and the 2023-2025 observations,
    at the scenario fitted to 2022 only."""
    from ..runner import run
    from .calibration import score

    sc, targets, observations = backtest_scenario(scenario_path, folder)
    until = max(t.year for t in observations.targets + targets.targets)
    res = run(sc, replications=replications, seed=seed, workers=workers, until=until, progress=progress)
    rows = []
    for group, ts in (("backtest fit", targets), ("backtest", observations)):
        for s in score(res, ts.targets):
            row = target_check(s)
            rows.append(Check(group, row.name, row.simulated, row.low, row.high, row.expected, row.passed,
                              counted=False, interval=row.interval,
                              note="fitted to it" if group == "backtest fit" else "predicted, not fitted"))
    return rows


# --------------------------------------------------------------------------------- all

def prepare(scenario_path, targets_path, ensemble=None):
    """Load and check the scenario (over ``ensemble``, an ensemble file, when given) and the
    targets (ScenarioError on bad input)."""
    from .calibration import load_targets

    ts = load_targets(targets_path)
    sc = load_scenario(scenario_path)
    if ensemble is not None:
        from ..ensemble import attach

        sc = attach(sc, ensemble)
    ts.check_years(sc)
    return sc, ts


def validate(scenario: Scenario, ts, replications: int = 16, seed: int = 42, workers: int | None = None,
             progress=None) -> list[Check]:
    """Every check: the chain, the queue, the targets, the likelihood of approval."""
    from ..runner import run
    from .calibration import score

    rows = chain_checks(scenario, seed, FUNNEL_PROGRAMS) + [queue_check(seed, customers=QUEUE_ORDERS)]
    until = max([t.year for t in ts.targets] + [LOA_HORIZON])  # later when a target is later
    res = run(scenario, replications=replications, seed=seed, workers=workers, until=until, progress=progress)
    if scenario.ensemble is None:
        rows += [target_check(s) for s in score(res, ts.targets)]
    else:  # how much of the ensemble's spread each target covers: replications within it
        for s in score(res, ts.targets):
            within = [s.target.passes(v) for v in s.target.output.values(res, s.target.year)]
            rows.append(target_check(s, float(np.mean(within))))
    rows += loa_checks(res, scenario, LOA_HORIZON - LOA_LAG)  # the same programs whatever the targets
    rows += long_run_checks(res, scenario)
    return rows
