"""Exercise 16: synchronous cycle collection by trial deletion (Bacon & Rajan 2001).

The learner writes the two recursive procedures of the paper's CollectCycles:
``mark_gray(gc, obj)`` (paint gray, trial-delete every internal reference) and
``scan(gc, obj)`` (an object still counted from outside is live: ScanBlack restores it and
everything it reaches; otherwise it is white, and so may be its children). memlab's
:class:`~memlab.reclaim.cycles.BaconRajan` runs MarkRoots, ScanRoots and CollectRoots with
them, so the colours, counts and frees are real and animate like the course's.
"""

from __future__ import annotations

from ...errors import HeapCorruption
from ...reclaim.cycles import BLACK, GRAY, WHITE, BaconRajan
from ...reclaim.objects import Heap, Obj
from ..questions import Cases, Exercise, Question
from .graph_kit import alive, graph_player, listed, scope

__all__ = ["BLACK", "GRAY", "WHITE", "EXERCISE", "Collector", "ExerciseBaconRajan", "demo"]


class Collector:
    """What the learner's procedures may use: colours, counts, children, and ScanBlack."""

    def __init__(self, scheme: BaconRajan) -> None:
        self.scheme = scheme

    def colour(self, obj: Obj) -> str:
        """``"black"``, ``"gray"``, ``"white"`` or ``"purple"``, read from the object's header."""
        return self.scheme.heap.colour(obj)

    def paint(self, obj: Obj, colour: str) -> None:
        self.scheme.paint(obj, colour, "yours")

    def rc(self, obj: Obj) -> int:
        return self.scheme.heap.word(obj, "rc")

    def trial_decrement(self, obj: Obj) -> None:
        """Take one from ``obj``'s count without freeing it (trial deletion)."""
        self.scheme._trial(obj, -1, "trial deletion")

    def children(self, obj: Obj) -> list[Obj]:
        """The objects ``obj`` refers to strongly, in field order."""
        return self.scheme.heap.children(obj)

    def scan_black(self, obj: Obj) -> None:
        """The paper's ScanBlack: paint ``obj`` and all it reaches black, restoring their counts."""
        self.scheme._scan_black(obj)


class ExerciseBaconRajan(BaconRajan):
    """Bacon–Rajan with the learner's MarkGray and/or Scan."""

    def __init__(self, *, mark_gray=None, scan=None) -> None:
        super().__init__()
        self.learner_mark_gray, self.learner_scan = mark_gray, scan
        self.collector = Collector(self)

    def _mark_gray(self, root: Obj) -> int:
        if self.learner_mark_gray is None:
            return super()._mark_gray(root)
        self.learner_mark_gray(self.collector, root)
        return 0

    def _scan_roots(self) -> None:
        if self.learner_scan is None:
            return super()._scan_roots()
        self._phase("ScanRoots", "gray objects still counted from outside turn black again; the rest turn white")
        for root in self.buffer:
            self.learner_scan(self.collector, root)


def new_heap(**fns) -> tuple[Heap, object]:
    heap = Heap(ExerciseBaconRajan(**fns))
    return heap, heap.type("Node", ["next", "other"])


def ring(heap: Heap, Node, names: str, scope) -> Obj:
    """Objects named by ``names`` in a ring (each .next is the following one); returns the first."""
    objs = [heap.new(Node, name=n) for n in names]
    for i, o in enumerate(objs):
        o.next = objs[(i + 1) % len(objs)]
    scope.first = objs[0]
    return objs[0]


