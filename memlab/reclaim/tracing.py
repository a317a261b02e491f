"""Tracing garbage collection: mark-sweep with a gray worklist (clox, *Crafting Interpreters* ch. 26).

Nothing is counted while the program runs: stores are plain writes and leaving a scope does
nothing. When the bytes allocated pass a threshold, the collector stops the program and

1. **marks** every object a root refers to (a variable of an open scope, a global, a
   temporary, an object being passed to ``new``): it sets the *mark bit* in the object's
   header word, paints it gray and pushes it on the *gray worklist*;
2. **traces**: pops a gray object, marks what it refers to, and paints it black (Dijkstra's
   tricolour abstraction: white = not reached yet, gray = reached but not scanned, black = done);
3. **sweeps** the whole heap in address order: an unmarked (white) object is garbage and its
   block goes back to the allocator; a marked one has its bit cleared for next time.

Then the threshold grows with what survived, and the pause is counted in work units (see
:mod:`.collector`, which mark-sweep shares with the copying collector). ``stress=True`` collects
before every allocation (clox's ``DEBUG_STRESS_GC``). Cycles need no special care: nothing
reaches them.

Simplifications: stop-the-world and non-incremental; only strong references (no weak
references); finalizers (``deinit``) of garbage run before any is freed while the heap is
frozen, so they can read but not store (Java and Go run finalizers later, and may resurrect).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import HeapCorruption
from .collector import Pause, Tracing
from .events import ObjEvent
from .objects import Obj
from .types import DEAD


@dataclass(frozen=True, slots=True)
class Marked(ObjEvent):
    """An object is reached for the first time: its mark bit is set and it turns gray."""

    by: str

    def describe(self) -> str:
        return f"mark {self.obj} (reached from {self.by}): set its mark bit; gray, onto the worklist"


@dataclass(frozen=True, slots=True)
class Scanned(ObjEvent):
    """A gray object's references have all been marked: it turns black."""

    refs: int

    def describe(self) -> str:
        if not self.refs:
            return f"scan {self.obj}: it refers to nothing; {self.obj} is black"
        return f"scan {self.obj}: its {self.refs} reference(s) are marked; {self.obj} is black"


@dataclass(frozen=True, slots=True)
class Swept(ObjEvent):
    """The sweeper passes a marked object and clears its mark bit."""

    def describe(self) -> str:
        return f"sweep {self.obj}: marked, so it stays; clear its mark bit for next time"


class MarkSweep(Tracing):
    """Mark-sweep with a gray worklist, mark bits in the header, sweep back to the allocator."""

    name = "mark-sweep"

    def counts(self, obj: Obj) -> tuple[tuple[str, int], ...]:
        return (("mark", self.heap.flag(obj, "marked")),)

    def collect(self, reason: str = "collect()", **options: object) -> int:
        """Mark from the roots, trace the gray worklist, sweep; returns how many objects were freed."""
        heap = self.heap
        self.reason_only("mark-sweep collect()", reason, options)
        with heap.operation(f"collect()  # {reason}"):
            before, marked, garbage = self._stop_and_mark("a mark-sweep collection")
            swept = self._sweep(garbage)
            return self.finished(Pause(reason, before, 0, marked, swept, len(garbage), 0), "mark-sweep")

    def _stop_and_mark(self, what: str) -> tuple[int, int, list[Obj]]:
        """With the heap frozen, mark from the roots and finalize the garbage: (bytes before, marked, garbage)."""
        heap = self.heap
        heap.frozen = what
        try:
            return self.bytes_allocated, self._mark(), self._garbage()
        finally:
            heap.frozen = ""

    def _mark_one(self, obj: Obj, by: str, gray: list[Obj]) -> int:
        heap = self.heap
        if heap.flag(obj, "marked"):
            return 0
        heap.set_flag(obj, "marked", 1)
        heap.set_colour(obj, "gray")
        gray.append(obj)
        self.emit(Marked(heap.step, obj._name, obj._id, obj._address, by))
        return 1

    def _mark(self) -> int:
        heap, gray = self.heap, []
        roots = self.roots_now()
        self.phase("mark roots", f"{len(roots)} root(s): set the mark bit of what each refers to")
        marked = sum(self._mark_one(obj, label, gray) for _, label, obj in roots)
        self.phase("trace", "pop a gray object, mark what it refers to, paint it black")
        while gray:
            obj = gray.pop()
            children = heap.children(obj)
            heap.counters["references traced"] += len(children)
            marked += sum(self._mark_one(child, obj._name, gray) for child in children)
            heap.set_colour(obj, "black")
            self.emit(Scanned(heap.step, obj._name, obj._id, obj._address, len(children)))
        heap.counters["marked"] += marked
        return marked

    def _garbage(self) -> list[Obj]:
        """Finalize the unmarked objects (the heap is frozen: a deinit may read, not store)."""
        heap = self.heap
        garbage = [o for o in self._in_address_order() if not heap.flag(o, "marked")]
        self.finalize(garbage)
        return garbage

    def _in_address_order(self) -> list[Obj]:
        return [self.heap._at[a] for a in sorted(self.heap._at)]

    def _sweep(self, garbage: list[Obj]) -> int:
        heap, swept = self.heap, 0
        doomed = {o._id for o in garbage}
        self.phase("sweep", "walk the heap in address order: free what is unmarked, unmark the rest")
        for obj in self._in_address_order():
            swept += 1
            if obj._id in doomed:
                self.bytes_allocated -= self.size(obj)
                heap.dealloc(obj, DEAD, "sweep: not marked, garbage")
            else:
                heap.set_flag(obj, "marked", 0)
                heap.set_colour(obj, "white")
                self.emit(Swept(heap.step, obj._name, obj._id, obj._address))
        heap.counters["swept"] += swept
        return swept

    def check(self) -> None:
        """Between collections no mark bit is set, and the byte count matches the live objects."""
        heap = self.heap
        for obj in heap._at.values():
            if heap.flag(obj, "marked") or heap.colour(obj) != "white":
                raise HeapCorruption(f"{obj._name} is still marked after the collection", address=obj._address,
                                     step=heap.step)  # fmt: skip
        total = sum(self.size(o) for o in heap._at.values())
        if total != self.bytes_allocated:
            raise HeapCorruption(f"bytes_allocated is {self.bytes_allocated} but objects use {total}",
                                 step=heap.step)  # fmt: skip


__all__ = ["MarkSweep", "Marked", "Pause", "Scanned", "Swept", "Tracing"]
