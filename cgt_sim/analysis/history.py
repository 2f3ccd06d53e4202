"""History matching: rule out the parameter sets that cannot reproduce the calibration targets,
and keep all the others (Vernon, Goldstein and Bower 2010; Andrianakis et al. 2015).

The point fit (``calibration.fit``) returns one best parameter set; history matching asks which
sets are *not implausible*. For a target with observed value z and a parameter set x, the
implausibility is

    I(x) = |z - E[f(x)]| / sqrt(V_obs + V_disc + V_em(x) + V_ens(x))

E[f(x)] is the model output's mean over its randomness, predicted by an emulator; V_obs is the
observation error (from the target's tolerance: a value's tolerance is one standard deviation; a
bound's tolerance is one standard deviation beyond it, and I = 0 where the bound holds; an
interval [a, b] is the figure's own uncertainty, every reading of it in the interval, so I = 0
inside it and the distance is measured from its nearer end, with V_obs = 0); V_disc is the model
discrepancy (the target's ``discrepancy``: how far the model's structure may stand from the
world, default 10% of the value); V_em is the emulator's own uncertainty; and V_ens is the
variance of a single run's output over the model's randomness: the history observed is one draw
of the process, not its mean. A parameter set is ruled out when the largest implausibility over
the targets (or, with ``criterion='second'``, the second largest, which forgives one target
whose emulator fails) exceeds the cut-off, 3 (Pukelsheim's three-sigma rule: at least 95% of any
unimodal distribution lies within 3 standard deviations).

Waves. Wave 1 runs a Latin hypercube of design points over the free parameters' ranges (the
targets file's ``free:`` block, as the point fit uses), each point for a few replications with
a seed of its own; emulators are fitted to every target's mean (and to the log of its variance
over replications: Andrianakis et al. 2017); a large uniform sample of the box is scored with
them and what is not ruled out (the NROY space, "not ruled out yet") gives the next wave's
design points, chosen to spread over it. Each wave's emulators are fitted on the runs inside the
space the waves before it left, so they sharpen where it matters. The waves stop at ``waves``,
or earlier when the space stops shrinking (less than ``shrink`` of it ruled out by a wave) or
when every emulator's variance is below the other variances of its target (a further wave
cannot rule out much more). The ensemble is then drawn from the last space and each member is
checked by running the simulator: it is kept only if the simulated means (their sampling
variance and the members' own variance over replications in place of the emulators') are not
implausible either.

Emulators: scikit-learn's ``GaussianProcessRegressor`` on inputs scaled to [0, 1] and outputs
standardised; its kernel is a linear trend (a dot-product kernel: Bayesian linear regression,
whose uncertainty stays in the emulator's variance) plus a smooth rest (a Matern 5/2 kernel with
a length scale per input), amplitudes and length scales fitted by maximum likelihood, and the
sampling variance of each design point's mean as the noise of that point.

Targets that are not smooth functions of the parameters cannot be emulated by a Gaussian
process: an ``inflection_year.*`` output is the year of the largest rise of a moving average, a
whole year that jumps from one year to another as the parameters move; such targets are left
out of the history match (and named in its report), as are targets with ``fit: false``.

The ``Matcher`` is the method on any simulator (a function of points in [0, 1]^d returning
replications of outputs); ``history_match`` applies it to cgt-sim.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import OptionError, ScenarioError
from ..paths import user_path
from ..scenario import Scenario, whole_number
from ..storage import read_json

WAVES = 3
REPLICATIONS = 8
POINTS_PER_PARAMETER = 20  # design points per wave: 20 per free parameter (160 for 8)
MEMBERS = 100
CANDIDATES = 20_000  # uniform sample of the box that measures the space left
CUTOFF = 3.0
SHRINK = 0.10  # a wave that rules out less than 10% of the space left ends the waves
CRITERIA = ("max", "second")
CHECK = "check"


# ------------------------------------------------------------------------------ targets

@dataclass(frozen=True)
class Observation:
    """A target as history matching reads it: ``kind`` value, interval, at_least or at_most;
    ``value`` the figure (an interval's centre, a bound); ``var_obs`` and ``var_disc`` its
    observation error and model discrepancy (variances); ``half`` an interval's half-width."""

    name: str
    kind: str
    value: float
    var_obs: float
    var_disc: float
    half: float = 0.0

    def distance(self, mean: np.ndarray) -> np.ndarray:
        """E[f] - z as far as it counts: 0 where a bound holds or inside an interval (from
        whose nearer end it is measured outside)."""
        d = np.asarray(mean, dtype=float) - self.value
        if self.kind == "at_least":
            d = np.minimum(d, 0.0)
        elif self.kind == "at_most":
            d = np.maximum(d, 0.0)
        elif self.kind == "interval":
            d = np.sign(d) * np.maximum(np.abs(d) - self.half, 0.0)
        return d

    def implausibility(self, mean, var_other) -> np.ndarray:
        """|distance| / sqrt(V_obs + V_disc + ``var_other``); a missing mean is implausible."""
        out = np.abs(self.distance(mean)) / np.sqrt(self.var_obs + self.var_disc + np.asarray(var_other, float))
        return np.where(np.isfinite(out), out, np.inf)

    @classmethod
    def of(cls, target) -> Observation:
        """The observation of a calibration ``Target``."""
        tol = float(target.tolerance)
        if target.kind == "interval":  # the interval is the observation's uncertainty
            return cls(target.name, target.kind, float(target.value), 0.0, float(target.discrepancy_sd) ** 2, tol)
        return cls(target.name, target.kind, float(target.value), tol * tol, float(target.discrepancy_sd) ** 2)


def excluded(targets) -> list[tuple]:
    """(target, reason) of the targets a history match leaves out."""
    out = []
    for t in targets:
        if not t.fit:
            out.append((t, "fit: false (checked, not fitted)"))
        elif t.output.kind == "inflection":
            out.append((t, "a year of fastest growth jumps from year to year as the parameters move: not a "
                           "smooth function a Gaussian process can emulate"))
    return out


def criterion_value(imp: np.ndarray, criterion: str) -> np.ndarray:
    """The largest (``max``) or second largest (``second``) implausibility of each row."""
    if imp.shape[1] == 0:
        return np.zeros(len(imp))
    if criterion == "second" and imp.shape[1] > 1:
        return np.sort(imp, axis=1)[:, -2]
    return imp.max(axis=1)


# ------------------------------------------------------------------------------ emulators

class Emulator:
    """A Gaussian-process emulator of one output over [0, 1]^d (see the module's docstring)."""

    def __init__(self, seed: int = 0, ard: bool = True):
        self.seed, self.ard = seed, ard  # ard: a length scale per input (else one for all)

    def fit(self, X: np.ndarray, y: np.ndarray, noise: np.ndarray) -> Emulator:
        """Fit to outputs ``y`` at the rows of ``X``, each known to within a variance ``noise``."""
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, DotProduct, Matern

        X, y = np.asarray(X, float) - 0.5, np.asarray(y, float)  # inputs centred: the linear part's origin
        self.centre, self.scale = float(y.mean()), float(y.std()) or 1.0
        d = X.shape[1]
        # a linear trend (Bayesian: its uncertainty is in the emulator's variance) and a smooth rest.
        # The rest keeps at least a tenth of the output's spread (a floor that keeps the optimiser
        # from explaining everything by the trend and growing overconfident), and its length
        # scales start at 0.3 of a range and stay above 0.1 (closer design points are rare)
        scales = np.full(d, 0.3) if self.ard else 0.3
        kernel = (ConstantKernel(1.0, (1e-2, 1e3)) * Matern(scales, (0.1, 50.0), nu=2.5)
                  + ConstantKernel(0.1, (1e-6, 1e3)) * DotProduct(1.0, sigma_0_bounds="fixed"))
        self.alpha = np.asarray(noise, float) / self.scale ** 2 + 1e-8
        self.gp = GaussianProcessRegressor(kernel, alpha=self.alpha, normalize_y=False, n_restarts_optimizer=0,
                                           random_state=self.seed)
        with warnings.catch_warnings():  # a length scale at its bound: an input the output ignores
            warnings.simplefilter("ignore")
            self.gp.fit(X, (y - self.centre) / self.scale)
        self.X, self.y = X, y
        return self

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of the emulated output at the rows of ``X``."""
        mean, sd = self.gp.predict(np.asarray(X, float) - 0.5, return_std=True)
        return self.centre + mean * self.scale, (sd * self.scale) ** 2

    def loo(self) -> tuple[np.ndarray, np.ndarray]:
        """Leave-one-out predictions of the design points' outputs and their variances (the
        fitted kernel kept; Rasmussen and Williams 2006, eq. 5.12): each point as the others
        predict it."""
        from scipy.linalg import cho_factor, cho_solve

        K = self.gp.kernel_(self.X) + np.diag(self.alpha)
        inv = cho_solve(cho_factor(K, lower=True), np.eye(len(K)))
        z = (self.y - self.centre) / self.scale
        diag = np.diag(inv)
        return self.centre + (z - (inv @ z) / diag) * self.scale, (1.0 / diag) * self.scale ** 2


@dataclass
class WaveEmulators:
    """The emulators of one wave: per target, of its mean and of the log of its variance (None
    for a target without data)."""

    wave: int
    mean: list
    logvar: list

    def score(self, X: np.ndarray, observations: list[Observation]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Implausibility (points x targets), emulator variance and ensemble variance at ``X``."""
        n, t = len(X), len(observations)
        imp, v_em, v_ens = np.zeros((n, t)), np.zeros((n, t)), np.zeros((n, t))
        for j, obs in enumerate(observations):
            if self.mean[j] is None:
                continue
            m, v_em[:, j] = self.mean[j].predict(X)
            v_ens[:, j] = np.exp(self.logvar[j].predict(X)[0])
            imp[:, j] = obs.implausibility(m, v_em[:, j] + v_ens[:, j])
        return imp, v_em, v_ens


