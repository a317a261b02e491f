"""The free-list heap's accelerator: the same algorithm as ``heap.py``, where Python's interpreter does not run it.

CS:APP's ``mm.c`` writes ``find_fit``, ``place`` and ``coalesce`` with macros (``GET``, ``PUT``,
``HDRP``, ``NEXT_BLKP``) that the C compiler inlines, so a step costs a few loads and stores.
Python pays for every call instead. :func:`install` gives one heap a faster ``_alloc``,
``_free``, ``_after_free`` and ``_resize`` (instance attributes over the class's methods):

* **In C** (``_fast.c``, built at install time where a C compiler is present, as CPython pairs
  ``heapq.py`` with ``_heapq``): the whole of ``heap.py`` and ``lists.py`` for every option of
  the heap, statement for statement, with the book's macros.
* **In Python** where no compiler built it (a browser under Pyodide, say): closures with the
  word arithmetic written out and the heap's constants bound in. For the linked lists' first fit
  (explicit and segregated lists, immediate coalescing, front placement, footers on every
  block), ``_alloc``, ``_free`` and ``_after_free``; for the implicit list, whose cost is its walk
  over every block, the search (``_find``, every fit) and nothing else. Everything else takes the
  readable path, which is the same algorithm.

Both leave exactly what the readable path leaves: the same bytes, layout and statistics, the same
search counts (kept here, in the closure or the C object, and added to the lists' own through
``lists.fast_counts``), next fit's rovers (shared, in ``lists.rovers``), and the same error after
the same writes when a tag is corrupt, a free list has become a cycle or a size is 0. Each hands
over to the readable path while someone records, whose Split and Coalesce events need it, and for
a request the readable path must refuse. The tests run all three on the same programs, corrupt
tags included, and compare the bytes, the errors and the counts.
"""

from __future__ import annotations

import functools
import sys

from ...errors import OutOfMemory
from .lists import _TABLE_MAX, CLASS_TABLES, PLACEMENTS
from .tags import ALLOC, DSIZE, MAX_BLOCK, MIN_BLOCK, adjusted_size

try:  # the same algorithm in C (_fast.c), built at install time where a compiler is
    from ._fast import Heap as COMPILED
except ImportError:  # pragma: no cover - depends on the machine that installed memlab
    COMPILED = None
if sys.byteorder != "little":  # pragma: no cover - the C path reads the tags as native words
    COMPILED = None

FITS = tuple(PLACEMENTS)
"""The fits in the order the C path numbers them."""

VERIFY = False
"""Tests set this: the C path then checks every search its index of an implicit list answers
against the walk the readable path makes, and raises AssertionError where they differ."""


def install(heap, compiled: bool = True) -> str:
    """Give ``heap`` the accelerated steps: in C where it was built (and ``compiled``), else Python closures
    where they apply. Returns the path the heap now runs: ``"c"``, ``"python"`` or ``"off"``."""
    cls = type(heap)
    steps = ("_alloc", "_free", "_after_free", "_resize", "coalesce_all")
    readable = {name: getattr(cls, name).__get__(heap) for name in steps}
    heap.recorder = heap.recorder  # an instance attribute: read faster than the class default
    lists = heap.lists
    if compiled and COMPILED is not None:
        linked = lists.heads > 0
        fast = COMPILED(
            heap=heap,
            linked=linked,
            fit=FITS.index(lists.fit),
            address_order=linked and lists.order == "address",
            table=lists._table if linked else CLASS_TABLES[1],
            heads=lists.heads,
            heads_address=lists.heads_address if linked else 0,
            first_bp=heap.first_bp,
            deferred=heap.deferred,
            by_size=heap.by_size,
            from_back=heap.from_back,
            top_up=heap.top_up,
            footless=heap.footless,
            tags=heap._tags,
            chunk=heap.chunk,
            rovers=lists.rovers,
            cycle=lists.cycle if linked else _no_cycle,
            out_of_memory=OutOfMemory,
            readable_alloc=readable["_alloc"],
            readable_free=readable["_free"],
            readable_after_free=readable["_after_free"],
            readable_resize=readable["_resize"],
            readable_coalesce_all=readable["coalesce_all"],
            verify=VERIFY,
        )
        heap._alloc, heap._free, heap._after_free, heap._resize = fast.alloc, fast.free, fast.after_free, fast.resize
        heap.coalesce_all = fast.coalesce_all
        lists.fast_counts = lambda: (fast.searches, fast.examined)
        return "c"
    place = "back" if heap.from_back else "by-size" if heap.by_size else "front"
    if not python_serves(lists.heads > 0, lists.fit, heap.deferred, heap.footless, place):
        return "off"
    if lists.heads:
        _first_fit_closures(heap, readable)
    else:
        _implicit_search(heap)
    return "python"


