"""Analyses built on runs: paired comparison, sweeps, sensitivity indices, calibration and
validation. Each module is one analysis; ``points`` runs the variants of a scenario they share."""
