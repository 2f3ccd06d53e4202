"""Demand: the indications CGT products treat, and the patients each has month by month.

An indication has two sources of patients:

* a *flow* (``demand.eligible_2025``): patients who newly reach the line of therapy a CGT
  serves (a lymphoma after its second failed line, say); those not treated that month leave it.
  It grows at ``demand.growth`` and is multiplied by ``demand.line_expansion`` as CGT moves to
  earlier lines;
* a *pool* (``demand.prevalent_2025``) of a chronic disease's untreated prevalent patients
  (refractory lupus, thalassaemia, haemophilia): fed by ``demand.pool_inflow_2025``, left by
  death or remission (at inflow / pool - log(1 + growth) a year, which keeps an untreated pool
  growing at its indication's rate), drained by one-time therapies. Each year a share
  (``demand.pool_treatment_share``) of the pool comes forward.

Each month the patients who come forward are drawn (Poisson for the flow; for the pool, from
its expected share, never more than it holds); the market then decides how many are treated,
and by which product. So the patients treated in an indication never exceed its eligible
patients, however many products compete for them.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass

import numpy as np

from ..parameters import INDICATIONS, MODALITIES
from ..timeline import DAYS_PER_YEAR
from .runparams import RunParams, Value


@dataclass(frozen=True, slots=True)
class DemandInputs:
    eligible_2025: dict[str, Value]  # by indication
    prevalent_2025: dict[str, Value]
    pool_inflow_2025: dict[str, Value]
    growth: dict[str, Value]
    line_expansion: dict[str, Value]
    fit_share: dict[str, Value]
    pool_treatment_share: Value
    mix: dict[str, dict[str, Value]]  # [modality][indication] weights
    # a modality's cumulative shares, worked out once when none of its weights is dated
    mix_fixed: dict[str, list[float] | None]

    @classmethod
    def bind(cls, params: RunParams) -> DemandInputs:
        b = params.bind

        def per_indication(name: str) -> dict[str, Value]:
            return {i: b(f"demand.{name}.{i}") for i in INDICATIONS}

        mix = {m: {i: b(f"demand.mix.{m}.{i}") for i in INDICATIONS} for m in MODALITIES}
        return cls(
            eligible_2025=per_indication("eligible_2025"),
            prevalent_2025=per_indication("prevalent_2025"),
            pool_inflow_2025=per_indication("pool_inflow_2025"),
            growth=per_indication("growth"),
            line_expansion=per_indication("line_expansion"),
            fit_share=per_indication("fit_share"),
            pool_treatment_share=b("demand.pool_treatment_share"),
            mix=mix,
            mix_fixed={m: cumulative_shares([mix[m][i](0.0) for i in INDICATIONS]) for m in MODALITIES
                       if all(params.is_constant(f"demand.mix.{m}.{i}") for i in INDICATIONS)},
        )

    def indication_of(self, modality: str, t: float, u: float) -> int:
        """The index of the indication a new program of ``modality`` targets, from its uniform
        ``u``: the modality's mix in force on day ``t``, by inverse cumulative weights."""
        if modality in self.mix_fixed:
            cumulative = self.mix_fixed[modality]
        else:
            mix = self.mix[modality]
            cumulative = cumulative_shares([mix[i](t) for i in INDICATIONS])
        if cumulative is None:
            return 0
        return min(bisect.bisect_right(cumulative, u), len(INDICATIONS) - 1)


def cumulative_shares(weights: list[float]) -> list[float] | None:
    """The running sums of ``weights`` (negatives as 0) over their total, in order, as numpy's
    cumsum adds them (plain floats: no array per program); None when nothing has weight."""
    weights = [max(w, 0.0) for w in weights]
    total = math.fsum(weights)
    if total <= 0.0:
        return None
    return [c / total for c in itertools.accumulate(weights)]


class Demand:
    """The indications of one replication: each one's pool of untreated prevalent patients,
    and the patients who came forward this month."""

    def __init__(self, inputs: DemandInputs, day_2025: float, rng: np.random.Generator):
        self.inputs = inputs
        self.day_2025 = day_2025
        self.rng = rng
        n = len(INDICATIONS)
        # the pools as they were in 2015, back-cast from 2025 at each indication's growth
        self.pool = np.array([inputs.prevalent_2025[i](0.0) * (1.0 + inputs.growth[i](0.0)) ** (-10.0)
                              for i in INDICATIONS])
        self.came = np.zeros(n)  # patients who came forward this month
        self.from_pool = np.zeros(n)  # ... of whom from the pool
        self.updated = 0.0

    def _factor(self, i: str, t: float) -> float:
        """Growth since 2025 of indication ``i``'s flows, on day ``t``."""
        return (1.0 + self.inputs.growth[i](t)) ** ((t - self.day_2025) / DAYS_PER_YEAR)

    def expected(self, t: float, start: float) -> tuple[np.ndarray, np.ndarray]:
        """The month from ``start`` to ``t``: expected patients coming forward from the flow and
        from the pool, per indication (rates read at the month's start)."""
        inputs, span = self.inputs, (t - start) / DAYS_PER_YEAR
        flow = np.array([inputs.eligible_2025[i](start) * inputs.line_expansion[i](start) * self._factor(i, start)
                         for i in INDICATIONS]) * span
        seek = 1.0 - (1.0 - inputs.pool_treatment_share(start)) ** span
        return flow, self.pool * seek

    def month(self, t: float, start: float) -> np.ndarray:
        """Draw the patients who come forward in the month from ``start`` to ``t`` (after moving
        the pools on by the month's inflow and exits); return them per indication."""
        inputs, span = self.inputs, (t - start) / DAYS_PER_YEAR
        for k, i in enumerate(INDICATIONS):
            pool, prevalent = self.pool[k], inputs.prevalent_2025[i](start)
            if prevalent <= 0.0 and pool <= 0.0:
                continue
            g = inputs.growth[i](start)
            inflow = inputs.pool_inflow_2025[i](start) * self._factor(i, start)
            exit_rate = (max(inputs.pool_inflow_2025[i](start) / prevalent - math.log1p(g), 0.0)
                         if prevalent > 0 else 0.0)
            self.pool[k] = max(pool + inflow * span - exit_rate * pool * span, 0.0)
        flow, seekers = self.expected(t, start)
        from_pool = np.minimum(self.rng.poisson(seekers), np.floor(self.pool))
        self.from_pool = from_pool
        self.came = self.rng.poisson(flow) + from_pool
        return self.came

    def treated(self, treated: np.ndarray) -> None:
        """``treated`` patients per indication were treated this month: those who came from a pool
        leave it (in proportion to where this month's patients came from)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(self.came > 0, self.from_pool / self.came, 0.0)
        self.pool = np.maximum(self.pool - treated * share, 0.0)
