"""Lecture demo: a test that fails because it leaks (Zig's ``std.testing.allocator``).

Two small tests run on a testing allocator. Both fill an allocator-aware growable array, which
grows by asking the allocator to resize or move its block; the first test calls ``deinit`` and
passes, the second forgets it, and the end of the test points at the leaked block.
"""

from __future__ import annotations

from ..compose.arraylist import ArrayList
from ..compose.testing import TestingAllocator
from ..manual.errors import MemoryLeak
from ..viz import keys
from ..widgets import Ask, heap_player
from ..widgets.player import Player

TITLE = "A test that fails on a leak"


TESTS = """
def test_cubes(gpa):
    cubes = ArrayList(gpa)
    for i in range(10):
        cubes.append(i ** 3)
    cubes.deinit()

def test_squares(gpa):
    squares = ArrayList(gpa)
    for i in range(40):
        squares.append(i * i)
    # forgot: squares.deinit()
"""


def tests() -> dict:
    """The two tests, compiled as if from a learner's file ``test_lists.py`` (so sites name it)."""
    namespace = {"__name__": "test_lists", "ArrayList": ArrayList}
    exec(compile(TESTS, "test_lists.py", "exec"), namespace)
    return namespace


def demo(scale: float = 1.6) -> Player:
    found = tests()
    gpa = TestingAllocator("freelist:chunk=512")
    with gpa.record() as rec:
        gpa.note("test_cubes starts: it fills a growable array and calls deinit()")
        found["test_cubes"](gpa)
        gpa.note("test_cubes passes: nothing is left allocated")
        gpa.note("test_squares starts: it fills a growable array, and forgets deinit()")
        found["test_squares"](gpa)
        try:
            gpa.deinit()
        except MemoryLeak:
            pass
    end = len(rec.recording) - 1
    left = [b.address for b in rec.recording[end - 1].snapshot.blocks if b.state == "allocated"]
    leak = Ask(
        step=end,
        question="test_squares returns without deinit(). Click every block still allocated, then press check: "
        "what will the test report?",
        answer=[keys.block(a) for a in left],
        why="One block is left: the squares' array, moved when it outgrew its first block. At the end of each "
        "test the testing allocator checks that nothing is left, and fails the test naming the step and the "
        "line that allocated the block.",
    )
    return heap_player(rec.recording, title=TITLE, scale=scale, predict=[leak])
