"""Parameters as seen inside one replication: each value evaluated at simulation time."""

from __future__ import annotations

import datetime as dt

from ..scenario import Scenario
from ..timeline import BoundSchedule, Clock, Schedule


class RunParams:
    """``p(key, t)`` is the value of a parameter on simulation day ``t``.

    Constant values are stored as plain numbers so that the common case costs one dict lookup;
    dated values are ``BoundSchedule`` objects evaluated at ``t``. Uncertain parameters are
    replaced by this replication's draw (``sampled``).
    """

    def __init__(self, scenario: Scenario, clock: Clock, sampled: dict | None = None):
        self.clock = clock
        self.scenario = scenario
        self._values: dict = {}
        sampled = sampled or {}
        for key, v in scenario.values.items():
            if key in sampled:
                self._values[key] = float(sampled[key])
            elif isinstance(v, Schedule):
                self._values[key] = v.values()[0] if v.is_constant else v.bind(clock)
            elif isinstance(v, dt.date):
                self._values[key] = clock.day(v)  # dates become simulation days
            else:
                self._values[key] = v
        self.sampled = dict(sampled)

    def __call__(self, key: str, t: float = 0.0):
        v = self._values[key]
        return v(t) if v.__class__ is BoundSchedule else v

    def int(self, key: str, t: float = 0.0) -> int:
        return int(round(self(key, t)))
