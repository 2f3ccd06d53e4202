"""The ``cgt-sim`` application: its commands' shared shape, the version flag, and ``main``, which
turns a mistyped command or a Ctrl-C into one line and an exit code."""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
import warnings

import typer
from typer.core import TyperCommand, TyperGroup

from ..errors import CgtSimError, SystemRefused, reason
from ..locks import StaleNote
from ..storage import WRITTEN
from .common import fail, say_notes


class _PlainFlags:
    """Help that shows a flag (--quiet, --resume, --help) as a plain flag: typer's rich help
    gives every option a type, so a flag read `<bool>`, as if it took a value (it takes none)."""

    def format_help(self, ctx, formatter) -> None:
        flags = [p for p in self.get_params(ctx) if getattr(p, "is_flag", False) and p.metavar is None]
        for p in flags:
            p.metavar = ""  # shown in place of the type; only while the help is written
        try:
            return super().format_help(ctx, formatter)
        finally:
            for p in flags:
                p.metavar = None


class _Command(_PlainFlags, TyperCommand):
    pass


class _Group(_PlainFlags, TyperGroup):
    pass


def system_refusal(exc: BaseException) -> SystemRefused:
    """An OSError (or MemoryError) that no command turned into a message, as one line: the
    file it names (or cgt-sim) and the system's reason."""
    if isinstance(exc, MemoryError):
        return SystemRefused("cgt-sim", None, "ran out of memory (the system refused); nothing was written")
    subject = exc.filename if isinstance(exc, OSError) and exc.filename else "cgt-sim"
    return SystemRefused(subject, None, f"{reason(exc)} (the system refused)")


@contextlib.contextmanager
def _notes():
    """Notes of state a killed writer left (``locks.StaleNote``) said on stderr as they come,
    every time, as "note: ..."; other warnings as Python shows them."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", StaleNote)
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if issubclass(category, StaleNote):
                say_notes([message])
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield


def _guarded(command):
    """``command`` with the refusals every command shares: an error of the library (one line,
    exit code 2, or 3 when the system refused) and an OSError or MemoryError left unhandled
    (one line, exit code 3), never a traceback; notes said as they come."""
    @functools.wraps(command)
    def guarded(*args, **kwargs):
        with _notes():
            try:
                return command(*args, **kwargs)
            except CgtSimError as exc:
                fail(exc)
            except (OSError, MemoryError) as exc:
                fail(system_refusal(exc))
    return guarded


class _App(typer.Typer):
    """typer.Typer whose commands show flags as flags in their help (see _PlainFlags) and share
    their refusals (see _guarded)."""

    def command(self, *args, **kwargs):
        kwargs.setdefault("cls", _Command)
        register = super().command(*args, **kwargs)
        return lambda command: register(_guarded(command))


app = _App(cls=_Group, add_completion=False, no_args_is_help=True,
           help="cgt-sim: simulate how cell and gene therapy becomes an industry.")


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"cgt-sim {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                          help="print the version and exit")) -> None:
    pass  # the options of cgt-sim itself; the help text is the app's


def _click_exceptions():
    """The exception module of the click that typer runs on (recent typers carry their own)."""
    try:
        from typer._click import exceptions
    except ImportError:
        from click import exceptions
    return exceptions


# Set when a command has said how it was interrupted (run: what it kept), so main does not
# add its own line.
INTERRUPTION_SAID: list = []


def _aborts() -> tuple:
    """Ctrl-C as typer and click report it when they do not exit themselves."""
    found = [KeyboardInterrupt, typer.Abort]
    try:
        from click import Abort
        found.append(Abort)
    except ImportError:
        pass
    return tuple(found)


def main():  # console-script entry point
    """Run the command line; a mistyped command or option is one line and exit code 2, as
    every other bad input is (typer would draw a box of several lines)."""
    errors = _click_exceptions()
    no_args = tuple(getattr(errors, n) for n in ("NoArgsIsHelpError", "NoArgsIsHelp") if hasattr(errors, n))
    try:
        code = app(standalone_mode=False)
    except no_args:  # plain `cgt-sim`: the overview, as --help gives it
        code = app(["--help"], standalone_mode=False)
    except errors.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "cgt-sim"
        typer.echo(f"error: {where}: {' '.join(exc.format_message().split())} (see {where} --help)", err=True)
        code = 2
    except errors.ClickException as exc:
        typer.echo(f"error: {exc.format_message()}", err=True)
        code = exc.exit_code
    except _aborts():
        code = 130
    except (OSError, MemoryError) as exc:  # (outside a command: its own are said by _guarded)
        typer.echo(f"error: {system_refusal(exc).line()}", err=True)
        code = SystemRefused.exit_code
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the command is over: a late Ctrl-C changes nothing
    if code == 130 and not INTERRUPTION_SAID:  # (recent typers turn Ctrl-C into exit code 130 silently)
        typer.echo(f"interrupted after writing {', '.join(map(str, WRITTEN))}" if WRITTEN
                   else "interrupted: nothing was written", err=True)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