def python_serves(linked: bool, fit: str, deferred: bool, footless: bool, place: str) -> bool:
    """Whether the Python closures take over a step of a heap with these options: the implicit list's
    search (every fit), or the linked lists' first fit with immediate coalescing, front placement and
    footers on every block."""
    return not linked or (fit == "first" and not (deferred or footless) and place == "front")


def _no_cycle(k: int, start: int) -> None:  # pragma: no cover - the implicit list has no links to cycle
    raise AssertionError("the implicit list has no links")


def _implicit_search(heap) -> None:
    """``_find`` for the implicit list, every fit: ``ImplicitList.find`` over ``heap.walk``, written out."""
    lists, w, first_bp, zero_size, rovers = heap.lists, heap._w, heap.first_bp, heap._zero_size, heap.lists.rovers
    fit = lists.fit
    counts = [0, 0]  # searches, examined

    def find(asize: int) -> tuple[int, int]:
        counts[0] += 1
        rover = rovers[0] if fit == "next" else 0
        bp, n = rover or first_bp, 0
        best = best_size = 0
        tag = w[(bp >> 2) - 1]
        while tag & ~7:  # heap.walk(start): the rover's part, or the whole heap
            n += 1
            if fit == "worst":
                if not tag & ALLOC and tag > best_size:
                    best, best_size = bp, tag
            elif tag >= asize and not tag & ALLOC and (not best or tag < best_size):
                best, best_size = bp, tag
                if fit != "best" or tag == asize:
                    break
            bp += tag & ~7
            tag = w[(bp >> 2) - 1]
        else:
            if not tag & ALLOC:
                zero_size(bp - 4)
            if rover and not best:  # next fit: then from the start, up to the rover
                bp = first_bp
                tag = w[(bp >> 2) - 1]
                while tag & ~7 and bp != rover:
                    n += 1
                    if tag >= asize and not tag & ALLOC:
                        best, best_size = bp, tag
                        break
                    bp += tag & ~7
                    tag = w[(bp >> 2) - 1]
                else:
                    if not tag & ~7 and not tag & ALLOC:
                        zero_size(bp - 4)
        if fit == "worst" and best_size < asize:
            best = best_size = 0
        counts[1] += n
        if best and fit == "next":
            rovers[0] = best
        return best, best_size

    heap._find = find
    lists.fast_counts = lambda: (counts[0], counts[1])


@functools.lru_cache(maxsize=8)
def _by_request(table: tuple[int, ...], base: int) -> tuple[tuple[int, int], ...]:
    """A request's block size and its first list's head word, by request size: CS:APP's size
    arithmetic done once for every heap with these lists."""
    sizes = map(adjusted_size, range(1, _TABLE_MAX - DSIZE + 1))
    return ((0, 0), *((a, base + table[a >> 3]) for a in sizes))


