"""Every allocation strategy, named in one list, all honouring the contract in :mod:`.base`.

As Zig's ``std/heap.zig`` names its allocators in one file, :data:`STRATEGIES` names memlab's:
one module for each simple strategy, a folder for each family (:mod:`.freelist`, :mod:`.slab`,
:mod:`.tcmalloc`, :mod:`.pymalloc`, :mod:`.mimalloc`). ``memlab.allocator("buddy", max_order=10)``
builds any of them by name (:mod:`.registry`); each entry also says whether a real program's
trace can go through it and how the property suite should exercise it, including ``varies``:
every option that changes the algorithm, with all its values, from which the suite picks few
configurations that hold every value and every pair of values (:mod:`.covering`).
"""

from .arena import Arena, ArenaReset
from .base import ALLOCATED, DEAD, FREE, METADATA, Allocator, Block, HeapSnapshot, Stats
from .buddy import Buddy, BuddySnapshot, fragmentation_at_peak, internal_fragmentation
from .bump import Bump
from .freelist import FreeListHeap
from .mimalloc import MiMalloc
from .objectpool import Handle, ObjectPool, PooledObjects, PoolExhausted
from .page import PageAllocator
from .pool import Pool
from .pymalloc import PyMalloc
from .region import Regions
from .registry import REGISTRY, Entry, allocator, entry, names, parse_spec, register
from .slab import KMALLOC_SIZES, MagazineCache, Slab, SlabCache
from .stack import Stack, StackOverflow, StackUnderflow
from .tcmalloc import TCMalloc
from .wrapper import Wrapper

FIXED = "serves fixed-size (or only small) blocks; a trace asks for many sizes"

FREELIST_OPTIONS = {  # each option's default first
    "list": ("implicit", "explicit", "segregated"),
    "fit": ("first", "next", "best", "worst"),
    "order": ("address", "lifo"),
    "coalesce": ("immediate", "deferred"),
    "place": ("front", "back", "by-size"),
    "grow": ("chunk", "top-up"),
    "footers": ("all", "free"),
    "accelerator": ("off", "c", "python"),  # the hot path in C, in Python, or none (the readable path)
}

STRATEGIES = (
    entry(
        "stack",
        Stack,
        general_purpose=False,
        why_not="frees only in lifo order; real programs free in any order",
        free_order="lifo",
        max_request=256,
        aligns=(None, 1, 16, 64),
        test_options={"size": 1 << 14},
    ),
    entry(
        "bump",
        Bump,
        replay_options=Bump.replay_options,
        returns_to_empty=False,
        max_request=256,
        aligns=(None, 1, 16, 64),
        test_options={"size": 1 << 16},
    ),
    entry(
        "arena",
        Arena,
        returns_to_empty=False,
        max_request=512,
        aligns=(None, 1, 16, 64),
        test_options={"limit": 1 << 20},
        varies={"child": ("page", "freelist")},  # a free list can grow the current chunk in place
    ),
    entry("page", PageAllocator, max_request=10_000, aligns=(None, 64, 4096), test_options={"limit": 2 << 20}),
    entry(
        "freelist",
        FreeListHeap,
        max_request=512,
        aligns=(None,),
        test_options={"limit": 48 << 10, "chunk": 1024},
        varies=FREELIST_OPTIONS,
    ),
    entry(
        "buddy",
        Buddy,
        replay_options=Buddy.replay_options,
        max_request=1024,
        aligns=(None, 16, 64, 256),
        test_options={"max_order": 12, "min_order": 4},
        varies={"min_order": (4, 6), "grow": (True, False)},
    ),
    entry(
        "pool",
        Pool,
        general_purpose=False,
        why_not=FIXED,
        max_request=512,
        aligns=(None, 8),
        test_options={"size": 512, "blocks": 16},
        varies={"grow": (True, False)},
    ),
    entry(
        "objectpool",
        PooledObjects,
        general_purpose=False,
        why_not=FIXED,
        max_request=256,
        aligns=(None, 8),
        test_options={"size": 256, "capacity": 16},
        varies={"on_empty": ("grow", "error"), "align": (8, 256)},
    ),
    entry(
        "slab",
        Slab,
        max_request=10_000,
        aligns=(None, 16, 64, 4096),
        varies={"sizes": (KMALLOC_SIZES, (24, 40, 100, 700, 3000))},  # odd sizes: 8-aligned, bookkeeping off-slab
    ),
    entry(
        "magazine",
        MagazineCache,
        general_purpose=False,
        why_not=FIXED,
        max_request=64,
        aligns=(None, 8),
        test_options={"size": 64, "rounds": 4, "cpus": 2},
        varies={"rounds": (4, 1), "cpus": (2, 1)},
    ),
    entry(
        "tcmalloc",
        TCMalloc,
        max_request=40_000,
        aligns=(None, 16, 64, 4096),
        varies={
            "thread_caches": (True, False),
            "page_size": (8192, 4096),
            "max_small": (32 << 10, 1024),  # a small largest class sends many requests to whole pages
            "thread_cache_bytes": (256 << 10, 4096),  # a small cache is scavenged often
            "transfer_slots": (8, 1),
            "grow_pages": (16, 1),
        },
    ),
    entry(
        "pymalloc",
        PyMalloc,
        max_request=1024,
        aligns=(None, 16, 64),
        test_options={"limit": 16 << 20},
        varies={
            "pool_size": (1 << 14, 4096),  # CPython 3.10+, and before
            "arena_size": (1 << 20, 256 << 10, 64 << 10),  # a small arena fills, and goes back to the OS, soon
            "arena_offsets": (None, (0, 4096, 12288)),  # arenas that lose a pool to alignment
            "child": ("page", "buddy"),  # where requests over 512 bytes go
        },
    ),
    entry(
        "mimalloc",
        MiMalloc,
        max_request=40_000,
        aligns=(None, 16, 64, 4096),
        test_options={"limit": 96 << 20},
        varies={"segment_size": (4 << 20, 1 << 20, 8 << 20)},  # small segments: many of them, large objects sooner
    ),
)
"""The strategies, in the order the course meets them."""

register(*STRATEGIES)

__all__ = [
    "ALLOCATED",
    "DEAD",
    "FREE",
    "METADATA",
    "REGISTRY",
    "STRATEGIES",
    "Allocator",
    "Arena",
    "ArenaReset",
    "Block",
    "Buddy",
    "BuddySnapshot",
    "Bump",
    "Entry",
    "FreeListHeap",
    "Handle",
    "HeapSnapshot",
    "MagazineCache",
    "MiMalloc",
    "ObjectPool",
    "PageAllocator",
    "Pool",
    "PoolExhausted",
    "PooledObjects",
    "PyMalloc",
    "Regions",
    "Slab",
    "SlabCache",
    "Stack",
    "StackOverflow",
    "StackUnderflow",
    "Stats",
    "TCMalloc",
    "Wrapper",
    "allocator",
    "entry",
    "fragmentation_at_peak",
    "internal_fragmentation",
    "names",
    "parse_spec",
    "register",
]
