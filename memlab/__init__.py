"""memlab: how memory is allocated and reclaimed, on a simulated machine you can watch.

``memlab.allocator("buddy")`` builds any allocator by name; the classes, the simulated machine,
the events and the errors are importable from here by their textbook names.
"""

from .allocators import REGISTRY, Allocator, Block, HeapSnapshot, Stats, allocator, names, register
from .allocators.bump import Bump
from .errors import (
    BadAlignment,
    BadRequest,
    BadSize,
    BufferOverflow,
    DoubleFree,
    HeapCorruption,
    InvalidFree,
    MemlabError,
    OutOfBounds,
    OutOfMemory,
    OutOfOrderFree,
    UseAfterFree,
)
from .events import Cursor, Event, Frame, Recorder, Recording, record
from .memory import ALIGNMENT, WORD, Memory, align_down, align_up, is_power_of_two
from .os import OS, PAGE_SIZE

__version__ = "0.1.0"

# Subpackages load on first use, so ``import memlab`` stays quick and needs no widget library.
_LAZY = ("compose", "contract", "demos", "grading", "manual", "reclaim", "traces", "viz", "widgets")


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'memlab' has no attribute {name!r}")


def demo(topic: str, **kw):
    """A projector-sized lecture demo of ``topic``, e.g. ``memlab.demo("buddy")``."""
    from .demos import demo as build

    return build(topic, **kw)


__all__ = [
    "ALIGNMENT",
    "OS",
    "PAGE_SIZE",
    "REGISTRY",
    "WORD",
    "Allocator",
    "BadAlignment",
    "BadRequest",
    "BadSize",
    "Block",
    "BufferOverflow",
    "Bump",
    "Cursor",
    "DoubleFree",
    "Event",
    "Frame",
    "HeapCorruption",
    "HeapSnapshot",
    "InvalidFree",
    "Memory",
    "MemlabError",
    "OutOfBounds",
    "OutOfMemory",
    "OutOfOrderFree",
    "Recorder",
    "Recording",
    "Stats",
    "UseAfterFree",
    "align_down",
    "align_up",
    "allocator",
    "demo",
    "is_power_of_two",
    "names",
    "record",
    "register",
]
