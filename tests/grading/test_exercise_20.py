"""Exercise 20 (pymalloc): the solution scores full marks, classic mistakes get partial marks with a
message that names them, and the demo plays the learner's predictions."""

from __future__ import annotations

import pytest
from exercise_kit import answers, graded

from memlab.grading.checks import exercise
from memlab.grading.checks.e20_pymalloc import demo

EX = exercise("20")


@pytest.fixture(scope="module")
def solution() -> dict:
    return answers("20")


def grade(question: str, fn, solution: dict | None = None) -> tuple[float, str]:
    return graded("20", question, {**(solution or {}), question: fn})


def test_the_solution_scores_full_marks(solution):
    for q in EX.questions:
        assert q.grade(solution).earned == q.points == {"size_class": 2, "blocks_per_pool": 2, "next_block": 5}[q.name]


def test_shifting_without_the_minus_one_is_off_for_exact_sizes():
    earned, messages = grade("size_class", lambda n: None if n < 1 or n > 512 else n >> 4)
    assert earned == 1
    assert "size_class(16) gave 1; expected 0: 16 bytes fit the 16-byte class exactly" in messages


def test_classes_counted_from_one_are_told_they_start_at_zero():
    earned, messages = grade("size_class", lambda n: None if n < 1 or n > 512 else (n + 15) // 16)
    assert earned == 1
    assert "class numbers start at 0 (the 16-byte class): (nbytes - 1) >> 4" in messages


def test_forgetting_the_threshold_loses_the_large_requests():
    earned, messages = grade("size_class", lambda n: (n - 1) >> 4)
    assert earned == 1
    assert "size_class(513) gave 32; expected None: CPython passes requests over 512 bytes" in messages


def test_forgetting_the_pool_header():
    earned, messages = grade("blocks_per_pool", lambda pool_size, szidx: pool_size // (16 * (szidx + 1)))
    assert earned == 0
    assert "blocks_per_pool(16384, 0) gave 1024; expected 1021 16-byte blocks: the pool's first 48 bytes" in messages


def test_taking_the_tail_of_usedpools(solution):
    def tail(heap, nbytes):
        pools = heap.used_list((nbytes - 1) >> 4)
        return heap.header(pools[-1])["freeblock"] if pools else solution["next_block"](heap, nbytes)

    earned, messages = grade("next_block", tail, solution)
    assert earned == 4
    assert "that is the last pool's block; a request takes the first pool's" in messages


def test_carving_a_new_pool_when_an_empty_one_waits(solution):
    def always_carve(heap, nbytes):
        szidx = (nbytes - 1) >> 4
        if heap.usedpools[szidx]:
            return heap.header(heap.usedpools[szidx])["freeblock"]
        return heap.usable_arenas.pool_address + 48

    earned, messages = grade("next_block", always_carve, solution)
    assert earned == 2
    assert "a new pool is carved only when the arena's freepools is empty" in messages


def test_a_new_pool_without_its_header_and_a_reused_pool_that_kept_its_list(solution):
    def no_header(heap, nbytes):
        szidx = (nbytes - 1) >> 4
        if heap.usedpools[szidx]:
            return heap.header(heap.usedpools[szidx])["freeblock"]
        arena = heap.usable_arenas
        return arena.freepools or arena.pool_address

    earned, messages = grade("next_block", no_header, solution)
    assert earned == 2
    assert "the first block of a pool starts after its 48-byte header" in messages


def test_a_prediction_that_allocates_is_caught(solution):
    earned, messages = grade("next_block", lambda heap, nbytes: heap.alloc(nbytes), solution)
    assert earned == 0
    assert "next_block changed the heap" in messages


def test_the_demo_plays_the_learners_predictions(solution):
    player = demo(solution["next_block"])
    script = player.recording.script()
    assert script.count(": right") == 14 and ": wrong" not in script
    wrong = demo(lambda heap, nbytes: 0)
    assert "you predicted the 480-byte block at 0x3ff0030: wrong: you said 0x0" in wrong.recording.script()
