"""docs/cli.md and docs/guide.md cannot drift: their commands run (shortened), their reference
text matches the code (options and defaults, output columns, the error example, the scenario
file example), and the guide's worked examples are complete and remade by one script."""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

import pytest
from docs_support import (
    DOCS,
    ROOT,
    check_line,
    cli_lines,
    fenced_blocks,
    make_workdir,
    make_workdirs,
    run_documented,
    section,
)

import cgt_sim
import cgt_sim.plot
from cgt_sim import MODALITIES
from cgt_sim.parameters import INDICATIONS

CLI = DOCS["docs/cli.md"]
HERE = ("docs/cli.md", "docs/guide.md")
LINES = [(doc, line) for doc in HERE for line in cli_lines(doc)]


@pytest.fixture(scope="module")
def workdirs(tmp_path_factory) -> dict:
    return make_workdirs(tmp_path_factory.mktemp("docs"), HERE)


@pytest.fixture(scope="module")
def lines_run(workdirs):
    return run_documented(LINES, workdirs)


def test_no_two_documented_runs_write_one_folder():
    """(They run side by side.)"""
    import shlex

    for doc in HERE:
        commands = [shlex.split(line, comments=True) for line in cli_lines(doc)]
        outs = [a[a.index("--out") + 1] if "--out" in a else "results/compare.csv"
                for a in commands if a[1] == "compare"]
        outs += [a[a.index("--out") + 1] for a in commands if a[1] == "run" and "--out" in a]
        assert len(outs) == len(set(outs)), doc


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(LINES)), ids=[f"{d}: {line.split('#')[0].strip()}" for d, line in LINES])
def test_documented_command_runs(workdirs, lines_run, index):
    doc, line = LINES[index]
    check_line(line, workdirs[doc], *lines_run[(doc, line)])


# --------------------------------------------------------------------------- docs/cli.md: reference

def _documented_annual_columns() -> set:
    table = section("docs/cli.md", "Outputs")
    names = set()
    for row in table.splitlines():
        if not row.startswith("| `"):
            continue
        name_cell, meaning = row.split("|")[1:3]
        for name in re.findall(r"`([^`]+)`", name_cell):
            if name == "programs_<state>":
                states = [s.strip().split()[0] for s in meaning.split(":", 1)[1].split(",")]
                names |= {f"programs_{s}" for s in states}
            elif name.endswith("_<modality>"):
                names |= {name.replace("<modality>", m) for m in MODALITIES}
            elif name.endswith("_<indication>"):
                names |= {name.replace("<indication>", i) for i in INDICATIONS}
            else:
                assert "<" not in name, name
                names.add(name)
    return names


def test_documented_annual_columns_match_the_output():
    from cgt_sim.outputs import annual_columns

    assert _documented_annual_columns() == set(annual_columns())


def test_documented_result_folder_files(tmp_path):
    from cgt_sim.storage import OUTPUT_FILES

    text = section("docs/cli.md", "Outputs")
    files = set(re.findall(r"`(\w+\.(?:csv|json))`", text)) | set(re.findall(r"`(\w+)/`", text))
    assert files == {name for name in OUTPUT_FILES["run"] if not name.endswith(".parquet")}  # (.parquet: earlier)
    assert "(metric, year, mean, p5, p50, p95, n)" in text
    res = cgt_sim.run("baseline", replications=1, until=2015, workers=1)
    assert list(res.summary().columns) == ["metric", "year", "mean", "p5", "p50", "p95", "n"]
    report = section("docs/cli.md", "Command line")
    fans = {f"{m}.png" for m in cgt_sim.plot.FAN}
    for name in OUTPUT_FILES["report"]:  # every file a report writes is described
        shown = ("difference_<metric>.png" if name.startswith("difference_") else "<metric>.png" if name in fans
                 else name)
        assert f"`{shown}`" in report, name


def _options(command: str) -> dict:
    import typer

    from cgt_sim.cli import app

    cmd = typer.main.get_command(app).commands[command]
    return {name: p for p in cmd.params for name in getattr(p, "opts", [])}


def test_every_option_of_every_command_is_documented():
    import typer

    from cgt_sim.cli import app

    text = section("docs/cli.md", "Command line")
    for name, cmd in typer.main.get_command(app).commands.items():
        assert f"cgt-sim {name} " in text, name  # an example line
        for opt in (o for p in cmd.params for o in getattr(p, "opts", []) if o.startswith("--") and o != "--help"):
            assert f"`{opt}" in text or f"/{opt}`" in text, (name, opt)


def test_run_options_and_defaults_match_the_code():
    from cgt_sim import CATALOGUE

    text = section("docs/cli.md", "Command line")
    opts = _options("run")
    documented_executor = re.search(r"`--executor` \(default `(\w+)`\)", text)
    assert documented_executor and opts["--executor"].default == documented_executor.group(1)
    documented_reps = re.search(r"`--replications/-r` \(default (\d+)\)", text)
    documented_seed = re.search(r"`--seed` \(default (\d+)\)", text)
    assert documented_reps and documented_seed
    assert opts["--replications"].default == int(documented_reps.group(1))
    assert opts["--seed"].default == int(documented_seed.group(1))
    assert CATALOGUE["simulation.horizon_year"].default == 2045 and "`simulation.horizon_year`, 2045" in text
    assert _options("report")["--lang"].default == "en" and "`--lang en`, the default" in text


