"""The accounts and the tables they become: exactly the columns outputs.py declares; and the
inputs each mechanism binds: exactly the parameters the catalogue declares."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cgt_sim
from cgt_sim.model.accounts import Accounts
from cgt_sim.model.program import Program, State
from cgt_sim.model.world import World, simulate
from cgt_sim.outputs import ANNUAL_METRICS, CATEGORIES, KEYS, PRODUCT_COLUMNS, PROGRAM_COLUMNS, annual_columns
from cgt_sim.parameters import CATALOGUE

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def short_tables():
    sc = cgt_sim.load_scenario(BASELINE, {"simulation.horizon_year": 2024})
    return simulate(sc, 0, 3)


def test_a_run_has_exactly_the_declared_columns(short_tables):
    assert list(short_tables["annual"]) == list(KEYS) + list(ANNUAL_METRICS) == list(KEYS) + annual_columns()
    assert tuple(short_tables["programs"]) == PROGRAM_COLUMNS
    assert tuple(short_tables["products"]) == PRODUCT_COLUMNS
    for table, columns in CATEGORIES.items():
        for column, categories in columns.items():
            assert list(short_tables[table][column].categories) == list(categories)


def test_every_declared_parameter_is_read_and_nothing_else():
    """A parameter the catalogue declares but no mechanism binds, or one a mechanism binds that
    the catalogue does not declare, is a mistake (the run settings are read by the scenario)."""
    world = World(cgt_sim.load_scenario(BASELINE), 0, 1)
    bound = world.params.bound
    assert bound <= set(CATALOGUE), sorted(bound - set(CATALOGUE))
    unread = {k for k in CATALOGUE if k not in bound and not k.startswith("simulation.")}
    assert not unread, sorted(unread)


def test_programs_move_between_states_and_the_snapshot_counts_them():
    acc = Accounts([0.0, 365.25, 730.5])
    a, b, c = (Program(i, "autologous_car_t", "beijing", 0, 1.0, [0.5] * 15, [0.0] * 5, [0.5] * 6)
               for i in range(3))
    for p in (a, b, c):
        acc.start(p, 10.0)
    acc.move(a, State.IIT)
    acc.fail(b, "preclinical", 100.0)
    acc.fail_on(c, 400.0)  # settled when counts are next read, at or after its day
    acc.close_year(0, 365.25)
    assert acc.snapshots[0, State.IIT] == 1 and acc.snapshots[0, State.FAILED] == 1
    assert acc.snapshots[0, State.PRECLINICAL] == 1  # c has not failed yet
    acc.approved(a, 500.0)
    acc.close_year(1, 730.5)
    assert acc.snapshots[1].tolist() == [0] * State.APPROVED + [1, 2, 0]
    assert (c.end_stage, c.end_day, a.approval_day) == ("preclinical", 400.0, 500.0)
    assert acc.flows["new_programs"] == [3.0, 0.0] and acc.flows["failed_science"] == [1.0, 1.0]
    assert acc.flows["new_approvals"] == [0.0, 1.0]
    assert int(acc.snapshots.sum(axis=1)[-1]) == 3 and np.all(acc.snapshots >= 0)


def test_a_run_has_the_declared_column_types(short_tables):
    from cgt_sim.outputs import COLUMN_TYPES
    from cgt_sim.runner import tables

    frames = tables([short_tables])
    for name in ("annual", "programs", "products"):
        assert list(COLUMN_TYPES[name]) == list(frames[name].columns), name
        assert {c: str(t) for c, t in frames[name].dtypes.items()} == COLUMN_TYPES[name], name
