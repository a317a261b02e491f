"""Simulated threads for TCMalloc: many programs interleaved by a deterministic schedule.

No OS threads: a seeded random schedule picks, step by step, which thread runs next, and that
thread allocates or frees (now and then an object another thread allocated, as when work is
handed from one thread to another). The decisions depend only on the seed, never on addresses,
so the very same program runs on every heap it is given: that is what makes lock counts of
different configurations comparable. Any allocator that counts its locks can run it: a
:class:`~.tcmalloc.TCMalloc` (each thread with its own cache), memlab's mimalloc (a heap per
thread; it counts atomic operations rather than locks), or one heap behind one mutex
(``memlab.compose.ThreadSafe``), where the threads simply share the heap.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ...errors import BadRequest
from .tcmalloc import TCMalloc


@dataclass(frozen=True, slots=True)
class ThreadRun:
    """What a multi-threaded run did and how many locks it took."""

    threads: int
    ops: int
    locks: dict[str, int]

    @property
    def lock_acquisitions(self) -> int:
        return sum(self.locks.values())

    @property
    def locks_per_op(self) -> float:
        return self.lock_acquisitions / self.ops if self.ops else 0.0


def run_threads(
    heap,
    threads: int = 4,
    ops: int = 10_000,
    *,
    seed: int = 0,
    max_size: int = 256,
    live: int = 64,
    share: float = 0.05,
    finish: bool = True,
) -> ThreadRun:
    """Run ``ops`` random allocations and frees spread over ``threads`` simulated threads.

    Each thread keeps at most ``live`` objects; a free takes, with probability ``share``, an
    object of another thread. ``finish`` frees whatever is left, each by its own thread.
    """
    if type(threads) is not int or threads < 1:
        raise BadRequest(f"threads {threads!r} must be a positive integer")
    rng = random.Random(seed)
    before = lock_counts(heap)
    if isinstance(heap, TCMalloc) or getattr(heap, "simulates_threads", False):
        alloc, free = heap.alloc, heap.free
    else:  # one shared heap: which thread calls makes no difference to it
        alloc, free = (lambda size, thread: heap.alloc(size)), (lambda address, thread: heap.free(address))
    held: list[list[int]] = [[] for _ in range(threads)]
    done = 0
    while done < ops:
        t = rng.randrange(threads)
        mine = held[t]
        if len(mine) < live and (not mine or rng.random() < 0.5):
            mine.append(alloc(rng.randint(1, max_size), thread=t))
        else:
            owner = held[rng.randrange(threads)] if rng.random() < share else mine
            if not owner:
                owner = mine
            i = rng.randrange(len(owner))
            owner[i], owner[-1] = owner[-1], owner[i]
            free(owner.pop(), thread=t)
        done += 1
    if finish:
        for t, mine in enumerate(held):
            while mine:
                free(mine.pop(), thread=t)
                done += 1
    after = lock_counts(heap)
    return ThreadRun(threads, done, {k: after[k] - before.get(k, 0) for k in after})


def lock_counts(heap) -> dict[str, int]:
    """The locks ``heap`` has taken so far, by lock."""
    locks = getattr(heap, "locks", None)
    if isinstance(locks, dict):
        return dict(locks)
    count = getattr(heap, "lock_acquisitions", None)
    if isinstance(count, int):
        return {"heap": count}
    raise BadRequest(f"{type(heap).__name__} counts no locks: use tcmalloc, or wrap it in memlab.compose.ThreadSafe")
