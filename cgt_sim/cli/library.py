"""``cgt-sim scenarios`` and ``cgt-sim init``: the scenario library shipped with the package."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import CgtSimError
from .app import app
from .common import fail, print_table


@app.command()
def scenarios():
    """List the scenario library: each scenario runs by name from any folder (cgt-sim run baseline)."""
    from .. import library

    rows = [[e["name"], _first_sentence(e["description"]), e["source"]] for e in library.entries()]
    print_table(f"scenario library ({library.scenarios_folder()})", ["name", "description", "source"], rows)
    typer.echo("run one by name (cgt-sim run baseline); a file of that name in the current folder wins. "
               "cgt-sim init DIR copies them to edit.")


def _first_sentence(text: str, most: int = 110) -> str:
    """What a scenario is, in its description's first sentence (cut at a word past ``most`` characters)."""
    text = text.split(". ")[0].rstrip(".")
    return text if len(text) <= most else text[:most].rsplit(" ", 1)[0] + " ..."


@app.command()
def init(folder: Path = typer.Argument(..., help="folder to copy the library into (new, or without these files)")):
    """Copy the scenario library and the calibration targets into a folder, to edit and run."""
    from .. import library

    try:
        written = library.copy_library(folder)
    except CgtSimError as exc:
        fail(exc)
    scenarios_written = sum(1 for p in written if p.parent.name == "scenarios")
    typer.echo(f"copied {scenarios_written} scenarios into {folder / 'scenarios'}/ and "
               f"{', '.join(library.CALIBRATION_FILES)} into {folder / 'calibration'}/; "
               f"e.g. cd {folder} && cgt-sim run scenarios/baseline.yaml")
