"""Demo: a cycle collector finds garbage by pretending to delete it (Bacon & Rajan 2001).

Three objects point at each other in a ring, and the ring points at a fourth object that a
variable also holds. Dropping the last variable to the ring leaves it with counts of 1:
reference counting alone would keep it forever. The collector trial-deletes the references
inside what the possible root reaches: the ring's counts fall to zero (white, garbage), while
the fourth object's count stays above zero, so it is painted black again and survives.
"""

from __future__ import annotations

from ..reclaim.objects import Heap
from ..viz import keys
from ..viz.collect import collector_view
from ..widgets import Ask
from ..widgets.player import Player

TITLE = "Cycle collection: garbage is found by pretending to delete it"


def scenario() -> Heap:
    """The heap just before the last variable to the ring is dropped."""
    heap = Heap("bacon-rajan")
    node = heap.type("Node", ["next", "extra"])
    s = heap.scope("main")
    s.a = heap.new(node, name="a")
    s.a.next = heap.new(node, name="b")
    s.a.next.next = heap.new(node, name="c")
    s.a.next.next.next = s.a  # the ring a -> b -> c -> a
    s.d = heap.new(node, name="d")
    s.a.next.next.extra = s.d  # c -> d, and main.d holds d too
    heap.collect()  # start with an empty buffer: every object black
    return heap


def demo(scale: float = 1.6) -> Player:
    heap = scenario()
    s = heap.frames[-1]
    with heap.record() as rec:
        s.a = None  # a's count drops to 1: a possible root, purple
        heap.collect()
    start = rec.recording.find("phase")
    garbage = Ask(
        step=start.index,
        question="The collection starts from the buffered a. Click every object it will free, then press check.",
        answer=[keys.obj(start.snapshot.node(name).id) for name in "abc"],
        why="Trial deletion subtracts the references inside the ring: a, b and c fall to 0 and turn white. "
        "d keeps 1, for the variable main.d, and turns black again.",
    )
    return Player(rec.recording, collector_view(width=700), title=TITLE, scale=scale, predict=[garbage])
