"""The calibration files: targets.yaml and fitted.yaml ship inside the package as
``cgt_sim.library.calibration`` (this file makes the folder that package; see pyproject.toml)."""
