"""Finished replications of a run in progress, kept on disk so that an interrupted run resumes.

While ``run(..., out=DIR)`` works it writes each group of finished replications as a part (one
Parquet file per table) into ``DIR.partial/parts/part-<first>-<last>/``, renamed into place
when complete, and records in ``DIR.partial/checkpoint.json`` what the parts are replications
of: the resolved scenario parameters, the root seed and the model code (its fingerprint, see
``provenance``; the package version is recorded beside it). A resumed run refuses parts made with
anything else, since replication r depends on exactly these (other model code only when told
to take them: ``allow_other_model``). When the run completes, the result is saved to DIR and
the partial folder removed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from pathlib import Path

from .errors import OptionError, ScenarioError
from .paths import user_path
from .provenance import made_by, other_model
from .results import load_results, read_table
from .scenario import Scenario
from .storage import check_result_folder, check_writable, read_json

TABLES = ("annual", "programs", "products", "sampled")
KEY_FILE = "checkpoint.json"
PART = re.compile(r"part-(\d+)-(\d+)")


def partial_path(out) -> Path:
    out = user_path(out)
    return out.parent / f"{out.name}.partial"


def identity(scenario: Scenario, seed: int, programs: str = "all") -> dict:
    """What a replication's stored tables depend on, in the plain form stored beside them."""
    sc = scenario.to_dict()
    key = {"seed": seed, "parameters": sc["parameters"], "uncertain": sc["uncertain"], **made_by(),
           "programs": programs}
    return json.loads(json.dumps(key, default=str))


def _held_replications(out: Path) -> list[int]:
    """The replications a finished result in ``out`` holds, sorted ([] when unreadable)."""
    import pandas as pd

    try:
        reps = pd.read_parquet(out / "annual.parquet", columns=["replication"])["replication"]
        return sorted(int(r) for r in reps.unique())
    except Exception:  # a damaged table: load_results names it when the result is read
        return []


def mismatch(found: dict, wanted: dict, allow_other_model: bool = False) -> str | None:
    """Why results made for ``found`` cannot join a run for ``wanted`` (None when they can);
    ``allow_other_model``: results of other model code may join."""
    if found.get("seed") != wanted["seed"]:
        return f"was made with seed {found.get('seed')}, not {wanted['seed']}"
    other = other_model(found.get("model_fingerprint"), wanted["model_fingerprint"])
    if other and not allow_other_model:
        return f"{other}, by cgt-sim {found.get('package_version')}"
    if found.get("programs", "all") != wanted["programs"]:
        return f"keeps {found.get('programs', 'all')} program rows, not {wanted['programs']} (`programs`)"
    horizon = "simulation.horizon_year"
    if found.get("parameters", {}).get(horizon) not in (None, wanted["parameters"].get(horizon)):
        return (f"runs to {found['parameters'][horizon]}, not {wanted['parameters'][horizon]} "
                "(`until`, or the scenario's horizon)")
    differ = [k for k in wanted["parameters"] if found.get("parameters", {}).get(k) != wanted["parameters"][k]]
    differ += [k for k in sorted(set(found.get("uncertain", {})) | set(wanted["uncertain"]))
               if found.get("uncertain", {}).get(k) != wanted["uncertain"].get(k)]
    differ = list(dict.fromkeys(differ))  # a key fixed by --set differs in both
    if differ:
        shown = ", ".join(differ[:3]) + (f" and {len(differ) - 3} more" if len(differ) > 3 else "")
        return f"was made with a different scenario ({shown} {'differs' if len(differ) == 1 else 'differ'})"
    return None


