"""Exercise 08 (slab allocation): the solution scores full marks, classic mistakes get partial
marks with a message that names them, and the slab list is read from simulated memory."""

from __future__ import annotations

import pytest
from exercise_kit import answers, graded

from memlab.allocators.slab.cache import SlabCache
from memlab.allocators.slab.geometry import NEXT
from memlab.grading.checks import exercise
from memlab.grading.checks.e08_slab_allocation import EXAMPLE, SIZE_FOR, demo, random_program, run

EX = exercise("08")


@pytest.fixture(scope="module")
def solution() -> dict:
    return answers("08")


def grade(question: str, fn) -> tuple[float, str]:
    return graded("08", question, {question: fn})


def test_the_solution_scores_full_marks(solution):
    assert [(q.name, q.grade(solution).earned) for q in EX.questions] == [("geometry", 5), ("slab_list", 6)]


def test_forgetting_the_slab_structure_is_named(solution):
    def whole_page(size, align, page):
        pages, objects, slack, colours = solution["geometry"](size, align, page)
        if max(size, 8) >= page // 8:
            return pages, objects, slack, colours
        buffer = -(-max(size, 8) // align) * align
        return 1, page // buffer, page % buffer, page % buffer // align + 1

    earned, messages = grade("geometry", whole_page)
    assert earned == 2
    assert (
        "geometry(32, 8, 4096) gave pages, objects, slack, colours = (1, 128, 0, 1); memlab's slab: (1, 126, 16, 3)"
        in messages
    )
    assert "the 48-byte slab structure sits at the end of the page" in messages


def test_colours_without_offset_zero_cost_two_cases(solution):
    def no_zero(size, align, page):
        pages, objects, slack, colours = solution["geometry"](size, align, page)
        return pages, objects, slack, colours - 1

    earned, messages = grade("geometry", no_zero)
    assert earned == 3
    assert "geometry(480, 8, 4096) gave 26 colours for 208 bytes of slack; expected 27" in messages
    assert "offset 0 is a colour too" in messages


def test_one_page_for_large_objects_misses_the_waste_rule(solution):
    def one_page(size, align, page):
        pages, objects, slack, colours = solution["geometry"](size, align, page)
        if pages == 1:
            return pages, objects, slack, colours
        buffer = -(-size // align) * align
        return 1, page // buffer, page % buffer, page % buffer // align + 1

    earned, messages = grade("geometry", one_page)
    assert earned == 3
    assert "geometry(2100, 8, 4096)" in messages and "(4, 7, 1656, 208)" in messages
    assert "the fewest pages whose slack is at most 1/8 of the slab" in messages


def never_moves(per_slab, program):
    slabs, slab_of = [], []
    for op in program:
        if op == "alloc":
            slab = next((s for s in slabs if s[1] < per_slab), None)
            if slab is None:
                slab = [len(slabs), 0]
                slabs.append(slab)
            slab[1] += 1
            slab_of.append(slab)
        elif op != "reap":
            slab_of[op[1]][1] -= 1
    return [tuple(s) for s in slabs]


def test_a_list_that_never_moves_its_slabs():
    earned, messages = grade("slab_list", never_moves)
    assert earned == 1
    assert (
        "memlab's list, read from the slab structures: slab 1 partial (3/4) -> slab 2 partial (3/4) -> "
        "slab 0 partial (3/4); yours: slab 0 partial (3/4) -> slab 1 partial (3/4) -> slab 2 partial (3/4)"
    ) in messages
    assert "slab 0 full (3/3) -> slab 2 partial (2/3) -> slab 1 free (0/3)" in messages


def test_an_answer_of_the_wrong_shape_is_shown_as_it_is():
    earned, messages = grade("slab_list", lambda per_slab, program: "full")
    assert earned == 0
    assert "yours: 'full'" in messages


def test_the_list_is_read_from_the_slab_structures_next_words():
    assert run(3, EXAMPLE) == [(0, 3), (2, 3), (1, 0)]
    cache = SlabCache("obj", SIZE_FOR[3], 8)
    objects = [cache.alloc() for _ in range(9)]
    cache.free(objects[0])  # slab 0 moves to the front of the partial slabs: after slabs 1 and 2
    first = cache._head.next.struct
    second = cache.memory.read_word(first + 8 * NEXT)
    third = cache.memory.read_word(second + 8 * NEXT)
    assert cache.memory.read_word(third + 8 * NEXT) == 0
    assert run(3, ["alloc"] * 9 + [("free", 0)]) == [(1, 3), (2, 3), (0, 2)]


def test_random_programs_reap_and_renumber():
    program = random_program(5, 400, seed=8)
    assert program.count("reap") > 0
    numbers = [s for s, _ in run(5, program)]
    assert len(set(numbers)) == len(numbers) and max(numbers) >= len(numbers)


def test_the_demo_title_compares_with_the_cache(solution):
    player = demo(solution["geometry"], solution["slab_list"])
    assert "(1, 3, 496, 63) (right); your slab list: matches the cache" in player.title
    player.seek(-1)
    assert "obj-1200           6        9" in player.html  # slabs 0 and 2 full, slab 1 free: 6 of 9 in use
    wrong = demo(lambda *a: (1, 4, 0, 1), never_moves).title
    assert "memlab: (1, 3, 496, 63)" in wrong and "differs from the cache" in wrong
