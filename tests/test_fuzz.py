"""The project's own fuzz suite: scenario files of the library and ``--set`` strings, mutated as a
hostile or unlucky user would (deletions, wrong types, extreme numbers, unicode and control
characters, deep nesting, aliases and anchors, tags, bad dates and schedules, odd ``extends``),
run through ``cgt-sim run`` in this process.

Every outcome must be exit code 0 (a result that makes sense: one replication of the years
asked, the tables this version writes, counts that are whole and not negative) or a documented
refusal (2 for bad input, 3 when the system refused): at most a few lines, no traceback,
nothing written, within a time bound (no hang) and without a memory blow-up.

The normal suite runs a few examples of each (seconds); a campaign is marked ``fuzz`` and runs
only when asked for (``pytest -m fuzz -n 0 -s``; ``CGT_SIM_FUZZ_SCENARIOS`` and
``CGT_SIM_FUZZ_SETS`` set its sizes, default 1,000 and 300), printing its figures.
"""

from __future__ import annotations

import collections
import itertools
import math
import os
import resource
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import no_hang
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cgt_sim import CATALOGUE, load_results
from cgt_sim.cli import app

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))
KEYS = sorted(CATALOGUE)
CODES = (0, 2, 3)  # success, bad input, the system refused (docs/cli.md: exit codes)
SECONDS = 120  # one example longer than this is a hang
NORMAL = 12  # examples of each kind in the normal suite
OUTCOMES: dict = {"scenario": collections.Counter(), "set": collections.Counter()}
TIMES: dict = {"scenario": [], "set": []}


# --------------------------------------------------------------------------- values

EXTREME_NUMBERS = [0, -0.0, -1, 1, 1e308, -1e308, 1e-320, 2**63, -(2**63), 10**400, math.inf, -math.inf,
                   math.nan, 0.5, 1e6, 1e9, 2.5, 400, 2015, 2200, 2201, 9999]
EXTREME_TEXT = ["", " ", "0x1F", "1e999", ".inf", ".nan", "NaN", "1_000", "٣", "१२", "三十", "3O", "30 ", "~",
                "null", "yes", "on", "2025-13-01", "0000-00-00", "\u202e30", "\ufeff30", "a" * 5000]
BAD_DATES = ["2025-13-01", "2025-02-30", "0000-01-01", "9999-12-31", "1900-01-01", "2100-01-01", 20250101,
             "yesterday", "", None, 2025, "2025-04", "2025/04/01", [], {}]
CONTROL = ["\x00", "\x07", "\x1b[31m", "\r", "\t", "\u2028", "\ud7ff", "\ufffe", "\u0085", "\x7f"]


def numbers():
    return st.one_of(st.sampled_from(EXTREME_NUMBERS), st.floats(allow_nan=True, allow_infinity=True),
                     st.integers(min_value=-(10**30), max_value=10**30))


def leaves():
    return st.one_of(st.none(), st.booleans(), numbers(), st.sampled_from(EXTREME_TEXT), st.text(max_size=40),
                     st.sampled_from(BAD_DATES).filter(lambda d: d is not None), st.dates().map(str))


def junk(depth: int = 2):
    """Any plain YAML data: the wrong type for wherever it goes."""
    if depth <= 0:
        return leaves()
    return st.one_of(leaves(), st.lists(junk(depth - 1), max_size=4),
                     st.dictionaries(st.one_of(st.sampled_from(["value", "from", "to", "steps", "dist", "low", "high"]),
                                               st.text(max_size=10)), junk(depth - 1), max_size=4))


