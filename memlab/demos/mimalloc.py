"""Lecture demo: a mimalloc page's three free lists, and a free from another thread that takes no lock.

Thread 1 allocates 1 KiB blocks from its own page (mimalloc threads four of them onto the free
list at a time) and frees two of them: they wait on ``local_free``, not on ``free``. Thread 2 frees
two of thread 1's blocks: the first goes on thread 1's delayed list (so thread 1 notices the
page), the second on the page's ``thread_free``; neither touches thread 1's lists. When thread 1's
``free`` list runs out, the page collects ``local_free`` and ``thread_free`` into a new ``free`` list.
"""

from __future__ import annotations

from ..allocators.mimalloc import MiMalloc
from ..events import Recording
from ..viz import keys
from ..viz.mimalloc import mimalloc_view
from ..widgets import Ask
from ..widgets.player import Player

TITLE = "mimalloc: three free lists per page; a free from another thread takes no lock"


def scenario(heap: MiMalloc) -> list[int]:
    """The scripted program; returns the blocks still held."""
    objs = [heap.alloc(1000, thread=1) for _ in range(6)]
    heap.free(objs[0], thread=1)  # the owner frees: onto local_free
    heap.free(objs[1], thread=1)
    heap.free(objs[2], thread=2)  # another thread: the owner's delayed list, once
    heap.free(objs[3], thread=2)  # ... then the page's thread_free
    objs[4:] += [heap.alloc(1000, thread=1) for _ in range(3)]  # free runs out: collect, then reuse
    return objs[4:]


NEXT_MALLOC, WHEN_EMPTY = "at its next malloc", "only when its free list runs out"


def _hexes(blocks) -> str:
    return ", ".join(f"{b:#x}" for b in blocks) or "nothing"


def questions(recording: Recording) -> list[Ask]:
    """Predict when blocks freed by another thread come back, and which block the collected page hands
    out first (on the recording of :func:`scenario`)."""
    frames = [f for f in recording if f.event is not None]
    owner = next(f.event.thread for f in frames if f.event.kind == "alloc")
    remote = [f for f in frames if f.event.kind == "free" and f.event.thread != owner]
    mine = next(f for f in frames if f.event.kind == "alloc" and f.index > remote[-1].index)
    freed = {f.event.address for f in remote}
    collect = recording.find("collect")
    first = next(f for f in frames if f.event.step == collect.event.step)  # the malloc that finds free empty
    got = next(f for f in frames if f.event.kind == "alloc" and f.index > collect.index).event.address
    page = next(p for p in recording[first.index - 1].snapshot.pages if p.address == collect.event.page)
    return [
        Ask(
            step=mine.index,
            question=f"Thread {remote[0].event.thread} has freed {len(remote)} of thread {owner}'s blocks, and "
            f"thread {owner}'s free list still holds blocks. When can thread {owner} allocate those blocks again?",
            choices=[NEXT_MALLOC, WHEN_EMPTY],
            answer=NEXT_MALLOC if mine.event.address in freed else WHEN_EMPTY,
            why="malloc pops the page's free list and looks at no other list until it runs out. Only then does the "
            "page collect thread_free and local_free into a new free list; meanwhile the two threads never write "
            "the same list head, so neither takes a lock.",
        ),
        Ask(
            step=first.index,
            question=f"Thread {owner}'s free list is empty. Click the block its next malloc gets.",
            answer=keys.block(got),
            why=f"The page collects: thread_free ({_hexes(page.thread_free)}) goes in front of local_free "
            f"({_hexes(page.local_free)}), and together they become the new free list, so {got:#x} comes first."
            + (
                f" The block on thread {owner}'s delayed list ({_hexes(page.delayed)}) is freed onto the emptied "
                "local_free, for the next round."
                if page.delayed
                else ""
            ),
        ),
    ]


def demo(scale: float = 1.6) -> Player:
    heap = MiMalloc()
    with heap.record() as rec:
        scenario(heap)
        heap.note(
            "no lock was taken: each free pushed one pointer on a list of its own, and thread 2 never "
            "touched the lists thread 1 allocates from"
        )
    return Player(rec.recording, mimalloc_view(), scale=scale, title=TITLE, predict=questions(rec.recording))
