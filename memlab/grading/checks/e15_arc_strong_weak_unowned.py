"""Exercise 15: Swift's ARC releases, and choosing strong, weak or unowned for each reference.

The learner writes ``strong_release(rt, obj)`` (swift_release: at strong count 0 the deinit
runs, the stored properties are released by kind in declaration order, and the +1 unowned
count held for the strong references is dropped) and ``unowned_release(rt, obj)``
(swift_unownedRelease: the memory of a deinited object goes when its unowned count reaches 0),
then picks the kind of every reference in five object graphs from the Swift book and Apple's
conventions, run on memlab's own ARC. :class:`ExerciseARC` is memlab's
:class:`~memlab.reclaim.arc.ARC` with those two steps replaced; the checks read counts and
states from the heap's headers. Simplification as in memlab's ARC: counts are whole words.
"""

from __future__ import annotations

from ...reclaim.objects import Heap
from ...reclaim.types import DEINITED, DEINITING, LIVE
from ..questions import Cases, Exercise, Question
from .arc_choose import check_choose, demo_choose
from .arc_runtime import ARCRuntime, ExerciseARC
from .graph_kit import graph_player, scope


def customers(**fns) -> tuple[Heap, object, object]:
    """An ARC heap with the notebook's Customer and a CreditCard whose customer is unowned."""
    heap = Heap(ExerciseARC(**fns))
    log = heap.log = []
    customer = heap.type("Customer", ["card"], deinit=lambda o: log.append(o.name))
    card = heap.type("CreditCard", ["int number", "unowned customer"], deinit=lambda o: log.append(o.name))
    return heap, customer, card


def kept(heap: Heap) -> str:
    """Every object whose memory is still allocated, with its state and counts and what that means."""
    out = []
    for o in heap.objects.values():
        if not heap.allocated(o):
            continue
        strong, unowned = heap.word(o, "strong"), heap.word(o, "unowned")
        why = {
            LIVE: "its strong count never reached 0" if strong else "its strong count is 0 but its deinit never ran",
            DEINITING: "its deinit began but never ended (rt.end_deinit)",
            DEINITED: "deinited, but the unowned +1 held for the strong references was never released"
            if unowned
            else "its unowned count reached 0 but its memory was never freed; the last unowned release of a "
            "deinited object frees it",
        }[o.state]
        out.append(f"{o.name} ({o.state}, strong {strong}, unowned {unowned}: {why})")
    return "; ".join(out) or "none"


def _all_gone(heap: Heap, cases: Cases, what: str) -> None:
    left = [o for o in heap.objects.values() if heap.allocated(o)]
    cases.expect(not left, f"{what}, memory still allocated: {kept(heap)}")


def _unowned_card_scenario(heap, Customer, CreditCard, cases: Cases) -> None:
    """John goes while a card held elsewhere keeps an unowned reference to him; then the card goes."""
    g = heap.globals
    g.john = heap.new(Customer, name="John")
    g.card = heap.new(CreditCard, name="card", number=1234, customer=g.john)
    john = g.john
    g.john = None
    cases.expect(heap.log == ["John"], f"after `john = nil` the deinits that ran are {heap.log}; expected John's")
    cases.expect(
        john.state == DEINITED and heap.allocated(john),
        f"after `john = nil` John is {john.state}{'' if heap.allocated(john) else ', memory freed'}; expected "
        "deinited with his memory kept: card.customer (unowned) still points at it, and Swift keeps the memory "
        "until the unowned count is 0 so that reading it traps instead of reading freed memory",
    )
    g.card = None
    _all_gone(heap, cases, "after `card = nil` (the last unowned reference to John went)")


