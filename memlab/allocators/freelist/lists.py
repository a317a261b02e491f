"""How a free-list heap finds its free blocks: ``find_fit`` (CS:APP 9.9.7, 9.9.13-9.9.14).

* :class:`ImplicitList` keeps no list at all: a search walks every block, allocated or free,
  from header to header, so it costs O(all blocks).
* :class:`LinkedLists` threads free blocks on doubly linked lists whose ``PRED``/``SUCC`` words
  live *inside* the free blocks (payload words 0 and 1, 4 bytes each), so a search costs
  O(free blocks). One list is CS:APP's *explicit* list; :data:`SIZE_CLASSES` lists, one per size
  class, are its *segregated fits*. Each list is LIFO (insert at the front, O(1)) or address
  ordered (insert in place, O(n), better utilization). As malloclab requires, the list heads are
  words in the heap itself, below the prologue, so a hexdump shows them.

A walk along a linked list stops at the first block that fits or at a 0 link. A stray write (an
overflow, a learner's ``place`` or ``coalesce``) can make the links a cycle, and then it would
never stop: so a walk that has read more blocks than the heap can hold (its break / 16, the
smallest block) stops with :class:`~memlab.errors.HeapCorruption` naming the block it reached
twice, as ``check()`` would. A walk along the implicit list cannot cycle (every step moves up);
it stops at a free block of size 0 (see ``FreeListHeap.walk``).

Four-byte links are CS:APP's 32-bit layout, and they are why the minimum block stays 16 bytes
(header, two links, footer). With the 8-byte pointers of a 64-bit machine a free block would need
4 + 8 + 8 + 4 = 24 bytes. The heap refuses a memory of more than 4 GiB, so a 4-byte link holds
any address in it.

Both support every placement policy below. Next fit keeps one roving pointer
(one per size class for segregated fits), as CS:APP's ``mm.c`` keeps its ``rover``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ...errors import HeapCorruption
from .tags import ALLOC, GET, HDRP, MIN_BLOCK, PRED, PRED_PTR, PUT, SUCC, SUCC_PTR, WSIZE

# -- Placement policies: which free block a request goes into (CS:APP 9.9.7; Knuth, TAOCP 2.5).
#
# Each policy reads candidate blocks one by one, as ``(bp, tag)`` pairs where ``tag`` is the
# block's header word, and returns ``(bp, size, examined)``: the chosen block (0 if none fits) and
# how many headers it read, the cost of the search. A free block's tag *is* its size, because the
# allocated bit is the only flag a free block's header carries.
#
# * **first fit** takes the first block that is large enough;
# * **next fit** (Knuth) is first fit that starts where the previous search stopped, its
#   *roving pointer*; the lists supply that rotated order, so it uses :func:`first_fit`;
# * **best fit** takes the smallest block that is large enough (stopping early on an exact fit);
# * **worst fit** takes the largest block, hoping the remainder stays useful (OSTEP ch. 17).

Candidates = Iterable[tuple[int, int]]
Placement = Callable[[Candidates, int], tuple[int, int, int]]


def first_fit(candidates: Candidates, asize: int) -> tuple[int, int, int]:
    """The first free block of at least ``asize`` bytes."""
    examined = 0
    for bp, tag in candidates:
        examined += 1
        if tag >= asize and not tag & ALLOC:
            return bp, tag, examined
    return 0, 0, examined


def best_fit(candidates: Candidates, asize: int) -> tuple[int, int, int]:
    """The smallest free block of at least ``asize`` bytes; an exact fit ends the search."""
    examined = best = best_size = 0
    for bp, tag in candidates:
        examined += 1
        if tag >= asize and not tag & ALLOC and (not best or tag < best_size):
            best, best_size = bp, tag
            if tag == asize:
                break
    return best, best_size, examined


def worst_fit(candidates: Candidates, asize: int) -> tuple[int, int, int]:
    """The largest free block, if it holds ``asize`` bytes."""
    examined = best = best_size = 0
    for bp, tag in candidates:
        examined += 1
        if not tag & ALLOC and tag > best_size:
            best, best_size = bp, tag
    return (best, best_size, examined) if best_size >= asize else (0, 0, examined)


PLACEMENTS: dict[str, Placement] = {
    "first": first_fit,
    "next": first_fit,  # over the list rotated to start at the roving pointer
    "best": best_fit,
    "worst": worst_fit,
}

ROVING = frozenset({"next"})
"""Policies whose search starts at a roving pointer instead of the start of the list."""


class FreeBlocks:
    """What every kind of list keeps: the placement policy, next fit's rovers, the search counts.

    The counts are the readable path's; an accelerator (:mod:`.fast`) keeps its own and hands
    them over through ``fast_counts``, so ``searches`` and ``examined`` count both.
    """

    kind = ""
    heads = 0

    def __init__(self, heap, fit: str, rovers: int) -> None:
        self.heap = heap
        self.w = heap._w
        self.fit = fit
        self._place = PLACEMENTS[fit]
        self.roving = fit in ROVING
        self.rovers = [0] * rovers  # next fit's roving pointers (block pointers; 0: none yet)
        self._searches = self._examined = 0
        self.fast_counts = lambda: (0, 0)  # the accelerator's own (searches, examined), once installed

    @property
    def searches(self) -> int:
        """Searches made, on either path."""
        return self._searches + self.fast_counts()[0]

    @property
    def examined(self) -> int:
        """Blocks examined by those searches."""
        return self._examined + self.fast_counts()[1]

    def most_blocks(self) -> int:
        """The most blocks the heap can hold now: a longer walk has met a cycle."""
        return self.heap.os.brk_address // MIN_BLOCK


# -- The implicit free list (CS:APP 9.9.6-9.9.7): no list at all, the headers chain every block.
#
# A search walks every block, allocated or free, from header to header (the heap's ``walk``), so
# it costs O(all blocks); freeing has nothing to link or unlink. Next fit keeps one roving pointer,
# as CS:APP's ``mm.c`` keeps its ``rover``, and starts each search there.


class ImplicitList(FreeBlocks):
    """No list: the heap's own headers chain every block in address order."""

    kind = "implicit"
    heads = 0

    def __init__(self, heap, fit: str) -> None:
        super().__init__(heap, fit, rovers=1)

    @property
    def rover(self) -> int:
        """Next fit's roving pointer: the block the last search took (0 before the first)."""
        return self.rovers[0]

    def _rotated(self):
        """Knuth's next fit order: from the rover to the end, then from the start to the rover."""
        rover, walk = self.rovers[0], self.heap.walk
        yield from walk(rover)
        for bp, tag in walk():
            if bp == rover:
                return
            yield bp, tag

    def find(self, asize: int) -> tuple[int, int]:
        """find_fit: the placement policy over every block, from the start or from the rover."""
        self._searches += 1
        bp, size, n = self._place(self._rotated() if self.roving and self.rovers[0] else self.heap.walk(), asize)
        self._examined += n
        if bp and self.roving:
            self.rovers[0] = bp
        return bp, size

    def insert(self, bp: int, size: int) -> None:
        """Nothing to link: a block is free because its header says so."""

    def remove(self, bp: int, size: int) -> None:
        """Nothing to unlink."""

    def merged(self, bp: int, size: int) -> None:
        """Block starts inside [bp, bp + size) are gone; the rover must not point at one."""
        if bp < self.rovers[0] < bp + size:
            self.rovers[0] = bp

    def free_lists(self) -> tuple[tuple[int, ...], ...]:
        return ()

    def check(self, heap, free: set[int], starts: set[int]) -> None:
        if self.rover and self.rover not in starts:
            heap._corrupt(f"next-fit rover {self.rover:#x} is not the start of a block", self.rover)


