"""Scenario files: loading, ``extends`` chains, dated values, uncertainty and every bad input.

Every bad input must raise ``cgt_sim.ScenarioError`` whose ``str()`` is one line naming the file
and the key.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cgt_sim
from cgt_sim import CATALOGUE, load_scenario
from cgt_sim.errors import CgtSimError, ScenarioError
from cgt_sim.scenario import Scenario, Uncertain, default_scenario
from cgt_sim.timeline import Schedule

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

IND = "regulatory.ind_review_working_days"
P_IND = "regulatory.p_ind_clear"
SUITES = "manufacturing.suites_2015.beijing"
NRDL = "market.nrdl_listing_hazard"
CLIMATE = "financing.capital_climate"
COGS_DECLINE = "manufacturing.cogs_annual_decline"


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(path, overrides=None) -> str:
    """Load ``path``; it must fail with a one-line ScenarioError. Returns the message."""
    with pytest.raises(CgtSimError) as info:
        load_scenario(path, overrides=overrides)
    message = str(info.value)
    assert message and "\n" not in message and "\r" not in message, message
    assert isinstance(info.value, ValueError)  # ScenarioError is a ValueError
    return message


def assert_names(message: str, path: Path, key: str | None):
    assert Path(path).name in message, message
    if key is not None:
        assert key in message, message


# --------------------------------------------------------------------------- good input

def test_baseline_loads_with_every_parameter_at_its_default_or_calibrated_value():
    sc = load_scenario(BASELINE)
    assert isinstance(sc, Scenario)
    assert sc.name == "baseline"
    assert sc.description  # folded text, stripped
    assert sc.files == [str(BASELINE)]
    assert set(sc.values) == set(CATALOGUE)
    fitted = BASELINE.parent.parent / "calibration" / "fitted.yaml"
    assert sc.calibrated and set(sc.calibrated.values()) == {os.path.normpath(BASELINE.parent / "../calibration/fitted.yaml")}
    assert Path(next(iter(sc.calibrated.values()))).resolve() == fitted.resolve()
    assert all(o == (sc.calibrated.get(k, "default")) for k, o in sc.origin.items())
    assert sc.uncertain == {}
    assert sc.start_year == 2015 and sc.horizon_year == 2045
    assert sc.value(IND) == 60.0
    assert isinstance(sc.value(SUITES), int) and sc.value(SUITES) == 30
    assert sc.value("financing.unconstrained") is False
    assert sc.value("regulatory.ind_pathway_open") == dt.date(2017, 12, 18)
    assert isinstance(sc.value(CLIMATE), Schedule)  # dated by default


def test_a_file_with_only_a_name_is_the_defaults(tmp_path):
    sc = load_scenario(write(tmp_path, "nothing.yaml", "name: nothing\n"))
    assert sc.name == "nothing"
    assert sc.values == default_scenario().values


@pytest.mark.parametrize("text", ["", "\n  \n", "# only a comment\n\n# and another\n", "---\n", "{}\n"])
def test_an_empty_file_is_rejected(tmp_path, text):
    path = tmp_path / "nothing.yaml"
    path.write_text(text, encoding="utf-8")
    assert error_of(path) == f"{path}: the file is empty; a scenario needs at least a name (or extends)"


def test_an_empty_parent_is_named(tmp_path):
    write(tmp_path, "empty.yaml", "# to do\n")
    message = error_of(write(tmp_path, "child.yaml", "extends: empty.yaml\n"))
    assert message.startswith(f"{tmp_path / 'empty.yaml'}: the file is empty"), message


@pytest.mark.parametrize("name", ["faster_approval", "run-2", "v1.2", "A_b-c.d", "x", "2030"])
def test_good_names(tmp_path, name):
    assert load_scenario(write(tmp_path, "s.yaml", f"name: '{name}'\n")).name == name


@pytest.mark.parametrize("stem", [".hidden", "..x", "my scen", "a$b;c"])
def test_a_file_name_that_cannot_name_a_result_folder_needs_a_name(tmp_path, stem):
    path = write(tmp_path, f"{stem}.yaml", "set: {}\n")
    message = error_of(path)
    assert message.startswith(f"{path}: name: "), message
    assert "add a name" in message, message
    assert load_scenario(write(tmp_path, f"{stem}.yaml", "name: ok\n")).name == "ok"


def test_duplicate_keys_are_rejected_in_every_file_read(tmp_path):
    # in a parent of the extends chain: the parent is named
    write(tmp_path, "base.yaml", f"name: base\nset:\n  {IND}: 30\n  {NRDL}: 0.1\n  {IND}: 40\n")
    message = error_of(write(tmp_path, "child.yaml", "extends: base.yaml\n"))
    assert message == (f"{tmp_path / 'base.yaml'}: set.{IND}: line 5, column 3: duplicate key (first on line 3); "
                       "each key may appear only once in a mapping"), message
    # in a calibrated (fitted) file
    write(tmp_path, "fitted.yaml", f"parameters:\n  {P_IND}: 0.8\n  {P_IND}: 0.9\n")
    message = error_of(write(tmp_path, "cal.yaml", "name: cal\ncalibrated: fitted.yaml\n"))
    assert message.startswith(f"{tmp_path / 'fitted.yaml'}: parameters.{P_IND}: line 3, column 3: duplicate key"), message


def test_same_key_in_different_mappings_and_yaml_merge_keys_are_fine(tmp_path):
    sc = load_scenario(write(tmp_path, "ok.yaml", f"""
        name: ok
        set:
          {IND}: &d {{value: 30, from: 2025-01-01}}
          research.preclinical_years: {{<<: *d, value: 3}}
          manufacturing:
            suites_2015:
              beijing: 10
          research:
            cluster_weight:
              beijing: 0.3
    """))
    assert sc.value(SUITES) == 10
    assert sc.value("research.preclinical_years").value_on("2025-06-01") == 3


def test_numbers_written_as_text_are_read_as_numbers(tmp_path):
    # YAML 1.1 reads 50e6 and 1.5e0 as text; an editor's YAML 1.2 reads them as numbers
    sc = load_scenario(write(tmp_path, "s.yaml", f"""
        set:
          financing.seed_cash_cny: 50e6
          clinical.patients.phase1: {{value: 2e1, from: 2020}}
        uncertain:
          {COGS_DECLINE}: {{dist: triangular, low: 0, mode: 2e-2, high: '0.08'}}
          manufacturing.suites_2015.jiangsu: {{dist: choice, values: [1e1, 20], weights: [1e0, 3]}}
    """))
    assert sc.value("financing.seed_cash_cny") == 50e6
    assert sc.value("clinical.patients.phase1").value_on("2020-01-01") == 20
    assert sc.uncertain[COGS_DECLINE].args == {"low": 0.0, "mode": 0.02, "high": 0.08}
    assert sc.uncertain["manufacturing.suites_2015.jiangsu"].args == {"values": [10.0, 20.0], "weights": [1.0, 3.0]}


def test_extends_chain_child_overrides_parent_and_origin_is_recorded(tmp_path):
    base = write(tmp_path, "base.yaml", f"""
        name: base
        description: the base
        source: A004
        set:
          {IND}: 45
          {SUITES}: 10
          {P_IND}: 0.8
    """)
    mid = write(tmp_path, "mid.yaml", f"""
        name: mid
        extends: base.yaml
        source: A002
        notes: a free-text note
        set:
          {SUITES}: 12
    """)
    assert load_scenario(mid).source == "A002" and load_scenario(mid).to_dict()["source"] == "A002"
    listed = write(tmp_path, "listed.yaml", "extends: base.yaml\nsource: [A004, NMPA_IND]\n")
    assert load_scenario(listed).source == "A004, NMPA_IND"
    child = write(tmp_path, "sub/child.yaml", f"""
        extends: ../mid          # relative to this file; .yaml added
        set:
          {P_IND}: 0.7
    """)
    sc = load_scenario(child)
    assert sc.name == "child"  # defaults to the file name, not inherited
    assert sc.description == sc.source == ""  # like the name, these describe one file
    assert sc.value(IND) == 45.0  # from base
    assert sc.value(SUITES) == 12  # mid overrides base
    assert sc.value(P_IND) == 0.7  # child overrides base
    assert Path(sc.origin[IND]).resolve() == base.resolve()
    assert Path(sc.origin[SUITES]).resolve() == mid.resolve()
    assert Path(sc.origin[P_IND]).resolve() == child.resolve()
    assert sc.origin[NRDL] == "default"
    assert [Path(f).resolve() for f in sc.files] == [base.resolve(), mid.resolve(), child.resolve()]
    d = sc.to_dict()
    assert set(d["origin"]) == {IND, SUITES, P_IND}
    assert d["files"] == sc.files


def test_extends_baseline_from_another_folder(tmp_path):
    child = write(tmp_path, "child.yaml", f"""
        extends: {BASELINE}
        set: {{{IND}: 30}}
    """)
    sc = load_scenario(child)
    assert sc.value(IND) == 30.0
    assert sc.files == [str(BASELINE), str(child)]


def test_nested_mapping_form_of_set(tmp_path):
    path = write(tmp_path, "nested.yaml", """
        set:
          regulatory:
            ind_review_working_days: 30
            p_ind_clear: 0.95
          manufacturing:
            suites_2015:
              jiangsu: 40
          financing.unconstrained: true
    """)
    sc = load_scenario(path)
    assert sc.value(IND) == 30.0
    assert sc.value(P_IND) == 0.95
    assert sc.value("manufacturing.suites_2015.jiangsu") == 40
    assert sc.value("financing.unconstrained") is True
    assert sc.origin[IND] == str(path)
    # the nested form with a dated value
    path2 = write(tmp_path, "nested2.yaml", """
        set:
          regulatory:
            ind_review_working_days: {value: 30, from: 2025-04-01}
    """)
    s = load_scenario(path2).value(IND)
    assert s.value_on("2025-03-31") == 60.0 and s.value_on("2025-04-01") == 30.0


def test_step_schedule(tmp_path):
    path = write(tmp_path, "step.yaml", f"""
        set:
          {IND}: {{value: 30, from: 2025-04-01}}
    """)
    sched = load_scenario(path).value(IND)
    assert isinstance(sched, Schedule) and not sched.is_constant
    assert sched.value_on("2015-01-01") == 60.0
    assert sched.value_on("2025-03-31") == 60.0
    assert sched.value_on("2025-04-01") == 30.0
    assert sched.value_on(dt.date(2040, 1, 1)) == 30.0


def test_ramp_schedule(tmp_path):
    path = write(tmp_path, "ramp.yaml", f"""
        set:
          {NRDL}: {{value: 0.3, from: 2026-01-01, to: 2028-01-01}}
    """)
    sched = load_scenario(path).value(NRDL)
    assert sched.value_on("2025-12-31") == 0.0
    assert sched.value_on("2026-01-01") == 0.0
    mid = dt.date(2026, 1, 1) + (dt.date(2028, 1, 1) - dt.date(2026, 1, 1)) / 2
    assert sched.value_on(mid) == pytest.approx(0.15)
    assert sched.value_on("2027-01-01") == pytest.approx(0.3 * 365 / 730)
    assert sched.value_on("2028-01-01") == pytest.approx(0.3)
    assert sched.value_on("2035-06-01") == pytest.approx(0.3)


def test_steps_form(tmp_path):
    path = write(tmp_path, "steps.yaml", f"""
        set:
          {CLIMATE}: {{steps: {{2028-01-01: 1.0, 2026-01-01: 1.2}}}}   # order does not matter
    """)
    sched = load_scenario(path).value(CLIMATE)
    assert sched.value_on("2019-06-01") == 0.64  # the dated default before the first step is kept
    assert sched.value_on("2025-06-01") == 1.0
    assert sched.value_on("2026-01-01") == 1.2
    assert sched.value_on("2027-12-31") == 1.2
    assert sched.value_on("2028-01-01") == 1.0
    assert sched.value_on("2040-01-01") == 1.0


def test_list_of_dated_changes(tmp_path):
    path = write(tmp_path, "list.yaml", f"""
        set:
          {IND}:
            - {{value: 45, from: 2020}}
            - {{value: 30, from: 2025-01-01, to: 2026-01-01}}
    """)
    sched = load_scenario(path).value(IND)
    assert sched.value_on("2019-12-31") == 60.0
    assert sched.value_on("2020-01-01") == 45.0
    assert sched.value_on("2025-01-01") == 45.0
    assert 30.0 < sched.value_on("2025-07-01") < 45.0
    assert sched.value_on("2026-01-01") == 30.0


def test_plain_value_in_mapping_form_and_value_without_from(tmp_path):
    path = write(tmp_path, "v.yaml", f"""
        set:
          {IND}: {{value: 25}}
    """)
    assert load_scenario(path).value(IND) == 25.0


def test_overrides(tmp_path):
    sc = load_scenario(BASELINE, overrides={IND: 30, SUITES: 5, NRDL: {"value": 0.2, "from": "2026-01-01"}})
    assert sc.value(IND) == 30.0
    assert sc.value(SUITES) == 5
    assert sc.value(NRDL).value_on("2027-01-01") == 0.2
    assert sc.origin[IND] == "--set"
    base = load_scenario(BASELINE)
    assert base.value(IND) == 60.0
    # with_overrides returns a copy
    other = base.with_overrides({IND: 10})
    assert other.value(IND) == 10.0 and base.value(IND) == 60.0 and base.origin[IND] == "default"


def test_override_errors_name_set_and_the_key():
    msg = error_of(BASELINE, overrides={P_IND: 1.3})
    assert msg.startswith("overrides: ") and P_IND in msg and "1.3" in msg
    msg = error_of(BASELINE, overrides={"regulatory.ind_review_workingdays": 30})
    assert "did you mean regulatory.ind_review_working_days" in msg


def test_to_dict_is_json_serialisable(tmp_path):
    path = write(tmp_path, "all.yaml", f"""
        name: everything
        description: a bit of everything
        set:
          {IND}: {{value: 30, from: 2025-04-01}}
          {NRDL}: {{value: 0.3, from: 2026-01-01, to: 2028-01-01}}
          {SUITES}: 40
          financing.unconstrained: true
          regulatory.ind_pathway_open: 2016-06-01
        uncertain:
          {COGS_DECLINE}: {{dist: triangular, low: 0.0, mode: 0.02, high: 0.08}}
          {P_IND}: {{dist: choice, values: [0.8, 0.9], weights: [1, 3]}}
    """)
    d = load_scenario(path).to_dict()
    back = json.loads(json.dumps(d))  # no default= needed
    assert back == d
    assert back["name"] == "everything"
    params = back["parameters"]
    assert set(params) == set(CATALOGUE)
    assert params[SUITES] == 40 and isinstance(params[SUITES], int)
    assert params["financing.unconstrained"] is True
    assert params["regulatory.ind_pathway_open"] == "2016-06-01"
    assert params[IND]["knots"][-2:] == [["2025-04-01", 60.0], ["2025-04-01", 30.0]]
    assert params[NRDL]["knots"][-2:] == [["2026-01-01", 0.0], ["2028-01-01", 0.3]]
    # the knots rebuild the same schedule
    sc = load_scenario(path)
    for key in (IND, NRDL, CLIMATE):
        knots = params[key]["knots"]
        rebuilt = Schedule(tuple((dt.date.fromisoformat(d), v) for d, v in knots))
        assert rebuilt == sc.values[key]
    assert back["uncertain"][COGS_DECLINE] == {"dist": "triangular", "low": 0.0, "mode": 0.02, "high": 0.08}
    assert Path(back["origin"][IND]).name == "all.yaml"
    base = load_scenario(BASELINE)
    assert json.loads(json.dumps(base.to_dict()))["origin"] == base.calibrated  # only the fitted values


def test_uncertain_parsing_and_sampling(tmp_path):
    path = write(tmp_path, "unc.yaml", f"""
        uncertain:
          {COGS_DECLINE}: {{dist: triangular, low: 0.0, mode: 0.02, high: 0.08}}
          research.arrival_scale: {{dist: uniform, low: 0.8, high: 1.2}}
          research.preclinical_years: {{dist: lognormal, median: 2.5, sigma: 0.3, low: 1, high: 4}}
          financing.round_success: {{dist: normal, mean: 0.55, sd: 0.1, low: 0.3, high: 0.8}}
          manufacturing.learning_rate: {{dist: lognormal, median: 0.15, sigma: 0.3, high: 0.3}}
          {SUITES}: {{dist: choice, values: [10, 20, 30]}}
          manufacturing:
            suites_2015:
              jiangsu: {{dist: uniform, low: 30, high: 40}}
    """)
    sc = load_scenario(path)
    assert set(sc.uncertain) == {COGS_DECLINE, "research.arrival_scale", "research.preclinical_years",
                                 "financing.round_success", SUITES, "manufacturing.suites_2015.jiangsu",
                                 "manufacturing.learning_rate"}  # a lognormal needs no low when the range starts at 0
    assert sc.uncertain[COGS_DECLINE].bounds() == (0.0, 0.08)
    assert sc.uncertain[SUITES].bounds() == (10.0, 30.0)
    assert sc.uncertain["research.preclinical_years"].bounds()[1] == 4.0
    rng = np.random.default_rng(1)
    for _ in range(200):
        for key, u in sc.uncertain.items():
            lo, hi = u.bounds()
            x = u.sample(rng)
            assert isinstance(x, float)
            assert lo <= x <= hi, (key, x)
    assert sc.uncertain[SUITES].sample(rng) in (10.0, 20.0, 30.0)


def test_uncertain_declared_from_python_is_a_files_uncertain_block(tmp_path):
    block = {COGS_DECLINE: {"dist": "triangular", "low": 0.0, "mode": 0.02, "high": 0.08},
             "manufacturing": {"suites_2015": {"jiangsu": {"dist": "uniform", "low": 30, "high": 40}}}}
    path = write(tmp_path, "unc.yaml", f"""
        extends: {BASELINE}
        uncertain:
          {COGS_DECLINE}: {{dist: triangular, low: 0.0, mode: 0.02, high: 0.08}}
          manufacturing.suites_2015.jiangsu: {{dist: uniform, low: 30, high: 40}}
    """)
    from_file = load_scenario(path)
    from_python = load_scenario(BASELINE, uncertain=block)
    assert from_python.uncertain == from_file.uncertain
    assert load_scenario(BASELINE).with_uncertain(block).uncertain == from_file.uncertain
    assert load_scenario(BASELINE).uncertain == {}  # a copy: the loaded scenario is unchanged
    res = cgt_sim.run(from_python, replications=2, seed=3, workers=1, until=2016)
    assert list(res.sampled.columns) == ["replication", COGS_DECLINE, "manufacturing.suites_2015.jiangsu"]


@pytest.mark.parametrize("overrides, uncertain, message", [
    (None, {COGS_DECLINE: {"dist": "uniform", "low": 0, "high": 5}},
     f"uncertain: {COGS_DECLINE}.high: must be between"),
    (None, {"market.bogus": {"dist": "uniform", "low": 0, "high": 1}}, "uncertain: market.bogus: unknown parameter"),
    (None, [COGS_DECLINE], "uncertain: must be a mapping of parameter keys to distributions"),
    (None, {COGS_DECLINE: {"dist": "uniform", "low": 0, "hi": 0.1}},
     f"uncertain: {COGS_DECLINE}.hi: not a parameter of uniform; allowed: high, low (did you mean high?)"),
    ({COGS_DECLINE: 0.05}, {COGS_DECLINE: {"dist": "uniform", "low": 0, "high": 0.1}},
     f"uncertain: {COGS_DECLINE}: is also in overrides: give a value or a distribution, not both"),
    ({COGS_DECLINE: {"value": 0.05, "from": "2027-01-01"}}, {COGS_DECLINE: {"dist": "uniform", "low": 0, "high": 0.1}},
     f"uncertain: {COGS_DECLINE}: is also in overrides"),
])
def test_uncertain_from_python_is_checked_like_a_file(overrides, uncertain, message):
    with pytest.raises(CgtSimError) as info:
        load_scenario(BASELINE, overrides=overrides, uncertain=uncertain)
    assert str(info.value).startswith(message), str(info.value)


def test_uncertain_samples_stay_in_the_parameter_range():
    # a normal without bounds must not produce a probability outside [0, 1]
    u = Uncertain(P_IND, "normal", {"mean": 0.9, "sd": 2.0})
    rng = np.random.default_rng(0)
    xs = [u.sample(rng) for _ in range(500)]
    assert min(xs) >= 0.0 and max(xs) <= 1.0
    assert 0.0 < np.mean(xs) < 1.0


def test_a_whole_number_parameter_draws_whole_numbers():
    u = Uncertain(SUITES, "uniform", {"low": 10.0, "high": 40.0})
    rng = np.random.default_rng(0)
    xs = [u.sample(rng) for _ in range(200)]
    assert all(x == int(x) and 10 <= x <= 40 for x in xs)
    assert len(set(xs)) > 20


# --------------------------------------------------------------------------- bad input

BAD_DOCUMENTS = {
    # name: (yaml text, key expected in the message or None, other fragments)
    "not_a_mapping_list": ("- a\n- b\n", None, ["must be a mapping"]),
    "not_a_mapping_scalar": ("just some text\n", None, ["must be a mapping"]),
    "not_a_mapping_number": ("42\n", None, ["must be a mapping"]),
    "unknown_top_level": ("sett: {}\n", "sett", ["unknown key", "did you mean set?"]),
    "unknown_top_level_far": ("zzz_unrelated: 1\n", "zzz_unrelated", ["unknown key"]),
    "set_not_mapping": ("set: [1, 2]\n", "set", ["mapping"]),
    "uncertain_not_mapping": ("uncertain: 3\n", "uncertain", ["mapping"]),
    "extends_not_text": ("extends: 5\n", "extends", ["file name"]),
    "name_not_text": ("name: [a]\n", "name", ["text"]),
    "name_empty": ('name: ""\n', "name", ["must not be empty"]),
    "name_blank": ("name: '  '\n", "name", ["letters, digits"]),
    "name_escapes_results": ("name: ../../escaped\n", "name", ["'../../escaped'", "letters, digits, _, - and ."]),
    "name_absolute": ("name: /tmp/x\n", "name", ["letters, digits"]),
    "name_backslash": ("name: 'a\\b'\n", "name", ["letters, digits"]),
    "name_dotdot": ("name: ..\n", "name", ["letters, digits"]),
    "name_dotdot_inside": ("name: a..b\n", "name", ["'..'"]),
    "name_leading_dot": ("name: .hidden\n", "name", ["must not start with '.'"]),
    "name_with_space": ("name: my run\n", "name", ["letters, digits"]),
    "duplicate_set_key": (f"name: d\nset:\n  {P_IND}: 0.5\n  {P_IND}: 0.6\n", f"set.{P_IND}",
                          ["line 4, column 3: duplicate key (first on line 3)"]),
    "duplicate_top_level_key": ("name: a\nname: b\n", "name", ["line 2, column 1: duplicate key (first on line 1)"]),
    "duplicate_nested_key": ("name: d\nset:\n  manufacturing:\n    suites_2015:\n      jiangsu: 3\n"
                             "      jiangsu: 4\n", "set.manufacturing.suites_2015.jiangsu",
                             ["line 6", "duplicate key (first on line 5)"]),
    "duplicate_in_flow_mapping": (f"name: d\nuncertain:\n  {P_IND}: {{dist: uniform, low: 0.1, low: 0.2, high: 0.9}}\n",
                                  f"uncertain.{P_IND}.low", ["line 3", "duplicate key"]),
    "duplicate_date_in_steps": (f"name: d\nset:\n  {CLIMATE}: {{steps: {{2026-01-01: 1.2, 2026-01-01: 1.0}}}}\n",
                                f"set.{CLIMATE}.steps.2026-01-01", ["line 3", "duplicate key"]),
    "description_not_text": ("description: {a: 1}\n", "description", ["text"]),
    "source_not_text": ("source: {A001: 1}\n", "source", ["text or a list of source keys"]),
    "steps_with_value": (f"set:\n  {P_IND}: {{steps: {{2026: 0.5}}, value: 0.1}}\n", f"set.{P_IND}",
                         ["steps stands alone: value cannot go with it"]),
    "notes_not_text": ("notes: {a: 1}\n", "notes", ["text"]),
    "unknown_parameter_near_miss": ("set:\n  regulatory.ind_review_workingdays: 30\n",
                                    "set.regulatory.ind_review_workingdays",
                                    ["unknown parameter", "did you mean regulatory.ind_review_working_days?"]),
    "unknown_parameter_far": ("set:\n  foo.bar: 1\n", "set.foo.bar", ["unknown parameter"]),
    "unknown_parameter_nested": ("set:\n  regulatory:\n    ind_review_workin_days: 30\n",
                                 "set.regulatory.ind_review_workin_days",
                                 ["did you mean regulatory.ind_review_working_days?"]),
    "unknown_section_scalar": ("set:\n  regulatory: 5\n", "set.regulatory", ["unknown parameter"]),
    "string_for_number": (f"set:\n  {IND}: fast\n", f"set.{IND}", ["must be a number", "'fast'"]),
    "bool_for_number": (f"set:\n  {IND}: true\n", f"set.{IND}", ["must be a number"]),
    "date_for_number": (f"set:\n  {IND}: 2025-01-01\n", f"set.{IND}", ["must be a number"]),
    "list_item_string_for_number": (f"set:\n  {IND}: [{{value: x, from: 2025}}]\n",
                                    f"set.{IND}[0].value", ["must be a number"]),
    "number_for_bool": ("set:\n  financing.unconstrained: 1\n", "set.financing.unconstrained",
                        ["true or false", "got 1"]),
    "string_for_bool": ("set:\n  financing.unconstrained: 'yes'\n", "set.financing.unconstrained",
                        ["true or false"]),
    "bad_date": ("set:\n  regulatory.ind_pathway_open: someday\n", "set.regulatory.ind_pathway_open",
                 ["date"]),
    "dated_bool": ("set:\n  financing.unconstrained: {value: true, from: 2025}\n",
                   "set.financing.unconstrained", ["cannot change over time"]),
    "probability_1_3": (f"set:\n  {P_IND}: 1.3\n", f"set.{P_IND}", ["must be between 0 and 1 (got 1.3)"]),
    "probability_negative": (f"set:\n  {P_IND}: -0.1\n", f"set.{P_IND}", ["between 0 and 1"]),
    "nan": (f"set:\n  {P_IND}: .nan\n", f"set.{P_IND}", ["between 0 and 1"]),
    "infinity": (f"set:\n  {IND}: .inf\n", f"set.{IND}", ["between 1 and 400"]),
    "negative_suites": (f"set:\n  {SUITES}: -1\n", f"set.{SUITES}", ["must be between 1 and 100000 (got -1)"]),
    "zero_suites": (f"set:\n  {SUITES}: 0\n", f"set.{SUITES}", ["must be between 1 and 100000 (got 0)"]),
    "zero_suites_dated": (f"set:\n  {SUITES}: {{value: 0, from: 2020}}\n", f"set.{SUITES}",
                          ["cannot change over time"]),
    "non_integer_int": (f"set:\n  {SUITES}: 2.5\n", f"set.{SUITES}", ["whole number", "2.5"]),
    "non_integer_int_dated": ("set:\n  clinical.patients.phase1: {value: 2.5, from: 2020}\n",
                              "set.clinical.patients.phase1.value",
                              ["whole number"]),
    "out_of_range_in_ramp": (f"set:\n  {P_IND}: {{value: 2, from: 2025, to: 2026}}\n",
                             f"set.{P_IND}.value", ["between 0 and 1"]),
    "dated_unknown_key": (f"set:\n  {IND}: {{value: 30, form: 2025-04-01}}\n", f"set.{IND}.form",
                          ["unknown key in a dated value"]),
    "dated_missing_value": (f"set:\n  {IND}: {{from: 2025-04-01}}\n", f"set.{IND}", ["needs 'value'"]),
    "dated_to_without_from": (f"set:\n  {IND}: {{value: 30, to: 2025-04-01}}\n", f"set.{IND}",
                              ["needs 'from'"]),
    "ramp_to_before_from": (f"set:\n  {NRDL}: {{value: 0.3, from: 2028-01-01, to: 2026-01-01}}\n",
                            f"set.{NRDL}", ["must be after 'from'"]),
    "ramp_to_equals_from": (f"set:\n  {NRDL}: {{value: 0.3, from: 2026-01-01, to: 2026-01-01}}\n",
                            f"set.{NRDL}", ["must be after 'from'"]),
    "dated_bad_from": (f"set:\n  {IND}: {{value: 30, from: soon}}\n", f"set.{IND}", ["date"]),
    "list_empty": (f"set:\n  {P_IND}: []\n", f"set.{P_IND}", ["empty list changes nothing"]),
    "list_plain_value_later": (f"set:\n  {P_IND}: [0.5, 0.6]\n", f"set.{P_IND}[1]", ["would replace every change"]),
    "dated_impossible_from": (f"set:\n  {IND}: {{value: 30, from: 2025-13-01}}\n", f"set.{IND}",
                              ["expected a date", "2025-13-01"]),
    "steps_not_mapping": (f"set:\n  {CLIMATE}: {{steps: [1, 2]}}\n", f"set.{CLIMATE}", ["steps"]),
    "steps_empty": (f"set:\n  {CLIMATE}: {{steps: {{}}}}\n", f"set.{CLIMATE}", ["steps"]),
    "steps_with_value_and_date": (f"set:\n  {CLIMATE}: {{steps: {{2026-01-01: 1.2}}, value: 1}}\n", f"set.{CLIMATE}",
                         ["steps"]),
    "steps_bad_date": (f"set:\n  {CLIMATE}: {{steps: {{later: 1.2}}}}\n", f"set.{CLIMATE}.steps", ["date"]),
    "steps_out_of_range": (f"set:\n  {CLIMATE}: {{steps: {{2026-01-01: 11}}}}\n", f"set.{CLIMATE}.steps.",
                           ["between 0 and 10"]),
    "uncertain_unknown_dist": (f"uncertain:\n  {COGS_DECLINE}: {{dist: gamma, low: 0, high: 1}}\n",
                               f"uncertain.{COGS_DECLINE}.dist", ["unknown distribution 'gamma'"]),
    "uncertain_missing_dist": (f"uncertain:\n  {COGS_DECLINE}: {{low: 0, high: 0.1}}\n",
                               f"uncertain.{COGS_DECLINE}", ["'dist'"]),
    "uncertain_missing_args": (f"uncertain:\n  {COGS_DECLINE}: {{dist: triangular, low: 0, high: 0.1}}\n",
                               f"uncertain.{COGS_DECLINE}", ["missing mode"]),
    "uncertain_missing_args_normal": (f"uncertain:\n  {COGS_DECLINE}: {{dist: normal, mean: 0.02}}\n",
                                      f"uncertain.{COGS_DECLINE}", ["missing sd"]),
    "uncertain_extra_arg": (f"uncertain:\n  {COGS_DECLINE}: {{dist: uniform, low: 0, high: 0.1, mode: 0.05}}\n",
                            f"uncertain.{COGS_DECLINE}.mode", ["not a parameter of uniform"]),
    "uncertain_low_gt_high": (f"uncertain:\n  {COGS_DECLINE}: {{dist: uniform, low: 0.1, high: 0.0}}\n",
                              f"uncertain.{COGS_DECLINE}", ["low <= high"]),
    "uncertain_mode_outside": (f"uncertain:\n  {COGS_DECLINE}: {{dist: triangular, low: 0, mode: 0.2, "
                               "high: 0.1}\n", f"uncertain.{COGS_DECLINE}", ["low <= mode <= high"]),
    "uncertain_out_of_range_high": (f"uncertain:\n  {P_IND}: {{dist: uniform, low: 0.5, high: 1.3}}\n",
                                    f"uncertain.{P_IND}.high", ["between 0 and 1 (got 1.3)"]),
    "uncertain_out_of_range_low": (f"uncertain:\n  {SUITES}: {{dist: uniform, low: -5, high: 10}}\n",
                                   f"uncertain.{SUITES}.low", ["between 1 and 100000"]),
    "uncertain_normal_can_leave_range": ("uncertain:\n  manufacturing.suites_2015.jiangsu: {dist: normal, mean: 3, sd: 5}\n",
                                         "uncertain.manufacturing.suites_2015.jiangsu",
                                         ["must stay between 1 and 100000", "normal", "give low and high",
                                          "uniform", "triangular"]),
    "uncertain_normal_one_sided": (f"uncertain:\n  {P_IND}: {{dist: normal, mean: 0.9, sd: 0.1, high: 1}}\n",
                                   f"uncertain.{P_IND}", ["must stay between 0 and 1", "give low "]),
    "uncertain_lognormal_unbounded_above": (f"uncertain:\n  {P_IND}: {{dist: lognormal, median: 0.5, sigma: 0.2}}\n",
                                            f"uncertain.{P_IND}", ["must stay between 0 and 1", "give high "]),
    "uncertain_lognormal_below_a_positive_low": (f"uncertain:\n  {IND}: {{dist: lognormal, median: 60, sigma: 0.3, "
                                                 "high: 100}\n", f"uncertain.{IND}",
                                                 ["must stay between 1 and 400", "give low "]),
    "uncertain_normal_low_above_high": (f"uncertain:\n  {P_IND}: {{dist: normal, mean: 0.5, sd: 0.1, low: 0.8, "
                                        "high: 0.2}\n", f"uncertain.{P_IND}", ["low <= high"]),
    "uncertain_normal_bound_out_of_range": (f"uncertain:\n  {P_IND}: {{dist: normal, mean: 0.9, sd: 0.1, "
                                            "high: 1.5}\n", f"uncertain.{P_IND}.high", ["between 0 and 1"]),
    "uncertain_negative_sd": (f"uncertain:\n  {P_IND}: {{dist: normal, mean: 0.9, sd: -0.1}}\n",
                              f"uncertain.{P_IND}.sd", [">= 0"]),
    "uncertain_bad_lognormal": (f"uncertain:\n  {IND}: {{dist: lognormal, median: 0, sigma: 0.2}}\n",
                                f"uncertain.{IND}", ["median > 0"]),
    "set_and_uncertain": (f"set:\n  {P_IND}: 0.8\nuncertain:\n  {P_IND}: {{dist: uniform, low: 0.7, high: 0.9}}\n",
                          f"uncertain.{P_IND}", ["also in this file's set"]),
    "uncertain_normal_mean_outside": (f"uncertain:\n  {P_IND}: {{dist: normal, mean: 2, sd: 0.1, low: 0, high: 1}}\n",
                                      f"uncertain.{P_IND}.mean", ["between 0 and 1", "(got 2)"]),
    "uncertain_normal_mean_outside_cut": (f"uncertain:\n  {P_IND}: {{dist: normal, mean: 0.9, sd: 0.1, low: 0, high: 0.5}}\n",
                                          f"uncertain.{P_IND}.mean", ["between low and high"]),
    "start_state_dated": ("set:\n  manufacturing.suites_2015.jiangsu: {value: 1, from: 2016}\n",
                          "set.manufacturing.suites_2015.jiangsu", ["cannot change over time"]),
    "uncertain_dated_parameter": ("uncertain:\n  research.arrival_growth: {dist: uniform, low: 0.1, high: 0.2}\n",
                                  "uncertain.research.arrival_growth", ["has dated values here", "2030-01-01"]),
    "uncertain_run_setting": ("uncertain:\n  simulation.horizon_year: {dist: uniform, low: 2016, high: 2020}\n",
                              "uncertain.simulation.horizon_year", ["fixed for the whole run"]),
    "uncertain_non_number_arg": (f"uncertain:\n  {COGS_DECLINE}: {{dist: uniform, low: a, high: 0.1}}\n",
                                 f"uncertain.{COGS_DECLINE}.low", ["must be a finite number", "'a'"]),
    "uncertain_infinite_arg": (f"uncertain:\n  {P_IND}: {{dist: normal, mean: 0.5, sd: .inf, low: 0, high: 1}}\n",
                               f"uncertain.{P_IND}.sd", ["must be a finite number"]),
    "uncertain_choice_empty": (f"uncertain:\n  {P_IND}: {{dist: choice, values: []}}\n",
                               f"uncertain.{P_IND}.values", ["non-empty list"]),
    "uncertain_choice_out_of_range": (f"uncertain:\n  {P_IND}: {{dist: choice, values: [0.5, 1.3]}}\n",
                                      f"uncertain.{P_IND}.values", ["between 0 and 1"]),
    "uncertain_choice_bad_weights": (f"uncertain:\n  {P_IND}: {{dist: choice, values: [0.5, 0.6], "
                                     "weights: [1]}\n", f"uncertain.{P_IND}.weights", ["one per value"]),
    "uncertain_bool_parameter": ("uncertain:\n  financing.unconstrained: {dist: choice, values: [0, 1]}\n",
                                 "uncertain.financing.unconstrained", ["only numeric"]),
    "uncertain_unknown_parameter": ("uncertain:\n  regulatory.p_ind_cleer: {dist: uniform, low: 0, high: 1}\n",
                                    "uncertain.regulatory.p_ind_cleer",
                                    ["unknown parameter", "did you mean regulatory.p_ind_clear?"]),
    "horizon_before_start": ("set:\n  simulation.horizon_year: 2010\n", "simulation.horizon_year",
                             ["must be between 2015 and 2200", "2010"]),
    "start_not_2015": ("set:\n  simulation.start_year: 2020\n", "simulation.start_year",
                       ["must be 2015 (the only value)", "2020"]),
    "all_cluster_weights_zero": ("set:\n  research.cluster_weight:\n    beijing: 0\n    jiangsu: 0\n"
                                 "    shanghai: 0\n    guangdong: 0\n    rest_of_china: 0\n",
                                 "research.cluster_weight", ["> 0"]),
    # numbers and dates no float or calendar can hold
    "integer_too_large_for_a_float": ("set:\n  research.arrival_scale: 1" + "0" * 400 + "\n",
                                      "set.research.arrival_scale", ["must be between 0 and 100", "got inf"]),
    "uncertain_bound_too_large": ("uncertain:\n  research.arrival_scale: {dist: uniform, low: 1, high: 1"
                                  + "0" * 400 + "}\n", "uncertain.research.arrival_scale.high",
                                  ["must be a finite number"]),
    "digits_of_another_script": ('set:\n  research.arrival_scale: "２"\n', "set.research.arrival_scale",
                                 ["must be a number"]),
    "underscored_number_text": ('set:\n  research.arrival_scale: "1_0"\n', "set.research.arrival_scale",
                                ["must be a number"]),
    "date_infinite": ("set:\n  research.arrival_scale: {value: 2, from: .inf}\n", "set.research.arrival_scale",
                      ["expected a date such as 2026-01-01 or a year from 1900 to 2200, got inf"]),
    "date_nan": ("set:\n  research.arrival_scale: {value: 2, from: .nan}\n", "set.research.arrival_scale",
                 ["expected a date such as 2026-01-01 or a year from 1900 to 2200, got nan"]),
    "steps_same_day_twice": ("set:\n  financing.capital_climate: {steps: {2026-01-01: 1.3, 2026: 1.2}}\n",
                             "set.financing.capital_climate.steps",
                             ["2026 and 2026-01-01 are the same day", "one value a day"]),
    "lognormal_sigma_huge": ("uncertain:\n  research.arrival_scale: {dist: lognormal, median: 1, sigma: 1000, "
                             "high: 100}\n", "uncertain.research.arrival_scale.sigma", ["must be at most 20"]),
    "choice_weights_overflow": ("uncertain:\n  research.arrival_scale: {dist: choice, values: [1, 2], "
                                "weights: [1.0e+308, 1.0e+308]}\n", "uncertain.research.arrival_scale.weights",
                                ["finite sum"]),
    "dated_value_changing_nothing": ("set:\n  market.commercial_list_coverage: {value: 0.05, from: 2027-01-01}\n",
                                     "set.market.commercial_list_coverage",
                                     ["changes nothing: the value on 2027-01-01 is already 0.05 (since 2026-01-01)",
                                      "give the whole path as a list, e.g. [0, {value: 0.05, from: 2027-01-01}]"]),
    "dated_value_already_in_force": ("set:\n  regulatory.ind_review_working_days: {value: 60, from: 2028-01-01}\n",
                                     "set.regulatory.ind_review_working_days",
                                     ["changes nothing: the value on 2028-01-01 is already 60, as it has been from "
                                      "the start"]),
    "distribution_not_a_name": ("uncertain:\n  research.arrival_scale: {dist: [uniform], low: 1, high: 2}\n",
                                "uncertain.research.arrival_scale.dist", ["unknown distribution"]),
}


@pytest.mark.parametrize("case", sorted(BAD_DOCUMENTS))
def test_bad_document(tmp_path, case):
    text, key, fragments = BAD_DOCUMENTS[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    message = error_of(path)
    assert message.startswith(f"{path}: "), message
    assert_names(message, path, key)
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize("text, line, column", [
    ("set:\n  a: [1, 2\n  b: 3\n", 3, 4),
    ("name: x\nset:\n\tfoo: 1\n", 3, 1),
    ("a: b: c\n", 1, 5),
    ("set: {a: 1\n", 2, 1),
    ("name: 'unterminated\n", None, None),
])
def test_malformed_yaml_reports_line_and_column(tmp_path, text, line, column):
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    message = error_of(path)
    assert message.startswith(f"{path}: "), message
    assert "malformed YAML" in message
    if line is None:
        assert "line " in message and "column " in message
    else:
        assert f"line {line}, column {column}:" in message, message


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    message = error_of(path)
    assert str(path) in message and "UTF-8" in message


def test_directory_instead_of_file(tmp_path):
    path = tmp_path / "dir.yaml"
    path.mkdir()
    message = error_of(path)
    assert str(path) in message


def test_missing_file():
    message = error_of(Path("no/such/scenario.yaml"))
    assert "scenario.yaml" in message and "file not found" in message


def test_missing_extends_names_the_child_and_the_key(tmp_path):
    child = write(tmp_path, "child.yaml", "extends: nothere.yaml\n")
    message = error_of(child)
    assert_names(message, child, "extends")
    assert message.startswith(f"{child.resolve()}: extends: file not found: "), message
    assert "file not found" in message and "nothere.yaml" in message


def test_missing_extends_deeper_in_the_chain(tmp_path):
    write(tmp_path, "mid.yaml", "extends: gone\n")
    child = write(tmp_path, "child.yaml", "extends: mid.yaml\n")
    message = error_of(child)
    assert "mid.yaml: extends: file not found" in message and "gone.yaml" in message


def test_self_extends_is_a_cycle(tmp_path):
    a = write(tmp_path, "a.yaml", "extends: a.yaml\n")
    message = error_of(a)
    assert_names(message, a, "extends")
    assert "cyclic extends (a.yaml -> a.yaml)" in message


def test_two_file_cycle(tmp_path):
    a = write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: ./a\n")
    message = error_of(a)
    assert "extends" in message
    assert "b.yaml: extends: cyclic extends (a.yaml -> b.yaml -> a.yaml)" in message


def test_extends_errors_name_files_as_they_were_given(tmp_path, monkeypatch):
    """Relative paths stay relative (a cycle named an absolute path), '..' is tidied away, and a
    folder given to extends is named as one (it was looked up as folder.yaml)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my").mkdir()
    write(tmp_path / "my", "a.yaml", "extends: b.yaml\n")
    write(tmp_path / "my", "b.yaml", "extends: a.yaml\n")
    assert error_of("my/a.yaml").startswith("my/b.yaml: extends: cyclic extends (a.yaml -> b.yaml -> a.yaml)")
    (tmp_path / "scenarios").mkdir()
    write(tmp_path / "my", "folder.yaml", "extends: ../scenarios\n")
    assert error_of("my/folder.yaml") == ("my/folder.yaml: extends: scenarios is a folder; give a scenario file "
                                          "in it, such as baseline.yaml")
    write(tmp_path / "my", "up.yaml", "extends: ../scenarios/nope.yaml\n")
    assert error_of("my/up.yaml") == "my/up.yaml: extends: file not found: scenarios/nope.yaml"


