"""Reference counting (CPython's way): a cascade frees a whole list, then two objects that point
at each other outlive every variable and leak."""

from __future__ import annotations

from ..events import Recording
from ..reclaim.objects import Heap
from ..viz import keys
from ..widgets import Ask
from ..widgets.graph import graph_player
from ..widgets.player import Player

TITLE = "Reference counting: a cascade of frees, then a cycle that never dies"


def scenario() -> tuple[Heap, Recording]:
    """The scripted program: the heap and its recording."""
    heap = Heap("refcount")
    node = heap.type("Node", ["next"])
    with heap.record() as rec:
        with heap.scope("main") as s:
            s.a = heap.new(node, name="a")
            s.a.next = heap.new(node, name="b")
            s.a.next.next = heap.new(node, name="c")
            s.a = None  # a's count reaches 0: a, then b, then c are freed
            s.x = heap.new(node, name="x")
            s.y = heap.new(node, name="y")
            s.x.next = s.y
            s.y.next = s.x
        # leaving main drops x and y, but each still holds the other: both counts stay at 1
    return heap, rec.recording


def demo(scale: float = 1.6) -> Player:
    """A projector-sized graph player over :func:`scenario`."""
    _, recording = scenario()
    end = recording.find("decref", nth=4)  # leaving main: the first of the ring's two decrefs
    ring = [keys.obj(end.snapshot.node(name).id) for name in "xy"]
    never = Ask(
        step=end.index,
        question="main ends, and x and y go out of scope. Click every object that will be freed (perhaps "
        "none), then press check.",
        answer=[],
        among=ring,
        why="Each holds the other: both counts stay at 1, so reference counting frees neither. Nothing reaches "
        "them, and they stay allocated for good: a leak.",
    )
    return graph_player(recording, title=TITLE, scale=scale, predict=[never])
