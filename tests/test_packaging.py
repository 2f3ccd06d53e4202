"""What the package ships: every subpackage, the scenario library with what its scenarios
refer to, and the marker of its type hints."""

from __future__ import annotations

from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_subpackage_is_listed():
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "cgt_sim").rglob("__init__.py")}
    listed = set(SETUPTOOLS["packages"])
    assert folders <= listed, f"add to [tool.setuptools] packages: {sorted(folders - listed)}"
    assert listed - folders == {"cgt_sim.library.scenarios", "cgt_sim.library.calibration"}
    assert SETUPTOOLS["package-dir"] == {"cgt_sim.library.scenarios": "scenarios",
                                         "cgt_sim.library.calibration": "calibration"}


def test_the_files_scenarios_refer_to_ship_with_them():
    shipped = SETUPTOOLS["package-data"]["cgt_sim.library.calibration"]
    assert SETUPTOOLS["package-data"]["cgt_sim.library.scenarios"] == ["*.yaml"]
    for path in (ROOT / "scenarios").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        for key in ("extends", "calibrated"):
            if key in data:
                target = (path.parent / data[key]).resolve()
                assert target.parent in (ROOT / "scenarios", ROOT / "calibration"), (path.name, key)
                if target.parent.name == "calibration":
                    assert target.name in shipped, (path.name, key)
    assert "targets.yaml" in shipped  # validate's default
    assert (ROOT / "cgt_sim" / "py.typed").is_file() and "py.typed" in SETUPTOOLS["package-data"]["cgt_sim"]
