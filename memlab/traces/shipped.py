"""The small real traces that ship with memlab (recorded with ``memlab trace record``).

How each was made is written in ``memlab/traces/data/README.md``. ``load("sort")`` reads one;
``load_all()`` reads them all, in name order.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..errors import BadRequest
from .rep import Trace, read_rep


def _folder() -> Path:
    return Path(str(resources.files(__package__).joinpath("data")))


def names() -> list[str]:
    """The shipped traces, by name (file name without ``.rep``)."""
    return sorted(p.stem for p in _folder().glob("*.rep"))


def path(name: str) -> Path:
    """The file of the shipped trace ``name``."""
    file = _folder() / f"{name}.rep"
    if not file.is_file():
        raise BadRequest(f"no shipped trace named {name!r}; shipped: {', '.join(names()) or 'none'}")
    return file


def load(name: str) -> Trace:
    """Read the shipped trace ``name``."""
    return read_rep(path(name))


def load_all() -> list[Trace]:
    """Every shipped trace."""
    return [load(name) for name in names()]
