"""Lecture demo: an arena frees every block with one store.

Follows Zig's ArenaAllocator over the page allocator (see :mod:`memlab.allocators.arena`):
blocks are bumped into chunks, a full chunk is grown in place or followed by a larger one, and
``reset("retain_capacity")`` frees all of them by setting ``end_index`` to 0, keeping one chunk
so the next round needs no system call.
"""

from __future__ import annotations

from ..allocators.arena import Arena
from ..widgets import heap_player
from ..widgets.player import Player

TITLE = "Arenas: every block freed in one store"


def demo(scale: float = 1.6) -> Player:
    arena = Arena("page")
    with arena.record() as rec:
        for size in (600, 900, 1500, 1200, 2000, 2600):
            arena.alloc(size)
        arena.reset("retain_capacity")
        calls = sum(arena.os.syscalls.values())
        for size in (700, 1800, 2400):
            arena.alloc(size)
        extra = sum(arena.os.syscalls.values()) - calls
        arena.note(f"the second round made {extra} system calls: the kept chunk was big enough")
    return heap_player(rec.recording, title=TITLE, scale=scale, rows=2)
