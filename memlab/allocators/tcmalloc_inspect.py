"""Reading a TCMalloc heap: where every object is, the snapshot for views, and the invariants.

``check()`` follows every object: each free object sits in exactly one place (a thread cache, a
transfer batch, or its span's free list), belongs to an in-use span of its size class at an
object boundary, and is not live; each span's count of handed-out objects matches; the pagemap
maps every page of an in-use span to that span; byte counts of the thread caches add up.
"""

from __future__ import annotations

from .base import FREE, Allocator, Block
from .tcmalloc_info import ClassView, SpanView, TCMallocSnapshot, ThreadView, span_blocks
from .tcmalloc_pageheap import IN_USE


class TCMallocInspection:
    """Layout, snapshot and checks of a :class:`~.tcmalloc.TCMalloc` (a mixin)."""

    def places(self) -> dict[int, str]:
        """Every free object of a small-object span and where it is."""
        where: dict[int, str] = {}
        for span in self.pageheap.spans:
            for address in span.free:
                where[address] = "central free list"
        for transfer in self.transfer[1:]:
            for batch in transfer.batches:
                for address in batch:
                    where[address] = "transfer cache"
        for thread, cache in self.caches.items():
            for objects in cache.lists:
                for address in objects:
                    where[address] = f"thread {thread} cache"
        return where

    def _spans(self):
        return sorted(self.pageheap.spans, key=lambda s: s.start)

    def layout(self) -> list[Block]:
        where, live, ph = self.places(), self._live, self.pageheap
        blocks: list[Block] = []
        for span in self._spans():
            address, size = ph.address(span), span.npages * ph.page_size
            if span.state != IN_USE:
                blocks.append(Block(address, size, FREE, f"page heap: {span.npages} free page(s)"))
            elif span.sizeclass:
                cls = self.classes[span.sizeclass]
                blocks += span_blocks(address, cls.size, cls.objects, size, live, where)
            else:
                blocks.append(Block(address, size, "allocated", "large: whole pages", requested=live[address][0]))
        return blocks

    def reclaimed(self) -> bool:
        """Nothing live: every object is back in a cache, a transfer batch or its span."""
        return not self._live and not self._large

    def extent(self) -> tuple[int, int]:
        spans = self._spans()
        if not spans:
            return 0, 0
        ph = self.pageheap
        return ph.address(spans[0]), ph.address(spans[-1]) + spans[-1].npages * ph.page_size

    def snapshot(self) -> TCMallocSnapshot:
        base = Allocator.snapshot(self)
        threads = tuple(
            ThreadView(
                t,
                tuple(
                    (self.classes[i].size, len(lst), c.max_length[i])
                    for i, lst in enumerate(c.lists)
                    if i and (lst or c.max_length[i] > 1)
                ),
                c.size,
                c.max_size,
            )
            for t, c in sorted(self.caches.items())
        )
        classes = tuple(
            ClassView(
                cls.size,
                cls.batch,
                self.transfer[cls.index].objects,
                self.central[cls.index].free_objects,
                self.central[cls.index].spans,
            )
            for cls in self.classes[1:]
            if self.central[cls.index].spans or self.transfer[cls.index].batches
        )
        ph, spans = self.pageheap, []
        for span in self._spans():
            if span.state != IN_USE:
                spans.append(SpanView(ph.address(span), span.npages, "free"))
            elif span.sizeclass:
                cls = self.classes[span.sizeclass]
                spans.append(SpanView(ph.address(span), span.npages, "small", cls.size, cls.objects, span.allocated))
            else:
                spans.append(SpanView(ph.address(span), span.npages, "large", span.npages * ph.page_size, 1, 1))
        return TCMallocSnapshot(
            base.blocks,
            base.start,
            base.end,
            base.stats,
            base.data,
            threads,
            classes,
            tuple(spans),
            tuple(self.locks.items()),
            ph.page_size,
        )

    def _check(self) -> None:
        ph, seen = self.pageheap, {}
        places = [("central free list", a) for s in ph.spans for a in s.free]
        places += [("transfer cache", a) for t in self.transfer[1:] for b in t.batches for a in b]
        places += [(f"thread {t} cache", a) for t, c in self.caches.items() for lst in c.lists for a in lst]
        for place, address in places:
            if address in seen:
                self._corrupt(f"free object {address:#x} is both in the {seen[address]} and the {place}", address)
            seen[address] = place
            if address in self._live:
                self._corrupt(f"live object {address:#x} is also free in the {place}", address)
            span = ph.pagemap.get(address >> ph.shift)
            if span is None or span.state != IN_USE or not span.sizeclass:
                self._corrupt(f"free object {address:#x} in the {place} is not in a small-object span", address)
            if (address - ph.address(span)) % self.classes[span.sizeclass].size:
                self._corrupt(f"free object {address:#x} in the {place} is not on an object boundary", address)
        for t, cache in self.caches.items():
            held = sum(len(lst) * self.classes[i].size for i, lst in enumerate(cache.lists) if i)
            if held != cache.size:
                self._corrupt(f"thread {t} cache counts {cache.size} bytes but holds {held}")
        for span in ph.spans:
            pages = range(span.start, span.start + span.npages)
            if span.state == IN_USE and any(ph.pagemap.get(p) is not span for p in pages):
                self._corrupt(f"a page of the span at {ph.address(span):#x} is not mapped to it", ph.address(span))
            if span.state == IN_USE and span.sizeclass:
                cls = self.classes[span.sizeclass]
                if span.allocated + len(span.free) != cls.objects:
                    self._corrupt(
                        f"span at {ph.address(span):#x}: {span.allocated} handed out + {len(span.free)} "
                        f"free != {cls.objects} objects",
                        ph.address(span),
                    )
