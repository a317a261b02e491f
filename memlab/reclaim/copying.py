"""Copying garbage collection: Cheney's semispace algorithm (CACM 1970).

The heap is two halves of one region taken from the underlying allocator. New objects are
bump-allocated in *from-space*. When the next object does not fit, the collector copies every
object reachable from the roots into *to-space*, then the halves swap roles:

1. each root's object is **copied** to the free pointer of to-space, and its old header word is
   overwritten with a **forwarding address** (the new address with the top bit set), so
   later references to it find the copy;
2. a **scan pointer** walks to-space from its start: every reference of the scanned object is
   updated to its target's new address (copying the target first if it has no forwarding
   address yet). When scan meets free, everything reachable has been copied;
3. the **flip**: to-space becomes from-space; what was left behind is garbage and is never
   touched, not even to free it.

Between the two pointers lies Cheney's implicit gray worklist: objects behind scan are black,
between scan and free gray, still in from-space white. The pause is proportional to the live
objects only (``Pause.marked`` counts the copies), and the new heap is compacted: allocation is
a pointer bump again. The price is half the memory, and objects move (their addresses change).

Simplifications: only strong references; deinits of garbage do not run (a copying collector
never visits garbage; real runtimes keep a separate list of objects with finalizers).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import HeapCorruption, OutOfMemory
from .collector import Pause, Tracing
from .events import ObjEvent
from .objects import Obj
from .semispace import SemiSpace
from .types import DEAD

FORWARDED = 1 << 63
"""Top bit of a header word: the rest is the address of the object's copy."""


@dataclass(frozen=True, slots=True)
class Copied(ObjEvent):
    """An object is copied to to-space; its old header now holds the forwarding address."""

    to: int
    by: str

    def describe(self) -> str:
        return (
            f"copy {self.obj} (reached from {self.by}) from {self.address:#x} to {self.to:#x}; "
            f"its old header now holds the forwarding address {self.to:#x}"
        )


@dataclass(frozen=True, slots=True)
class Forwarded(ObjEvent):
    """A reference is updated to the new copy of its target."""

    place: str
    to: int

    def describe(self) -> str:
        return f"{self.place} now points to the copy of {self.obj} at {self.to:#x}"


@dataclass(frozen=True, slots=True)
class Scavenged(ObjEvent):
    """The scan pointer passes an object: all its references point into to-space now."""

    refs: int

    def describe(self) -> str:
        if not self.refs:
            return f"scan {self.obj}: it refers to nothing; scan moves past it"
        return f"scan {self.obj}: its {self.refs} reference(s) now point into to-space; scan moves past it"


def evacuate(heap, obj: Obj, new: int, size: int, moved: dict[int, Obj]) -> int:
    """Cheney's forward: copy ``obj``'s ``size`` bytes to ``new``, write the forwarding word
    (``FORWARDED | new``) over its old first word, and file it under its new address (``moved``
    keeps it under the old one for the views). Returns the old address."""
    old = obj._address
    heap.memory.copy(new, old, size)
    heap.memory.write_word(old, FORWARDED | new)
    del heap._at[old]
    moved[old] = obj
    obj._address = new
    heap._at[new] = obj
    return old


