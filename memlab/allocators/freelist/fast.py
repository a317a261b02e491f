"""The free-list heap's hot path, written out: first fit over linked lists, place, coalesce.

CS:APP's ``mm.c`` writes ``find_fit``, ``place`` and ``coalesce`` with macros (``GET``, ``PUT``,
``HDRP``, ``NEXT_BLKP``) that the C compiler inlines, so its fast path costs a few loads and
stores. Python pays for every call and attribute lookup instead, so :func:`install` builds, for
one heap, an ``_alloc`` and a ``_free`` that do the same work in one function each, with the
heap's constants bound in: they leave the same words in memory as

* ``_alloc``: first fit over the lists (``LinkedLists.find``), then ``_place``;
* ``_free`` then ``_coalesce`` (CS:APP's four cases);

and they count the same searches and examined blocks, in the closure (a cell is cheaper to bump
than an attribute), which ``lists.searches`` and ``lists.examined`` add to the readable path's.
The heap installs them for explicit and segregated lists with first fit, immediate
coalescing, front placement and footers on every block (``mm.c``'s own tags). Each hands over
to the readable path when someone records (whose Split and Coalesce events need it) or when a
request is one the readable path must refuse; the tests check that both paths leave the same
bytes. Like ``mm.c``, nothing here validates: the base
class already has.

``_freelist_c.c`` is this module again in C, statement for statement, built at install time
where a C compiler is present; :func:`install` uses it when it is there (``COMPILED``), and
this module's closures otherwise. The tests run both on the same programs, corrupt tags
included, and compare the bytes, the errors and the search counts.
"""

from __future__ import annotations

import sys

from .lists import _TABLE_MAX
from .tags import ALLOC, DSIZE, MAX_BLOCK, MIN_BLOCK, adjusted_size

try:  # the same two functions in C (_freelist_c.c), built at install time where a compiler is
    from ._fast import FastPath as COMPILED
except ImportError:  # pragma: no cover - depends on the machine that installed memlab
    COMPILED = None
if sys.byteorder != "little":  # pragma: no cover - the C path reads the tags as native words
    COMPILED = None

_LARGEST = MAX_BLOCK - DSIZE  # larger requests go the readable way, which refuses them


