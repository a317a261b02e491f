"""Demo: mark-sweep does not care about cycles; it stops the program to trace and sweep.

A list ``x -> y`` is in use; a ring ``p <-> q`` and a lone ``r`` are garbage. The collector
marks from the variables (a gray wave that turns black), then sweeps the heap in address
order: marked objects lose their mark bit, unmarked ones go back to the allocator, ring or
no ring. The caption of the last step gives the pause in work units (marked + swept).
"""

from __future__ import annotations

from ..reclaim.objects import Heap
from ..viz.collect import collector_view
from ..widgets.player import Player

TITLE = "Mark-sweep: cycles are no problem; pauses are"


def scenario() -> Heap:
    """A heap with a live list and two pieces of garbage (one of them a cycle)."""
    heap = Heap("mark-sweep", allocator="freelist", automatic=False)
    node = heap.type("Node", ["next", "int value"])
    s = heap.scope("main")
    s.x = heap.new(node, name="x")
    s.x.next = heap.new(node, name="y")
    s.p = heap.new(node, name="p")
    s.p.next = heap.new(node, name="q")
    s.p.next.next = s.p  # the ring p <-> q
    s.r = heap.new(node, name="r")
    s.p = None
    s.r = None
    return heap


def demo(scale: float = 1.6) -> Player:
    heap = scenario()
    with heap.record() as rec:
        heap.collect()
    return Player(rec.recording, collector_view(width=700), title=TITLE, scale=scale)
