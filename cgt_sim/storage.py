"""Where outputs go and how they are put there: each output is written whole into a temporary
folder and swapped in, replacing only an earlier output of cgt-sim's own (and of its kind) or an
empty folder; what each kind of output writes is listed here, so that replacing one removes only
those files and keeps a user's own.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import sys
import threading
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .errors import CgtSimError, ResultError, refused
from .locks import StaleNote, hold
from .paths import path_exists, user_path
from .safe_load import read_json as safe_read_json
from .safe_load import read_text
from .text import replications_text

# What cgt-sim writes into a folder of each kind (a sweep adds heatmap_<metric>.png per metric;
# report.py writes exactly the report's files, which its tests check: the difference charts with
# two results or more, difference_<metric>.png of other metrics when asked for them).
OUTPUT_FILES = {
    "run": ("manifest.json", "summary.csv", "annual", "programs", "products", "sampled",  # (folders of parts)
            "annual.parquet", "programs.parquet", "products.parquet", "sampled.parquet"),  # (earlier versions)
    "report": ("report.md", "report.html", "funnel.png", "spending.png", "indications.png",
               "cumulative_approvals.png", "patients_treated.png", "cogs_per_patient_cny.png",
               "net_price_per_patient_cny.png", "vein_to_vein_days_median.png", "manufacturing_utilisation.png",
               "difference_cumulative_approvals.png", "difference_patients_treated.png",
               "difference_cogs_per_patient_cny.png", "difference_net_price_per_patient_cny.png",
               "difference_vein_to_vein_days_median.png", "difference_manufacturing_utilisation.png"),
    "sweep": ("manifest.json", "sweep.csv", "sweep.parquet"),
    "sensitivity": ("manifest.json", "indices.csv", "samples.parquet", "second_order.csv", "indices.png"),
    "history-matching": ("manifest.json", "report.md", "waves.csv", "runs.parquet", "loo.csv", "constraints.csv",
                         "checked.csv", "waves.png", "loo.png", "constraints.png", "members.png"),
    "discovery": ("manifest.json", "report.md", "experiments.parquet", "peeling.csv", "box.csv", "peeling.png"),
}
RUN_TABLES = ("annual", "programs", "products", "sampled")  # a run's folders of Parquet parts


def _written_here(folder: Path, kind: str | None) -> set[str]:
    """The names of what cgt-sim wrote into ``folder``, an earlier output of ``kind``, as its
    manifest tells: heat maps (of a two-parameter grid) and Sobol's second-order indices only
    when it wrote them. A run's sampled.parquet is always its own: load_results would read a
    stale one as the draws."""
    names = set(OUTPUT_FILES.get(kind, ()))
    if kind == "report":  # difference charts of any metric
        names |= {p.name for p in folder.glob("difference_*.png")}
    if kind not in ("sweep", "sensitivity"):
        return names
    manifest = _read_manifest(folder) or {}
    if kind == "sweep":
        grid, metrics = manifest.get("grid") or {}, manifest.get("metrics") or []
        if isinstance(grid, dict) and len(grid) == 2:
            names |= {f"heatmap_{m}.png" for m in metrics if isinstance(m, str)}
    factors = manifest.get("factors")
    if kind == "sensitivity" and (manifest.get("method") != "sobol" or not isinstance(factors, list)
                                  or len(factors) < 2):  # Sobol's second order needs two factors
        names.discard("second_order.csv")
    return names


def _keep_users_files(old: Path, new: Path, moved: list) -> None:
    """Move what cgt-sim did not write in ``old`` (an earlier output) into ``new``, recording
    each move in ``moved`` as (from, to), or (None, folder) for a folder made, to undo them.
    The run's own report folder (``report``, as ``cgt-sim report`` makes it) gives up its
    report files and keeps the rest; every other folder inside is the user's and moves whole
    (a copy of an earlier report kept by hand, say)."""
    kind = earlier_output(old)
    ours = _written_here(old, kind)
    for entry in sorted(old.iterdir()):
        target = new / entry.name
        if entry.name in ours or os.path.lexists(target):  # replaced by the new output
            continue
        if (kind == "run" and entry.name == "report" and entry.is_dir() and not entry.is_symlink()
                and earlier_output(entry) == "report"):
            target.mkdir()
            moved.append((None, target))
            _keep_users_files(entry, target, moved)
            if not any(target.iterdir()):
                target.rmdir()
                moved.remove((None, target))
            continue
        os.replace(entry, target)
        moved.append((entry, target))


WRITTEN: list = []  # outputs this process has put in place (the command line names them after a Ctrl-C)


@contextlib.contextmanager
def sigint_deferred():
    """A Ctrl-C inside the block takes effect when the block ends (raised as KeyboardInterrupt
    then), so that a swap of folders and its cleanup are never cut in two. Only the main thread
    can catch Ctrl-C; elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed: list = []
    previous = signal.signal(signal.SIGINT, lambda *_: pressed.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
    if pressed:
        raise KeyboardInterrupt


@contextlib.contextmanager
def held(path):
    """Hold the lock of the output ``path`` (see ``locks``) inside the block, and first remove
    what a killed writer of it left beside it (see ``clean_strays``)."""
    with hold(path) as taken:
        if taken:  # (not again within a writer that holds it already)
            clean_strays(path)
        yield


_STRAY = re.compile(r"\.(?P<name>.+)\.(?P<what>tmp|old|probe)-[0-9a-f]{8}")


def _ours(folder: Path) -> bool:
    """Whether ``folder`` holds only files that cgt-sim writes into an output (no folder, no
    file of a user's that a swap had moved into it)."""
    names = {n for files in OUTPUT_FILES.values() for n in files}

    def own(e) -> bool:
        if e.is_symlink():
            return False
        if e.is_dir():  # a run's table: Parquet parts
            return e.name in RUN_TABLES and all(p.is_file() and not p.is_symlink()
                                                 and re.fullmatch(r"part-\d+-\d+\.parquet", p.name)
                                                 for p in e.iterdir())
        return e.is_file() and (e.name in names or re.fullmatch(r"heatmap_.+\.png", e.name) is not None)

    try:
        return all(own(e) for e in folder.iterdir())
    except OSError:
        return False


def clean_strays(path) -> list[str]:
    """Remove what a writer of ``path`` killed while it wrote (``kill -9``, a power cut) left
    beside it: temporary folders and files (``.<name>.tmp-*``), an earlier result moved aside
    for the swap (``.<name>.old-*``), probes. An earlier result moved aside with no result in
    its place is put back. A temporary folder that holds anything cgt-sim does not write (a
    user's files moved into it by the swap) is left, with a note. Call it holding the lock of
    ``path`` (no writer of ``path`` is running then). Returns the notes (also warned as
    ``StaleNote``)."""
    path = followed(user_path(path))
    try:
        strays = sorted(e for e in path.parent.iterdir() if (m := _STRAY.fullmatch(e.name)) and m["name"] == path.name)
    except OSError:
        return []
    notes = []
    olds = [e for e in strays if ".old-" in e.name]
    if olds and not path_exists(path) and len(olds) == 1 and not olds[0].is_symlink():
        with contextlib.suppress(OSError):
            os.replace(olds[0], path)
            notes.append(f"{path}: put back the earlier output that a killed write had moved aside to {olds[0].name}")
            strays.remove(olds[0])
    for stray in strays:
        kept = None
        if ".old-" in stray.name and not path_exists(path):  # several and none in place: the user chooses
            kept = f"an earlier output a killed write moved aside; rename the one to keep to {path.name}"
        elif stray.is_dir() and not stray.is_symlink() and ".tmp-" in stray.name and not _ours(stray):
            kept = "it holds files cgt-sim did not write; look inside, then remove it"
        elif stray.is_dir() and not stray.is_symlink():
            shutil.rmtree(stray, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                stray.unlink()
        if kept is not None:
            notes.append(f"{path}: left {stray.name}, left by a write that was killed: {kept}")
        elif not os.path.lexists(stray):
            notes.append(f"{path}: removed {stray.name}, left by a write that was killed")
    for note in notes:
        warnings.warn(note, StaleNote, stacklevel=3)
    return notes


@contextlib.contextmanager
def atomic_folder(path, kind: str | None = None, check=None):
    """Yield a new temporary folder beside ``path``; when the block ends without error it
    replaces ``path`` (an earlier result, see ``check_result_folder``) in one rename, otherwise
    it is removed and ``path`` is left as it was. What cgt-sim did not write in the earlier
    result (a user's notes, say, also inside a report folder there) is moved into the new one
    first: only the earlier output's own files are replaced. A ``path`` that is a symbolic
    link is written where it points. A Ctrl-C during the swap takes effect after it.
    ``check(path)``: what may be replaced, when not a result of ``kind``. The block runs holding
    the lock of ``path`` (see ``held``); an OSError in it (no space left, say) is a
    ``SystemRefused`` naming ``path``."""
    path = followed(user_path(path))
    with held(path):
        try:
            with _atomic_folder(path, kind, check) as tmp:
                yield tmp
        except OSError as exc:
            raise refused(exc, path) from None


@contextlib.contextmanager
def _atomic_folder(path: Path, kind: str | None, check):
    made = [p for p in path.parents if not p.exists()]  # folders made for it, deepest first
    if check is None:
        check_result_folder(path, kind)
    else:
        check(path)  # (a report folder's own rule)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for folder in made:  # nothing written: no empty folders left either
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    with sigint_deferred():
        old = None
        moved: list = []
        try:
            if path.exists():
                _keep_users_files(path, tmp, moved)
                old = path.parent / f".{path.name}.old-{uuid.uuid4().hex[:8]}"
                os.replace(path, old)
            os.replace(tmp, path)
        except BaseException:
            if old is not None and old.exists() and not path.exists():
                os.replace(old, path)  # put the previous result back
            for source, target in reversed(moved):  # with what was moved out of it
                if source is None:
                    with contextlib.suppress(OSError):
                        target.rmdir()
                elif os.path.lexists(target) and path.is_dir():
                    os.replace(target, source)
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        WRITTEN.append(path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


RESULT_KINDS = ("run", "sweep", "sensitivity", "history-matching", "discovery")
WRITTEN_BY = "cgt-sim"  # every manifest.json it writes says so
REPORT_TITLE = "# cgt-sim report: "  # the first line of every report.md (in English)
REPORT_TITLES = (REPORT_TITLE, "# cgt-sim 报告：")  # (in either language)


def result_kind(manifest) -> str | None:
    """"run", "sweep" or "sensitivity" for a manifest that cgt-sim wrote (earlier versions did
    not mark it, but always recorded the package version and the scenario); None otherwise."""
    if isinstance(manifest, dict) and (manifest.get("written_by") == WRITTEN_BY
                                       or {"package_version", "scenario"} <= manifest.keys()):
        kind = manifest.get("analysis", "run")
        return kind if kind in RESULT_KINDS else None
    return None


def read_json(file: Path) -> dict | None:
    """The JSON object in ``file``, or None when there is none, it is no JSON or no object
    (read within bounds: see ``safe_load``; a FIFO is not waited on)."""
    try:
        found = safe_read_json(file)
    except CgtSimError:
        return None
    return found if isinstance(found, dict) else None


def _read_manifest(folder: Path) -> dict | None:
    """The manifest.json of ``folder`` as a dict, or None (see ``read_json``)."""
    return read_json(folder / "manifest.json")


def earlier_run_text(folder) -> str | None:
    """"<scenario>, N replications to YYYY" for the run result in ``folder`` (before a new
    run replaces it), or None when the folder holds none."""
    manifest = _read_manifest(user_path(folder))
    if result_kind(manifest) != "run":
        return None
    scenario, replications = manifest.get("scenario"), manifest.get("replications")
    name = scenario.get("name") if isinstance(scenario, dict) else None
    name = name if isinstance(name, str) else "?"
    replications = replications if isinstance(replications, int) else "?"
    horizon = manifest.get("horizon_year")
    return f"{name}, {replications_text(replications)} to {horizon if isinstance(horizon, int) else '?'}"


def longer_run_text(folder, replications: int, horizon_year: int) -> str | None:
    """What a run of ``replications`` to ``horizon_year`` would lose by replacing the run
    result in ``folder``: "holds <scenario>, N replications to YYYY: more replications and a
    longer horizon than this run's M to YYYY", or None when the folder holds no run result
    with more replications or a longer horizon."""
    manifest = _read_manifest(user_path(folder))
    if result_kind(manifest) != "run":
        return None
    held, until = manifest.get("replications"), manifest.get("horizon_year")
    more = isinstance(held, int) and not isinstance(held, bool) and held > replications
    longer = isinstance(until, int) and not isinstance(until, bool) and until > horizon_year
    if not (more or longer):
        return None
    what = " and ".join(w for w, found in (("more replications", more), ("a longer horizon", longer)) if found)
    return (f"holds {earlier_run_text(folder)}: {what} than this run's {replications} to {horizon_year}")


def earlier_output(folder: Path) -> str | None:
    """What cgt-sim wrote into ``folder`` before: "run", "sweep" or "sensitivity" (a
    manifest.json that cgt-sim wrote), "report" (a report.md that starts with its title), or
    None. A file of the same name that another program wrote is not taken for one."""
    kind = result_kind(_read_manifest(folder))
    if kind is not None:
        return kind
    try:
        if read_text(folder / "report.md", 1 << 24, ResultError).startswith(REPORT_TITLES):
            return "report"
    except CgtSimError:  # none, not a file (a FIFO is not waited on), not text
        pass
    return None


def check_result_folder(out, kind: str | None = None) -> None:
    """A result may replace an earlier cgt-sim result of the same ``kind`` ("run", "sweep" or
    "sensitivity"; any kind when None) or an empty folder, never anything else, and its folder
    must be one that can be made: raise ResultError naming ``out`` otherwise."""
    out = followed(user_path(out))
    found = check_replaceable(out, RESULT_KINDS, "a cgt-sim result folder")
    if kind is not None and found is not None and found != kind:
        raise ResultError(out, None, f"holds a {found} result, which a {kind} result would replace "
                            "(nothing was written); choose another folder")
    check_writable(out)


def followed(path: Path) -> Path:
    """``path``, or where it points when it is a symbolic link (a result is written there); a
    link that loops is a ResultError naming it."""
    try:
        if not path.is_symlink():
            return path
    except OSError:  # a name the system cannot look up (too long): no link; writing it says why
        return path
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python raises either for a loop, by version
        raise ResultError(path, None, "is a symbolic link that loops; remove it or choose another place") from None


def check_replaceable(out: Path, kinds, what: str) -> str | None:
    """``out`` is new, an empty folder, or a folder holding an earlier cgt-sim output of one of
    ``kinds`` (``what``; see ``earlier_output``): return that kind (None for a new or empty
    folder); raise ResultError naming ``out`` otherwise."""
    if not path_exists(out):
        return None
    here = Path.cwd().resolve()
    if out.resolve() == here or out.resolve() in here.parents:
        raise ResultError(out, None, "is the current folder or holds it, which cannot be replaced "
                            "(nothing was written); give a folder inside it")
    if out.is_dir():
        found = earlier_output(out)
        if found in kinds:
            return found
        if not any(out.iterdir()):
            return None
    raise ResultError(out, None, f"exists and is not {what} (nothing was written); choose another folder")


def check_replaceable_file(path, written: Callable[[str], bool], what: str) -> str | None:
    """``path`` (a file to be written) is new or holds ``what``, as ``written(text)`` tells from
    its text: return that text (None when there is no file); raise ResultError naming
    ``path`` otherwise (a folder, an unreadable file or another file: a scenario, say)."""
    path = user_path(path)
    if not path_exists(path):
        return None
    try:
        text = read_text(path, 1 << 24, ResultError)
    except CgtSimError:  # a folder, a FIFO, a device, unreadable, not text
        text = None
    if text is None or not written(text):
        raise ResultError(path, None, f"exists and is not {what} (nothing was written); choose another `out`")
    return text


def check_writable(path) -> None:
    """``path`` (a file or folder to be written later) can be made: a probe folder is made and
    removed in the nearest folder above it that exists (no folder is made for it: a command
    that fails later leaves none behind). Raise ResultError naming ``path`` and the reason
    otherwise (before any work, not after it)."""
    path = user_path(path)
    above = path.absolute().parent
    while not above.exists() and above != above.parent:
        above = above.parent
    if not above.is_dir():
        raise ResultError(path, None, f"cannot be written: {above} is a file, not a folder")
    try:
        probe = above / f".{path.name}.probe-{uuid.uuid4().hex[:8]}"
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise refused(exc, path, "cannot be written", "choose another place") from None


def write_manifest(folder: Path, manifest: dict) -> None:
    """Write ``manifest`` as manifest.json, marked as cgt-sim's (see ``earlier_output``)."""
    marked = {"written_by": WRITTEN_BY, **manifest}
    (Path(folder) / "manifest.json").write_text(json.dumps(marked, indent=2, default=_json))


def _json(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    return str(o)


def release_memory() -> None:
    """Hand memory freed inside the C heap back to the system (glibc keeps freed blocks of its
    heap resident until trimmed; elsewhere this does nothing)."""
    if _TRIM is not None:
        _TRIM(0)


def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()
