"""Progress of the Python API's long calls: ``progress=True`` shows a bar, a callable is told.

``run``, ``compare``, ``sweep`` and ``sensitivity`` take ``progress``: None or False (nothing
shown), a callable (called as work finishes, as each function documents), or True: a bar from
tqdm's auto mode, which is a widget in Jupyter (with ipywidgets installed; text without) and
text in a terminal. The command line draws its own bars (rich).
"""

from __future__ import annotations

import functools
import inspect

from .errors import OptionError, quoted


class Bar:
    """A progress callable that draws a tqdm bar: ``bar(done, total)``, or ``bar(index, done,
    total)`` for the index-th of several runs (``compare``: a bar per scenario)."""

    def __init__(self, desc: str, unit: str):
        self.desc, self.unit = desc, unit
        self.bar = None
        self.index = None

    def __call__(self, *args) -> None:
        if len(args) == 3:
            index, done, total = args
        else:
            index, (done, total) = None, args
        if self.bar is None or index != self.index:
            self.close()
            from tqdm.auto import tqdm

            desc = self.desc if index is None else f"{self.desc} {index + 1}"
            self.bar, self.index = tqdm(total=total, desc=desc, unit=self.unit, leave=True), index
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def check_progress(progress, call: str = "progress(done, total)", bar: bool = False) -> None:
    """``progress`` is None, a callable (called as ``call``) or, where a bar can be drawn
    (``bar``), True or False: an OptionError naming it otherwise, before any work (a number
    given there would fail only when the first work finishes)."""
    if progress is None or callable(progress) or (bar and isinstance(progress, bool)):
        return
    also = "; True draws a bar, False shows nothing" if bar else ""
    raise OptionError("progress", f"must be a function {call} or None (got {quoted(progress)}){also}")


def shows_progress(desc: str, unit: str, call: str = "progress(done, total)"):
    """Decorate a function with a ``progress`` argument so that ``progress=True`` draws a bar
    (``desc``, counting ``unit``) while it runs and ``progress=False`` shows nothing; anything
    but these, None and a callable (called as ``call``) is an OptionError (``check_progress``)."""
    def decorate(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            bound = signature.bind_partial(*args, **kwargs)
            asked = bound.arguments.get("progress")
            check_progress(asked, call, bar=True)
            if not isinstance(asked, bool):
                return fn(*args, **kwargs)
            bar = Bar(desc, unit) if asked else None
            bound.arguments["progress"] = bar
            try:
                return fn(*bound.args, **bound.kwargs)
            finally:
                if bar is not None:
                    bar.close()

        return wrapper

    return decorate
