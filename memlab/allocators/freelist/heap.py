"""A free-list heap with boundary tags, after CS:APP's ``mm.c`` (Bryant & O'Hallaron, 3e, 9.9.12).

This file reads top to bottom like ``mm.c``: ``mm_init``, ``extend_heap``, ``find_fit``, ``mm_malloc``,
``place``, ``coalesce`` (the four cases), ``mm_free``, then ``realloc`` in place. Everything the
allocator knows lives in the simulated bytes, so a hexdump shows it:

* an optional row of free-list heads (explicit and segregated lists), then a padding word,
  an 8-byte allocated *prologue* (header + footer) and a 0-size allocated *epilogue* header;
  prologue and epilogue spare coalescing its edge cases (9.9.12);
* every block has a 4-byte header and footer, ``size | allocated`` (9.9.11); payloads are 8-aligned;
* a request of ``n`` bytes costs ``max(16, round_up(n + 8, 8))``; a free block is split only
  if the rest is at least 16 bytes, the minimum block (9.9.8);
* freeing coalesces at once (``coalesce="immediate"``: the four cases of 9.9.11, each O(1) thanks
  to the footer) or later (``"deferred"``, 9.9.10: when a search fails, before the heap grows);
* the heap grows with ``sbrk`` by ``max(need, chunk)`` (9.9.9; ``mm.c``'s CHUNKSIZE, 4 KiB);
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

Free blocks are found by :mod:`.lists` (implicit, explicit or segregated lists, 9.9.13-9.9.14)
with a placement policy (first, next, best, worst fit, 9.9.7). Where memlab differs from
``mm.c``: 4-byte tags and links limit the heap to 4 GiB; payloads are aligned to 8 bytes, no more;
the heap never shrinks (like ``mm.c``); a tag that points outside memory, or a free list that
has become a cycle, raises :class:`~memlab.errors.HeapCorruption` where ``mm.c`` would crash or
hang. ``check()`` is malloclab's ``mm_checkheap`` (see :mod:`.check`). The accelerator
(:mod:`.fast`, ``_fast.c``) runs this same algorithm, statement for statement, while nobody records:
``accelerator="auto"`` takes C where it was built, else Python; ``"c"``, ``"python"`` and ``"off"``
(the readable path only) choose.
"""

from __future__ import annotations

from typing import ClassVar, NoReturn

from ...errors import BadAlignment, BadRequest, HeapCorruption, MemlabError, OutOfMemory
from ...events import Coalesce, Split
from ..base import Allocator
from . import fast
from .check import check_heap, heap_layout
from .lists import PLACEMENTS, make_lists
from .tags import (
    ALLOC,
    CHUNKSIZE,
    DSIZE,
    FTRP,
    GET,
    GET_SIZE,
    HDRP,
    MAX_BLOCK,
    MIN_BLOCK,
    NEXT_BLKP,
    PACK,
    PREV_FREE,
    PREV_FTRP,
    PUT,
    WSIZE,
    adjusted_size,
    word_view,
)

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


