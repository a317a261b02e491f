"""Exercise 05 (segregated fits): the solution scores full marks, classic mistakes get partial
marks with a message that names them, and the checks read the lists from simulated memory."""

from __future__ import annotations

import pytest
from exercise_kit import answers, graded

from memlab.grading.checks import exercise
from memlab.grading.checks.e05_segregated_fits import MEMLAB, ClassHeap, head, measure, succ, valid

EX = exercise("05")


@pytest.fixture(scope="module")
def solution() -> dict:
    return answers("05")


def grade(question: str, fn) -> tuple[float, str]:
    return graded("05", question, {question: fn})


def test_the_solution_scores_full_marks(solution):
    for q in EX.questions:
        assert q.grade(solution).earned == q.points == {"size_class": 4, "find_fit": 7, "choose_bounds": 4}[q.name]


def test_a_strict_bound_is_off_by_one_class():
    earned, messages = grade("size_class", lambda size, bounds: sum(b <= size for b in bounds))
    assert earned == 2
    assert "size_class(16, (16, 24, 32" in messages and "gave 1; expected 0" in messages
    assert "hangs on list 1 (head word at 0x1004); with bounds (32, 64, 256) it belongs on list 0" in messages


def test_no_class_above_the_last_bound():
    earned, messages = grade("size_class", lambda size, bounds: min(sum(b < size for b in bounds), len(bounds) - 1))
    assert earned == 2
    assert "gave 13; expected 14: above the last bound is class len(bounds)" in messages


def test_a_class_index_out_of_range_is_named_not_crashed():
    earned, messages = grade("size_class", lambda size, bounds: 99)
    assert earned == 0
    assert "size_class(16, (32, 64, 256)) returned 99; expected a class 0-3" in messages


def own_class_only(heap, asize):
    bp = head(heap, sum(b < asize for b in heap.bounds))
    while bp and heap.memory.read_word(bp - 4, 4) < asize:
        bp = succ(heap, bp)
    return bp


def head_of_each_class(heap, asize):
    for k in range(sum(b < asize for b in heap.bounds), heap.classes):
        if head(heap, k):
            return head(heap, k)
    return 0


def test_searching_only_the_own_class_misses_larger_ones():
    earned, messages = grade("find_fit", own_class_only)
    assert earned == 4
    assert "find_fit(heap, 56) gave 0; expected the 80-byte block at 0x1048: lists 5 and 6 are empty" in messages
    assert "find_fit(heap, 128) gave 0; expected the 312-byte block at 0x11e8" in messages


def test_taking_a_class_head_unchecked_is_too_small():
    earned, messages = grade("find_fit", head_of_each_class)
    assert earned == 4
    assert "list 7 reads 80 -> 120 -> 104: the 120-byte block is the first that fits" in messages
    assert "returned 0x1048, a 80-byte block: too small" in messages


def test_reading_the_smaller_classes_is_named(solution):
    def from_zero(heap, asize):
        for k in range(heap.classes):
            bp = head(heap, k)
            while bp:
                if heap.memory.read_word(bp - 4, 4) >= asize:
                    return bp
                bp = succ(heap, bp)
        return 0

    earned, messages = grade("find_fit", from_zero)
    assert earned == 6
    assert "find_fit(heap, 600) read the heads of lists [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]" in messages


def test_memlabs_classes_fail_the_binary_trace_with_the_reason():
    earned, messages = grade("choose_bounds", lambda: MEMLAB)
    assert earned == 2
    assert "binary (seed 1) examined 82.3 blocks per search" in messages
    assert "freed 416-byte blocks sit in class 9, where the 480-byte requests start too" in messages
    earned, messages = grade("choose_bounds", lambda: (8192,))
    assert earned == 1
    assert "random: utilization 80.1%, 2.7 examined per search; memlab's classes: 88.1%, 2.1" in messages


@pytest.mark.parametrize(
    "bounds, reason",
    [((24, 16), "must rise strictly"), ((16, 20), "multiple of 8"), (tuple(range(16, 136, 8)), "1 to 14 bounds")],
)
def test_invalid_bounds_are_refused(bounds, reason):
    assert reason in valid(bounds)
    earned, messages = grade("choose_bounds", lambda: bounds)
    assert earned == 0 and reason in messages


def test_the_heap_lists_blocks_under_the_chosen_bounds_in_memory():
    heap = ClassHeap((32, 64, 256), chunk=512)
    a, _, b, _ = heap.alloc(100), heap.alloc(8), heap.alloc(40), heap.alloc(8)
    heap.free(a)
    heap.free(b)
    heap.check()
    read = heap.memory.read_word
    assert read(heap.heads_address + 4 * 1, 4) == b  # 48 bytes: class 1 (33-64)
    assert read(heap.heads_address + 4 * 2, 4) == a  # 112 bytes: class 2 (65-256)
    assert measure(MEMLAB, "peaks")[1] < 1.1
