"""Where a scenario's policies start (cgt_sim/policy.py), the marks of the report's charts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import cgt_sim
from cgt_sim.policy import departure, policy_starts

SCEN = Path(__file__).resolve().parents[1] / "scenarios"


def manifest(name: str, overrides=None) -> dict:
    sc = cgt_sim.load_scenario(SCEN / f"{name}.yaml", overrides)
    return {"scenario": sc.to_dict(), "start_year": sc.start_year, "horizon_year": sc.horizon_year}


def knots(*pairs) -> dict:
    return {"knots": [[d, v] for d, v in pairs]}


@pytest.mark.parametrize("value, reference, expected", [
    (knots(("1900-01-01", 60.0), ("2025-04-01", 60.0), ("2025-04-01", 30.0)), 60.0, dt.date(2025, 4, 1)),  # a step
    (knots(("2015-01-01", 0.1), ("2026-01-01", 0.1), ("2030-01-01", 0.3)), 0.1, dt.date(2026, 1, 1)),  # a ramp
    # a ramp that starts from an inherited step parts where the ramp begins, not at the step
    (knots(("2015-01-01", 0.0), ("2026-01-01", 0.0), ("2026-01-01", 0.05), ("2030-01-01", 0.15)),
     knots(("2015-01-01", 0.0), ("2026-01-01", 0.0), ("2026-01-01", 0.05)), dt.date(2026, 1, 1)),
    (knots(("2015-01-01", 1.0), ("2028-01-01", 1.0), ("2028-01-01", 2.0)),
     knots(("2015-01-01", 1.0), ("2028-01-01", 1.0), ("2028-01-01", 2.0)), None),  # the same path
    (30.0, 60.0, None),  # a plain value holds from the start: no date
    ("2016-06-01", "2017-12-01", dt.date(2016, 6, 1)),  # a date parameter moved
    (True, False, None),
])
def test_departure(value, reference, expected):
    assert departure(value, reference) == expected


def test_a_what_if_starts_where_its_file_says():
    faster = policy_starts(manifest("faster_approval"), manifest("baseline"))
    assert [(s.date, s.keys) for s in faster] == [
        (dt.date(2025, 4, 1), ("regulatory.ind_review_working_days",)),
        (dt.date(2026, 1, 1), ("regulatory.nda_standard_working_days",))]
    assert faster[0].year == pytest.approx(2025 + 90 / 365)
    # alone, its own file's dated values; the baseline alone has none of its own
    assert [s.date for s in policy_starts(manifest("faster_approval"))] == [dt.date(2025, 4, 1), dt.date(2026, 1, 1)]
    assert policy_starts(manifest("baseline")) == []
    reform = policy_starts(manifest("payment_reform"), manifest("baseline"))
    assert len(reform) == 1 and reform[0].date == dt.date(2026, 1, 1) and len(reform[0].keys) == 3
    assert reform[0].names() == "nrdl_listing_hazard, city_insurance_coverage +1"


def test_a_policy_after_the_horizon_or_set_for_the_whole_run_is_not_marked():
    late = manifest("baseline", {"regulatory.ind_review_working_days": {"value": 30, "from": "2050-01-01"}})
    assert policy_starts(late) == []
    plain = manifest("baseline", {"regulatory.ind_review_working_days": 30})
    assert policy_starts(plain) == [] and policy_starts(plain, manifest("baseline")) == []
    given = manifest("baseline", {"regulatory.ind_review_working_days": {"value": 30, "from": "2027-07-01"}})
    assert [s.date for s in policy_starts(given)] == [dt.date(2027, 7, 1)]  # --set counts as the scenario's own
    assert policy_starts({"scenario": []}) == []  # a damaged manifest marks nothing