def _choose(what: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise BadRequest(f"freelist {what}={value!r}: choose one of {', '.join(choices)}")
    return value  # type: ignore[return-value]


class FreeListHeap(Allocator):
    """Free-list heap with boundary tags (CS:APP mm.c): implicit, explicit or segregated lists."""

    name = "freelist"
    accelerate: ClassVar[bool] = True
    """Run the accelerator (:mod:`.fast`) while nobody records. A subclass that changes a step of
    the algorithm gets the readable path by itself; one that changes the lists' tables sets this False."""

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
        accelerator = _choose("accelerator", accelerator, ACCELERATORS)
        if accelerator == "c" and fast.COMPILED is None:
            raise BadRequest("freelist accelerator='c': the C fast path was not built here (no C compiler at install)")
        if accelerator == "python" and not fast.python_serves(
            kind != "implicit", fit, self.deferred, self.footless, place
        ):
            raise BadRequest(
                "freelist accelerator='python': the Python fast path serves the implicit list's search, and the "
                "explicit and segregated lists with first fit, immediate coalescing, front placement and footers "
                "on every block"
            )
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
        # mm_init: the list heads, padding, the prologue and the epilogue, then a first free chunk
        heads = self.lists.heads
        pad = 1 - heads % 2  # words before the prologue must be odd, so payloads land on 8
        with self._option(chunk=chunk):
            self.heads_address = self._sbrk(WSIZE * (heads + pad + 3))
            if heads:
                self.lists.heads_address = self.heads_address
            self.padding = pad
            self.prologue = self.heads_address + WSIZE * (heads + pad)  # the prologue's header
            w = self._w
            PUT(w, self.prologue, PACK(DSIZE, ALLOC))  # prologue header
            PUT(w, self.prologue + WSIZE, PACK(DSIZE, ALLOC))  # prologue footer
            PUT(w, self.prologue + DSIZE, PACK(0, ALLOC))  # epilogue header
            self.first_bp = self.prologue + 3 * WSIZE
            self._extend(chunk)
        # the hot path this heap runs: "c" or "python" (.fast), or "off" (the readable path only)
        self.accelerator = "off"
        if (
            accelerator != "off"
            and self.accelerate
            and all(getattr(type(self), name) is getattr(FreeListHeap, name) for name in _STEPS)
        ):
            self.accelerator = fast.install(self, compiled=accelerator != "python")

    def __repr__(self) -> str:
        opts = ",".join(f"{k}={v}" for k, v in self.options.items())
        return f"<FreeListHeap {opts}: {len(self._live)} live blocks, footprint {self.footprint}>"

    # -- extend_heap: growing the heap with sbrk (CS:APP 9.9.9), and topping it up ---------------
    #
    # When no free block fits, ``mm.c`` asks the OS for ``max(need, CHUNKSIZE)`` more bytes: the old
    # epilogue header becomes the header of one new free block, a new epilogue ends it, and the block
    # is coalesced with a free block before it. With ``grow="top-up"`` the need is only what a free
    # last block lacks, as glibc and dlmalloc grow their *top* chunk. With deferred coalescing a failed
    # search first merges the heap's free runs, and grows only if that does not help.

    def _extend(self, size: int) -> int:
        """sbrk ``size`` more bytes: a new free block over the old epilogue, a new epilogue."""
        bp = self._sbrk(size)  # the old break; the old epilogue header is at HDRP(bp)
        w = self._w
        left_free = GET(w, HDRP(bp)) & PREV_FREE  # footless: the old epilogue knew whether a free block ends the heap
        PUT(w, HDRP(bp), PACK(size, 0))  # free block header
        PUT(w, FTRP(w, bp), PACK(size, 0))  # free block footer
        PUT(w, HDRP(NEXT_BLKP(w, bp)), PACK(0, ALLOC))  # new epilogue header
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
                self._coalesce_all()
                return self._find(asize)[0]
            self._extend(max(need, self.chunk))  # raises before any change if the OS says no
            self._coalesce_all()
            return self._find(asize)[0]
        return self._extend(max(need, self.chunk))

    def _free_top(self) -> int:
        """Bytes of free blocks that end the heap (more than one only while coalescing is deferred)."""
        w, bp, total = self._w, self.os.brk_address, 0  # ``bp``: the epilogue, as if it were a block
        if self.footless:  # one free block at most, and the epilogue says whether it is there
            return GET(w, PREV_FTRP(bp)) if GET(w, HDRP(bp)) & PREV_FREE else 0
        while not (tag := GET(w, PREV_FTRP(bp))) & ALLOC:  # a free block's footer: its size
            if not tag:
                self._zero_size(PREV_FTRP(bp))
            total += tag
            bp -= tag  # PREV_BLKP
        return total

    # -- find_fit: the implicit list is the heap itself (CS:APP 9.9.6) -----------------------------
    # The search is the lists' (``self._find``, :mod:`.lists`); the implicit list walks the blocks.

    def walk(self, start: int = 0):
        """Every block as (bp, tag) from ``start`` (default: the first) to the epilogue: the implicit list.

        Each step moves up by the block's size, so the walk always ends: at the epilogue (size 0,
        allocated), at a tag that points outside memory, or at a free block of size 0, which raises.
        """
        w, bp = self._w, start or self.first_bp
        tag = GET(w, HDRP(bp))
        while tag & ~7:  # GET_SIZE: the epilogue is the 0-size block
            yield bp, tag
            bp += tag & ~7  # NEXT_BLKP, from the tag just read
            tag = GET(w, HDRP(bp))
        if not tag & ALLOC:
            self._zero_size(HDRP(bp))

    def _zero_size(self, p: int) -> NoReturn:
        """The tag at ``p`` says a free block of 0 bytes: a walk over it would never move on."""
        raise HeapCorruption(
            f"the tag at {p:#x} says a free block of 0 bytes: a walk cannot step past it", address=p, step=self.step
        )

    # -- mm_malloc ---------------------------------------------------------------------------------

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
                bsize = GET(self._w, HDRP(bp))  # a free block's tag is its size
            return self._place(bp, bsize, asize)
        except (IndexError, ValueError) as e:
            self._tripped(e, f"alloc({size})")

    def _tripped(self, e: Exception, what: str) -> NoReturn:
        """A tag pointed outside memory or held nonsense: report corruption, as malloc would abort."""
        if isinstance(e, MemlabError):
            raise e
        raise HeapCorruption(f"{what} read a corrupt boundary tag ({e}); check() names it") from None

    # -- place: allocating a request in a free block (CS:APP 9.9.7-9.9.8) ---------------------------
    #
    # The free block is split when the rest would be at least the minimum block: the allocated part is
    # carved from the front (``mm.c``), from the back (``place="back"``, K&R 8.7), or by size (large
    # requests from the back, ``place="by-size"``). With ``footers="free"`` an allocated block gets a
    # header only, and the block after it is told whether a free block now lies to its left.

    def _place(self, bp: int, bsize: int, asize: int) -> int:
        """CS:APP's place: allocate ``asize`` bytes of free block ``bp``; return the payload.

        The block is carved from the front, or from the back (``place="back"``, or
        ``place="by-size"`` and a large request), leaving the free rest where it was.
        """
        self._remove(bp, bsize)
        rest = bsize - asize
        if (self.from_back or self.by_size and asize >= LARGE) and rest >= MIN_BLOCK:
            w = self._w
            PUT(w, HDRP(bp), PACK(rest, 0))  # the free rest keeps the low end
            PUT(w, FTRP(w, bp), PACK(rest, 0))
            at = NEXT_BLKP(w, bp)
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
                self._emit(Split(self.step, HDRP(bp), bsize, *parts))
        return at

    def _carve(self, bp: int, bsize: int, asize: int) -> int:
        """Tag ``asize`` bytes at ``bp`` allocated; a rest of 16+ bytes becomes a free block (returned).

        The block's left neighbour does not change, so its ``PREV_FREE`` bit is kept. A rest that
        is returned is followed by a block that already says "free on my left", or is merged at once.
        """
        w, rest = self._w, bsize - asize
        left = GET(w, HDRP(bp)) & PREV_FREE
        if rest < MIN_BLOCK:
            self._allocated(bp, bsize, left)
            self._left_allocated(bp + bsize)
            return 0
        self._allocated(bp, asize, left)
        rp = NEXT_BLKP(w, bp)
        PUT(w, HDRP(rp), PACK(rest, 0))
        PUT(w, FTRP(w, rp), PACK(rest, 0))
        return rp

    def _allocated(self, bp: int, size: int, left_free: int) -> None:
        """Tag ``size`` bytes at ``bp`` allocated: a header, and a footer unless ``footers="free"``."""
        w = self._w
        if self.footless:
            PUT(w, HDRP(bp), PACK(size, ALLOC | left_free))
        else:
            PUT(w, HDRP(bp), PACK(size, ALLOC))
            PUT(w, FTRP(w, bp), PACK(size, ALLOC))

    def _left_allocated(self, bp: int) -> None:
        """Footless heaps: the header of ``bp`` (a block or the epilogue) now has an allocated left neighbour."""
        if self.footless:
            w = self._w
            PUT(w, HDRP(bp), GET(w, HDRP(bp)) & ~PREV_FREE)

    # -- coalesce: merging free blocks with boundary tags (CS:APP 9.9.10-9.9.11) --------------------
    #
    # *Immediate* coalescing merges a block with its free neighbours the moment it is freed, in
    # CS:APP's four cases, each O(1): the right neighbour's header follows the block, and the left
    # neighbour's *footer* (its boundary tag) sits just below the block's header, so the left
    # neighbour is found without walking from the start of the heap (Knuth's boundary tags).
    # *Deferred* coalescing leaves freed blocks side by side and merges every run of free blocks
    # at once, when a search for a fit fails.

    def _coalesce(self, bp: int, left_free: int = 1) -> int:
        """Merge free block ``bp`` with free neighbours (CS:APP's four cases); return the result.

        The left neighbour's footer sits just below ``bp``'s header, so it is found in O(1), without
        walking from the start of the heap. With ``footers="free"`` only a free neighbour has a
        footer: ``left_free`` (the ``PREV_FREE`` bit ``bp`` carried while allocated) says whether to
        read it, and the block after the result learns it is free. A free block's tag is its size.
        """
        w = self._w
        size = GET(w, HDRP(bp))
        prev = GET(w, PREV_FTRP(bp)) if left_free or not self.footless else PACK(0, ALLOC)
        nxt = NEXT_BLKP(w, bp)
        after = GET(w, HDRP(nxt))
        if prev & ALLOC and after & ALLOC:  # case 1: both neighbours allocated
            case, start, total = 1, bp, size
        elif prev & ALLOC:  # case 2: the next block is free
            self._remove(nxt, after)
            case, start, total = 2, bp, size + after
        elif after & ALLOC:  # case 3: the previous block is free
            start = bp - prev  # PREV_BLKP
            self._remove(start, prev)
            case, total = 3, size + prev
        else:  # case 4: both are free
            self._remove(nxt, after)
            start = bp - prev
            self._remove(start, prev)
            case, total = 4, size + prev + after
        if case > 1:
            PUT(w, HDRP(start), PACK(total, 0))
            PUT(w, FTRP(w, start), PACK(total, 0))
            self.lists.merged(start, total)
        if self.footless:  # the block after the result learns that a free block lies to its left
            PUT(w, HDRP(start + total), GET(w, HDRP(start + total)) | PREV_FREE)
        self._insert(start, total)
        if self.recorder is not None:
            parts = (prev,) * (case > 2) + (size,) + (after,) * (case % 2 == 0)
            told = HDRP(start + total) if self.footless else 0
            self._emit(Coalesce(self.step, HDRP(start), total, parts, case, told))
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

    def _largest_run(self) -> int:
        return max((sum(s for _, s in run) for run in self._runs()), default=0)

    def coalesce_all(self) -> int:
        """Deferred coalescing: merge every run of adjacent free blocks; return how many merges."""
        try:
            return self._coalesce_all()
        except (IndexError, ValueError) as e:
            self._tripped(e, "coalesce_all()")

    def _coalesce_all(self) -> int:
        merges, w = 0, self._w
        for run in list(self._runs()):
            if len(run) < 2:
                continue
            for bp, size in run:
                self._remove(bp, size)
            bp, parts = run[0][0], tuple(s for _, s in run)
            size = sum(parts)
            PUT(w, HDRP(bp), PACK(size, 0))
            PUT(w, FTRP(w, bp), PACK(size, 0))
            self.lists.merged(bp, size)
            self._insert(bp, size)
            merges += 1
            if self.recorder is not None:
                self._emit(Coalesce(self.step, HDRP(bp), size, parts))
        return merges

    # -- mm_free -----------------------------------------------------------------------------------
    # One step in two halves (see the base class): ``_free`` tags the block free, then the Free
    # event goes out, then ``_after_free`` coalesces, so a recording shows them in that order.

    def _free(self, address: int, size: int) -> int | None:
        """Tag the block free; with immediate coalescing, hand on what its header said of its left neighbour."""
        w, bp = self._w, address
        try:
            tag = GET(w, HDRP(bp))
            PUT(w, HDRP(bp), PACK(tag & ~7, 0))
            PUT(w, FTRP(w, bp), PACK(tag & ~7, 0))
            if self.deferred:
                self._insert(bp, tag & ~7)
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

    # -- realloc in place (CS:APP 9.9's improved mm_realloc) ----------------------------------------
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
        w, bp = self._w, address
        bsize = GET_SIZE(w, HDRP(bp))
        asize = adjusted_size(new_size, self._tags)
        grow = asize > bsize
        if grow:
            nxt = bp + bsize  # NEXT_BLKP
            after = GET(w, HDRP(nxt))
            if after & ALLOC or bsize + after < asize:
                free_after = 0 if after & ALLOC else after
                return self.top_up and self._grow_at_end(bp, bsize, free_after, asize)
            self._remove(nxt, after)
            bsize += after
            self.lists.merged(bp, bsize)
        rest = self._carve(bp, bsize, asize)
        if rest and (grow or self.deferred):
            self._insert(rest, bsize - asize)  # growing: what follows the rest is allocated already
        elif rest:
            self._coalesce(rest, 0)  # shrinking: the rest may merge with a free right neighbour
        return True

    def _grow_at_end(self, bp: int, bsize: int, after: int, asize: int) -> bool:
        """The block (and its free right neighbour of ``after`` bytes, if any) ends the heap: sbrk what it lacks.

        False, with nothing changed, if another block follows or the OS refuses.
        """
        if bp + bsize + after != self.os.brk_address:
            return False
        try:
            self._sbrk(asize - bsize - after)
        except OutOfMemory:
            return False
        if after:
            self._remove(bp + bsize, after)
        w = self._w
        self._allocated(bp, asize, GET(w, HDRP(bp)) & PREV_FREE)
        PUT(w, HDRP(NEXT_BLKP(w, bp)), PACK(0, ALLOC))  # the new epilogue
        self.lists.merged(bp, asize)
        return True

    # -- looking at it -------------------------------------------------------------------------------

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
        if any(tag & ALLOC for tag in tags):
            return False
        return self.deferred or len(tags) == 1

    def search_stats(self) -> dict[str, float]:
        """Searches made, blocks examined, and blocks examined per search."""
        s, n = self.lists.searches, self.lists.examined
        return {"searches": s, "examined": n, "per_search": n / s if s else 0.0}


_STEPS = (
    "_alloc",
    "_free",
    "_after_free",
    "_resize",
    "_resize_here",
    "_grow_at_end",
    "_place",
    "_carve",
    "_allocated",
    "_left_allocated",
    "_coalesce",
    "_runs",
    "_largest_run",
    "coalesce_all",
    "_coalesce_all",
    "_extend",
    "_grow_for",
    "_free_top",
    "walk",
)
"""The steps of the algorithm the accelerator runs: a subclass that overrides one keeps the readable path."""
