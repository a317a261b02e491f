"""What CPython's cycle collector does with the unreachable objects: PEP 442's safe finalization.

Since Python 3.4 (PEP 442) the collector runs each finalizer (``__del__``) of cyclic garbage
once, remembered by a FINALIZED bit; a finalizer may *resurrect* objects by storing a reference
to them somewhere reachable, so the ``gc_refs`` subtraction runs again on the unreachable set
and spares what is now referenced from outside it. Only then does ``tp_clear`` drop the
references of the rest, and reference counting frees them.
"""

from __future__ import annotations

from .events import Finalize, Resurrect
from .objects import Obj
from .types import LIVE


class Finalization:
    """finalize_garbage, handle_resurrected_objects, delete_garbage of :class:`~.cpython_gc.CPythonGC` (a mixin)."""

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
