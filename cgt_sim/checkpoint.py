"""Finished replications of a run in progress, kept on disk so that an interrupted run resumes.

While ``run(..., out=DIR)`` works it writes each group of finished replications as a part (one
Parquet file per table) into ``DIR.partial/parts/part-<first>-<last>/``, renamed into place
when complete, and records in ``DIR.partial/checkpoint.json`` what the parts are replications
of: the resolved scenario parameters, the root seed and the model code (its fingerprint, see
``provenance``; the package version is recorded beside it). A resumed run refuses parts made with
anything else, since replication r depends on exactly these (other model code only when told
to take them: ``allow_other_model``). When the run completes, the result is saved to DIR and
the partial folder removed: the parts' files become the result's dataset as they are (see
``results``; hard links where the file system has them), so a run never holds all its
replications in memory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from pathlib import Path

from .errors import CgtSimError, OptionError, ResultError, ScenarioError, refused
from .locks import hold
from .paths import user_path
from .provenance import made_by, other_model
from .records import arrow_types, check_manifest, check_record, table_problem
from .results import TABLES, dataset_files, part_name, place_file, read_table, write_dataset
from .scenario import Scenario
from .storage import atomic_folder, check_result_folder, check_writable, read_json

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
    if "ensemble" in sc:
        key["ensemble"] = _ensemble_key(sc["ensemble"])
    return json.loads(json.dumps(key, default=str))


def _ensemble_key(described) -> dict | None:
    """What replications depend on of the ensemble a run is over: its members (their
    fingerprint) and the parameters they vary (None without an ensemble)."""
    if not isinstance(described, dict):
        return None
    return {"sha256": described.get("sha256"), "parameters": described.get("parameters")}


def _drawn(ident: dict) -> list[str]:
    """The parameters a replication made from ``ident`` draws (its sampled table's columns
    beside replication and member): the uncertain ones and those an ensemble's member sets."""
    ensemble = ident.get("ensemble") or {}
    return [*(ident.get("uncertain") or {}), *(ensemble.get("parameters") or [])]


def _held_replications(out: Path) -> list[int]:
    """The replications a finished result in ``out`` holds, sorted ([] when unreadable): those
    its parts claim (their tables are checked before they are taken over), or those of its
    annual table (a result of an earlier version)."""
    import pandas as pd

    parts = _result_parts(out)
    if parts is not None:
        return [r for first, last, _ in parts for r in range(first, last + 1)]
    try:
        if not (out / "annual.parquet").is_file():  # (a FIFO would be waited on)
            return []
        reps = pd.read_parquet(out / "annual.parquet", columns=["replication"])["replication"]
        return sorted(int(r) for r in reps.unique())
    except Exception:  # a damaged table: load_results names it when the result is read
        return []


