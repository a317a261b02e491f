"""What a slab cache reports: snapshots for views, /proc/slabinfo rows, and slab events.

``/proc/slabinfo`` (Linux, format version 2.1) prints one row per cache: ``name active_objs
num_objs objsize objperslab pagesperslab``, then ``tunables limit batchcount sharedfactor``, then
``slabdata active_slabs num_slabs sharedavail``. The tunables were the sizes of SLAB's per-CPU
arrays; SLUB, the only slab allocator since Linux 6.8, has no such arrays but still prints the
three columns, as zeros (``cache_show`` in ``mm/slab_common.c`` zeroes the row before SLUB fills
it), and ``sharedavail`` as zero too. memlab prints the columns that carry numbers (it leaves out
the zeros) and adds the constructor and destructor counts, which show that objects are
constructed once per buffer, not once per allocation.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...events import Event
from ..base import HeapSnapshot


@dataclass(frozen=True, slots=True)
class SlabView:
    """One slab as a view draws it: where it is and which buffers are in use (``#``) or free (``.``)."""

    address: int
    pages: int
    color: int
    base: int
    bookkeeping: int  # address of the slab structure (on-slab: at the end of the slab)
    buffers: str

    @property
    def inuse(self) -> int:
        return self.buffers.count("#")

    @property
    def section(self) -> str:
        """``full``, ``partial`` or ``free``: where the slab sits in the cache's sorted list."""
        if self.inuse == len(self.buffers):
            return "full"
        return "free" if self.inuse == 0 else "partial"


@dataclass(frozen=True, slots=True)
class CacheView:
    """One cache: its geometry, its counters and its slabs in list order (full, partial, free)."""

    name: str
    objsize: int
    bufsize: int
    align: int
    objperslab: int
    pagesperslab: int
    on_slab: bool
    colors: int
    ctor_calls: int
    dtor_calls: int
    slabs: tuple[SlabView, ...]
    page_size: int = 4096

    @property
    def slab_bytes(self) -> int:
        return self.pagesperslab * self.page_size


@dataclass(frozen=True, slots=True)
class SlabInfo:
    """One row of slabinfo."""

    name: str
    active_objs: int
    num_objs: int
    objsize: int
    objperslab: int
    pagesperslab: int
    active_slabs: int
    num_slabs: int
    ctor_calls: int
    dtor_calls: int

    @classmethod
    def of(cls, cache: CacheView) -> SlabInfo:
        active = sum(s.inuse for s in cache.slabs)
        return cls(
            cache.name,
            active,
            cache.objperslab * len(cache.slabs),
            cache.objsize,
            cache.objperslab,
            cache.pagesperslab,
            sum(1 for s in cache.slabs if s.inuse),
            len(cache.slabs),
            cache.ctor_calls,
            cache.dtor_calls,
        )


HEADER = (
    "# name",
    "active_objs",
    "num_objs",
    "objsize",
    "objperslab",
    "pagesperslab",
    ":",
    "active_slabs",
    "num_slabs",
    ":",
    "ctors",
    "dtors",
)


def slabinfo_text(rows: list[SlabInfo]) -> str:
    """The rows as a /proc/slabinfo-like table (``slabdata`` columns after the colon)."""
    cells = [HEADER] + [
        (
            r.name,
            r.active_objs,
            r.num_objs,
            r.objsize,
            r.objperslab,
            r.pagesperslab,
            ":",
            r.active_slabs,
            r.num_slabs,
            ":",
            r.ctor_calls,
            r.dtor_calls,
        )
        for r in rows
    ]
    cells = [[str(c) for c in row] for row in cells]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADER))]
    lines = [
        " ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))) for row in cells
    ]
    return "\n".join(line.rstrip() for line in lines)


@dataclass(frozen=True, slots=True)
class SlabSnapshot(HeapSnapshot):
    """A heap snapshot plus every cache's slab list, for the slab view."""

    caches: tuple[CacheView, ...] = ()


@dataclass(frozen=True, slots=True)
class SlabGrow(Event):
    """A cache took pages for a new slab and constructed every buffer in it."""

    cache: str
    address: int
    pages: int
    color: int
    objects: int
    constructed: bool

    def describe(self) -> str:
        made = f"; the constructor runs on all {self.objects} buffers" if self.constructed else ""
        return (
            f"cache {self.cache!r} grows: a new {self.pages}-page slab at {self.address:#x}, "
            f"buffers start at colour offset {self.color}{made}"
        )


@dataclass(frozen=True, slots=True)
class SlabReap(Event):
    """A completely free slab was destroyed and its pages returned."""

    cache: str
    address: int
    pages: int
    objects: int
    destructed: bool

    def describe(self) -> str:
        ran = f"the destructor runs on its {self.objects} buffers and " if self.destructed else ""
        return (
            f"reap cache {self.cache!r}: the free slab at {self.address:#x} is destroyed; "
            f"{ran}its {self.pages} page(s) go back"
        )


@dataclass(frozen=True, slots=True)
class SlabMove(Event):
    """A slab changed section in its cache's list (full, partial, free)."""

    cache: str
    address: int
    section: str

    def describe(self) -> str:
        where = {"partial": "before the other partial slabs", "free": "to the free end of the list"}[self.section]
        return f"cache {self.cache!r}: the slab at {self.address:#x} is now {self.section} and moves {where}"
