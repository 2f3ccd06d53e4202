"""``python -m cgt_sim.cli``: the command line, as ``cgt-sim``."""

from .app import main

main()
