"""The scenario library and the calibration files, as shipped inside the package.

The files live at the top of the repository (``scenarios/*.yaml``, ``calibration/targets.yaml``
and ``fitted.yaml``) and are installed as the packages ``cgt_sim.library.scenarios`` and
``cgt_sim.library.calibration`` (an editable install maps those names onto the folders of the
checkout), so they are found through ``importlib.resources`` from any folder. Their layout is
the repository's: the baseline's ``calibrated: ../calibration/fitted.yaml`` holds in both.

A scenario is asked for by path or by name: a path that exists is that file; otherwise a plain
name (``baseline`` or ``baseline.yaml``, no folder) is the library's scenario of that name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from importlib.resources import files
from pathlib import Path

from ..paths import path_exists, user_path

CALIBRATION_FILES = ("targets.yaml", "fitted.yaml")


def _folder(package: str) -> Path:
    # installed as files (a wheel or an editable install): the folder itself, so that a scenario's
    # relative extends/calibrated paths resolve as in the repository
    return Path(str(files(package)))


def scenarios_folder() -> Path:
    """The folder of the library's scenario files."""
    return _folder(f"{__name__}.scenarios")


def calibration_folder() -> Path:
    """The folder of the library's targets.yaml and fitted.yaml."""
    return _folder(f"{__name__}.calibration")


def scenario_files() -> list[Path]:
    """The library's scenario files, baseline first, then by name."""
    found = sorted(scenarios_folder().glob("*.yaml"))
    return sorted(found, key=lambda p: (p.stem != "baseline", p.stem))


def names() -> list[str]:
    """The names by which the library's scenarios are asked for (their file names without .yaml)."""
    return [p.stem for p in scenario_files()]


def library_scenario(name) -> Path | None:
    """The library's file for a plain scenario name (``baseline`` or ``baseline.yaml``), or None
    when ``name`` has a folder in it or the library has no scenario of that name."""
    text = str(name)
    if not text or os.sep in text or "/" in text or (os.altsep and os.altsep in text):
        return None
    stem = text[:-5] if text.endswith(".yaml") else text
    return next((p for p in scenario_files() if p.stem == stem), None)


def scenario_path(path) -> Path:
    """Where a scenario asked for as ``path`` is read from: the file ``path`` when it exists (a
    file wins over a library name), else the library's scenario of that name, else ``path`` as
    given (its absence is reported where it is read)."""
    given = Path(os.path.normpath(user_path(path)))
    if path_exists(given):
        return given
    return library_scenario(path) or given


def targets_file() -> Path:
    """The library's calibration targets."""
    return calibration_folder() / "targets.yaml"


def default_targets() -> Path:
    """The targets a command uses when none is given: calibration/targets.yaml of the current
    folder (a checkout, or a folder made by ``cgt-sim init``), else the library's."""
    here = Path("calibration") / "targets.yaml"
    return here if here.is_file() else targets_file()


def default_scenario() -> Path:
    """The scenario a command uses when none is given: scenarios/baseline.yaml of the current
    folder (a checkout, or a folder made by ``cgt-sim init``), else the library's baseline."""
    here = Path("scenarios") / "baseline.yaml"
    return here if here.is_file() else scenarios_folder() / "baseline.yaml"


def entries() -> list[dict]:
    """Each library scenario's name (as it is asked for), the name it gives its results,
    description, source and file."""
    import yaml

    out = []
    for p in scenario_files():
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        text = {k: " ".join(str(data.get(k) or "").split()) for k in ("description", "source")}
        out.append({"name": p.stem, "scenario": str(data.get("name", p.stem)), **text, "file": str(p)})
    return out


def copies(folder) -> list[tuple[Path, Path]]:
    """(library file, its copy in ``folder``) for every file ``init`` copies: the scenarios into
    ``folder/scenarios/``, targets.yaml and fitted.yaml into ``folder/calibration/`` (the
    repository's layout, so the copied baseline reads the copied fit)."""
    folder = user_path(folder)
    pairs = [(p, folder / "scenarios" / p.name) for p in scenario_files()]
    pairs += [(calibration_folder() / n, folder / "calibration" / n) for n in CALIBRATION_FILES]
    return pairs


def copy_library(folder) -> list[Path]:
    """Copy the library and the calibration files into ``folder`` for editing (see ``copies``);
    return the files written. A file that is already there is never replaced: ``ResultError``
    naming it, and nothing is written."""
    from ..errors import ResultError

    folder = user_path(folder)
    pairs = copies(folder)
    if path_exists(folder) and not folder.is_dir():
        raise ResultError(folder, None, "is a file, not a folder (nothing was written); choose a new folder")
    there = [copy for _, copy in pairs if os.path.lexists(copy)]
    if there:
        more = f" and {len(there) - 1} more" if len(there) > 1 else ""
        raise ResultError(folder, None, f"already holds {there[0].relative_to(folder).as_posix()}{more}, which "
                          "init would replace (nothing was written); choose a new folder")
    written: list[Path] = []
    made = [p for p in [folder, *folder.parents] if not p.exists()][::-1]  # folders made for it, outermost first
    try:
        for source, copy in pairs:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy)
            written.append(copy)
    except BaseException as exc:
        for copy in written:  # all or nothing
            copy.unlink(missing_ok=True)
        for sub in (folder / "scenarios", folder / "calibration", *made[::-1]):
            with contextlib.suppress(OSError):
                sub.rmdir()  # (only when empty: a folder that was there keeps what it held)
        if isinstance(exc, OSError):
            raise ResultError(folder, None, f"cannot be written ({exc.strerror or exc}); choose another "
                              "place") from None
        raise
    return written
