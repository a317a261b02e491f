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

Then the threshold becomes ``max(threshold, growth × bytes still live)`` (clox doubles it;
Go's ``GOGC=100`` is the same rule with a minimum heap). ``stress=True`` collects before every
allocation (clox's ``DEBUG_STRESS_GC``). Cycles need no special care: nothing reaches them.

The pause of each collection is measured in *work units*, objects marked plus objects swept,
because a wall clock is not deterministic. Marking costs in proportion to what is live;
sweeping in proportion to the whole heap.

Simplifications: stop-the-world and non-incremental; only strong references (no weak
references); finalizers (``deinit``) of garbage run before any is freed while the heap is
frozen, so they can read but not store (Java and Go run finalizers later, and may resurrect).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import HeapCorruption
from ..events import Event
from .events import Collected, ObjEvent, Phase
from .objects import Obj, Var
from .scheme import Scheme, scheme
from .types import DEAD, DEINITED, DEINITING, LIVE, STRONG, BadField


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


@dataclass(frozen=True, slots=True)
class Pause:
    """What one collection did; ``work`` is the pause in work units."""

    reason: str
    before: int  # bytes allocated when it began
    after: int  # bytes live when it ended
    marked: int  # objects marked (each also scanned); copying: objects copied
    swept: int  # objects the sweeper visited (0 for copying)
    freed: int  # objects found to be garbage
    threshold: int  # the next trigger, in bytes

    @property
    def work(self) -> int:
        return self.marked + self.swept


class Tracing(Scheme):
    """What mark-sweep and copying share: no counting, a byte trigger, a history of pauses."""

    colours = True
    exports = ("history", "bytes_allocated", "next_gc", "work")

    def __init__(self, threshold: int = 1024, growth: float = 2.0, stress: bool = False, automatic: bool = True):
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
            raise BadField(f"threshold {threshold!r} must be a whole number of bytes >= 0")
        if isinstance(growth, bool) or not isinstance(growth, int | float) or not 1 <= growth < math.inf:
            raise BadField(f"growth {growth!r} must be a finite number >= 1 (2.0 doubles the threshold)")
        for name, flag in (("stress", stress), ("automatic", automatic)):
            if not isinstance(flag, bool):
                raise BadField(f"{name}={flag!r} must be True or False")
        self.threshold, self.growth = threshold, float(growth)
        self.stress, self.automatic = stress, automatic
        self.next_gc = threshold
        self.bytes_allocated = 0
        self.history: list[Pause] = []

    @property
    def work(self) -> int:
        """Work units of every collection so far."""
        return sum(p.work for p in self.history)

    def validate(self, place, old: Obj | None, new: Obj | None) -> None:
        if place.kind != STRONG:
            raise BadField(
                f"{place.label}: the {self.name} collector traces strong references only, not {place.kind} ones",
                step=self.heap.step,
            )

    def init(self, obj: Obj) -> None:
        self.heap.set_colour(obj, "white")
        self.bytes_allocated += self.size(obj)

    def size(self, obj: Obj) -> int:
        return obj._type.size(len(self.heap.header))

    def due(self, size: int) -> str:
        """Why the next allocation of ``size`` bytes must collect first ("" if it need not)."""
        if self.stress:
            return "stress mode: collect before every allocation"
        if self.bytes_allocated + size > self.next_gc:
            return f"{self.bytes_allocated} + {size} bytes would pass the threshold of {self.next_gc}"
        return ""

    def reserve(self, size: int) -> None:
        reason = self.due(size) if self.automatic else ""
        if reason:
            self.collect(reason=reason)

    def roots_now(self) -> list[tuple[Var | None, str, Obj]]:
        """Every root with its variable and a label: variables, temporaries, arguments of ``new``."""
        heap, found = self.heap, []
        for var, obj in heap.roots():
            found.append((var, var.label if var is not None else f"temporary ({obj._name})", obj))
        found += [(None, f"argument ({obj._name})", obj) for obj in heap.arguments if obj._state == LIVE]
        return found

    def emit(self, event: Event) -> None:
        if self.heap.recorder is not None:
            self.heap.emit(event)

    def phase(self, name: str, detail: str) -> None:
        self.emit(Phase(self.heap.step, name, detail))

    def next_threshold(self) -> int:
        """The trigger after a collection: ``growth`` times what survived, at least ``threshold``."""
        return max(self.threshold, int(self.bytes_allocated * self.growth))

    def trigger_text(self) -> str:
        return f"next collection above {self.next_gc} bytes"

    def finished(self, pause: Pause, label: str) -> int:
        self.next_gc = self.next_threshold()
        pause = Pause(pause.reason, pause.before, self.bytes_allocated, pause.marked, pause.swept, pause.freed,
                      self.next_gc)  # fmt: skip
        self.history.append(pause)
        self.heap.counters["collections"] += 1
        self.emit(Collected(self.heap.step, label, pause.freed, pause.marked + pause.freed))
        self.phase("done", f"pause of {pause.work} work units; {pause.after} bytes live; {self.trigger_text()}")
        return pause.freed

    def tags(self, obj: Obj) -> tuple[str, ...]:
        tags = list(super().tags(obj))
        if self.heap.allocated(obj) and self.heap.flag(obj, "marked"):
            tags.append("marked")
        return tuple(tags)


@scheme("mark-sweep")
class MarkSweep(Tracing):
    """Mark-sweep with a gray worklist, mark bits in the header, sweep back to the allocator."""

    def counts(self, obj: Obj) -> tuple[tuple[str, int], ...]:
        return (("mark", self.heap.flag(obj, "marked")),)

    def collect(self, reason: str = "collect()", **options: object) -> int:
        """Mark from the roots, trace the gray worklist, sweep; returns how many objects were freed."""
        heap = self.heap
        if options:
            raise TypeError(f"mark-sweep collect() takes only reason, got {', '.join(options)}")
        with heap.operation(f"collect()  # {reason}"):
            heap.frozen = "a mark-sweep collection"
            try:
                before = self.bytes_allocated
                marked = self._mark()
                garbage = self._garbage()
            finally:
                heap.frozen = ""
            swept = self._sweep(garbage)
            return self.finished(Pause(reason, before, 0, marked, swept, len(garbage), 0), "mark-sweep")

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
        for obj in garbage:
            heap.set_state(obj, DEINITING)
            heap.run_deinit(obj)
            heap.set_state(obj, DEINITED)
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
