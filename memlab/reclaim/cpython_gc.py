"""CPython's cycle collector: ``gc_refs`` subtraction over three generations.

Reference counting frees most objects; this collector finds the cycles it cannot. For the
objects of the generations being collected (``young``):

1. **update_refs**: copy each refcount into ``gc_refs``;
2. **subtract_refs**: for every reference from one young object to another, subtract one.
   What is left counts references from *outside* young;
3. **move_unreachable**: an object with ``gc_refs > 0`` is reachable, and so is all it
   refers to; the rest move to a *tentatively unreachable* list, and move back if a reachable
   object turns out to refer to them. Survivors move to the next generation.

Then, for the unreachable objects, as CPython 3.15 does (``Python/gc.c``, since gh-135552): clear
the weak references *that have a callback* and call each callback with its weak reference
(calling that reference now returns None); run each finalizer once (``__del__``; the FINALIZED
bit remembers); find the objects a finalizer *resurrected* (the same subtraction, on the
unreachable set) and spare them; clear the weak references left to what is still unreachable,
those without a callback and any a finalizer made, without calling anything (so a finalizer
could still read a weak reference without a callback, and one to a resurrected object keeps
working); and finally clear the references of the rest (``tp_clear``), so that reference
counting frees them. ``Heap("cpython", clear_weakrefs="before finalizers")`` clears every weak
reference to the garbage before any finalizer runs, calling the callbacks, as CPython 3.13 does.
``heap.collect(g)`` returns how many objects were found unreachable and freed, like
``gc.collect()``.

Only *containers* (types with reference fields) are tracked. Allocating a container adds one
to generation 0's count; when it passes ``thresholds[0]`` a collection starts, and every
``thresholds[1]`` young collections include generation 1, and so on (generation 2 also waits
until a quarter of its objects are new, as CPython does). Defaults are CPython 3.12's
``(700, 10, 10)``; 3.13 raised the first to 2000. CPython 3.14.0 shipped an incremental
collector with two generations (the young one, and an old one collected a slice at a time);
python/cpython issue 148726 (2026) brought 3.13's three generations back for 3.14's later bug-fix
releases and for 3.15, and this module follows those three.

Simplifications: ``gc_refs`` is a header word here (CPython keeps it in the ``PyGC_Head``
before the object, with the list links); weak references live beside the heap; no legacy
``tp_del`` finalizers and no ``gc.garbage``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from ..errors import HeapCorruption
from .events import Collected, Finalize, GcRefs, Moved, Phase, Resurrect, WeakCleared
from .objects import Obj
from .refcount import RefCounting
from .types import LIVE, BadField, CollectionInProgress

# -- Weak references of CPython: ``weakref.ref(obj, callback)`` and clearing them when obj dies.
#
# As in CPython, a weak reference does not keep its object alive: calling it returns the object,
# or None once the object is gone. When an object's refcount reaches zero, its finalizer runs and
# then its weak references are cleared and each callback is called with its weak reference, which
# now returns None (``subtype_dealloc``). Cyclic garbage is handled by the collector in two steps
# (see the module docstring). An exception in a callback is printed as "Exception ignored ..." and
# otherwise ignored, as CPython does. Simplification: weak references live beside the heap, not as
# objects in it.


class WeakRef:
    """A weak reference, like Python's ``weakref.ref``: call it to get the object or None."""

    __slots__ = ("_target", "callback")

    def __init__(self, target: Obj, callback: Callable[[WeakRef], object] | None) -> None:
        self._target: Obj | None = target
        self.callback = callback

    def __call__(self) -> Obj | None:
        target = self._target
        return target if target is not None and target._state == LIVE else None

    def __repr__(self) -> str:
        target = self()
        return f"<weakref to {target._name}>" if target is not None else "<weakref; dead>"


GENERATIONS = 3
WEAKREF_ORDERS = ("after finalizers", "before finalizers")
"""When the collector clears weak references without a callback: CPython 3.15's order, or 3.13's."""