class Copying(Tracing):
    """Cheney's copying collector over two semispaces; collects when from-space is full."""

    name = "copying"

    exports = (*Tracing.exports, "space")

    def __init__(self, semispace: int = 4096, stress: bool = False, automatic: bool = True) -> None:
        super().__init__(threshold=0, growth=1.0, stress=stress, automatic=automatic)
        self.semispace = semispace
        self._old: dict[int, Obj] = {}  # from-space address -> object, during a collection

    def attach(self, heap) -> None:
        super().attach(heap)
        self.space = SemiSpace(heap.allocator, self.semispace)
        heap.allocator = self.space
        self.next_gc = self.space.size

    def next_threshold(self) -> int:
        return self.space.size  # the next collection comes when from-space is full

    def trigger_text(self) -> str:
        return f"next collection when the {self.space.size}-byte from-space is full"

    def due(self, size: int) -> str:
        if self.stress:
            return "stress mode: collect before every allocation"
        if size > self.space.room():
            return f"from-space full: {size} bytes do not fit in the {self.space.room()} left"
        return ""

    def reserve(self, size: int) -> None:
        collected = bool(self.due(size)) and self.automatic
        super().reserve(size)
        if collected and size > self.space.room():
            raise OutOfMemory(
                f"from-space full even after a collection: {self.bytes_allocated} bytes are live, "
                f"{self.space.room()} of the {self.space.size}-byte semispace are left, {size} are needed",
                step=self.heap.step,
            )

    def decode(self, place, word: int) -> Obj | None:
        if not word:
            return None
        return self.heap._at.get(word) or self._old.get(word)

    def counts(self, obj: Obj) -> tuple[tuple[str, int], ...]:
        return (("bytes", self.size(obj)),)  # no count and no mark bit: only its size matters

    def tags(self, obj: Obj) -> tuple[str, ...]:
        lo, hi = self.space.from_space
        where = "from-space" if lo <= obj._address < hi else "to-space"
        return (*super().tags(obj), where)

    def collect(self, reason: str = "collect()", **options: object) -> int:
        """Copy what the roots reach into to-space, then flip; returns how many objects were left behind."""
        heap = self.heap
        self.reason_only("copying collect()", reason, options)
        with heap.operation(f"collect()  # {reason}"):
            heap.frozen = "a copying collection"
            try:
                before, found = self.bytes_allocated, len(heap._at)
                copied, top = self._evacuate()
                garbage = [o for o in heap._at.values() if o._id not in copied]
                self._flip(copied, top, garbage)
            finally:
                heap.frozen = ""
                self._old = {}
            heap.counters["copied"] += len(copied)
            return self.finished(Pause(reason, before, 0, len(copied), 0, found - len(copied), 0), "copying")

    def _evacuate(self) -> tuple[dict[int, Obj], int]:
        heap = self.heap
        lo, _ = self.space.to_space
        copied: dict[int, Obj] = {}
        free = [lo]

        def forward(obj: Obj, by: str) -> int:
            if obj._id in copied:
                return obj._address
            size = self.size(obj)
            new = free[0]
            free[0] += size
            old = evacuate(heap, obj, new, size, self._old)
            copied[obj._id] = obj
            heap.set_colour(obj, "gray")
            self.emit(Copied(heap.step, obj._name, obj._id, old, new, by))
            return new

        roots = self.roots_now()
        self.phase("copy roots", f"{len(roots)} root(s): copy what each refers to into to-space")
        for var, label, obj in roots:
            new = forward(obj, label)
            if var is not None and var.word != new:
                var.word = new
                self.emit(Forwarded(heap.step, obj._name, obj._id, obj._address, label, new))
        self.phase("scan", "the scan pointer walks to-space; every reference is updated to the copy")
        scan = lo
        while scan < free[0]:
            obj = heap._at[scan]
            refs = 0
            for slot, target in heap.refs(obj):
                if target is None:
                    continue
                refs += 1
                new = forward(target, obj._name)
                if slot.get() != new:
                    slot.put(new)
                    self.emit(Forwarded(heap.step, target._name, target._id, target._address, slot.label, new))
            heap.set_colour(obj, "black")
            self.emit(Scavenged(heap.step, obj._name, obj._id, obj._address, refs))
            scan += self.size(obj)
        return copied, free[0]

    def _flip(self, copied: dict[int, Obj], top: int, garbage: list[Obj]) -> None:
        heap = self.heap
        for obj in garbage:
            del heap._at[obj._address]
            obj._state, obj._freed_at = DEAD, heap.step
            heap.objects.pop(obj._id, None)
            heap.counters["freed"] += 1
        for obj in copied.values():
            heap.set_colour(obj, "white")
        self.space.flip({o._address: self.size(o) for o in copied.values()}, top)
        self.bytes_allocated = sum(self.size(o) for o in copied.values())
        names = ", ".join(o._name for o in garbage) or "nothing"
        self.phase("flip", f"to-space becomes from-space; left behind, never touched: {names}")

    def check(self) -> None:
        """Every object lies in from-space below the bump pointer, with a plain header."""
        heap = self.heap
        lo, _ = self.space.from_space
        for obj in heap._at.values():
            if not lo <= obj._address < self.space.top or heap.memory.read_word(obj._address) & FORWARDED:
                raise HeapCorruption(f"{obj._name} at {obj._address:#x} is not a plain object in from-space",
                                     address=obj._address, step=heap.step)  # fmt: skip


__all__ = ["FORWARDED", "Copied", "Copying", "Forwarded", "Scavenged", "SemiSpace"]
