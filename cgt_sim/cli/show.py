"""``cgt-sim show`` and ``cgt-sim schema``: the resolved parameter tree, and the scenario files' JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import CgtSimError, quoted
from ..parameters import CATALOGUE
from ..scenario import default_scenario, fitted_targets, load_scenario, value_text
from ..schema import key_prefixes, scenario_json_schema
from ..sources import cite
from .app import app
from .common import fail, parse_sets


@app.command()
def show(
    scenario: Path = typer.Argument(..., help="scenario YAML file, or the name of one of the library "
                                              "(cgt-sim scenarios)"),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="override a parameter: key=value (repeatable)"),
    as_json: bool = typer.Option(False, "--json", help="print the resolved scenario as JSON"),
    only: Optional[str] = typer.Option(None, "--only", help="show only keys starting with this prefix, e.g. market"),
):
    """Print the resolved parameter tree: value, unit, valid range, source, and who set it."""
    try:
        sc = load_scenario(scenario, parse_sets(set_))
    except CgtSimError as exc:
        fail(exc)
    if only is not None and not any(key.startswith(only) for key in CATALOGUE):
        fail(_unknown_prefix(only))
    if as_json:
        data = sc.to_dict()
        if only:
            for part in ("parameters", "origin", "uncertain", "levers"):
                if part in data:
                    data[part] = {k: v for k, v in data[part].items() if k.startswith(only)}
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    typer.echo(f"# {sc.name}: {sc.description}" if sc.description else f"# {sc.name}")
    if sc.source:
        typer.echo(f"# source: {'; '.join(cite(part.strip()) for part in sc.source.split(','))}")
    typer.echo(f"# files: {' <- '.join(reversed(sc.files)) or '(defaults)'}")
    sources = source_texts(sc)
    section = None
    for key, p in CATALOGUE.items():
        if only and not key.startswith(only):
            continue
        head = key.split(".")[0]
        if head != section:
            section = head
            typer.echo(f"\n[{section}]")
        origin = sc.origin.get(key, "default")
        marker = "" if origin == "default" else f"   <- set in {origin}"
        unc = sc.uncertain.get(key)
        unc_text = (f"   ~ {unc.dist}({', '.join(f'{k}={v}' for k, v in unc.args.items())})"
                    + (f" declared in {unc.declared_in}" if unc.declared_in else "")) if unc else ""
        lever = sc.levers.get(key)
        if lever:
            unc_text += (f"   lever: {lever.dist}({', '.join(f'{k}={v}' for k, v in lever.args.items())})"
                         + (f" declared in {lever.declared_in}" if lever.declared_in else ""))
        outside = origin != "default" and key not in sc.calibrated and _outside_plausible(p, sc.values[key])
        typer.echo(f"  {key} = {value_text(key, sc.values[key])} {p.unit}{marker}{unc_text}"
                   + ("   (outside the plausible range)" if outside else ""))
        typer.echo(f"      range: {p.range_text()}" + (f"; plausible {p.plausible[0]:g} to {p.plausible[1]:g}"
                                                        if p.plausible else ""))
        typer.echo(f"      source: {sources[key]}")
        typer.echo(f"      {p.doc}")


def _outside_plausible(p, value) -> bool:
    """Whether a value (any value of a dated one) lies outside the parameter's plausible range
    (``show`` marks the values a scenario or --set chose so: a what-if beyond what the range
    takes as plausible)."""
    from ..timeline import Schedule

    if not p.plausible or isinstance(value, bool):
        return False
    values = value.values() if isinstance(value, Schedule) else [value]
    low, high = p.plausible
    return any(isinstance(v, (int, float)) and not low <= v <= high for v in values)


def _unknown_prefix(only: str) -> str:
    """The --only error: the closest prefix of a parameter key, and the sections."""
    from ..scenario import _suggest

    sections = dict.fromkeys(key.split(".")[0] for key in CATALOGUE)
    return (f"--only: no parameter starts with {quoted(only)}{_suggest(only, key_prefixes(CATALOGUE, whole=True))}; "
            "the sections are " + ", ".join(sections))


def source_texts(sc) -> dict:
    """Each parameter's source; a calibrated value cites the fitted file (and the targets it was
    fitted to) and the catalogue default it replaced; a value a scenario file or --set changed
    names where, and cites the source of the default it replaced as the default's (a what-if's
    value is the scenario's, not the source's). Each fitted file is read once."""
    targets = {f: fitted_targets(f) for f in set(sc.calibrated.values())}
    defaults = default_scenario().values
    cited: dict = {}
    out = {}
    for key, p in CATALOGUE.items():
        fitted = sc.calibrated.get(key)
        origin = sc.origin.get(key, "default")
        if fitted is None and origin != "default" and sc.values[key] != defaults[key]:
            if origin.endswith((".yaml", ".yml")):
                if origin not in cited:
                    cited[origin] = file_source(origin)
                where = (f"the value set in {origin} (source: {cited[origin]})" if cited[origin]
                         else f"the value set in {origin}, which cites no source (a what-if; a source: line there "
                              "would cite one)")
            else:
                where = f"the value given with {origin} (a what-if)"
            out[key] = f"{where}; catalogue default {value_text(key, defaults[key])}: {cite(p.source)}"
        elif fitted is None:
            out[key] = cite(p.source)
        else:
            out[key] = (f"calibrated ({fitted}, to the targets in {targets[fitted]}): {cite('calibrated')}; "
                        f"catalogue default {value_text(key, defaults[key])}: {cite(p.source)}")
    return out


def file_source(path) -> str:
    """The ``source:`` of a scenario file as written there (source keys, cited in full by the
    head of ``show`` for the scenario's own file); "" when it has none or cannot be read."""
    from ..scenario import read_yaml

    try:
        data = read_yaml(Path(path))
    except CgtSimError:
        return ""
    source = data.get("source") if isinstance(data, dict) else None
    if isinstance(source, list):
        source = ", ".join(str(s) for s in source)
    return " ".join(source.split()) if isinstance(source, str) else ""


@app.command()
def schema():
    """Print a JSON Schema for scenario files (for editor completion and validation)."""
    try:
        typer.echo(json.dumps(scenario_json_schema(), indent=2))
    except OSError as exc:  # e.g. redirected to a full disk
        fail(f"cannot write the schema ({exc.strerror or exc})")


