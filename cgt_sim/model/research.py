"""Discovery: new programs arrive by modality and cluster.

Arrivals are a non-homogeneous Poisson process with piecewise-constant monthly rates:
rate(m, c, t) = arrivals_2015[m] x growth multiplier(m, year) x arrival_scale
                x capital_climate ** capital_elasticity x cluster weight(c),
every factor but the growth multiplier read at the start of each month (a twelfth of the
calendar year), so a dated change takes effect from its month; each month's arrivals are drawn
at its start. The growth multiplier compounds
(1 + arrival_growth + arrival_growth_extra[m]) year by year, each read at the start of its year,
so dated growth changes take effect from their year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..parameters import CLUSTERS, MODALITIES
from ..timeline import DAYS_PER_YEAR
from .runparams import RunParams, Value

if TYPE_CHECKING:
    from .world import World


@dataclass(frozen=True, slots=True)
class ResearchInputs:
    arrivals_2015: dict[str, Value]  # by modality
    arrival_growth: Value
    arrival_growth_extra: dict[str, Value]  # by modality
    arrival_scale: Value
    capital_climate: Value
    capital_elasticity: Value
    cluster_weight: dict[str, Value]  # by cluster
    start_revenue_cny: Value
    development_capacity: Value
    capacity_elasticity: Value

    @classmethod
    def bind(cls, params: RunParams) -> ResearchInputs:
        b = params.bind
        return cls(
            arrivals_2015={m: b(f"research.arrivals_2015.{m}") for m in MODALITIES},
            arrival_growth=b("research.arrival_growth"),
            arrival_growth_extra={m: b(f"research.arrival_growth_extra.{m}") for m in MODALITIES},
            arrival_scale=b("research.arrival_scale"),
            capital_climate=b("financing.capital_climate"),
            capital_elasticity=b("research.capital_elasticity"),
            cluster_weight={c: b(f"research.cluster_weight.{c}") for c in CLUSTERS},
            start_revenue_cny=b("research.start_revenue_cny"),
            development_capacity=b("research.development_capacity"),
            capacity_elasticity=b("research.capacity_elasticity"),
        )

    def start_probability(self, revenue: float, t: float) -> float:
        """Chance that a new program is started at all, when a product entering its indication
        now could expect ``revenue`` a year."""
        return revenue / (revenue + self.start_revenue_cny(t))

    def capacity_factor(self, in_development: int, t: float) -> float:
        """The share of the programs that revenue would start that capital, talent and trial
        sites can carry when ``in_development`` programs are already under way:
        min(1, (capacity / in_development) ** elasticity). Exactly 1 up to the capacity."""
        capacity = self.development_capacity(t)
        if in_development <= capacity:
            return 1.0
        return (capacity / in_development) ** self.capacity_elasticity(t)

    def yearly_rates(self, t: float, growth: np.ndarray) -> np.ndarray:
        """Expected arrivals per year by (modality, cluster) at the rates in force on day ``t``."""
        base = np.array([self.arrivals_2015[m](t) for m in MODALITIES]) * growth
        scale = self.arrival_scale(t) * max(self.capital_climate(t), 0.0) ** self.capital_elasticity(t)
        weights = np.array([self.cluster_weight[c](t) for c in CLUSTERS])
        weights = weights / weights.sum()
        return np.outer(base * scale, weights)

    def growth_factor(self, t: float) -> np.ndarray:
        """This year's growth of each modality's arrivals, read on 1 January (day ``t``)."""
        g = self.arrival_growth(t)
        extra = np.array([self.arrival_growth_extra[m](t) for m in MODALITIES])
        return np.maximum(1.0 + g + extra, 0.0)


def discovery(env, world: World):
    """Generator: at the start of each month, draw the month's arrivals (counts and times
    together) and schedule their programs.

    Random numbers are consumed month by month, in time order, like every other stream: a
    change of rates from a date leaves every earlier month's arrivals as they were (common
    random numbers up to a policy's start).
    """
    inputs = world.research
    growth = np.ones(len(MODALITIES))
    rng = world.rng["discovery"]
    mods = np.repeat(np.arange(len(MODALITIES)), len(CLUSTERS))
    clus = np.tile(np.arange(len(CLUSTERS)), len(MODALITIES))
    for yi, (y0, y1) in enumerate(zip(world.year_edges[:-1], world.year_edges[1:])):
        if yi > 0:
            growth = growth * inputs.growth_factor(y0)
        month = (y1 - y0) / 12.0
        for start in (y0 + month * np.arange(12)).tolist():
            if env.now < start:
                yield env.timeout(start - env.now)
            counts = rng.poisson(inputs.yearly_rates(start, growth).ravel() * month / DAYS_PER_YEAR)
            total = int(counts.sum())
            if total == 0:
                continue
            offsets = start + rng.random(total) * month
            order = np.argsort(offsets, kind="stable")
            world.add_programs(offsets[order], mods.repeat(counts)[order], clus.repeat(counts)[order])
