"""Exercise 11 (composing allocators): the solution scores full marks, classic mistakes get
partial marks with a message that names them, and the checks read which child holds each block."""

from __future__ import annotations

import pytest
from exercise_kit import answers, graded

from memlab.errors import InvalidFree, OutOfMemory
from memlab.grading.checks import exercise
from memlab.grading.checks.e11_composing_allocators import ExerciseFallback, ExerciseTesting, demo
from memlab.manual.errors import MemoryLeak

EX = exercise("11")


@pytest.fixture(scope="module")
def solution() -> dict:
    return answers("11")


def grade(question: str, **fns) -> tuple[float, str]:
    return graded("11", question, fns)


def test_the_solution_scores_full_marks(solution):
    for q in EX.questions:
        assert q.grade(solution).earned == q.points == {"fallback_alloc": 4, "fallback_free": 3, "testing": 4}[q.name]


def test_always_the_fallback_never_uses_the_buffer():
    earned, messages = grade("fallback_alloc", fallback_alloc=lambda fb, size, align: fb.fallback.alloc(size, align))
    assert earned == 1
    assert "from the fallback heap; the 128-byte buffer at 0x" in messages
    assert "was empty: try fb.fixed first" in messages


def test_checking_the_capacity_instead_of_trying():
    def by_capacity(fb, size, align):
        if size <= fb.fixed.capacity:
            return fb.fixed.alloc(size, align)
        return fb.fallback.alloc(size, align)

    earned, messages = grade("fallback_alloc", fallback_alloc=by_capacity)
    assert earned == 3
    assert "request 4 (40 bytes) raised OutOfMemory" in messages
    assert "the buffer has 8 bytes left, so catch OutOfMemory from fb.fixed and ask fb.fallback" in messages


def test_a_swallowed_failure_is_named():
    def swallow(fb, size, align):
        for child in (fb.fixed, fb.fallback):
            try:
                return child.alloc(size, align)
            except OutOfMemory:
                pass
        return None

    earned, messages = grade("fallback_alloc", fallback_alloc=swallow)
    assert earned == 3
    assert (
        "fallback_alloc(fb, 1000, 8) returned None: return an address, or let OutOfMemory reach the caller" in messages
    )


def test_trying_the_buffer_first_is_undefined_behaviour_in_zig():
    def try_buffer(fb, address):
        try:
            fb.fixed.free(address)
        except InvalidFree:
            fb.fallback.free(address)

    earned, messages = grade("fallback_free", fallback_free=try_buffer)
    assert earned == 2
    assert "you asked the buffer to free 0x1010, a block of the fallback heap (in Zig, undefined behaviour)" in messages


def test_every_free_to_the_fallback():
    earned, messages = grade("fallback_free", fallback_free=lambda fb, address: fb.fallback.free(address))
    assert earned == 1
    assert "free(0x3fff050), a block of the buffer, went to the fallback heap" in messages


def test_a_deinit_that_only_prints_does_not_fail_the_test(solution):
    def deinit(t):
        for address, (size, step) in t.blocks.items():
            print(f"{size} bytes at {address:#x}, allocated at step {step}")

    fns = {k: solution[k] for k in ("checked_alloc", "checked_free")}
    earned, messages = grade("testing", deinit=deinit, **fns)
    assert earned == 2
    assert (
        "deinit() returned quietly, but 24 bytes at 0x1010 (step 1) never came back: a test that leaks must fail"
        in messages
    )


def test_a_free_that_keeps_the_bookkeeping_reports_false_leaks(solution):
    def checked_free(t, address, size):
        t.child.free(address)

    earned, messages = grade(
        "testing", checked_free=checked_free, checked_alloc=solution["checked_alloc"], deinit=solution["deinit"]
    )
    assert earned == 3
    assert "though every block was freed: checked_free must delete the block from t.blocks" in messages


def test_an_unsorted_report_is_told_to_sort(solution):
    def deinit(t):
        if t.blocks:
            raise MemoryLeak("\n".join(f"{n} bytes at {a:#x}, allocated at step {s}" for a, (n, s) in t.blocks.items()))

    fns = {k: solution[k] for k in ("checked_alloc", "checked_free")}
    earned, messages = grade("testing", deinit=deinit, **fns)
    assert earned == 3
    assert "'48 bytes at 0x1028, allocated at step 5']: sort them by address" in messages


def test_the_solution_keeps_the_contract_and_its_report_names_each_leak(solution):
    from memlab.contract import random_walk

    fb = lambda: ExerciseFallback(512, alloc=solution["fallback_alloc"], free=solution["fallback_free"])  # noqa: E731
    harness = random_walk(fb, ops=1_000, seed=9, max_request=256, aligns=(None, 16, 64), returns_to_empty=False)
    assert harness.heap.fixed.foreign == []
    t = ExerciseTesting(alloc=solution["checked_alloc"], free=solution["checked_free"], deinit=solution["deinit"])
    a, b = t.alloc(24), t.alloc(8)
    t.free(b)
    with pytest.raises(MemoryLeak) as leak:
        t.deinit()
    assert str(leak.value) == f"1 block(s) leaked:\n24 bytes at {a:#x}, allocated at step 1"


def test_the_demo_animates_the_learners_fallback(solution):
    player = demo(solution["fallback_alloc"], solution["fallback_free"])
    script = player.recording.script()
    assert "  3. alloc 40 bytes at 0x3fff050" in script  # the buffer's third block
    assert "  5. alloc 40 bytes at 0x1010" in script  # the first from the free-list heap
    player.seek(-1)
    assert player.caption == "Step 12 of 12: free the 40-byte block at 0x3fff050"
