"""Exercise 15: swift_release, swift_unownedRelease and the choice of reference kinds, graded on memlab's ARC."""

from __future__ import annotations

from exercise_kit import answers, exercise_path, solution_path
from exercise_kit import graded as graded_on

from memlab.grading import Limits, check
from memlab.grading.checks import exercise
from memlab.grading.checks.e15_arc_strong_weak_unowned import ExerciseARC, demo, demo_choose
from memlab.grading.grader import grade
from memlab.reclaim import Heap

SOLUTION = solution_path("15")
EXERCISE = exercise("15")


def graded(name: str, code: str):
    """(earned, points, messages) for question ``name`` with ``code`` in place of the solution's answer."""
    earned, messages = graded_on("15", name, answers("15", code))
    return earned, EXERCISE.question(name).points, messages


FREED_AT_THE_DEINIT = """
def strong_release(rt, obj):
    n = rt.strong(obj) - 1
    rt.set_strong(obj, n)
    if n == 0:
        rt.deinit(obj)
        for kind, child in rt.clear(obj):
            rt.release(kind, child)
        rt.end_deinit(obj)
        rt.free(obj)  # the memory goes at once, even if unowned references remain
"""

EVERY_PROPERTY_STRONG = """
def strong_release(rt, obj):
    n = rt.strong(obj) - 1
    rt.set_strong(obj, n)
    if n == 0:
        rt.deinit(obj)
        for kind, child in rt.clear(obj):
            rt.release("strong", child)
        rt.end_deinit(obj)
        rt.release("unowned", obj)
"""

CHILDREN_FORGOTTEN = """
def strong_release(rt, obj):
    n = rt.strong(obj) - 1
    rt.set_strong(obj, n)
    if n == 0:
        rt.deinit(obj)
        rt.end_deinit(obj)
        rt.release("unowned", obj)
"""

FREED_ONE_TOO_EARLY = """
def unowned_release(rt, obj):
    n = rt.unowned(obj) - 1
    rt.set_unowned(obj, n)
    if n <= 1 and rt.state(obj) == "deinited":
        rt.free(obj)
"""

NEVER_FREED = """
def unowned_release(rt, obj):
    rt.set_unowned(obj, rt.unowned(obj) - 1)
"""


def kinds(**changes: str) -> str:
    """A choose() that returns the solution's kinds with ``changes`` (keys with _ for .)."""
    body = "    kinds = dict(RIGHT)\n" + "".join(
        f"    kinds[{key.replace('_', '.')!r}] = {kind!r}\n" for key, kind in changes.items()
    )
    return "RIGHT = choose()\n\ndef choose():\n" + body + "    return kinds\n"


def test_the_solution_scores_full_marks_in_the_notebook_check():
    feedback = check("15", answers("15"))
    assert feedback.score == feedback.max_score == 13, str(feedback)


def test_the_solution_passes_the_hidden_tests_and_a_stub_scores_zero():
    solved, untouched = grade([SOLUTION, exercise_path("15")], limits=Limits(seconds=20))
    assert solved.score == solved.max_score == 15
    assert untouched.score == 0
    assert all("not written yet" in t.output for t in untouched.tests)


def test_memory_freed_at_the_deinit_is_caught_by_an_unowned_reference():
    earned, _, messages = graded("strong_release", FREED_AT_THE_DEINIT)
    assert earned == 4
    assert "after `john = nil` John is dead, memory freed; expected deinited with his memory kept" in messages


def test_weak_and_unowned_properties_released_as_strong_are_a_release_too_many():
    earned, _, messages = graded("strong_release", EVERY_PROPERTY_STRONG)
    assert earned == 3
    assert "set_strong(x): x is deinited, so set_strong is not allowed now: a release too many?" in messages
    assert "Release each property by its own kind, rt.release(kind, child)" in messages


def test_forgotten_properties_leak_and_the_counts_say_so():
    earned, _, messages = graded("strong_release", CHILDREN_FORGOTTEN)
    assert earned == 2
    assert "deinits ran in the order ['a']; Swift's order is a, b, c, d" in messages
    assert "x is live with strong, unowned, weak = [1, 2, 1]; expected live with 1, 1, 0" in messages


def test_an_unowned_release_that_frees_too_early_and_one_that_never_frees():
    earned, _, messages = graded("unowned_release", FREED_ONE_TOO_EARLY)
    assert earned == 2
    assert "card.customer (unowned) still points at it" in messages
    earned, _, messages = graded("unowned_release", NEVER_FREED)
    assert earned == 0
    assert "a (deinited, strong 0, unowned 0: its unowned count reached 0 but its memory was never freed; " in messages


def test_a_strong_tenant_leaks_and_an_unowned_one_traps():
    earned, _, messages = graded("choose", kinds(Apartment_tenant="strong"))
    assert earned == 4
    assert (
        "after `landlord = john.apartment; john = nil`: John (strong 1) still live, unreachable: John ⇄ 4A" in messages
    )
    earned, _, messages = graded("choose", kinds(Apartment_tenant="unowned", Node_parent="unowned"))
    assert earned == 3
    assert "Swift traps: Fatal error: Attempted to read an unowned reference" in messages
    assert "(leaf.parent refers to root, deinitialized at step" in messages


def test_a_weak_owner_loses_its_object_at_once_and_a_weak_card_owner_costs_a_side_table():
    earned, _, messages = graded("choose", kinds(Node_child="weak", CreditCard_customer="weak"))
    assert earned == 3
    assert "leaf is freed already: weak references do not own, and nothing else owns it" in messages
    assert "weak gives its target a side table (32 bytes in Swift)" in messages


def test_a_bad_kind_or_a_missing_entry_is_named():
    earned, _, messages = graded("choose", "def choose():\n    return {'Person.apartment': 'owned'}")
    assert earned == 0
    assert "choose() says 'owned' for Person.apartment; the kinds are ('strong', 'weak', 'unowned')" in messages
    assert "choose() has no entry for 'Customer.card'" in messages


def test_the_demos_end_with_john_freed_after_his_card_and_the_leaf_alone():
    ns = answers("15")
    player = demo(ns["strong_release"], ns["unowned_release"])
    player.seek(-1)
    assert player.caption.endswith("free card: 48 bytes at 0x10028 go back to the allocator")
    steps = [player.seek(i).event.describe() for i in range(1, len(player.recording))]
    deinited = steps.index("John: deiniting → deinited")
    freed = steps.index("free John: 40 bytes at 0x10000 go back to the allocator")
    assert steps.index("card: live → deiniting") > deinited and freed > deinited
    tree = demo_choose(ns["choose"])
    last = tree.seek(-1)
    assert tree.caption.endswith("leaf.parent reads nil: the root is gone, the leaf is still held")
    assert [(n.name, n.state) for n in last.snapshot.nodes] == [("root", "freed"), ("leaf", "live")]
    wrong = demo_choose(lambda: {**ns["choose"](), "Node.parent": "unowned"})
    wrong.seek(-1)
    assert "Attempted to read an unowned reference" in wrong.caption


def test_the_exercise_heap_keeps_memlabs_releases_when_none_are_given():
    heap = Heap(ExerciseARC())
    Node = heap.type("Node", ["next"])
    with heap.scope("main") as s:
        s.a = heap.new(Node, name="a", next=heap.new(Node, name="b"))
    assert not heap.objects and not heap.allocator.live()
