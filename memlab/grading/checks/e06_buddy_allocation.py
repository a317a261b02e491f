"""Exercise 06: the binary buddy system, split and merge (Knuth 2.5; Linux's free_area).

The learner writes ``buddy_of(heap, block, order)`` (one XOR), ``split(heap, block, j, k)``
(halve an order-j block down to order k, the upper halves going on the free lists) and
``merge(heap, block, order)`` (merge a freed block with its buddy while the buddy is free).
:class:`ExerciseBuddy` is memlab's :class:`~memlab.allocators.buddy.Buddy` using them.
"""

from __future__ import annotations

from ...allocators.buddy import Buddy
from ...errors import OutOfMemory
from ...events import Note
from ..questions import Cases, Exercise, Question


class ExerciseBuddy(Buddy):
    """A Buddy (orders 4..10: blocks of 16 bytes to 1 KiB) whose split and merge are the learner's."""

    def __init__(self, *, split=None, merge=None) -> None:
        self.learner_split, self.learner_merge = split, merge
        super().__init__(max_order=10, min_order=4, grow=False)

    def _alloc(self, size: int, align: int) -> int:
        if self.learner_split is None:
            return super()._alloc(size, align)
        k = self._order(size, align)
        j = next((j for j in range(k, self.max_order + 1) if self.free_area[j]), None)
        if j is None:
            raise OutOfMemory(f"no free block of order {k} or larger")
        block, _ = self.free_area[j].popitem()
        block = self.learner_split(self, block, j, k)
        self.order_of[block] = k
        if self.recorder is not None and j > k:
            self._emit(Note(self.step, f"split a {1 << j}-byte block down to {1 << k} bytes at {block:#x}"))
        return block

    def _merge(self, address: int, k: int) -> None:
        if self.learner_merge is None:
            return super()._merge(address, k)
        self.learner_merge(self, address, k)
        if self.recorder is not None:
            size = next(
                (
                    1 << j
                    for j in range(k, self.max_order + 1)
                    for a in self.free_area[j]
                    if a <= address < a + (1 << j)
                ),
                0,
            )
            if size > 1 << k:
                self._emit(Note(self.step, f"merged up into a free {size}-byte block"))


def check_buddy_of(fns: dict) -> Cases:
    buddy_of, cases, heap = fns["buddy_of"], Cases(), Buddy(max_order=10, min_order=4)
    s = heap.start
    for name, offset, order in (
        ("a left half's buddy is to its right", 0x40, 5),
        ("a right half's buddy is to its left", 0x60, 5),
        ("a right half at a larger order", 0x300, 8),
        ("the smallest blocks", 0x1F0, 4),
    ):
        with cases.case(name, 1):
            want = s + (offset ^ (1 << order))
            got = buddy_of(heap, s + offset, order)
            hint = (
                " (adding the size finds the buddy of a left half only: use XOR)"
                if got == s + offset + (1 << order)
                else ""
            )
            cases.expect(
                got == want,
                f"buddy_of(heap, start + {offset:#x}, order {order}) gave {_offset(got, s)}; expected start + "
                f"{want - s:#x} (offset {offset:#x} XOR {1 << order:#x}){hint}",
            )
    return cases


def _offset(value: object, start: int) -> str:
    return f"start + {value - start:#x}" if isinstance(value, int) else repr(value)


def _same(cases: Cases, mine: Buddy, real: Buddy, what: str) -> None:
    cases.expect(
        mine.free_counts() == real.free_counts(),
        f"{what}: free blocks per order {mine.min_order}..{mine.max_order} are {mine.free_counts()}; "
        f"expected {real.free_counts()}",
    )
    mine.check()


def check_split(fns: dict) -> Cases:
    cases = Cases()
    for name, sizes in (
        ("alloc(33) from a whole 1 KiB block", (33,)),
        ("the smallest block, 16 bytes", (1,)),
        ("a second request reuses the upper halves", (100, 16, 200)),
    ):
        with cases.case(name, 1):
            mine, real = ExerciseBuddy(split=fns["split"]), Buddy(max_order=10, min_order=4, grow=False)
            for n in sizes:
                a, b = mine.alloc(n), real.alloc(n)
                cases.expect(a == b, f"alloc({n}) returned {_offset(a, mine.start)}; expected {_offset(b, real.start)}")
            _same(cases, mine, real, f"after alloc{sizes if len(sizes) > 1 else f'({sizes[0]})'}")
    return cases


def check_merge(fns: dict) -> Cases:
    cases = Cases()
    scenarios = (
        ("free a block whose buddy is free", (64, 64), (1,)),
        ("merges all the way up", (16, 16, 32, 64), (0, 1, 2, 3)),
        ("a right half merges with its left buddy", (64, 64), (0, 1)),
        ("no merge while the buddy is split or used", (32, 16, 16, 64), (0, 3, 2)),
    )
    for name, sizes, frees in scenarios:
        with cases.case(name, 1):
            mine, real = ExerciseBuddy(merge=fns["merge"]), Buddy(max_order=10, min_order=4, grow=False)
            for heap in (mine, real):
                p = [heap.alloc(n) for n in sizes]
                for i in frees:
                    heap.free(p[i])
            _same(cases, mine, real, f"after alloc of {list(sizes)} and freeing blocks {list(frees)}")
    return cases


def demo(split, merge):
    """Allocate 33, 100 and 16 bytes from a 1 KiB zone, then free them: splits, then merges."""
    from ...viz.buddy import tree_view
    from ...widgets import Player

    heap = ExerciseBuddy(split=split, merge=merge)
    with heap.record() as rec:
        p = [heap.alloc(n) for n in (33, 100, 16)]
        for a in p:
            heap.free(a)
    return Player(rec.recording, tree_view(), title="Your split and merge")


EXERCISE = Exercise(
    "06_buddy_allocation",
    "Buddy allocation",
    (
        Question("buddy_of", "finding a buddy", ("buddy_of",), 4, check_buddy_of),
        Question("split", "splitting down to the right order", ("split",), 3, check_split),
        Question("merge", "merging with free buddies", ("merge",), 4, check_merge),
    ),
)
