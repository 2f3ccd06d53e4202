"""The errors cgt-sim raises for input it cannot use: one small family, one line each.

``CgtSimError`` (a ``ValueError``) is the family; every member says in one line what was wrong
and where: ``<subject>: <key>: <message>``, the subject being a file, a folder or an argument.

- ``ScenarioError``: a scenario, targets or fitted file, or a parameter value given in Python
  (``overrides``) or on the command line (``--set``, ``--grid``): the file and the key.
- ``OptionError``: an argument of a Python function (``until``, ``replications``, ``metric``)
  that is out of range, of the wrong type or in conflict with another.
- ``ResultError``: a result folder or output file that cannot be read, written or replaced
  (one that another run is writing, too: see ``locks``); ``NoResult``, a folder that is not
  there or holds no result, is also a ``FileNotFoundError``.
- ``SystemRefused``: the operating system refused to read or write a file or folder (no space
  left, a name too long, no permission, a read-only file system, a FIFO or device where a file
  was expected is bad input instead); the command line exits with code 3 for it, not 2.

Each class carries the exit code the command line gives it (``exit_code``): 2 for bad input,
3 for a refusal of the system. A message quotes an offending value through ``quoted``: a short
prefix, never the whole of a value that can be megabytes long.

The library names things as Python callers know them: an argument by its Python name, and, in
a message, another argument in backquotes (``use `resume` to complete it``). The command line
shows the same line with its own option names (``--until``, ``--set``, ``--resume``):
``command_line(error, option_of)`` rewrites the subject and the backquoted names with a mapping
the command line owns.
"""

from __future__ import annotations

import errno as _errno
import os
import re
import reprlib
from collections.abc import Callable

