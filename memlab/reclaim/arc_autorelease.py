"""Autorelease pools, as in Objective-C: an owned reference handed to the innermost pool.

``objc_autorelease(obj)`` gives one +1 of ``obj`` to the innermost pool instead of releasing it
now, so a method can return an object it owns without the caller having to release it; when the
pool ends (``objc_autoreleasePoolPop``, the closing brace of ``@autoreleasepool``) every pending
object is released. Autoreleasing with no pool in place is reported, as Foundation's
``__NSAutoreleaseNoPool`` message does (Objective-C then just leaks the object).
"""

from __future__ import annotations

from contextlib import contextmanager

from .arc_errors import NoAutoreleasePool
from .events import Pool
from .objects import Obj


class AutoreleasePools:
    """``autoreleasepool`` and ``autorelease`` for :class:`~.arc.ARC` (a mixin)."""

    @contextmanager
    def autoreleasepool(self):
        """``with heap.autoreleasepool(): ...``: pending objects are released when it ends."""
        heap = self.heap
        with heap.operation("autoreleasepool {"):
            self.pools.append([])
            self.call("objc_autoreleasePoolPush()")
            if heap.recorder is not None:
                heap.emit(Pool(heap.step, len(self.pools), True))
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
                heap.emit(Pool(heap.step, len(self.pools) + 1, False, len(pending)))

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
