"""Reference counting, the way CPython does it.

Every object's header holds a count of the references to it (CPython's ``ob_refcnt``). Storing
a reference increments the target's count (``Py_INCREF``); overwriting or dropping one
decrements it (``Py_DECREF``). When a count reaches zero the object is torn down at once: its
finalizer runs (``__del__``; it may resurrect the object, and runs only once), each of its
references is dropped in field order (which may bring more counts to zero: a cascade, one
event per free), and its memory goes back to the allocator. A cycle is never freed: each of
its members keeps the next one's count above zero.

Simplifications: only strong references are counted here (weak and unowned ones are ARC's,
see :mod:`memlab.reclaim.arc`); the cascade runs on an explicit stack, in the same
depth-first order as CPython's recursive deallocation (which CPython bounds with its
"trashcan" so that freeing a long list cannot overflow the C stack). The header is the one
word of CPython's default build (``ob_refcnt``, then ``ob_type``). The free-threaded build
(3.13 on, PEP 703) starts its header with ``ob_tid``, the owning thread, and splits the count in
two: ``ob_ref_local``, which only the owning thread changes, without atomic instructions, and
``ob_ref_shared`` for every other thread. And since 3.12 (PEP 683) some objects are *immortal*
(``None``, small ints, interned strings): ``Py_INCREF`` and ``Py_DECREF`` leave their count alone.
memlab has no immortal objects.
"""

from __future__ import annotations

from collections import Counter

from ..errors import HeapCorruption
from .events import Decref, Finalize, Incref, Resurrect
from .objects import Obj, Slot, VarSlot
from .scheme import Scheme
from .types import DEAD, DEINITING, LIVE, STRONG, BadField, DoubleRelease, RetainOfFreed


