"""Exercise 10 (thread caching): the solution scores full marks, classic mistakes get partial
marks with a message that names them, and the checks read TCMalloc's caches and locks back."""

from __future__ import annotations

import pytest
from exercise_kit import answers, graded

from memlab.grading.checks import exercise
from memlab.grading.checks.e10_thread_caching import ExerciseTCMalloc, demo

EX = exercise("10")


@pytest.fixture(scope="module")
def solution() -> dict:
    return answers("10")


def grade(question: str, fn) -> tuple[float, str]:
    return graded("10", question, {question: fn})


def test_the_solution_scores_full_marks(solution):
    for q in EX.questions:
        assert q.grade(solution).earned == q.points == {"size_class": 3, "refill": 4, "release": 4}[q.name]


def test_the_solution_takes_the_same_locks_as_memlabs_tcmalloc(solution):
    from memlab.allocators.tcmalloc.tcmalloc import TCMalloc
    from memlab.allocators.tcmalloc.threads import run_threads

    fns = {k: solution[k] for k in ("size_class", "refill", "release")}
    yours = run_threads(ExerciseTCMalloc(**fns), threads=3, ops=2_000, seed=5)
    real = run_threads(TCMalloc(), threads=3, ops=2_000, seed=5)
    assert yours.locks == real.locks


def test_strictly_larger_class_wastes_an_exact_fit():
    earned, messages = grade(
        "size_class", lambda heap, size: next((c for c in heap.sizes.classes if c.size > size), None)
    )
    assert earned == 2
    assert (
        "size_class(heap, 8) gave the 16-byte class; expected the 8-byte class: 8 bytes fit an object of 8 exactly"
        in messages
    )


def test_rounding_down_is_told_to_round_up():
    def down(heap, size):
        return max((c for c in heap.sizes.classes if c.size <= size), key=lambda c: c.size, default=None)

    earned, messages = grade("size_class", down)
    assert earned == 1
    assert (
        "size_class(heap, 9) gave the 8-byte class; expected the 16-byte class: its objects are 8 bytes, too small"
        in messages
    )
    assert "size_class(heap, 32769) gave the 32768-byte class; expected None (a large object)" in messages


def whole_batch(heap, cache, cls):
    objects, _ = heap.transfer[cls.index].remove_range(cls.batch)
    cache.lists[cls.index].extend(objects)
    cache.size += len(objects) * cls.size


def no_slow_start(heap, cache, cls):
    objects, _ = heap.transfer[cls.index].remove_range(min(cache.max_length[cls.index], cls.batch))
    cache.lists[cls.index].extend(objects)
    cache.size += len(objects) * cls.size


def past_the_transfer_cache(heap, cache, cls):
    objects = heap.central[cls.index].remove_range(min(cache.max_length[cls.index], cls.batch))
    cache.lists[cls.index].extend(objects)
    cache.size += len(objects) * cls.size
    cache.grow_limit(cls)


def test_a_refill_of_a_whole_batch_hoards():
    earned, messages = grade("refill", whole_batch)
    assert earned == 2
    assert "thread 1's first refill took 32 objects: slow start takes min(max_length, batch) = 1" in messages
    assert "ten mallocs made refills of [32]; expected [1, 2, 3, 4]" in messages


def test_a_limit_that_never_grows_is_named():
    earned, messages = grade("refill", no_slow_start)
    assert earned == 2
    assert "refills of [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]; expected [1, 2, 3, 4] (call cache.grow_limit(cls)" in messages


def test_skipping_the_transfer_cache_leaves_its_batch():
    earned, messages = grade("refill", past_the_transfer_cache)
    assert earned == 3
    assert "the transfer cache still holds the batch of 32 thread 2 gave back" in messages


def test_an_empty_refill_is_named_not_crashed():
    earned, messages = grade("refill", lambda heap, cache, cls: None)
    assert earned == 0
    assert "after refill, thread 1's 64-byte list is still empty: malloc has nothing to pop" in messages


def release_all(heap, cache, cls):
    objects = cache.lists[cls.index]
    cache.size -= len(objects) * cls.size
    heap.transfer[cls.index].insert_range(objects[:])
    objects.clear()
    if cache.max_length[cls.index] < cls.batch:
        cache.max_length[cls.index] += 1


def release_one(heap, cache, cls):
    address = cache.lists[cls.index].pop()
    cache.size -= cls.size
    heap.transfer[cls.index].insert_range([address])


def test_giving_back_the_whole_list_is_not_a_batch():
    earned, messages = grade("release", release_all)
    assert earned == 3
    assert "reached 65 objects and gave back [65]; expected one batch of 32" in messages


def test_giving_back_one_object_at_a_time():
    earned, messages = grade("release", release_one)
    assert earned == 1
    assert "gave back [1, 1, 1, 1, 1] objects; expected [2, 3, 4, 5, 6]" in messages


def test_a_forgotten_byte_count_is_caught(solution):
    def release(heap, cache, cls):
        saved = cache.size
        solution["release"](heap, cache, cls)
        cache.size = saved

    earned, messages = grade("release", release)
    assert earned < 4
    assert "thread 2's cache holds" in messages and "subtract count * cls.size" in messages


def test_the_checks_leave_memlabs_own_code_in_charge_outside_the_learners_step():
    heap = ExerciseTCMalloc()
    a = heap.alloc(64, thread=1)
    heap.free(a, thread=1)
    heap.check()
    assert heap.refills == [] and heap.flushes == []  # memlab's own paths, not recorded as the learner's


def test_the_demo_animates_the_learners_code(solution):
    player = demo(solution["size_class"], solution["refill"], solution["release"])
    script = player.recording.script()
    assert "thread 1's 64-byte list is empty: it takes 3 from the central free list" in script
    assert "thread 2's 64-byte list is too long: 2 go back to the central free list" in script
    player.seek(-1)
    assert player.caption == "Step 32 of 32: thread 2: free the 64-byte block at 0x3fe0140"
