"""A free-list heap with boundary tags, after CS:APP's ``mm.c`` (Bryant & O'Hallaron, 3e, 9.9).

Everything the allocator knows lives in the simulated bytes, so a hexdump shows it:

* an optional row of free-list heads (explicit and segregated lists), then a padding word,
  an 8-byte allocated *prologue* (header + footer) and a 0-size allocated *epilogue* header;
  prologue and epilogue spare coalescing its edge cases;
* every block has a 4-byte header and footer, ``size | allocated``; payloads are 8-aligned;
* a request of ``n`` bytes costs ``max(16, round_up(n + 8, 8))``; a free block is split only
  if the rest is at least 16 bytes (the minimum block);
* freeing coalesces at once (``coalesce="immediate"``: CS:APP's four cases, each O(1) thanks
  to the footer) or later (``"deferred"``: when a search fails, before the heap grows);
* the heap grows with ``sbrk`` by ``max(need, chunk)`` (CS:APP's CHUNKSIZE, 4 KiB);
* ``realloc``/``resize`` work in place when shrinking or when the next block is free and large
  enough (:mod:`.freelist_realloc`); otherwise the base class moves the payload.

Three refinements beyond ``mm.c``, off by default, raise utilization (malloclab's measure):

* ``grow="top-up"``: when the heap's last block is free, ``sbrk`` only what it lacks (at least
  ``chunk``), as glibc and dlmalloc grow their *top* chunk; ``realloc`` of the heap's last block
  grows it in place the same way;
* ``place="by-size"``: a request of ``LARGE`` bytes or more takes the *high* end of the free
  block it splits, a small one the low end, so small and large blocks gather apart and freeing
  the large ones leaves holes that merge (a common answer to malloclab's ``binary`` traces,
  not something ``mm.c`` or glibc does);
* ``place="back"``: every request takes the high end of the free block it splits, as the
  allocator in K&R's *The C Programming Language* (8.7) does (there, so that only the free
  block's size word changes). The low end of a hole stays free next to the block before it,
  which can then grow into it with ``realloc``.

And one that changes the tags (see :mod:`.freelist_tags`): ``footers="free"`` drops the footer
from allocated blocks (CS:APP 3e, homework 9.18; glibc's chunks do the same), so a request costs
``max(16, round_up(n + 4, 8))``; a bit in each allocated header says whether its left neighbour
is free. It needs immediate coalescing, which guarantees a free block never follows a free one.

Free blocks are found by :mod:`.freelist_lists` (implicit, explicit or segregated lists) with a
placement policy from :mod:`.freelist_fit` (first, next, best, worst). Simplifications: 4-byte
tags and links limit the heap to 4 GiB; payloads are aligned to 8 bytes, no more; the heap never
shrinks (like ``mm.c``). ``check()`` is malloclab's ``mm_checkheap`` (see :mod:`.freelist_check`).
"""

from __future__ import annotations

from typing import NoReturn

from ..errors import BadAlignment, BadRequest, HeapCorruption, MemlabError, OutOfMemory
from .base import Allocator
from .freelist_check import check_heap, heap_layout
from .freelist_coalesce import Coalescing
from .freelist_fast import install
from .freelist_fit import PLACEMENTS
from .freelist_grow import Growing
from .freelist_lists import make_lists
from .freelist_place import LARGE, Placing  # noqa: F401 - LARGE: the by-size threshold, named here too
from .freelist_realloc import InPlaceRealloc
from .freelist_tags import ALLOC, CHUNKSIZE, DSIZE, MAX_BLOCK, MIN_BLOCK, PREV_FREE, WSIZE, adjusted_size, word_view
from .registry import register

LISTS = ("implicit", "explicit", "segregated")
ORDERS = ("lifo", "address")
COALESCING = ("immediate", "deferred")
PLACES = ("front", "back", "by-size")
GROWTH = ("chunk", "top-up")
FOOTERS = ("all", "free")


