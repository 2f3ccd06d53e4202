"""cgt-sim: a discrete-event model of how cell and gene therapy becomes an industry in China.

    import cgt_sim
    sc = cgt_sim.load_scenario("baseline")     # a library scenario by name, or a file's path
    res = cgt_sim.run(sc, replications=20, seed=7)
    res.summary()

The names below, and the modules (``cgt_sim.runner``...), are imported when first used, so
``import cgt_sim`` (and the command line's start) stays quick and a Ctrl-C while it starts is
an interruption, not a traceback.
"""

import importlib as _importlib
import importlib.util as _importlib_util

_WHERE = {  # public name -> the module that defines it
    "run": "runner", "compare": "analysis.compare", "sensitivity": "analysis.sensitivity",
    "sweep": "analysis.sweep", "SensitivityResult": "analysis.sensitivity", "SweepResult": "analysis.sweep",
    "load_scenario": "scenario", "load_results": "results", "ResultSet": "results", "Scenario": "scenario",
    "CgtSimError": "errors", "ScenarioError": "errors", "OptionError": "errors", "ResultError": "errors",
    "SystemRefused": "errors",
    "analytic_funnel": "model.clinical", "CATALOGUE": "parameters", "MODALITIES": "parameters",
    "CLUSTERS": "parameters", "write_report": "report", "kept_open": "executors",
    "history_match": "analysis.history",
    "HistoryMatch": "analysis.history", "load_ensemble": "ensemble", "discover": "analysis.discovery",
    "DiscoveryResult": "analysis.discovery", "ema_model": "analysis.discovery", "query": "sql",
}

__all__ = list(_WHERE) + ["__version__"]


def __getattr__(name: str):
    if name == "__version__":  # from the installed package's metadata (git tags), read when first asked
        from .provenance import package_version

        value = package_version()
    elif name in _WHERE:
        value = getattr(_importlib.import_module(f".{_WHERE[name]}", __name__), name)
    elif not name.startswith("_") and _importlib_util.find_spec(f"{__name__}.{name}") is not None:
        value = _importlib.import_module(f".{name}", __name__)  # a module: cgt_sim.runner
    else:
        raise AttributeError(f"module 'cgt_sim' has no attribute {name!r}")
    globals()[name] = value  # looked up once
    return value


def __dir__():
    return sorted(__all__)
