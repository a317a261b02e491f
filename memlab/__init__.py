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
    "is_power_of_two",
    "names",
    "record",
    "register",
]
