"""Exercise 07: a fixed-size pool with its free list threaded through the free blocks (Zig's MemoryPool).

The learner writes ``pop(pool) -> block`` and ``push(pool, block)``: the pool keeps only
``pool.head``; the first 8-byte word of each free block holds the address of the next free
block (0 ends the list). :class:`ExercisePool` is memlab's :class:`~memlab.allocators.pool.Pool`
using them; the checks read the links back from simulated memory.
"""

from __future__ import annotations

from ...allocators.base import Allocator
from ...allocators.pool import Pool
from ..questions import Cases, Exercise, Question


class ExercisePool(Pool):
    """A Pool of 32-byte blocks, 8 per chunk, whose pop and push are the learner's."""

    def __init__(self, *, pop=None, push=None, blocks: int = 8) -> None:
        self.learner_pop, self.learner_push = pop, push
        super().__init__(32, blocks=blocks)

    # the base class's paths, not Pool's fast paths (which pop and push inline)
    def alloc(self, size: int, align: int | None = None) -> int:
        return Allocator.alloc(self, size, align)

    def free(self, address: int) -> None:
        Allocator.free(self, address)

    def _alloc(self, size: int, align: int) -> int:
        if self.learner_pop is None:
            return super()._alloc(size, align)
        if size > self.block_size or align > self.align:
            self._refuse(size, align)
        if not self.head:
            self._add_chunk()
        return self.learner_pop(self)

    def _free(self, address: int, size: int) -> None:
        if self.learner_push is None:
            return super()._free(address, size)
        self.learner_push(self, address)


def _link(pool: Pool, block: int) -> int:
    return pool.memory.read_word(block)


def check_pop(fns: dict) -> Cases:
    cases = Cases()
    with cases.case("pop returns the head and moves it to the next free block", 1):
        pool = ExercisePool(pop=fns["pop"])
        head, second = pool.head, _link(pool, pool.head)
        block = pool.alloc(32)
        cases.expect(block == head, f"alloc returned {block!r}; expected the head of the free list, {head:#x}")
        cases.expect(
            pool.head == second,
            f"after pop, head is {pool.head:#x}; expected {second:#x}, read from the old head's first word",
        )
    with cases.case("eight pops empty the chunk in address order", 1):
        pool = ExercisePool(pop=fns["pop"])
        got = [pool.alloc(8) for _ in range(8)]
        want = [pool.chunks[0] + 32 * i for i in range(8)]
        cases.expect(
            got == want, f"eight allocations returned {[hex(a) for a in got]}; expected {[hex(a) for a in want]}"
        )
        cases.expect(pool.head == 0, f"after the last free block is taken, head should be 0, not {pool.head:#x}")
        pool.check()
    return cases


def check_push(fns: dict) -> Cases:
    cases = Cases()
    with cases.case("push makes the freed block the head", 1):
        pool = ExercisePool(push=fns["push"])
        a, b = pool.alloc(8), pool.alloc(8)
        old = pool.head
        pool.free(a)
        cases.expect(
            pool.head == a, f"after free({a:#x}), head is {pool.head:#x}; expected {a:#x} (LIFO: push at the front)"
        )
        cases.expect(
            _link(pool, a) == old,
            f"the first word of the freed block {a:#x} holds {_link(pool, a):#x}; expected the old head {old:#x}, "
            "or the rest of the list is lost",
        )
        del b
    with cases.case("no block is lost: the list and the live blocks cover the pool", 1):
        pool = ExercisePool(push=fns["push"])
        p = [pool.alloc(8) for _ in range(6)]
        for a in p[::2] + p[1::2]:
            pool.free(a)
        pool.check()
        cases.expect(pool.reclaimed(), f"after freeing everything the list holds {len(pool.chain())} of 8 blocks")
    with cases.case("free then alloc reuses the block just freed", 1):
        pool = ExercisePool(push=fns["push"])
        p = [pool.alloc(8) for _ in range(4)]
        pool.free(p[1])
        again = pool.alloc(8)
        cases.expect(
            again == p[1], f"alloc after free({p[1]:#x}) returned {again:#x}: the freed block should be the head"
        )
    return cases


def demo(pop, push):
    """Take four blocks, give two back, take one again: watch the links in the free blocks."""
    from ...viz.pool import pool_svg
    from ...widgets import Player

    pool = ExercisePool(pop=pop, push=push)
    with pool.record() as rec:
        p = [pool.alloc(24) for _ in range(4)]
        pool.free(p[1])
        pool.free(p[3])
        pool.alloc(16)
    return Player(rec.recording, lambda f: pool_svg(f.snapshot, event=f.event), title="Your pop and push")


EXERCISE = Exercise(
    "07_pools_and_object_pools",
    "Pools: a free list threaded through free memory",
    (
        Question("pop", "taking a block from the free list", ("pop",), 2, check_pop),
        Question("push", "giving a block back", ("push",), 3, check_push),
    ),
)
