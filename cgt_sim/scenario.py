"""Scenario files: YAML loading, ``extends`` chains, dated values, uncertainty, validation.

A scenario file::

    name: faster_approval
    extends: baseline.yaml          # resolved relative to this file; cycles are an error
    description: IND review in 30 working days (Beijing pilot, article 004)
    source: A004                    # optional citation for the scenario as a whole
    calibrated: ../calibration/fitted.yaml   # optional: fitted values (cgt-sim calibrate)
    set:                            # dotted keys into the parameter catalogue
      regulatory.ind_review_working_days: {value: 30, from: 2025-04-01}
      market.nrdl_listing_hazard: {value: 0.3, from: 2026-01-01, to: 2028-01-01}   # ramp
      manufacturing.suites_2015.jiangsu: 20                                         # plain
    uncertain:                      # sampled once per replication
      manufacturing.cogs_annual_decline: {dist: triangular, low: 0.0, mode: 0.02, high: 0.08}
    levers:                         # policy choices a scenario discovery explores (runs keep the value)
      regulatory.ind_review_working_days: {dist: uniform, low: 30, high: 60}

Every problem is reported as one ``ScenarioError`` naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import math
import numbers
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Argument, OptionError, ScenarioError, quoted
from .parameters import CATALOGUE, Param
from .paths import path_exists, user_path
from .safe_load import read_yaml as safe_read_yaml
from .safe_load import yaml_text
from .timeline import Clock, Schedule, parse_date

if TYPE_CHECKING:
    from .ensemble import Ensemble

TOP_LEVEL_KEYS = {"name", "extends", "description", "source", "calibrated", "set", "uncertain", "levers", "notes"}
CHANGE_KEYS = {"value", "from", "to"}
DISTRIBUTIONS = {
    "uniform": ({"low", "high"}, set()),
    "triangular": ({"low", "mode", "high"}, set()),
    "normal": ({"mean", "sd"}, {"low", "high"}),
    "lognormal": ({"median", "sigma"}, {"low", "high"}),
    "choice": ({"values"}, {"weights"}),
}


# The arguments through which values reach a scenario from code (or the command line), and the
# origin each records (what ``cgt-sim show`` and the manifest name).
ORIGINS = {"--set": Argument("overrides", origin="--set"), "--grid": Argument("grid", origin="--grid"),
           "--until": Argument("until", origin="--until")}


def whole_number_at(u: float, low: float, high: float) -> int:
    """The whole number at ``u`` (in [0, 1)) of those from ``low`` to ``high``, each with an equal
    share of [0, 1) (rounding a uniform draw would give the two ends half a share each)."""
    lo, hi = math.ceil(low), math.floor(high)
    if hi <= lo:
        return int(round((low + high) / 2.0))
    return lo + min(int(u * (hi - lo + 1)), hi - lo)


@dataclass(frozen=True)
class Uncertain:
    """A distribution sampled once per replication for one parameter."""

    key: str
    dist: str
    args: dict
    declared_in: str = field(default="", compare=False)  # the file (or argument) that declared it

    def sample(self, rng) -> float:
        a = self.args
        param = CATALOGUE.get(self.key)
        whole = param is not None and param.kind == "int"
        if self.dist == "uniform" and whole:  # every whole number from low to high with equal chance
            x = whole_number_at(rng.uniform(0.0, 1.0), a["low"], a["high"])
        elif self.dist == "uniform":
            x = rng.uniform(a["low"], a["high"])
        elif self.dist == "triangular":
            if a["low"] == a["high"]:
                x = a["low"]
            else:
                x = rng.triangular(a["low"], a["mode"], a["high"])
        elif self.dist == "normal":
            x = rng.normal(a["mean"], a["sd"])
        elif self.dist == "lognormal":
            x = a["median"] * math.exp(a["sigma"] * rng.standard_normal())
        else:  # choice
            values = a["values"]
            weights = a.get("weights")
            p = None if weights is None else [w / sum(weights) for w in weights]
            x = values[rng.choice(len(values), p=p)]
        if "low" in a and self.dist in ("normal", "lognormal"):
            x = max(x, a["low"])
        if "high" in a and self.dist in ("normal", "lognormal"):
            x = min(x, a["high"])
        if param is not None and param.low is not None:  # never leave the parameter's valid range
            x = max(x, param.low)
        if param is not None and param.high is not None:
            x = min(x, param.high)
        if whole:
            x = round(x)  # the whole number the model uses (and records as drawn)
        return float(x)

    def bounds(self) -> tuple[float, float]:
        """Support of the distribution (for sensitivity analysis and validation).

        Unbounded normal and lognormal distributions are cut at 3 standard deviations (of the
        log for lognormal); like ``sample``, the result stays within the parameter's valid range.
        """
        a = self.args
        if self.dist in ("uniform", "triangular"):
            lo, hi = float(a["low"]), float(a["high"])
        elif self.dist == "choice":
            lo, hi = float(min(a["values"])), float(max(a["values"]))
        elif self.dist == "normal":
            lo = float(a.get("low", a["mean"] - 3 * a["sd"]))
            hi = float(a.get("high", a["mean"] + 3 * a["sd"]))
        else:
            lo = float(a.get("low", a["median"] * math.exp(-3 * a["sigma"])))
            hi = float(a.get("high", a["median"] * math.exp(3 * a["sigma"])))
        param = CATALOGUE.get(self.key)
        if param is not None and param.low is not None:
            lo, hi = max(lo, param.low), max(hi, param.low)
        if param is not None and param.high is not None:
            lo, hi = min(lo, param.high), min(hi, param.high)
        return lo, hi

    def to_dict(self) -> dict:
        return {"dist": self.dist, **self.args}


@dataclass(repr=False)
class Scenario:
    """A fully resolved scenario: every parameter has a value, and we know where it came from."""

    name: str
    description: str = ""
    path: str | None = None
    source: str = ""  # the citation of the scenario as a whole (its own file's ``source``)
    values: dict = field(default_factory=dict)  # key -> Schedule | bool | date
    origin: dict = field(default_factory=dict)  # key -> "default" or the file/'--set' that set it
    uncertain: dict = field(default_factory=dict)  # key -> Uncertain
    files: list = field(default_factory=list)  # the extends chain, base first
    calibrated: dict = field(default_factory=dict)  # key -> fitted file its value comes from
    levers: dict = field(default_factory=dict)  # key -> Uncertain: the range a scenario discovery explores
    ensemble: Ensemble | None = None  # an ensemble whose members replications take (see ensemble.attach)

    def __post_init__(self):
        if not self.values:  # Scenario(name="x"): the catalogue defaults, as a file without set gives
            for key, p in CATALOGUE.items():
                self.values[key] = _default_value(p)
                self.origin.setdefault(key, "default")

    def __repr__(self) -> str:  # short: the parameter tree is thousands of characters
        changed = sum(1 for origin in self.origin.values() if origin != "default")
        return (f"Scenario(name={self.name!r}, path={self.path!r}, {self.start_year}-{self.horizon_year}, "
                f"{len(self.values)} parameters ({changed} not at their defaults), "
                f"{len(self.uncertain)} uncertain)")

    @property
    def start_year(self) -> int:
        return int(self.values["simulation.start_year"].values()[0])

    @property
    def horizon_year(self) -> int:
        return int(self.values["simulation.horizon_year"].values()[0])

    @property
    def clock(self) -> Clock:
        """Simulation days of this scenario: day 0 is 1 January of its start year."""
        return Clock(dt.date(self.start_year, 1, 1))

    def value(self, key: str):
        """The value of a parameter: a float/int for constants, a Schedule when it changes."""
        v = self.values[key]
        if isinstance(v, Schedule):
            return _plain(CATALOGUE[key], v.values()[0]) if v.is_constant else v
        return v

    def _copy(self) -> Scenario:
        """A copy whose parameter tables can change without changing this scenario."""
        return Scenario(self.name, self.description, self.path, self.source, dict(self.values),
                        dict(self.origin), dict(self.uncertain), list(self.files), dict(self.calibrated),
                        dict(self.levers), self.ensemble)

    def with_overrides(self, overrides: dict | None, label: str = "--set") -> Scenario:
        """A copy with dotted-key overrides applied (values as in a scenario's ``set``).

        ``label``: where the values come from ("--set": ``overrides``, "--grid", "--until", or
        the name of an analysis), which the scenario records as their origin and errors name.
        An override of an uncertain parameter fixes it: its distribution is dropped."""
        label = ORIGINS.get(label, Argument(label))
        if overrides is not None and not isinstance(overrides, dict):
            raise ScenarioError(label, None, "must be a mapping of parameter keys to values, "
                                f"e.g. {{'regulatory.ind_review_working_days': 30}} (got {type(overrides).__name__})")
        for key in overrides or {}:
            if not isinstance(key, str):
                raise ScenarioError(label, None, f"a parameter key must be text such as "
                                    f"'regulatory.ind_review_working_days' (got {quoted(key)})")
        flat: dict = {}
        for key, raw in _flatten(overrides or {}, label, ""):  # nested keys, as in a file's set
            if key in flat:
                raise ScenarioError(label, key, "is given twice (nested and as a dotted key); give it once")
            flat[key] = raw
        sc = self._copy()
        for key, raw in flat.items():
            _apply_set(sc, label, key, raw)
        _check_consistency(sc, label)
        return sc

    def with_uncertain(self, uncertain: dict, fixed: set | frozenset = frozenset()) -> Scenario:
        """A copy that also draws the parameters of ``uncertain`` once per replication
        (``{dotted key: {"dist": ..., ...}}``, as a file's ``uncertain:`` block; keys may nest);
        ``fixed``: keys just given values, which may not also be uncertain."""
        label = Argument("uncertain")
        sc = self._copy()
        if not isinstance(uncertain, dict):
            raise ScenarioError(label, None, "must be a mapping of parameter keys to distributions, e.g. "
                                "{'market.cost_pass_through': {'dist': 'uniform', 'low': 0, 'high': 1}} "
                                f"(got {type(uncertain).__name__})")
        try:
            _apply_uncertain(sc, label, uncertain, set(fixed), "overrides")
        except ScenarioError as exc:  # the argument is the block itself: keys without "uncertain."
            key = exc.key[len("uncertain."):] if (exc.key or "").startswith("uncertain.") else exc.key
            raise ScenarioError(label, key, exc.message) from None
        _check_consistency(sc, label)
        return sc

    def to_dict(self) -> dict:
        """Plain-data form (for manifests): each parameter's value, dated values as knots."""
        out = {}
        for key in CATALOGUE:
            v = self.values[key]
            if isinstance(v, Schedule):
                if v.is_constant:
                    out[key] = _plain(CATALOGUE[key], v.values()[0])
                else:
                    out[key] = {"knots": [[d.isoformat(), val] for d, val in v.knots]}
            elif isinstance(v, dt.date):
                out[key] = v.isoformat()
            else:
                out[key] = v
        plain = {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "files": self.files,
            "parameters": out,
            "origin": {k: o for k, o in self.origin.items() if o != "default"},
            "uncertain": {k: u.to_dict() for k, u in self.uncertain.items()},
        }
        if self.levers:
            plain["levers"] = {k: u.to_dict() for k, u in self.levers.items()}
        if self.ensemble is not None:
            plain["ensemble"] = self.ensemble.describe(self)
        return plain


def value_text(key: str, v, start: dt.date = dt.date(2015, 1, 1)) -> str:
    """A value as show prints it; a dated one from ``start`` (the first simulated day) on."""
    p = CATALOGUE[key]
    if isinstance(v, Schedule):
        if v.is_constant:
            return _number_text(v.values()[0], p.kind)
        knots = [(start, v.value_on(start))] + [(d, val) for d, val in v.knots if d > start]
        parts = []
        prev = None
        for i, (d, val) in enumerate(knots):
            if i == 0:
                parts.append(_number_text(val, p.kind))
            elif d == prev[0]:
                if val != prev[1]:  # a step (one to the same value changes nothing)
                    parts.append(f"-> {_number_text(val, p.kind)} from {d.isoformat()}")
            elif val != prev[1]:  # a ramp, from the knot before it
                parts.append(f"~> {_number_text(val, p.kind)} from {prev[0].isoformat()} to {d.isoformat()}")
            prev = (d, val)
        return " ".join(parts)
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).lower() if isinstance(v, bool) else str(v)


def _number_text(x: float, kind: str) -> str:
    return str(int(round(x))) if kind == "int" else f"{x:.4g}"  # a ramp's knots can be interpolated


def _plain(param: Param, value):
    if param.kind == "int":
        return int(round(value))
    return float(value)


def default_scenario() -> Scenario:
    """The catalogue defaults, with no file."""
    return Scenario(name="defaults")


def _default_value(p: Param):
    if p.kind == "bool":
        return bool(p.default)
    if p.kind == "date":
        return parse_date(p.default)
    if isinstance(p.default, list):
        return Schedule(tuple((parse_date(d), float(v)) for d, v in p.default))
    return Schedule.constant(float(p.default))


def load_scenario(path, overrides: dict | None = None, use_calibrated: bool = True, *,
                  uncertain: dict | None = None) -> Scenario:
    """Load a scenario file (following ``extends``), validate it, and apply overrides
    (``{dotted key: value}``, a value in any form a file's ``set`` takes). ``path``: a file, or
    the name of a scenario of the library shipped with the package (``"baseline"``; a file of
    that name in the current folder wins).

    ``uncertain``: distributions to declare as well, as in a file's ``uncertain:`` block
    (``{dotted key: {"dist": "uniform", "low": ..., "high": ...}}``; a key may not also be in
    ``overrides``). ``use_calibrated=False`` ignores ``calibrated:`` files (their parameters
    keep the values they would have without the fit: what ``cgt-sim calibrate`` starts from).
    """
    if not isinstance(use_calibrated, bool):
        raise ScenarioError("use_calibrated", None, f"must be True or False (got {quoted(use_calibrated)})")
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ScenarioError("path", None, f"must be the path of a scenario file (got {quoted(path)})")
    sc = _load(_scenario_file(path), [], use_calibrated)
    sc = sc.with_overrides(overrides) if overrides else sc
    if uncertain is None:
        return sc
    given = {key for key, _ in _flatten(overrides, "overrides", "")} if isinstance(overrides, dict) else set()
    return sc.with_uncertain(uncertain, given)


def _scenario_file(path) -> Path:
    """The file of a scenario asked for by path or by library name (see ``library.scenario_path``);
    a plain name that is neither a file here nor in the library is refused with the library's names."""
    from . import library

    user_path(path, ScenarioError)  # a NUL character is refused naming the scenario
    found = library.scenario_path(path)
    if not path_exists(found) and Path(path).name == str(path):
        raise ScenarioError(path, None, f"file not found: {path}, nor a scenario of the library ("
                            + ", ".join(library.names()) + "; cgt-sim scenarios lists them)")
    return found


def yaml_value(text: str):
    """A value written in YAML (``--set``, ``--grid``), read as scenario files are read, within
    the same bounds (see ``safe_load``); ``safe_load.Unreadable`` (a ValueError) otherwise."""
    return yaml_text(text)


def read_yaml(path: Path, where=None, key: str | None = None):
    """Parse a YAML file (a regular file of bounded size, bounded nesting and aliases: see
    ``safe_load``). Problems raise ``ScenarioError`` naming the file; a missing file is
    reported against ``where``/``key`` (the file and key that refer to it) when given."""
    return safe_read_yaml(path, ScenarioError, where, key)


def _referenced(path: Path, name: str, key: str) -> Path:
    """The file that ``path`` names as ``name`` under ``key`` (relative to its folder), tidied:
    ``~`` expanded, ``..`` resolved by name."""
    if "\x00" in name:
        raise ScenarioError(path, key, f"{quoted(name)}: a path cannot hold a NUL character (\\x00)")
    return Path(os.path.normpath(path.parent / user_path(name, ScenarioError)))


def _read_yaml(path: Path, chain: list[tuple[Path, Path]]):
    data = read_yaml(path, chain[-1][1] if chain else None, "extends" if chain else None)
    if data is None or data == {}:  # nothing but blanks and comments, or an empty mapping
        raise ScenarioError(path, None, "the file is empty; a scenario needs at least a name (or extends)")
    if not isinstance(data, dict):
        raise ScenarioError(path, None, "a scenario must be a mapping of keys "
                            f"({', '.join(sorted(TOP_LEVEL_KEYS))})")
    return data


def _load(path: Path, chain: list[tuple[Path, Path]], use_calibrated: bool = True) -> Scenario:
    """``chain``: (resolved path, path as given) of the files that extend this one, nearest last."""
    resolved = path.resolve()
    below = [r for r, _ in chain]
    if resolved in below:
        cycle = " -> ".join(r.name for r in below + [resolved])
        raise ScenarioError(chain[-1][1], "extends", f"cyclic extends ({cycle})")
    data = _read_yaml(path, chain)
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise ScenarioError(path, key, "unknown key; allowed: " + ", ".join(sorted(TOP_LEVEL_KEYS))
                                + _suggest(str(key), TOP_LEVEL_KEYS))
    parent = data.get("extends")
    if "extends" in data:
        if not isinstance(parent, str) or not parent.strip():
            raise ScenarioError(path, "extends", "must be a file name such as baseline.yaml (without "
                                "extends, a scenario starts from the catalogue's defaults, not the baseline)")
        target = _referenced(path, parent, "extends")
        if path_exists(target) and target.is_dir():
            raise ScenarioError(path, "extends", f"{target} is a folder; give a scenario file in it, "
                                "such as baseline.yaml")
        if not target.suffix:
            target = target.with_suffix(".yaml")
        sc = _load(target, chain + [(resolved, path)], use_calibrated)
    else:
        sc = default_scenario()
    name = data.get("name", path.stem)
    if not isinstance(name, str):
        raise ScenarioError(path, "name", "must be text")
    _check_name(path, name, given="name" in data)
    text = {}
    for key in ("description", "source", "notes"):
        value = data.get(key, "")
        if key == "source" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = ", ".join(value)  # a list of source keys
        if not isinstance(value, str):
            raise ScenarioError(path, key, "must be text" + (" or a list of source keys" if key == "source" else ""))
        text[key] = value.strip()
    sc.name, sc.description, sc.source, sc.path = name, text["description"], text["source"], str(path)
    sc.files = sc.files + [str(path)]
    fitted = data.get("calibrated")
    if fitted is not None:
        if not isinstance(fitted, str) or not fitted.strip():
            raise ScenarioError(path, "calibrated", "must be a file name such as ../calibration/fitted.yaml")
        if use_calibrated:
            _apply_calibrated(sc, path, _referenced(path, fitted, "calibrated"))
    sets = data.get("set") or {}
    if not isinstance(sets, dict):
        raise ScenarioError(path, "set", "must be a mapping of parameter keys to values")
    given = set()
    for key, raw in _flatten(sets, path, "set"):
        if key in given:
            raise ScenarioError(path, f"set.{key}", "is given twice (nested and as a dotted key); give it once")
        _apply_set(sc, path, key, raw)
        given.add(key)
    _apply_uncertain(sc, path, data.get("uncertain") or {}, given, "this file's set")
    _apply_levers(sc, path, data.get("levers") or {}, given | set(_uncertain_keys(data)))
    _check_consistency(sc, path)
    return sc


def _uncertain_keys(data: dict) -> list[str]:
    block = data.get("uncertain")
    if not isinstance(block, dict):
        return []
    return [k for k, _ in _flatten(block, "", "uncertain", leaf=lambda v: isinstance(v, dict) and "dist" in v)]


def _apply_levers(sc: Scenario, path, block, taken: set) -> None:
    """Declare the policy choices of a ``levers`` block (a distribution per parameter, as in
    ``uncertain``: its range is what a scenario discovery explores; a run keeps the scenario's
    value). ``taken``: keys this file sets or declares uncertain, which may not also be levers.
    A lever may have dated values: a discovery's value then replaces the value of its last change."""
    if not isinstance(block, dict):
        raise ScenarioError(path, "levers", "must be a mapping of parameter keys to distributions")
    seen = set()
    for key, raw in _flatten(block, path, "levers", leaf=lambda v: isinstance(v, dict) and "dist" in v):
        if key in seen:
            raise ScenarioError(path, f"levers.{key}", "is given twice (nested and as a dotted key); give it once")
        seen.add(key)
        if key in taken:
            raise ScenarioError(path, f"levers.{key}", "is also in this file's set or uncertain: a lever is a "
                                "policy choice left open, not a value or an uncertainty")
        sc.uncertain.pop(key, None)  # a lever declared over an inherited uncertainty: a choice now
        sc.levers[key] = dataclasses.replace(_parse_uncertain(path, key, raw, None, "levers"), declared_in=str(path))


def _apply_uncertain(sc: Scenario, path, block, given: set, given_where: str) -> None:
    """Declare the distributions of an ``uncertain`` block (``given``: keys set alongside it,
    in ``given_where``, which may not also be uncertain)."""
    if not isinstance(block, dict):
        raise ScenarioError(path, "uncertain", "must be a mapping of parameter keys to distributions")
    drawn = set()
    for key, raw in _flatten(block, path, "uncertain", leaf=lambda v: isinstance(v, dict) and "dist" in v):
        if key in drawn:
            raise ScenarioError(path, f"uncertain.{key}", "is given twice (nested and as a dotted key); "
                                "give it once")
        drawn.add(key)
        if key in given:
            raise ScenarioError(path, f"uncertain.{key}", f"is also in {given_where}: give a value or a "
                                "distribution, not both")
        sc.levers.pop(key, None)  # an inherited lever declared uncertain: drawn now
        sc.uncertain[key] = dataclasses.replace(_parse_uncertain(path, key, raw, sc.values), declared_in=str(path))


NAME_CHARS = "letters, digits, _, - and ."
_NAME = re.compile(r"[\w.-]+")


def _check_name(path, name: str, given: bool) -> None:
    """A scenario's name is its default result folder, results/<name>: it must stay inside."""
    if not given:  # the file's own name, held to the same rule
        if name.startswith(".") or not _NAME.fullmatch(name) or ".." in name:
            raise ScenarioError(path, "name", f"the file name gives the scenario name {quoted(name)}, which cannot "
                                f"name the result folder results/<name>; add a name: key ({NAME_CHARS}, "
                                "not starting with '.')")
        return
    if not name:
        raise ScenarioError(path, "name", f"must not be empty: it names the result folder results/<name>; "
                            f"use {NAME_CHARS}")
    if not _NAME.fullmatch(name) or ".." in name:
        raise ScenarioError(path, "name", f"{quoted(name)} cannot name the result folder results/<name>: use only "
                            f"{NAME_CHARS} (no '/', '\\', '..' or spaces)")
    if name.startswith("."):
        raise ScenarioError(path, "name", f"{quoted(name)} must not start with '.' (it names the result folder "
                            f"results/<name>); use {NAME_CHARS}")


def _flatten(mapping: dict, path, section, prefix="", leaf=None):
    """Yield (dotted key, value); nested mappings that are not values are walked."""
    leaf = leaf or _is_value
    for k, v in mapping.items():
        key = f"{prefix}{k}"
        label = f"{section}.{key}" if section else key
        if key in CATALOGUE or (isinstance(v, dict) and leaf(v)) or not isinstance(v, dict):
            if key not in CATALOGUE:
                raise ScenarioError(path, label, "unknown parameter" + _suggest(key, CATALOGUE))
            yield key, v
        elif not any(name.startswith(key + ".") for name in CATALOGUE):  # not a group: unknown, whatever it holds
            raise ScenarioError(path, label, "unknown parameter" + _suggest(key, CATALOGUE))
        elif not v:
            raise ScenarioError(path, label, "an empty mapping sets nothing" + _suggest(key, CATALOGUE))
        else:
            yield from _flatten(v, path, section, key + ".", leaf)


def _is_value(v) -> bool:
    return isinstance(v, dict) and (set(v) & (CHANGE_KEYS | {"steps"}))


def _suggest(key: str, options) -> str:
    if len(key) > 200:  # no parameter's name is that long: nothing close to suggest
        return ""
    members = [o[len(key) + 1:] for o in options if isinstance(o, str) and o.startswith(key + ".")]
    if members:  # a group such as market.nrdl_scope: one key per modality or cluster
        return f" ({key} is a group: give {key}.<{'|'.join(members)}>, or nest them under it)"
    close = difflib.get_close_matches(key, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


# Numeric parameters read once, at the start of a run: a dated value would never apply.
FIXED_FOR_RUN = ("simulation.", "manufacturing.suites_2015.")


def fixed_for_run(key: str) -> bool:
    """Whether parameter ``key`` holds for the whole run (no dated values)."""
    return key.startswith(FIXED_FOR_RUN)


def whole_number(value, name: str, least: int) -> int:
    """``value`` as an int when it is a whole number (a numpy one too) >= ``least``; otherwise an
    OptionError naming the argument ``name`` (``seed``, ``replications``...)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        raise OptionError(name, f"must be a whole number >= {least} (got {quoted(value)})")
    return int(value)


def check_values(sc: Scenario) -> None:
    """Every parameter of ``sc`` is known and every value (each step of a dated one) within its
    range: a Scenario's values may have been edited by hand (``sc.values[key] = ...``), which
    skips the checks that reading a file and ``with_overrides`` make; so may its uncertain
    parameters (``sc.uncertain[key] = Uncertain(...)``). Raises ScenarioError."""
    where = f"{sc.path} (changed after loading)" if sc.path else f"scenario {quoted(sc.name)}"
    if not isinstance(sc.name, str):
        raise ScenarioError(where, "name", f"must be text (got {type(sc.name).__name__})")
    _check_name(where, sc.name, given=True)  # Scenario(name=...) made in Python, or renamed
    for key, value in sc.values.items():
        p = CATALOGUE.get(key)
        if p is None:
            raise ScenarioError(where, key, "unknown parameter" + _suggest(str(key), CATALOGUE)
                                + " (set values with overrides, not by editing Scenario.values)")
        for v in value.values() if isinstance(value, Schedule) else [value]:
            _check_scalar(p, v, where, key)
    missing = [k for k in CATALOGUE if k not in sc.values]
    if missing:
        raise ScenarioError(where, missing[0], "has no value (a Scenario's values must hold every parameter)")
    for key, u in sc.uncertain.items():
        if not isinstance(u, Uncertain) or u.key != key:
            raise ScenarioError(where, f"uncertain.{key}", "must be the Uncertain of this key (declare "
                                "distributions with Scenario.with_uncertain, not by editing Scenario.uncertain)")
        if key not in CATALOGUE:
            raise ScenarioError(where, f"uncertain.{key}", "unknown parameter" + _suggest(str(key), CATALOGUE))
        _parse_uncertain(where, key, u.to_dict(), sc.values)


class AfterHorizonWarning(UserWarning):
    """A dated change that starts after the last simulated year: it has no effect in the run."""


def changes_after_horizon(sc: Scenario) -> list[tuple[str, str]]:
    """(key, day) of each parameter set by ``--set`` (or ``overrides``) whose first change after
    the last simulated day starts then: a step or a ramp that a run to ``sc``'s horizon never
    reaches. Changes from scenario files are left out (a file is meant for runs to several
    horizons), and a change given for another horizon is no error: this is a note."""
    end = dt.date(sc.horizon_year, 12, 31)
    late = []
    for key, v in sc.values.items():
        if sc.origin.get(key) == "--set" and isinstance(v, Schedule) and not v.is_constant:
            starts = [d0 for (d0, v0), (_, v1) in zip(v.knots, v.knots[1:]) if v1 != v0 and d0 > end]
            if starts:
                late.append((key, starts[0].isoformat()))
    return late


def after_horizon_notes(sc: Scenario) -> list[str]:
    return [f"{key}: its change from {day} comes after the last simulated year {sc.horizon_year} and has no "
            "effect in this run" for key, day in changes_after_horizon(sc)]


def check_run_counts(replications, seed, workers) -> tuple[int, int, int | None]:
    """``replications`` (>= 1), ``seed`` (>= 0) and ``workers`` (>= 1, or None for all cores)
    as ints; a ScenarioError naming the argument otherwise."""
    return (whole_number(replications, "replications", 1), whole_number(seed, "seed", 0),
            None if workers is None else whole_number(workers, "workers", 1))


def as_number(value) -> float | None:
    """A number, or text that reads as one (YAML 1.1 reads ``50e6`` as text); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):  # numpy numbers too
        try:
            return float(value)
        except OverflowError:  # a whole number too large for a float
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
        return float(value)
    return None


# a number written as text: plain ASCII digits, an optional point and exponent ("50e6", "1.5E-3")
_NUMBER_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _check_scalar(p: Param, value, where, key):
    """Validate one value for parameter p; return it as stored (float/bool/date)."""
    if p.kind == "bool":
        if not isinstance(value, bool):
            raise ScenarioError(where, key, f"must be true or false (got {quoted(value)})")
        return value
    if p.kind == "date":
        try:
            return parse_date(value)
        except ValueError:
            raise ScenarioError(where, key, f"must be a date such as 2026-01-01 (got {quoted(value)})") from None
    number = as_number(value)
    if number is None:
        raise ScenarioError(where, key, f"must be a number {p.range_text()} (got {quoted(value)})")
    value = number
    if math.isnan(value) or (p.low is not None and value < p.low) or (p.high is not None and value > p.high):
        raise ScenarioError(where, key, f"must be {p.range_text()} (got {value:g})")
    if p.kind == "int" and value != int(value):
        raise ScenarioError(where, key, f"must be a whole number {p.range_text()} (got {value:g})")
    return value


def _apply_set(sc: Scenario, where, key: str, raw):
    """Set one parameter; a value set after an ``uncertain`` declaration (by an extending file
    or an override) fixes the parameter, so its distribution is dropped."""
    label = key if isinstance(where, Argument) else f"set.{key}"
    p = CATALOGUE.get(key)
    if p is None:
        raise ScenarioError(where, label, "unknown parameter" + _suggest(key, CATALOGUE))
    if p.kind in ("bool", "date") or fixed_for_run(key):
        if isinstance(raw, (dict, list)):
            raise ScenarioError(where, label, f"cannot change over time; give {p.range_text()}")
        value = _check_scalar(p, raw, where, label)
        sc.values[key] = Schedule.constant(value) if p.kind in ("float", "int") else value
    else:
        sc.values[key] = _parse_schedule(p, raw, sc.values[key], where, label)
    sc.origin[key] = where.origin if isinstance(where, Argument) else str(where)
    sc.uncertain.pop(key, None)
    sc.levers.pop(key, None)
    sc.calibrated.pop(key, None)


def read_fitted(path: Path, where=None) -> dict:
    """The ``parameters`` mapping of a fitted file written by ``cgt-sim calibrate``."""
    data = read_yaml(path, where, "calibrated" if where is not None else None)
    params = data.get("parameters") if isinstance(data, dict) else None
    if where is not None and isinstance(data, dict) and "parameters" not in data:
        # no fitted file at all (a scenario file, say): the key that names it is what is wrong
        raise ScenarioError(where, "calibrated", f"{path} is not a fitted file written by cgt-sim calibrate "
                            "(it has no parameters)")
    if not isinstance(params, dict) or not params:
        raise ScenarioError(path, "parameters", "must map the fitted parameter keys to values "
                            "(write the file with cgt-sim calibrate)")
    return params


def fitted_targets(path) -> str:
    """The targets file a fitted file was fitted to, as ``cgt-sim calibrate`` recorded it, and
    whether the fit missed any of them."""
    data = read_yaml(Path(path))
    targets = data.get("targets_file") if isinstance(data, dict) else None
    text = str(targets) if targets else "targets not recorded"
    if isinstance(data, dict) and data.get("fitted_targets_pass") is False:
        text += ", which the fit missed in part"
    return text


def _apply_calibrated(sc: Scenario, where: Path, path: Path) -> None:
    """Set the parameters of a fitted file; its problems are reported against that file."""
    for key, value in read_fitted(path, where).items():
        if isinstance(value, (dict, list)):
            raise ScenarioError(path, f"parameters.{key}", "must be a plain value")
        try:
            _apply_set(sc, path, str(key), value)
        except ScenarioError as exc:
            raise ScenarioError(path, f"parameters.{key}", exc.message) from None
        sc.calibrated[str(key)] = str(path)


def _parse_schedule(p: Param, raw, current: Schedule, where, label, whole: bool = False) -> Schedule:
    if isinstance(raw, list):
        if not raw:
            raise ScenarioError(where, label, "an empty list changes nothing; give a value or a list of changes")
        sched = current
        latest = None  # (date, index) of the latest start so far
        for i, item in enumerate(raw):
            if i and not isinstance(item, (dict, list)):
                raise ScenarioError(where, f"{label}[{i}]", f"a plain value ({quoted(item)}) would replace every "
                                    "change before it; put it first, or give it a date: {value: ..., from: ...}")
            sched = _parse_schedule(p, item, sched, where, f"{label}[{i}]", whole=True)
            first = _first_date(item)
            ramp = isinstance(item, dict) and item.get("to") is not None  # starts from the value then
            if first is not None and latest is not None and (first < latest[0] or (first == latest[0] and not ramp)):
                when = "on the day of" if first == latest[0] else "before"
                raise ScenarioError(where, f"{label}[{i}]", f"starts on {first}, {when} the change on {latest[0]} "
                                    f"listed above it ([{latest[1]}]), which it would erase: list changes "
                                    "by their start, oldest first, one change a day")
            if first is not None and (latest is None or first >= latest[0]):
                latest = (first, i)
        return sched
    if not isinstance(raw, dict):
        return Schedule.constant(_check_scalar(p, raw, where, label))
    if "steps" in raw:
        extra = set(raw) - {"steps"}
        if extra:
            raise ScenarioError(where, label, f"steps stands alone: {', '.join(sorted(map(str, extra)))} cannot "
                                "go with it (give further changes as a list)")
        if not isinstance(raw["steps"], dict) or not raw["steps"]:
            raise ScenarioError(where, label, "steps must be a mapping of date: value")
        sched = current
        items = []
        for d, v in raw["steps"].items():
            try:
                day = parse_date(d)
            except ValueError as exc:
                raise ScenarioError(where, f"{label}.steps", str(exc)) from None
            same = [k for k, (other, _) in zip(raw["steps"], items) if other == day]
            if same:
                raise ScenarioError(where, f"{label}.steps", f"{d!s} and {same[0]!s} are the same day, "
                                    f"{day}; give one value a day")
            items.append((day, v))
        for d, v in sorted(items, key=lambda item: item[0]):
            sched = sched.then({"value": _check_scalar(p, v, where, f"{label}.steps.{d}"), "from": d})
        return sched
    unknown = set(raw) - CHANGE_KEYS
    if unknown:
        raise ScenarioError(where, f"{label}.{sorted(unknown)[0]}",
                            "unknown key in a dated value; allowed: value, from, to (or steps)")
    if "value" not in raw:
        raise ScenarioError(where, label, "a dated value needs 'value' (and 'from')")
    value = _check_scalar(p, raw["value"], where, f"{label}.value")
    if "from" not in raw:
        if "to" in raw:
            raise ScenarioError(where, label, "a ramp needs 'from' as well as 'to'")
        return Schedule.constant(value)
    try:
        changed = current.then({"value": value, "from": raw["from"], "to": raw.get("to")})
    except ValueError as exc:
        raise ScenarioError(where, label, str(exc)) from None
    # a lone dated value that leaves the path as it was is a mistake (the path a list spells out
    # may hold a step that only marks where a ramp starts)
    if not whole and isinstance(value, (int, float)) and not isinstance(value, bool) and changed.same_path(current):
        start = parse_date(raw["from"])
        since = [d for (d, v), (_, w) in zip(current.knots[1:], current.knots) if d <= start and v != w]
        if not since:  # nothing earlier to move: the value is simply the one already in force
            raise ScenarioError(where, label, f"changes nothing: the value on {start} is already {value:g}, "
                                "as it has been from the start")
        raise ScenarioError(where, label, f"changes nothing: the value on {start} is already {value:g} "
                            f"(since {since[-1]}). A dated value keeps the path before its date, earlier "
                            "changes (inherited ones too) included; to move or drop an earlier change give "
                            f"the whole path as a list, e.g. [{current.values()[0]:g}, {{value: {value:g}, "
                            f"from: {start}}}]")
    return changed


def _dates(item) -> list:
    """The dates on which a (checked) change given in a list starts or ends."""
    if isinstance(item, list):
        return [d for x in item for d in _dates(x)]
    if not isinstance(item, dict):
        return []
    if "steps" in item:
        return [parse_date(d) for d in item["steps"]]
    return [parse_date(item[k]) for k in ("from", "to") if item.get(k) is not None]


def _first_date(item):
    return min(_dates(item), default=None)


MAX_SIGMA = 20.0  # a lognormal's largest log-sd: 3 sigma is still a finite float (e^60)


def _parse_uncertain(path, key, raw, sc_values: dict | None = None, section: str = "uncertain") -> Uncertain:
    """A distribution of an ``uncertain`` (or ``levers``: ``section``) block; ``sc_values``: the
    scenario's values, to refuse a parameter with dated values (None: not checked)."""
    label = f"{section}.{key}"
    what = "uncertain" if section == "uncertain" else "a lever"
    p = CATALOGUE[key]
    if p.kind not in ("float", "int"):
        raise ScenarioError(path, label, f"only numeric parameters can be {what}")
    if key.startswith("simulation."):
        raise ScenarioError(path, label, f"is fixed for the whole run and cannot be {what}; give it in set")
    current = sc_values.get(key) if sc_values is not None else None
    if isinstance(current, Schedule) and not current.is_constant:
        dates = list(dict.fromkeys(d.isoformat() for d, _ in current.knots[1:]))  # a step is two knots on a day
        raise ScenarioError(path, label, "has dated values here (changes on " + ", ".join(dates[:3])
                            + (", ..." if len(dates) > 3 else "") + "): one draw per replication would replace "
                            "its whole path; set it to a constant first, or leave it certain")
    if not isinstance(raw, dict) or "dist" not in raw:
        raise ScenarioError(path, label, "must be a mapping with 'dist' (one of "
                            + ", ".join(DISTRIBUTIONS) + ")")
    dist = raw["dist"]
    if not isinstance(dist, str) or dist not in DISTRIBUTIONS:
        raise ScenarioError(path, f"{label}.dist", f"unknown distribution {quoted(dist)}; allowed: "
                            + ", ".join(DISTRIBUTIONS))
    need, optional = DISTRIBUTIONS[dist]
    args = {k: v for k, v in raw.items() if k != "dist"}
    extra = set(args) - need - optional
    if extra:  # before what is missing: a mistyped name (hi for high) is named as such
        allowed = sorted(need | optional)
        bad = sorted(extra, key=str)[0]
        close = difflib.get_close_matches(str(bad), allowed, n=1, cutoff=0.5)
        raise ScenarioError(path, f"{label}.{bad}", f"not a parameter of {dist}; allowed: {', '.join(allowed)}"
                            + (f" (did you mean {close[0]}?)" if close else ""))
    missing = need - set(args)
    if missing:
        raise ScenarioError(path, label, f"{dist} needs {', '.join(sorted(need))} "
                            f"(missing {', '.join(sorted(missing))})")
    if dist == "choice":
        vals = args["values"]
        if not isinstance(vals, list) or not vals:
            raise ScenarioError(path, f"{label}.values", "must be a non-empty list")
        args["values"] = [_check_scalar(p, v, path, f"{label}.values") for v in vals]
        w = args.get("weights")
        if w is not None:
            w = [as_number(x) for x in w] if isinstance(w, list) else None
            if (w is None or len(w) != len(vals) or any(x is None or not x >= 0 or math.isinf(x) for x in w)
                    or not 0 < sum(w) < math.inf):
                raise ScenarioError(path, f"{label}.weights", "must be non-negative numbers, one per value, not all 0, "
                                    "with a finite sum")
            args["weights"] = w
        return Uncertain(key, dist, args)
    for k in list(args):
        v = as_number(args[k])
        if v is None or not math.isfinite(v):
            raise ScenarioError(path, f"{label}.{k}", f"must be a finite number (got {quoted(args[k])})")
        args[k] = v
    if dist in ("uniform", "triangular"):
        for k in ("low", "high") + (("mode",) if dist == "triangular" else ()):
            _check_scalar(p, args[k], path, f"{label}.{k}")
        if args["low"] > args["high"] or (dist == "triangular" and not args["low"] <= args["mode"] <= args["high"]):
            raise ScenarioError(path, label, "needs low <= mode <= high" if dist == "triangular"
                                else "needs low <= high")
    elif dist == "normal" and args["sd"] < 0:
        raise ScenarioError(path, f"{label}.sd", "must be >= 0")
    elif dist == "lognormal" and (args["sigma"] < 0 or args["median"] <= 0):
        raise ScenarioError(path, label, "needs median > 0 and sigma >= 0")
    elif dist == "lognormal" and args["sigma"] > MAX_SIGMA:
        raise ScenarioError(path, f"{label}.sigma", f"must be at most {MAX_SIGMA:g} (a log-sd of "
                            f"{args['sigma']:g} spreads draws over hundreds of orders of magnitude)")
    for k in ("low", "high"):
        if k in args and dist in ("normal", "lognormal"):
            _check_scalar(p, args[k], path, f"{label}.{k}")
    if dist in ("normal", "lognormal"):
        _check_support(p, path, label, dist, args)
        centre = "mean" if dist == "normal" else "median"  # draws would pile up on a bound
        _check_scalar(p, args[centre], path, f"{label}.{centre}")
        if not args.get("low", -math.inf) <= args[centre] <= args.get("high", math.inf):
            raise ScenarioError(path, f"{label}.{centre}", f"must lie between low and high (got {args[centre]:g})")
    return Uncertain(key, dist, args)


def support_bounds(p: Param, dist: str) -> list[str]:
    """The cuts (low, high) a distribution needs so that every draw lies in the parameter's valid
    range: a normal can take any value and a lognormal any positive one."""
    if dist not in ("normal", "lognormal"):
        return []
    need = ["low"] if p.low is not None and (dist == "normal" or p.low > 0) else []
    return need + (["high"] if p.high is not None else [])


def _check_support(p: Param, path, label: str, dist: str, args: dict) -> None:
    """Every draw must lie in the parameter's valid range."""
    if "low" in args and "high" in args and args["low"] > args["high"]:
        raise ScenarioError(path, label, "needs low <= high")
    missing = [k for k in support_bounds(p, dist) if k not in args]
    if missing:
        need = " and ".join(missing)
        raise ScenarioError(path, label, f"must stay {p.range_text()}, the parameter's valid range, but a "
                            f"{dist} without {need} can leave it; give {need} {p.range_text()} (draws beyond "
                            "are set to them), or use uniform (low, high) or triangular (low, mode, high) "
                            "inside the range")


def _check_consistency(sc: Scenario, where):
    start, horizon = sc.start_year, sc.horizon_year
    if horizon < start:
        raise ScenarioError(where, "simulation.horizon_year",
                            f"must not be before simulation.start_year ({start}); got {horizon}")
    total = sum(sc.values[f"research.cluster_weight.{c}"].values()[0] for c in
                ("beijing", "jiangsu", "shanghai", "guangdong", "rest_of_china"))
    if total <= 0:
        raise ScenarioError(where, "research.cluster_weight", "at least one cluster weight must be > 0")
