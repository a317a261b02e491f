"""Every allocation strategy, one module each, all honouring the contract in ``base``.

Modules in this package register themselves; importing the package imports them all, so a new
strategy needs only its own file.
"""

import importlib
import pkgutil

from .base import ALLOCATED, DEAD, FREE, METADATA, Allocator, Block, HeapSnapshot, Stats
from .registry import REGISTRY, Entry, allocator, names, parse_spec, register

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_") and _module.name not in ("base", "registry"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "ALLOCATED",
    "DEAD",
    "FREE",
    "METADATA",
    "REGISTRY",
    "Allocator",
    "Block",
    "Entry",
    "HeapSnapshot",
    "Stats",
    "allocator",
    "names",
    "parse_spec",
    "register",
]
