"""Automatic Reference Counting, the way Swift's runtime does it.

The compiler inserts the counting: every strong store calls ``swift_retain`` on the new value
and ``swift_release`` on the old one, and the end of a scope releases its variables. Here the
object model plays the compiler, and :meth:`ARC.listing` prints the calls it inserted under
each of the learner's lines.

Three kinds of reference, as in Swift:

* **strong** owns its object (the strong count);
* **weak** does not own it and reads ``nil`` once the object is gone: a weak reference points
  at a *side table* (allocated on the heap the first time the object is weakly referenced),
  which outlives the object while weak references remain;
* **unowned** does not own it but keeps its *memory* (the unowned count starts at 1, held on
  behalf of all strong references); reading it after the deinit is a fatal error. Since Swift 5
  an ``unowned`` reference may be Optional (``unowned var x: T?``): it can be set to nil, but it
  is never zeroed for you.

Object states follow the runtime: live → deiniting (strong count 0, ``deinit`` runs, stored
properties are released in declaration order) → deinited (memory held by unowned references)
→ freed (memory gone, side table kept by weak references) → dead. Objective-C's autorelease
pools are here too: ``heap.autorelease(obj)`` hands an owned +1 to the innermost pool, which
releases it when the pool ends.

Simplifications: counts are whole header words (Swift packs strong and unowned counts and
flags into one word and moves them into the side table); loads are not listed (the optimiser
removes most of their retain/release pairs); a deinit may not make ``self`` escape (Swift
detects that only after the fact).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from ..errors import HeapCorruption, UseAfterFree
from .events import Dealloc, Deinit, PoolPushPop, Release, Retain, StateChange
from .objects import Obj, VarSlot
from .refcount import RefCounting
from .types import DEAD, DEINITED, DEINITING, FREED, LIVE, STRONG, UNOWNED, WEAK, ReclaimError

# -- The runtime errors of Swift's ARC, and Objective-C's missing autorelease pool.


class ARCError(ReclaimError):
    """A Swift runtime error under ARC."""


class UnownedAccess(ARCError, UseAfterFree):
    """An unowned reference read after its object was deinitialized (Swift traps)."""


class NoAutoreleasePool(ARCError):
    """``autorelease`` with no pool in place (Objective-C just leaks and logs)."""


# -- Swift's side tables: where a weak reference points, so that it can read nil later.
#
# The first weak reference to an object allocates its *side table* on the heap (here two words:
# the object's address and the weak count) and stores the table's address in the object's header.
# A weak variable holds the side table's address, not the object's, so the object's memory can be
# freed while weak references remain; they then read nil, and the side table is freed with the
# last of them. Follows Swift's runtime (``HeapObjectSideTableEntry``, ``swift_weakAssign``,
# ``swift_weakDestroy``). Simplification: Swift's entry is 32 bytes on 64-bit machines: the object
# pointer, then, 16-byte aligned, the strong and unowned counts and flags (one word, moved there
# from the object's header) and the 32-bit weak count (``SideTableRefCountBits`` in
# ``stdlib/public/SwiftShims/swift/shims/RefCount.h``); memlab's table is the two words that matter
# here, and the strong and unowned counts stay in the object's header.

SIDE_TABLE = 16  # bytes: the object's address and the weak count (Swift's entry: 32)


CALL_COLUMN = 40


@dataclass
class ArcLine:
    """One of the learner's operations and the runtime calls inserted for it."""

    step: int
    text: str
    calls: list[str] = field(default_factory=list)
    alloc: Obj | None = None
    ctor: str = ""


