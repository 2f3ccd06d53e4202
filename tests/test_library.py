"""The scenario library and the calibration files ship with the package: scenarios run by name
from any folder, a path still means a file, ``scenarios`` lists them, ``init`` copies them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import folder_bytes
from typer.testing import CliRunner

import cgt_sim
from cgt_sim import library
from cgt_sim.cli import app
from cgt_sim.errors import ResultError, ScenarioError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """A current folder outside the checkout, with no scenarios/ or calibration/ of its own."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_the_library_is_the_repository_s_files():
    # an editable install maps the packages onto the checkout: one source of truth
    assert sorted(library.names()) == sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    assert library.names()[0] == "baseline"
    assert library.targets_file().read_bytes() == (ROOT / "calibration" / "targets.yaml").read_bytes()


def test_a_library_name_loads_from_any_folder(elsewhere):
    by_name = cgt_sim.load_scenario("baseline")
    by_path = cgt_sim.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    assert by_name.values == by_path.values and by_name.name == "baseline"
    assert by_name.calibrated  # the baseline's calibrated: file ships with it
    assert cgt_sim.load_scenario("faster_approval.yaml").name == "faster_approval"  # with .yaml too


def test_a_file_wins_over_a_library_name(elsewhere):
    (elsewhere / "baseline").write_text("name: mine\nset:\n  regulatory.ind_review_working_days: 33\n")
    sc = cgt_sim.load_scenario("baseline")
    assert sc.name == "mine" and sc.value("regulatory.ind_review_working_days") == 33.0


def test_a_path_is_never_a_library_name(elsewhere):
    with pytest.raises(ScenarioError, match="^scenarios/baseline.yaml: file not found"):
        cgt_sim.load_scenario("scenarios/baseline.yaml")


def test_an_unknown_name_lists_the_library(elsewhere):
    with pytest.raises(ScenarioError, match=r"^baselin: file not found: baselin, nor a scenario of the library "
                                            r"\(baseline, .*payment_reform_cdmo_only; cgt-sim scenarios lists "
                                            r"them\)$"):
        cgt_sim.load_scenario("baselin")


def test_defaults_are_the_current_folder_s_files_else_the_library_s(elsewhere):
    assert library.default_targets() == library.targets_file()
    assert library.default_scenario() == library.scenarios_folder() / "baseline.yaml"
    library.copy_library(elsewhere)
    assert library.default_targets() == Path("calibration/targets.yaml")
    assert library.default_scenario() == Path("scenarios/baseline.yaml")


def test_run_by_name_from_any_folder(elsewhere):
    result = CliRunner().invoke(app, ["run", "baseline", "-r", "1", "--until", "2016", "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert (elsewhere / "results" / "baseline" / "manifest.json").is_file()


def test_scenarios_lists_every_library_scenario(elsewhere):
    result = CliRunner().invoke(app, ["scenarios"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    listed = [line.split("│")[1].strip() for line in result.output.splitlines() if line.startswith("│ ")]
    assert [n for n in listed if n] == library.names()
    for entry in library.entries():
        assert entry["source"].split()[0] in result.output


def test_init_copies_the_library_and_the_targets(elsewhere):
    result = CliRunner().invoke(app, ["init", "work"])
    assert result.exit_code == 0, result.output
    work = elsewhere / "work"
    assert sorted(p.name for p in (work / "scenarios").iterdir()) == sorted(f"{n}.yaml" for n in library.names())
    assert sorted(p.name for p in (work / "calibration").iterdir()) == ["fitted.yaml", "targets.yaml"]
    # the copies are the repository's layout: the copied baseline reads the copied fit
    sc = cgt_sim.load_scenario(work / "scenarios" / "baseline.yaml")
    assert set(sc.calibrated.values()) == {str(work / "calibration" / "fitted.yaml")}
    fitted = yaml.safe_load((work / "calibration" / "fitted.yaml").read_text())["parameters"]
    assert {k: sc.value(k) for k in fitted} == pytest.approx(fitted)


def test_init_never_replaces_a_file(elsewhere):
    (elsewhere / "work" / "calibration").mkdir(parents=True)
    (elsewhere / "work" / "calibration" / "targets.yaml").write_text("mine\n")
    before = folder_bytes(elsewhere)
    result = CliRunner().invoke(app, ["init", "work"])
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: work: already holds calibration/targets.yaml, which init would replace "
                                     "(nothing was written); choose a new folder")
    assert folder_bytes(elsewhere) == before
    with pytest.raises(ResultError, match="is a file, not a folder"):
        library.copy_library(elsewhere / "work" / "calibration" / "targets.yaml")