def schedules(key: str):
    """Values of a parameter in the forms a scenario's set takes, well and badly made."""
    p = CATALOGUE[key]
    edge = [x for x in (p.low, p.high) if x is not None]
    value = st.one_of(st.sampled_from(edge or [0]), numbers(), leaves())
    date = st.one_of(st.dates(min_value=pd.Timestamp("1990-01-01").date(),
                              max_value=pd.Timestamp("2300-01-01").date()).map(str), st.sampled_from(BAD_DATES))
    change = st.fixed_dictionaries({"value": value, "from": date}, optional={"to": date})
    steps = st.dictionaries(date.filter(lambda d: isinstance(d, (str, int))), value, max_size=4).map(
        lambda s: {"steps": s})
    return st.one_of(value, change, steps, st.lists(st.one_of(value, change), max_size=4), junk())


# --------------------------------------------------------------------------- mutations of files

def _paths(data, prefix=()):
    """Every (path of keys, value) inside ``data``."""
    yield prefix, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, prefix + (i,))


def _set_at(data, path, value):
    if not path:
        return value
    target = data
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    return data


def _delete_at(data, path):
    if not path:
        return data
    target = data
    for k in path[:-1]:
        target = target[k]
    del target[path[-1]]
    return data


ODD_EXTENDS = ["fuzzed.yaml", "nowhere.yaml", "folder", "fifo.yaml", "zero.yaml", "a\x00b.yaml", "", " ",
               "../" * 60 + "x.yaml", "x" * 300 + ".yaml", "cycle_a.yaml", "fitted.yaml", "../calibration",
               "~/nowhere.yaml", "/", "big.yaml", "deep.yaml", 123, [], {}, None, True, "baseline"]


@st.composite
def data_mutation(draw, data: dict) -> dict:
    """One change to the data of a scenario file."""
    spots = list(_paths(data))
    kind = draw(st.sampled_from(["delete", "wrong_type", "set_value", "extends", "calibrated", "name", "uncertain",
                                 "unknown_key", "unicode"]))
    if kind == "delete" and len(spots) > 1:
        path, _ = draw(st.sampled_from(spots[1:]))
        return _delete_at(data, path)
    if kind == "wrong_type":
        path, _ = draw(st.sampled_from(spots))
        return _set_at(data, path, draw(junk())) if path else data
    if kind == "set_value":
        key = draw(st.sampled_from(KEYS))
        data.setdefault("set", {})
        if not isinstance(data["set"], dict):
            data["set"] = {}
        data["set"][key] = draw(schedules(key))
        return data
    if kind in ("extends", "calibrated"):
        data[kind] = draw(st.sampled_from(ODD_EXTENDS))
        return data
    if kind == "name":
        data["name"] = draw(st.one_of(st.sampled_from(["", ".", "..", "a/b", "../../x", "x" * 1000, "名", "a b"]),
                                      st.text(max_size=30), junk(0)))
        return data
    if kind == "uncertain":
        key = draw(st.sampled_from(KEYS))
        dist = draw(st.sampled_from(["uniform", "triangular", "normal", "lognormal", "choice", "beta", ""]))
        args = draw(st.dictionaries(st.sampled_from(["low", "high", "mode", "mean", "sd", "median", "sigma", "values",
                                                     "weights", "hi"]), st.one_of(numbers(), junk(1)), max_size=4))
        data["uncertain"] = {key: {"dist": dist, **args}}
        return data
    if kind == "unknown_key":
        key = draw(st.one_of(st.sampled_from(["sett", "totally.bogus", "set.x", "uncertain.y"]), st.text(max_size=20)))
        section = draw(st.sampled_from([None, "set", "uncertain"]))
        value = draw(st.one_of(st.just({}), junk()))
        if section is None:
            data[key] = value
        else:
            if not isinstance(data.get(section), dict):
                data[section] = {}
            data[section][key] = value
        return data
    # unicode and control characters in text and keys
    text = draw(st.one_of(st.sampled_from(CONTROL), st.text(min_size=1, max_size=20)))
    data["description"] = draw(st.sampled_from(["", "x"])) + text
    return data


