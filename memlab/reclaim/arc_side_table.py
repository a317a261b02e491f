"""Swift's side tables: where a weak reference points, so that it can read nil later.

The first weak reference to an object allocates its *side table* on the heap (here two words:
the object's address and the weak count) and stores the table's address in the object's header.
A weak variable holds the side table's address, not the object's, so the object's memory can be
freed while weak references remain; they then read nil, and the side table is freed with the
last of them. Follows Swift's runtime (``HeapObjectSideTableEntry``, ``swift_weakAssign``,
``swift_weakDestroy``); simplification: Swift's side table also takes over the strong and unowned
counts, here they stay in the object's header.
"""

from __future__ import annotations

from .events import Dealloc, Release, Retain
from .objects import Obj
from .types import DEAD, FREED, WEAK

SIDE_TABLE = 16  # bytes: the object's address and the weak count


class SideTables:
    """Weak references through side tables, for :class:`~.arc.ARC` (a mixin)."""

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
