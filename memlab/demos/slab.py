"""Lecture demo: the constructor runs once per buffer, not once per allocation.

Follows Bonwick's slab allocator (USENIX 1994): a new slab constructs all its buffers; freed
objects go back still constructed; a second slab starts at the next colour offset; the
destructor runs only when a free slab is reaped.
"""

from __future__ import annotations

from ..allocators.slab.cache import SlabCache
from ..viz.slab import slab_view
from ..widgets.player import Player

TITLE = "Slab allocation: construct once, allocate many times"
LOCK_INIT = 0x10C4ED  # what the constructor writes: "a lock, initialised"


def _ctor(memory, address: int) -> None:
    memory.write_word(address, LOCK_INIT)


def demo(scale: float = 1.6) -> Player:
    cache = SlabCache("task", 480, 8, ctor=_ctor, dtor=lambda memory, address: memory.write_word(address, 0))
    with cache.record() as rec:
        objs = [cache.alloc() for _ in range(9)]  # the ninth needs a second slab, one colour over
        for x in objs[:3]:
            cache.free(x)
        objs[:3] = [cache.alloc() for _ in range(3)]  # constructed objects come back: no constructor
        recorder, cache.recorder = cache.recorder, None  # fast-forward, not drawn
        for _ in range(1000):
            cache.free(cache.alloc())
        cache.recorder = recorder
        cache.note(
            f"fast-forward 1000 allocate/free pairs: {cache.stats().allocs} allocations so far, "
            f"and the constructor ran only {cache.ctor_calls} times, once per buffer"
        )
        for x in objs:
            cache.free(x)
        cache.reap()
    return Player(rec.recording, slab_view(), scale=scale, title=TITLE)
