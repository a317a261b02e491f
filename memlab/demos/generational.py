"""Demo: most objects die young, so a minor collection touches only a few; the write barrier keeps one alive.

A long-lived ``config`` object has survived two minor collections and sits in the old generation.
The program makes two short-lived temporaries and stores a new ``session`` object into
``config.session``: an old object now points to a young one, so the write barrier puts ``config``
in the remembered set. The nursery fills up; the minor collection copies what the variables and
the remembered set reach (``session`` only), never looks at the rest of the old generation, and
flips: the temporaries are left behind without a single instruction spent on them.
"""

from __future__ import annotations

from ..events import Recording
from ..reclaim.objects import Heap
from ..viz import keys
from ..viz.generations import generational_view
from ..widgets import Ask
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


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def questions(recording: Recording) -> list[Ask]:
    """Predict which young objects the last minor collection of ``recording`` keeps (on :func:`demo`'s
    recording, or any generational heap's): the answer is what it really copied or promoted."""
    roots = [f for f in recording if f.event is not None and f.event.kind == "phase" and f.event.name == "roots"]
    if not roots:
        raise ValueError("this recording has no minor collection to ask about")
    start = roots[-1]
    end = next(f for f in recording[start.index :] if f.event.kind == "collected")
    kept = [f.event for f in recording[start.index : end.index] if f.event.kind in ("survived", "promoted")]
    young = [n for n in recording[start.index - 1].snapshot.nodes if n.state == "live" and "young" in n.tags]
    left = [n.name for n in young if n.name not in {e.obj for e in kept}]
    barrier = {e.target: e for f in recording[: start.index] if (e := f.event) is not None and e.kind == "remembered"}
    reasons = []
    for e in kept:
        if e.obj in barrier and e.by == barrier[e.obj].obj:
            r = barrier[e.obj]
            reasons.append(
                f"{e.obj} is reached only through {r.obj}.{r.field}. {r.obj} is old, but the write barrier put it "
                f"in the remembered set when that pointer was stored, so its fields are roots too."
            )
        else:
            reasons.append(f"{e.obj} is reached from {e.by}.")
    dead = f" {_names(left)} {'is' if len(left) == 1 else 'are'} left behind, never read." if left else ""
    return [
        Ask(
            step=start.index,
            question="The nursery is full and a minor collection starts. Click every young object it will keep.",
            answer=[keys.obj(e.oid) for e in kept],
            among=[keys.obj(n.id) for n in young],
            why=" ".join(reasons) + dead if reasons else f"None of them is reachable.{dead}",
        )
    ]


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
    view = generational_view(heap, width=700)
    return Player(rec.recording, view, title=TITLE, scale=scale, predict=questions(rec.recording))