def _choose(what: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise BadRequest(f"freelist {what}={value!r}: choose one of {', '.join(choices)}")
    return value  # type: ignore[return-value]


@register("freelist", test_options={"limit": 48 << 10, "chunk": 1024}, max_request=512, aligns=(None,))
class FreeListHeap(Placing, Growing, Coalescing, InPlaceRealloc, Allocator):
    """Free-list heap with boundary tags (CS:APP mm.c): implicit, explicit or segregated lists."""

    name = "freelist"

    def __init__(
        self,
        *,
        list: str = "implicit",  # noqa: A002 - the option's textbook name
        fit: str = "first",
        order: str | None = None,
        coalesce: str = "immediate",
        chunk: int = CHUNKSIZE,
        place: str = "front",
        grow: str = "chunk",
        footers: str = "all",
        **kw,
    ) -> None:
        kind = _choose("list", list, LISTS)
        fit = _choose("fit", fit, tuple(PLACEMENTS))
        if kind == "implicit" and order not in (None, "address"):
            raise BadRequest(f"freelist order={order!r}: an implicit list is always in address order")
        order = _choose("order", order or ("address" if kind == "implicit" else "lifo"), ORDERS)
        self.deferred = _choose("coalesce", coalesce, COALESCING) == "deferred"
        _choose("place", place, PLACES)
        self.by_size, self.from_back = place == "by-size", place == "back"
        self.top_up = _choose("grow", grow, GROWTH) == "top-up"
        self.footless = _choose("footers", footers, FOOTERS) == "free"
        if self.footless and self.deferred:
            raise BadRequest(
                "freelist footers='free' needs coalesce='immediate': with deferred coalescing a free block "
                "may follow a free block, and its header has no bit to say so"
            )
        self._tags = WSIZE if self.footless else DSIZE  # bytes of tags an allocated block carries
        if type(chunk) is not int or chunk < MIN_BLOCK or chunk % DSIZE:
            raise BadRequest(f"freelist chunk={chunk!r}: a multiple of {DSIZE}, at least {MIN_BLOCK}")
        super().__init__(**kw)
        if self.os.limit > 1 << 32:
            raise BadRequest("4-byte tags and links reach 4 GiB at most: use a smaller limit")
        self.options = {"list": kind, "fit": fit, "order": order, "coalesce": coalesce, "chunk": chunk}
        if place != "front" or self.top_up:  # beyond mm.c: named, so a repr tells the heaps apart
            self.options.update(place=place, grow=grow)
        if self.footless:
            self.options["footers"] = footers
        self.chunk = chunk
        self._w = word_view(self.memory)
        self.lists = make_lists(self, kind, fit, order)
        self._insert, self._remove, self._find = self.lists.insert, self.lists.remove, self.lists.find
        self._just_freed = self._left_free = 0
        self._request: tuple[int, int] = (0, 0)  # (bp, size) of the alloc in progress, for views
        heads = self.lists.heads
        pad = 1 - heads % 2  # words before the prologue must be odd, so payloads land on 8
        self.heads_address = self._sbrk(WSIZE * (heads + pad + 3))
        self.lists.head_base = self.heads_address >> 2
        self.padding = pad
        self.prologue = self.heads_address + WSIZE * (heads + pad)  # the prologue's header
        w, p = self._w, self.prologue >> 2
        w[p] = w[p + 1] = DSIZE | ALLOC
        w[p + 2] = ALLOC  # the epilogue
        self.first_bp = self.prologue + 3 * WSIZE
        self._extend(chunk)
        if kind != "implicit" and fit == "first" and not (self.deferred or self.footless or place != "front"):
            install(self, exact=7 if kind == "segregated" else 0)

    def __repr__(self) -> str:
        opts = ",".join(f"{k}={v}" for k, v in self.options.items())
        return f"<FreeListHeap {opts}: {len(self._live)} live blocks, footprint {self.footprint}>"

    # -- allocating ----------------------------------------------------------------------------
    def _alloc(self, size: int, align: int) -> int:
        if align > DSIZE:
            raise BadAlignment(f"alignment {align}: this heap aligns payloads to {DSIZE} bytes only")
        asize = adjusted_size(size, self._tags)
        if asize > MAX_BLOCK:
            raise OutOfMemory(f"{size} bytes do not fit a 4-byte size tag")
        try:
            bp, bsize = self._find(asize)
            if not bp:
                bp = self._grow_for(asize)
                bsize = self._w[(bp >> 2) - 1]
            return self._place(bp, bsize, asize, size)
        except (IndexError, ValueError) as e:
            self._tripped(e, f"alloc({size})")

    def _tripped(self, e: Exception, what: str) -> NoReturn:
        """A tag pointed outside memory or held nonsense: report corruption, as malloc would abort."""
        if isinstance(e, MemlabError):
            raise e
        raise HeapCorruption(f"{what} read a corrupt boundary tag ({e}); check() names it") from None

    # -- freeing -------------------------------------------------------------------------------
    def _free(self, address: int, size: int) -> None:
        w, i = self._w, address >> 2
        try:
            tag = w[i - 1]
            bsize = tag & ~7
            w[i - 1] = w[((address + bsize) >> 2) - 2] = bsize
            if self.deferred:
                self._insert(address, bsize)
            else:
                self._just_freed, self._left_free = address, tag & PREV_FREE
        except (IndexError, ValueError) as e:
            self._tripped(e, f"free({address:#x})")

    def free(self, address: int) -> None:
        """Free the block (the base class validates and records it), then coalesce if immediate."""
        Allocator.free(self, address)
        bp = self._just_freed
        if bp:
            self._just_freed = 0
            try:
                self._coalesce(bp, self._left_free)
            except (IndexError, ValueError) as e:
                self._tripped(e, f"free({address:#x})")

    # -- looking at it ---------------------------------------------------------------------------
    def layout(self):
        """The blocks, found by walking the header words in simulated memory."""
        return heap_layout(self)

    def check(self) -> None:
        """malloclab's mm_checkheap: the tags and the lists first, then the base class's checks."""
        check_heap(self)
        super().check()

    def reclaimed(self) -> bool:
        """Nothing live and every block free and listed; immediate coalescing: exactly one block.

        With deferred coalescing the free blocks may still lie side by side until the next
        failed search; :meth:`coalesce_all` would merge them into one.
        """
        if self._live:
            return False
        tags = [tag for _, tag in self.walk()]
        if any(tag & 1 for tag in tags):
            return False
        return self.deferred or len(tags) == 1

    def search_stats(self) -> dict[str, float]:
        """Searches made, blocks examined, and blocks examined per search."""
        s, n = self.lists.searches, self.lists.examined
        return {"searches": s, "examined": n, "per_search": n / s if s else 0.0}
