"""What the commands share: one-line refusals, option checks, progress bars, tables and notes."""

from __future__ import annotations

import warnings
from pathlib import Path

import typer
import yaml

from ..errors import CgtSimError, ScenarioError, command_line, one_line, quoted
from ..scenario import yaml_value

# The library's arguments as the commands name them: "--" and the name with "-" for "_", but for
# these.
RENAMED = {"overrides": "--set", "metrics": "--metric"}
ARGUMENTS = {"replications", "seed", "until", "overrides", "out", "workers", "executor", "scheduler", "resume",
             "precision", "metric", "metrics", "precision_year", "programs", "years", "level", "method", "samples",
             "grid", "targets", "scenario", "budget", "start", "only", "allow_other_model", "lang", "replace",
             "report", "ensemble", "waves", "points", "members", "cutoff", "criterion", "outcome", "experiments",
             "threshold"}


def option_of(argument: str) -> str | None:
    """The option of the command line for the library's ``argument`` (None for no option)."""
    if argument in RENAMED:
        return RENAMED[argument]
    return f"--{argument.replace('_', '-')}" if argument in ARGUMENTS else None


# Exit codes of every command (README, "Bad input, full disks and two writers").
BAD_INPUT = 2  # input cgt-sim cannot use, or an output it may not replace: one line, nothing written
SYSTEM_REFUSED = 3  # the system refused to read or write (no space, a name too long, permission, read-only)


def fail(message: str | CgtSimError) -> None:
    """Print one line (an error of the library as the command line names things) and exit with
    the error's code: 2 for bad input (and a plain message), 3 when the system refused."""
    code = BAD_INPUT
    if isinstance(message, CgtSimError):
        code = message.exit_code
        message = command_line(message, option_of)
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def check_run_options(replications: int, seed: int, workers, min_replications: int = 1) -> None:
    if replications < min_replications:
        why = " to give an interval" if min_replications > 1 else ""
        fail(f"--replications: must be a whole number >= {min_replications}{why} (got {replications})")
    if seed < 0:
        fail(f"--seed: must be a whole number >= 0 (got {seed})")
    if workers is not None and workers < 1:
        fail(f"--workers: must be a whole number >= 1 (got {workers})")


def yaml_problem(exc) -> str:
    """The reason a YAML value could not be read, in a few words."""
    return str(getattr(exc, "problem", None) or exc).splitlines()[0]