def test_error_in_parent_names_the_parent(tmp_path):
    parent = write(tmp_path, "parent.yaml", f"set:\n  {P_IND}: 1.3\n")
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\n")
    message = error_of(child)
    assert "parent.yaml" in message and f"set.{P_IND}" in message
    assert "child.yaml" not in message
    assert parent.exists()


def test_scenario_error_attributes(tmp_path):
    path = write(tmp_path, "x.yaml", f"set:\n  {P_IND}: 1.3\n")
    with pytest.raises(CgtSimError) as info:
        load_scenario(path)
    exc = info.value
    assert exc.file == str(path)
    assert exc.key == f"set.{P_IND}"
    assert exc.message == "must be between 0 and 1 (got 1.3)"
    assert str(exc) == f"{path}: set.{P_IND}: must be between 0 and 1 (got 1.3)"
    assert cgt_sim.ScenarioError is ScenarioError


def test_bad_override_values():
    assert "whole number" in error_of(BASELINE, overrides={SUITES: 1.5})
    assert "true or false" in error_of(BASELINE, overrides={"financing.unconstrained": "no"})
    msg = error_of(BASELINE, overrides={"simulation.horizon_year": 2000})
    assert msg.startswith("overrides: simulation.horizon_year: ")


@settings(max_examples=60, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-5, max_value=5))
def test_probability_accepted_exactly_in_range(x):
    sc = default_scenario()
    if 0.0 <= x <= 1.0:
        assert sc.with_overrides({P_IND: x}).value(P_IND) == x
    else:
        with pytest.raises(CgtSimError) as info:
            sc.with_overrides({P_IND: x})
        assert "\n" not in str(info.value) and P_IND in str(info.value)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=-3, max_value=100003) | st.floats(min_value=0.01, max_value=1e5).filter(
    lambda v: v != int(v)))