TAGS = ["!!python/object/apply:os.system ['echo pwned']", "!!python/name:os.system", "!!binary aGVsbG8=",
        "!!set {a: null}", "!custom 3", "!!timestamp 2025-13-01", "!!float abc", "!!int 1e3", "!!omap [{a: 1}]",
        "!!str 30", "!<tag:yaml.org,2002:int> 30", "!!null ''", "!!merge x"]


@st.composite
def text_mutation(draw, text: str) -> str:
    """One change to the text of a scenario file: what data cannot express."""
    kind = draw(st.sampled_from(["nest", "bomb", "recursive", "tag", "control", "truncate", "duplicate", "bom",
                                 "tabs", "anchor_merge"]))
    lines = text.splitlines() or [""]
    at = draw(st.integers(0, max(0, len(lines) - 1)))
    if kind == "nest":
        n = draw(st.sampled_from([1, 10, 63, 64, 65, 200, 2000]))
        return text + f"\nnotes: {'[' * n}x{']' * n}\n"
    if kind == "bomb":
        levels = draw(st.integers(2, 12))
        inline = "[&a0 [x, x, x, x, x, x, x, x, x], " + ", ".join(
            f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)) + "]"
        key = draw(st.sampled_from(KEYS))
        return text + f"\nset:\n  {key}: {{value: {inline}, from: 2025-01-01}}\n"
    if kind == "recursive":
        return text + draw(st.sampled_from(["\nnotes: &r [*r]\n", "\nset: &s {x: *s}\n", "\nx: &m {<<: *m}\n",
                                            "\nset: {a: *undefined}\n"]))
    if kind == "tag":
        key = draw(st.sampled_from(KEYS))
        return text + f"\nset:\n  {key}: {draw(st.sampled_from(TAGS))}\n"
    if kind == "control":
        where = draw(st.integers(0, len(text)))
        return text[:where] + draw(st.sampled_from(CONTROL)) + text[where:]
    if kind == "truncate":
        return text[:draw(st.integers(0, len(text)))]
    if kind == "duplicate":
        return "\n".join(lines[:at + 1] + [lines[at]] + lines[at + 1:]) + "\n"
    if kind == "bom":
        return "\ufeff" + text
    if kind == "tabs":
        return text.replace("  ", "\t")
    return "base: &b {name: merged}\n" + text.replace("name:", "<<: *b\nname2:", 1)


@st.composite
def scenario_texts(draw) -> tuple[str, str]:
    """(library file mutated, the text of the mutated file)."""
    name = draw(st.sampled_from(LIBRARY))
    text = (ROOT / "scenarios" / name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    mutations = draw(st.integers(1, 3))
    for _ in range(mutations):
        if draw(st.booleans()):
            data = draw(data_mutation(data if isinstance(data, dict) else {"name": "x"}))
    try:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6)
    except (yaml.YAMLError, ValueError, OverflowError):
        text = draw(st.text(max_size=200))
    if draw(st.booleans()):
        text = draw(text_mutation(text))
    return name, text


# --------------------------------------------------------------------------- --set strings

SET_VALUES = ["30", "0.5", "true", "null", "~", "[]", "{}", "''", "{value: 30, from: 2025-01-01}",
              "{value: 30, from: 2025-13-01}", "{value: 30, from: 2030-01-01, to: 2025-01-01}",
              "{steps: {2025-01-01: 30, 2025-01-01: 40}}", "{steps: {2026-01-01: 30, 2025-01-01: 40}}",
              "[30, {value: 40, from: 2030-01-01}, {value: 20, from: 2025-01-01}]", "[30, 40]",
              "&r [*r]", "*undefined", "{value: *a}", "!!python/object/apply:os.system ['echo x']", "!!binary aGk=",
              "1e999", "-1e999", ".nan", "0x10", "0o17", "1_000", "2025-04-01", "{a: {b: {c: {}}}}",
              "[" * 100 + "]" * 100, "[" * 5000, "{value: 30, from: 2025-01-01, extra: 1}", "{dist: uniform}",
              "'30'", '"\\x00"', "\u202e30", "30\x07", "三十", "x" * 100_000]


