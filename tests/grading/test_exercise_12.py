"""Exercise 12: the peak of live bytes and the replay's two measures, graded on memlab's heaps."""

from __future__ import annotations

import pytest
from exercise_kit import answers, exercise_path, solution_path
from exercise_kit import graded as graded_on

from memlab.grading import Limits, check
from memlab.grading.checks import exercise
from memlab.grading.grader import grade

SOLUTION = solution_path("12")
EXERCISE = exercise("12")


def graded(name: str, code: str):
    """(earned, points, messages) for question ``name`` with the solution's other answers and ``code``."""
    earned, messages = graded_on("12", name, answers("12", code))
    return earned, EXERCISE.question(name).points, messages


REALLOC_ADDS = """
def peak_live(ops):
    sizes, live, peak = {}, 0, 0
    for kind, ident, size in ops:
        if kind == "f":
            live -= sizes.pop(ident)
        else:
            live += size  # a realloc counted as a new block
            sizes[ident] = size
            peak = max(peak, live)
    return peak
"""

FREES_FIRST_SIZE = """
def peak_live(ops):
    sizes, live, peak = {}, 0, 0
    for kind, ident, size in ops:
        if kind == "a":
            live += size
            sizes[ident] = size
        elif kind == "r":
            live += size - sizes[ident]  # sizes[ident] is never updated
        else:
            live -= sizes.pop(ident)
        peak = max(peak, live)
    return peak
"""

LAST_NOT_PEAK = """
def peak_live(ops):
    sizes, live = {}, 0
    for kind, ident, size in ops:
        if kind == "f":
            live -= sizes.pop(ident)
        else:
            live += size - sizes.get(ident, 0)
            sizes[ident] = size
    return live
"""

MEASURED_AT_THE_END = """
def measure(ops, heap):
    address, sizes, live, peak = {}, {}, 0, 0
    for kind, ident, size in ops:
        if kind == "f":
            heap.free(address.pop(ident))
            live -= sizes.pop(ident)
            continue
        if kind == "a":
            address[ident] = heap.alloc(size)
        else:
            address[ident] = heap.realloc(address[ident], size)
        live += size - sizes.get(ident, 0)
        sizes[ident] = size
        peak = max(peak, live)
    return peak / heap.footprint, heap.footprint / peak
"""

OLD_ADDRESS_KEPT = MEASURED_AT_THE_END.replace("address[ident] = heap.realloc", "heap.realloc").replace(
    "return peak / heap.footprint, heap.footprint / peak", "return 0.5, 2.0"
)


def test_the_solution_scores_full_marks_in_the_notebook_check():
    feedback = check("12", answers("12"))
    assert feedback.score == feedback.max_score == 10, str(feedback)


def test_the_solution_passes_the_hidden_tests_and_a_stub_scores_zero():
    solved, untouched = grade([SOLUTION, exercise_path("12")], limits=Limits(seconds=20))
    assert solved.score == solved.max_score == 12
    assert untouched.score == 0
    assert all("not written yet" in t.output for t in untouched.tests)


def test_a_realloc_counted_as_a_new_block_is_named_at_its_operation():
    earned, points, messages = graded("peak_live", REALLOC_ADDS)
    assert (earned, points) == (2, 5)
    assert (
        "your live count goes wrong at op 3, `r 0 100`: 64 bytes are live before it and 124 after it, your count "
        "says 164; a realloc changes live bytes by the new size minus the old one (100 - 40 = +60)"
    ) in messages


def test_a_size_not_updated_by_realloc_is_found_in_a_shipped_trace_by_its_line():
    earned, _, messages = graded("peak_live", FREES_FIRST_SIZE)
    assert earned == 3
    assert "a block grown twice by realloc: peak_live gave 228, expected 168" in messages
    assert "your live count goes wrong at cc1-hello.rep, line " in messages
    assert "a realloc changes live bytes by the new size minus the old one" in messages


def test_the_last_live_count_is_not_the_peak():
    earned, _, messages = graded("peak_live", LAST_NOT_PEAK)
    assert earned == 0
    assert "your live count is right after every operation, but the peak is 104 bytes, reached at op 5" in messages
    assert "your live count is right at the end, but the peak is 2,533,607 bytes, reached at cc1-hello.rep" in messages


def test_measures_taken_at_the_end_lose_the_two_cases_that_tell():
    earned, _, messages = graded("measure", MEASURED_AT_THE_END)
    assert earned == 3
    assert "that is 5100 peak live bytes / 8192, the heap at the end; malloclab divides by the largest heap" in messages
    assert "fragmentation 1.7200: that is the heap at the end (688 bytes) / the peak" in messages
    assert "(528 bytes then)" in messages


def test_a_stale_address_after_realloc_is_refused_by_the_heap_and_explained():
    earned, _, messages = graded("measure", OLD_ADDRESS_KEPT)
    assert earned < 5
    assert "the heap refused op 7, `f 2`: double free at 0x1010" in messages
    assert "heap.realloc may move a block: keep the address it returns for that id" in messages


@pytest.mark.parametrize(
    "answer", ["def measure(ops, heap):\n    return 1.0", "def measure(ops, heap):\n    return None"]
)
def test_a_result_that_is_not_a_pair_is_named(answer):
    earned, _, messages = graded("measure", answer)
    assert earned == 0
    assert "expected a pair (utilization, fragmentation)" in messages


def test_the_learner_cannot_change_the_traces_the_check_compares_with():
    code = "def peak_live(ops):\n    ops.clear()\n    return 0"
    earned, _, messages = graded("peak_live", code)
    assert earned == 0
    assert "allocs and frees only: peak_live gave 0, expected 104" in messages
