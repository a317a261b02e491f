"""Weak references of CPython: ``weakref.ref(obj, callback)`` and clearing them when obj dies.

As in CPython, a weak reference does not keep its object alive: calling it returns the object,
or None once the object is gone. When an object dies, by its refcount reaching zero or as
cyclic garbage (the collector's ``handle_weakrefs`` step runs before any finalizer), its weak
references are cleared first and their callbacks run, seeing None. An exception in a callback is
printed as "Exception ignored ..." and otherwise ignored, as CPython does. Simplification: weak
references live beside the heap, not as objects in it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from .events import WeakCleared
from .objects import Obj
from .types import LIVE, BadField


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


class WeakRefs:
    """``weakref()`` and the clearing of weak references, for :class:`~.cpython_gc.CPythonGC` (a mixin)."""

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

    def _clear_weakrefs(self, obj: Obj) -> None:
        refs = self.weakrefs.pop(obj._id, [])
        if not refs:
            return
        heap = self.heap
        for ref in refs:
            ref._target = None
        if heap.recorder is not None:
            heap.emit(WeakCleared(heap.step, obj._name, obj._id, obj._address, len(refs)))
        for ref in refs:
            if ref.callback is not None:
                try:
                    ref.callback(ref)
                except Exception as e:  # noqa: BLE001  (as CPython: reported, then ignored)
                    heap.ignored.append(e)
                    print(f"Exception ignored in weakref callback for {obj._name}: {e!r}", file=sys.stderr)