def _result_parts(out: Path) -> list[tuple[int, int, dict[str, Path]]] | None:
    """The parts of the finished result in ``out`` as (first, last, {table: file}), or None
    when it is not a dataset (none, an unreadable manifest, or a result of an earlier version);
    a ResultError naming the file when a part the manifest names is missing or not a file."""
    manifest = read_json(out / "manifest.json")
    if not isinstance(manifest, dict) or "layout" not in manifest:
        return None
    check_manifest(manifest, out / "manifest.json")
    files = dataset_files(out, manifest)
    parts = [(int(a), int(b)) for a, b in manifest["layout"]["parts"]]
    return [(a, b, {name: files[name][i] for name in TABLES}) for i, (a, b) in enumerate(parts)]


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
    have, want = found.get("ensemble"), wanted.get("ensemble")
    if have != want:
        if have is None or want is None:
            return f"was made {'without' if have is None else 'over'} an ensemble (`ensemble`)"
        which = "the same ensemble varying other parameters" if have.get("sha256") == want.get("sha256") else (
            "another ensemble")
        return f"was made over {which} (`ensemble`)"
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
        with hold(self.out):  # another run writing here is said first (its parts are not to be judged)
            pass
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
            if found is not None:
                check_record(found, self.path / KEY_FILE)
        elif (self.out / "manifest.json").exists():
            manifest = read_json(self.out / "manifest.json")
            if manifest is not None:
                check_manifest(manifest, self.out / "manifest.json")
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
            self._check_parts(ident)
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
            advice = "run without `resume` to replace the result"
            parts = _result_parts(self.out)
            if parts is None:  # a result of an earlier version: a file per table
                _check_tables(self.out, 0, len(reps) - 1, ident, advice)
            for first, last, files in parts or []:
                _check_tables(self.out, first, last, ident, advice, files)
        drop = sum(r >= replications for r in reps) if replications is not None else 0
        if drop:
            raise OptionError("replications", f"{where} {what}; resuming it with {replications} "
                                f"would drop {drop}: ask for {need} or more, or choose another `out`")

    def _check_parts(self, ident: dict) -> None:
        """Each part holds the replications its name claims, no other part claims them, and its
        tables have this version's columns and types: a ResultError naming the part otherwise."""
        last_seen = None
        for first, last, part in self.part_names():
            if last < first:
                raise ResultError(part, None, f"claims replications {first} to {last}, which is none; delete this "
                                  "part (its replications run again)")
            if last_seen is not None and first <= last_seen[1]:
                raise ResultError(part, None, f"claims replications {first}-{last}, which {last_seen[0].name} "
                                  "also claims; delete one of them (its replications run again)")
            _check_tables(part, first, last, ident, "delete this part (its replications run again)")
            last_seen = (part, last)

    def complete(self, ident: dict, replications: int) -> bool:
        """Whether ``out`` already holds the finished result of exactly ``replications``
        replications made from ``ident`` and no unfinished run is pending (resuming it is a no-op)."""
        if self.finished():
            return False
        m = read_json(self.out / "manifest.json")
        try:
            check_manifest(m, self.out / "manifest.json")
        except CgtSimError:
            return False
        return (m is not None and mismatch(_made_from(m), ident, self.allow_other_model) is None
                and m.get("replications") == replications
                and _held_replications(self.out) == list(range(replications)))

    # ------------------------------------------------------------------ while running

    def start(self, ident: dict, resume: bool, replications: int | None = None) -> None:
        """Open the partial folder. Resuming, the finished parts to reuse are then its parts:
        those it held, and the replications of a finished result in ``out`` (taken in as parts
        of their own; the result stays in ``out`` until the run replaces it)."""
        self.check(ident, resume, replications)
        taken = None
        if resume:
            if self.part_names():
                self._note_other_model(read_json(self.path / KEY_FILE), ident)
            found = _made_from(read_json(self.out / "manifest.json"))
            if found is not None and mismatch(found, ident, self.allow_other_model) is None:
                self._note_other_model(found, ident)
                taken = self.out
        else:
            shutil.rmtree(self.path, ignore_errors=True)  # holds no finished replication (checked)
        self.made = [p for p in self.path.parents if not p.exists()]
        key = self.path / KEY_FILE
        tmp = self.path / f".{KEY_FILE}.tmp"
        try:
            self.parts.mkdir(parents=True, exist_ok=True)
            for p in self.parts.iterdir():  # parts cut short while being written
                if p.name.startswith(".tmp-"):
                    shutil.rmtree(p, ignore_errors=True)
            tmp.write_text(json.dumps(ident, indent=1))
            os.replace(tmp, key)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if not self.finished():  # nothing of value in it: nothing left behind
                self.remove()
            raise refused(exc, self.path, "cannot be written (the folder of unfinished replications)") from None
        if taken is not None:
            self._take_result(taken)

    def _take_result(self, out: Path) -> None:
        """The replications of the finished result in ``out`` as parts of the partial folder
        (its files linked where the file system allows; a result of an earlier version read
        and written as one part), but for those a part there holds already."""
        held = [(first, last) for first, last, _ in self.part_names()]

        def free(first: int, last: int) -> bool:
            return not any(a <= last and first <= b for a, b in held)

        parts = _result_parts(out)
        if parts is None:  # a result of an earlier version (checked: replications 0..n-1)
            from .results import load_results

            reps = _held_replications(out)
            if not reps or not free(reps[0], reps[-1]):
                return
            res = load_results(out)
            frames = {"annual": res.annual, "programs": res.programs, "products": res.products,
                      "sampled": res.sampled}
            self.write(list(range(reps[0], reps[-1] + 1)), frames)
            return
        for first, last, files in parts:
            if free(first, last):
                self._write_part(first, last, lambda tmp, files=files: [
                    place_file(files[name], tmp / f"{name}.parquet") for name in TABLES])

    def _note_other_model(self, found: dict | None, ident: dict) -> None:
        """Remember the model fingerprint of replications taken over from other model code."""
        fingerprint = (found or {}).get("model_fingerprint")
        if fingerprint != ident["model_fingerprint"]:
            self.other_model = str(fingerprint)

    def write(self, reps: list[int], frames: dict) -> None:
        """Write one part (contiguous replications ``reps``) atomically. A part already written
        is left as it is: a Ctrl-C just after its rename leaves the runner to write it again."""
        self._write_part(reps[0], reps[-1], lambda tmp: [frames[name].to_parquet(tmp / f"{name}.parquet", index=False)
                                                         for name in TABLES])

    def _write_part(self, first: int, last: int, fill) -> None:
        """Make the part of replications ``first`` to ``last``: ``fill(folder)`` writes its
        tables into a temporary folder, renamed into place when complete."""
        target = self.parts / part_name(first, last)
        if target.is_dir():
            return
        tmp = self.parts / f".tmp-{uuid.uuid4().hex[:8]}"
        try:
            tmp.mkdir()
            fill(tmp)
            os.replace(tmp, target)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            held = self.finished()
            kept = (f"the {held} finished replication{'s' * (held != 1)} kept there stay, for `resume`" if held
                    else "nothing was written")
            raise refused(exc, self.path, "cannot be written (the folder of unfinished replications)", kept) from None
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

    def finish(self, manifest: dict, total: int) -> None:
        """Put the result of replications 0..``total``-1 in place in ``out``: the parts' files
        become its dataset (hard links where the file system has them, so the parts stay
        whole until the result is in place), with ``summary.csv`` read from them a few columns
        at a time and ``manifest``. A part that reaches beyond ``total`` (left by a larger
        run) gives only its first replications."""
        parts = []
        for first, last, folder in self.part_names():
            if first >= total:
                continue
            if last < total:
                parts.append((first, last, {name: folder / f"{name}.parquet" for name in TABLES}))
            else:  # (replications beyond the total stay out)
                frames = {name: df[df["replication"] < total].reset_index(drop=True)
                          for name, df in read_part(folder).items()}
                parts.append((first, total - 1, frames))
        with atomic_folder(self.out, "run") as tmp:
            write_dataset(tmp, parts, manifest)


