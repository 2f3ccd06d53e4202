"""The scenario library: every file loads, says what it changes and why, and runs.

A what-if extends the baseline and changes a policy from the date it starts; a variant extends a
what-if and changes a structural assumption of it (its description says so), from the start."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cgt_sim import load_scenario
from cgt_sim.model.world import simulate

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))
EXTENDS = {f.name: yaml.safe_load(f.read_text()).get("extends") for f in FILES}
WHAT_IFS = [f for f in FILES if EXTENDS[f.name] == "baseline.yaml" and f.name != "industrialization.yaml"]
VARIANTS = [f for f in FILES if EXTENDS[f.name] not in (None, "baseline.yaml")]


def test_library_is_complete():
    names = {f.stem for f in FILES}
    assert {"baseline", "manufacturing_cost_decline", "faster_approval", "payment_reform",
            "capital_boost", "ai_discovery", "cold_chain", "allogeneic_shift",
            "industrialization"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_loads_cites_and_runs(path):
    raw = yaml.safe_load(path.read_text())
    assert raw["name"] == path.stem
    assert len(raw.get("description", "")) > 80, "each file says what it changes and why"
    assert raw.get("source"), "each file cites its source"
    if path.name != "baseline.yaml":
        assert raw["extends"] == "baseline.yaml" or (SCENARIOS / raw["extends"]) in WHAT_IFS, \
            "a file extends the baseline (a what-if) or a what-if (a variant of it)"
        assert raw["set"] or raw.get("uncertain"), "a what-if changes something (or leaves something open)"
    sc = load_scenario(path, overrides={"simulation.horizon_year": 2027})
    out = simulate(sc, 0, 3)
    assert len(out["annual"]["year"]) == 2027 - 2015 + 1


def test_variants_say_what_they_change():
    assert VARIANTS, "payment_reform_cdmo_only is a variant"
    for f in VARIANTS:
        assert "variant" in yaml.safe_load(f.read_text())["description"] or "sensitivity" in \
            yaml.safe_load(f.read_text())["description"]


def test_industrialization_is_all_what_ifs_together():
    combined = {}
    for f in WHAT_IFS:
        combined.update(yaml.safe_load(f.read_text())["set"])
    assert yaml.safe_load((SCENARIOS / "industrialization.yaml").read_text())["set"] == combined
    assert len(combined) == sum(len(yaml.safe_load(f.read_text())["set"]) for f in WHAT_IFS), \
        "what-ifs must not set the same parameter differently"


def test_what_ifs_change_only_from_their_start_dates():
    """Before any policy starts (2024), every what-if equals the baseline."""
    base = load_scenario(SCENARIOS / "baseline.yaml")
    for f in WHAT_IFS + [SCENARIOS / "industrialization.yaml"]:
        sc = load_scenario(f)
        for key, origin in sc.origin.items():
            if origin == str(f):
                assert sc.values[key].value_on("2024-06-30") == base.values[key].value_on("2024-06-30"), (f.name, key)
