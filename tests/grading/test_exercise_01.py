"""Exercise 01 (a stack allocator): the solution scores full marks, classic mistakes get partial
marks with a message that names them, and the learner's stack stays memlab's real Stack."""

from __future__ import annotations

import pytest
from exercise_kit import answers, solution_path
from exercise_kit import graded as graded_on

from memlab.allocators.stack import StackOverflow
from memlab.errors import OutOfOrderFree
from memlab.grading import Limits, check
from memlab.grading.checks import exercise
from memlab.grading.checks.e01_stack_allocation import ExerciseStack, demo
from memlab.grading.grader import grade

SOLUTION = solution_path("01")


def namespace(**code: str) -> dict:
    """The solution's definitions, with some functions replaced by the given code."""
    return answers("01", *code.values())


def graded(ns: dict, name: str) -> tuple[float, str]:
    return graded_on("01", name, ns)


def test_the_solution_scores_full_marks_with_its_hidden_tests():
    feedback = check("01", namespace())
    assert feedback.score == feedback.max_score == 10, str(feedback)
    (result,) = grade([SOLUTION], limits=Limits(seconds=10))
    assert result.score == result.max_score == 12
    assert [t.name for t in result.tests if "hidden" in t.name] == [
        "stack_alloc: hidden test 1",
        "stack_free: hidden test 1",
    ]


WRONG = {
    "no alignment": (
        "stack_alloc",
        """def stack_alloc(stack, size, align):
    if stack.sp + size > stack.limit:
        raise StackOverflow(f"{size} bytes do not fit")
    address, stack.sp = stack.sp, stack.sp + size
    return address""",
        3,
        "alloc(16, align=16) after [(3, 1)] returned 0x10003, which is not a multiple of 16; expected 0x10010",
    ),
    "off by one at the limit": (
        "stack_alloc",
        """def stack_alloc(stack, size, align):
    address = (stack.sp + align - 1) & -align
    if address + size >= stack.limit:
        raise StackOverflow(f"{size} bytes do not fit")
    stack.sp = address + size
    return address""",
        4,
        "raised StackOverflow, but the block fits at 0x100c8, ending at 0x10100, exactly at the limit 0x10100",
    ),
    "an overflow that does not say what": (
        "stack_alloc",
        """def stack_alloc(stack, size, align):
    address = (stack.sp + align - 1) & -align
    if address + size > stack.limit:
        raise StackOverflow("stack overflow")
    stack.sp = address + size
    return address""",
        3,
        "the StackOverflow says 'stack overflow': name the request (57 bytes)",
    ),
    "a general error instead of the stack's own": (
        "stack_alloc",
        """def stack_alloc(stack, size, align):
    address = (stack.sp + align - 1) & -align
    if address + size > stack.limit:
        raise MemoryError(f"{size} bytes do not fit")
    stack.sp = address + size
    return address""",
        3,
        "raised MemoryError: 57 bytes do not fit; a stack raises its own StackOverflow "
        "(from memlab.allocators.stack import StackOverflow)",
    ),
    "sp back to the block, not the marker": (
        "stack_free",
        "def stack_free(stack, address):\n    stack.sp = address",
        1,
        "after free(0x10010) sp is 0x10010; expected 0x10003, where sp was before that alloc",
    ),
    "freeing out of order silently": (
        "stack_free",
        "def stack_free(stack, address):\n    stack.sp = stack.top().sp_before",
        2,
        "free(0x10000) returned silently, with 0x10008 on top (sp is now 0x10008): a stack cannot free below "
        "its top, so raise OutOfOrderFree",
    ),
    "a refusal that does not name the top": (
        "stack_free",
        """def stack_free(stack, address):
    top = stack.top()
    if top.address != address:
        raise OutOfOrderFree("out of order")
    stack.sp = top.sp_before""",
        2,
        "the OutOfOrderFree says 'out of order': name the block on top, 0x10008",
    ),
    "a refusal with a ValueError": (
        "stack_free",
        """def stack_free(stack, address):
    top = stack.top()
    if top.address != address:
        raise ValueError(f"{top.address:#x} is on top")
    stack.sp = top.sp_before""",
        2,
        "raised ValueError: 0x10008 is on top; a stack raises its own OutOfOrderFree "
        "(from memlab.errors import OutOfOrderFree)",
    ),
    "the backtrace from memlab's list, not the bytes": (
        "backtrace",
        "def backtrace(stack):\n    return [f.address for f in reversed(stack.frames)]",
        1,
        "after the record at 0x10010 was overwritten with 0, backtrace returned ['0x10030', '0x10010', '0x10000']",
    ),
}


@pytest.mark.parametrize("name", WRONG)
def test_classic_wrong_answers_get_partial_marks_with_a_helpful_message(name):
    function, code, expected, message = WRONG[name]
    ns = namespace(**{function: code})
    earned, messages = graded(ns, function)
    assert earned == expected, messages
    assert message in messages
    for other in {"stack_alloc", "stack_free", "backtrace"} - {function}:
        assert graded(ns, other)[0] == exercise("01").question(other).points


def test_moving_sp_before_an_overflow_is_caught_and_named():
    ns = namespace(
        stack_alloc="""def stack_alloc(stack, size, align):
    address = (stack.sp + align - 1) & -align
    stack.sp = address + size
    if stack.sp > stack.limit:
        raise StackOverflow(f"{size} bytes do not fit")
    return address"""
    )
    earned, messages = graded(ns, "stack_alloc")
    assert earned == 3
    assert "raised AssertionError: sp moved from 0x100c8 to 0x10101 although the request failed" in messages


def test_a_refused_free_leaves_the_stack_exactly_as_it_was():
    ns = namespace()
    stack = ExerciseStack(alloc=ns["stack_alloc"], free=ns["stack_free"])
    a = stack.alloc(8, 8)
    b = stack.alloc(16, 16)
    stack.memory.write(b, b"sixteen bytes!!!")
    before = (stack.layout(), stack.memory.read(stack.base, 64), stack.sp)
    with pytest.raises(OutOfOrderFree, match=f"free of {a:#x} out of order: the block on top is {b:#x}"):
        stack.free(a)
    with pytest.raises(StackOverflow, match="1000 bytes"):
        stack.alloc(1000, 8)
    assert (stack.layout(), stack.memory.read(stack.base, 64), stack.sp) == before
    stack.check()


def test_watching_the_solution_shows_the_refusal_and_the_frame():
    ns = namespace()
    player = demo(ns["stack_alloc"], ns["stack_free"])
    script = player.recording.script()
    assert "5. refused: free of 0x10000 out of order: the block on top is 0x10008" in script
    assert "pop frame 'f': 1 block (24 bytes) freed at once" in script
    player.seek(len(player.recording) - 1)
    assert "Step 8 of 8" in player.caption
    assert "0x10010" in player.html
