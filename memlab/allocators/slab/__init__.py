"""Slab allocation: Bonwick's object caches (USENIX 1994), his magazines (2001), and Linux's kmalloc.

* :mod:`.geometry`: how a slab is cut into buffers (buffer size, bookkeeping, colours);
* :mod:`.cache`: :class:`SlabCache`, ``kmem_cache``: grow, allocate, free, reap, check;
* :mod:`.magazine`: :class:`MagazineCache`, per-CPU magazines and a depot over a slab cache;
* :mod:`.kmalloc`: :class:`Slab`, a ladder of caches for requests of any size;
* :mod:`.info`: what a cache reports: snapshots, ``/proc/slabinfo`` rows, events.
"""

from .cache import ConstructorFailed, SlabCache, WrongCache
from .geometry import Geometry, plan
from .info import SlabInfo, SlabSnapshot, slabinfo_text
from .kmalloc import KMALLOC_SIZES, Slab, kmalloc_name, natural_alignment
from .magazine import MagazineCache, MagazineSnapshot

__all__ = [
    "KMALLOC_SIZES",
    "ConstructorFailed",
    "Geometry",
    "MagazineCache",
    "MagazineSnapshot",
    "Slab",
    "SlabCache",
    "SlabInfo",
    "SlabSnapshot",
    "WrongCache",
    "kmalloc_name",
    "natural_alignment",
    "plan",
    "slabinfo_text",
]
