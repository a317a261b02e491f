"""Demo: an incremental collector without a write barrier frees a live object.

The collector has scanned ``a`` (black) and reached ``b`` (gray); ``c`` is white, reachable only
through ``b.left``. Between two increments the program stores ``a.right = c`` (a black object now
points to a white one) and clears ``b.left``. The collector never scans ``a`` again and nothing
gray leads to ``c``: marking ends with ``c`` white, the sweep frees it, and ``a.right`` is left
pointing at freed memory. Dijkstra's barrier (shade ``c`` at the store) or Yuasa's (shade ``c``
when ``b.left`` lets go of it) would have kept it.
"""

from __future__ import annotations

from ..events import Note
from ..reclaim.mutators import half_marked
from ..reclaim.objects import Heap
from ..reclaim.types import DeadObject
from ..viz.collect import collector_view
from ..widgets.player import Player

TITLE = "Incremental marking without a barrier: the collector frees a live object"


def scenario(barrier: str | None = None) -> Heap:
    """a -> b -> c, and one increment of marking done: a black, b gray, c white."""
    heap = Heap("incremental", barrier=barrier, slice=1, automatic=False)
    half_marked(heap)
    return heap


def demo(scale: float = 1.6) -> Player:
    heap = scenario()
    s = heap.frames[-1]
    with heap.record() as rec:
        s.a.right = s.a.left.left  # black a -> white c: no barrier sees it
        s.a.left.left = None  # the last path from gray b to c is gone
        while heap.stage != "idle":
            heap.increment()
        try:
            _ = s.a.right  # the program uses what it still refers to
        except DeadObject as e:
            heap.emit(Note(heap.step, f"the program reads a.right: {e.message}"))
    return Player(rec.recording, collector_view(width=700), title=TITLE, scale=scale)
