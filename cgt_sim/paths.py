"""Paths as users give them."""

from __future__ import annotations

from pathlib import Path


def user_path(path) -> Path:
    """``path`` as a ``Path``, a leading ``~`` expanded to the home folder as a shell would
    (Python callers pass such paths in quotes, where no shell expands them)."""
    return Path(path).expanduser()


def path_exists(path) -> bool:
    """``Path.exists``, with a path the system cannot look up (a name too long, say) taken as
    absent rather than an error."""
    try:
        return Path(path).exists()
    except OSError:
        return False
