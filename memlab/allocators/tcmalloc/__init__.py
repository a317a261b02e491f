"""Thread-caching malloc after Google's TCMalloc design: front end, middle end, back end.

* :mod:`.tcmalloc`: :class:`TCMalloc`, the allocator, and the batches that move between its ends;
* :mod:`.sizes`: size classes, span sizes and batch sizes;
* :mod:`.front`: the per-thread caches; :mod:`.central`: transfer caches and central free lists;
* :mod:`.pageheap`: spans and the page heap;
* :mod:`.threads`: deterministic simulated threads that run a program on any heap;
* :mod:`.info`: snapshots and events, for views and tests.
"""

from .info import TCMallocSnapshot
from .sizes import SizeClass, SizeMap, size_classes
from .tcmalloc import TCMalloc
from .threads import ThreadRun, lock_counts, run_threads

__all__ = [
    "SizeClass",
    "SizeMap",
    "TCMalloc",
    "TCMallocSnapshot",
    "ThreadRun",
    "lock_counts",
    "run_threads",
    "size_classes",
]
