"""Exercise 21 (mimalloc): the solution scores full marks, classic mistakes get partial marks with a
message that names them, and the learner's collect runs inside memlab's mimalloc."""

from __future__ import annotations

import pytest
from exercise_kit import answers, graded

from memlab.allocators.mimalloc import MiMalloc
from memlab.grading.checks import exercise
from memlab.grading.checks.e21_mimalloc import ExerciseMiMalloc, demo
from memlab.grading.questions import Failed

EX = exercise("21")


@pytest.fixture(scope="module")
def solution() -> dict:
    return answers("21")


def grade(question: str, fn) -> tuple[float, str]:
    return graded("21", question, {question: fn})


def test_the_solution_scores_full_marks(solution):
    for q in EX.questions:
        assert q.grade(solution).earned == q.points == {"bin_of": 2, "collect": 3, "free_goes_to": 3}[q.name]


def test_bins_without_the_two_word_rounding(solution):
    def words(size):
        w = (size + 7) // 8
        return max(1, w) if w <= 8 else solution["bin_of"](size)

    earned, messages = grade("bin_of", words)
    assert earned == 1
    assert "bin_of(24) gave 3; expected 4 (32-byte blocks): three words round up to four" in messages


def test_bins_without_the_minus_one(solution):
    def off(size):
        w = (size + 7) // 8
        if w <= 8:
            return solution["bin_of"](size)
        b = w.bit_length() - 1
        return (b << 2) + ((w >> (b - 2)) & 3) - 3

    earned, messages = grade("bin_of", off)
    assert earned == 1
    assert "bin_of(1024) gave 25; expected 24 (1024-byte blocks)" in messages


def test_thread_free_behind_local_free():
    def behind(free, local_free, thread_free):
        local_free = tuple(local_free) + tuple(thread_free)
        return (local_free, (), ()) if not free else (tuple(free), local_free, ())

    earned, messages = grade("collect", behind)
    assert earned == 1
    assert "the thread_free list is put in front of local_free" in messages


def test_collecting_local_free_even_when_free_is_not_empty():
    def always(free, local_free, thread_free):
        return tuple(free) + tuple(thread_free) + tuple(local_free), (), ()

    earned, messages = grade("collect", always)
    assert earned == 2
    assert "local_free becomes the free list only when free is empty" in messages


def test_dropping_or_inventing_blocks_stops_the_demo_heap_with_a_reason():
    heap = ExerciseMiMalloc(collect=lambda free, local, remote: ((), (), ()))
    blocks = [heap.alloc(1000) for _ in range(4)]
    heap.free(blocks[0])
    with pytest.raises(Failed, match="the same blocks must stay on the lists"):
        [heap.alloc(1000) for _ in range(5)]


def test_a_free_from_another_thread_always_on_thread_free():
    def always_remote(heap, address, thread):
        return "local_free" if heap.page_of(address).thread == thread else "thread_free"

    earned, messages = grade("free_goes_to", always_remote)
    assert earned == 1
    assert "a page's first free from another thread tells its owner (USE_DELAYED_FREE)" in messages


def test_delayed_only_for_full_pages_as_a_first_reading_of_the_paper_suggests():
    def only_full(heap, address, thread):
        page = heap.page_of(address)
        if page.thread == thread:
            return "local_free"
        return "delayed" if page.in_full else "thread_free"

    earned, messages = grade("free_goes_to", only_full)
    assert earned == 1


def test_the_learners_collect_runs_inside_mimalloc_and_matches_memlabs(solution):
    yours, real = ExerciseMiMalloc(collect=solution["collect"]), MiMalloc()
    blocks = []
    for heap in (yours, real):
        objs = [heap.alloc(48, thread=1) for _ in range(300)]
        for a in objs[::3]:
            heap.free(a, thread=2)
        for a in objs[1::3]:
            heap.free(a, thread=1)
        blocks.append([heap.alloc(48, thread=1) for _ in range(300)])
    assert blocks[0] == blocks[1]
    yours.check()


def test_the_demo_plays_the_learners_collect(solution):
    player = demo(solution["collect"])
    assert "collects 2 freed by the owner (local_free) and 1 freed by other threads" in player.recording.script()
