"""Lecture demo: two threads allocate through their own caches, and almost never take a lock.

Follows TCMalloc's design: the first request of a size class goes through every end (page heap,
central free list, thread cache); after that a thread's malloc and free touch only its own
cache. The header counts the locks; the last step compares them with one lock per operation.
"""

from __future__ import annotations

from ..allocators.tcmalloc.tcmalloc import TCMalloc
from ..viz.tcmalloc import tcmalloc_view
from ..widgets.player import Player

TITLE = "Thread caching: a cache per thread, (almost) no locks"


def scenario(heap: TCMalloc) -> int:
    """The scripted program; returns how many mallocs and frees it made."""
    objs = [heap.alloc(64, thread=1) for _ in range(6)]  # slow start: takes 1, then 2, then 3
    for a in objs[:3]:
        heap.free(a, thread=1)
    for a in objs[3:]:
        heap.free(a, thread=2)  # freed by another thread: into thread 2's cache
    for _ in range(4):  # warm caches: no lock at all
        for thread in (1, 2):
            heap.free(heap.alloc(64, thread=thread), thread=thread)
    heap.alloc(40_000, thread=2)  # large: straight to the page heap
    return 6 + 6 + 16 + 1


def demo(scale: float = 1.6) -> Player:
    heap = TCMalloc()
    with heap.record() as rec:
        ops = scenario(heap)
        heap.note(
            f"{ops} mallocs and frees took {heap.lock_acquisitions} locks; "
            f"one lock around the heap would have taken {ops}"
        )
    return Player(rec.recording, tcmalloc_view(), scale=scale, title=TITLE)
