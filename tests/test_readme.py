"""The README cannot drift: it is short, its install/test commands match CI, its tour of the
commands runs (shortened); so do the commands and Python of docs/python.md and docs/model.md
(docs/cli.md and docs/guide.md: test_docs.py)."""

from __future__ import annotations

import inspect
import re
import shlex
from pathlib import Path

import pytest
from docs_support import (
    DOCS,
    ROOT,
    check_line,
    cli_lines,
    fenced_blocks,
    make_workdirs,
    run_documented,
    run_python_blocks,
    section,
    shorten_run,
)

import cgt_sim

README = DOCS["README.md"]
BLOCKS = fenced_blocks(README)
BASH_BLOCKS = [body for lang, body in BLOCKS if lang == "bash"]
INSTALL_RUN = ("python3 -m venv .venv && . .venv/bin/activate && pip install -e . && "
               "cgt-sim run scenarios/baseline.yaml")
INSTALL_TEST = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && pytest -q"
HERE = ("README.md", "docs/python.md", "docs/model.md")  # the documents whose commands run here
LINES = [(doc, line) for doc in HERE for line in cli_lines(doc)]


# --------------------------------------------------------------------------- the README itself

def test_the_readme_is_short_and_points_to_documents_that_exist():
    assert len(README) <= 8000
    for name in set(re.findall(r"`((?:docs/)?[\w./]+\.(?:md|cff))`", README)):
        assert (ROOT / name).is_file(), name
    assert {"docs/guide.md", "docs/cli.md", "docs/python.md", "docs/model.md"} <= set(
        re.findall(r"`(docs/\w+\.md)`", README))


def test_first_two_bash_blocks_are_install_and_run_then_install_and_test():
    assert BASH_BLOCKS[0].strip() == INSTALL_RUN
    assert BASH_BLOCKS[1].strip() == INSTALL_TEST
    quick = section("README.md", "Quick start")
    assert INSTALL_RUN in quick and INSTALL_TEST in quick
    # the first fenced blocks of the whole file are these two
    assert [b.strip() for _, b in BLOCKS[:2]] == [INSTALL_RUN, INSTALL_TEST]


def test_the_tour_shows_every_command_once():
    from typer.main import get_command

    from cgt_sim.cli import app

    tour = [shlex.split(line)[1] for line in cli_lines("README.md")]
    assert set(tour) >= set(get_command(app).commands) - {"calibrate", "schema"}  # (for maintainers, editors)
    assert len(tour) <= 12


def _commands(text: str) -> list[list[str]]:
    """Shell commands of a script as token lists: one per line and per '&&', comments dropped."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        for part in line.split("&&"):
            tokens = shlex.split(part, comments=True)
            if tokens:
                out.append(tokens)
    return out


def _normalise(tokens: list[str]) -> list[str]:
    """pip's -q/--quiet does not change what is installed."""
    if tokens[:1] == ["pip"] or tokens[:3] == ["python3", "-m", "pip"]:
        return [t for t in tokens if t not in ("-q", "--quiet")]
    return tokens


def test_ci_runs_the_same_install_and_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme_cmds = [_normalise(c) for c in _commands(BASH_BLOCKS[1])]
    ci_cmds = [_normalise(c) for c in _commands(ci)]
    # the README's commands appear in CI, in the same order
    positions = []
    for cmd in readme_cmds:
        assert cmd in ci_cmds, f"{shlex.join(cmd)!r} is not in .ci/run"
        positions.append(ci_cmds.index(cmd))
    assert positions == sorted(positions)
    # and CI ends with the test command, in a fresh virtual environment
    assert ci_cmds[-1] == readme_cmds[-1] == ["pytest", "-q"]
    assert ["rm", "-rf", ".venv"] in ci_cmds


def test_install_extras_and_entry_point_exist():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["cgt-sim"] == "cgt_sim.entry:main"
    test_extra = " ".join(project["optional-dependencies"]["test"])
    assert "pytest" in test_extra and "hypothesis" in test_extra
    assert any(d.startswith("plotly") for d in project["dependencies"])  # report.html