@st.composite
def good_values(draw, key: str) -> str:
    """A value ``key`` takes, written as a user would: a number in its range (at its edges too),
    true or false, a date, or a dated change."""
    p = CATALOGUE[key]
    if p.kind == "bool":
        return draw(st.sampled_from(["true", "false"]))
    if p.kind == "date":
        return str(draw(st.dates(min_value=pd.Timestamp("2015-01-01").date(),
                                 max_value=pd.Timestamp("2045-12-31").date())))
    low = p.low if p.low is not None else -1e6
    high = p.high if p.high is not None else 1e6
    number = draw(st.one_of(st.sampled_from([low, high]), st.floats(low, high)))
    text = str(int(round(number))) if p.kind == "int" else repr(float(number))
    if key.startswith(("simulation.", "manufacturing.suites_2015.")) or not draw(st.booleans()):
        return text
    when = draw(st.dates(min_value=pd.Timestamp("2015-01-02").date(), max_value=pd.Timestamp("2045-12-31").date()))
    return f"{{value: {text}, from: {when}}}"


@st.composite
def set_strings(draw) -> list[str]:
    items = []
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        odd = draw(st.integers(0, 9)) >= 7  # mostly keys of the catalogue, some odd ones
        key = draw(st.one_of(st.sampled_from(["totally.bogus", "market", "market.nrdl_scope", "", " ", "simulation",
                                              "a=b", "set.x", "regulatory.ind_review_working_days "]),
                             st.text(max_size=30))) if odd else draw(st.sampled_from(KEYS))
        kind = draw(st.sampled_from(["good", "good", "library", "schedule", "text", "nested", "bomb"]))
        if kind == "good" and key in CATALOGUE:
            value = draw(good_values(key))
        elif kind == "library":
            value = draw(st.sampled_from(SET_VALUES))
        elif kind == "schedule" and key in CATALOGUE:
            value = yaml.safe_dump(draw(schedules(key)), default_flow_style=True, allow_unicode=True,
                                   width=10**6).strip().removesuffix("...").strip()
        elif kind == "nested":
            n = draw(st.integers(1, 3000))
            value = "[" * n + draw(st.sampled_from(["30", "x", ""])) + "]" * draw(st.integers(0, n))
        elif kind == "bomb":
            levels = draw(st.integers(2, 12))
            value = "[&a0 [x, x, x, x, x, x, x, x, x], " + ", ".join(
                f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)) + "]"
        else:
            value = draw(st.text(max_size=60))
        whole = draw(st.sampled_from(["key=value"] * 9 + ["text"]))  # some items are no key=value at all
        items.append(f"{key}={value}" if whole == "key=value" else draw(st.text(max_size=30)))
    return items


# --------------------------------------------------------------------------- running an example

