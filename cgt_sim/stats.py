"""Interval arithmetic over replications: t-intervals of a mean, paired and unpaired.

scipy.stats takes most of a second to import, so it is imported when an interval is first
computed, not with this module.
"""

from __future__ import annotations

import math

import numpy as np


def t_quantile(q: float, df: float) -> float:
    """The ``q`` quantile of Student's t with ``df`` degrees of freedom."""
    from scipy.stats import t

    return float(t.ppf(q, df))


def half_width(d: np.ndarray, level: float) -> float:
    """Half-width of the t-interval for the mean of ``d`` (NaN with fewer than two values)."""
    n = d.size
    if n < 2:
        return math.nan
    return float(t_quantile(0.5 + level / 2.0, n - 1) * d.std(ddof=1) / math.sqrt(n))


def interval(d: np.ndarray, level: float, prefix: str) -> dict:
    """``{prefix}_mean``, ``{prefix}_low``, ``{prefix}_high``: the mean of ``d`` and its
    t-interval at ``level``."""
    mean = float(d.mean()) if d.size else math.nan
    half = half_width(d, level)
    return {f"{prefix}_mean": mean, f"{prefix}_low": mean - half, f"{prefix}_high": mean + half}


def unpaired_interval(x1: np.ndarray, x0: np.ndarray, level: float) -> dict:
    """Welch interval for the difference of means, as if the runs were independent."""
    n1, n0 = x1.size, x0.size
    if n1 < 2 or n0 < 2:
        return {"unpaired_low": math.nan, "unpaired_high": math.nan}
    v1, v0 = x1.var(ddof=1) / n1, x0.var(ddof=1) / n0
    se = math.sqrt(v1 + v0)
    if se == 0.0:
        df = n1 + n0 - 2
    else:
        df = (v1 + v0) ** 2 / ((v1 ** 2) / (n1 - 1) + (v0 ** 2) / (n0 - 1))
    half = float(t_quantile(0.5 + level / 2.0, df) * se)
    mean = float(x1.mean() - x0.mean())
    return {"unpaired_low": mean - half, "unpaired_high": mean + half}