# A line stays a line: its parts are cut (with "...") beyond these lengths, whatever a caller put
# into them (values are quoted short by ``quoted``; this is the net below it).
MAX_SUBJECT = 400
MAX_KEY = 200
MAX_MESSAGE = 2000
QUOTE = 60  # characters of an offending value a message quotes


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` on one line (control characters and line breaks written as escapes: a key or a
    file name can hold them) and at most ``limit`` characters."""
    text = str(text).translate(_ESCAPES)
    return text if len(text) <= limit else text[:limit - 3] + "..."


_cut = one_line


_ESCAPES = {c: repr(chr(c))[1:-1] for c in [*range(0x20), 0x7F, 0x85, 0x2028, 0x2029]}


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, QUOTE, QUOTE
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = _REPR.maxfrozenset = 6


def quoted(value, limit: int = QUOTE) -> str:
    """``repr(value)`` for a message, at most ``limit`` characters: text is cut to its first
    characters, nested values at a few items and levels before they are written out (a value
    built of aliases can stand for millions of items), and what is left at ``limit``, ending
    "..."."""
    try:
        text = repr(value[:limit + 1]) if isinstance(value, (str, bytes)) else _REPR.repr(value)
    except Exception:  # a value whose repr fails: its type names it
        text = f"<{type(value).__name__}>"
    return _cut(text, limit)


class Argument(str):
    """The name of a Python argument used where a file name would go (the subject of an error, or
    the origin of a value): ``Argument("overrides", origin="--set")``. ``origin`` is how the
    scenario records values given through it (``cgt-sim show`` names it)."""

    origin: str

    def __new__(cls, name: str, origin: str | None = None):
        self = super().__new__(cls, name)
        self.origin = origin or name
        return self


class CgtSimError(ValueError):
    """Input cgt-sim cannot use, as one line: ``subject: key: message``.

    ``subject``: the file, folder or argument; ``key``: the key within it (or None);
    ``message``: what is wrong and what would be right. Raised in a worker process, it travels
    back whole."""

    exit_code = 2  # what the command line exits with: bad input

    def __init__(self, subject, key, message: str, *, argument: bool = False):
        self.subject = _cut(str(subject), MAX_SUBJECT) if subject is not None else "<input>"
        self.key = _cut(key, MAX_KEY) if isinstance(key, str) else key
        self.message = _cut(str(message), MAX_MESSAGE)
        # the subject is an argument (a command-line option), not a path
        self.argument = argument or isinstance(subject, Argument)
        super().__init__(self.line())

    @property
    def file(self) -> str:
        """The subject: a file, a folder or an argument."""
        return self.subject

    def line(self, subject: str | None = None) -> str:
        subject = self.subject if subject is None else subject
        return f"{subject}: {self.key}: {self.message}" if self.key else f"{subject}: {self.message}"

    def __reduce__(self):
        return _rebuild, (type(self), self.subject, self.key, self.message, self.argument)


def _rebuild(kind, subject, key, message, argument):
    error = CgtSimError.__new__(kind)
    CgtSimError.__init__(error, subject, key, message, argument=argument)
    return error


class ScenarioError(CgtSimError):
    """A scenario (or targets, or fitted) file, or a parameter value given in code or with
    ``--set``/``--grid``, that cannot be used: the file (or argument) and the key."""


class OptionError(CgtSimError):
    """An argument of a cgt-sim function (an option of a command) that cannot be used; the
    subject is the argument's Python name."""

    def __init__(self, argument: str, message: str, key=None):
        super().__init__(argument, key, message, argument=True)


class ResultError(CgtSimError):
    """A result folder or output file that cannot be read, written or replaced."""


class NoResult(ResultError, FileNotFoundError):
    """A result folder that is not there, or a folder without a result's manifest.json: bad
    input like any ResultError (exit code 2), and a ``FileNotFoundError`` as well, which is
    what ``load_results`` raised for it before it joined the family."""

    def __reduce__(self):
        return NoResult, (self.subject, self.key, self.message)


class SystemRefused(CgtSimError):
    """The operating system refused to read or write ``subject`` (a file or folder): no space
    left on the device, a name too long, no permission, a read-only file system. ``errno`` is
    the system's error number. The command line exits with code 3 (not 2: the input was fine)."""

    exit_code = 3

    def __init__(self, subject, key, message: str, *, errno: int | None = None):
        super().__init__(subject, key, message)
        self.errno = errno

    def __reduce__(self):
        return _rebuild_refused, (self.subject, self.key, self.message, self.errno)


def _rebuild_refused(subject, key, message, errno):
    return SystemRefused(subject, key, message, errno=errno)


# Reasons in the words of a message (the system's own text for the rest).
_REASONS = {_errno.ENOSPC: "no space left on the device", _errno.ENAMETOOLONG: "the name is too long",
            _errno.EACCES: "permission denied", _errno.EPERM: "operation not permitted",
            _errno.EROFS: "read-only file system", _errno.EDQUOT: "disk quota exceeded",
            _errno.EMFILE: "too many open files"}


def reason(exc: OSError) -> str:
    """Why the system refused, in a few words: "no space left on the device"."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    if exc.errno:
        return os.strerror(exc.errno).lower()
    text = str(exc).strip().splitlines()
    return _cut(text[0], 200) if text else type(exc).__name__


def refused(exc: OSError, path, doing: str = "cannot be written",
            written: str = "nothing was written") -> SystemRefused:
    """``exc`` (an OSError met while writing or reading ``path``) as one line: the path, what
    could not be done, why, and ``written`` (what became of the output; "" for a read). Errors that carry no
    errno (pyarrow's own: "Error writing bytes to file ... [errno 28] ...") are read for one."""
    number = exc.errno
    if number is None:
        found = re.search(r"\[errno (\d+)\]", str(exc), re.IGNORECASE)
        number = int(found[1]) if found else None
        if number is not None:
            exc = OSError(number, os.strerror(number))
    after = f"; {written}" if written else ""
    return SystemRefused(path, None, f"{doing}: {reason(exc)} (the system refused{after})", errno=number)


_QUOTED = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


def command_line(error: CgtSimError, option_of: Callable[[str], str | None]) -> str:
    """The one line of ``error`` as a command shows it: the subject of an ``OptionError`` and
    every backquoted argument name in the message become options (``option_of(name)`` gives
    ``"--until"`` for ``"until"``, or None for a name that is no option, which stays as it is)."""

    def option(match: re.Match) -> str:
        return option_of(match[1]) or match[0]

    subject = error.subject
    if error.argument:
        subject = option_of(subject) or subject
    key = error.key
    message = _QUOTED.sub(option, error.message)
    return f"{subject}: {key}: {message}" if key else f"{subject}: {message}"
