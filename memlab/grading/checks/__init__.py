"""One module per exercise, ``eNN_name.py`` after its notebook, each defining ``EXERCISE``; helpers beside them.

``exercise("04")`` or ``exercise("04_coalescing_and_boundary_tags")`` finds it.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from ..questions import Exercise


def keys() -> list[str]:
    """The exercise names, in course order."""
    return sorted(info.name[1:] for info in pkgutil.iter_modules(__path__) if re.match(r"e\d\d_", info.name))


def exercise(name: str) -> Exercise:
    """The exercise called ``name``, or whose number is ``name`` (``"04"``)."""
    found = [k for k in keys() if k == name or k[:2] == name[:2] and (len(name) == 2 or k == name)]
    if not found:
        raise KeyError(f"no exercise called {name!r}; the exercises are: {', '.join(keys())}")
    return importlib.import_module(f"{__name__}.e{found[0]}").EXERCISE