def _check_tables(folder: Path, first: int, last: int, ident: dict, advice: str,
                  files: dict[str, Path] | None = None) -> None:
    """The tables in ``folder`` (a part, or a finished result: its ``files``, a part of its
    dataset, or a file per table of an earlier version) have this version's columns and
    types (see ``records``) and hold replications ``first`` to ``last`` (every one in annual
    and sampled; no other in any table): a ResultError naming the table and ``advice`` otherwise.
    Reads only the tables' schemas and replication columns."""
    import pandas as pd
    import pyarrow.parquet as pq

    claimed = set(range(first, last + 1))
    for name in TABLES:
        file = folder / f"{name}.parquet" if files is None else files[name]
        part = folder.name.startswith("part-")
        if name == "sampled" and not part and not file.exists() and not ident.get("uncertain"):
            continue  # a finished result without draws writes no sampled table
        try:
            if not file.is_file():
                raise ResultError(folder, None, f"has no {file.name}; {advice}")
            problem = table_problem(name, arrow_types(pq.read_schema(file)), _drawn(ident), "ensemble" in ident)
            reps = set(pd.read_parquet(file, columns=["replication"])["replication"].unique().tolist())
        except CgtSimError:
            raise
        except Exception as exc:  # pyarrow's errors for a damaged file
            reason = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
            raise ResultError(file, None, f"cannot be read ({type(exc).__name__}: {reason}); {advice}") from None
        shown = file.name if files is None else f"{name}/{file.name}"
        if problem:
            raise ResultError(folder, None, f"{shown}: {problem}, unlike the tables this version writes; {advice}")
        every = name in ("annual", "sampled")
        if (reps != claimed) if every else not reps <= claimed:
            found = f"{min(reps)}-{max(reps)}" if reps else "none"
            raise ResultError(folder, None, f"{shown} holds replications {found}, not the {first}-{last} its "
                              f"{'name' if part else 'manifest'} claims; {advice}")


def _made_from(manifest: dict | None) -> dict | None:
    """What a finished result was made from, from its manifest (None without one)."""
    if manifest is None:
        return None
    sc = manifest.get("scenario", {})
    made = {"seed": manifest.get("seed"), "parameters": sc.get("parameters", {}),
            "uncertain": sc.get("uncertain", {}), "package_version": manifest.get("package_version"),
            "model_fingerprint": manifest.get("model_fingerprint"), "programs": manifest.get("programs", "all")}
    if sc.get("ensemble") is not None:
        made["ensemble"] = _ensemble_key(sc["ensemble"])
    return made


def read_part(folder: Path) -> dict:
    """The tables of one finished part; a damaged part is a ScenarioError naming it."""
    return {name: read_table(folder / f"{name}.parquet", "delete this part to run its replications again")
            for name in TABLES}
