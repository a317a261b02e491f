"""Exercise 22: the write barrier and the roots of a minor collection, graded on memlab's generational heap."""

from __future__ import annotations

from exercise_kit import answers, exercise_path, solution_path
from exercise_kit import graded as graded_on

from memlab.grading import Limits, check
from memlab.grading.checks import exercise
from memlab.grading.checks.e22_generational_collection import demo
from memlab.grading.grader import grade

SOLUTION = solution_path("22")
EXERCISE = exercise("22")


def graded(name: str, code: str):
    """(earned, points, messages) for question ``name`` with ``code`` in place of the solution's answer."""
    earned, messages = graded_on("22", name, answers("22", code))
    return earned, EXERCISE.question(name).points, messages


REVERSED = """
def write_barrier(source, target, remembered):
    return source == "young" and target == "old" and not remembered
"""

EVERY_STORE = """
def write_barrier(source, target, remembered):
    return True
"""

NO_STORE_CHECK = """
def write_barrier(source, target, remembered):
    return source == "old" and target == "young"
"""

TRACES_THE_OLD_GENERATION = """
def minor_roots(snapshot):
    by_id = {n.id: n for n in snapshot.nodes}
    out = {}
    for e in snapshot.edges:
        out.setdefault(e.source, []).append(e.target)
    seen, todo = set(), [v.target for v in snapshot.variables if v.target is not None]
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo += out.get(n, [])
    return [f"{by_id[e.source].name}.{e.label}" for e in snapshot.edges
            if e.source in seen and "old" in by_id[e.source].tags and "young" in by_id[e.target].tags]
"""

EVERY_POINTER_INTO_THE_NURSERY = """
def minor_roots(snapshot):
    by_id = {n.id: n for n in snapshot.nodes}
    return [f"{by_id[e.source].name}.{e.label}" for e in snapshot.edges if "young" in by_id[e.target].tags]
"""


def test_the_solution_scores_full_marks_in_the_notebook_check():
    feedback = check("22", answers("22"))
    assert feedback.score == feedback.max_score == 8, str(feedback)


def test_the_solution_passes_the_hidden_tests_and_a_stub_scores_zero():
    solved, untouched = grade([SOLUTION, exercise_path("22")], limits=Limits(seconds=20))
    assert solved.score == solved.max_score == 10
    assert untouched.score == 0
    assert all("not written yet" in t.output for t in untouched.tests)


def test_a_reversed_barrier_frees_the_young_session_and_remembers_young_objects():
    earned, _, messages = graded("write_barrier", REVERSED)
    assert earned == 1
    assert "session was freed: config (old) was not in the remembered set" in messages
    assert "your barrier remembered young a; a minor collection copies and scans every young object" in messages
    assert "the remembered set is none; expected config, once" in messages


def test_remembering_every_store_is_told_what_needs_no_remembering():
    earned, _, messages = graded("write_barrier", EVERY_STORE)
    assert earned == 1
    assert "a pointer from old a to old b needs no remembering" in messages
    assert "is in the remembered set already (its remembered bit is set)" in messages


def test_a_barrier_without_the_store_check_adds_an_object_twice():
    earned, _, messages = graded("write_barrier", NO_STORE_CHECK)
    assert earned == 3
    assert "config.other = y: config is in the remembered set already" in messages


def test_tracing_the_old_generation_to_skip_dead_objects_is_not_a_minor_collection():
    earned, _, messages = graded("minor_roots", TRACES_THE_OLD_GENERATION)
    assert earned == 3
    assert "you left out gone.next, from old gone, which no variable reaches" in messages
    assert "(nepotism)" in messages


def test_pointers_from_young_objects_are_not_extra_roots():
    earned, _, messages = graded("minor_roots", EVERY_POINTER_INTO_THE_NURSERY)
    assert earned == 3
    assert "a.next points from young a: the minor collection scans a anyway" in messages


def test_the_demo_keeps_the_session_with_the_solution_and_loses_it_without_a_barrier():
    ns = answers("22")
    player = demo(ns["write_barrier"])
    player.seek(-1)
    assert "left behind, never touched: tmp1, tmp2" in player.recording.script()
    assert "session: Node" in player.html and "points at freed memory" not in player.html
    broken = demo(lambda source, target, remembered: False)
    broken.seek(-1)
    assert "config.next points at freed memory" in broken.html
