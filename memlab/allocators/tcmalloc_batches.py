"""Moving objects between TCMalloc's ends: refills, flushes, scavenging, exiting threads.

Every move is a batch under one lock (see :mod:`.tcmalloc_central`): a thread cache whose list
runs empty takes up to a batch (slow start: one more each time, up to the batch size); a list
that grows past its longest allowed length gives a batch back and may grow longer next time; a
cache over its byte limit scavenges half of what each list did not need lately; an exiting
thread gives everything back. A mixin of :class:`~.tcmalloc.TCMalloc`.
"""

from __future__ import annotations

from .tcmalloc_front import ThreadCache
from .tcmalloc_info import Flush, Refill, SpanCarve, SpanReturn
from .tcmalloc_sizes import SizeClass


class BatchMoves:
    """Refill, flush, scavenge and exit, for :class:`~.tcmalloc.TCMalloc`."""

    def _settle(self) -> None:
        """After a free: a list that grew too long gives a batch back; a cache over its limit scavenges."""
        cache, index = self._pending
        self._pending = None
        if cache is None:
            return self._spans_changed(index)
        if len(cache.lists[index]) > cache.max_length[index]:
            self._too_long(cache, self.classes[index])
        if cache.size > cache.max_size:
            self.scavenge(cache.thread)

    def _refill(self, cache: ThreadCache, cls: SizeClass) -> None:
        want = min(cache.max_length[cls.index], cls.batch)
        objects, source = self.transfer[cls.index].remove_range(want)
        cache.lists[cls.index].extend(objects)
        cache.size += len(objects) * cls.size
        self._spans_changed(cls.index)
        cache.grow_limit(cls)
        if self.recorder is not None:
            self._emit(Refill(self.step, cache.thread, cls.size, len(objects), source))

    def _give_back(self, cache: ThreadCache, cls: SizeClass, count: int, why: str) -> None:
        objects = cache.lists[cls.index]
        batch = objects[:count]
        del objects[:count]
        cache.size -= count * cls.size
        dest = self.transfer[cls.index].insert_range(batch)
        if self.recorder is not None:
            self._emit(Flush(self.step, cache.thread, cls.size, count, dest, why))
        self._spans_changed(cls.index)

    def _too_long(self, cache: ThreadCache, cls: SizeClass) -> None:
        self._give_back(cache, cls, min(cls.batch, len(cache.lists[cls.index])), "is too long")
        if cache.max_length[cls.index] < cls.batch:
            cache.max_length[cls.index] += 1

    def scavenge(self, thread: int = 0) -> int:
        """Give back half of what each list of ``thread`` did not need lately; return the objects moved."""
        cache = self.caches.get(thread)
        if cache is None:
            return 0
        moved = 0
        for index, count in enumerate(cache.scavenge_amounts()):
            if count:
                self._give_back(cache, self.classes[index], count, "is scavenged")
                moved += count
        return moved

    def exit_thread(self, thread: int) -> int:
        """The thread ends: its whole cache goes back to the middle end; return the objects moved."""
        cache = self.caches.pop(thread, None)
        if cache is None:
            return 0
        moved = 0
        for index, objects in enumerate(cache.lists):
            if objects:
                moved += len(objects)
                self._give_back(cache, self.classes[index], len(objects), "goes back as the thread exits")
        if self._thread == thread:
            self._cache = None
        return moved

    def release_free_memory(self) -> int:
        """Hand every free span of the page heap back to the OS; return the bytes released."""
        self.step += 1
        return self.pageheap.release()

    def _spans_changed(self, index: int) -> None:
        central = self.central[index]
        if central.events:
            events, central.events = central.events, []
            if self.recorder is not None:
                size = self.classes[index].size
                for kind, span, address in events:
                    if kind == "carve":
                        self._emit(SpanCarve(self.step, address, span.npages, size, self.classes[index].objects))
                    else:
                        self._emit(SpanReturn(self.step, address, span.npages, size))
