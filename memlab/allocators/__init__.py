"""Every allocation strategy, named in one list, all honouring the contract in :mod:`.base`.

As Zig's ``std/heap.zig`` names its allocators in one file, :data:`STRATEGIES` names memlab's:
one module for each simple strategy, a folder for each family (:mod:`.freelist`, :mod:`.slab`,
:mod:`.tcmalloc`). ``memlab.allocator("buddy", max_order=10)`` builds any of them by name
(:mod:`.registry`); each entry also says whether a real program's trace can go through it and
how the property suite should exercise it.
"""

from .arena import Arena, ArenaReset
from .base import ALLOCATED, DEAD, FREE, METADATA, Allocator, Block, HeapSnapshot, Stats
from .buddy import Buddy, BuddySnapshot, fragmentation_at_peak, internal_fragmentation
from .bump import Bump
from .freelist import FreeListHeap
from .objectpool import Handle, ObjectPool, PooledObjects, PoolExhausted
from .page import PageAllocator
from .pool import Pool
from .region import Regions
from .registry import REGISTRY, Entry, allocator, entry, names, parse_spec, register
from .slab import MagazineCache, Slab, SlabCache
from .stack import Stack, StackOverflow, StackUnderflow
from .tcmalloc import TCMalloc
from .wrapper import Wrapper

FIXED = "serves fixed-size (or only small) blocks; a trace asks for many sizes"

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
    ),
    entry("page", PageAllocator, max_request=10_000, aligns=(None, 64, 4096), test_options={"limit": 2 << 20}),
    entry(
        "freelist",
        FreeListHeap,
        max_request=512,
        aligns=(None,),
        test_options={"limit": 48 << 10, "chunk": 1024},
    ),
    entry(
        "buddy",
        Buddy,
        replay_options=Buddy.replay_options,
        max_request=1024,
        aligns=(None, 16, 64, 256),
        test_options={"max_order": 12, "min_order": 4},
    ),
    entry(
        "pool",
        Pool,
        general_purpose=False,
        why_not=FIXED,
        max_request=512,
        aligns=(None, 8),
        test_options={"size": 512, "blocks": 16},
    ),
    entry(
        "objectpool",
        PooledObjects,
        general_purpose=False,
        why_not=FIXED,
        max_request=256,
        aligns=(None, 8),
        test_options={"size": 256, "capacity": 16},
    ),
    entry("slab", Slab, max_request=10_000, aligns=(None, 16, 64, 4096)),
    entry(
        "magazine",
        MagazineCache,
        general_purpose=False,
        why_not=FIXED,
        max_request=64,
        aligns=(None, 8),
        test_options={"size": 64, "rounds": 4, "cpus": 2},
    ),
    entry("tcmalloc", TCMalloc, max_request=40_000, aligns=(None, 16, 64, 4096)),
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
    "ObjectPool",
    "PageAllocator",
    "Pool",
    "PoolExhausted",
    "PooledObjects",
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