def sample_stats(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, variance (over replications, ddof 1) and count of finite values of outputs ``Y``
    (points x replications x targets)."""
    finite = np.isfinite(Y)
    n = finite.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(Y, axis=1) / np.maximum(n, 1), np.nan)
        dev = np.where(finite, Y - mean[:, None, :], 0.0)
        var = np.where(n > 1, (dev ** 2).sum(axis=1) / np.maximum(n - 1, 1), np.nan)
    return mean, var, n


# ------------------------------------------------------------------------------ the method

@dataclass(frozen=True)
class Settings:
    waves: int = WAVES
    points: int = 80
    replications: int = REPLICATIONS
    members: int = MEMBERS
    candidates: int = CANDIDATES
    cutoff: float = CUTOFF
    criterion: str = "max"
    shrink: float = SHRINK
    seed: int = 42
    stop_early: bool = True  # False: every wave asked for runs (unless nothing is left): for timing


class MemoryStore:
    """Where a match keeps its designs and finished points (here: in memory, for one call)."""

    def __init__(self):
        self.arrays: dict = {}

    def array(self, name: str, make) -> np.ndarray:
        if name not in self.arrays:
            self.arrays[name] = np.asarray(make())
        return self.arrays[name]

    def finished(self, stage: str) -> dict:
        return self.arrays.setdefault(("points", stage), {})

    def keep(self, stage: str, i: int, value: np.ndarray) -> None:
        self.finished(stage)[i] = value


@dataclass
class Matched:
    """What a match found: the waves, the runs, the emulators, the checked members."""

    names: list
    observations: list
    settings: Settings
    waves: list = field(default_factory=list)  # a dict per wave
    runs: list = field(default_factory=list)  # (stage, X, Y) per stage
    emulators: list = field(default_factory=list)  # WaveEmulators per wave
    loo: list = field(default_factory=list)  # DataFrames
    members: np.ndarray | None = None  # checked candidates (in [0, 1]^d)
    check: np.ndarray | None = None  # their outputs (members x replications x targets)
    stop: str = ""


class Matcher:
    """History matching of a simulator with ``d`` inputs scaled to [0, 1] (see the module).

    ``evaluate(stage, X)``: the simulator's outputs at the rows of ``X`` (points x d), an array
    points x replications x targets (NaN where an output has no value); ``stage`` names the
    wave ("wave-1", ...) or the members' check ("check"). ``store``: keeps designs (and, for
    ``evaluate``, finished points) so that an interrupted match resumes where it stopped."""

    def __init__(self, names: list[str], observations: list[Observation], settings: Settings, evaluate,
                 store=None, note=None, snap=None):
        self.names, self.obs, self.s = list(names), list(observations), settings
        self.snap = snap or (lambda X: X)  # a design as the simulator takes it (whole numbers, say)
        self.d = len(names)
        self.evaluate = evaluate
        self.store = store if store is not None else MemoryStore()
        self.note = note or (lambda text: None)
        seq = np.random.SeedSequence([settings.seed, 0x686D])  # "hm": streams of the method itself
        self.rng = np.random.default_rng(seq)
        self.box = np.random.default_rng(seq.spawn(1)[0]).random((settings.candidates, self.d))
        self._box_nroy: dict = {}

    # ---- the region not ruled out ----
    def nroy(self, X: np.ndarray, upto: int | None = None) -> np.ndarray:
        """Whether each row of ``X`` is not ruled out by the emulators of the waves so far
        (the first ``upto`` waves)."""
        waves = len(self.found.emulators) if upto is None else min(upto, len(self.found.emulators))
        if X is self.box:  # scored again and again: kept per number of waves
            if waves not in self._box_nroy:
                self._box_nroy[waves] = self._nroy(X, waves)
            return self._box_nroy[waves]
        return self._nroy(X, waves)

    def _nroy(self, X: np.ndarray, upto: int) -> np.ndarray:
        keep = np.ones(len(X), dtype=bool)
        for em in self.found.emulators[:upto]:
            idx = np.flatnonzero(keep)
            if not idx.size:
                break
            imp, _, _ = em.score(X[idx], self.obs)
            keep[idx] = criterion_value(imp, self.s.criterion) <= self.s.cutoff
        return keep

    def pool(self, need: int) -> np.ndarray:
        """Points not ruled out: the box sample's, then (when fewer than ``need``) more found
        around them (and around the last wave's design points not ruled out), each checked
        against every wave's emulators."""
        found = self.box[self.nroy(self.box)]
        last = self.found.runs[-1][1] if self.found.runs else np.empty((0, self.d))
        seeds = np.vstack([found, last[self.nroy(last)]]) if len(last) else found
        tries = 0
        while len(found) < need and len(seeds) and tries < 12:
            tries += 1
            spread = np.maximum(0.02, 0.25 * seeds.std(axis=0)) if len(seeds) > 1 else np.full(self.d, 0.05)
            base = seeds[self.rng.integers(0, len(seeds), 4 * need)]
            more = np.clip(base + self.rng.normal(0.0, 1.0, base.shape) * spread, 0.0, 1.0)
            more = more[self.nroy(more)]
            found = np.vstack([found, more])
            seeds = np.vstack([seeds, more])
        return found

    def spread_out(self, pool: np.ndarray, n: int) -> np.ndarray:
        """``n`` points of ``pool`` chosen to spread over it (greedy maximin)."""
        if len(pool) <= n:
            return pool.copy()
        chosen = [int(self.rng.integers(len(pool)))]
        dist = np.linalg.norm(pool - pool[chosen[0]], axis=1)
        for _ in range(n - 1):
            i = int(np.argmax(dist))
            chosen.append(i)
            dist = np.minimum(dist, np.linalg.norm(pool - pool[i], axis=1))
        return pool[chosen]

    # ---- waves ----
    def design(self, wave: int) -> np.ndarray:
        if wave == 1:
            from scipy.stats import qmc

            return self.snap(qmc.LatinHypercube(d=self.d, seed=self.rng).random(self.s.points))
        return self.snap(self.spread_out(self.pool(self.s.points), self.s.points))

    def fit(self, wave: int) -> WaveEmulators:
        """Emulators of every target on the runs inside the space the earlier waves left."""
        from scipy.special import digamma, polygamma

        X = np.vstack([x for _, x, _ in self.found.runs])
        Y = np.concatenate([y for _, _, y in self.found.runs], axis=0)
        inside = np.flatnonzero(self.nroy(X))[-2 * self.s.points:]  # the latest runs: at most two waves' worth
        X, Y = X[inside], Y[inside]
        mean, var, n = sample_stats(Y)
        means, logvars = [], []
        for j, obs in enumerate(self.obs):
            ok = (n[:, j] > 1) & np.isfinite(mean[:, j])
            if ok.sum() < 3:
                means.append(None)
                logvars.append(None)
                continue
            scale = max(abs(obs.value), math.sqrt(obs.var_obs), 1e-9)
            v = np.maximum(var[ok, j], (1e-3 * scale) ** 2)
            means.append(Emulator(self.s.seed + j).fit(X[ok], mean[ok, j], v / n[ok, j]))
            # the log of a sample variance of k = n - 1 degrees of freedom (normal outputs) is biased
            # by digamma(k/2) - log(k/2) and varies by trigamma(k/2): corrected and given as its noise
            half = (n[ok, j] - 1) / 2.0
            unbiased = np.log(v) - (digamma(half) - np.log(half))
            logvars.append(Emulator(self.s.seed + j, ard=False).fit(X[ok], unbiased, polygamma(1, half)))
            m_loo, v_loo = means[-1].loo()
            self.found.loo.append(pd.DataFrame({"wave": wave, "target": obs.name, "simulated": mean[ok, j],
                                                "predicted": m_loo, "sd": np.sqrt(v_loo)}))
        return WaveEmulators(wave, means, logvars)

    def run(self) -> Matched:
        s = self.s
        self.found = found = Matched(self.names, self.obs, s)
        for wave in range(1, s.waves + 1):
            X = self.store.array(f"wave-{wave}/design", lambda wave=wave: self.design(wave))
            if not len(X):
                found.stop = f"nothing is left to design wave {wave} in: every parameter set is ruled out"
                break
            started = time.perf_counter()
            Y = self.evaluate(f"wave-{wave}", X)
            found.runs.append((f"wave-{wave}", X, Y))
            ems = self.fit(wave)
            found.emulators.append(ems)
            left = self.nroy(self.box)
            fraction = float(left.mean())
            info = {"wave": wave, "design_points": len(X), "runs": int(len(X) * Y.shape[1]),
                    "trained_on": int(self.nroy(np.vstack([x for _, x, _ in found.runs]), wave - 1).sum()),
                    "nroy_fraction": fraction, "wall_time_s": round(time.perf_counter() - started, 3)}
            # the variances of each target where the space is left: are the emulators still the largest?
            where = self.box[left] if left.any() else X
            _, v_em, v_ens = ems.score(where, self.obs)
            other = np.array([o.var_obs + o.var_disc for o in self.obs]) + v_ens.mean(axis=0)
            info["emulator_variance_share"] = {o.name: float(v_em[:, j].mean() / (v_em[:, j].mean() + other[j]))
                                               for j, o in enumerate(self.obs) if ems.mean[j] is not None}
            found.waves.append(info)
            self.note(f"wave {wave}: {100 * (1 - fraction):.1f}% of the box ruled out")
            before = found.waves[-2]["nroy_fraction"] if wave > 1 else 1.0
            if fraction == 0.0 and not len(self.pool(1)):
                found.stop = f"wave {wave} ruled out every parameter set"
                break
            if not s.stop_early:
                continue
            if wave > 1 and fraction > (1.0 - s.shrink) * before:
                found.stop = (f"wave {wave} ruled out less than {s.shrink:.0%} of the space the waves before it left: "
                              "the space stopped shrinking")
                break
            if all(np.quantile(v_em[:, j], 0.9) < other[j] for j in range(len(self.obs)) if ems.mean[j] is not None):
                found.stop = (f"after wave {wave} every emulator's variance is below the other variances of its "
                              "target: a further wave cannot rule out much more")
                break
        else:
            found.stop = f"the {s.waves} waves asked for ran"
        if not found.emulators or (found.waves and found.waves[-1]["nroy_fraction"] == 0.0 and not len(self.pool(1))):
            found.members = np.empty((0, self.d))
            return found
        found.members = self.store.array(f"{CHECK}/design",
                                         lambda: self.snap(self.spread_out(self.pool(s.members), s.members)))
        found.check = self.evaluate(CHECK, found.members) if len(found.members) else np.empty((0, s.replications, 0))
        return found


def simulated_implausibility(observations: list[Observation], Y: np.ndarray) -> np.ndarray:
    """The implausibility of simulator runs (points x replications x targets): the mean over
    replications in place of the emulator, its sampling variance in place of the emulator's,
    and the variance over replications as the ensemble variance."""
    mean, var, n = sample_stats(Y)
    var = np.where(np.isfinite(var), var, 0.0)
    out = np.zeros(mean.shape)
    for j, obs in enumerate(observations):
        out[:, j] = obs.implausibility(mean[:, j], var[:, j] + var[:, j] / np.maximum(n[:, j], 1))
    return out


# ------------------------------------------------------------------------------ cgt-sim

class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a history match; what finished is kept in ``partial`` (None without ``out``)."""

    def __init__(self, stage: str, finished: int, total: int, partial: Path | None):
        self.stage, self.finished, self.total, self.partial = stage, finished, total, partial
        kept = f" and kept in {partial}" if partial is not None else ""
        super().__init__(f"{stage}: {finished} of {total} design points finished{kept}")

    def __reduce__(self):
        return type(self), (self.stage, self.finished, self.total, self.partial)


def partial_path(out) -> Path:
    out = user_path(out)
    return out.parent / f"{out.name}.partial"


class FolderStore(MemoryStore):
    """Designs and finished design points on disk (``<out>.partial/``), each written whole
    (a temporary file renamed into place), so that Ctrl-C loses at most the points running."""

    KEY = "history.json"

    def __init__(self, path: Path):
        super().__init__()
        self.path = path

    def holds(self) -> int:
        """Design points finished (of every stage)."""
        return sum(1 for _ in self.path.glob("*/point-*.npy")) if self.path.is_dir() else 0

    def open(self, ident: dict, resume: bool) -> None:
        """Check the folder (see ``check``), then start it afresh, or keep it to resume."""
        self.check(ident, resume)
        if not resume and self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        _write(self.path / self.KEY, json.dumps(ident, indent=1).encode())

    def check(self, ident: dict, resume: bool) -> None:
        held = self.holds()
        if not held:
            return
        if not resume:
            raise OptionError("resume", f"{self.path} holds {held} finished design points of an unfinished history "
                              "match; add `resume` to complete it, or delete the folder to start afresh")
        found = read_json(self.path / self.KEY)
        if found != ident:
            differ = sorted(k for k in set(ident) | set(found or {}) if (found or {}).get(k) != ident.get(k))
            raise OptionError("resume", f"{self.path} was made with other {', '.join(differ) or 'settings'}; resume "
                              "with the same targets, scenario, seed and settings, or delete the folder")

    def array(self, name: str, make) -> np.ndarray:
        file = self.path / f"{name}.npy"
        if name not in self.arrays:
            if file.exists():
                self.arrays[name] = np.load(file)
            else:
                self.arrays[name] = np.asarray(make())
                file.parent.mkdir(parents=True, exist_ok=True)
                _save(file, self.arrays[name])
        return self.arrays[name]

    def finished(self, stage: str) -> dict:
        key = ("points", stage)
        if key not in self.arrays:
            self.arrays[key] = {int(f.stem.split("-")[1]): np.load(f) for f in (self.path / stage).glob("point-*.npy")}
        return self.arrays[key]

    def keep(self, stage: str, i: int, value: np.ndarray) -> None:
        (self.path / stage).mkdir(parents=True, exist_ok=True)
        _save(self.path / stage / f"point-{i:06d}.npy", value)
        self.finished(stage)[i] = value

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _save(file: Path, array: np.ndarray) -> None:
    import io

    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    _write(file, buf.getvalue())


def _write(file: Path, data: bytes) -> None:
    tmp = file.parent / f".{file.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, file)
    finally:
        if tmp.exists():
            tmp.unlink()


def design_point(scenario: Scenario, seed: int, replications: int, targets: list) -> np.ndarray:
    """The targets' outputs of ``replications`` replications of one design point (replications
    x targets): the task a worker runs."""
    from ..runner import run

    res = run(scenario, replications=replications, seed=seed, workers=1, executor="serial")
    return np.column_stack([t.output.values(res, t.year) for t in targets]).astype(float)


def point_seed(seed: int, stage: str, i: int) -> int:
    """The root seed of design point ``i`` of ``stage``: every point has streams of its own."""
    number = 0 if stage == CHECK else int(stage.split("-")[1])
    return int(np.random.SeedSequence([seed, number, i]).generate_state(1)[0])


@dataclass
class HistoryPlan:
    """Everything checked before a history match runs."""

    targets_path: str
    scenario_path: str
    scenario: Scenario  # without its calibration, run to the latest target year
    free: list
    targets: list  # the targets matched
    left_out: list  # (target, reason)
    settings: Settings

    @property
    def observations(self) -> list[Observation]:
        return [Observation.of(t) for t in self.targets]

    def values(self, x: np.ndarray) -> dict:
        return {fp.key: fp.at(float(u)) for fp, u in zip(self.free, x)}

    def snap(self, X: np.ndarray) -> np.ndarray:
        """Design points at the values the model takes (whole numbers rounded)."""
        return np.array([[fp.position(fp.at(float(u))) for fp, u in zip(self.free, x)] for x in X]).reshape(
            len(X), len(self.free))

    def identity(self) -> dict:
        """What the stored work of a match depends on (to refuse resuming it with anything else)."""
        sc = self.scenario.to_dict()
        plain = {"targets": [{"name": t.name, "output": t.output.name, "year": t.year, **vars(Observation.of(t))}
                             for t in self.targets],
                 "free": {fp.key: [fp.low, fp.high] for fp in self.free},
                 "scenario": {"parameters": sc["parameters"], "uncertain": sc["uncertain"]},
                 "settings": vars(self.settings), "package_version": __version__}
        return json.loads(json.dumps(plain, default=str))


def prepare(targets, scenario="scenarios/baseline.yaml", waves: int = WAVES, points: int | None = None,
            replications: int = REPLICATIONS, members: int = MEMBERS, seed: int = 42, cutoff: float = CUTOFF,
            criterion: str = "max", candidates: int = CANDIDATES, shrink: float = SHRINK,
            stop_early: bool = True) -> HistoryPlan:
    """Check the inputs of a history match (nothing runs); raises a CgtSimError naming what is wrong."""
    from ..runner import resolve
    from .calibration import check_fittable
    from .calibration import prepare as prepare_fit

    waves = whole_number(waves, "waves", 1)
    replications = whole_number(replications, "replications", 2)  # a variance needs two
    members = whole_number(members, "members", 1)
    seed = whole_number(seed, "seed", 0)
    candidates = whole_number(candidates, "candidates", 100)
    if criterion not in CRITERIA:
        raise OptionError("criterion", f"must be max or second (got {criterion!r})")
    for name, value, low in (("cutoff", cutoff, 0.0), ("shrink", shrink, 0.0)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= low:
            raise OptionError(name, f"must be a number > {low:g} (got {value!r})")
    if shrink >= 1:
        raise OptionError("shrink", f"must be below 1 (got {shrink!r})")
    ts, sc = prepare_fit(targets, scenario)
    check_fittable(ts, sc)
    left_out = excluded(ts.targets)
    matched = [t for t in ts.targets if all(t is not x for x, _ in left_out)]
    if not matched:
        raise ScenarioError(ts.path, "targets", "no target a history match can use (each has fit: false or is "
                            "an inflection year)")
    points = POINTS_PER_PARAMETER * len(ts.free) if points is None else whole_number(points, "points", 3)
    sc = resolve(sc, until=max(max(t.year for t in matched), sc.start_year))
    if not isinstance(stop_early, bool):
        raise OptionError("stop_early", f"must be True or False (got {stop_early!r})")
    settings = Settings(waves, points, replications, members, candidates, float(cutoff), criterion, float(shrink),
                        seed, stop_early)
    return HistoryPlan(str(targets), str(scenario), sc, list(ts.free), matched, left_out, settings)


def execute(plan: HistoryPlan, workers: int | None = None, executor: str = "process", scheduler: str | None = None,
            out=None, resume: bool = False, progress=None, note=None) -> HistoryMatch:
    """Run a planned history match. With ``out`` (the ensemble file) the designs and finished
    design points are kept in ``<out>.partial/`` as they come, ``resume`` takes them over, and
    the ensemble and its report are written at the end (see ``HistoryMatch.save``)."""
    from ..executors import check_executor, default_workers, open_executor

    check_executor(executor, scheduler)
    if workers is not None:
        workers = whole_number(workers, "workers", 1)
    if resume and out is None:
        raise OptionError("resume", "needs the ensemble file to complete (`out`)")
    store: MemoryStore = MemoryStore()
    if out is not None:
        store = FolderStore(partial_path(out))
        store.open(plan.identity(), resume)
    started = time.perf_counter()
    s = plan.settings
    where = {"stage": "wave-1", "done": 0, "total": s.points}
    workers = default_workers(max(s.points, s.members), workers)
    try:
        with open_executor(executor, workers, scheduler) as ex:
            def evaluate(stage: str, X: np.ndarray) -> np.ndarray:
                finished = store.finished(stage)
                todo = [i for i in range(len(X)) if i not in finished]
                where.update(stage=stage, done=len(X) - len(todo), total=len(X))
                if progress:
                    progress(stage, where["done"], len(X))
                args = [(plan.scenario.with_overrides(plan.values(X[i]), label="history-matching"),
                         point_seed(s.seed, stage, i), s.replications, plan.targets) for i in todo]
                for j, value in ex.calls(design_point, args):
                    store.keep(stage, todo[j], value)
                    where["done"] += 1
                    if progress:
                        progress(stage, where["done"], len(X))
                return np.stack([finished[i] for i in range(len(X))]) if len(X) else np.empty(
                    (0, s.replications, len(plan.targets)))

            matcher = Matcher([fp.key for fp in plan.free], plan.observations, s, evaluate, store, note, plan.snap)
            found = matcher.run()
            result = HistoryMatch.of(plan, matcher, found, time.perf_counter() - started, executor, ex.slots)
    except KeyboardInterrupt:
        kept = store.path if isinstance(store, FolderStore) and store.holds() else None
        raise Interrupted(where["stage"], where["done"], where["total"], kept) from None
    if out is not None:
        result.save(out)
        store.remove()
    return result


def history_match(targets, scenario="scenarios/baseline.yaml", *, waves: int = WAVES, points: int | None = None,
                  replications: int = REPLICATIONS, members: int = MEMBERS, seed: int = 42, cutoff: float = CUTOFF,
                  criterion: str = "max", candidates: int = CANDIDATES, shrink: float = SHRINK,
                  workers: int | None = None, executor: str = "process", scheduler: str | None = None, out=None,
                  resume: bool = False, progress=None, stop_early: bool = True) -> HistoryMatch:
    """History-match the free parameters of a targets file (``targets``) on ``scenario``
    (loaded without its calibration, as the point fit starts).

    ``waves``: at most this many waves of ``points`` design points each (default 20 per free
    parameter), each point run for ``replications`` replications (at least 2) with a seed of
    its own; then ``members`` parameter sets are drawn from the space not ruled out and checked
    by the simulator. ``cutoff`` (default 3) applies to the largest implausibility over the
    targets, or the second largest with ``criterion='second'``; ``candidates``: the uniform
    sample of the box that measures what is left; ``shrink``: a wave that rules out less than
    this share of the space left ends the waves. ``workers``, ``executor``, ``scheduler``: as for
    ``run``. ``out``: the ensemble file to write (its report goes to ``<out stem>_report/``
    beside it); with ``out``, work is kept in ``<out>.partial/`` and ``resume`` completes an
    interrupted match. ``progress``: optional callable(stage, done, total) over design points,
    stage being "wave-1", "wave-2", ... or "check". Ctrl-C raises ``Interrupted``.
    ``stop_early=False`` runs every wave asked for even when the space stopped shrinking or the
    emulators are precise enough (to time a match, or to see what further waves do).

    Returns a ``HistoryMatch``: ``.ensemble`` (the members the simulator confirmed), ``.waves``,
    ``.runs``, ``.loo``, ``.constraints``, ``.checked``, ``.manifest``, ``.save(out)``."""
    from ..progress import check_progress

    check_progress(progress, "progress(stage, done, total)")
    plan = prepare(targets, scenario, waves, points, replications, members, seed, cutoff, criterion, candidates,
                   shrink, stop_early)
    if out is not None:
        from ..ensemble import check_ensemble_target

        check_ensemble_target(out)
    return execute(plan, workers, executor, scheduler, out, resume, progress)


def report_path(out) -> Path:
    """The report folder of an ensemble file: ``calibration/ensemble.parquet`` ->
    ``calibration/ensemble_report``."""
    out = user_path(out)
    return out.parent / f"{out.stem}_report"


@dataclass(repr=False, eq=False)
class HistoryMatch:
    """The outcome of a history match (tables described in ``history_match``)."""

    ensemble: pd.DataFrame
    checked: pd.DataFrame
    waves: pd.DataFrame
    runs: pd.DataFrame
    loo: pd.DataFrame
    constraints: pd.DataFrame
    manifest: dict

    def __repr__(self) -> str:
        m = self.manifest
        return (f"HistoryMatch({m['targets_file']!r} on {m['scenario']!r}: {len(self.waves)} waves, "
                f"{len(self.ensemble)} of {len(self.checked)} checked members kept)")

    @classmethod
    def of(cls, plan: HistoryPlan, matcher: Matcher, found: Matched, wall: float, executor: str,
           workers: int) -> HistoryMatch:
        keys = [fp.key for fp in plan.free]
        names = [t.name for t in plan.targets]
        s = plan.settings

        def values(X):
            return pd.DataFrame([plan.values(x) for x in X], columns=keys)

        runs = []
        for stage, X, Y in found.runs:
            runs.append(_scored(values(X), Y, found.observations, names, s.criterion).assign(stage=stage))
        runs_table = pd.concat(runs, ignore_index=True) if runs else pd.DataFrame()
        if len(runs_table):
            runs_table.insert(0, "stage", runs_table.pop("stage"))
        last = len(found.emulators)
        if found.check is not None and len(found.members):
            checked = _scored(values(found.members), found.check, found.observations, names, s.criterion)
            emulated, _, _ = found.emulators[-1].score(found.members, found.observations)
            checked.insert(len(keys), "wave", last)
            checked["emulated_implausibility"] = criterion_value(emulated, s.criterion)
            checked["kept"] = checked["implausibility"] <= s.cutoff
        else:
            checked = pd.DataFrame(columns=keys + ["wave", "implausibility", "kept"])
        ensemble = checked[checked["kept"].astype(bool)].drop(columns="kept").reset_index(drop=True)
        ensemble.insert(0, "member", np.arange(len(ensemble)))
        waves = pd.DataFrame([{k: v for k, v in w.items() if k != "emulator_variance_share"} for w in found.waves])
        if len(waves):
            waves["ruled_out"] = 1.0 - waves["nroy_fraction"]
            fine = runs_table["implausibility"] <= s.cutoff
            sim = fine.groupby(runs_table["stage"], sort=False).mean()
            waves["runs_not_implausible"] = [sim.get(f"wave-{w}", math.nan) for w in waves["wave"]]
        loo = pd.concat(found.loo, ignore_index=True) if found.loo else pd.DataFrame(
            columns=["wave", "target", "simulated", "predicted", "sd"])
        if len(loo):
            loo["standardised"] = (loo["simulated"] - loo["predicted"]) / loo["sd"]
        constraints = _constraints(matcher, found, keys, names)
        manifest = {
            "analysis": "history-matching",
            "targets_file": plan.targets_path,
            "scenario": plan.scenario_path,
            "scenario_name": plan.scenario.name,
            "parameters": keys,
            "ranges": {fp.key: [fp.low, fp.high] for fp in plan.free},
            "targets": [{"name": t.name, "output": t.output.name, "year": t.year, "kind": t.kind,
                         "expected": t.expected(), "observation_sd": math.sqrt(o.var_obs),
                         "discrepancy_sd": math.sqrt(o.var_disc),
                         "discrepancy": t.discrepancy_text or "default (10% of the value)"}
                        for t, o in zip(plan.targets, found.observations)],
            "left_out": [{"name": t.name, "reason": why} for t, why in plan.left_out],
            "settings": vars(s),
            "stop": found.stop,
            "emulator_variance_share": {w["wave"]: w["emulator_variance_share"] for w in found.waves},
            "simulator_runs": int(sum(y.shape[0] * y.shape[1] for _, _, y in found.runs)
                                  + (found.check.shape[0] * found.check.shape[1] if found.check is not None else 0)),
            "members_checked": len(checked),
            "members_kept": len(ensemble),
            "executor": executor,
            "workers": workers,
            "package_version": __version__,
            "wall_time_s": round(wall, 3),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        return cls(ensemble, checked, waves, runs_table, loo, constraints, manifest)

    def save(self, out, report=None) -> Path:
        """Write the ensemble file ``out`` (when a member was kept) and the report into
        ``report`` (default ``<out stem>_report/`` beside it); returns the report folder."""
        from ..ensemble import check_ensemble_target, write_ensemble

        check_ensemble_target(out)
        folder = report_path(out) if report is None else user_path(report)
        m = self.manifest
        meta = {k: m[k] for k in ("targets_file", "scenario", "scenario_name", "parameters", "ranges", "settings",
                                  "stop", "members_checked", "members_kept", "package_version", "created")}
        write_report(self, folder)
        if len(self.ensemble):
            write_ensemble(out, self.ensemble, meta)
        return folder


def _scored(values: pd.DataFrame, Y: np.ndarray, observations: list, names: list, criterion: str) -> pd.DataFrame:
    """Parameter values, each target's simulated mean and implausibility, and the criterion."""
    mean, _, _ = sample_stats(Y)
    imp = simulated_implausibility(observations, Y)
    out = values.copy()
    for j, name in enumerate(names):
        out[f"mean.{name}"] = mean[:, j]
    for j, name in enumerate(names):
        out[f"I.{name}"] = imp[:, j]
    out["implausibility"] = criterion_value(imp, criterion)
    return out


