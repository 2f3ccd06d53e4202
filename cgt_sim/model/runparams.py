"""Parameters as one replication sees them: each bound once, then evaluated at simulation time.

A mechanism declares the parameters it reads in an inputs dataclass whose ``bind(params)``
builds it at the start of a replication (``ClinicalInputs.bind``, ``MarketInputs.bind``...):
``params.bind(key)`` returns a function of the simulation day, so the mechanism never formats a
key or looks one up again while it runs. ``params.bound`` records every key bound, so a test
checks that every parameter the catalogue declares is read by some mechanism and nothing is
read that the catalogue does not declare.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from ..scenario import Scenario
from ..timeline import Clock, Schedule

Value = Callable[[float], float]  # a parameter's value on a simulation day
Count = Callable[[float], int]  # a whole-number parameter's value on a simulation day


class ParamSource(Protocol):
    """What inputs are bound from: a value function per key."""

    def bind(self, key: str) -> Value: ...

    def bind_whole(self, key: str) -> Count: ...


def constant(value: float) -> Value:
    """A value that is the same on every day."""

    def value_at(t: float = 0.0) -> float:
        return value

    return value_at


def whole(value: Value) -> Count:
    """``value`` rounded to a whole number (a count of patients, suites, cohorts)."""

    def count_at(t: float = 0.0) -> int:
        return int(round(value(t)))

    return count_at


class RunParams:
    """The scenario's parameters for one replication: a constant stays a number, a dated value
    becomes a ``BoundSchedule`` in simulation days, and an uncertain parameter takes this
    replication's draw (``sampled``)."""

    def __init__(self, scenario: Scenario, clock: Clock, sampled: dict | None = None):
        self.clock = clock
        self.scenario = scenario
        self.sampled = dict(sampled or {})
        self.bound: set[str] = set()
        self._constant: dict = {}
        self._dated: dict = {}
        for key, v in scenario.values.items():
            if key in self.sampled:
                self._constant[key] = float(self.sampled[key])
            elif isinstance(v, Schedule):
                if v.is_constant:
                    self._constant[key] = v.values()[0]
                else:
                    self._dated[key] = v.bind(clock)
            elif isinstance(v, dt.date):
                self._constant[key] = clock.day(v)  # dates become simulation days
            else:
                self._constant[key] = v

    def bind(self, key: str) -> Value:
        """The value of ``key`` as a function of the simulation day."""
        self.bound.add(key)
        if key in self._constant:
            return constant(self._constant[key])
        return self._dated[key]

    def is_constant(self, key: str) -> bool:
        """Whether ``key`` has the same value on every day of this replication."""
        return key in self._constant

    def bind_whole(self, key: str) -> Count:
        """The value of ``key`` rounded to a whole number, as a function of the simulation day."""
        if key in self._constant:
            self.bound.add(key)
            n = int(round(self._constant[key]))

            def count_at(t: float = 0.0) -> int:
                return n

            return count_at
        return whole(self.bind(key))

    def fixed(self, key: str):
        """The value of a parameter that holds for the whole run (a flag, a start state)."""
        self.bound.add(key)
        return self._constant[key]

    def __call__(self, key: str, t: float = 0.0):
        """The value of ``key`` on day ``t`` (a one-off lookup; mechanisms bind instead)."""
        return self.bind(key)(t)


class LookupParams:
    """Inputs bound from a plain lookup ``p(key, day)`` (what ``analytic_funnel`` accepts)."""

    def __init__(self, lookup: Callable[[str, float], float]):
        self.lookup = lookup

    def bind(self, key: str) -> Value:
        lookup = self.lookup

        def value_at(t: float = 0.0) -> float:
            return lookup(key, t)

        return value_at

    def bind_whole(self, key: str) -> Count:
        return whole(self.bind(key))