# --------------------------------------------------------------------------- examples that run

@pytest.fixture(scope="module")
def workdirs(tmp_path_factory) -> dict:
    return make_workdirs(tmp_path_factory.mktemp("docs"), HERE)


@pytest.fixture(scope="module")
def python_run(workdirs):
    return run_python_blocks("docs/python.md", workdirs["docs/python.md"])


def test_python_blocks_run(workdirs, python_run):
    ns = python_run
    assert isinstance(ns["res"], cgt_sim.ResultSet)
    assert (workdirs["docs/python.md"] / "results" / "x" / "manifest.json").is_file()
    assert ns["back"].annual.equals(ns["res"].annual)
    report = workdirs["docs/python.md"] / "results" / "x_report"
    assert (report / "report.html").is_file() and (report / "report.md").read_text().startswith("# cgt-sim 报告")


@pytest.fixture(scope="module")
def lines_run(workdirs):
    return run_documented(LINES, workdirs)


def test_shorten_run():
    assert shorten_run(["run", "s.yaml", "--replications", "200", "--seed", "42"]) == [
        "run", "s.yaml", "--replications", "2", "--seed", "42", "--until", "2021", "--workers", "1", "--quiet"]
    assert shorten_run(["run", "s.yaml", "--until", "2035", "-r", "9", "--out", "o"]) == [
        "run", "s.yaml", "--until", "2021", "--replications", "2", "--out", "o", "--workers", "1", "--quiet"]


@pytest.mark.parametrize("index", range(len(LINES)), ids=[f"{d}: {line.split('#')[0].strip()}" for d, line in LINES])
def test_documented_command_runs(workdirs, lines_run, index):
    doc, line = LINES[index]
    check_line(line, workdirs[doc], *lines_run[(doc, line)])


@pytest.mark.parametrize("name", ["run", "sensitivity", "sweep", "load_scenario", "write_report", "history_match",
                                  "discover"])
def test_python_api_signature_matches_the_docs(name):
    m = re.search(rf"`cgt_sim\.{name}\(([^)]*)\)`", DOCS["docs/python.md"])
    assert m, name
    documented = [p.strip() for p in m.group(1).split(",") if p.strip() != "*"]
    params = list(inspect.signature(getattr(cgt_sim, name)).parameters.values())
    assert len(documented) == len(params)
    required = [p for p in params if p.default is inspect.Parameter.empty]
    for doc, param in zip(documented, params):
        if param in required:
            assert "=" not in doc
            continue
        pname, default = doc.split("=")
        assert param.name == pname
        assert repr(param.default) == default
    assert params[0].default is inspect.Parameter.empty


def test_plot_functions_are_documented_as_they_are():
    from cgt_sim import plot

    text = DOCS["docs/python.md"]
    for name in ("fan", "difference", "spending", "indications", "funnel"):
        m = re.search(rf"`cgt_sim\.plot\.{name}\(([^)]*)\)`", text)
        assert m, name
        documented = [p.strip().split("=")[0] for p in m.group(1).split(",") if p.strip() != "*"]
        assert documented[1:] == list(inspect.signature(getattr(plot, name)).parameters)[1:], name


def test_analytic_funnel_is_documented():
    text = DOCS["docs/python.md"]
    assert re.search(r"`cgt_sim\.analytic_funnel\(scenario_or_path, modality, \*, year=None\)`", text)
    params = inspect.signature(cgt_sim.analytic_funnel).parameters
    assert list(params)[1] == "modality" and params["year"].default is None
    assert params["year"].kind is inspect.Parameter.KEYWORD_ONLY
    example = re.search(r"`(cgt_sim\.analytic_funnel\(\"scenarios/[^`]+)`", text).group(1)
    old = Path.cwd()
    try:
        import os

        os.chdir(ROOT)
        assert 0.0 < eval(example, {"cgt_sim": cgt_sim}) < 1.0
    finally:
        os.chdir(old)
