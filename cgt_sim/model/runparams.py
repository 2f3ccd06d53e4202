"""Parameters as seen inside one replication: each value evaluated at simulation time."""

from __future__ import annotations

import datetime as dt

from ..scenario import Scenario
from ..timeline import Clock, Schedule


class RunParams:
    """``p(key, t)`` is the value of a parameter on simulation day ``t``.

    Constant values are stored as plain numbers so that the common case costs one dict lookup;
    dated values are ``BoundSchedule`` objects evaluated at ``t``. Uncertain parameters are
    replaced by this replication's draw (``sampled``).

    ``lookup`` is the same function as a plain closure with ``int`` and ``sampled`` attached:
    a replication looks parameters up about a million times, and calling a closure costs less
    than calling an object.
    """

    def __init__(self, scenario: Scenario, clock: Clock, sampled: dict | None = None):
        self.clock = clock
        self.scenario = scenario
        constant: dict = {}
        dated: dict = {}
        sampled = sampled or {}
        for key, v in scenario.values.items():
            if key in sampled:
                constant[key] = float(sampled[key])
            elif isinstance(v, Schedule):
                if v.is_constant:
                    constant[key] = v.values()[0]
                else:
                    dated[key] = v.bind(clock)
            elif isinstance(v, dt.date):
                constant[key] = clock.day(v)  # dates become simulation days
            else:
                constant[key] = v
        self.sampled = dict(sampled)

        def lookup(key: str, t: float = 0.0):
            try:
                return constant[key]
            except KeyError:
                return dated[key](t)

        def as_int(key: str, t: float = 0.0) -> int:
            return int(round(lookup(key, t)))

        lookup.int = as_int
        lookup.sampled = self.sampled
        self.lookup = lookup

    def __call__(self, key: str, t: float = 0.0):
        return self.lookup(key, t)

    def int(self, key: str, t: float = 0.0) -> int:
        return self.lookup.int(key, t)
