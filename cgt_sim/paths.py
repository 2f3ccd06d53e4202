"""Paths as users give them."""

from __future__ import annotations

from pathlib import Path

from .errors import ResultError, quoted


def user_path(path, error=ResultError) -> Path:
    """``path`` as a ``Path``, a leading ``~`` expanded to the home folder as a shell would
    (Python callers pass such paths in quotes, where no shell expands them). A path holding a
    NUL character, which no file name can, is an ``error`` (a ResultError unless the caller
    reads input: a ScenarioError) naming its first characters."""
    if "\x00" in str(path):
        raise error(quoted(str(path)), None, "a path cannot hold a NUL character (\\x00)")
    return Path(path).expanduser()


def path_exists(path) -> bool:
    """``Path.exists``, with a path the system cannot look up (a name too long, a NUL
    character) taken as absent rather than an error."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def same_file(recorded, path) -> bool:
    """Whether a file recorded in an output (as it was given then, relative to the folder the
    command ran in) is ``path``: the same file when both exist, else the same file name (the
    record may come from another folder or machine)."""
    recorded, path = user_path(str(recorded)), user_path(path)
    if path_exists(recorded) and path_exists(path):
        return recorded.resolve() == path.resolve()
    return recorded.name == path.name
