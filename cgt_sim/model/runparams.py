"""Parameters as seen inside one replication: each value evaluated at simulation time."""

from __future__ import annotations

import datetime as dt

from ..parameters import CATALOGUE
from ..scenario import Scenario
from ..timeline import Clock, Schedule


class RunParams:
    """``p(key, t)`` is the value of a parameter on simulation day ``t``.

    Constant values are stored as plain floats so that the common case costs one dict lookup.
    Uncertain parameters are replaced by this replication's draw (``sampled``).
    """

    def __init__(self, scenario: Scenario, clock: Clock, sampled: dict | None = None):
        self.clock = clock
        self.scenario = scenario
        self._const: dict = {}
        self._dated: dict = {}
        sampled = sampled or {}
        for key, v in scenario.values.items():
            if key in sampled:
                self._const[key] = float(sampled[key])
            elif isinstance(v, Schedule):
                if v.is_constant:
                    self._const[key] = v.values()[0]
                else:
                    self._dated[key] = v.bind(clock)
            elif isinstance(v, dt.date):
                self._const[key] = clock.day(v)  # dates become simulation days
            else:
                self._const[key] = v
        self.sampled = dict(sampled)

    def __call__(self, key: str, t: float = 0.0):
        v = self._const.get(key)
        if v is not None:
            return v
        try:
            return self._dated[key](t)
        except KeyError:
            raise KeyError(f"unknown parameter {key}") from None

    def int(self, key: str, t: float = 0.0) -> int:
        return int(round(self(key, t)))

    def is_dated(self, key: str) -> bool:
        return key in self._dated


def check_keys_exist(keys) -> None:
    missing = [k for k in keys if k not in CATALOGUE]
    if missing:
        raise KeyError(f"unknown parameters: {missing}")