def test_int_parameter_accepts_whole_numbers_in_range(n):
    sc = default_scenario()
    if float(n).is_integer() and 1 <= n <= 100000:  # a site needs at least one suite
        assert sc.with_overrides({SUITES: n}).value(SUITES) == n
    else:
        with pytest.raises(CgtSimError):
            sc.with_overrides({SUITES: n})


def test_simulation_years_cannot_change_over_time(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("set:\n  simulation.horizon_year: {value: 2040, from: 2030-01-01}\n")
    with pytest.raises(CgtSimError) as exc:
        load_scenario(f)
    assert "simulation.horizon_year" in str(exc.value) and "cannot change over time" in str(exc.value)


def test_an_empty_extends_a_key_given_twice_and_changes_out_of_order_are_refused(tmp_path):
    empty = write(tmp_path, "e.yaml", "name: e\nextends:\nset: {regulatory.ind_review_working_days: 30}\n")
    assert error_of(empty) == (f"{empty}: extends: must be a file name such as baseline.yaml (without extends, "
                               "a scenario starts from the catalogue's defaults, not the baseline)")
    twice = write(tmp_path, "t.yaml", f"name: t\nextends: {BASELINE}\nset:\n  regulatory:\n"
                  "    ind_review_working_days: 30\n  regulatory.ind_review_working_days: 40\n")
    assert error_of(twice) == (f"{twice}: set.regulatory.ind_review_working_days: is given twice (nested and "
                               "as a dotted key); give it once")
    unc = write(tmp_path, "u.yaml", f"name: u\nextends: {BASELINE}\nuncertain:\n  market:\n"
                "    price_erosion: {dist: uniform, low: 0, high: 0.1}\n"
                "  market.price_erosion: {dist: uniform, low: 0, high: 0.05}\n")
    assert error_of(unc).endswith("uncertain.market.price_erosion: is given twice (nested and as a dotted key); "
                                  "give it once")
    assert error_of(BASELINE, overrides={NRDL: [{"value": 0.5, "from": "2028-01-01"},
                                                {"value": 0.2, "from": "2026-01-01"}]}) == (
        f"overrides: {NRDL}[1]: starts on 2026-01-01, before the change on 2028-01-01 listed above it ([0]), "
        "which it would erase: list changes by their start, oldest first, one change a day")
    assert "on the day of the change on 2026-01-01" in error_of(BASELINE, overrides={NRDL: [
        {"value": 0.1, "from": "2026-01-01"}, {"value": 0.05, "from": "2026-01-01"}]})
    # a step inside an earlier ramp takes over from its date (it starts later)
    cut = load_scenario(BASELINE, overrides={NRDL: [{"value": 0.5, "from": "2026-01-01", "to": "2028-01-01"},
                                                    {"value": 0.2, "from": "2027-01-01"}]})
    assert cut.value(NRDL).value_on("2026-07-01") > 0 and cut.value(NRDL).value_on("2027-06-01") == 0.2
    ok = load_scenario(BASELINE, overrides={NRDL: [0.1, {"value": 0.2, "from": 2026, "to": 2027},
                                                   {"value": 0.5, "from": 2028},
                                                   {"steps": {"2029-01-01": 0.6, "2030-01-01": 0.7}}]})
    assert [ok.value(NRDL).value_on(f"{y}-06-01") for y in (2025, 2027, 2028, 2029, 2030)] == pytest.approx(
        [0.1, 0.2, 0.5, 0.6, 0.7])


def test_overrides_may_nest_keys_as_a_files_set_does():
    sc = load_scenario(BASELINE, overrides={"regulatory": {"ind_review_working_days": 30,
                                                           "p_ind_clear": {"value": 0.8, "from": 2026}}})
    assert sc.value("regulatory.ind_review_working_days") == 30
    assert sc.value(P_IND).value_on("2026-06-01") == 0.8
    assert error_of(BASELINE, overrides={"regulatory": {"ind_review_workingdays": 30}}) == (
        "overrides: regulatory.ind_review_workingdays: unknown parameter (did you mean "
        "regulatory.ind_review_working_days?)")
    assert error_of(BASELINE, overrides={"regulatory": {"ind_review_working_days": 30},
                                         "regulatory.ind_review_working_days": 40}).endswith(
        "is given twice (nested and as a dotted key); give it once")


def test_a_path_too_long_for_the_system_is_a_clear_error(tmp_path):
    """The system refuses a name too long: one line naming the path and the reason, a
    SystemRefused (exit code 3 on the command line), not bad input."""
    long = tmp_path / ("a" * 300 + ".yaml")
    with pytest.raises(cgt_sim.SystemRefused, match="cannot be read: the name is too long") as caught:
        cgt_sim.load_scenario(long)
    assert caught.value.exit_code == 3
    from cgt_sim.storage import check_result_folder

    with pytest.raises(cgt_sim.SystemRefused, match="cannot be written: the name is too long"):
        check_result_folder(tmp_path / "q" / ("a" * 300))


def test_a_scenario_made_in_python_starts_from_the_defaults():
    sc = Scenario(name="x")
    assert sc.values == default_scenario().values and set(sc.origin.values()) == {"default"}
    assert sc.with_overrides({P_IND: 0.5}).value(P_IND) == 0.5
    with pytest.raises(CgtSimError, match="^use_calibrated: must be True or False"):
        load_scenario(BASELINE, use_calibrated="no")
    with pytest.raises(CgtSimError, match="^path: must be the path of a scenario file \\(got None\\)"):
        load_scenario(None)


@pytest.mark.parametrize("name, message", [(3, r"must be text \(got int\)"), ("a b", "cannot name the result folder"),
                                           ("../escape", "cannot name the result folder")])
def test_a_scenario_made_in_python_needs_a_folder_name(name, message):
    with pytest.raises(CgtSimError, match=message):
        cgt_sim.run(Scenario(name=name), replications=1, until=2015, workers=1)