def test_calibrate_and_validate_defaults_match_the_docs():
    text = section("docs/cli.md", "Command line")
    from cgt_sim.analysis import history
    from cgt_sim.analysis.calibration import fit

    calibrate, validate = _options("calibrate"), _options("validate")
    para = " ".join(text[text.index("`calibrate` fits"):text.index("`validate` checks")].split())
    point = inspect.signature(fit).parameters
    assert f"`--replications` (default {point['replications'].default})" in para
    assert f"`--seed` (default {calibrate['--seed'].default})" in para
    assert f"`--budget` (default {point['budget'].default})" in para
    for option, default in (("--waves", history.WAVES), ("--replications", history.REPLICATIONS),
                            ("--members", history.MEMBERS), ("--cutoff", f"{history.CUTOFF:g}")):
        assert f"`{option}` (default {default})" in para, option
    para = " ".join(text[text.index("`validate` checks"):].split())
    assert f"`--replications` (default {validate['--replications'].default})" in para
    # the defaults are the current folder's files, else the package's (cgt_sim.library)
    assert validate["--targets"].default is None and validate["--scenario"].default is None
    assert "`--targets`, default `calibration/targets.yaml` of the current folder, else the package's" in para
    assert "`--scenario`, default `scenarios/baseline.yaml` of the current folder, else the library's baseline" in para


def test_dated_set_example_in_prose_is_valid():
    from cgt_sim.cli.common import parse_sets

    examples = [e for text in DOCS.values() for e in re.findall(r"--set '([^']+)'", text)]
    assert len(examples) >= 4, "no quoted --set examples in the documents"
    for item in examples:
        sc = cgt_sim.load_scenario(ROOT / "scenarios" / "baseline.yaml", parse_sets([item]))
        assert sc.origin[item.split("=")[0]] == "--set"
    first = re.search(r"--set '([^']+)'", CLI).group(1)
    sched = cgt_sim.load_scenario(ROOT / "scenarios" / "baseline.yaml", parse_sets([first])).value(
        "regulatory.ind_review_working_days")
    assert sched.value_on("2025-03-31") == 60 and sched.value_on("2025-04-01") == 30


def test_error_example_is_what_the_loader_says(tmp_path, monkeypatch):
    block = next(body for lang, body in fenced_blocks(CLI) if lang == "" and body.startswith("error: "))
    line = block.strip()
    m = re.fullmatch(r"error: (\S+): set\.(\S+): must be between 0 and 1 \(got ([\d.]+)\)", line)
    assert m, line
    file, key, value = m.groups()
    workdir = make_workdir(tmp_path / "w")
    monkeypatch.chdir(workdir)
    Path(file).write_text(f"extends: baseline.yaml\nset:\n  {key}: {value}\n")
    with pytest.raises(cgt_sim.ScenarioError) as info:
        cgt_sim.load_scenario(file)
    assert f"error: {info.value}" == line


def test_scenario_file_example_loads(tmp_path):
    yaml_block = next(body for lang, body in fenced_blocks(CLI) if lang == "yaml")
    workdir = make_workdir(tmp_path / "w")
    path = workdir / "scenarios" / "example.yaml"
    path.write_text(yaml_block)
    sc = cgt_sim.load_scenario(path)
    assert sc.name == "faster_approval"
    assert sc.source == "A004, NMPA_IND"
    assert [Path(f).name for f in sc.files] == ["baseline.yaml", "example.yaml"]
    ind = sc.value("regulatory.ind_review_working_days")
    assert ind.value_on("2025-03-31") == 60 and ind.value_on("2025-04-01") == 30
    assert sc.value("manufacturing.suites_2015.jiangsu") == 40
    assert sc.value("financing.capital_climate").value_on("2027-01-01") == 1.2
    assert sc.value("market.nrdl_listing_hazard").value_on("2028-01-01") == pytest.approx(0.3)
    assert set(sc.uncertain) == {"manufacturing.cogs_annual_decline"}
    # the distributions named in the comment are the ones the loader knows
    from cgt_sim.scenario import DISTRIBUTIONS

    names = re.search(r"sampled once per replication \(([^)]*)\)", yaml_block).group(1)
    assert [n.strip() for n in names.split(",")] == list(DISTRIBUTIONS)


# --------------------------------------------------------------------------- docs/guide.md

def _make_guide():
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import make_guide
    finally:
        sys.path.remove(str(ROOT / "docs"))
    return make_guide


def test_the_guide_answers_four_questions_each_with_command_table_and_chart():
    """Each worked example has its commands, the table its compare printed (made by
    docs/make_guide.py, not a placeholder) and a small chart; the script finds them all."""
    make_guide = _make_guide()
    text = DOCS["docs/guide.md"]
    examples = make_guide.examples(text)
    assert list(examples) == ["baseline", "cost", "ind", "payment", "fund"]
    tables = {m[2]: m[3] for m in make_guide.TABLE.finditer(text)}
    charts = make_guide.charts(text)
    for name in list(examples)[1:]:
        assert any(" compare results/guide/baseline " in line and "--report" in line for line in examples[name])
        assert "paired interval" in tables[name] and "made by docs/make_guide.py" not in tables[name], name
        picture = ROOT / "docs" / "img" / f"{name}.png"
        assert f"](img/{name}.png)" in text and picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert picture.stat().st_size < 120_000, name  # small: the repository keeps them
        assert charts[name].startswith(f"results/guide/{name}_report/")
    assert "How to read the answers" in text and "90% interval" in text


def test_make_guide_refuses_an_unknown_example(capsys):
    with pytest.raises(SystemExit, match="no example nope in docs/guide.md"):
        _make_guide().main(["nope"])