def _first_fit_closures(heap, readable) -> None:
    """``_alloc``, ``_free`` and ``_after_free`` for first fit over linked lists, written out."""
    lists, w, insert, grow_for, tripped = heap.lists, heap._w, heap._insert, heap._grow_for, heap._tripped
    readable_alloc, readable_free, readable_after_free = readable["_alloc"], readable["_free"], readable["_after_free"]
    table, lifo, cycle, os = lists._table, lists.order == "lifo", lists.cycle, heap.os
    heads, base = lists.heads, lists.heads_address >> 2  # list k's head is the word base + k
    last = base + heads - 1
    by_request = _by_request(table, base)
    small, largest = len(by_request) - 1, MAX_BLOCK - DSIZE
    counts = [0, 0, 0]  # searches, examined, and the most blocks the heap held when last asked (brk / 16)

    def budget(read: int) -> int:
        """How many more blocks a walk that has read ``read`` may read before it has met a cycle."""
        if read >= counts[2]:
            counts[2] = os.brk_address // MIN_BLOCK
        return counts[2] - read

    def alloc(size: int, align: int) -> int:
        """LinkedLists.find (first fit from ``size``'s class up), then _grow_for if nothing fits, then _place."""
        if heap.recorder is not None or align > DSIZE or size > largest:
            return readable_alloc(size, align)
        asize, head = by_request[size] if size <= small else ((size + 15) & ~7, last)
        try:
            counts[0] += 1
            bp = 0
            while head <= last:
                first = bp = w[head]
                read = 0
                while bp:  # lists.nodes(k) under first_fit
                    if read >= counts[2] and budget(read) <= 0:
                        cycle(head - base, first)
                    read += 1
                    bsize = w[(bp >> 2) - 1]
                    if bsize >= asize and not bsize & ALLOC:
                        break
                    bp = w[(bp >> 2) + 1]
                counts[1] += read
                if bp:
                    break
                head += 1
            if not bp:
                bp = grow_for(asize)
                bsize = w[(bp >> 2) - 1]
            # _place: unlink (LinkedLists.remove), then _carve
            i = bp >> 2
            head = base + (table[bsize >> 3] if bsize <= _TABLE_MAX else heads - 1)
            pred, succ = w[i], w[i + 1]
            if pred:
                w[(pred >> 2) + 1] = succ
            else:
                w[head] = succ
            if succ:
                w[succ >> 2] = pred
            rest = bsize - asize  # _carve (its PREV_FREE bit does not matter with footers on every block)
            if rest < MIN_BLOCK:  # too small to split: the whole block is allocated
                w[i - 1] = bsize | ALLOC
                w[((bp + (bsize & ~7)) >> 2) - 2] = bsize | ALLOC
                return bp
            w[i - 1] = asize | ALLOC
            w[((bp + asize) >> 2) - 2] = asize | ALLOC
            rp = bp + asize
            w[(rp >> 2) - 1] = rest
            w[((rp + (rest & ~7)) >> 2) - 2] = rest
            link(rp, rest)
        except (IndexError, ValueError) as e:
            tripped(e, f"alloc({size})")
        return bp

    def link(bp: int, size: int) -> None:
        """LinkedLists.insert: at the front of the block's list (LIFO), else in address order."""
        if not lifo:
            return insert(bp, size)
        head = base + (table[size >> 3] if size <= _TABLE_MAX else heads - 1)
        succ = w[head]
        w[bp >> 2] = 0
        w[(bp >> 2) + 1] = succ
        w[head] = bp
        if succ:
            w[succ >> 2] = bp

    def unlink(bp: int, size: int) -> None:
        """LinkedLists.remove, through the block's own links."""
        i = bp >> 2
        pred, succ = w[i], w[i + 1]
        if pred:
            w[(pred >> 2) + 1] = succ
        else:
            w[base + (table[size >> 3] if size <= _TABLE_MAX else heads - 1)] = succ
        if succ:
            w[succ >> 2] = pred

    def free(bp: int, size: int) -> int | None:
        """_free: tag the block free; 0, its PREV_FREE bit (footers on every block: always clear)."""
        if heap.recorder is not None:
            return readable_free(bp, size)
        try:
            i = bp >> 2
            tag = w[i - 1]
            w[i - 1] = tag & ~7
            w[((bp + (tag & ~7)) >> 2) - 2] = tag & ~7
            return tag & 2
        except (IndexError, ValueError) as e:
            tripped(e, f"free({bp:#x})")

    def after_free(address: int, size: int, left_free: int) -> None:
        """_after_free: _coalesce's four cases, then list the result."""
        if heap.recorder is not None:
            return readable_after_free(address, size, left_free)
        try:
            bp = address
            i = bp >> 2
            size = w[i - 1]
            prev = w[i - 2]  # the left neighbour's footer
            nxt = bp + (size & ~7)
            after = w[(nxt >> 2) - 1]  # the right neighbour's header
            if not after & ALLOC:  # cases 2 and 4
                unlink(nxt, after)
                size += after
            if not prev & ALLOC:  # cases 3 and 4
                bp -= prev
                unlink(bp, prev)
                size += prev
            if not (prev & after & ALLOC):  # cases 2-4: the merged block's tags
                w[(bp >> 2) - 1] = size
                w[((bp + (size & ~7)) >> 2) - 2] = size
            link(bp, size)
        except (IndexError, ValueError) as e:
            tripped(e, f"free({address:#x})")

    heap._alloc, heap._free, heap._after_free = alloc, free, after_free
    lists.fast_counts = lambda: (counts[0], counts[1])