def check_strong_release(fns: dict) -> Cases:
    cases = Cases()
    with cases.case("a strong count that stays above zero", 1):
        heap, Customer, _ = customers(strong_release=fns["strong_release"])
        with scope(heap) as s:
            s.a = heap.new(Customer, name="a")
            s.b = s.a
            s.b = None
            n = heap.word(s.a, "strong")
            cases.expect(
                n == 1 and s.a.state == LIVE, f"after `b = nil` a is {s.a.state} with strong {n}; expected live, 1"
            )
    with cases.case("strong count 0: the deinit runs, then the memory is freed", 1):
        heap, Customer, _ = customers(strong_release=fns["strong_release"])
        with scope(heap) as s:
            s.a = heap.new(Customer, name="a")
        cases.expect(heap.log == ["a"], f"at the end of the scope the deinits that ran are {heap.log}; expected a's")
        _all_gone(heap, cases, "after the only reference to a went")
    with cases.case("the cascade: stored properties are released in declaration order", 1):
        heap = Heap(ExerciseARC(strong_release=fns["strong_release"]))
        order = []
        Node = heap.type("Node", ["first", "second"], deinit=lambda o: order.append(o.name))
        with scope(heap) as s:
            s.a = heap.new(Node, name="a", first=heap.new(Node, name="b", first=heap.new(Node, name="c")))
            s.a.second = heap.new(Node, name="d")
        cases.expect(order == ["a", "b", "c", "d"], f"deinits ran in the order {order}; Swift's order is a, b, c, d")
        _all_gone(heap, cases, "after the only reference to a (a → b → c, a → d) went")
    with cases.case("weak and unowned properties do not own", 1):
        heap = Heap(ExerciseARC(strong_release=fns["strong_release"]))
        Peer = heap.type("Peer", ["weak w", "unowned u"])
        with scope(heap) as s:
            s.x = heap.new(Peer, name="x")
            s.y = heap.new(Peer, name="y", w=s.x, u=s.x)
            s.y = None
            counts = [heap.word(s.x, "strong"), heap.word(s.x, "unowned"), heap.weak_count(s.x)]
            cases.expect(
                s.x.state == LIVE and counts == [1, 1, 0],
                f"after `y = nil` x is {s.x.state} with strong, unowned, weak = {counts}; expected live with 1, 1, 0: "
                "y's weak and unowned properties do not own x, release each by its kind (rt.release(kind, obj))",
            )
            heap.check()
    with cases.case("an unowned reference keeps a deinited object's memory", 1):
        _unowned_card_scenario(*customers(strong_release=fns["strong_release"]), cases)
    return cases


def check_unowned_release(fns: dict) -> Cases:
    cases = Cases()
    with cases.case("no unowned references: the memory goes right after the deinit", 1):
        heap, Customer, _ = customers(unowned_release=fns["unowned_release"])
        with scope(heap) as s:
            s.a = heap.new(Customer, name="a")
        _all_gone(heap, cases, "after the only reference to a went")
    with cases.case("the last unowned reference frees a deinited object", 1):
        _unowned_card_scenario(*customers(unowned_release=fns["unowned_release"]), cases)
    with cases.case("an unowned reference to a live object only lowers its count", 1):
        heap, Customer, CreditCard = customers(unowned_release=fns["unowned_release"])
        with scope(heap) as s:
            s.john = heap.new(Customer, name="John")
            s.card = heap.new(CreditCard, name="card", customer=s.john)
            s.card = None
            n = heap.word(s.john, "unowned")
            cases.expect(
                s.john.state == LIVE and n == 1,
                f"after `card = nil` John is {s.john.state}, unowned {n}; "
                "expected live with unowned 1 (the +1 held for the strong references)",
            )
        _all_gone(heap, cases, "at the end of the scope")
    return cases


def demo(strong_release, unowned_release):
    """John goes first while his card, held elsewhere, keeps an unowned reference; then the card goes."""
    heap, Customer, CreditCard = customers(strong_release=strong_release, unowned_release=unowned_release)
    g = heap.globals
    with heap.record() as rec:
        g.john = heap.new(Customer, name="John")
        g.card = heap.new(CreditCard, name="card", number=1234, customer=g.john)
        g.john = None  # deinited, memory kept by card's unowned reference
        g.card = None  # the card's deinit releases its unowned reference: John's memory goes
    return graph_player(rec.recording, "Your releases: deinited, then freed")


EXERCISE = Exercise(
    "15_arc_strong_weak_unowned",
    "ARC: releases and the three kinds of reference",
    (
        Question("strong_release", "swift_release and the deinit", ("strong_release",), 5, check_strong_release),
        Question(
            "unowned_release", "swift_unownedRelease and the memory", ("unowned_release",), 3, check_unowned_release
        ),
        Question("choose", "strong, weak or unowned?", ("choose",), 5, check_choose),
    ),
)

__all__ = ["EXERCISE", "ExerciseARC", "ARCRuntime", "demo", "demo_choose"]
