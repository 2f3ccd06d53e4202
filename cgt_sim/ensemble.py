"""Ensembles of parameter sets: runs whose replications take their parameters from a history match.

An ensemble file (``calibration/ensemble.parquet``, written by ``cgt-sim calibrate --method
history-matching``) holds N parameter sets that are not implausible given the calibration
targets: a row per member, a column per free parameter, and the member's wave and check
results. Its Parquet metadata (key ``cgt_sim``) records what it was made for: the scenario
file, the targets file, the free parameters and their ranges, the seed and the package version.

A run over an ensemble gives replication r the parameter set of member ``order[r mod N]``,
``order`` being a permutation of the members drawn from the root seed alone; so every member
serves equally often (r mod N), replication r takes the same member in every scenario of a
comparison (with the same random streams: common random numbers pair parameter sets as well
as luck), and results do not depend on the executor or the number of workers.

The members play the part of the point fit (``calibrated:``): a member's values replace the
values the scenario takes from its calibration (or from the catalogue's defaults). A parameter
that the scenario itself (a what-if's ``set``, ``overrides``, a grid) sets keeps the scenario's
value, and the manifest lists it under ``kept``; an ensemble parameter the scenario declares
uncertain is refused.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import OptionError, ResultError, ScenarioError
from .parameters import CATALOGUE
from .paths import path_exists, same_file, user_path
from .scenario import Scenario, _suggest, read_yaml

META_KEY = b"cgt_sim"
KIND = "ensemble"
WRITTEN_BY = "an ensemble file written by cgt-sim calibrate --method history-matching"
# columns beside the parameters: the member's number, its wave, its check by the simulator
MEMBER = "member"


@dataclass(frozen=True, eq=False)
class Ensemble:
    """The members of an ensemble file: ``values[i, j]`` is member i's value of ``keys[j]``."""

    path: str
    keys: tuple
    values: np.ndarray = field(repr=False)
    meta: dict = field(repr=False)

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        return f"Ensemble({self.path!r}, {len(self)} members, {len(self.keys)} parameters)"

    @functools.cached_property
    def digest(self) -> str:
        """A fingerprint of the members (parameter names and values, to the bit)."""
        h = hashlib.sha256(json.dumps(list(self.keys)).encode())
        h.update(np.ascontiguousarray(self.values, dtype="<f8").tobytes())
        return h.hexdigest()

    def member(self, seed: int, replication: int) -> int:
        """The member that replication ``replication`` of a run from root ``seed`` takes."""
        order = member_order(seed, len(self))
        return int(order[replication % len(order)])

    def draw(self, scenario: Scenario, seed: int, replication: int) -> tuple[int, dict]:
        """(member, {parameter: value}) of one replication: the member's values of the
        parameters it varies in ``scenario`` (see ``varied``), whole-number ones rounded."""
        m = self.member(seed, replication)
        out = {}
        for key in self.varied(scenario):
            x = float(self.values[m, self.keys.index(key)])
            out[key] = float(round(x)) if CATALOGUE[key].kind == "int" else x
        return m, out

    def varied(self, scenario: Scenario) -> list[str]:
        """The ensemble's parameters that take the members' values in ``scenario``: those it
        takes from its calibration or the catalogue's defaults and does not declare uncertain."""
        return [k for k in self.keys if (k in scenario.calibrated or scenario.origin.get(k, "default") == "default")
                and k not in scenario.uncertain]

    def describe(self, scenario: Scenario) -> dict:
        """What a manifest records of the ensemble a scenario runs over."""
        varied = self.varied(scenario)
        return {"file": self.path, "sha256": self.digest, "members": len(self), "parameters": varied,
                "kept": [k for k in self.keys if k not in varied],
                "made_for": {"scenario": self.meta.get("scenario"), "targets": self.meta.get("targets_file")}}


