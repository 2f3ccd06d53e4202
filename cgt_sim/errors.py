"""The errors cgt-sim raises for input it cannot use: one small family, one line each.

``CgtSimError`` (a ``ValueError``) is the family; every member says in one line what was wrong
and where: ``<subject>: <key>: <message>``, the subject being a file, a folder or an argument.

- ``ScenarioError``: a scenario, targets or fitted file, or a parameter value given in Python
  (``overrides``) or on the command line (``--set``, ``--grid``): the file and the key.
- ``OptionError``: an argument of a Python function (``until``, ``replications``, ``metric``)
  that is out of range, of the wrong type or in conflict with another.
- ``ResultError``: a result folder or output file that cannot be read, written or replaced.

The library names things as Python callers know them: an argument by its Python name, and, in
a message, another argument in backquotes (``use `resume` to complete it``). The command line
shows the same line with its own option names (``--until``, ``--set``, ``--resume``):
``command_line(error, option_of)`` rewrites the subject and the backquoted names with a mapping
the command line owns.
"""

from __future__ import annotations

import re
from collections.abc import Callable


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

    def __init__(self, subject, key, message: str, *, argument: bool = False):
        self.subject = str(subject) if subject is not None else "<input>"
        self.key = key
        self.message = message
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
