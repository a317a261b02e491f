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
  enough (see ``_resize``); otherwise the base class moves the payload.

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

And one that changes the tags (see :mod:`.tags`): ``footers="free"`` drops the footer
from allocated blocks (CS:APP 3e, homework 9.18; glibc's chunks do the same), so a request costs
``max(16, round_up(n + 4, 8))``; a bit in each allocated header says whether its left neighbour
is free. It needs immediate coalescing, which guarantees a free block never follows a free one.

Free blocks are found by :mod:`.lists` (implicit, explicit or segregated lists) with a
placement policy from :mod:`.lists` (first, next, best, worst). Explicit and segregated lists with
first fit, immediate coalescing, front placement and footers on every block (``mm.c``'s own tags)
run the accelerated hot path of :mod:`.fast`: in C where it was built, else in Python
(``accelerator="auto"``); ``"c"``, ``"python"`` and ``"off"`` (the readable path only) choose. Simplifications: 4-byte
tags and links limit the heap to 4 GiB; payloads are aligned to 8 bytes, no more; the heap never
shrinks (like ``mm.c``). ``check()`` is malloclab's ``mm_checkheap`` (see :mod:`.check`).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import NoReturn

from ...errors import BadAlignment, BadRequest, HeapCorruption, MemlabError, OutOfMemory
from ...events import Coalesce, Split
from ..base import Allocator
from . import fast
from .check import check_heap, heap_layout
from .lists import PLACEMENTS, make_lists
from .tags import ALLOC, CHUNKSIZE, DSIZE, MAX_BLOCK, MIN_BLOCK, PREV_FREE, WSIZE, adjusted_size, word_view

# -- Placing a request in a free block (CS:APP 9.9.8's ``place``), and writing an allocated block's tags.
#
# The free block is split when the rest would be at least the minimum block: the allocated part is
# carved from the front (``mm.c``), from the back (``place="back"``, K&R 8.7), or by size (large
# requests from the back, ``place="by-size"``). With ``footers="free"`` an allocated block gets a
# header only, and the block after it is told whether a free block now lies to its left.

LARGE = 128
"""With ``place="by-size"``, blocks of this many bytes or more are carved from a free block's high end."""


LISTS = ("implicit", "explicit", "segregated")
ORDERS = ("lifo", "address")
COALESCING = ("immediate", "deferred")
PLACES = ("front", "back", "by-size")
GROWTH = ("chunk", "top-up")
FOOTERS = ("all", "free")
ACCELERATORS = ("auto", "c", "python", "off")
TAG_LIMIT = 1 << 32
"""4-byte tags and links address 4 GiB at most."""


@contextmanager
def _closures_only():
    """:func:`.fast.install` builds its Python closures while no compiled path is there to take."""
    compiled, fast.COMPILED = fast.COMPILED, None
    try:
        yield
    finally:
        fast.COMPILED = compiled


def _choose(what: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise BadRequest(f"freelist {what}={value!r}: choose one of {', '.join(choices)}")
    return value  # type: ignore[return-value]


class FreeListHeap(Allocator):
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
        accelerator: str = "auto",
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
        accelerated = kind != "implicit" and fit == "first" and not (self.deferred or self.footless or place != "front")
        accelerator = _choose("accelerator", accelerator, ACCELERATORS)
        if accelerator in ("c", "python") and not accelerated:
            raise BadRequest(
                f"freelist accelerator={accelerator!r}: the fast path serves explicit and segregated lists with "
                "first fit, immediate coalescing, front placement and footers on every block"
            )
        if accelerator == "c" and fast.COMPILED is None:
            raise BadRequest("freelist accelerator='c': the C fast path was not built here (no C compiler at install)")
        limit = kw.get("limit")
        if "os" not in kw and type(limit) is int and limit > TAG_LIMIT:
            raise BadRequest(f"freelist limit={limit}: 4-byte tags and links reach 4 GiB at most; use a smaller limit")
        super().__init__(**kw)
        if self.os.limit > TAG_LIMIT:
            raise BadRequest(f"freelist os={self.os!r}: 4-byte tags and links reach 4 GiB at most; use a smaller OS")
        self.options = {"list": kind, "fit": fit, "order": order, "coalesce": coalesce, "chunk": chunk}
        if place != "front" or self.top_up:  # beyond mm.c: named, so a repr tells the heaps apart
            self.options.update(place=place, grow=grow)
        if self.footless:
            self.options["footers"] = footers
        if accelerator != "auto":
            self.options["accelerator"] = accelerator
        self.chunk = chunk
        self._w = word_view(self.memory)
        self.lists = make_lists(self, kind, fit, order)
        self._insert, self._remove, self._find = self.lists.insert, self.lists.remove, self.lists.find
        heads = self.lists.heads
        pad = 1 - heads % 2  # words before the prologue must be odd, so payloads land on 8
        with self._option(chunk=chunk):
            self.heads_address = self._sbrk(WSIZE * (heads + pad + 3))
            self.lists.head_base = self.heads_address >> 2
            self.padding = pad
            self.prologue = self.heads_address + WSIZE * (heads + pad)  # the prologue's header
            w, p = self._w, self.prologue >> 2
            w[p] = w[p + 1] = DSIZE | ALLOC
            w[p + 2] = ALLOC  # the epilogue
            self.first_bp = self.prologue + 3 * WSIZE
            self._extend(chunk)
        # the hot path this heap runs: "c" or "python" (.fast), or "off" (the readable path only)
        if accelerator == "off" or not accelerated:
            self.accelerator = "off"
        elif accelerator == "python" and fast.COMPILED is not None:
            with _closures_only():
                fast.install(self, exact=7 if kind == "segregated" else 0)
            self.accelerator = "python"
        else:
            fast.install(self, exact=7 if kind == "segregated" else 0)
            self.accelerator = "python" if fast.COMPILED is None else "c"

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
            return self._place(bp, bsize, asize)
        except (IndexError, ValueError) as e:
            self._tripped(e, f"alloc({size})")

    def _tripped(self, e: Exception, what: str) -> NoReturn:
        """A tag pointed outside memory or held nonsense: report corruption, as malloc would abort."""
        if isinstance(e, MemlabError):
            raise e
        raise HeapCorruption(f"{what} read a corrupt boundary tag ({e}); check() names it") from None

    # -- freeing -------------------------------------------------------------------------------
    def _free(self, address: int, size: int) -> int | None:
        """Tag the block free; with immediate coalescing, hand on what its header said of its left neighbour."""
        w, i = self._w, address >> 2
        try:
            tag = w[i - 1]
            bsize = tag & ~7
            w[i - 1] = w[((address + bsize) >> 2) - 2] = bsize
            if self.deferred:
                self._insert(address, bsize)
                return None
            return tag & PREV_FREE
        except (IndexError, ValueError) as e:
            self._tripped(e, f"free({address:#x})")

    def _after_free(self, address: int, size: int, left_free: int) -> None:
        """Immediate coalescing, once the Free event is out: CS:APP's four cases."""
        try:
            self._coalesce(address, left_free)
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

    # -- placing a request (CS:APP's place), and writing an allocated block's tags -------------

    def _place(self, bp: int, bsize: int, asize: int) -> int:
        """CS:APP's place: allocate ``asize`` bytes of free block ``bp``; return the payload.

        The block is carved from the front, or from the back (``place="back"``, or
        ``place="by-size"`` and a large request), leaving the free rest where it was.
        """
        self._remove(bp, bsize)
        rest = bsize - asize
        if (self.from_back or self.by_size and asize >= LARGE) and rest >= MIN_BLOCK:
            w, at = self._w, bp + rest
            w[(bp >> 2) - 1] = w[((bp + rest) >> 2) - 2] = rest
            self._allocated(at, asize, PREV_FREE)
            self._left_allocated(at + asize)
            self._insert(bp, rest)
            parts = (rest, asize)
        else:
            at = bp
            if self._carve(bp, bsize, asize):
                self._insert(bp + asize, rest)
            else:
                rest = 0
            parts = (asize, rest)
        if self.recorder is not None:
            if rest:
                self._emit(Split(self.step, bp - WSIZE, bsize, *parts))
        return at

    def _carve(self, bp: int, bsize: int, asize: int) -> int:
        """Tag ``asize`` bytes at ``bp`` allocated; a rest of 16+ bytes becomes a free block (returned).

        The block's left neighbour does not change, so its ``PREV_FREE`` bit is kept. A rest that
        is returned is followed by a block that already says "free on my left", or is merged at once.
        """
        w, rest = self._w, bsize - asize
        left = w[(bp >> 2) - 1] & PREV_FREE
        if rest < MIN_BLOCK:
            self._allocated(bp, bsize, left)
            self._left_allocated(bp + bsize)
            return 0
        self._allocated(bp, asize, left)
        rp = bp + asize
        w[(rp >> 2) - 1] = w[((rp + rest) >> 2) - 2] = rest
        return rp

    def _allocated(self, bp: int, size: int, left_free: int) -> None:
        """Tag ``size`` bytes at ``bp`` allocated: a header, and a footer unless ``footers="free"``."""
        if self.footless:
            self._w[(bp >> 2) - 1] = size | ALLOC | left_free
        else:
            self._w[(bp >> 2) - 1] = self._w[((bp + size) >> 2) - 2] = size | ALLOC

    def _left_allocated(self, bp: int) -> None:
        """Footless heaps: the header at ``bp - 4`` (a block or the epilogue) now has an allocated left neighbour."""
        if self.footless:
            self._w[(bp >> 2) - 1] &= ~PREV_FREE

    # -- growing the heap (CS:APP's extend_heap) -----------------------------------------------
    # Growing a boundary-tag heap with ``sbrk`` (CS:APP 9.9.6's ``extend_heap``), and topping it up.
    #
    # When no free block fits, ``mm.c`` asks the OS for ``max(need, CHUNKSIZE)`` more bytes: the old
    # epilogue header becomes the header of one new free block, a new epilogue ends it, and the block
    # is coalesced with a free block before it. With ``grow="top-up"`` the need is only what a free
    # last block lacks, as glibc and dlmalloc grow their *top* chunk. With deferred coalescing a failed
    # search first merges the heap's free runs, and grows only if that does not help.
    #

    def _extend(self, size: int) -> int:
        """sbrk ``size`` more bytes: a new free block over the old epilogue, a new epilogue."""
        bp = self._sbrk(size)  # the old break; the old epilogue header is at bp - 4
        w, i = self._w, bp >> 2
        left_free = w[i - 1] & PREV_FREE  # footless: the old epilogue knew whether a free block ends the heap
        w[i - 1] = w[((bp + size) >> 2) - 2] = size
        w[((bp + size) >> 2) - 1] = ALLOC
        if self.deferred:
            self._insert(bp, size)
            return bp
        return self._coalesce(bp, left_free)

    def _grow_for(self, asize: int) -> int:
        """No block fits: coalesce first if deferred and that helps, else grow by max(need, chunk).

        With ``grow="top-up"`` the need is what a free last block lacks, not the whole request.
        """
        need = asize - self._free_top() if self.top_up else asize
        if self.deferred:
            if self._largest_run() >= asize:
                self.coalesce_all()
                return self._find(asize)[0]
            self._extend(max(need, self.chunk))  # raises before any change if the OS says no
            self.coalesce_all()
            return self._find(asize)[0]
        return self._extend(max(need, self.chunk))

    def _free_top(self) -> int:
        """Bytes of free blocks that end the heap (more than one only while coalescing is deferred)."""
        w, end, total = self._w, self.os.brk_address - WSIZE, 0  # ``end``: the epilogue header
        if self.footless:  # one free block at most, and the epilogue says whether it is there
            return w[(end >> 2) - 1] if w[end >> 2] & PREV_FREE else 0
        while not (tag := w[(end >> 2) - 1]) & ALLOC:  # the footer just below ``end``
            total += tag
            end -= tag
        return total

    # -- coalescing free blocks (CS:APP's four cases), immediate and deferred ------------------
    # Coalescing free blocks with boundary tags (CS:APP 9.9.10-9.9.11), immediate and deferred.
    #
    # *Immediate* coalescing merges a block with its free neighbours the moment it is freed, in
    # CS:APP's four cases, each O(1): the right neighbour's header follows the block, and the left
    # neighbour's *footer* (its boundary tag) sits just below the block's header, so the left
    # neighbour is found without walking from the start of the heap (Knuth's boundary tags).
    # *Deferred* coalescing leaves freed blocks side by side and merges every run of free blocks
    # at once, when a search for a fit fails.
    #

    def _coalesce(self, bp: int, left_free: int = 1) -> int:
        """Merge free block ``bp`` with free neighbours (CS:APP's four cases); return the result.

        Case 1: both neighbours allocated; 2: the right one is free; 3: the left one is free;
        4: both are free. The left neighbour's footer sits just below ``bp``'s header, so it is
        found in O(1), without walking from the start of the heap. With ``footers="free"`` only a
        free neighbour has a footer: ``left_free`` (the ``PREV_FREE`` bit ``bp`` carried while
        allocated) says whether to read it, and the block after the result learns it is free.
        """
        w, i = self._w, bp >> 2
        size = w[i - 1]
        left = w[i - 2] if left_free or not self.footless else ALLOC  # the left neighbour's footer
        right = w[((bp + size) >> 2) - 1]  # the right neighbour's header
        start, total = bp, size
        if not right & ALLOC:
            self._remove(bp + size, right)
            total += right
        if not left & ALLOC:
            start -= left
            self._remove(start, left)
            total += left
        if total != size:
            w[(start >> 2) - 1] = w[((start + total) >> 2) - 2] = total
            self.lists.merged(start, total)
        if self.footless:
            w[((start + total) >> 2) - 1] |= PREV_FREE
        self._insert(start, total)
        if self.recorder is not None:
            case = 1 + (not right & ALLOC) + 2 * (not left & ALLOC)
            parts = (left,) * (not left & ALLOC) + (size,) + (right,) * (not right & ALLOC)
            told = start + total - WSIZE if self.footless else 0
            self._emit(Coalesce(self.step, start - WSIZE, total, parts, case, told))
        return start

    def _runs(self):
        """Maximal runs of adjacent free blocks, as lists of (bp, size), in address order."""
        run: list[tuple[int, int]] = []
        for bp, tag in self.walk():
            if tag & ALLOC:
                if run:
                    yield run
                run = []
            else:
                run.append((bp, tag))
        if run:
            yield run

    def walk(self, start: int = 0):
        """Every block as (bp, tag) from ``start`` (default: the first) to the epilogue: the implicit list."""
        w, bp = self._w, start or self.first_bp
        tag = w[(bp >> 2) - 1]
        while tag & ~7:  # the epilogue is the 0-size block
            yield bp, tag
            bp += tag & ~7
            tag = w[(bp >> 2) - 1]

    def _largest_run(self) -> int:
        return max((sum(s for _, s in run) for run in self._runs()), default=0)

    def coalesce_all(self) -> int:
        """Deferred coalescing: merge every run of adjacent free blocks; return how many merges."""
        merges = 0
        for run in list(self._runs()):
            if len(run) < 2:
                continue
            for bp, size in run:
                self._remove(bp, size)
            bp, parts = run[0][0], tuple(s for _, s in run)
            size = sum(parts)
            self._w[(bp >> 2) - 1] = self._w[((bp + size) >> 2) - 2] = size
            self.lists.merged(bp, size)
            self._insert(bp, size)
            merges += 1
            if self.recorder is not None:
                self._emit(Coalesce(self.step, bp - WSIZE, size, parts))
        return merges

    # -- realloc in place ----------------------------------------------------------------------
    # realloc in place for a boundary-tag heap (CS:APP 9.9, and its improved ``mm_realloc``).
    #
    # ``mm.c``'s naive ``realloc`` always mallocs, copies and frees. A block can often change size
    # where it is instead:
    #
    # * **shrinking**: split the tail off as a free block (merged with a free right neighbour);
    # * **growing into the right neighbour** when that block is free and large enough, as glibc's
    #   ``_int_realloc`` and dlmalloc's ``try_realloc_chunk`` do;
    # * **growing at the end of the heap** (only with ``grow="top-up"``): when nothing but free space
    #   lies between the block and the epilogue, ``sbrk`` just the bytes it lacks, as glibc extends
    #   its ``top`` chunk. This is the classic fix for malloclab's ``realloc-bal`` trace: a buffer that
    #   keeps growing stays put and the heap grows under it.
    #
    # Otherwise ``resize`` answers False and the base class moves the payload (alloc, copy, free).

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        try:
            return self._resize_here(address, new_size)
        except (IndexError, ValueError) as e:
            self._tripped(e, f"resize({address:#x}, {new_size})")

    def _resize_here(self, address: int, new_size: int) -> bool:
        """Shrink in place, grow into a free right neighbour, or (top-up) grow at the heap's end."""
        w = self._w
        bsize = w[(address >> 2) - 1] & ~7
        asize = adjusted_size(new_size, self._tags)
        grow = asize > bsize
        if grow:
            right = w[((address + bsize) >> 2) - 1]
            if right & ALLOC or bsize + right < asize:
                free_right = 0 if right & ALLOC else right
                return self.top_up and self._grow_at_end(address, bsize, free_right, asize)
            self._remove(address + bsize, right)
            bsize += right
            self.lists.merged(address, bsize)
        rest = self._carve(address, bsize, asize)
        if rest and (grow or self.deferred):
            self._insert(rest, bsize - asize)  # growing: what follows the rest is allocated already
        elif rest:
            self._coalesce(rest, 0)  # shrinking: the rest may merge with a free right neighbour
        return True

    def _grow_at_end(self, address: int, bsize: int, right: int, asize: int) -> bool:
        """The block (and its free right neighbour, if any) ends the heap: sbrk what it lacks.

        False, with nothing changed, if another block follows or the OS refuses.
        """
        if address + bsize + right != self.os.brk_address:
            return False
        try:
            self._sbrk(asize - bsize - right)
        except OutOfMemory:
            return False
        if right:
            self._remove(address + bsize, right)
        self._allocated(address, asize, self._w[(address >> 2) - 1] & PREV_FREE)
        self._w[((address + asize) >> 2) - 1] = ALLOC  # the new epilogue
        self.lists.merged(address, asize)
        return True