def parse_sets(items: list[str] | None) -> dict:
    """Parse ``--set key=value`` items (values are YAML: 30, 0.5, true, {value: 30, from: 2026-01-01})."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ScenarioError("--set", item, "expected key=value, e.g. regulatory.ind_review_working_days=30")
        key, _, raw = item.partition("=")
        key = key.strip()
        if not key:
            raise ScenarioError(f"--set {quoted(item)}", None, "expected KEY=VALUE with a parameter name before '='")
        try:
            value = yaml_value(raw) if raw.strip() else None
        except (yaml.YAMLError, ValueError, TypeError) as exc:  # (safe_load.Unreadable is a ValueError)
            raise ScenarioError("--set", key, f"could not read the value {quoted(raw)} ({yaml_problem(exc)})") from None
        if value is None:
            raise ScenarioError("--set", key, "needs a value after '='")
        if key in out:
            raise ScenarioError("--set", key, "is given twice; give each key once")
        out[key] = value
    return out


def check_result_folder(target: Path, kind: str) -> None:
    """A result folder may replace an earlier cgt-sim result of its kind (see
    ``results.check_result_folder``), never anything else; checked before any work."""
    from ..storage import check_result_folder

    try:
        check_result_folder(target, kind)
    except CgtSimError as exc:
        fail(exc)


def check_output_file(target: Path) -> None:
    """An output file (a table, a fitted file) can be written: checked before any work."""
    from ..storage import check_writable

    if target.is_dir():
        fail(f"{target}: is a folder; give a file name")
    try:
        check_writable(target)
    except CgtSimError as exc:
        fail(exc)


def parse_years(years: str | None) -> list[int] | None:
    if years is not None and not years.strip():
        fail("--years: is empty: give years such as 2030,2035, or leave it out for the defaults")
    try:
        return [int(y) for y in years.split(",")] if years else None
    except ValueError:
        fail(f"--years: expected comma-separated years such as 2030,2035 (got {quoted(years)})")


def remaining_column():
    """Time left at the average pace so far: work arrives in chunks, so an estimate from the
    latest jumps (rich's own column) swings and stalls; this one counts down between them."""
    import datetime as dt

    from rich.progress import ProgressColumn
    from rich.text import Text

    class Remaining(ProgressColumn):
        def render(self, task):
            pace = task.fields.get("pace")  # (elapsed at the last report, seconds per unit so far)
            if task.finished:
                return Text("0:00:00", style="progress.remaining")
            if pace is None or task.total is None:
                return Text("-:--:--", style="progress.remaining")
            # at least a second while work is left: a chunk can take longer than the pace so far
            left = max(1.0, pace[1] * (task.total - task.completed) - ((task.elapsed or 0.0) - pace[0]))
            return Text(str(dt.timedelta(seconds=int(round(left)))), style="progress.remaining")

    return Remaining()


def progress(quiet: bool, total: int, name: str, unit: str = "replications"):
    import contextlib

    if quiet:
        return contextlib.nullcontext(), None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    prog = Progress(TextColumn(f"[bold]{name}[/]"), BarColumn(), MofNCompleteColumn(), TextColumn(unit),
                    TimeElapsedColumn(), remaining_column(), transient=False, console=Console())
    task = prog.add_task("run", total=total)
    started, started_at = [], {}

    def callback(done, total=None):  # the bar appears with the first report, once work has started
        if not started:
            prog.start()
            started.append(True)
        prog.update(task, completed=done, **({"total": total} if total else {}))
        elapsed = next(t.elapsed for t in prog.tasks if t.id == task) or 0.0
        first = started_at.setdefault("at", (elapsed, done))  # replications taken over count from here
        if done > first[1]:
            prog.update(task, pace=(elapsed, (elapsed - first[0]) / (done - first[1])))

    @contextlib.contextmanager
    def shown():
        try:
            yield
        finally:
            if started:
                prog.stop()

    return shown(), callback


def print_table(title: str, columns: list, rows: list, *, right=(), heads: int = 1, caption: str | None = None,
                 console=None) -> None:
    """A table of ``rows`` (plain text cells) under ``columns``; columns in ``right`` are
    right-aligned and kept on one line. Numbers and words are never cut: where the table does not
    fit the console even with its text wrapped at spaces, each row becomes a block, its first ``heads`` cells
    on one line and the others as "column: value" lines below."""
    from rich.cells import cell_len
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console()
    t = Table(title=escape(title), caption=escape(caption) if caption else None)
    for col in columns:  # figures on one line; text may wrap at spaces
        t.add_column(escape(col), justify="right" if col in right else "left", no_wrap=col in right)
    for row in rows:
        t.add_row(*[escape(str(c)) for c in row])

    def least(i: int, col: str) -> int:  # a right column's whole cells; a text column's longest word
        cells = [str(row[i]) for row in rows] + [col]
        return max(cell_len(c) if col in right else max((cell_len(w) for w in c.split()), default=0)
                   for c in cells)

    if sum(least(i, col) + 3 for i, col in enumerate(columns)) + 1 <= console.width:  # 3: padding and rule
        console.print(t)
        return
    # too narrow: a block per row
    console.print(escape(title), style="italic")
    for row in rows:
        console.print(escape(" ".join(str(c) for c in row[:heads] if str(c))), style="bold")
        line = ""
        for item in (f"{col}: {c}" for col, c in zip(columns[heads:], row[heads:]) if str(c)):
            if line and cell_len(line) + 3 + cell_len(item) > console.width:  # items side by side
                console.print(escape(line))
                line = ""
            line = f"{line}   {item}" if line else f"  {item}"
        if line:
            console.print(escape(line))
    if caption:
        console.print(escape(caption))


def font_notes(write, *args):
    """``write(*args)``, with a chart font's missing characters said once as a note on stderr
    (a ChartFontWarning), as every command that draws charts says it."""
    from ..report import ChartFontWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ChartFontWarning)
        value = write(*args)
    for w in caught:
        if issubclass(w.category, ChartFontWarning):
            say_notes([w.message])
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return value


def say_notes(notes) -> None:
    """Each note as one line on stderr, "note: ...", as every command says them."""
    for note in notes:
        typer.echo(f"note: {one_line(str(note))}", err=True)


def print_checks(rows, title: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    print_table(title, ["group", "check", "simulated [interval]", "expected / tolerance", "pass", "note"],
                 [[r.group, r.name, r.simulated_text(), r.expected, r.verdict(), r.note] for r in rows],
                 right=("simulated [interval]",), heads=2, console=console)
    kinds = sorted({(r.group, r.interval) for r in rows})
    console.print(escape("intervals: " + "; ".join(f"{g}: {i}" for g, i in kinds)))


