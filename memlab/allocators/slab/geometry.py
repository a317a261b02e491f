"""How a slab is cut into buffers: the arithmetic of Bonwick's slab allocator (USENIX 1994).

Given an object size, an alignment and the page size, :func:`plan` decides

* the *buffer* size: the object rounded up to its alignment. The free-list link of a free buffer
  lives in its first word, unless the cache has a constructor: then the link gets its own word
  after the object, so a free object keeps its constructed state (SLUB moves its free pointer
  past the object for the same reason);
* where the bookkeeping lives: objects under 1/8 of a page get *on-slab* bookkeeping, the slab
  structure at the end of the page; larger objects keep it *off-slab*, in a separate small
  object holding the slab structure and one link word per buffer (Bonwick used bufctls and a
  hash table; memlab finds the slab from the page, as Linux does);
* how many pages a slab takes: one for small objects, else the fewest pages that waste at most
  1/8 of the slab;
* the *slack* left over, which gives room for colouring: slab ``i`` starts its buffers at offset
  ``(i mod colours) * step`` so that equal objects of different slabs fall on different cache
  lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import BadRequest
from ...memory import WORD, align_up, check_alignment, check_size

SLAB_WORDS = ("next", "prev", "cache", "base", "inuse", "free")
"""The slab structure, one word each: list links, owning cache, first buffer, refcount, free head."""
SLAB_STRUCT = WORD * len(SLAB_WORDS)
NEXT, PREV, CACHE, BASE, INUSE, FREE = range(len(SLAB_WORDS))
MAX_WASTE = 8  # a slab wastes at most 1/MAX_WASTE of its bytes when it can


@dataclass(frozen=True, slots=True)
class Geometry:
    """The shape shared by every slab of one cache."""

    objsize: int
    align: int
    bufsize: int
    link: int  # offset of the free-list link in a free buffer (on-slab only)
    pages: int
    page_size: int
    objects: int
    on_slab: bool
    slack: int
    color_step: int

    @property
    def slab_bytes(self) -> int:
        return self.pages * self.page_size

    @property
    def colors(self) -> int:
        """How many different starting offsets the slack allows."""
        return self.slack // self.color_step + 1

    @property
    def mgmt_size(self) -> int:
        """Bytes of bookkeeping per slab: the slab structure, plus one link per buffer off-slab."""
        return SLAB_STRUCT if self.on_slab else SLAB_STRUCT + WORD * self.objects

    @property
    def waste(self) -> float:
        """The share of a slab holding no buffer (slack plus on-slab bookkeeping)."""
        return 1 - self.objects * self.objsize / self.slab_bytes


def plan(
    objsize: int,
    align: int,
    page_size: int,
    *,
    constructed: bool = False,
    off_slab: bool | None = None,
    max_pages: int = 8,
) -> Geometry:
    """The geometry of a cache of ``objsize``-byte objects (see the module docstring)."""
    check_size(objsize, "object size")
    align = max(check_alignment(align), WORD)
    if align > page_size:
        raise BadRequest(f"alignment {align} is larger than a {page_size}-byte page")
    if constructed:
        link = align_up(objsize, WORD)
        bufsize = align_up(link + WORD, align)
    else:
        link = 0
        bufsize = align_up(max(objsize, WORD), align)
    on_slab = bufsize < page_size // MAX_WASTE if off_slab is None else not off_slab
    if on_slab:
        pages = -(-(bufsize + SLAB_STRUCT) // page_size)
        room = pages * page_size - SLAB_STRUCT
    else:
        pages = _pages_for(bufsize, page_size, max_pages)
        room = pages * page_size
    objects = room // bufsize
    return Geometry(objsize, align, bufsize, link, pages, page_size, objects, on_slab, room - objects * bufsize, align)


def _pages_for(bufsize: int, page_size: int, max_pages: int) -> int:
    """The fewest pages whose leftover is at most 1/8 of the slab, else the least wasteful."""
    least = -(-bufsize // page_size)
    candidates = range(least, max(least, max_pages) + 1)
    for pages in candidates:
        total = pages * page_size
        if total % bufsize * MAX_WASTE <= total:
            return pages
    return min(candidates, key=lambda p: (p * page_size % bufsize) / (p * page_size))