class CPythonGC(RefCounting):
    """Reference counting plus CPython's generational cycle collector."""

    name = "cpython"

    header = ("rc", "gc_refs")
    exports = ("weakref", "generations", "get_count", "thresholds", "gc_stats")

    def __init__(
        self,
        thresholds: tuple[int, int, int] = (700, 10, 10),
        automatic: bool = True,
        clear_weakrefs: str = "after finalizers",
    ) -> None:
        super().__init__()
        if clear_weakrefs not in WEAKREF_ORDERS:
            raise BadField(
                f"clear_weakrefs={clear_weakrefs!r}: must be 'after finalizers' (CPython 3.15) "
                "or 'before finalizers' (CPython 3.13)"
            )
        self.clear_weakrefs = clear_weakrefs
        if (
            not isinstance(thresholds, tuple | list)
            or len(thresholds) != GENERATIONS
            or not all(isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in thresholds)
        ):
            raise BadField(f"thresholds {thresholds!r} must be three integers >= 0, like (700, 10, 10)")
        self.thresholds = tuple(thresholds)
        self.automatic = automatic
        self.generations: list[dict[int, Obj]] = [{} for _ in range(GENERATIONS)]
        self.gen_counts = [0] * GENERATIONS
        self.long_lived_total = self.long_lived_pending = 0
        self.weakrefs: dict[int, list[WeakRef]] = {}
        self.gc_stats = [{"collections": 0, "collected": 0} for _ in range(GENERATIONS)]
        self.collecting = False
        self._unreachable: dict[int, Obj] = {}

    # -- tracking ------------------------------------------------------------------------------
    def tracked(self, obj: Obj) -> bool:
        return bool(obj._type.refs)

    def init(self, obj: Obj) -> None:
        super().init(obj)
        if not self.tracked(obj):
            return
        self.generations[0][obj._id] = obj
        self.gen_counts[0] += 1
        if self.automatic and not self.collecting and not self._busy and 0 < self.thresholds[0] < self.gen_counts[0]:
            self.collect_generations()

    def get_count(self) -> tuple[int, ...]:
        """``gc.get_count()``: allocations since generation 0 was collected, and young collections."""
        return tuple(self.gen_counts)

    def collect_generations(self) -> int:
        """Collect the oldest generation whose count passed its threshold."""
        for g in reversed(range(GENERATIONS)):
            if self.gen_counts[g] > self.thresholds[g]:
                if g == GENERATIONS - 1 and self.long_lived_pending < self.long_lived_total // 4:
                    continue
                return self.collect(generation=g)
        return 0

    def finish(self, obj: Obj) -> None:
        for gen in self.generations:
            gen.pop(obj._id, None)
        self._unreachable.pop(obj._id, None)
        if self.tracked(obj) and self.gen_counts[0] > 0:
            self.gen_counts[0] -= 1
        super().finish(obj)

    # -- the collection ------------------------------------------------------------------------------
    def collect(self, generation: int = GENERATIONS - 1, **options: object) -> int:
        """``gc.collect(generation)``: returns the number of unreachable objects found and freed."""
        heap = self.heap
        self.no_options("cpython collect()", options, "only generation")
        if generation not in range(GENERATIONS) or isinstance(generation, bool):
            raise BadField(f"invalid generation {generation!r}: must be 0, 1 or 2", step=heap.step)
        if self.collecting:
            raise CollectionInProgress("gc.collect() while a collection is running", step=heap.step)
        with heap.operation(f"gc.collect({generation})"):
            self.collecting = True
            try:
                return self._collect(generation)
            finally:
                self.collecting = False
                self._unreachable = {}

    def _collect(self, g: int) -> int:
        heap = self.heap
        if g + 1 < GENERATIONS:
            self.gen_counts[g + 1] += 1
        for i in range(g + 1):
            self.gen_counts[i] = 0
        young: dict[int, Obj] = dict(self.generations[g])
        for i in range(g):
            young.update(self.generations[i])
        for i in range(g + 1):
            self.generations[i].clear()
        older = min(g + 1, GENERATIONS - 1)
        heap.frozen = f"gc.collect({g})"
        try:
            unreachable = self._deduce_unreachable(young)
        finally:
            heap.frozen = ""
        survivors = {i: o for i, o in young.items() if i not in unreachable}
        self.generations[older].update(survivors)
        if g == GENERATIONS - 2:
            self.long_lived_pending += len(survivors)
        elif g == GENERATIONS - 1:
            self.long_lived_pending, self.long_lived_total = 0, len(self.generations[older])
        self._phase("survivors", f"{len(survivors)} reachable object(s) move to generation {older}")
        self._unreachable = unreachable
        late = self.clear_weakrefs == "after finalizers"
        if late:
            self._phase("handle_weakrefs", "clear the weak references with a callback; call each callback")
        else:
            self._phase("handle_weakrefs", "clear the weak references to the unreachable objects; call their callbacks")
        for obj in list(unreachable.values()):
            self._clear_weakrefs(obj, only_with_callback=late)
        self._finalize_garbage()
        final = self._handle_resurrected(older)
        if late:
            self._phase("clear_weakrefs", "clear the weak references left to the garbage, calling nothing")
            for obj in list(final.values()):
                self._clear_weakrefs(obj, call=False)
        found = len(final)
        self._delete_garbage(final, older)
        self.gc_stats[g]["collections"] += 1
        self.gc_stats[g]["collected"] += found
        if heap.recorder is not None:
            heap.emit(Collected(heap.step, "CPython gc", found, len(young), g))
        return found

    def _phase(self, name: str, detail: str) -> None:
        if self.heap.recorder is not None:
            self.heap.emit(Phase(self.heap.step, name, detail))

    def _gc_refs(self, obj: Obj, value: int, why: str) -> None:
        heap = self.heap
        heap.set_word(obj, "gc_refs", value)
        heap.counters["gc_refs updates"] += 1
        if heap.recorder is not None:
            heap.emit(GcRefs(heap.step, obj._name, obj._id, obj._address, value, why))

    def _moved(self, obj: Obj, to: str, why: str = "") -> None:
        heap = self.heap
        if heap.recorder is not None:
            heap.emit(Moved(heap.step, obj._name, obj._id, obj._address, to, why))

    def _deduce_unreachable(self, young: dict[int, Obj]) -> dict[int, Obj]:
        """update_refs, subtract_refs, move_unreachable: returns the unreachable objects."""
        heap = self.heap
        self._phase("update_refs", f"copy the refcount of {len(young)} object(s) into gc_refs")
        for obj in young.values():
            self._gc_refs(obj, heap.word(obj, "rc"), "update_refs")
        self._phase("subtract_refs", "subtract one for every reference from inside the set")
        for obj in young.values():
            for child in heap.children(obj):
                if child._id in young:
                    self._gc_refs(child, heap.word(child, "gc_refs") - 1, f"{obj._name} refers to it")
        self._phase("move_unreachable", "gc_refs > 0: reachable from outside; the rest are tentatively unreachable")
        order, unreachable, i = list(young.values()), {}, 0
        while i < len(order):
            obj = order[i]
            i += 1
            if heap.word(obj, "gc_refs") == 0:
                unreachable[obj._id] = obj
                self._moved(obj, "tentatively unreachable", "gc_refs is 0")
                continue
            for child in heap.children(obj):
                if child._id not in young or heap.word(child, "gc_refs") > 0:
                    continue
                self._gc_refs(child, 1, f"reachable from {obj._name}")
                if child._id in unreachable:
                    del unreachable[child._id]
                    order.append(child)
                    self._moved(child, "reachable", f"{obj._name} refers to it")
        return unreachable

    # -- views and checks -------------------------------------------------------------------------
    def counts(self, obj: Obj) -> tuple[tuple[str, int], ...]:
        rc = (("rc", self.heap.word(obj, "rc")),)
        return rc + (("gc_refs", self.heap.word(obj, "gc_refs")),) if self.collecting else rc

    def tags(self, obj: Obj) -> tuple[str, ...]:
        tags = list(super().tags(obj))
        if obj._id in self._unreachable:
            tags.append("unreachable")
        else:
            tags += [f"gen {g}" for g, gen in enumerate(self.generations) if obj._id in gen]
        if self.heap.allocated(obj) and self.heap.flag(obj, "finalized"):
            tags.append("finalized")
        return tuple(tags)

    def check(self) -> None:
        super().check()
        for obj in self.heap._at.values():
            homes = sum(obj._id in gen for gen in self.generations)
            if obj._state == LIVE and homes != (1 if self.tracked(obj) else 0):
                raise HeapCorruption(
                    f"{obj._name} is in {homes} generations", address=obj._address, step=self.heap.step
                )

    # -- weak references, and clearing them ----------------------------------------------------

    def begin(self, obj: Obj) -> bool:
        going = super().begin(obj)
        if going:
            self._clear_weakrefs(obj)
        return going

    def weakref(self, obj: Obj, callback: Callable[[WeakRef], object] | None = None) -> WeakRef:
        """``weakref.ref(obj, callback)``: reads None once ``obj`` is gone; the callback then runs."""
        self.heap.usable(obj, "weakref()")
        if callback is not None and not callable(callback):
            raise BadField(f"weakref callback {callback!r} is not callable", step=self.heap.step)
        ref = WeakRef(obj, callback)
        self.weakrefs.setdefault(obj._id, []).append(ref)
        return ref

    def _clear_weakrefs(self, obj: Obj, *, only_with_callback: bool = False, call: bool = True) -> None:
        """Clear weak references to ``obj`` (all, or those with a callback), then call their callbacks."""
        refs = self.weakrefs.pop(obj._id, [])
        if only_with_callback:
            kept = [ref for ref in refs if ref.callback is None]
            refs = [ref for ref in refs if ref.callback is not None]
            if kept:
                self.weakrefs[obj._id] = kept
        if not refs:
            return
        heap = self.heap
        for ref in refs:
            ref._target = None
        if heap.recorder is not None:
            heap.emit(WeakCleared(heap.step, obj._name, obj._id, obj._address, len(refs)))
        for ref in refs if call else ():
            if ref.callback is not None:
                try:
                    ref.callback(ref)
                except Exception as e:  # noqa: BLE001  (as CPython: reported, then ignored)
                    heap.ignored.append(e)
                    print(f"Exception ignored in weakref callback for {obj._name}: {e!r}", file=sys.stderr)
                except BaseException as e:  # Ctrl-C: the collection finishes first (see Heap.defer)
                    heap.defer(e)

    # -- finalize_garbage, handle_resurrected_objects, delete_garbage --------------------------
    # What CPython's cycle collector does with the unreachable objects: PEP 442's safe finalization.
    #
    # Since Python 3.4 (PEP 442) the collector runs each finalizer (``__del__``) of cyclic garbage
    # once, remembered by a FINALIZED bit; a finalizer may *resurrect* objects by storing a reference
    # to them somewhere reachable, so the ``gc_refs`` subtraction runs again on the unreachable set
    # and spares what is now referenced from outside it. Only then does ``tp_clear`` drop the
    # references of the rest, and reference counting frees them.

    def _finalize_garbage(self) -> None:
        heap = self.heap
        self._phase("finalize_garbage", "run each finalizer that has not run yet")
        for obj in list(self._unreachable.values()):
            if obj._id in self._unreachable and obj._state == LIVE and not heap.flag(obj, "finalized"):
                heap.set_flag(obj, "finalized", 1)
                if obj._type.deinit is not None:
                    if heap.recorder is not None:
                        heap.emit(Finalize(heap.step, obj._name, obj._id, obj._address))
                    heap.run_deinit(obj)

    def _handle_resurrected(self, older: int) -> dict[int, Obj]:
        """Redo the subtraction on the unreachable set: what is referenced from outside was resurrected."""
        self._phase("handle_resurrected_objects", "did a finalizer make any of them reachable again?")
        heap = self.heap
        candidates = {i: o for i, o in self._unreachable.items() if o._state == LIVE}
        if not candidates:
            return {}
        heap.frozen = "handle_resurrected_objects"
        try:
            final = self._deduce_unreachable(candidates)
        finally:
            heap.frozen = ""
        for oid, obj in candidates.items():
            if oid not in final:
                self.generations[older][oid] = obj
                if heap.recorder is not None:
                    heap.emit(Resurrect(heap.step, obj._name, obj._id, obj._address))
        self._unreachable = dict(final)
        return final

    def _delete_garbage(self, final: dict[int, Obj], older: int) -> None:
        """tp_clear each object: drop its references, and refcounting frees the cycle."""
        heap = self.heap
        self._phase("delete_garbage", f"clear the references of {len(final)} object(s); refcounting frees them")
        for obj in list(final.values()):
            if obj._id not in self._unreachable:
                continue  # already freed by an earlier clear
            self.incref(obj, "delete_garbage holds it")
            for slot, target in heap.refs(obj):
                if target is not None and slot.kind == "strong":
                    slot.put(0)
                    self.decref(target, f"tp_clear({obj._name})")
            self.decref(obj, "delete_garbage lets go")
            if obj._state == LIVE:
                self._unreachable.pop(obj._id, None)
                self.generations[older][obj._id] = obj


__all__ = ["GENERATIONS", "WEAKREF_ORDERS", "CPythonGC", "WeakRef"]
