"""``python -m cgt_sim``: the ``cgt-sim`` command, for environments whose scripts folder is not
on the PATH."""

from .entry import main

if __name__ == "__main__":
    main()