class RefCounting(Scheme):
    """CPython-style reference counting: counts in the header, frees at zero, cycles leak."""

    name = "refcount"

    header = ("rc",)
    count_word = "rc"
    calls = ("Py_INCREF", "Py_DECREF")

    def __init__(self) -> None:
        self.manual_counts: Counter[int] = Counter()  # +1s taken by the learner's explicit retains
        self._pending: list[Obj] = []
        self._busy = False

    # -- counting ---------------------------------------------------------------------------
    def init(self, obj: Obj) -> None:
        self.heap.set_word(obj, self.count_word, 1)  # the temporary's +1

    def validate(self, place, old: Obj | None, new: Obj | None) -> None:
        if place.kind != STRONG:
            raise BadField(
                f"{place.label}: the {self.name} scheme counts strong references only; "
                f"{place.kind} references need Heap('arc')",
                step=self.heap.step,
            )

    def retain(self, obj: Obj, place) -> None:
        self.incref(obj)

    def release(self, obj: Obj, place) -> None:
        self.decref(obj)

    def count(self, obj: Obj) -> int:
        return self.heap.word(obj, self.count_word)

    def incref(self, obj: Obj, why: str = "") -> None:
        heap = self.heap
        rc = heap.word(obj, self.count_word) + 1
        heap.set_word(obj, self.count_word, rc)
        heap.counters["incref"] += 1
        if heap.recorder is not None:
            heap.emit(Incref(heap.step, obj._name, obj._id, obj._address, rc, why))

    def decref(self, obj: Obj, why: str = "") -> None:
        heap = self.heap
        rc = heap.word(obj, self.count_word) - 1
        heap.set_word(obj, self.count_word, rc)
        heap.counters["decref"] += 1
        if heap.recorder is not None:
            heap.emit(Decref(heap.step, obj._name, obj._id, obj._address, rc, why))
        if rc == 0:
            self.teardown(obj)
        else:
            self.nonzero(obj)

    def nonzero(self, obj: Obj) -> None:
        """A decrement left the count above zero (Bacon–Rajan buffers a possible root here)."""

    # -- tearing down ---------------------------------------------------------------------------
    def teardown(self, obj: Obj) -> None:
        """Finalize ``obj``, drop its references depth first, free it; cascades iteratively."""
        self._pending.append(obj)
        if self._busy:
            return
        self._busy = True
        stack: list[tuple[Obj, int]] = []
        try:
            while self._pending or stack:
                if self._pending:
                    victim = self._pending.pop()
                    if self.begin(victim):
                        stack.append((victim, 0))
                    continue
                victim, index = stack[-1]
                fields = victim._type.fields
                while index < len(fields) and not fields[index].is_ref:
                    index += 1
                if index == len(fields):
                    stack.pop()
                    self.finish(victim)
                    continue
                stack[-1] = (victim, index + 1)
                slot = Slot(victim, fields[index])
                target = self.decode(slot, slot.get())
                slot.put(0)
                if target is not None:
                    self.release(target, slot)
        finally:
            self._busy = False

    def begin(self, obj: Obj) -> bool:
        """Run the finalizer once; False if it resurrected the object."""
        heap = self.heap
        heap.set_state(obj, DEINITING)
        if heap.flag(obj, "finalized"):
            return True
        heap.set_flag(obj, "finalized", 1)
        if obj._type.deinit is not None:
            if heap.recorder is not None:
                heap.emit(Finalize(heap.step, obj._name, obj._id, obj._address))
            heap.run_deinit(obj)
        if self.count(obj) > 0:
            heap.set_state(obj, LIVE)
            heap.counters["resurrected"] += 1
            if heap.recorder is not None:
                heap.emit(Resurrect(heap.step, obj._name, obj._id, obj._address))
            return False
        return True

    def finish(self, obj: Obj) -> None:
        """All references dropped: give the memory back."""
        self.manual_counts.pop(obj._id, None)
        self.heap.dealloc(obj, DEAD)

    # -- the learner's explicit retain and release --------------------------------------------
    def manual(self, obj: Obj, op: str) -> None:
        heap = self.heap
        call = self.calls[0] if op == "retain" else self.calls[1]
        if isinstance(obj, Obj) and obj._heap is heap and obj._state != LIVE:
            cls = RetainOfFreed if op == "retain" else DoubleRelease
            raise cls(
                f"{call}({obj._name}): the object at {obj._address:#x} is {obj._state} since step {obj._freed_at}",
                address=obj._address,
                step=heap.step,
            )
        heap.usable(obj, f"{call}()")
        if op == "release" and self.manual_counts[obj._id] == 0:
            owners = self.owners(obj)
            raise DoubleRelease(
                f"{call}({obj._name}) without a matching retain: its count of {self.count(obj)} belongs to "
                f"{', '.join(owners) or 'nobody'}; releasing it would leave a dangling reference",
                address=obj._address,
                step=heap.step,
            )
        with heap.operation(f"{call}({heap.label(obj)})"):
            self.manual_counts[obj._id] += 1 if op == "retain" else -1
            if self.manual_counts[obj._id] == 0:
                del self.manual_counts[obj._id]
            (self.retain if op == "retain" else self.release)(obj, None)

    # -- what views and tests see -------------------------------------------------------------
    def owners(self, obj: Obj) -> list[str]:
        """Who holds the counted references to ``obj``: fields, variables, temporaries, retains."""
        heap, found = self.heap, []
        for other in list(heap._at.values()):
            for slot, target in heap.refs(other):
                if target is obj and self.counted(slot):
                    found.append(slot.label)
        for var, target in heap.roots(kinds=(STRONG,)):
            if target is obj:
                found.append(var.label if isinstance(var, VarSlot) else "a temporary")
        found += ["a manual retain"] * self.manual_counts.get(obj._id, 0)
        return found

    def counted(self, slot) -> bool:
        return slot.kind == STRONG

    def tags(self, obj: Obj) -> tuple[str, ...]:
        tags = list(super().tags(obj))
        if self.manual_counts.get(obj._id):
            tags.append(f"retained +{self.manual_counts[obj._id]}")
        return tuple(tags)

    def check(self) -> None:
        """Every live count equals the number of references that hold it."""
        heap = self.heap
        for obj in list(heap._at.values()):
            if obj._state != LIVE:
                continue
            expected = len(self.owners(obj))
            if self.count(obj) != expected:
                raise HeapCorruption(
                    f"{obj._name} has {self.count_word} {self.count(obj)} but {expected} references hold it",
                    address=obj._address,
                    step=heap.step,
                )
