"""Exercise 10's TCMalloc: memlab's own, with its size-class lookup, refill and release in the learner's hands."""

from __future__ import annotations

from contextlib import contextmanager

from ...allocators.tcmalloc.info import Flush, Refill
from ...allocators.tcmalloc.sizes import SizeClass
from ...allocators.tcmalloc.tcmalloc import TCMalloc
from ..questions import Failed


class ExerciseTCMalloc(TCMalloc):
    """memlab's TCMalloc whose size-class lookup, refill and release are the learner's."""

    def __init__(self, *, size_class=None, refill=None, release=None, **kw) -> None:
        self.learner = {"size_class": size_class, "refill": refill, "release": release}
        self.refills: list[tuple[int, int, int, str]] = []  # (thread, size, count, source)
        self.flushes: list[tuple[int, int, int, str]] = []  # (thread, size, count, dest)
        super().__init__(**kw)

    @contextmanager
    def real(self):
        """memlab's own code, to set up a heap before the learner's runs."""
        saved, self.learner = self.learner, dict.fromkeys(self.learner)
        try:
            yield self
        finally:
            self.learner = saved

    def cls(self, size: int):
        """memlab's own size class for ``size`` bytes."""
        return self.sizes.class_for(size)

    def _alloc(self, size: int, align: int) -> int:
        pick = self.learner["size_class"]
        if pick is None:
            return super()._alloc(size, align)
        cls = pick(self, size)
        if cls is None:
            return self._alloc_large(size, align)
        if cls not in self.sizes.classes or cls.size < size:
            raise Failed(f"size_class(heap, {size}) gave {_name(cls)}: an object of at least {size} bytes is needed")
        if cls.size % align:
            cls = self.sizes.class_for(size, align)  # alignment is not part of the exercise
        cache = self._cache or self._new_cache()
        objects = cache.lists[cls.index]
        if not objects:
            self._refill(cache, cls)
        cache.size -= cls.size
        cache.low_water[cls.index] = min(cache.low_water[cls.index], len(objects) - 1)
        return objects.pop()

    def _refill(self, cache, cls) -> None:
        learner = self.learner["refill"]
        if learner is None:
            return super()._refill(cache, cls)
        objects, batches = cache.lists[cls.index], len(self.transfer[cls.index].batches)
        learner(self, cache, cls)
        if not objects:
            raise Failed(
                f"after refill, thread {cache.thread}'s {cls.size}-byte list is still empty: malloc has nothing to pop"
            )
        source = "transfer cache" if len(self.transfer[cls.index].batches) < batches else "central free list"
        self.refills.append((cache.thread, cls.size, len(objects), source))
        self._spans_changed(cls.index)
        if self.recorder is not None:
            self._emit(Refill(self.step, cache.thread, cls.size, len(objects), source))

    def _too_long(self, cache, cls) -> None:
        learner = self.learner["release"]
        if learner is None:
            return super()._too_long(cache, cls)
        before, batches = len(cache.lists[cls.index]), len(self.transfer[cls.index].batches)
        learner(self, cache, cls)
        count = before - len(cache.lists[cls.index])
        dest = "transfer cache" if len(self.transfer[cls.index].batches) > batches else "central free list"
        self.flushes.append((cache.thread, cls.size, count, dest))
        if self.recorder is not None:
            self._emit(Flush(self.step, cache.thread, cls.size, count, dest))
        self._spans_changed(cls.index)


def _name(cls) -> str:
    if cls is None:
        return "None (a large object)"
    return f"the {cls.size}-byte class" if isinstance(cls, SizeClass) else f"{cls!r}, not one of heap.sizes.classes"
