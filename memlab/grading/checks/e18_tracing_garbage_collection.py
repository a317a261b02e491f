"""Exercise 18: mark-sweep (McCarthy 1960; clox, *Crafting Interpreters* ch. 26).

The learner writes ``mark(gc)`` (set the mark bit of every object reachable from the roots,
visiting each once, so cycles end the walk) and ``sweep(gc)`` (walk every object: free the
unmarked ones, clear the mark bit of the others). :class:`ExerciseMarkSweep` is memlab's
:class:`~memlab.reclaim.tracing.MarkSweep` with its mark and sweep phases replaced by the
learner's, through the small :class:`Tracer` (roots, children, mark bits, objects, free).
"""

from __future__ import annotations

from dataclasses import replace

from ...reclaim.objects import Heap, Obj
from ...reclaim.tracing import Marked, MarkSweep, Pause
from ...reclaim.types import DEAD
from ..questions import Cases, Exercise, Question
from .graph_kit import alive, graph_player, listed, scope


class Tracer:
    """What the learner's mark and sweep may use."""

    def __init__(self, scheme: MarkSweep) -> None:
        self.scheme = scheme
        self.freed = 0

    @property
    def heap(self) -> Heap:
        return self.scheme.heap

    def roots(self) -> list[Obj]:
        """The objects the roots (variables, temporaries) refer to directly."""
        return [obj for _, _, obj in self.scheme.roots_now()]

    def children(self, obj: Obj) -> list[Obj]:
        """The objects ``obj`` refers to, in field order."""
        return self.heap.children(obj)

    def is_marked(self, obj: Obj) -> bool:
        """The mark bit in the object's header word."""
        return bool(self.heap.flag(obj, "marked"))

    def set_mark(self, obj: Obj, marked: bool) -> None:
        """Set or clear the mark bit (a marked object is drawn black, an unmarked one white)."""
        self.heap.set_flag(obj, "marked", int(bool(marked)))
        self.heap.set_colour(obj, "black" if marked else "white")
        if marked:
            self.scheme.emit(Marked(self.heap.step, obj.name, obj.id, obj.address, "your mark"))

    def objects(self) -> list[Obj]:
        """Every object on the heap, in address order (the sweep's walk)."""
        return self.scheme._in_address_order()

    def free(self, obj: Obj) -> None:
        """Give the object's memory back to the allocator."""
        self.scheme.bytes_allocated -= self.scheme.size(obj)
        self.heap.dealloc(obj, DEAD, "your sweep")
        self.freed += 1


class ExerciseMarkSweep(MarkSweep):
    """MarkSweep (collecting only when asked) whose mark and/or sweep are the learner's."""

    def __init__(self, *, mark=None, sweep=None) -> None:
        super().__init__(automatic=False)
        self.learner_mark, self.learner_sweep = mark, sweep
        self.tracer = Tracer(self)

    def _mark(self) -> int:
        if self.learner_mark is None:
            return super()._mark()
        self.phase("mark", "your mark: from the roots, set the mark bit of everything reachable")
        self.learner_mark(self.tracer)
        return sum(1 for o in self.heap._at.values() if self.heap.flag(o, "marked"))

    def _garbage(self) -> list[Obj]:
        return [] if self.learner_sweep is not None else super()._garbage()

    def _sweep(self, garbage: list[Obj]) -> int:
        if self.learner_sweep is None:
            return super()._sweep(garbage)
        self.phase("sweep", "your sweep: free what is unmarked, unmark the rest")
        n, before = len(self.heap._at), self.tracer.freed
        self.learner_sweep(self.tracer)
        self.freed_now = self.tracer.freed - before
        return n

    def finished(self, pause: Pause, label: str) -> int:
        if self.learner_sweep is not None:
            pause = replace(pause, freed=self.freed_now)  # what the learner's sweep really freed
        return super().finished(pause, label)


def new_heap(**fns) -> tuple[Heap, object]:
    heap = Heap(ExerciseMarkSweep(**fns))
    return heap, heap.type("Node", ["next", "other"])


