"""``python -m memlab ...`` runs the ``memlab`` command."""

import sys

from .cli import main

sys.exit(main())
