"""The scenario library: shipped inside the package as ``cgt_sim.library.scenarios`` (this file
makes the folder that package; see pyproject.toml). Scenarios are the YAML files beside it."""
