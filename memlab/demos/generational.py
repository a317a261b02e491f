"""Demo: most objects die young, so a minor collection touches only a few; the write barrier keeps one alive.

A long-lived ``config`` object has survived two minor collections and sits in the old generation.
The program makes two short-lived temporaries and stores a new ``session`` object into
``config.session``: an old object now points to a young one, so the write barrier puts ``config``
in the remembered set. The nursery fills up; the minor collection copies what the variables and
the remembered set reach (``session`` only), never looks at the rest of the old generation, and
flips: the temporaries are left behind without a single instruction spent on them.
"""

from __future__ import annotations

from ..reclaim.objects import Heap
from ..viz.generations import generational_view
from ..widgets.player import Player

TITLE = "Generational collection: most objects die young, and the write barrier remembers the rest"


def scenario() -> Heap:
    """A heap whose ``config`` object has been promoted to the old generation."""
    heap = Heap("generational", nursery=128, promote_age=2, automatic=False)
    node = heap.type("Node", ["session", "int value"])
    s = heap.scope("main")
    s.config = heap.new(node, name="config")
    heap.minor()
    heap.minor()  # survived twice: promoted
    return heap


def demo(scale: float = 1.6) -> Player:
    heap = scenario()
    s, node = heap.frames[-1], heap.types["Node"]
    with heap.record() as rec:
        s.tmp1 = heap.new(node, name="tmp1")
        s.tmp2 = heap.new(node, name="tmp2")
        s.config.session = heap.new(node, name="session")  # old -> young: the barrier remembers config
        s.tmp1 = None
        s.tmp2 = None
        heap.minor()
    return Player(rec.recording, generational_view(heap, width=700), title=TITLE, scale=scale)
