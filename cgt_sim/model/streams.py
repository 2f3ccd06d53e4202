"""Random streams: one root seed -> one child per replication -> one named stream per mechanism.

The same replication index draws the same numbers in every scenario (common random numbers):
streams are keyed by (root seed, replication, mechanism name), never by run order or worker.
"""

from __future__ import annotations

import math

import numpy as np

MECHANISMS = ("discovery", "programs", "financing", "manufacturing", "logistics", "market",
              "uncertain", "plants")


def replication_seed(root_seed: int, replication: int) -> np.random.SeedSequence:
    """The SeedSequence of one replication (same as SeedSequence(root).spawn(n)[replication])."""
    return np.random.SeedSequence(entropy=root_seed, spawn_key=(replication,))


def streams(root_seed: int, replication: int) -> dict[str, np.random.Generator]:
    """Named generators for one replication; adding a mechanism never shifts the others."""
    base = replication_seed(root_seed, replication)
    return {
        name: np.random.default_rng(
            np.random.SeedSequence(entropy=base.entropy, spawn_key=base.spawn_key + (i,)))
        for i, name in enumerate(MECHANISMS)
    }


def lognormal_from(z: float, mean: float, cv: float) -> float:
    """A lognormal draw with the given mean and coefficient of variation from a standard normal z."""
    if cv <= 0.0:
        return mean
    s2 = math.log1p(cv * cv)
    return mean * math.exp(math.sqrt(s2) * z - 0.5 * s2)


def gamma_draw(rng: np.random.Generator, mean: float, cv: float) -> float:
    """A gamma draw with the given mean and cv (cv = 1 is exponential; cv = 0 is the mean)."""
    if cv <= 0.0:
        return mean
    k = 1.0 / (cv * cv)
    return float(rng.gamma(k, mean / k))