@pytest.fixture(scope="module")
def place(tmp_path_factory) -> Path:
    """A copy of the library beside the files odd extends name: a folder, a FIFO, a link to
    /dev/zero, a file too large, a file nested too deep, two files that extend each other."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(ROOT / "scenarios", root / "scenarios")
    shutil.copytree(ROOT / "calibration", root / "calibration")
    s = root / "scenarios"
    (s / "folder").mkdir()
    os.mkfifo(s / "fifo.yaml")
    (s / "zero.yaml").symlink_to("/dev/zero")
    (s / "big.yaml").write_text("name: big\nnotes: " + "x" * (1 << 21) + "\n")
    (s / "deep.yaml").write_text("name: deep\nnotes: " + "[" * 5000 + "]" * 5000 + "\n")
    (s / "cycle_a.yaml").write_text("extends: cycle_b.yaml\n")
    (s / "cycle_b.yaml").write_text("extends: cycle_a.yaml\n")
    (s / "fitted.yaml").write_text("parameters: &p [*p]\n")
    return root


_count = itertools.count()


def listing(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def check_run(place: Path, kind: str, scenario: Path, sets: list[str]) -> None:
    """Run one example and hold its outcome to the rules (see the module's notes)."""
    out = place / "out" / f"r{next(_count)}"
    before = listing(place)
    args = ["run", str(scenario), "-r", "1", "--until", "2015", "--workers", "1", "--quiet", "--out", str(out)]
    for item in sets:
        args += ["--set", item]
    started = time.monotonic()
    with no_hang(SECONDS):
        result = CliRunner().invoke(app, args)
    TIMES[kind].append(time.monotonic() - started)
    OUTCOMES[kind][result.exit_code] += 1
    assert result.exit_code in CODES, (result.exit_code, result.stderr, repr(result.exception))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    text = result.stdout + result.stderr
    assert "Traceback" not in text
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert all(line.startswith(("error: ", "note: ")) for line in lines), result.stderr
    assert len(lines) <= 5 and len(errors) <= 1 and len(result.stderr) <= 4000, result.stderr[:4000]
    if result.exit_code == 0:
        assert errors == []
        res = load_results(out)
        annual = res.annual
        assert sorted(annual["replication"].unique()) == [0] and sorted(annual["year"].unique()) == [2015]
        from cgt_sim.outputs import COLUMN_TYPES

        assert dict(annual.dtypes.astype(str)) == COLUMN_TYPES["annual"]
        counts = annual[[c for c in annual.columns if c.startswith("programs_")]].to_numpy()
        assert (counts >= 0).all()
        numeric = annual.drop(columns=["replication", "year"]).to_numpy(dtype=float)
        assert not np.isinf(numeric).any()
        assert res.manifest["seed"] == 42 and res.manifest["replications"] == 1
        shutil.rmtree(out)
        for extra in listing(place) - before:  # (the result's folder, now removed, and nothing else)
            assert extra.startswith("out"), extra
    else:
        assert len(errors) == 1, result.stderr
        assert listing(place) - before <= {"out"} and not out.exists(), listing(place) - before


def scenario_example(place: Path, example) -> None:
    _, text = example
    path = place / "scenarios" / "fuzzed.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        check_run(place, "scenario", path, [])
    finally:
        path.unlink()


FAST = settings(max_examples=NORMAL, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


@FAST
@given(example=scenario_texts())
def test_mutated_scenario_files_run_or_are_refused_cleanly(place, example):
    scenario_example(place, example)


@FAST
@given(sets=set_strings())
def test_mutated_set_strings_run_or_are_refused_cleanly(place, sets):
    check_run(place, "set", place / "scenarios" / "baseline.yaml", sets)


# --------------------------------------------------------------------------- campaigns

CAMPAIGN = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _report(kind: str, started: float, rss_before: int) -> None:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times = TIMES[kind]
    print(f"\nfuzz {kind}: {len(times)} examples in {time.monotonic() - started:.0f} s "
          f"(slowest {max(times, default=0):.1f} s); exit codes "
          + ", ".join(f"{code}: {n}" for code, n in sorted(OUTCOMES[kind].items()))
          + f"; peak memory {rss:.0f} MB (from {rss_before / 1024:.0f} MB)")


@pytest.mark.fuzz
def test_campaign_of_scenario_files(place):
    started, rss = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n = int(os.environ.get("CGT_SIM_FUZZ_SCENARIOS", "1000"))

    @settings(max_examples=n, **CAMPAIGN)
    @given(example=scenario_texts())
    def campaign(example):
        scenario_example(place, example)

    campaign()
    _report("scenario", started, rss)


@pytest.mark.fuzz
def test_campaign_of_set_strings(place):
    started, rss = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n = int(os.environ.get("CGT_SIM_FUZZ_SETS", "300"))

    @settings(max_examples=n, **CAMPAIGN)
    @given(sets=set_strings())
    def campaign(sets):
        check_run(place, "set", place / "scenarios" / "baseline.yaml", sets)

    campaign()
    _report("set", started, rss)
