"""cgt-sim: a discrete-event model of how cell and gene therapy becomes an industry in China.

    import cgt_sim
    sc = cgt_sim.load_scenario("scenarios/baseline.yaml")
    res = cgt_sim.run(sc, replications=20, seed=7)
    res.summary()

The names below are imported when first used, so ``import cgt_sim`` (and the command line's
start) stays quick and a Ctrl-C while it starts is an interruption, not a traceback.
"""

import importlib
import sys
import types

__version__ = "0.1.0"

_WHERE = {  # public name -> the module that defines it
    "run": "runner", "compare": "compare", "sensitivity": "sensitivity", "sweep": "sweep",
    "SensitivityResult": "sensitivity", "SweepResult": "sweep", "load_scenario": "scenario",
    "load_results": "results", "ResultSet": "results", "Scenario": "scenario", "ScenarioError": "scenario",
    "analytic_funnel": "model.clinical", "CATALOGUE": "parameters", "MODALITIES": "parameters",
    "CLUSTERS": "parameters",
}

__all__ = list(_WHERE) + ["__version__"]


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'cgt_sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value  # looked up once
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Importing a submodule makes it an attribute of its package; ``compare``, ``sweep`` and
    ``sensitivity`` are both submodules and the functions they define, and the function keeps
    the name."""

    def __setattr__(self, name, value):
        if name in _WHERE and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
