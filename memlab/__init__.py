"""memlab: how memory is allocated and reclaimed, on a simulated machine you can watch.

``memlab.allocator("buddy")`` builds any allocator by name; the classes, the simulated machine,
the events and the errors are importable from here by their textbook names.
"""

from . import host
from .allocators import REGISTRY, Allocator, Block, HeapSnapshot, Stats, allocator, names, register
from .allocators.arena import Arena
from .allocators.buddy import Buddy
from .allocators.bump import Bump
from .allocators.freelist.heap import FreeListHeap
from .allocators.objectpool import ObjectPool
from .allocators.page import PageAllocator
from .allocators.pool import Pool
from .allocators.region import Regions
from .allocators.slab.cache import SlabCache
from .allocators.slab.kmalloc import Slab
from .allocators.slab.magazine import MagazineCache
from .allocators.stack import Stack, StackOverflow, StackUnderflow
from .allocators.tcmalloc.tcmalloc import TCMalloc
from .compose import (  # importing compose also registers the wrapper allocators
    ArrayList,
    CustomAllocator,
    FailingAllocator,
    StackFallback,
    TestingAllocator,
    ThreadSafe,
    check_all_allocation_failures,
)
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
from .manual import DebugAllocator, ManualHeap
from .memory import ALIGNMENT, WORD, Memory, align_down, align_up, is_power_of_two
from .os import OS, PAGE_SIZE
from .reclaim import (
    ARC,
    BaconRajan,
    Copying,
    CPythonGC,
    Generational,
    Heap,
    Incremental,
    MarkSweep,
    Obj,
    RefCounting,
    WeakRef,
)
from .reclaim.ownership import Ownership

if host.in_browser():  # JupyterLite: "Run All" goes past cells that raise on purpose (see memlab.host)
    host.keep_going_past_expected_errors()

__version__ = "0.1.0"

# Subpackages load on first use, so ``import memlab`` stays quick and needs no widget library.
_LAZY = ("contract", "demos", "grading", "traces", "viz", "widgets")


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
    "ARC",
    "OS",
    "PAGE_SIZE",
    "REGISTRY",
    "WORD",
    "Allocator",
    "Arena",
    "ArrayList",
    "BaconRajan",
    "BadAlignment",
    "BadRequest",
    "BadSize",
    "Block",
    "Buddy",
    "BufferOverflow",
    "Bump",
    "CPythonGC",
    "Copying",
    "Cursor",
    "CustomAllocator",
    "DebugAllocator",
    "DoubleFree",
    "Event",
    "FailingAllocator",
    "Frame",
    "FreeListHeap",
    "Generational",
    "Heap",
    "HeapCorruption",
    "HeapSnapshot",
    "Incremental",
    "InvalidFree",
    "MagazineCache",
    "ManualHeap",
    "MarkSweep",
    "MemlabError",
    "Memory",
    "Obj",
    "ObjectPool",
    "OutOfBounds",
    "OutOfMemory",
    "OutOfOrderFree",
    "Ownership",
    "PageAllocator",
    "Pool",
    "Recorder",
    "Recording",
    "RefCounting",
    "Regions",
    "Slab",
    "SlabCache",
    "Stack",
    "StackFallback",
    "StackOverflow",
    "StackUnderflow",
    "Stats",
    "TCMalloc",
    "TestingAllocator",
    "ThreadSafe",
    "UseAfterFree",
    "WeakRef",
    "align_down",
    "align_up",
    "allocator",
    "check_all_allocation_failures",
    "compose",
    "demo",
    "is_power_of_two",
    "manual",
    "names",
    "reclaim",
    "record",
    "register",
]
