"""Which code made a result: the package version and a fingerprint of the model's source.

The version comes from git tags (setuptools-scm): a release is ``v0.2.0``; a commit after it,
or a checkout without a release tag, is a development version such as
``0.2.1.dev12+g1a2b3c4``. An editable install keeps the version it was installed with until it
is installed again, so the version alone cannot tell two states of the model apart. The
fingerprint can: a hash of the source of every module whose change changes what a replication
produces (``MODEL_SOURCES``), read from the installed package once per process. A checkpoint
and a saved result record it; ``run(resume=True)`` and ``compare`` of saved results refuse
parts or results made by other model code unless told otherwise (``allow_other_model``).
"""

from __future__ import annotations

import functools
import hashlib
from importlib.resources import files
from pathlib import Path

# the modules whose source decides what a replication produces: the model itself, the parameter
# catalogue (defaults, ranges), the dated values and calendar, and the declared output columns
MODEL_SOURCES = ("model/*.py", "parameters.py", "timeline.py", "outputs.py")
UNKNOWN_VERSION = "0+unknown"  # a source tree used without being installed


@functools.cache
def package_version() -> str:
    """The installed package's version (from its git tag when it was built or installed); read
    once per process."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cgt-sim")
    except PackageNotFoundError:
        return UNKNOWN_VERSION


@functools.cache
def model_fingerprint() -> str:
    """The fingerprint of this package's model code (see ``fingerprint``), computed once per process."""
    return fingerprint(Path(str(files("cgt_sim"))))


def fingerprint(root: Path) -> str:
    """A 16-hex-digit hash of the model's source in the package folder ``root``
    (``MODEL_SOURCES``, in path order, with their paths; line ends taken as ``\\n``)."""
    found = sorted({p for pattern in MODEL_SOURCES for p in root.glob(pattern)})
    digest = hashlib.sha256()
    for path in found:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return digest.hexdigest()[:16]


def made_by() -> dict:
    """What a manifest records of the code that made a result."""
    return {"package_version": package_version(), "model_fingerprint": model_fingerprint()}


def other_model(found, wanted) -> str | None:
    """Why results recorded with model fingerprint ``found`` were made by other code than
    ``wanted`` (None when the fingerprints are the same)."""
    if found == wanted:
        return None
    if found is None:
        return "was made by a cgt-sim that did not record its model code (before 0.2)"
    return f"was made by other model code (model fingerprint {found}, not {wanted})"
