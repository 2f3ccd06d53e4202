"""Bounded inputs: every YAML and JSON cgt-sim reads is read within bounds (``safe_load``).

Nesting, aliases (recursive ones and bombs), file types and sizes, NUL characters in paths, the
length of what a message quotes, and unknown keys whatever their value: each is refused with one
line naming the file (or argument) and the key, never a RecursionError, a hang or a traceback.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import yaml
from conftest import check_error, no_hang
from typer.testing import CliRunner

import cgt_sim
from cgt_sim.cli import app
from cgt_sim.errors import CgtSimError, ScenarioError

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
IND = "regulatory.ind_review_working_days"




def bomb(levels: int, name: str = "a") -> str:
    """YAML anchors of 9 aliases each, ``levels`` deep: the last stands for 9**levels values."""
    lines = [f"{name}0: &{name}0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"{name}{i}: &{name}{i} [" + ", ".join([f"*{name}{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def refused(path, *fragments, error=ScenarioError):
    """load_scenario(path) refuses with one short line holding every fragment."""
    with no_hang(), pytest.raises(error) as caught:
        cgt_sim.load_scenario(path)
    line = str(caught.value)
    assert "\n" not in line and len(line) < 600, line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


# --------------------------------------------------------------------------- nesting and aliases

def test_deep_nesting_is_refused_with_its_line(tmp_path):
    f = tmp_path / "deep.yaml"
    f.write_text("name: deep\nset:\n  x: " + "[" * 600 + "]" * 600 + "\n")
    refused(f, "deep.yaml", "line 3", "nested more than 64 levels deep")
    ok = tmp_path / "ok.yaml"  # (what a scenario nests is far below the bound)
    ok.write_text(f"name: ok\nset:\n  {IND}: [30, [{{value: 40, from: 2030-01-01}}]]\n")
    assert cgt_sim.load_scenario(ok).value(IND) is not None


@pytest.mark.parametrize("text", [
    "name: r\nset: &r [*r]\n",
    f"name: r\nset:\n  {IND}: &r [*r]\n",
    "name: r\nset: &m {a: *m}\n",
    "name: r\nnotes: &m {<<: *m}\n",
])
def test_a_recursive_alias_is_refused(tmp_path, text):
    f = tmp_path / "r.yaml"
    f.write_text(text)
    refused(f, "r.yaml", "a recursive alias")


def test_an_alias_bomb_is_refused_before_it_is_expanded(tmp_path):
    f = tmp_path / "b.yaml"
    f.write_text(bomb(12) + "name: b\n")  # 9**12 values in about 400 bytes
    refused(f, "b.yaml", "expand to more than 100,000 values")


def test_an_alias_bomb_followed_by_a_duplicate_key_does_not_hang(tmp_path):
    f = tmp_path / "bd.yaml"
    f.write_text(bomb(9) + "name: x\nname: y\n")
    refused(f, "bd.yaml", "expand to more than 100,000 values")


def test_the_duplicate_key_locator_visits_each_node_once():
    """The key path of a duplicate key is found on the composed graph without following an
    alias into what it names again: behind a bomb of 9**12 values it is found at once."""
    from cgt_sim import safe_load

    text = bomb(12) + "set:\n  market:\n    x: 1\n    x: 2\n"
    loader = safe_load.BoundedLoader(text)
    node = loader.get_single_node()
    key_node = node.value[-1][1].value[0][1].value[1][0]  # the second x
    with no_hang(10):
        assert safe_load._key_path(node, key_node.start_mark) == "set.market.x"


def test_a_duplicate_key_is_named_by_its_path(tmp_path):
    f = tmp_path / "d.yaml"
    f.write_text(f"name: d\nset:\n  {IND}: 30\n  {IND}: 40\n")
    refused(f, f"set.{IND}", "line 4, column 3: duplicate key (first on line 3)")


def test_an_alias_bomb_as_a_value_is_quoted_short(tmp_path):
    """An alias bomb small enough to build is quoted by its first characters, not whole (a
    398-byte file once gave a 17 MB line)."""
    f = tmp_path / "v.yaml"
    inline = "[&a0 [x, x, x, x, x, x, x, x, x], " + ", ".join(
        f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 5)) + "]"  # 9**5 values and less
    f.write_text(f"name: v\nset:\n  {IND}: {{value: {inline}, from: 2025-01-01}}\n")
    refused(f, "v.yaml", f"set.{IND}.value", "must be a number")
    g = tmp_path / "w.yaml"
    g.write_text(f"name: w\nset:\n  {IND}: {{value: {'x' * 200_000}, from: 2025-01-01}}\n")
    line = refused(g, "w.yaml", f"set.{IND}.value", "'xxxxxxxx")
    assert len(line) < 300


def test_merges_of_mappings_still_work(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text(f"name: m\nnotes: hello\nset:\n  <<: {{{IND}: 30}}\n  market.nrdl_listing_hazard: 0.3\n")
    sc = cgt_sim.load_scenario(f)
    assert sc.value(IND) == 30


# --------------------------------------------------------------------------- files

def test_a_fifo_is_refused_without_waiting_on_it(tmp_path):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    refused(fifo, "fifo.yaml", "is a FIFO")
    for key in ("extends", "calibrated"):
        f = tmp_path / f"{key}.yaml"
        f.write_text(f"name: x\n{key}: fifo.yaml\n")
        refused(f, f"{key}.yaml", key, "is a FIFO")


def test_a_device_a_folder_and_a_large_file_are_refused(tmp_path):
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    f = tmp_path / "z.yaml"
    f.write_text("name: z\ncalibrated: zero.yaml\n")
    refused(f, "z.yaml", "calibrated", "character device")
    (tmp_path / "folder.yaml").mkdir()
    refused(tmp_path / "folder.yaml", "folder.yaml", "is a folder")
    big = tmp_path / "big.yaml"
    big.write_text("name: big\nnotes: " + "x" * (1 << 20) + "\n")  # (more than safe_load.MAX_YAML_BYTES)
    refused(big, "big.yaml", "larger than 1,048,576 bytes")


def test_a_nul_character_in_a_path_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match="a path cannot hold a NUL character"):
        cgt_sim.load_scenario("a\x00b.yaml")
    f = tmp_path / "n.yaml"
    f.write_text('name: n\nextends: "base\\0.yaml"\n')
    refused(f, "n.yaml", "extends", "NUL character")
    with pytest.raises(CgtSimError, match="NUL character"):
        cgt_sim.run(BASELINE, replications=1, until=2015, out=tmp_path / "a\x00b")
    with pytest.raises(CgtSimError, match="NUL character"):
        cgt_sim.load_results("x\x00y")
    assert list(tmp_path.iterdir()) == [f]


def test_targets_and_fitted_files_are_read_within_bounds(tmp_path):
    from cgt_sim.analysis.calibration import load_targets

    t = tmp_path / "targets.yaml"
    t.write_text("free: &f [*f]\n")
    with no_hang(), pytest.raises(ScenarioError, match="targets.yaml: line 1, column 7: a recursive alias"):
        load_targets(t)
    fitted = tmp_path / "fitted.yaml"
    fitted.write_text(bomb(12) + "parameters: {}\n")
    s = tmp_path / "s.yaml"
    s.write_text("name: s\ncalibrated: fitted.yaml\n")
    refused(s, "fitted.yaml", "expand to more than")


# --------------------------------------------------------------------------- JSON

@pytest.mark.parametrize("text,reason", [
    ("[" * 100_000 + "]" * 100_000, "nested more than 64 levels deep"),
    ("[" * 70 + "]" * 70, "nested more than 64 levels deep"),
    ("{", "is not JSON"),
])
def test_json_is_read_within_bounds(tmp_path, text, reason):
    from cgt_sim import safe_load

    f = tmp_path / "m.json"
    f.write_text(text)
    with pytest.raises(cgt_sim.ResultError, match=reason):
        safe_load.read_json(f)


def test_json_larger_than_the_bound_is_refused(tmp_path, monkeypatch):
    from cgt_sim import safe_load

    monkeypatch.setattr(safe_load, "MAX_JSON_BYTES", 100)
    f = tmp_path / "m.json"
    f.write_text(json.dumps({"x": "y" * 200}))
    with pytest.raises(cgt_sim.ResultError, match="larger than 100 bytes"):
        safe_load.read_json(f)


# --------------------------------------------------------------------------- --set, --grid

@pytest.mark.parametrize("item,fragments", [
    ("totally.bogus={}", ["--set", "totally.bogus", "unknown parameter"]),
    ("totally.bogus=[]", ["--set", "totally.bogus", "unknown parameter"]),
    ("totally={bogus: {}}", ["--set", "totally", "unknown parameter"]),
    ("market={totally: {bogus: {}}}", ["--set", "market.totally", "unknown parameter"]),
    ("market.nrdl_scope={}", ["--set", "market.nrdl_scope", "an empty mapping sets nothing"]),
    (f"{IND}=&r [*r]", ["--set", IND, "a recursive alias"]),
    (f"{IND}=" + "[" * 500, ["--set", IND, "nested more than 64 levels deep"]),
    (f"{IND}=[" + ", ".join(["&a [x,x,x,x,x,x,x,x,x]"] + ["[" + ",".join(["*a"] * 9) + "]"] * 2) + "]",
     ["--set", IND, "must be a number"]),
    (f"{IND}=" + "é中" * 50_000, ["--set", IND, "must be a number", "'é中é中"]),
    (f"{IND}=" + "\x07" * 50_000, ["--set", IND, "special characters are not allowed", "'\\x07\\x07"]),
])
def test_set_values_are_read_within_bounds(item, fragments):
    with no_hang():
        result = CliRunner().invoke(app, ["show", str(BASELINE), "--only", "regulatory", "--set", item])
    check_error(result.exit_code, result.stdout, result.stderr, fragments)
    assert len(result.stderr) < 400


def test_grid_values_are_read_within_bounds():
    from cgt_sim.analysis.sweep import parse_grid

    with pytest.raises(ScenarioError, match="could not read the value"):
        parse_grid([f"{IND}=&r [*r],30"])
    with pytest.raises(ScenarioError, match="unknown parameter"):
        cgt_sim.sweep(BASELINE, {"totally.bogus": [{}]}, replications=1)


def test_unknown_keys_are_refused_whatever_their_value(tmp_path):
    for block in ("set", "uncertain"):
        f = tmp_path / f"{block}.yaml"
        f.write_text(f"name: u\n{block}:\n  totally:\n    bogus: {{}}\n")
        refused(f, f"{block}.totally: unknown parameter")
    with pytest.raises(ScenarioError, match="totally.bogus: unknown parameter"):
        cgt_sim.load_scenario(BASELINE, overrides={"totally.bogus": {}})


# --------------------------------------------------------------------------- quoting

def test_quoted_gives_a_short_prefix():
    from cgt_sim.errors import quoted

    assert quoted("abc") == "'abc'"
    assert quoted("x" * 10_000) == "'" + "x" * 56 + "..."
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    assert len(quoted(deep)) <= 60
    huge = [list(range(100))] * 100_000
    started = time.process_time()
    assert len(quoted(huge)) <= 60
    assert time.process_time() - started < 5  # (not written out whole; a generous guard)


def test_a_line_is_one_line_whatever_it_is_given():
    error = ScenarioError("f" * 10_000, "k" * 10_000, "m" * 100_000)
    assert len(str(error)) < 3000


def test_loader_keeps_what_scenario_files_rely_on():
    from cgt_sim import safe_load

    assert safe_load.yaml_text("a: 2025-13-01") == {"a": "2025-13-01"}  # a bad date stays text
    assert safe_load.yaml_text("") is None
    with pytest.raises(safe_load.Unreadable, match="malformed YAML"):
        safe_load.yaml_text("!!python/object/apply:os.system ['true']")
    with pytest.raises(safe_load.Unreadable, match="malformed YAML"):
        safe_load.yaml_text("a: [")
    with pytest.raises(safe_load.Unreadable, match="invalid value"):
        safe_load.yaml_text("!!int abc")
    assert yaml.safe_load("a: 1") == safe_load.yaml_text("a: 1")
