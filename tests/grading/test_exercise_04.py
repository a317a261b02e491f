"""Exercise 04's second question, coalescing without allocated footers: the solution scores full
marks, and classic mistakes cost the cases they break, with a message that names them."""

from __future__ import annotations

import pytest
from exercise_kit import answers, graded

from memlab import HeapCorruption
from memlab.grading.checks import exercise
from memlab.grading.checks.boundary_tags import ExerciseHeap, left_free, tags

READ_ALWAYS = """
def coalesce_lean(heap, bp, left_is_free):
    return coalesce(heap, bp)  # the first answer again: it reads the word below the header every time
"""

LEAN = """
def coalesce_lean(heap, bp, left_is_free):
    size, _ = get(heap, bp - 4)
    next_size, next_allocated = get(heap, bp + size - 4)
    if not next_allocated:
        size += next_size
    if left_is_free:
        prev_size, _ = get(heap, bp - 8)
        size += prev_size
        bp -= prev_size
    put(heap, bp - 4, size, False)
    put(heap, bp + size - 8, size, False)
    set_left_free(heap, bp + size - 4, True)
    return bp
"""
NO_BIT = LEAN.replace("    set_left_free(heap, bp + size - 4, True)\n", "")
NO_FOOTER = LEAN.replace("    put(heap, bp + size - 8, size, False)\n", "")

BIT_MESSAGE = "just after the merged block, still says its left neighbour is allocated: set its bit 1 (set_left_free)"


def grade(*code: str) -> tuple[float, str]:
    return graded("04", "coalesce_lean", answers("04", *code))


def test_the_solution_scores_full_marks_on_both_questions():
    solution = answers("04")
    assert [(q.name, q.grade(solution).earned) for q in exercise("04").questions] == [
        ("coalesce", 5),
        ("coalesce_lean", 5),
    ]


def test_the_answer_the_mistakes_are_made_from_is_right():
    assert NO_BIT != LEAN != NO_FOOTER
    assert grade(LEAN) == (5, "ok\nok\nok\nok\nok")


def test_reading_the_left_footer_every_time_merges_with_a_payload():
    earned, messages = grade(READ_ALWAYS)
    assert earned == 1, messages  # only case 4, where the left block really is free and d's bit was set
    assert "got a: header 24/allocated (no footer), b: header 24/free, footer 72/free" in messages
    assert "(0x30 looks like a free tag): read it only when left_is_free is True" in messages


def test_forgetting_the_next_blocks_bit_costs_the_cases_where_nobody_else_sets_it():
    earned, messages = grade(NO_BIT)
    assert earned == 3, messages  # cases 1 and 3; in 2 and 4 the freed right neighbour had set it already
    assert messages.count(BIT_MESSAGE) == 2


def test_a_merged_block_still_needs_its_footer():
    earned, messages = grade(NO_FOOTER)
    assert earned == 2, messages
    assert "the header at 0x100c says 72/free, but the footer at 0x1050 says 24/free" in messages


def test_the_helpers_read_and_write_bit_one_and_nothing_else():
    heap = ExerciseHeap(footers="free")
    a, b = heap.alloc(16), heap.alloc(16)
    header = b - 4
    assert not left_free(heap, header) and tags(heap, b) == "header 24/allocated (no footer)"
    heap.free(a)
    assert left_free(heap, header)
    heap.memory.write_word(header, 24 | 1, 4)  # the bit cleared by hand: check() names the lie
    with pytest.raises(HeapCorruption, match="says the block to its left is allocated, but it is free"):
        heap.check()