def chain(heap: Heap, Node, names: str, *, ring: bool = False) -> Obj:
    objs = [heap.new(Node, name=n) for n in names]
    for a, b in zip(objs, objs[1:]):
        a.next = b
    if ring:
        objs[-1].next = objs[0]
    return objs[0]


def marked(heap: Heap) -> list[str]:
    return sorted(o.name for o in heap._at.values() if heap.flag(o, "marked"))


def check_mark(fns: dict) -> Cases:
    cases = Cases()

    def run(build, want: list[str], what: str) -> None:
        heap, Node = new_heap(mark=fns["mark"])
        with scope(heap) as s:
            build(heap, Node, s)
            heap.scheme._mark()
            got = marked(heap)
            missing = [n for n in want if n not in got]
            extra = [n for n in got if n not in want]
            cases.expect(
                not missing, f"{what}: {listed(missing)} reachable but not marked (mark what marked objects refer to)"
            )
            cases.expect(not extra, f"{what}: {listed(extra)} marked but unreachable from any root")

    with cases.case("marks what the variables refer to", 1):
        run(lambda h, N, s: setattr(s, "a", h.new(N, name="a")), ["a"], "main.a → a")
    with cases.case("marks everything reachable, not just the roots", 1):
        run(lambda h, N, s: setattr(s, "a", chain(h, N, "abcd")), list("abcd"), "main.a → a → b → c → d")
    with cases.case("leaves garbage unmarked", 1):

        def build(h, N, s):
            s.a = chain(h, N, "ab")
            s.g = chain(h, N, "xyz", ring=True)
            del s.g

        run(build, ["a", "b"], "a → b kept, x → y → z → x dropped")
    with cases.case("a cycle ends the walk: each object is visited once", 1):
        run(lambda h, N, s: setattr(s, "r", chain(h, N, "pqr", ring=True)), list("pqr"), "main.r → p → q → r → p")
    return cases


def check_sweep(fns: dict) -> Cases:
    cases = Cases()
    with cases.case("frees exactly the unmarked objects", 1):
        heap, Node = new_heap(sweep=fns["sweep"])
        with scope(heap) as s:
            s.a = chain(heap, Node, "ab")
            s.g = chain(heap, Node, "xyz", ring=True)
            del s.g
            heap.collect()
            left = alive(heap)
            cases.expect(left == ["a", "b"], f"after collect() the live objects are {listed(left)}; expected a, b")
    with cases.case("clears the mark bits of the survivors", 1):
        heap, Node = new_heap(sweep=fns["sweep"])
        with scope(heap) as s:
            s.a = chain(heap, Node, "abc")
            heap.collect()
            still = marked(heap)
            cases.expect(
                not still, f"after the sweep {listed(still)} are still marked: the next collection would keep them"
            )
    with cases.case("a second collection finds the new garbage", 1):
        heap, Node = new_heap(sweep=fns["sweep"])
        with scope(heap) as s:
            s.a = chain(heap, Node, "abc")
            heap.collect()
            s.a.next = None  # b and c become garbage
            heap.collect()
            left = alive(heap)
            cases.expect(
                left == ["a"], f"after `a.next = nil` and a second collect() the live objects are {listed(left)}"
            )
            heap.check()
    return cases


def demo(mark, sweep):
    """A list a → b → c kept, a ring x → y → z → x dropped, then one collection."""
    heap, Node = new_heap(mark=mark, sweep=sweep)
    with heap.record() as rec:
        with heap.scope("main") as s:
            s.a = chain(heap, Node, "abc")
            s.g = chain(heap, Node, "xyz", ring=True)
            del s.g
            heap.collect()
    return graph_player(rec.recording, "Your mark and sweep")


EXERCISE = Exercise(
    "18_tracing_garbage_collection",
    "Tracing garbage collection: mark-sweep",
    (
        Question("mark", "marking what is reachable", ("mark",), 4, check_mark),
        Question("sweep", "sweeping the rest", ("sweep",), 3, check_sweep),
    ),
)
