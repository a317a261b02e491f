"""ARC (Swift's way): the Swift book's Person and Apartment with a weak tenant. Every retain and
release in the captions was inserted by the "compiler" (the object model), not written by us."""

from __future__ import annotations

from ..events import Recording
from ..reclaim.objects import Heap
from ..widgets.graph import graph_player
from ..widgets.player import Player

TITLE = "ARC: the compiler inserts every retain and release (Person and Apartment, weak tenant)"


def scenario() -> tuple[Heap, Recording]:
    """The scripted program: the heap and its recording (``heap.listing()`` shows the calls)."""
    heap = Heap("arc")
    person = heap.type("Person", ["apartment"])
    apartment = heap.type("Apartment", ["weak tenant"])
    s = heap.scope("main")
    with heap.record() as rec:
        s.john = heap.new(person, name="john")
        s.unit4A = heap.new(apartment, name="unit4A")
        s.john.apartment = s.unit4A  # swift_retain(unit4A)
        s.unit4A.tenant = s.john  # weak: no retain, a side table instead
        s.john = None  # strong count 0: deinit, release unit4A, free; the weak tenant now reads nil
    return heap, rec.recording


def demo(scale: float = 1.6) -> Player:
    """A projector-sized graph player over :func:`scenario`."""
    _, recording = scenario()
    return graph_player(recording, title=TITLE, scale=scale)
