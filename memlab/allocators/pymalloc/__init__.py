"""pymalloc, CPython's small-object allocator (``Objects/obmalloc.c``): arenas, pools, size classes.

``PyMalloc()`` (or ``memlab.allocator("pymalloc")``) is the allocator; ``heap.mallocstats()`` is
what ``sys._debugmallocstats()`` prints for it, and ``MallocStats.parse`` reads the real report.
"""

from .info import (
    ArenaFree,
    ArenaKept,
    ArenaMove,
    ArenaNew,
    ArenaView,
    PoolBack,
    PoolEmpty,
    PoolFull,
    PoolTaken,
    PoolView,
    PyAlloc,
    PyFree,
    PyMallocSnapshot,
)
from .obmalloc import (
    ALIGNMENT,
    ARENA_SIZE,
    INDEX2SIZE,
    POOL_OVERHEAD,
    POOL_SIZE,
    SMALL_REQUEST_THRESHOLD,
    PyMalloc,
    size_class,
)
from .stats import ClassStats, MallocStats

__all__ = [
    "ALIGNMENT",
    "ARENA_SIZE",
    "INDEX2SIZE",
    "POOL_OVERHEAD",
    "POOL_SIZE",
    "SMALL_REQUEST_THRESHOLD",
    "ArenaFree",
    "ArenaKept",
    "ArenaMove",
    "ArenaNew",
    "ArenaView",
    "ClassStats",
    "MallocStats",
    "PoolBack",
    "PoolEmpty",
    "PoolFull",
    "PoolTaken",
    "PoolView",
    "PyAlloc",
    "PyFree",
    "PyMalloc",
    "PyMallocSnapshot",
    "size_class",
]
