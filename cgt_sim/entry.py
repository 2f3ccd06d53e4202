"""The ``cgt-sim`` command: starts the command line, so that a Ctrl-C while its libraries load
is reported as an interruption (exit code 130), as it is later."""

import sys


def main() -> None:
    try:
        from .cli import main as command_line
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        sys.exit(130)
    command_line()
