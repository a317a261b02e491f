"""Every allocation strategy, one module each, all honouring the contract in ``base``.

Modules in this package register themselves; importing the package imports them all, so a new
strategy needs only its own file.
"""

import importlib
import pkgutil
import warnings

from .base import ALLOCATED, DEAD, FREE, METADATA, Allocator, Block, HeapSnapshot, Stats
from .registry import REGISTRY, Entry, allocator, names, parse_spec, register

BROKEN: dict[str, str] = {}
"""Allocator modules that failed to import, with the reason (a test requires this to be empty)."""

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_") and _module.name not in ("base", "blocks", "registry"):
        try:
            importlib.import_module(f"{__name__}.{_module.name}")
        except Exception as _error:  # one broken strategy must not take the others down
            BROKEN[_module.name] = f"{type(_error).__name__}: {_error}"
            warnings.warn(f"memlab: allocator module {_module.name} failed to import: {_error}", stacklevel=1)

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
