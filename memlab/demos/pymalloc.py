"""Lecture demo: CPython's pymalloc fills an arena with pools, and a freed block is the next one reused.

Small arenas (64 KiB of sixteen 4 KiB pools, the pool size of CPython 3.9 and earlier) so the
picture stays legible; the algorithm is CPython 3.11's. Eight 480-byte objects fill one pool; the
ninth needs a new pool, carved from the arena. A free in the full pool puts it back at the
front of ``usedpools``, so the next 480-byte request gets exactly that block back. A pool whose
blocks are all freed goes to the arena's ``freepools`` and then serves another size class.
"""

from __future__ import annotations

from ..allocators.pymalloc import PyMalloc, PyMallocSnapshot
from ..events import Frame, Recording
from ..viz import keys
from ..viz.pymalloc import pymalloc_view
from ..widgets import Ask
from ..widgets.player import Player

TITLE = "pymalloc: arenas of pools, usedpools, and the block just freed reused first"


def scenario(heap: PyMalloc) -> list[int]:
    """The scripted program; returns the blocks still held."""
    objs = [heap.alloc(480) for _ in range(9)]  # 8 fill the first pool; the 9th takes a new pool
    heap.free(objs[2])  # a free in a full pool: back to the front of usedpools
    objs[2] = heap.alloc(480)  # ... so this request gets that very block
    small = [heap.alloc(30) for _ in range(3)]  # another size class, another pool
    for a in small:
        heap.free(a)  # the pool is empty: it goes to the arena's freepools
    objs.append(heap.alloc(100))  # a third class reuses that empty pool
    return objs


def _pool_of(snapshot: PyMallocSnapshot, address: int) -> int:
    return next(p.address for p in snapshot.pools if p.address <= address < p.address + snapshot.pool_size)


def _next_alloc(recording: Recording, after: Frame) -> Frame:
    return next(f for f in recording[after.index :] if f.event is not None and f.event.kind == "alloc")


def questions(recording: Recording) -> list[Ask]:
    """Predict which pool serves a request, twice (on the recording of :func:`scenario`): right after
    a free in a full pool, and when no pool serves a size class but an emptied one waits in freepools."""
    back = recording.find("poolback")
    again = _next_alloc(recording, back)
    taken = recording.find("pooltaken", how="reused")
    request = _next_alloc(recording, taken)
    return [
        Ask(
            step=back.index,
            question=f"A block was just freed in a pool of {back.event.size}-byte blocks that was full; "
            "usedpools holds another pool of that size, with free blocks. "
            f"The program asks for {again.event.size} bytes: click the pool its block will come from.",
            answer=keys.pool(_pool_of(again.snapshot, again.event.address)),
            why="A free in a full pool puts that pool back at the front of usedpools, and a request takes the first "
            "free block of the head pool: the block just freed, likely still in the processor's cache.",
        ),
        Ask(
            step=taken.index,
            question=f"No pool in usedpools holds {taken.event.size}-byte blocks. The program asks for "
            f"{request.event.size} bytes: click the pool that will serve it.",
            answer=keys.pool(taken.event.pool),
            why="A pool whose blocks are all freed goes to its arena's freepools, and a new pool is taken from there "
            "first, for any size class; untouched pools are carved only when freepools is empty.",
        ),
    ]


def demo(scale: float = 1.6) -> Player:
    heap = PyMalloc(arena_size=64 << 10, pool_size=4096)
    with heap.record() as rec:
        scenario(heap)
        s = heap.stats()
        heap.note(
            f"{s.allocs} mallocs and {s.frees} frees, one mmap for the arena: "
            "every other request only took a block from a pool"
        )
    return Player(rec.recording, pymalloc_view(), scale=scale, title=TITLE, predict=questions(rec.recording))
