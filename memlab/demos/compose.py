"""Lecture demo: a test that fails because it leaks (Zig's ``std.testing.allocator``).

Two small tests run on a testing allocator. Both fill an allocator-aware growable array, which
grows by asking the allocator to resize or move its block; the first test calls ``deinit`` and
passes, the second forgets it, and the end of the test points at the leaked block.
"""

from __future__ import annotations

from ..compose.arraylist import ArrayList
from ..compose.testing import TestingAllocator
from ..events import Note
from ..manual.errors import MemoryLeak
from ..widgets import heap_player
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
        gpa._emit(Note(gpa.step, "test_cubes starts: it fills a growable array and calls deinit()"))
        found["test_cubes"](gpa)
        gpa._emit(Note(gpa.step, "test_cubes passes: nothing is left allocated"))
        gpa._emit(Note(gpa.step, "test_squares starts: it fills a growable array, and forgets deinit()"))
        found["test_squares"](gpa)
        try:
            gpa.deinit()
        except MemoryLeak:
            pass
    return heap_player(rec.recording, title=TITLE, scale=scale)
