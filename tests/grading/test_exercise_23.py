"""Exercise 23: Dijkstra's and Yuasa's barriers and the lost object, graded on memlab's incremental collector."""

from __future__ import annotations

from exercise_kit import answers, exercise_path, solution_path
from exercise_kit import graded as graded_on

from memlab.grading import Limits, check
from memlab.grading.checks import exercise
from memlab.grading.checks.e23_incremental_marking import demo
from memlab.grading.grader import grade

SOLUTION = solution_path("23")
EXERCISE = exercise("23")


def graded(name: str, code: str):
    """(earned, points, messages) for question ``name`` with ``code`` in place of the solution's answer."""
    earned, messages = graded_on("23", name, answers("23", code))
    return earned, EXERCISE.question(name).points, messages


DIJKSTRA_SHADES_THE_OLD_TARGET = """
def dijkstra(colours, source, old, new):
    return [old] if old is not None and colours[old] == "white" else []
"""

NO_BARRIER = """
def dijkstra(colours, source, old, new):
    return []
"""

ONLY_FROM_BLACK = """
def dijkstra(colours, source, old, new):
    if colours[source] == "black" and new is not None and colours[new] == "white":
        return [new]
    return []
"""

YUASA_SHADES_THE_NEW_TARGET = """
def yuasa(colours, source, old, new):
    return [new] if new is not None and colours[new] == "white" else []
"""

EVERY_WHITE_BEHIND_A_BLACK = """
def lost(snapshot):
    colour = {n.id: n.colour for n in snapshot.nodes}
    name = {n.id: n.name for n in snapshot.nodes}
    return sorted({name[e.target] for e in snapshot.edges
                   if colour[e.source] == "black" and colour[e.target] == "white"})
"""

FORGETS_THE_RESCAN = """
def lost(snapshot):
    colour = {n.id: n.colour for n in snapshot.nodes}
    name = {n.id: n.name for n in snapshot.nodes}
    refs = {}
    for e in snapshot.edges:
        refs.setdefault(e.source, []).append(e.target)

    def reach(starts, white_only):
        seen, todo = set(), list(starts)
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo += [t for t in refs.get(n, []) if not white_only or colour[t] == "white"]
        return seen

    reachable = reach([v.target for v in snapshot.variables if v.target is not None], False)
    found = reach([n for n in colour if colour[n] == "gray"], True)
    return sorted(name[n] for n in reachable if colour[n] == "white" and n not in found)
"""


def test_the_solution_scores_full_marks_in_the_notebook_check():
    feedback = check("23", answers("23"))
    assert feedback.score == feedback.max_score == 10, str(feedback)


def test_the_solution_passes_the_hidden_tests_and_a_stub_scores_zero():
    solved, untouched = grade([SOLUTION, exercise_path("23")], limits=Limits(seconds=20))
    assert solved.score == solved.max_score == 13
    assert untouched.score == 0
    assert all("not written yet" in t.output for t in untouched.tests)


def test_shading_the_old_target_is_yuasas_barrier_not_dijkstras():
    earned, _, messages = graded("dijkstra", DIJKSTRA_SHADES_THE_OLD_TARGET)
    assert earned == 2
    assert "after `a.right = c`: strong tri-colour invariant broken: black a points to white c" in messages
    assert "your barrier shaded the target being overwritten, which is Yuasa's barrier" in messages


def test_no_barrier_loses_the_hidden_object():
    earned, _, messages = graded("dijkstra", NO_BARRIER)
    assert earned == 2
    assert "after `a.right = c; b.left = nil`: the collector freed c, which the program still uses" in messages


def test_shading_only_when_the_source_is_black_is_right_too():
    earned, points, messages = graded("dijkstra", ONLY_FROM_BLACK)
    assert earned == points == 4, messages


def test_yuasas_collector_with_dijkstras_barrier_loses_an_object_moved_into_a_variable():
    earned, _, messages = graded("yuasa", YUASA_SHADES_THE_NEW_TARGET)
    assert earned == 2
    assert "after `v = b.left; b.left = nil` (no barrier sees a variable" in messages


def test_not_every_white_object_behind_a_black_one_is_lost():
    earned, _, messages = graded("lost", EVERY_WHITE_BEHIND_A_BLACK)
    assert earned == 0
    assert "after `a.right = c` alone (b, gray, still points to c): the collector did not lose c" in messages
    assert "the collector then freed d, which the program still reaches" in messages


def test_the_rescan_of_the_variables_finds_what_they_lead_to():
    earned, _, messages = graded("lost", FORGETS_THE_RESCAN)
    assert earned == 2
    assert "the collector did not lose c, d" in messages


def test_the_demo_keeps_c_with_the_solution_and_frees_it_without_a_barrier():
    ns = answers("23")
    player = demo(ns["dijkstra"])
    player.seek(-1)
    assert "Dijkstra's barrier" not in player.caption and "points at freed memory" not in player.html
    assert any(f.event is not None and f.event.kind == "shaded" for f in player.recording)
    broken = demo(lambda colours, source, old, new: [])
    broken.seek(-1)
    assert "a.right points at freed memory" in broken.html
