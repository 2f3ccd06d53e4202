"""cgt-sim: a discrete-event model of how cell and gene therapy becomes an industry in China.

    import cgt_sim
    sc = cgt_sim.load_scenario("scenarios/baseline.yaml")
    res = cgt_sim.run(sc, replications=20, seed=7)
    res.summary()
"""

__version__ = "0.1.0"

from .compare import compare  # noqa: E402
from .model.clinical import analytic_funnel  # noqa: E402
from .parameters import CATALOGUE, CLUSTERS, MODALITIES  # noqa: E402
from .results import ResultSet, load_results  # noqa: E402
from .runner import run  # noqa: E402
from .scenario import Scenario, ScenarioError, load_scenario  # noqa: E402
from .sensitivity import SensitivityResult, sensitivity  # noqa: E402
from .sweep import SweepResult, sweep  # noqa: E402

__all__ = ["run", "compare", "sensitivity", "sweep", "SensitivityResult", "SweepResult", "load_scenario",
           "load_results", "ResultSet", "Scenario", "ScenarioError", "analytic_funnel", "CATALOGUE", "MODALITIES",
           "CLUSTERS", "__version__"]
