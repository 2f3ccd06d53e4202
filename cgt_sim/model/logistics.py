"""Cold chain: transit time and loss per shipment.

An autologous dose travels twice (apheresis material to the site, product back to the
hospital); off-the-shelf doses travel once from stock. A lost or out-of-specification shipment
sends the patient back to manufacturing, like a failed batch (article 000: ultra-low-temperature
cold chain, stability and remote monitoring are a required step of industrialisation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .runparams import ParamSource, Value
from .streams import gamma_draw


@dataclass(frozen=True, slots=True)
class LogisticsInputs:
    transit_days: Value
    transit_cv: Value
    loss_rate: Value

    @classmethod
    def bind(cls, params: ParamSource) -> LogisticsInputs:
        b = params.bind
        return cls(transit_days=b("logistics.transit_days"), transit_cv=b("logistics.transit_cv"),
                   loss_rate=b("logistics.loss_rate"))

    def transit(self, t: float, rng: np.random.Generator, legs: int = 1) -> float:
        """Days in transit of one shipment over ``legs`` legs (each a gamma draw)."""
        return sum(gamma_draw(rng, self.transit_days(t), self.transit_cv(t)) for _ in range(legs))

    def dose_loss_probability(self, failure_rate: float, t: float) -> float:
        """Probability that one dose fails release (``failure_rate``) or is lost in transit
        (needs re-manufacture)."""
        return 1.0 - (1.0 - failure_rate) * (1.0 - self.loss_rate(t))
