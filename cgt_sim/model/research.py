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

import numpy as np

from ..parameters import CLUSTERS, MODALITIES
from ..timeline import DAYS_PER_YEAR


def yearly_rates(p, t: float, growth: np.ndarray) -> np.ndarray:
    """Expected arrivals per year by (modality, cluster) at the rates in force on day ``t``."""
    base = np.array([p(f"research.arrivals_2015.{m}", t) for m in MODALITIES]) * growth
    scale = p("research.arrival_scale", t) * max(p("financing.capital_climate", t), 0.0) ** p(
        "research.capital_elasticity", t)
    weights = np.array([p(f"research.cluster_weight.{c}", t) for c in CLUSTERS])
    weights = weights / weights.sum()
    return np.outer(base * scale, weights)


def discovery(env, w):
    """Generator: at the start of each month, draw the month's arrivals (counts and times
    together) and schedule their programs.

    Random numbers are consumed month by month, in time order, like every other stream: a
    change of rates from a date leaves every earlier month's arrivals as they were (common
    random numbers up to a policy's start).
    """
    p = w.p
    growth = np.ones(len(MODALITIES))
    rng = w.rng["discovery"]
    mods = np.repeat(np.arange(len(MODALITIES)), len(CLUSTERS))
    clus = np.tile(np.arange(len(CLUSTERS)), len(MODALITIES))
    for yi, (y0, y1) in enumerate(zip(w.year_edges[:-1], w.year_edges[1:])):
        if yi > 0:
            g = p("research.arrival_growth", y0)
            extra = np.array([p(f"research.arrival_growth_extra.{m}", y0) for m in MODALITIES])
            growth = growth * np.maximum(1.0 + g + extra, 0.0)
        month = (y1 - y0) / 12.0
        for start in (y0 + month * np.arange(12)).tolist():
            if env.now < start:
                yield env.timeout(start - env.now)
            counts = rng.poisson(yearly_rates(p, start, growth).ravel() * month / DAYS_PER_YEAR)
            total = int(counts.sum())
            if total == 0:
                continue
            offsets = start + rng.random(total) * month
            order = np.argsort(offsets, kind="stable")
            w.add_programs(offsets[order], mods.repeat(counts)[order], clus.repeat(counts)[order])
