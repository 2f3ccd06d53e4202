"""Paths as users give them."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import OptionError, ResultError, quoted


def user_path(path, error=ResultError, argument: str = "path") -> Path:
    """``path`` as a ``Path``, a leading ``~`` expanded to the home folder as a shell would
    (Python callers pass such paths in quotes, where no shell expands them). A path holding a
    NUL character, which no file name can, is an ``error`` (a ResultError unless the caller
    reads input: a ScenarioError) naming its first characters; anything but text or a path
    (a number, None, a list) is an OptionError naming ``argument``, the caller's argument."""
    if not isinstance(path, (str, os.PathLike)):
        raise OptionError(argument, f"must be a path (text or a pathlib.Path), not {quoted(path)} "
                          f"({type(path).__name__})")
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
