"""``python -m memlab.grading build|grade ...``: the same as ``memlab exercises build`` / ``memlab grade``."""

import sys

from ..cli import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    sys.exit(main(["exercises", *argv] if argv[:1] == ["build"] else argv))
