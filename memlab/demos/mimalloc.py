"""Lecture demo: a mimalloc page's three free lists, and a free from another thread that takes no lock.

Thread 1 allocates 1 KiB blocks from its own page (mimalloc threads four of them onto the free
list at a time) and frees two of them: they wait on ``local_free``, not on ``free``. Thread 2 frees
two of thread 1's blocks: the first goes on thread 1's delayed list (so thread 1 notices the
page), the second on the page's ``thread_free``; neither touches thread 1's lists. When thread 1's
``free`` list runs out, the page collects ``local_free`` and ``thread_free`` into a new ``free`` list.
"""

from __future__ import annotations

from ..allocators.mimalloc import MiMalloc
from ..events import Note
from ..viz.mimalloc import mimalloc_view
from ..widgets.player import Player

TITLE = "mimalloc: three free lists per page; a free from another thread takes no lock"


def scenario(heap: MiMalloc) -> list[int]:
    """The scripted program; returns the blocks still held."""
    objs = [heap.alloc(1000, thread=1) for _ in range(6)]
    heap.free(objs[0], thread=1)  # the owner frees: onto local_free
    heap.free(objs[1], thread=1)
    heap.free(objs[2], thread=2)  # another thread: the owner's delayed list, once
    heap.free(objs[3], thread=2)  # ... then the page's thread_free
    objs[4:] += [heap.alloc(1000, thread=1) for _ in range(3)]  # free runs out: collect, then reuse
    return objs[4:]


def demo(scale: float = 1.6) -> Player:
    heap = MiMalloc()
    with heap.record() as rec:
        scenario(heap)
        heap._emit(
            Note(
                heap.step,
                "no lock was taken: each free pushed one pointer on a list of its own, and thread 2 never "
                "touched the lists thread 1 allocates from",
            )
        )
    return Player(rec.recording, mimalloc_view(), scale=scale, title=TITLE)