# -- Explicit and segregated lists (CS:APP 9.9.13-9.9.14): links inside the free blocks.

SIZE_CLASSES = 15
"""Segregated classes: 16, 24, ..., 64 bytes exactly, then powers of two up to 8 KiB, then more."""

_TABLE_MAX = 1 << 13  # sizes up to here find their class in a table; all larger are the last class


def size_class(size: int) -> int:
    """The segregated class of a block size: 0-6 exact (16..64), 7-13 (2^(k-1), 2^k], 14 above."""
    if size <= 64:
        return (size >> 3) - 2
    k = (size - 1).bit_length()
    return k if k < SIZE_CLASSES else SIZE_CLASSES - 1


CLASS_TABLES = {
    1: (0,) * (_TABLE_MAX // 8 + 1),
    SIZE_CLASSES: tuple(size_class(s) for s in range(0, _TABLE_MAX + 1, 8)),
}
"""A block size's list, by size >> 3, for one list (explicit) and for the segregated classes: built
once and shared by every heap (a heap is cheap to make, as notebook 06 makes hundreds)."""


def class_range(k: int) -> tuple[int, int | None]:
    """The smallest and largest block size in class ``k`` (None: no upper limit)."""
    if k < 7:
        return 8 * k + 16, 8 * k + 16
    return (1 << (k - 1)) + 8, (1 << k) if k < SIZE_CLASSES - 1 else None


class LinkedLists(FreeBlocks):
    """Explicit (one list) or segregated (one list per size class) free lists, links in the blocks."""

    def __init__(self, heap, fit: str, order: str, classes: int) -> None:
        super().__init__(heap, fit, rovers=classes)
        self.kind = "explicit" if classes == 1 else "segregated"
        self.order = order
        self.heads = classes
        self.heads_address = 0  # the first head word; the heap sets it once it has memory
        self._table = CLASS_TABLES[classes]

    def class_of(self, size: int) -> int:
        """The list a free block of ``size`` bytes belongs on (and where a search for one starts)."""
        return self._table[size >> 3] if size <= _TABLE_MAX else self.heads - 1

    def head(self, k: int) -> int:
        """The address of list ``k``'s head word."""
        return self.heads_address + WSIZE * k

    def nodes(self, k: int, start: int = 0):
        """List ``k`` as (bp, tag), from ``start`` (default: its head) to its end."""
        w = self.w
        bp = first = start or GET(w, self.head(k))
        left = self.most_blocks()
        while bp:
            if not left:
                self.cycle(k, first)
            left -= 1
            yield bp, GET(w, HDRP(bp))
            bp = SUCC(w, bp)

    def _rotated(self, k: int):
        """Next fit's order: from list ``k``'s rover to its end, then from its head to the rover."""
        rover = self.rovers[k]
        yield from self.nodes(k, rover)
        for bp, tag in self.nodes(k):
            if bp == rover:
                return
            yield bp, tag

    def find(self, asize: int) -> tuple[int, int]:
        """find_fit: search the class of ``asize`` and then larger ones (worst fit: largest first)."""
        self._searches += 1
        w, place = self.w, self._place
        first = self.class_of(asize)
        order = range(self.heads - 1, first - 1, -1) if self.fit == "worst" else range(first, self.heads)
        for k in order:
            if not GET(w, self.head(k)):
                continue
            rotate = self.roving and self.rovers[k]
            bp, size, n = place(self._rotated(k) if rotate else self.nodes(k), asize)
            self._examined += n
            if bp:
                if self.roving:
                    self.rovers[k] = bp
                return bp, size
        return 0, 0

    def insert(self, bp: int, size: int) -> None:
        """Link a free block: at the front (LIFO) or before the first higher address."""
        w = self.w
        k = self.class_of(size)
        pred, succ = 0, GET(w, self.head(k))
        if self.order == "address":
            first, left = succ, self.most_blocks()
            while succ and succ < bp:
                if not left:
                    self.cycle(k, first)
                left -= 1
                pred, succ = succ, SUCC(w, succ)
        PUT(w, PRED_PTR(bp), pred)
        PUT(w, SUCC_PTR(bp), succ)
        PUT(w, SUCC_PTR(pred) if pred else self.head(k), bp)
        if succ:
            PUT(w, PRED_PTR(succ), bp)

    def remove(self, bp: int, size: int) -> None:
        """Unlink a free block in O(1) through its own PRED and SUCC words."""
        w = self.w
        k = self.class_of(size)
        pred, succ = PRED(w, bp), SUCC(w, bp)
        PUT(w, SUCC_PTR(pred) if pred else self.head(k), succ)
        if succ:
            PUT(w, PRED_PTR(succ), pred)
        if self.rovers[k] == bp:
            self.rovers[k] = succ

    def merged(self, bp: int, size: int) -> None:
        """Nothing to do: merged-away blocks were unlinked (and rovers moved) by :meth:`remove`."""

    def cycle(self, k: int, start: int) -> None:
        """A walk of list ``k`` from ``start`` outran the heap: raise HeapCorruption naming the block met twice."""
        w, seen, bp, most = self.w, set(), start, self.most_blocks()
        while bp and bp not in seen and len(seen) <= most:
            seen.add(bp)
            bp = SUCC(w, bp)
        where = f"free list {k}" if self.heads > 1 else "the free list"
        if bp in seen:
            raise HeapCorruption(f"{where} reaches {bp:#x} twice: its links form a cycle", address=bp)
        raise HeapCorruption(f"{where} links more than {most} blocks, more than the heap can hold", address=start)

    def free_lists(self) -> tuple[tuple[int, ...], ...]:
        """The block pointers on each list, in list order (checked reads; stops at a cycle)."""
        read, limit = self.heap.memory.read_word, self.heap.os.brk_address
        lists = []
        for k in range(self.heads):
            bp, seen = read(self.head(k), WSIZE), []
            while bp and len(seen) < limit // MIN_BLOCK and 0 < bp < limit:
                seen.append(bp)
                bp = read(SUCC_PTR(bp), WSIZE)
            lists.append(tuple(seen))
        return tuple(lists)

    def check(self, heap, free: set[int], starts: set[int]) -> None:
        """Every link in bounds and consistent, every free block listed once, in its class."""
        w = self.w  # every address is bounds-checked before it is read
        lo, hi = heap.first_bp, heap.os.brk_address - WSIZE
        listed: set[int] = set()
        for k in range(self.heads):
            where = f"free list {k}" if self.heads > 1 else "the free list"
            on_list: set[int] = set()
            pred, bp = 0, GET(w, self.head(k))
            while bp:
                if not (lo <= bp < hi and bp % 8 == 0):
                    heap._corrupt(f"{where} links to {bp:#x}, outside the heap's blocks", bp)
                if bp not in free:
                    heap._corrupt(f"{where} holds {bp:#x}, which is not a free block", bp)
                if bp in listed or bp in on_list:
                    heap._corrupt(f"{where} reaches {bp:#x} twice (a cycle, or a block on two lists)", bp)
                on_list.add(bp)
                if PRED(w, bp) != pred:
                    heap._corrupt(f"free block {bp:#x} has pred {PRED(w, bp):#x}, expected {pred:#x}", bp)
                size = GET(w, HDRP(bp))
                if self.class_of(size) != k:
                    heap._corrupt(f"free block {bp:#x} of {size} bytes is on list {k}, not {self.class_of(size)}", bp)
                if self.order == "address" and pred > bp:
                    heap._corrupt(f"{where} is not in address order at {bp:#x}", bp)
                pred, bp = bp, SUCC(w, bp)
            rover = self.rovers[k]
            if rover and rover not in on_list:
                heap._corrupt(f"next-fit rover of {where} points at {rover:#x}, which is not on it", rover)
            listed |= on_list
        if len(listed) != len(free):
            bp = min(free - listed)
            heap._corrupt(f"free block {bp:#x} is on no free list", bp)


def make_lists(heap, kind: str, fit: str, order: str) -> ImplicitList | LinkedLists:
    """The list policy for ``kind``: implicit, explicit or segregated."""
    if kind == "implicit":
        return ImplicitList(heap, fit)
    return LinkedLists(heap, fit, order, 1 if kind == "explicit" else SIZE_CLASSES)
