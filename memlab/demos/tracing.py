"""Demo: mark-sweep does not care about cycles; it stops the program to trace and sweep.

A list ``x -> y`` is in use; a ring ``p <-> q`` and a lone ``r`` are garbage. The collector
marks from the variables (a gray wave that turns black), then sweeps the heap in address
order: marked objects lose their mark bit, unmarked ones go back to the allocator, ring or
no ring. The caption of the last step gives the pause in work units (marked + swept).
"""

from __future__ import annotations

from ..reclaim.objects import Heap
from ..viz import keys
from ..viz.collect import collector_view
from ..widgets import Ask
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
    names = rec.recording[0].snapshot.node
    garbage = Ask(
        step=1,
        question="Mark-sweep starts. Click every object the sweep will free, then press check.",
        answer=[keys.obj(names(name).id) for name in "pqr"],
        why="Marking starts from the variables and reaches only x and y. p and q hold each other, but nothing "
        "reaches them: to a tracing collector a cycle is garbage like any other.",
    )
    return Player(rec.recording, collector_view(width=700), title=TITLE, scale=scale, predict=[garbage])
