"""Generational garbage collection: a copying nursery, a mark-sweep old generation, a write barrier.

It follows Ungar's *Generation Scavenging* (1984) and the young generations of V8's scavenger
(as V8's 2017 post on its parallel scavenger describes it) and HotSpot's serial and parallel
collectors, as the GC Handbook (Jones, Hosking & Moss, 2nd ed. 2023, chapters 9 and 11)
describes them. Most objects die young (the *generational hypothesis*), so the heap is split:

* **The nursery.** New objects are bump-allocated in one half of two semispaces (Cheney's heap,
  :mod:`.copying`). When it is full, a **minor collection** copies the young objects that are
  still reachable into the other half and flips; the dead ones are never touched. Each survivor's
  **age** (minor collections survived, 4 bits of the header word, as in HotSpot's mark word) grows
  by one, and once it reaches ``promote_age`` the survivor is **promoted**: copied into the old
  generation instead. V8 promotes an object that survives two scavenges (the default here);
  HotSpot's tenuring threshold is at most 15. (HotSpot's survivor spaces are smaller than its
  eden and may overflow, promoting survivors early; two equal semispaces never overflow, so here
  a nursery full of survivors is emptied by further minor collections, which age and promote them.)
* **The write barrier.** A minor collection never traces the old generation, yet an old object
  may be the only one that refers to a young one. So every store ``old.field = young`` passes a
  barrier that puts the old object in the **remembered set** (a header bit says it is in already:
  Ungar's *store check*). The remembered objects' fields are roots of the minor collection, next
  to the variables; afterwards the set keeps the old objects (promoted ones included) that still
  refer into the nursery, and only those.
* **The old generation** lives in blocks of the heap's allocator and is collected by mark-sweep
  (:mod:`.tracing`) in a **major collection**, when the bytes promoted pass a threshold that then
  grows with what survived (notebook 18's trigger). Marking goes through both generations (an
  old object may be reachable only through young ones); the sweep frees old objects only; then a
  minor collection empties the nursery.

**Why a remembered set of objects, not a card table.** A card table (HotSpot, .NET) divides the
old generation into cards (HotSpot: 512 bytes, one byte each) and the barrier marks the card of
every store, unconditionally, in two instructions; the minor collection then scans every object
on a dirty card. Here objects are 24 to 40 bytes, so one card would cover a dozen objects, most
of them irrelevant, and a picture of dirty cards would say little. A remembered set names exactly
the objects to scan, costs one header bit and a list, and its barrier is the test a learner can
read: *is the source old and the target young?* The GC Handbook (section 11.8) weighs the two.

With ``barrier=False`` the barrier is gone: the next minor collection leaves behind a young
object that only an old one refers to, and the old object's field points into dead memory.
:meth:`Generational.check` names the unrecorded old-to-young pointer as soon as it is stored,
and the dangling one after the collection; reading the field raises
:class:`~.types.DeadObject`.

Simplifications: one old generation and no large-object space (an object larger than the nursery
is refused); only strong references; deinits run for old garbage (in the major sweep) but not for
young garbage, which a copying collector never visits.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ..allocators.base import ALLOCATED, Allocator, Block
from ..errors import BadRequest, HeapCorruption, OutOfMemory
from .collector import Pause
from .copying import FORWARDED, Copied, Forwarded, evacuate
from .events import ObjEvent
from .objects import Obj, Slot
from .semispace import SemiSpace
from .tracing import MarkSweep, Swept
from .types import DEAD, BadField

MAX_AGE = 15
"""The age field is 4 bits wide."""


@dataclass(frozen=True, slots=True)
class Remembered(ObjEvent):
    """The write barrier (or a promotion) puts an old object in the remembered set."""

    field: str
    target: str
    barrier: str = "write barrier"  # views outline the objects a barrier touches

    def describe(self) -> str:
        if not self.barrier:
            return (
                f"{self.obj} was just promoted and {self.obj}.{self.field} points to young {self.target}: "
                f"{self.obj} joins the remembered set"
            )
        return (
            f"write barrier: {self.obj} is old and {self.obj}.{self.field} now points to young {self.target}: "
            f"{self.obj} joins the remembered set"
        )


@dataclass(frozen=True, slots=True)
class Survived(Copied):
    """A young object is copied to to-space by a minor collection; its age grows."""

    age: int

    def describe(self) -> str:
        return (
            f"copy {self.obj} (reached from {self.by}) from {self.address:#x} to to-space at {self.to:#x}; "
            f"age {self.age}; its old header now holds the forwarding address"
        )


@dataclass(frozen=True, slots=True)
class Promoted(Copied):
    """A young object is copied into the old generation."""

    age: int

    def describe(self) -> str:
        return (
            f"promote {self.obj} (reached from {self.by}): it has survived {self.age} minor collection(s); "
            f"copy it into the old generation at {self.to:#x}"
        )


@dataclass(frozen=True, slots=True)
class Scavenged(ObjEvent):
    """The minor collection has scanned an object: its pointers into the nursery now lead to copies."""

    young: int
    remembered: bool = False  # a remembered old object, scanned as a root
    kept: bool = False

    def describe(self) -> str:
        refs = f"{self.young} pointer(s) into the nursery" if self.young else "no pointer into the nursery"
        if not self.remembered:
            copies = ", each now to a copy" if self.young else ""
            return f"scan {self.obj}: {refs}{copies}; {self.obj} is black"
        stays = "it stays in the remembered set" if self.kept else "it leaves the remembered set"
        return f"scan remembered {self.obj} (old, not traced further): {refs}; {stays}"


class Generations(SemiSpace):
    """A nursery of two semispaces and an old generation, both in blocks of the ``parent`` allocator.

    Young objects are bump-allocated in from-space and never freed one by one (a minor collection
    drops them at the flip); old objects are promoted into blocks of the parent and freed there.
    """

    name = "generations"

    def __init__(self, parent: Allocator, nursery: int) -> None:
        super().__init__(parent, nursery)
        self.parent = parent

    def in_nursery(self, address: int) -> bool:
        return self.region <= address < self.region + 2 * self.size

    def promote(self, size: int) -> int:
        """A block of the old generation for a promoted object."""
        address = self._relay(self.parent.alloc, size)
        self._live[address] = (size, self.step)
        self._live_bytes += size
        self._peak_live = max(self._peak_live, self._live_bytes)
        self._counts["promotions"] += 1
        return address

    def _free(self, address: int, size: int) -> None:
        if self.in_nursery(address):
            raise BadRequest(
                f"free({address:#x}): young objects are never freed one by one; a minor collection drops them"
            )
        self.parent.free(address)

    def flip(self, survivors: dict[int, int], top: int) -> None:
        old = {a: v for a, v in self._live.items() if not self.in_nursery(a)}
        super().flip(survivors, top)
        self._live.update(old)
        self._live_bytes = sum(s for s, _ in self._live.values())

    def layout(self) -> list[Block]:
        return [
            Block(b.address, b.size, b.state, "old generation", requested=b.requested)
            if b.state == ALLOCATED and not self.in_nursery(b.address)
            else b
            for b in super().layout()
        ]

    def extent(self) -> tuple[int, int]:
        blocks = self.layout()
        return min(b.address for b in blocks), max(b.end for b in blocks)


class Generational(MarkSweep):
    """A copying nursery with promotion by age, a mark-sweep old generation, a remembered-set barrier."""

    name = "generational"

    exports = (*MarkSweep.exports, "space", "remembered", "minor", "major", "old_bytes")
    default_allocator = "freelist"

    def __init__(
        self,
        nursery: int = 512,
        promote_age: int = 2,
        threshold: int = 2048,
        growth: float = 2.0,
        barrier: bool = True,
        stress: bool = False,
        automatic: bool = True,
    ) -> None:
        super().__init__(threshold=threshold, growth=growth, stress=stress, automatic=automatic)
        if isinstance(promote_age, bool) or not isinstance(promote_age, int) or not 1 <= promote_age <= MAX_AGE:
            raise BadField(f"promote_age {promote_age!r} must be a whole number of minor collections from 1 to 15")
        if not isinstance(barrier, bool):
            raise BadField(f"barrier={barrier!r} must be True or False")
        self.nursery, self.promote_age, self.barrier = nursery, promote_age, barrier
        self.remembered: list[Obj] = []
        self.old_bytes = 0
        self._old: dict[int, Obj] = {}  # from-space address -> object, during a minor collection

    def attach(self, heap) -> None:
        super().attach(heap)
        self.space = Generations(heap.allocator, self.nursery)
        heap.allocator = self.space

    # -- what an object is ----------------------------------------------------------------------
    def is_old(self, obj: Obj) -> bool:
        return bool(self.heap.flag(obj, "generation"))

    def decode(self, place, word: int) -> Obj | None:
        if not word:
            return None
        return self.heap._at.get(word) or self._old.get(word)

    def tags(self, obj: Obj) -> tuple[str, ...]:
        heap, tags = self.heap, list(super().tags(obj))
        if not heap.allocated(obj):
            return tuple(tags)
        if self.is_old(obj):
            tags.append("old")
            if heap.flag(obj, "remembered"):
                tags.append("remembered")
            return tuple(tags)
        lo, hi = self.space.from_space
        where = "from-space" if lo <= obj._address < hi else "to-space"
        return (*tags, "young", f"age {heap.flag(obj, 'age')}", where)

    def note(self) -> str:
        names = ", ".join(o._name for o in self.remembered) or "empty"
        used = self.space.top - self.space.from_space[0]
        return f"nursery {used} of {self.space.size} bytes · remembered set: {names}"

    # -- the write barrier ------------------------------------------------------------------------
    def assign(self, place, old: Obj | None, new: Obj | None, consumed: bool) -> None:
        self.heap.write(place, new, old, consumed)
        if isinstance(place, Slot) and new is not None:
            self.write_barrier(place, new)

    def write_barrier(self, place: Slot, target: Obj) -> None:
        """Ungar's store check: an old source that now refers to a young target is remembered."""
        if not self.barrier:
            return
        heap, source = self.heap, place.obj
        heap.counters["barrier runs"] += 1
        if self.is_old(source) and not self.is_old(target) and not heap.flag(source, "remembered"):
            self.remember(source, place.field.name, target, "write barrier")

    def remember(self, obj: Obj, field: str, target: Obj, barrier: str) -> None:
        self.heap.set_flag(obj, "remembered", 1)
        self.remembered.append(obj)
        self.heap.counters["remembered"] += 1
        self.emit(Remembered(self.heap.step, obj._name, obj._id, obj._address, field, target._name, barrier))

    # -- when to collect ----------------------------------------------------------------------------
    def reserve(self, size: int) -> None:
        if size > self.space.size:
            raise OutOfMemory(
                f"an object of {size} bytes does not fit in the {self.space.size}-byte nursery at all",
                step=self.heap.step,
            )
        if not self.automatic:
            return
        if self.stress:
            self.minor(reason="stress mode: a minor collection before every allocation")
        for _ in range(self.promote_age):  # survivors that fill the nursery are promoted within promote_age
            if size <= self.space.room():
                break
            self.minor(reason=f"nursery full: {size} bytes do not fit in the {self.space.room()} left")
        if self.old_bytes > self.next_gc:
            self.major(reason=f"the old generation holds {self.old_bytes} bytes, past its threshold of {self.next_gc}")

    def collect(self, reason: str = "collect()", **options: object) -> int:
        """A major collection (both generations); returns how many objects were freed."""
        self.reason_only("generational collect()", reason, options)
        return self.major(reason)

    # -- the minor collection -----------------------------------------------------------------------
    def minor(self, reason: str = "minor()") -> int:
        """Collect the nursery only; returns how many young objects were left behind."""
        heap = self.heap
        with heap.operation(f"minor collection  # {reason}"):
            before = self.bytes_allocated
            work, freed = self._scavenge()
            pause = Pause(reason, before, self.bytes_allocated, work, 0, freed, self.next_gc, "minor")
            return self._finished(pause, "minor")

    def _scavenge(self) -> tuple[int, int]:
        """Cheney's copy of the reachable young objects, roots being the variables and the remembered set.

        Returns the work (objects copied plus remembered objects scanned) and the young objects freed.
        """
        heap = self.heap
        heap.frozen = "a minor collection"
        try:
            young = [o for o in heap._at.values() if not self.is_old(o)]
            free = [self.space.to_space[0]]
            copied: dict[int, Obj] = {}
            queue: deque[Obj] = deque()
            promoted_bytes = 0

            def forward(obj: Obj, by: str) -> int:
                nonlocal promoted_bytes
                if self.is_old(obj) or obj._id in copied:
                    return obj._address
                size, old = self.size(obj), obj._address
                age = heap.flag(obj, "age") + 1
                promote = age >= self.promote_age
                if promote:
                    new = self.space.promote(size)
                    promoted_bytes += size
                else:
                    new, free[0] = free[0], free[0] + size
                evacuate(heap, obj, new, size, self._old)
                copied[obj._id] = obj
                heap.set_colour(obj, "gray")
                queue.append(obj)
                if promote:
                    heap.set_flag(obj, "generation", 1)
                    heap.set_flag(obj, "age", 0)
                    self.emit(Promoted(heap.step, obj._name, obj._id, old, new, by, age))
                else:
                    heap.set_flag(obj, "age", age)
                    self.emit(Survived(heap.step, obj._name, obj._id, old, new, by, age))
                return new

            def scan(obj: Obj) -> int:
                """Forward every young target of ``obj``; return how many of its targets are young after."""
                for slot, target in heap.refs(obj):
                    if target is None:
                        continue
                    new = forward(target, obj._name)  # an old target stays where it is
                    if slot.get() != new:
                        slot.put(new)
                        self.emit(Forwarded(heap.step, target._name, target._id, new, slot.label, new))
                return sum(1 for t in heap.children(obj) if not self.is_old(t))

            roots = self.roots_now()
            self.phase("roots", f"{len(roots)} root(s): copy the young objects they refer to out of the nursery")
            for var, label, obj in roots:
                new = forward(obj, label)
                if var is not None and var.word != new:
                    var.word = new
                    self.emit(Forwarded(heap.step, obj._name, obj._id, new, label, new))
            remembered, self.remembered = self.remembered, []
            self.phase(
                "remembered set",
                f"{len(remembered)} remembered old object(s): their pointers into the nursery are roots too; "
                "the rest of the old generation is not traced",
            )
            for obj in remembered:
                young_refs = scan(obj)
                if young_refs:
                    self.remembered.append(obj)
                else:
                    heap.set_flag(obj, "remembered", 0)
                self.emit(Scavenged(heap.step, obj._name, obj._id, obj._address, young_refs, True, bool(young_refs)))
            self.phase(
                "scan", "scan each copy in the order it was made (Cheney's scan pointer), copying what it reaches"
            )
            while queue:
                obj = queue.popleft()
                still_young = scan(obj)
                if self.is_old(obj) and still_young and not heap.flag(obj, "remembered"):
                    target = next(t for t in heap.children(obj) if not self.is_old(t))
                    field = next(s.field.name for s, t in heap.refs(obj) if t is target)
                    self.remember(obj, field, target, "")
                heap.set_colour(obj, "black")
                self.emit(Scavenged(heap.step, obj._name, obj._id, obj._address, still_young))
            garbage = [o for o in young if o._id not in copied]
            self._flip(copied, free[0], garbage, promoted_bytes)
        finally:
            heap.frozen = ""
            self._old = {}
        heap.counters["copied"] += len(copied)
        return len(copied) + len(remembered), len(garbage)

    def _flip(self, copied: dict[int, Obj], top: int, garbage: list[Obj], promoted_bytes: int) -> None:
        heap = self.heap
        for obj in garbage:
            self.bury(obj, obj._address)
            del heap._at[obj._address]
            obj._state, obj._freed_at = DEAD, heap.step
            heap.objects.pop(obj._id, None)
            heap.counters["freed"] += 1
        for obj in copied.values():
            heap.set_colour(obj, "white")
        survivors = {o._address: self.size(o) for o in copied.values() if not self.is_old(o)}
        self.space.flip(survivors, top)
        self.old_bytes += promoted_bytes
        self.bytes_allocated = sum(self.size(o) for o in heap._at.values())
        names = ", ".join(o._name for o in garbage) or "nothing"
        self.phase("flip", f"to-space becomes the nursery; left behind, never touched: {names}")

    # -- the major collection -------------------------------------------------------------------------
    def major(self, reason: str = "major()") -> int:
        """Mark both generations, sweep the old one, then empty the nursery; returns the objects freed."""
        heap = self.heap
        with heap.operation(f"major collection  # {reason}"):
            before, marked, garbage = self._stop_and_mark("a major collection")
            swept = self._sweep(garbage)
            work, young_freed = self._scavenge()
            pause = Pause(reason, before, 0, marked + work, swept, len(garbage) + young_freed, 0, "major")
            return self._finished(pause, "major")

    def _garbage(self) -> list[Obj]:
        """The unmarked old objects, finalized while the heap is frozen."""
        heap = self.heap
        garbage = [o for o in self._in_address_order() if self.is_old(o) and not heap.flag(o, "marked")]
        self.finalize(garbage)
        return garbage

    def _sweep(self, garbage: list[Obj]) -> int:
        heap, swept = self.heap, 0
        doomed = {o._id for o in garbage}
        self.phase("sweep", "walk the old generation: free what is unmarked, unmark the rest (and the young objects)")
        for obj in self._in_address_order():
            swept += 1
            if obj._id in doomed:
                size = self.size(obj)
                self.bytes_allocated -= size
                self.old_bytes -= size
                self.bury(obj, obj._address)
                heap.dealloc(obj, DEAD, "sweep: an old object not marked, garbage")
                continue
            heap.set_flag(obj, "marked", 0)
            heap.set_colour(obj, "white")
            if self.is_old(obj):
                self.emit(Swept(heap.step, obj._name, obj._id, obj._address))
        self.remembered = [o for o in self.remembered if o._id not in doomed]
        heap.counters["swept"] += swept
        return swept

    def _finished(self, pause: Pause, label: str) -> int:
        if label == "major":
            self.next_gc = max(self.threshold, int(self.old_bytes * self.growth))
        return super().finished(pause, label)

    def next_threshold(self) -> int:
        return self.next_gc  # only a major collection moves the trigger (see _finished)

    def trigger_text(self) -> str:
        return f"next major collection when the old generation passes {self.next_gc} bytes"

    # -- invariants ---------------------------------------------------------------------------------
    def check(self) -> None:
        """Where each generation lives, the remembered set, the byte counts, and no dangling reference."""
        heap = self.heap
        self.check_references()
        lo, _ = self.space.from_space
        remembered = {o._id for o in self.remembered}

        def problem(text: str, obj: Obj) -> None:
            raise HeapCorruption(text, address=obj._address, step=heap.step)

        for obj in heap._at.values():
            if heap.flag(obj, "marked") or heap.colour(obj) != "white":
                problem(f"{obj._name} is still marked after the collection", obj)
            if heap.memory.read_word(obj._address) & FORWARDED:
                problem(f"{obj._name} at {obj._address:#x} has a forwarding address for a header", obj)
            if self.is_old(obj):
                if self.space.in_nursery(obj._address):
                    problem(f"{obj._name} is old but lies in the nursery at {obj._address:#x}", obj)
            elif not lo <= obj._address < self.space.top:
                problem(f"{obj._name} is young but lies outside the nursery's from-space, at {obj._address:#x}", obj)
            elif heap.flag(obj, "age") >= self.promote_age:
                problem(f"{obj._name} is young at age {heap.flag(obj, 'age')}: it should have been promoted", obj)
            if bool(heap.flag(obj, "remembered")) != (obj._id in remembered):
                problem(f"{obj._name}'s remembered bit disagrees with the remembered set", obj)
            if obj._id in remembered and not self.is_old(obj):
                problem(f"{obj._name} is in the remembered set but is young", obj)
        for obj in heap._at.values():
            if not self.is_old(obj) or obj._id in remembered:
                continue
            for slot, target in heap.refs(obj):
                if target is not None and not self.is_old(target):
                    off = " (the write barrier is off)" if not self.barrier else ""
                    problem(
                        f"{slot.label} points from old {obj._name} to young {target._name}, but {obj._name} is not "
                        f"in the remembered set{off}: the next minor collection will not see this pointer",
                        obj,
                    )
        total = sum(self.size(o) for o in heap._at.values())
        old = sum(self.size(o) for o in heap._at.values() if self.is_old(o))
        if (total, old) != (self.bytes_allocated, self.old_bytes):
            raise HeapCorruption(
                f"the counts say {self.bytes_allocated} bytes allocated, {self.old_bytes} old; "
                f"the objects use {total}, {old} old",
                step=heap.step,
            )


__all__ = ["Generational", "Generations", "Promoted", "Remembered", "Scavenged", "Survived"]
