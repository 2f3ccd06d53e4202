"""Helpers shared by the test files."""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path

import pytest

from cgt_sim.cli.common import option_of
from cgt_sim.errors import CgtSimError, command_line


def as_command_line(error: CgtSimError) -> str:
    """The line the command line prints for ``error`` (after "error: ")."""
    return command_line(error, option_of)


def pytest_collection_modifyitems(config, items):
    """Fuzz campaigns run only when asked for by name (``-m fuzz``), not in the normal suite."""
    if "fuzz" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="a fuzz campaign: run it with -m fuzz")
    for item in items:
        if "fuzz" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def command_line_of():
    return as_command_line


def folder_bytes(path: Path) -> dict:
    """Every file below ``path`` and its bytes (to check that a refused command wrote nothing)."""
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def table_file(folder, name: str) -> Path:
    """The (first) Parquet file of table ``name`` in a result folder (``annual/part-*.parquet``)."""
    files = sorted((Path(folder) / name).glob("part-*.parquet"))
    assert files, (folder, name)
    return files[0]


def check_error(returncode: int, stdout: str, stderr: str, fragments: list[str]) -> None:
    """A refusal: exit code 2, one line on stderr naming every fragment, no traceback, no output."""
    assert returncode == 2, (returncode, stderr)
    assert "Traceback" not in stderr and "Traceback" not in stdout
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("error: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    assert stdout == ""


@contextlib.contextmanager
def no_hang(seconds: float = 30.0):
    """Fail (instead of hanging the suite) when the block takes longer than ``seconds``: a
    guard against hangs, not a measure of speed."""
    def stop(*_):
        raise AssertionError(f"hung: still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