class Checkpoint:
    """The partial folder of the result folder ``out``."""

    def __init__(self, out, allow_other_model: bool = False):
        self.out = user_path(out)
        self.path = partial_path(self.out)
        self.parts = self.path / "parts"
        self.allow_other_model = allow_other_model  # parts of other model code may be resumed
        self.other_model: str | None = None  # the fingerprint of such parts, once resumed
        self.made: list[Path] = []  # folders made for the partial folder, deepest first

    # ------------------------------------------------------------------ before anything runs

    def part_names(self) -> list[tuple[int, int, Path]]:
        if not self.parts.is_dir():
            return []
        found = []
        for p in self.parts.iterdir():
            m = PART.fullmatch(p.name)
            if m and p.is_dir():
                found.append((int(m.group(1)), int(m.group(2)), p))
        return sorted(found)

    def finished(self) -> int:
        """Replications held by the parts."""
        return sum(last - first + 1 for first, last, _ in self.part_names())

    def check(self, ident: dict, resume: bool, replications: int | None = None) -> None:
        """Raise ScenarioError if the run cannot write here (or resume from here); writes nothing.
        ``replications``: what a resumed run asks for (None: no fixed count), which must not drop
        replications of a finished result."""
        check_result_folder(self.out, "run")
        check_writable(self.path)
        if self.path.exists() and not self.path.is_dir():
            raise ScenarioError(self.path, None, "exists and is not a folder of unfinished replications; "
                                "remove it or choose another `out`")
        held = self.finished()
        if not resume:
            if held:
                raise ScenarioError(self.path, None, f"holds {held} finished replication{'s' * (held != 1)} of an "
                                    "unfinished run; "
                                    "add `resume` to complete it, or (when no run into it is still going) delete the "
                                    "folder to start afresh")
            return
        # a resumed run completes the unfinished parts, or else the finished result in out
        manifest = None
        if held:
            where, found = self.path, read_json(self.path / KEY_FILE)
        elif (self.out / "manifest.json").exists():
            manifest = read_json(self.out / "manifest.json")
            where, found = self.out, _made_from(manifest)
        else:
            return
        advice = "resume with the same scenario, `overrides`, `until`, `seed` and `programs`, or choose another `out`"
        if found is None:
            why = "has no readable record of its seed and scenario"
        else:
            why = mismatch(found, ident, allow_other_model=True)
            if why is None:  # all but the model is the same: the code that made it
                why = mismatch(found, ident, self.allow_other_model)
                advice = ("run them again with this code (delete it, or choose another `out`), or add "
                          "`allow_other_model` to take them as they are")
        if why:
            raise OptionError("resume", f"{where} {why}; {advice}")
        # finished replications are never dropped: not from a finished result, not from the
        # parts of an unfinished run
        if held:
            reps = [r for first, last, _ in self.part_names() for r in range(first, last + 1)]
            what, need = f"holds {held} finished replications of an unfinished run", max(reps) + 1
        else:
            need = manifest.get("replications")
            reps = _held_replications(self.out)
            if reps != list(range(len(reps))):  # a result cut down to some replications by hand
                shown = ", ".join(map(str, reps[:4])) + (", ..." if len(reps) > 4 else "")
                raise OptionError("resume", f"{where} holds replications {shown}, not the first "
                                    f"{len(reps)} from 0 that a run makes; resuming needs those (run without "
                                    "`resume` to replace it, or choose another `out`)")
            what = f"holds a finished result of {need} replications"
        drop = sum(r >= replications for r in reps) if replications is not None else 0
        if drop:
            raise OptionError("replications", f"{where} {what}; resuming it with {replications} "
                                f"would drop {drop}: ask for {need} or more, or choose another `out`")

    def complete(self, ident: dict, replications: int) -> bool:
        """Whether ``out`` already holds the finished result of exactly ``replications``
        replications made from ``ident`` and no unfinished run is pending (resuming it is a no-op)."""
        if self.finished():
            return False
        m = read_json(self.out / "manifest.json")
        return (m is not None and mismatch(_made_from(m), ident, self.allow_other_model) is None
                and m.get("replications") == replications
                and _held_replications(self.out) == list(range(replications)))

    # ------------------------------------------------------------------ while running

    def start(self, ident: dict, resume: bool, replications: int | None = None) -> list[tuple[list[int], dict]]:
        """Open the partial folder; return the finished parts to reuse ([] unless resuming):
        those in the partial folder and the replications of a finished result in ``out``."""
        self.check(ident, resume, replications)
        reuse = []
        if resume:
            reuse = [(list(range(first, last + 1)), read_part(p)) for first, last, p in self.part_names()]
            if reuse:
                self._note_other_model(read_json(self.path / KEY_FILE), ident)
            found = _made_from(read_json(self.out / "manifest.json"))
            if found is not None and mismatch(found, ident, self.allow_other_model) is None:
                self._note_other_model(found, ident)
                res = load_results(self.out)
                reps = sorted(int(r) for r in res.annual["replication"].unique())
                if reps == list(range(len(reps))):
                    reuse.append((reps, {"annual": res.annual, "programs": res.programs,
                                         "products": res.products, "sampled": res.sampled}))
        else:
            shutil.rmtree(self.path, ignore_errors=True)  # holds no finished replication (checked)
        self.made = [p for p in self.path.parents if not p.exists()]
        self.parts.mkdir(parents=True, exist_ok=True)
        for p in self.parts.iterdir():  # parts cut short while being written
            if p.name.startswith(".tmp-"):
                shutil.rmtree(p, ignore_errors=True)
        key = self.path / KEY_FILE
        tmp = self.path / f".{KEY_FILE}.tmp"
        tmp.write_text(json.dumps(ident, indent=1))
        os.replace(tmp, key)
        return reuse

    def _note_other_model(self, found: dict | None, ident: dict) -> None:
        """Remember the model fingerprint of replications taken over from other model code."""
        fingerprint = (found or {}).get("model_fingerprint")
        if fingerprint != ident["model_fingerprint"]:
            self.other_model = str(fingerprint)

    def write(self, reps: list[int], frames: dict) -> None:
        """Write one part (contiguous replications ``reps``) atomically. A part already written
        is left as it is: a Ctrl-C just after its rename leaves the runner to write it again."""
        target = self.parts / f"part-{reps[0]:06d}-{reps[-1]:06d}"
        if target.is_dir():
            return
        tmp = self.parts / f".tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            for name in TABLES:
                frames[name].to_parquet(tmp / f"{name}.parquet", index=False)
            os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def remove(self) -> None:
        """Remove the partial folder, and the folders made for it that are left empty (a run
        that fails leaves no folder behind)."""
        shutil.rmtree(self.path, ignore_errors=True)
        for folder in self.made:
            try:
                folder.rmdir()
            except OSError:  # not empty: the result is there, or something of the user's
                break


def _made_from(manifest: dict | None) -> dict | None:
    """What a finished result was made from, from its manifest (None without one)."""
    if manifest is None:
        return None
    sc = manifest.get("scenario", {})
    return {"seed": manifest.get("seed"), "parameters": sc.get("parameters", {}),
            "uncertain": sc.get("uncertain", {}), "package_version": manifest.get("package_version"),
            "model_fingerprint": manifest.get("model_fingerprint"), "programs": manifest.get("programs", "all")}


def read_part(folder: Path) -> dict:
    """The tables of one finished part; a damaged part is a ScenarioError naming it."""
    return {name: read_table(folder / f"{name}.parquet", "delete this part to run its replications again")
            for name in TABLES}