class ARC(RefCounting):
    """Swift's ARC: strong, weak (zeroing, via a side table) and unowned references."""

    name = "arc"

    header = ("strong", "unowned", "side")
    count_word = "strong"
    calls = ("swift_retain", "swift_release")
    exports = ("listing", "autoreleasepool", "autorelease", "weak_count")

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[ArcLine] = []
        self.side_of: dict[int, int] = {}  # object id -> side table address
        self.side_tables: dict[int, Obj] = {}  # side table address -> object
        self.deinit_step: dict[int, int] = {}
        self.pools: list[list[Obj]] = []

    # -- the listing --------------------------------------------------------------------------
    def statement(self, text: str) -> None:
        self.lines.append(ArcLine(self.heap.step, text))

    def call(self, text: str, note: str = "") -> None:
        if self.lines:
            self.lines[-1].calls.append(f"{text:<{CALL_COLUMN}} // {note}" if note else text)

    def listing(self, start: int = 1) -> str:
        """The learner's operations from step ``start``, each followed by the calls ARC inserted."""
        out = []
        for line in self.lines:
            if line.step >= start:
                out.append(line.text)
                out.extend(f"    {c}" for c in line.calls)
        return "\n".join(out)

    # -- counting -----------------------------------------------------------------------------
    def init(self, obj: Obj) -> None:
        heap = self.heap
        heap.set_word(obj, "strong", 1)
        heap.set_word(obj, "unowned", 1)
        if self.lines:
            self.lines[-1].alloc, self.lines[-1].ctor = obj, self.lines[-1].text
        self.call(f"swift_allocObject({obj._type.name})", f"{obj._name}: strong 1, unowned 1")

    def validate(self, place, old: Obj | None, new: Obj | None) -> None:
        if new is not None and new._state == DEINITING and place.kind == STRONG:
            raise ARCError(
                f"Fatal error: the deinit of {new._name} ({new._address:#x}) stores a strong reference to it in "
                f"{place.label}; that reference would outlive the object (a dangling reference)",
                address=new._address,
                step=self.heap.step,
            )

    def assign(self, place, old: Obj | None, new: Obj | None, consumed: bool) -> None:
        if consumed and len(self.lines) > 1 and self.lines[-2].alloc is new:
            allocation, current = self.lines[-2], self.lines.pop()
            for name in {new._name, self.heap.text(new)}:
                if current.text.endswith(" = " + name):
                    allocation.text = current.text[: -len(name)] + allocation.ctor
                    break
            allocation.calls += current.calls
        super().assign(place, old, new, consumed)

    def _bump(self, obj: Obj, word: str, delta: int, call: str, place=None) -> int:
        heap = self.heap
        n = heap.word(obj, word) + delta
        heap.set_word(obj, word, n)
        heap.counters[call] += 1
        arrow = f"{n - delta} → {n}"
        label = place.name if isinstance(place, VarSlot) else heap.label(obj)
        self.call(f"{call}({label})", f"{obj._name}: {word} {arrow}")
        if heap.recorder is not None:
            cls = Retain if delta > 0 else Release
            heap.emit(cls(heap.step, obj._name, obj._id, obj._address, n, word, call))
        return n

    def retain(self, obj: Obj, place) -> None:
        kind = STRONG if place is None else place.kind
        if kind == STRONG:
            self._bump(obj, "strong", 1, "swift_retain", place)
        elif kind == UNOWNED:
            self._bump(obj, "unowned", 1, "swift_unownedRetain", place)
        else:
            self._weak(obj, 1)

    def release(self, obj: Obj, place) -> None:
        kind = STRONG if place is None else place.kind
        if kind == STRONG:
            if self._bump(obj, "strong", -1, "swift_release", place) == 0:
                self.teardown(obj)
        elif kind == UNOWNED:
            self._unowned_release(obj, place)
        else:
            self._weak(obj, -1)

    def _unowned_release(self, obj: Obj, place=None) -> None:
        if self._bump(obj, "unowned", -1, "swift_unownedRelease", place) == 0 and obj._state == DEINITED:
            self._free(obj)

    def load(self, place, obj: Obj | None) -> Obj | None:
        if obj is None or obj._state == LIVE or place.kind == STRONG:
            return obj
        if place.kind == WEAK:
            return None
        when = self.deinit_step.get(obj._id)
        raise UnownedAccess(
            f"Fatal error: Attempted to read an unowned reference but object {obj._address:#x} was already "
            f"deallocated ({place.label} refers to {obj._name}, deinitialized at step {when})",
            address=obj._address,
            step=self.heap.step,
        )

    # -- the lifecycle ------------------------------------------------------------------------------
    def _state(self, obj: Obj, new: str) -> None:
        heap, old = self.heap, obj._state
        heap.set_state(obj, new)
        if heap.recorder is not None:
            heap.emit(StateChange(heap.step, obj._name, obj._id, obj._address, old, new))

    def begin(self, obj: Obj) -> bool:
        heap = self.heap
        self._state(obj, DEINITING)
        self.deinit_step[obj._id] = heap.step
        self.call(f"{obj._type.name}.deinit({heap.label(obj)})", f"{obj._name}: deiniting")
        if heap.recorder is not None:
            heap.emit(Deinit(heap.step, obj._name, obj._id, obj._address))
        heap.run_deinit(obj)
        return True

    def finish(self, obj: Obj) -> None:
        self.manual_counts.pop(obj._id, None)
        self._state(obj, DEINITED)
        self._unowned_release(obj)

    def _free(self, obj: Obj) -> None:
        heap = self.heap
        weak = self.weak_count(obj)
        self.call(f"swift_deallocObject({heap.label(obj)})", f"{obj._name}: memory freed")
        heap.dealloc(obj, FREED if weak else DEAD)
        if obj._id in self.side_of and not weak:
            self._free_side_table(obj)

    # -- views and checks ------------------------------------------------------------------------------
    def counts(self, obj: Obj) -> tuple[tuple[str, int], ...]:
        heap = self.heap
        counts = (("strong", heap.word(obj, "strong")), ("unowned", heap.word(obj, "unowned")))
        return counts + ((("weak", self.weak_count(obj)),) if obj._id in self.side_of else ())

    def tags(self, obj: Obj) -> tuple[str, ...]:
        tags = list(super().tags(obj))
        pending = sum(p.count(obj) for p in self.pools)
        if pending:
            tags.append(f"autoreleased ×{pending}")
        if obj._id in self.side_of:
            tags.append("side table")
        return tuple(tags)

    def owners(self, obj: Obj) -> list[str]:
        found = super().owners(obj)
        for depth, pool in enumerate(self.pools, 1):
            found += [f"autorelease pool {depth}"] * pool.count(obj)
        return found

    def check(self) -> None:
        super().check()
        heap = self.heap
        unowned: dict[int, int] = {}
        weak: dict[int, int] = {}
        places = [(slot, t) for o in heap._at.values() if o._state == LIVE for slot, t in heap.refs(o)]
        places += [(var, heap.scheme.decode(var, var.word)) for f in heap.frames for var in f._vars.values()]
        for place, target in places:
            if target is not None and place.kind in (UNOWNED, WEAK):
                tally = unowned if place.kind == UNOWNED else weak
                tally[target._id] = tally.get(target._id, 0) + 1
        for obj in list(heap.objects.values()):
            if obj._state == LIVE and heap.word(obj, "unowned") != 1 + unowned.get(obj._id, 0):
                raise HeapCorruption(
                    f"{obj._name} has unowned {heap.word(obj, 'unowned')} but "
                    f"{unowned.get(obj._id, 0)} unowned references (+1 for the strong ones)",
                    address=obj._address,
                    step=heap.step,
                )
            if self.weak_count(obj) != weak.get(obj._id, 0):
                raise HeapCorruption(
                    f"{obj._name}'s side table counts {self.weak_count(obj)} weak references, "
                    f"{weak.get(obj._id, 0)} exist",
                    address=obj._address,
                    step=heap.step,
                )

    # -- weak references through side tables ---------------------------------------------------

    def weak_count(self, obj: Obj) -> int:
        """How many weak references point at ``obj`` (through its side table)."""
        side = self.side_of.get(obj._id)
        return self.heap.memory.read_word(side + 8) if side else 0

    def _weak(self, obj: Obj, delta: int) -> None:
        heap = self.heap
        side = self.side_of.get(obj._id)
        if side is None:
            side = heap.allocator.alloc(SIDE_TABLE)
            heap.memory.write_word(side, obj._address)
            heap.memory.write_word(side + 8, 0)
            self.side_of[obj._id], self.side_tables[side] = side, obj
            heap.set_word(obj, "side", side)
            self.call("(side table allocated)", f"{obj._name}: side table at {side:#x}")
        n = heap.memory.read_word(side + 8) + delta
        heap.memory.write_word(side + 8, n)
        call = "swift_weakAssign" if delta > 0 else "swift_weakDestroy"
        heap.counters[call] += 1
        self.call(f"{call}({heap.label(obj)})", f"{obj._name}: weak {n - delta} → {n}")
        if heap.recorder is not None:
            cls = Retain if delta > 0 else Release
            heap.emit(cls(heap.step, obj._name, obj._id, obj._address, n, "weak", call))
        if n == 0 and obj._state == FREED:
            self._free_side_table(obj)

    def _free_side_table(self, obj: Obj) -> None:
        heap = self.heap
        side = self.side_of.pop(obj._id)
        del self.side_tables[side]
        heap.allocator.free(side)
        self.call("(side table freed)", f"{obj._name} is dead")
        if heap.recorder is not None:
            heap.emit(Dealloc(heap.step, obj._name, obj._id, side, SIDE_TABLE, "its side table"))
        if obj._state == FREED:
            self._state(obj, DEAD)
            heap.bury(obj)

    def encode(self, place, obj: Obj | None) -> int:
        if obj is None:
            return 0
        return self.side_of[obj._id] if place.kind == WEAK else obj._address

    def decode(self, place, word: int) -> Obj | None:
        if not word:
            return None
        return self.side_tables.get(word) if place.kind == WEAK else self.heap._at.get(word)

    # -- autorelease pools ---------------------------------------------------------------------
    # Autorelease pools, as in Objective-C: an owned reference handed to the innermost pool.
    #
    # ``objc_autorelease(obj)`` gives one +1 of ``obj`` to the innermost pool instead of releasing it
    # now, so a method can return an object it owns without the caller having to release it; when the
    # pool ends (``objc_autoreleasePoolPop``, the closing brace of ``@autoreleasepool``) every pending
    # object is released. Autoreleasing with no pool in place is reported, as Foundation's
    # ``__NSAutoreleaseNoPool`` message does (Objective-C then just leaks the object).

    @contextmanager
    def autoreleasepool(self):
        """``with heap.autoreleasepool(): ...``: pending objects are released when it ends."""
        heap = self.heap
        with heap.operation("autoreleasepool {"):
            self.pools.append([])
            self.call("objc_autoreleasePoolPush()")
            if heap.recorder is not None:
                heap.emit(PoolPushPop(heap.step, len(self.pools), True))
        depth = len(self.pools)
        try:
            yield
        finally:
            if len(self.pools) == depth:
                self._pop()

    def _pop(self) -> None:
        heap = self.heap
        with heap.operation("} // end of autoreleasepool"):
            pending = self.pools.pop()
            self.call("objc_autoreleasePoolPop()", f"releases {len(pending)} object(s)")
            for obj in pending:
                self.release(obj, None)
            if heap.recorder is not None:
                heap.emit(PoolPushPop(heap.step, len(self.pools) + 1, False, len(pending)))

    def autorelease(self, obj: Obj) -> Obj:
        """Hand one owned +1 of ``obj`` to the innermost pool; returns ``obj``."""
        heap = self.heap
        heap.usable(obj, "autorelease()")
        if not self.pools:
            raise NoAutoreleasePool(
                f"*** __NSAutoreleaseNoPool(): Object {obj._address:#x} of class {obj._type.name} "
                f"({obj._name}) autoreleased with no pool in place - just leaking",
                address=obj._address,
                step=heap.step,
            )
        with heap.operation(f"autorelease({heap.label(obj)})"):
            if obj._temp is not None:
                heap.unfloat(obj)
            else:
                self.retain(obj, None)
            self.pools[-1].append(obj)
            self.call(f"objc_autorelease({heap.label(obj)})", f"pool {len(self.pools)} will release it")
        return obj


__all__ = ["ARC", "ARCError", "NoAutoreleasePool", "UnownedAccess"]