def _constraints(matcher: Matcher, found: Matched, keys: list, names: list) -> pd.DataFrame:
    """Which targets constrain which parameters: over the box, with wave 1's emulators (the only
    ones made for the whole box), each target alone; ``ruled_out`` the share of the box it rules
    out, and per parameter the Kolmogorov-Smirnov distance between the parameter's values in
    what the target leaves and its uniform spread over the range: 0 when the target says nothing
    about the parameter, towards 1 when it pins it (a target that rules out the low end of a
    range moves it as much as one that rules out both ends)."""
    if not found.emulators:
        return pd.DataFrame(columns=["target", "ruled_out", *keys])
    from scipy.stats import kstest

    imp, _, _ = found.emulators[0].score(matcher.box, found.observations)
    rows = []
    for j, name in enumerate(names):
        keep = imp[:, j] <= matcher.s.cutoff
        row = {"target": name, "ruled_out": float(1.0 - keep.mean())}
        for i, key in enumerate(keys):
            row[key] = float(kstest(matcher.box[keep, i], "uniform").statistic) if keep.sum() > 1 else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ report

def write_report(result: HistoryMatch, folder) -> Path:
    """The report of a history match, written whole into ``folder`` (replacing an earlier one):
    report.md, waves.png (the box ruled out per wave), loo.png (the emulators' leave-one-out
    checks), constraints.png (which targets constrain which parameters), members.png (the
    ensemble over the ranges), and its tables (waves.csv, runs.parquet, loo.csv,
    constraints.csv, checked.csv) and manifest.json."""
    from ..storage import atomic_folder, write_manifest

    with atomic_folder(user_path(folder), "history-matching") as tmp:
        result.waves.to_csv(tmp / "waves.csv", index=False)
        result.runs.to_parquet(tmp / "runs.parquet", index=False)
        result.loo.to_csv(tmp / "loo.csv", index=False)
        result.constraints.to_csv(tmp / "constraints.csv", index=False)
        result.checked.to_csv(tmp / "checked.csv", index=False)
        _charts(result, tmp)
        (tmp / "report.md").write_text(_markdown(result), encoding="utf-8")
        write_manifest(tmp, result.manifest)
    return user_path(folder)