def install(heap, exact: int) -> None:
    """Give ``heap`` the fast ``_alloc`` and ``_free``; lists below class ``exact`` hold one size each."""
    lists, w, insert = heap.lists, heap._w, heap._insert
    base, table, heads, lifo = lists.head_base, lists._table, lists.heads, lists.order == "lifo"
    readable_alloc, readable_free = type(heap)._alloc.__get__(heap), type(heap)._free.__get__(heap)
    tripped = heap._tripped
    # list heads as word indices: the head of a free block's list, and of a request's list
    head_of = [base + k for k in table]  # by block size >> 3, up to _TABLE_MAX
    last, exact_end = base + heads - 1, base + exact
    # a request's block size and list head, by request size: CS:APP's size arithmetic, done once
    blocks = [adjusted_size(n) for n in range(1, _TABLE_MAX - DSIZE + 1)]
    by_request = [(0, 0), *((b, head_of[b >> 3]) for b in blocks)]
    small = len(by_request) - 1
    heap.recorder = heap.recorder  # an instance attribute: read faster than the class default
    searches = examined_total = 0  # this path's counts; see the module docstring

    def alloc(size: int, align: int) -> int:
        """First fit from ``size``'s class up; unlink the block, split it, list the rest."""
        nonlocal searches, examined_total
        if heap.recorder is not None or align > DSIZE:
            return readable_alloc(size, align)
        if size <= small:
            asize, head = by_request[size]
        elif size <= _LARGEST:
            asize, head = (size + 15) & ~7, last
        else:
            return readable_alloc(size, align)
        try:
            bp = w[head]
            if bp and head < exact_end:  # one size per list: the first block fits exactly, no split
                searches += 1
                examined_total += 1
                succ = w[(bp >> 2) + 1]
                w[head] = succ
                if succ:
                    w[succ >> 2] = 0
                w[(bp >> 2) - 1] = w[((bp + asize) >> 2) - 2] = asize | ALLOC
                return bp
            examined = 1
            while bp:  # first fit along the request's own list
                i = bp >> 2
                bsize = w[i - 1]  # listed blocks are free: the tag is the size
                if bsize >= asize:
                    break
                bp = w[i + 1]
                examined += 1
            else:  # then the larger classes, whose first block fits on a heap check() accepts
                while head != last:
                    head += 1
                    bp = w[head]
                    while bp:
                        i = bp >> 2
                        bsize = w[i - 1]
                        if bsize >= asize:
                            break
                        bp = w[i + 1]
                        examined += 1
                    if bp:
                        break
                else:
                    examined -= 1  # no block anywhere
            searches += 1
            examined_total += examined
            if not bp:
                bp = heap._grow_for(asize)
                i = bp >> 2
                bsize = w[i - 1]
                head = head_of[bsize >> 3] if bsize <= _TABLE_MAX else last
            pred, succ = w[i], w[i + 1]  # unlink, through the block's own links
            if pred:
                w[(pred >> 2) + 1] = succ
            else:
                w[head] = succ
            if succ:
                w[succ >> 2] = pred
            rest = bsize - asize
            if rest < MIN_BLOCK:  # too small to split: the whole block is allocated
                w[i - 1] = w[((bp + bsize) >> 2) - 2] = bsize | ALLOC
                return bp
            rp = bp + asize
            j = rp >> 2
            w[i - 1] = w[j - 2] = asize | ALLOC
            w[j - 1] = w[((bp + bsize) >> 2) - 2] = rest
            if lifo:  # list the rest at the front of its list
                head = head_of[rest >> 3] if rest <= _TABLE_MAX else last
                succ = w[head]
                w[j] = 0
                w[j + 1] = succ
                w[head] = rp
                if succ:
                    w[succ >> 2] = rp
            else:
                insert(rp, rest)
        except (IndexError, ValueError) as e:
            tripped(e, f"alloc({size})")
        return bp

    def free(bp: int, request: int) -> None:
        """Clear the block's tags, merge it with free neighbours (four cases), list the result."""
        if heap.recorder is not None:
            return readable_free(bp, request)
        try:
            i = bp >> 2
            size = w[i - 1] & ~7
            j = (bp + size) >> 2  # the right neighbour's payload, as a word index
            w[i - 1] = w[j - 2] = size
            right = w[j - 1]  # the right neighbour's header
            left = w[i - 2]  # the left neighbour's footer
            total = size
            if not right & ALLOC:  # cases 2 and 4: unlink the right neighbour
                pred, succ = w[j], w[j + 1]
                if pred:
                    w[(pred >> 2) + 1] = succ
                else:
                    w[head_of[right >> 3] if right <= _TABLE_MAX else last] = succ
                if succ:
                    w[succ >> 2] = pred
                total += right
            if not left & ALLOC:  # cases 3 and 4: unlink the left neighbour
                bp -= left
                i = bp >> 2
                pred, succ = w[i], w[i + 1]
                if pred:
                    w[(pred >> 2) + 1] = succ
                else:
                    w[head_of[left >> 3] if left <= _TABLE_MAX else last] = succ
                if succ:
                    w[succ >> 2] = pred
                total += left
            if total != size:
                w[i - 1] = w[((bp + total) >> 2) - 2] = total
            if lifo:  # list the block at the front of its list
                head = head_of[total >> 3] if total <= _TABLE_MAX else last
                succ = w[head]
                w[i] = 0
                w[i + 1] = succ
                w[head] = bp
                if succ:
                    w[succ >> 2] = bp
            else:
                insert(bp, total)
        except (IndexError, ValueError) as e:
            tripped(e, f"free({bp:#x})")

    if COMPILED is None:
        heap._alloc, heap._free = alloc, free
        lists.fast_counts = lambda: (searches, examined_total)
        return
    fast = COMPILED(
        heap=heap,
        memory=heap.memory._bytes,
        head_of=head_of,
        asize_of=[a for a, _ in by_request],
        head_for=[h for _, h in by_request],
        largest=_LARGEST,
        last=last,
        exact_end=exact_end,
        lifo=lifo,
        readable_alloc=readable_alloc,
        readable_free=readable_free,
        grow_for=heap._grow_for,
        insert=insert,
        tripped=tripped,
    )
    heap._alloc, heap._free = fast.alloc, fast.free
    lists.fast_counts = lambda: (fast.searches, fast.examined)
