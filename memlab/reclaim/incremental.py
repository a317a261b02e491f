"""Incremental tri-colour marking: the collector marks a little at a time, and the program runs in between.

It follows Dijkstra, Lamport, Martin, Scholten & Steffens (*On-the-fly garbage collection*, 1978)
and Yuasa (*Real-time garbage collection on general-purpose machines*, 1990), as the GC Handbook
(Jones, Hosking & Moss, 2nd ed. 2023, chapter 15) presents them, and the way Go's collector
(Go 1.5 to 1.7) used the Dijkstra barrier. Every object is white (not reached), gray (reached,
not scanned) or black (reached and scanned); the colour sits in the header word. A cycle:

1. **Start** (a short pause): the objects the roots refer to turn gray.
2. **Marking, in increments.** Each increment pops up to ``slice`` gray objects, shades gray what
   each refers to, and paints it black. Between increments the program runs: it allocates (new
   objects are born black, as in Go) and it stores references.
3. **Termination** (a pause), when no gray object is left. Variables have no barrier (nor do
   stacks in Go), so under Dijkstra's barrier the collector rescans the roots and traces what
   they reach, to the end, in this one pause: the pause that Go 1.8's hybrid barrier removed.
   Under Yuasa's barrier the roots were snapshotted at the start and nothing is left to do.
   The objects still white are garbage; their deinits run now.
4. **Sweeping, in increments**: up to ``slice`` objects at a time, in address order, the garbage
   goes back to the allocator and the survivors turn white. Objects allocated meanwhile are white
   and not part of this sweep.

**The danger**: while the collector is between increments, the program may store a pointer to a
white object into a black one (which will never be scanned again), then delete every other path
to it. The collector never finds it and the sweep frees a live object. Two invariants prevent it:

* the *strong* tri-colour invariant, no black object points to a white one, which **Dijkstra's
  insertion barrier** keeps: a store into an object field first shades the new target gray;
* the *weak* invariant, every white object a black one points to is reachable from a gray object
  through white objects, which **Yuasa's deletion (snapshot) barrier** keeps: a store first shades
  the target it overwrites, so everything reachable when marking began gets marked.

``barrier=None`` has neither: :meth:`Incremental.check` names the broken invariant at the store
that breaks it, and reading the lost object after the sweep raises :class:`~.types.DeadObject`.

**Pacing**: while a cycle runs, every allocation pays for one increment (Lua's collector also
steps with allocation); ``heap.increment()`` runs one by hand. A cycle starts when the bytes
allocated pass the threshold (notebook 18's trigger). ``heap.collect()`` finishes the cycle in
progress and runs one whole new cycle, as Go's ``runtime.GC()`` does. Each pause is a
:class:`~.collector.Pause` of kind ``start``, ``mark``, ``final`` or ``sweep``; its work counts
objects shaded at the start, objects scanned, roots rescanned and objects swept.

Simplifications: incremental, not concurrent (the program and the collector take turns; a
concurrent collector runs both at once and must make each barrier atomic with its store); one
increment per allocation rather than work in proportion to the bytes allocated; only strong
references.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ..errors import HeapCorruption
from .collector import Pause, Tracing
from .events import Collected, ObjEvent
from .objects import Obj, Slot
from .tracing import Marked, Scanned, Swept
from .types import DEAD, DEINITED, LIVE, BadField, DeadObject

BARRIERS = {"dijkstra": "Dijkstra", "yuasa": "Yuasa", None: "no"}
IDLE, MARKING, SWEEPING = "idle", "marking", "sweeping"


@dataclass(frozen=True, slots=True)
class Shaded(ObjEvent):
    """A write barrier shades an object gray (views outline the object)."""

    place: str
    barrier: str  # "Dijkstra's barrier" or "Yuasa's barrier"

    def describe(self) -> str:
        if self.barrier.startswith("Dijkstra"):
            return (
                f"Dijkstra's barrier: {self.place} is about to point to white {self.obj}: shade {self.obj} gray, "
                "so that no black object points to a white one"
            )
        return (
            f"Yuasa's barrier: {self.place} is about to lose its pointer to white {self.obj}: shade {self.obj} "
            "gray, so that everything reachable when marking began gets marked"
        )


class Incremental(Tracing):
    """Tri-colour marking and sweeping in increments, with Dijkstra's, Yuasa's or no write barrier."""

    name = "incremental"

    exports = (*Tracing.exports, "increment", "stage", "barrier", "cycles", "gray")
    default_allocator = "freelist"

    def __init__(
        self,
        barrier: str | None = "dijkstra",
        slice: int = 4,
        threshold: int = 1024,
        growth: float = 2.0,
        stress: bool = False,
        automatic: bool = True,
    ) -> None:
        super().__init__(threshold=threshold, growth=growth, stress=stress, automatic=automatic)
        if barrier not in BARRIERS:
            raise BadField(f"barrier {barrier!r} must be 'dijkstra', 'yuasa' or None")
        if isinstance(slice, bool) or not isinstance(slice, int) or slice < 1:
            raise BadField(f"slice {slice!r} must be a whole number of objects >= 1 (the work of one increment)")
        self.barrier, self.slice = barrier, slice
        self.stage = IDLE
        self.gray: list[Obj] = []  # the gray worklist (a stack, as in clox)
        self.cycles = 0
        self._to_sweep: list[Obj] = []
        self._swept = 0  # how far the sweep has got in _to_sweep
        self._increment = 0  # marking increments in this cycle
        self._condemned_at = 0  # the step at which marking ended
        self._cycle_freed = 0

    # -- what views show ----------------------------------------------------------------------------
    def counts(self, obj: Obj) -> tuple[tuple[str, int], ...]:
        return (("mark", self.heap.flag(obj, "marked")),)

    def note(self) -> str:
        if self.stage == MARKING:
            return f"marking, increment {self._increment} ({BARRIERS[self.barrier]} barrier)"
        if self.stage == SWEEPING:
            return f"sweeping: {self._swept} of {len(self._to_sweep)} swept"
        return f"idle: the next cycle starts above {self.next_gc} bytes"

    # -- the write barrier ------------------------------------------------------------------------------
    def assign(self, place, old: Obj | None, new: Obj | None, consumed: bool) -> None:
        heap = self.heap
        if self.stage == MARKING and isinstance(place, Slot) and self.barrier is not None:
            heap.counters["barrier runs"] += 1
            if self.barrier == "yuasa" and old is not None:
                self.shade(old, place.label, "Yuasa's barrier")
            if self.barrier == "dijkstra" and new is not None:
                self.shade(new, place.label, "Dijkstra's barrier")
        heap.write(place, new, old, consumed)

    def shade(self, obj: Obj, place: str, barrier: str) -> None:
        """A barrier's shade: a white object turns gray and joins the worklist (others stay as they are)."""
        heap = self.heap
        if heap.flag(obj, "marked") or obj._state != LIVE:
            return
        heap.set_flag(obj, "marked", 1)
        heap.set_colour(obj, "gray")
        self.gray.append(obj)
        heap.counters["barrier shades"] += 1
        self.emit(Shaded(heap.step, obj._name, obj._id, obj._address, place, barrier))

    def init(self, obj: Obj) -> None:
        super().init(obj)
        if self.stage == MARKING:  # allocated black: reachable now, and nothing in it to scan yet
            self.heap.set_flag(obj, "marked", 1)
            self.heap.set_colour(obj, "black")

    def load(self, place, obj: Obj | None) -> Obj | None:
        if obj is not None and obj._state == DEINITED:
            raise DeadObject(
                f"read {place.label}: it points to {obj._name}, which the collector found white at the end of "
                f"marking (step {self._condemned_at}) and condemned as garbage: a live object was lost",
                address=obj._address,
                step=self.heap.step,
            )
        return super().load(place, obj)

    # -- when to work ---------------------------------------------------------------------------------
    def reserve(self, size: int) -> None:
        if not self.automatic:
            return
        if self.stage != IDLE:
            self._pause("an allocation pays for one increment")
            return
        reason = self.due(size)
        if reason:
            self._pause(reason)

    def increment(self, reason: str = "increment()") -> Pause:
        """Run one increment of the collector (starting a cycle if none is running); returns its pause."""
        with self.heap.operation(f"increment()  # {reason}"):
            return self._pause(reason)

    def collect(self, reason: str = "collect()", **options: object) -> int:
        """Finish the cycle in progress, then run a whole new one; returns how many objects were freed."""
        heap = self.heap
        self.reason_only("incremental collect()", reason, options)
        with heap.operation(f"collect()  # {reason}"):
            freed = heap.counters["freed"]
            while self.stage != IDLE:
                self._pause(reason)
            self._pause(reason)
            while self.stage != IDLE:
                self._pause(reason)
            return heap.counters["freed"] - freed

    def _pause(self, reason: str) -> Pause:
        """One pause of the program: start a cycle, mark a slice, terminate marking, or sweep a slice."""
        heap = self.heap
        heap.frozen = "an increment of the collector"
        try:
            if self.stage == IDLE:
                return self._start(reason)
            if self.stage == MARKING:
                return self._mark_slice(reason) if self.gray else self._terminate(reason)
            return self._sweep_slice(reason)
        finally:
            heap.frozen = ""

    def _record(self, kind: str, reason: str, marked: int = 0, swept: int = 0, freed: int = 0) -> Pause:
        pause = Pause(reason, self._before, self.bytes_allocated, marked, swept, freed, self.next_gc, kind)
        self.history.append(pause)
        self.heap.counters["pauses"] += 1
        return pause

    # -- marking ----------------------------------------------------------------------------------------
    def _grey(self, obj: Obj, by: str) -> int:
        heap = self.heap
        if heap.flag(obj, "marked"):
            return 0
        heap.set_flag(obj, "marked", 1)
        heap.set_colour(obj, "gray")
        self.gray.append(obj)
        self.emit(Marked(heap.step, obj._name, obj._id, obj._address, by))
        return 1

    def _scan(self, obj: Obj) -> None:
        heap = self.heap
        children = heap.children(obj)
        heap.counters["references traced"] += len(children)
        for child in children:
            self._grey(child, obj._name)
        heap.set_colour(obj, "black")
        heap.counters["marked"] += 1
        self.emit(Scanned(heap.step, obj._name, obj._id, obj._address, len(children)))

    def _start(self, reason: str) -> Pause:
        self.stage, self._increment, self._cycle_freed = MARKING, 0, 0
        self._before = self.bytes_allocated
        roots = self.roots_now()
        self.phase(
            "start",
            f"a short pause: shade gray what the {len(roots)} root(s) refer to; from now on the program runs "
            f"between increments, with {BARRIERS[self.barrier]} write barrier",
        )
        shaded = sum(self._grey(obj, label) for _, label, obj in roots)
        return self._record("start", reason, marked=shaded)

    def _mark_slice(self, reason: str) -> Pause:
        self._increment += 1
        detail = f"increment {self._increment}: scan up to {self.slice} gray object(s), then the program runs"
        self.phase("mark", detail)
        scanned = 0
        while self.gray and scanned < self.slice:
            self._scan(self.gray.pop())
            scanned += 1
        return self._record("mark", reason, marked=scanned)

    def _terminate(self, reason: str) -> Pause:
        heap, work = self.heap, 0
        if self.barrier == "yuasa":
            self.phase("end of marking", "no gray object is left; the roots were snapshotted at the start: no rescan")
        else:
            roots = self.roots_now()
            self.phase(
                "end of marking",
                f"no gray object is left; variables have no barrier, so rescan the {len(roots)} root(s) and trace "
                "what they reach, all in this pause",
            )
            work += len(roots)
            for _, label, obj in roots:
                self._grey(obj, label)
            while self.gray:
                self._scan(self.gray.pop())
                work += 1
        garbage = [o for o in self._in_address_order() if not heap.flag(o, "marked")]
        self.finalize(garbage)
        self._condemned_at = heap.step
        self._to_sweep, self._swept = self._in_address_order(), 0
        self.stage = SWEEPING
        names = ", ".join(o._name for o in garbage) or "nothing"
        self.phase("condemned", f"still white, so garbage: {names}")
        return self._record("final", reason, marked=work, freed=len(garbage))

    def _in_address_order(self) -> list[Obj]:
        return [self.heap._at[a] for a in sorted(self.heap._at)]

    # -- sweeping ---------------------------------------------------------------------------------------
    def _sweep_slice(self, reason: str) -> Pause:
        heap = self.heap
        start, end = self._swept, min(self._swept + self.slice, len(self._to_sweep))
        self.phase("sweep", f"sweep objects {start + 1} to {end} of {len(self._to_sweep)}, in address order")
        freed = 0
        for obj in self._to_sweep[start:end]:
            if obj._state == DEINITED:
                self.bytes_allocated -= self.size(obj)
                self.bury(obj, obj._address)
                heap.dealloc(obj, DEAD, "sweep: white at the end of marking, garbage")
                freed += 1
            elif heap.allocated(obj):
                heap.set_flag(obj, "marked", 0)
                heap.set_colour(obj, "white")
                self.emit(Swept(heap.step, obj._name, obj._id, obj._address))
        self._swept = end
        heap.counters["swept"] += end - start
        self._cycle_freed += freed
        pause = self._record("sweep", reason, swept=end - start, freed=freed)
        if end == len(self._to_sweep):
            self.stage, self._to_sweep, self._swept = IDLE, [], 0
            self.next_gc = self.next_threshold()
            self.cycles += 1
            heap.counters["collections"] += 1
            self.emit(Collected(heap.step, "incremental", self._cycle_freed, end))
            self.phase("done", f"cycle {self.cycles} ends; {self.bytes_allocated} bytes live; {self.trigger_text()}")
        return pause

    # -- invariants -------------------------------------------------------------------------------------
    def check(self) -> None:
        """Colours agree with mark bits and the worklist; the stage's tri-colour invariant holds; bytes add up."""
        heap = self.heap
        self.check_references()

        def problem(text: str, obj: Obj | None = None) -> None:
            raise HeapCorruption(text, address=obj._address if obj else None, step=heap.step)

        gray = {o._id for o in self.gray}
        for obj in heap._at.values():
            colour, marked = heap.colour(obj), heap.flag(obj, "marked")
            if (colour == "white") == bool(marked) or colour == "purple":
                problem(f"{obj._name} is {colour} but its mark bit is {marked}", obj)
            if (colour == "gray") != (obj._id in gray):
                has = "holds" if obj._id in gray else "lacks"
                problem(f"{obj._name} is {colour}, but the gray worklist {has} it", obj)
            if self.stage == IDLE and colour != "white" or self.stage == SWEEPING and colour == "gray":
                problem(f"{obj._name} is still {colour} while the collector is {self.stage}", obj)
            if obj._state == DEINITED and self.stage != SWEEPING:
                problem(f"{obj._name} is condemned, but no sweep is running", obj)
        if self.stage == MARKING:
            broken = self.invariant()
            if broken:
                raise HeapCorruption(broken, step=heap.step)
        if self.stage == SWEEPING:
            for place, target in self._references():
                if target._state == DEINITED and (place.obj._state == LIVE if isinstance(place, Slot) else True):
                    problem(
                        f"{place.label} refers to {target._name}, which the collector condemned as garbage at step "
                        f"{self._condemned_at}: it lost a live object, and the sweep will free it",
                        target,
                    )
        total = sum(self.size(o) for o in heap._at.values())
        if total != self.bytes_allocated:
            raise HeapCorruption(f"bytes_allocated is {self.bytes_allocated} but objects use {total}", step=heap.step)

    def _references(self):
        heap = self.heap
        for obj in list(heap._at.values()):
            for slot, target in heap.refs(obj):
                if target is not None:
                    yield slot, target
        for var, target in heap.roots():
            if var is not None:
                yield var, target

    def invariant(self) -> str:
        """While marking: "" if this barrier's tri-colour invariant holds, else what breaks it ("" between marks)."""
        heap = self.heap
        if self.stage != MARKING:
            return ""
        white = lambda o: heap.colour(o) == "white"  # noqa: E731
        if self.barrier == "dijkstra":
            for obj in heap._at.values():
                if heap.colour(obj) == "black":
                    for slot, target in heap.refs(obj):
                        if target is not None and white(target):
                            return (
                                f"strong tri-colour invariant broken: black {obj._name} points to white "
                                f"{target._name} through {slot.label}"
                            )
            return ""
        rescan = self.barrier is None  # no barrier: the end of marking rescans the roots, but stops at black
        starts = [o for o in heap._at.values() if heap.colour(o) == "gray"]
        protected: set[int] = set()
        queue = deque(starts)
        if rescan:
            for _, obj in heap.roots():
                if white(obj) and obj._id not in protected:
                    protected.add(obj._id)
                    queue.append(obj)
        while queue:
            for child in heap.children(queue.popleft()):
                if white(child) and child._id not in protected:
                    protected.add(child._id)
                    queue.append(child)
        via = "a gray object or a root" if rescan else "a gray object"
        for obj in heap._at.values():
            if heap.colour(obj) != "black":
                continue
            for slot, target in heap.refs(obj):
                if target is not None and white(target) and target._id not in protected:
                    return (
                        f"tri-colour invariant broken: black {obj._name} points to white {target._name} through "
                        f"{slot.label}, and no path of white objects leads to {target._name} from {via}: marking "
                        f"will never find it, and the sweep will free a live object"
                    )
        if not rescan:
            for var, obj in heap.roots():
                if white(obj) and obj._id not in protected:
                    where = var.label if var is not None else "a temporary"
                    return (
                        f"weak tri-colour invariant broken: {where} refers to white {obj._name}, "
                        "which no gray object protects"
                    )
        return ""


__all__ = ["BARRIERS", "Incremental", "Shaded"]