def check_mark_gray(fns: dict) -> Cases:
    cases = Cases()
    with cases.case("a ring of three: all gray, every internal reference subtracted", 1):
        heap, Node = new_heap(mark_gray=fns["mark_gray"])
        with scope(heap) as s:
            a = ring(heap, Node, "abc", s)
            root = s.first
            del s.first  # a's count drops from 2 to 1: a possible root (purple)
            heap.scheme._mark_gray(root)
            colours = {o.name: heap.colour(o) for o in (a, a.next, a.next.next)}
            cases.expect(
                set(colours.values()) == {GRAY}, f"after mark_gray(a) the colours are {colours}; all should be gray"
            )
            counts = {o.name: heap.word(o, "rc") for o in (a, a.next, a.next.next)}
            cases.expect(
                counts == {"a": 0, "b": 0, "c": 0}, f"after mark_gray(a) the counts are {counts}; expected all 0"
            )
    with cases.case("a shared object is decremented once per reference, visited once", 1):
        heap, Node = new_heap(mark_gray=fns["mark_gray"])
        with scope(heap) as s:
            s.r = heap.new(Node, name="r", next=heap.new(Node, name="x"))
            s.r.other = s.r.next  # r → x twice
            s.y = s.r.next
            heap.scheme._mark_gray(s.r)
            cases.expect(
                heap.word(s.y, "rc") == 1, f"x has rc {heap.word(s.y, 'rc')}; expected 3 - 2 = 1 (r refers to it twice)"
            )
    return cases


HINT = "a gray object still counted from outside is live: gc.scan_black(obj) restores it and all it reaches"


def _collect(cases: Cases, heap: Heap, want_alive: list[str], what: str) -> None:
    heap.collect()
    left = alive(heap)
    cases.expect(
        left == sorted(want_alive),
        f"{what}: after collect() the live objects are {listed(left)}; expected {listed(sorted(want_alive))} ({HINT})",
    )
    try:
        heap.check()  # every count equals the references that hold it
    except HeapCorruption as e:
        cases.expect(False, f"{what}: after collect(), {e.message} ({HINT}, undoing the trial deletions)")


def check_scan(fns: dict) -> Cases:
    cases = Cases()
    with cases.case("a garbage ring is collected", 1):
        heap, Node = new_heap(scan=fns["scan"])
        with scope(heap) as s:
            ring(heap, Node, "abc", s)
            del s.first
            _collect(cases, heap, [], "a ring nothing refers to")
    with cases.case("a ring still referenced from outside survives, counts restored", 1):
        heap, Node = new_heap(scan=fns["scan"])
        with scope(heap) as s:
            ring(heap, Node, "abc", s)
            s.keep = s.first.next  # b is referenced from outside
            del s.first
            _collect(cases, heap, ["a", "b", "c"], "a ring held through b")
    with cases.case("ScanBlack re-scans: objects reached from a live one stay alive", 1):
        heap, Node = new_heap(scan=fns["scan"])
        with scope(heap) as s:
            s.p = heap.new(Node, name="p", next=heap.new(Node, name="q"))
            s.p.next.next = s.p  # p ⇄ q
            s.p.other = heap.new(Node, name="t")
            s.extra = s.p
            del s.extra  # p is buffered; main.p still holds it
            _collect(cases, heap, ["p", "q", "t"], "p ⇄ q and p → t, with p held by main.p")
    with cases.case("a parent with ten children holding back-pointers (11 roots, all freed)", 1):
        heap, Node = new_heap(scan=fns["scan"])
        with scope(heap) as s:
            s.parent = heap.new(Node, name="parent")
            for i in range(10):
                child = heap.new(Node, name=f"child{i}", next=s.parent)
                s.parent.other = child
                s.last = child
                del s.last
            del s.parent
            _collect(cases, heap, [], "the parent and its children")
    return cases


def demo(mark_gray, scan):
    """A ring a → b → c → a that loses its last outside reference, then one collection."""
    heap, Node = new_heap(mark_gray=mark_gray, scan=scan)
    with heap.record() as rec:
        with heap.scope("main") as s:
            ring(heap, Node, "abc", s)
            del s.first
            heap.collect()
    return graph_player(rec.recording, "Your mark_gray and scan")


EXERCISE = Exercise(
    "16_cycle_collection",
    "Cycle collection by trial deletion",
    (
        Question("mark_gray", "MarkGray: trial deletion", ("mark_gray",), 2, check_mark_gray),
        Question("scan", "Scan: black again, or white", ("scan",), 4, check_scan),
    ),
)