@functools.lru_cache(maxsize=16)
def member_order(seed: int, n: int) -> np.ndarray:
    """The permutation of ``n`` members that replications take in turn, from the root seed alone
    (a stream of its own: no replication's streams are touched)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x656E73]))  # "ens"
    order = rng.permutation(n)
    order.setflags(write=False)
    return order


# ------------------------------------------------------------------------------- reading

def read_meta(path: Path) -> dict | None:
    """The cgt-sim record of an ensemble file, or None when ``path`` is not one."""
    import pyarrow.parquet as pq

    try:
        raw = (pq.read_schema(path).metadata or {}).get(META_KEY)
        meta = json.loads(raw) if raw else None
    except Exception:  # not Parquet, unreadable, no JSON: not an ensemble file
        return None
    return meta if isinstance(meta, dict) and meta.get("kind") == KIND else None


def load_ensemble(path) -> Ensemble:
    """Read an ensemble file; anything amiss is a ScenarioError naming the file (and the key)."""
    if isinstance(path, Ensemble):
        return path
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise OptionError("ensemble", f"must be the path of an ensemble file such as calibration/ensemble.parquet "
                          f"(got {path!r})")
    file = user_path(path)
    if not path_exists(file) or file.is_dir():
        raise ScenarioError(path, None, "file not found" if not path_exists(file) else "is a folder, not an "
                            "ensemble file")
    meta = read_meta(file)
    if meta is None:
        raise ScenarioError(path, None, f"is not {WRITTEN_BY}")
    import pandas as pd

    keys = meta.get("parameters")
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        raise ScenarioError(path, "parameters", "the file records no parameters; write it again with cgt-sim "
                            "calibrate --method history-matching")
    for key in keys:
        p = CATALOGUE.get(key)
        if p is None:
            raise ScenarioError(path, key, "unknown parameter" + _suggest(key, CATALOGUE)
                                + "; the ensemble was made for another version of the model")
        if p.kind not in ("float", "int") or key.startswith("simulation."):
            raise ScenarioError(path, key, "is not a model parameter an ensemble can vary")
    try:
        table = pd.read_parquet(file, columns=keys)
    except Exception as exc:
        raise ScenarioError(path, None, f"cannot be read ({type(exc).__name__}: "
                            f"{(str(exc).splitlines() or [''])[0]})") from None
    if not len(table):
        raise ScenarioError(path, None, "holds no parameter set (the history match ruled out every one)")
    values = table.to_numpy(dtype=float)
    for j, key in enumerate(keys):
        p, column = CATALOGUE[key], values[:, j]
        bad = ~np.isfinite(column)
        if p.low is not None:
            bad |= column < p.low
        if p.high is not None:
            bad |= column > p.high
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ScenarioError(path, key, f"member {first} has {float(column[first])!r}, outside the parameter's "
                                f"valid range {p.range_text()}")
    values.setflags(write=False)
    return Ensemble(str(path), tuple(keys), values, meta)


# ------------------------------------------------------------------------------- attaching

def attach(scenario: Scenario, ensemble) -> Scenario:
    """A copy of ``scenario`` whose replications take their parameters from ``ensemble`` (an
    ``Ensemble`` or the path of an ensemble file). Refused (ScenarioError naming the file) when
    the ensemble was made for a scenario that ``scenario`` does not extend, for targets other
    than those of the scenario's calibration, or over a parameter the scenario declares
    uncertain."""
    ens = load_ensemble(ensemble)
    meta = ens.meta
    made_for = meta.get("scenario")
    if made_for and not any(same_file(made_for, f) for f in scenario.files):
        files = " <- ".join(reversed([Path(f).name for f in scenario.files])) or "no scenario file"
        raise ScenarioError(ens.path, None, f"was made for {made_for}, which the scenario ({files}) does not "
                            "extend; make an ensemble for it (calibrate with the history-matching method)")
    targets = meta.get("targets_file")
    for fitted in sorted(set(scenario.calibrated.values())):
        recorded = _fitted_targets(fitted)
        if targets and recorded and not same_file(targets, recorded):
            raise ScenarioError(ens.path, None, f"was made for the targets {targets}, but the scenario is calibrated "
                                f"to {recorded} ({fitted}); make an ensemble for those targets")
    both = [k for k in ens.keys if k in scenario.uncertain]
    if both:
        where = scenario.uncertain[both[0]].declared_in or "the scenario"
        raise ScenarioError(ens.path, both[0], f"is uncertain in {where}; an ensemble member gives it its value: "
                            "leave it certain, or run without the ensemble")
    out = scenario._copy()
    out.ensemble = ens
    return out


def _fitted_targets(fitted) -> str | None:
    """The targets file a fitted file records (None when it records none)."""
    try:
        data = read_yaml(Path(fitted))
    except ScenarioError:
        return None
    found = data.get("targets_file") if isinstance(data, dict) else None
    return str(found) if found else None


# ------------------------------------------------------------------------------- writing

def check_ensemble_target(path) -> None:
    """An ensemble file may replace an earlier ensemble file, never another file: raise
    ResultError naming ``path`` otherwise (before any work)."""
    from .storage import check_writable

    file = user_path(path)
    if path_exists(file) and (file.is_dir() or read_meta(file) is None):
        raise ResultError(path, None, f"exists and is not {WRITTEN_BY} (nothing was written); choose another `out`")
    check_writable(file)


def write_ensemble(path, table, meta: dict) -> Path:
    """Write ``table`` (a DataFrame: ``member``, the parameters of ``meta['parameters']`` and
    the members' other columns) with ``meta`` as the file's cgt-sim record, atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    file = user_path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    t = pa.Table.from_pandas(table, preserve_index=False)
    record = json.dumps({"kind": KIND, **meta}, default=_plain).encode()
    t = t.replace_schema_metadata({**(t.schema.metadata or {}), META_KEY: record})
    tmp = file.parent / f".{file.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        pq.write_table(t, tmp)
        os.replace(tmp, file)
    finally:
        if tmp.exists():
            tmp.unlink()
    return file


def _plain(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o) if math.isfinite(o) else None
    return str(o)