def _charts(result: HistoryMatch, tmp: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = result.manifest
    w = result.waves
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    if len(w):
        ax.bar([f"wave {k}" for k in w["wave"]], 100 * w["ruled_out"], color="#4c72b0")
        for i, v in enumerate(100 * w["ruled_out"]):
            ax.text(i, v, f"{v:.1f}%", ha="center", va="bottom", fontsize=9)
    ax.set_ylim(0, 105)
    ax.set_ylabel("% of the parameter box ruled out")
    ax.set_title(f"Space ruled out after each wave (cut-off {m['settings']['cutoff']:g}, "
                 f"{m['settings']['criterion']} implausibility)", fontsize=9)
    fig.tight_layout()
    fig.savefig(tmp / "waves.png", dpi=110)
    plt.close(fig)

    names = [t["name"] for t in m["targets"]]
    cols = min(4, max(1, len(names)))
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows), squeeze=False)
    loo = result.loo
    colours = plt.get_cmap("viridis")
    waves = sorted(loo["wave"].unique()) if len(loo) else []
    for ax, name in zip(axes.flat, names):
        sub = loo[loo["target"] == name]
        for k in waves:
            g = sub[sub["wave"] == k]
            ax.errorbar(g["simulated"], g["predicted"], yerr=3 * g["sd"], fmt="o", ms=2.5, lw=0.6,
                        color=colours(0.15 + 0.7 * (k - 1) / max(1, len(waves) - 1)), label=f"wave {k}")
        if len(sub):
            both = sub[["simulated", "predicted"]].to_numpy()
            lo, hi = np.nanmin(both), np.nanmax(both)
            ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8)
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    if waves:
        axes.flat[0].legend(fontsize=7)
    fig.supxlabel("simulated mean of the design point", fontsize=9)
    fig.supylabel("leave-one-out prediction (+-3 sd)", fontsize=9)
    fig.tight_layout()
    fig.savefig(tmp / "loo.png", dpi=100)
    plt.close(fig)

    c = result.constraints
    keys = m["parameters"]
    fig, ax = plt.subplots(figsize=(1.0 * len(keys) + 4.0, 0.42 * max(1, len(c)) + 2.2))
    grid = c[keys].to_numpy(dtype=float) if len(c) else np.zeros((0, len(keys)))
    im = ax.imshow(grid, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if grid[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(keys)), [k.split(".", 1)[-1] for k in keys], rotation=35, ha="right", fontsize=7)
    ax.set_yticks(range(len(c)), [f"{t} ({100 * r:.0f}% out)" for t, r in zip(c["target"], c["ruled_out"])],
                  fontsize=7)
    fig.colorbar(im, ax=ax, label="KS distance from the range's uniform spread")
    ax.set_title("Which targets constrain which parameters (each target alone, wave 1)", fontsize=9)
    fig.tight_layout()
    fig.savefig(tmp / "constraints.png", dpi=110)
    plt.close(fig)

    e = result.ensemble
    cols = min(4, len(keys))
    rows = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.4 * rows), squeeze=False)
    for ax, key in zip(axes.flat, keys):
        low, high = m["ranges"][key]
        if len(e):
            ax.hist(e[key], bins=np.linspace(low, high, 16), color="#55a868")
        ax.set_xlim(low, high)
        ax.set_title(key.split(".", 1)[-1], fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    fig.suptitle(f"The {len(e)} members of the ensemble over each free parameter's range", fontsize=9)
    fig.tight_layout()
    fig.savefig(tmp / "members.png", dpi=110)
    plt.close(fig)


def _markdown(result: HistoryMatch) -> str:
    from ..text import format_number as fmt

    m, s = result.manifest, result.manifest["settings"]
    lines = [f"# History match: {m['targets_file']} on {m['scenario']}", "",
             f"{len(result.waves)} waves of up to {s['points']} design points x {s['replications']} replications, "
             f"then {m['members_checked']} members checked by the simulator: **{m['members_kept']} kept**. "
             f"Cut-off {s['cutoff']:g} on the {'largest' if s['criterion'] == 'max' else 'second largest'} "
             f"implausibility; seed {s['seed']}; {m['simulator_runs']:,} simulator replications in "
             f"{m['wall_time_s'] / 60:.1f} minutes ({m['executor']}, {m['workers']} workers).", "",
             f"Why the waves stopped: {m['stop']}.", "", "## Waves", "",
             "| wave | design points | runs | trained on | box ruled out | runs not implausible (simulated) "
             "| wall time |",
             "|---|---|---|---|---|---|---|"]
    for _, w in result.waves.iterrows():
        lines.append(f"| {int(w['wave'])} | {int(w['design_points'])} | {int(w['runs'])} | {int(w['trained_on'])} | "
                     f"{100 * w['ruled_out']:.2f}% | {100 * w['runs_not_implausible']:.0f}% | "
                     f"{w['wall_time_s']:.0f} s |")
    lines += ["", "![space ruled out per wave](waves.png)", "", "## Targets", "",
              "| target | output, year | expected | observation sd | discrepancy sd "
              "| emulator variance share (last wave) |",
              "|---|---|---|---|---|---|"]
    last = m["emulator_variance_share"].get(len(result.waves), {}) if result.waves is not None else {}
    for t in m["targets"]:
        share = last.get(t["name"])
        obs_sd = "the interval" if t["kind"] == "interval" else fmt(t["observation_sd"])
        lines.append(f"| {t['name']} | {t['output']}, {t['year']} | {t['expected']} | {obs_sd} | "
                     f"{fmt(t['discrepancy_sd'])} ({t['discrepancy']}) | "
                     f"{'-' if share is None else f'{100 * share:.0f}%'} |")
    for t in m["left_out"]:
        lines.append(f"| {t['name']} | left out: {t['reason']} | | | | |")
    lines += ["", "The emulator variance share is V_em / (V_em + V_obs + V_disc + V_ens) where the space is left: "
              "small shares mean a further wave would rule out little more.", "",
              "## Emulators: leave-one-out checks", "",
              "Each design point's mean as the other points' emulator predicts it. Standardised errors "
              "(simulated - predicted) / sd should lie within +-3 for about 95% or more of the points; "
              "far fewer means the emulator is overconfident.", "",
              "| wave | target | points | within +-3 sd | largest |error| / sd |", "|---|---|---|---|---|"]
    for (k, name), g in result.loo.groupby(["wave", "target"], sort=False):
        z = g["standardised"].abs()
        lines.append(f"| {k} | {name} | {len(g)} | {100 * (z <= 3).mean():.0f}% | {z.max():.2f} |")
    lines += ["", "![leave-one-out predictions](loo.png)", "", "## Which targets constrain which parameters", "",
              "Each target alone, with wave 1's emulators over the whole box: the share of the box it rules out, "
              "and per parameter the Kolmogorov-Smirnov distance between the parameter's values in what it "
              "leaves and the range's uniform spread: 0 when it says nothing about the parameter, towards 1 "
              "when it pins it.", "", "![constraints](constraints.png)", "",
              "## The ensemble", "",
              f"{m['members_checked']} parameter sets drawn to spread over the space left, each run for "
              f"{s['replications']} replications with seeds of its own; kept when the simulated means are not "
              f"implausible either (their sampling variance in place of the emulator's): {m['members_kept']} kept.",
              "", "| parameter | range | members: min | median | max |", "|---|---|---|---|---|"]
    for key in m["parameters"]:
        low, high = m["ranges"][key]
        col = result.ensemble[key] if len(result.ensemble) else pd.Series(dtype=float)
        lines.append(f"| {key} | {low:g}-{high:g} | {fmt(col.min())} | {fmt(col.median())} | {fmt(col.max())} |")
    lines += ["", "![members](members.png)", "",
              "Files: waves.csv, runs.parquet (every design point: values, simulated means and implausibilities), "
              "loo.csv, constraints.csv, checked.csv (every checked member), manifest.json.", ""]
    return "\n".join(lines)
