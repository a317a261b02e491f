"""Demo: an incremental collector without a write barrier frees a live object.

The collector has scanned ``a`` (black) and reached ``b`` (gray); ``c`` is white, reachable only
through ``b.left``. Between two increments the program stores ``a.right = c`` (a black object now
points to a white one) and clears ``b.left``. The collector never scans ``a`` again and nothing
gray leads to ``c``: marking ends with ``c`` white, the sweep frees it, and ``a.right`` is left
pointing at freed memory. Dijkstra's barrier (shade ``c`` at the store) or Yuasa's (shade ``c``
when ``b.left`` lets go of it) would have kept it.
"""

from __future__ import annotations

from ..events import Note, Recording
from ..reclaim.mutators import half_marked
from ..reclaim.objects import Heap
from ..reclaim.types import DeadObject
from ..viz import keys
from ..viz.collect import collector_view
from ..widgets import Ask
from ..widgets.player import Player

TITLE = "Incremental marking without a barrier: the collector frees a live object"


def scenario(barrier: str | None = None) -> Heap:
    """a -> b -> c, and one increment of marking done: a black, b gray, c white."""
    heap = Heap("incremental", barrier=barrier, slice=1, automatic=False)
    half_marked(heap)
    return heap


def questions(recording: Recording) -> list[Ask]:
    """Predict what the sweep frees once the program has hidden ``c`` (on :func:`demo`'s recording, or
    the same program under a barrier): the answer is what the collector really freed."""
    frames = [f for f in recording if f.event is not None]
    resume = next(f for f in frames if f.event.kind == "phase" and f.event.name == "mark")
    live = [n for n in recording[resume.index - 1].snapshot.nodes if n.state == "live"]
    freed = [f.event for f in frames if f.event.kind == "dealloc"]
    stores = [f.event for f in frames if f.event.kind == "store" and f.index < resume.index]
    colour = {n.name: n.colour for n in live}
    reasons = []
    for e in freed:
        hidden = next((s.place for s in stores if s.new == e.obj), None)
        cut = next((s.place for s in stores if s.old == e.obj and s.new is None), None)
        holder, parent = (hidden or ".").split(".")[0], (cut or ".").split(".")[0]
        if colour.get(holder) == "black" and colour.get(parent) == "gray":
            reasons.append(
                f"{e.obj} stays white: {holder} is black and never scanned again, so nobody sees {hidden}, and "
                f"{cut} = nil cut the path from gray {parent}. The sweep frees {e.obj} while {hidden} still "
                "points to it."
            )
        else:
            reasons.append(f"{e.obj} is still white when marking ends, so the sweep frees it.")
    return [
        Ask(
            step=resume.index,
            question="The collector resumes marking. Click every object the sweep will free.",
            answer=[keys.obj(e.oid) for e in freed],
            among=[keys.obj(n.id) for n in live],
            why=" ".join(reasons) or "None: a barrier shaded every object a store could hide, so marking reaches all.",
        )
    ]


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
    return Player(rec.recording, collector_view(width=700), title=TITLE, scale=scale, predict=questions(rec.recording))
