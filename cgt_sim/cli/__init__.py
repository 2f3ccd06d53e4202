"""The ``cgt-sim`` command line: one module per command, registered on one application.

Bad input gives one line naming the file (or option) and the key, exit code 2, and writes
nothing. The library names Python arguments; ``common.option_of`` maps them to the options the
commands take, so an error reads the same as in Python but for the names.
"""

from . import calibrate, compare, discover, library, query, report, run, sensitivity, show, sweep, validate  # noqa: F401  (registers them)
from .app import app, main

__all__ = ["app", "main"]
