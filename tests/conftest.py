"""Helpers shared by the test files."""

from __future__ import annotations

import pytest

from cgt_sim.cli.common import option_of
from cgt_sim.errors import CgtSimError, command_line


def as_command_line(error: CgtSimError) -> str:
    """The line the command line prints for ``error`` (after "error: ")."""
    return command_line(error, option_of)


@pytest.fixture
def command_line_of():
    return as_command_line
