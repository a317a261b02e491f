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

from ...reclaim.arc import ARC, UnownedAccess
from ...reclaim.objects import Heap, Obj
from ...reclaim.types import DEINITED, DEINITING, LIVE, STRONG, UNOWNED, WEAK, ReclaimError
from ..questions import Cases, Exercise, Question
from .graph_kit import graph_player, scope


class Runtime:
    """What the learner's releases may use: the counts, the lifecycle steps, and the releases by kind."""

    def __init__(self, scheme: ExerciseARC) -> None:
        self.scheme = scheme

    def _usable(self, obj: Obj, what: str, states=(LIVE, DEINITING, DEINITED), hint: str = "") -> None:
        if not isinstance(obj, Obj) or obj.heap is not self.scheme.heap:
            raise ReclaimError(f"{what}({obj!r}): not an object of this heap")
        if obj.state not in states:
            raise ReclaimError(f"{what}({obj.name}): {obj.name} is {obj.state}, so {what} is not allowed now{hint}")

    def strong(self, obj: Obj) -> int:
        """The strong count, read from the object's header."""
        self._usable(obj, "strong")
        return self.scheme.heap.word(obj, "strong")

    def unowned(self, obj: Obj) -> int:
        """The unowned count (1 on behalf of all strong references, +1 per unowned reference)."""
        self._usable(obj, "unowned")
        return self.scheme.heap.word(obj, "unowned")

    def set_strong(self, obj: Obj, n: int) -> None:
        hint = ": a release too many? Release each property by its own kind, rt.release(kind, child)"
        self._usable(obj, "set_strong", (LIVE,), hint)
        self.scheme._bump(obj, "strong", n - self.strong(obj), "swift_release")

    def set_unowned(self, obj: Obj, n: int) -> None:
        self._usable(obj, "set_unowned")
        self.scheme._bump(obj, "unowned", n - self.unowned(obj), "swift_unownedRelease")

    def state(self, obj: Obj) -> str:
        """live, deiniting, deinited, freed or dead."""
        return obj.state

    def deinit(self, obj: Obj) -> None:
        """Run the deinit body; the object is *deiniting* (only at strong count 0)."""
        self._usable(obj, "deinit", (LIVE,))
        if self.strong(obj):
            raise ReclaimError(f"deinit({obj.name}): its strong count is {self.strong(obj)}: something still owns it")
        self.scheme.begin(obj)

    def clear(self, obj: Obj) -> list[tuple[str, Obj]]:
        """Set each reference property to nil; return (kind, object) for each non-nil one, in declaration order."""
        self._usable(
            obj, "clear", (DEINITING,), ": Swift runs the deinit (rt.deinit) before it releases the properties"
        )
        found = []
        for slot, target in self.scheme.heap.refs(obj):
            slot.put(0)
            if target is not None:
                found.append((slot.kind, target))
        return found

    def end_deinit(self, obj: Obj) -> None:
        """The deinit and the property releases are over: the object is *deinited*."""
        self._usable(obj, "end_deinit", (DEINITING,), ": only a deiniting object (after rt.deinit) ends its deinit")
        self.scheme.manual_counts.pop(obj.id, None)
        self.scheme._state(obj, DEINITED)

    def free(self, obj: Obj) -> None:
        """Give a deinited object's memory back (a side table stays while weak references remain)."""
        self._usable(obj, "free", (DEINITED,), ": only a deinited object's memory can be freed")
        self.scheme._free(obj)

    def release(self, kind: str, obj: Obj) -> None:
        """Give up one ``kind`` reference to ``obj``: your strong_release or unowned_release, or the weak release."""
        if kind not in (STRONG, WEAK, UNOWNED):
            raise ReclaimError(f"release({kind!r}, ...): the kinds are strong, weak and unowned")
        if kind == STRONG:
            self.scheme.release(obj, None)
        elif kind == UNOWNED:
            self.scheme._unowned_release(obj)
        else:
            self.scheme._weak(obj, -1)


class ExerciseARC(ARC):
    """Swift's ARC whose strong and unowned releases are the learner's (None keeps memlab's)."""

    def __init__(self, strong_release=None, unowned_release=None) -> None:
        super().__init__()
        self.learner_strong, self.learner_unowned = strong_release, unowned_release
        self.rt = Runtime(self)

    def release(self, obj: Obj, place) -> None:
        kind = STRONG if place is None else place.kind
        if kind == STRONG and self.learner_strong is not None:
            self.learner_strong(self.rt, obj)
        elif kind == UNOWNED and self.learner_unowned is not None:
            self.learner_unowned(self.rt, obj)
        else:
            super().release(obj, place)

    def _unowned_release(self, obj: Obj, place=None) -> None:
        if self.learner_unowned is not None:
            self.learner_unowned(self.rt, obj)
        else:
            super()._unowned_release(obj, place)


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


# -- question 3: which kind for each reference? -----------------------------------------------------
KINDS = ("strong", "weak", "unowned")
GRAPHS = {  # owner type, its reference down, owned type, its reference back up, their names, who else holds the owned
    "Person and Apartment": ("Person", "apartment", "Apartment", "tenant", "John", "4A", "landlord"),
    "Customer and CreditCard": ("Customer", "card", "CreditCard", "customer", "John", "card", None),
    "a tree with parent links": ("Node", "child", "Node", "parent", "root", "leaf", "selection"),
    "a table view and its delegate": ("ViewController", "table", "TableView", "delegate", "vc", "table", "animation"),
    "HTMLElement and its asHTML closure": ("HTMLElement", "asHTML", "Closure", "element", "p", "asHTML", None),
}
NO_SIDE_TABLE = {
    "CreditCard.customer": "a card never outlives its customer",
    "Closure.element": "the closure and its element always go together",
}


def edges(title: str) -> tuple[str, str]:
    owner, down, owned, up = GRAPHS[title][:4]
    return f"{owner}.{down}", f"{owned}.{up}"


class Story:
    """One object graph on memlab's ARC, its reference kinds taken from the learner's ``choose()``."""

    def __init__(self, cases: Cases, kinds: dict) -> None:
        self.cases, self.kinds, self.heap, self.step = cases, kinds, Heap("arc"), "the start"

    def need(self, condition: object, message: str) -> None:
        self.cases.expect(condition, f"after `{self.step}`: {message}")

    def play(self, owner_t, down, owned_t, up, a: str, b: str, holder: str | None, *, end: bool = True) -> None:
        """``a.down = Owned(up: a)``; ``a`` goes while ``holder`` (if any) keeps ``b``; then (``end``) it goes too."""
        heap, g, key = self.heap, self.heap.globals, f"{owner_t}.{down}"
        fields = {owner_t: [down], owned_t: [up]} if owner_t != owned_t else {owner_t: [down, up]}
        types = {t: heap.type(t, [(f, self.kinds[f"{t}.{f}"]) for f in fs]) for t, fs in fields.items()}
        var = a.lower()
        self.step = f"{var}.{down} = {owned_t}({up}: {var})"
        setattr(g, var, owner := heap.new(types[owner_t], name=a))
        with heap.scope("statement"):  # the new object's +1 is released at the end of the statement
            setattr(owner, down, owned := heap.new(types[owned_t], name=b, **{up: owner}))
        self.need(
            owned.state == LIVE,
            f"{b} is {owned.state} already: {self.kinds[key]} references do not own, and nothing else owns it, "
            f"so {key} must be strong",
        )
        self.need(getattr(owned, up) is owner, f"{b}.{up} reads {getattr(owned, up)!r}; expected {a}")
        self.step = f"{holder} = {var}.{down}; {var} = nil" if holder else f"{var} = nil"
        if holder:
            setattr(g, holder, owned)
        setattr(g, var, None)
        objs = (owner,) if holder else (owner, owned)
        left = [f"{o.name} (strong {heap.word(o, 'strong')})" for o in objs if o.state == LIVE]
        self.need(not left, f"{', '.join(left)} still live, unreachable: {a} ⇄ {b} is a strong cycle, so it leaks")
        if holder:
            back = getattr(getattr(g, holder), up)
            self.need(back is None, f"{b}.{up} reads {back!r}; expected nil ({a} is gone, {holder} still holds {b})")
            if not end:
                return
            self.step = f"{holder} = nil"
            setattr(g, holder, None)
        left = [o.name for o in heap.objects.values() if heap.allocated(o)]
        self.need(not left, f"memory still allocated for {', '.join(left)}")


def check_choose(fns: dict) -> Cases:
    cases = Cases()
    for title, graph in GRAPHS.items():
        with cases.case(title, 1):
            kinds = fns["choose"]()
            keys = edges(title)
            cases.expect(
                isinstance(kinds, dict), f"choose() returned {kinds!r}; expected a dict like {{'{keys[0]}': 'strong'}}"
            )
            for key in keys:
                cases.expect(key in kinds, f"choose() has no entry for {key!r}")
                cases.expect(kinds[key] in KINDS, f"choose() says {kinds[key]!r} for {key}; the kinds are {KINDS}")
            story = Story(cases, kinds)
            try:
                story.play(*graph)
            except UnownedAccess as e:
                cases.expect(
                    False, f"at `{story.step}` Swift traps: {e}. That reference can outlive its object: make it weak"
                )
            for key in keys:
                cases.expect(
                    key not in NO_SIDE_TABLE or kinds[key] != WEAK,
                    f"no leak, no dangling reference, but weak gives its target a 16-byte side table "
                    f"and makes {key} an optional; {NO_SIDE_TABLE.get(key)}, so Swift makes it unowned",
                )
    return cases


def demo_choose(choose):
    """The tree with your kinds: the root goes while a selection still holds the leaf."""
    from ...events import Note
    from ..questions import Failed

    story = Story(Cases(), choose())
    with story.heap.record() as rec:
        try:
            story.play(*GRAPHS["a tree with parent links"], end=False)
            rec(Note(story.heap.step, "leaf.parent reads nil: the root is gone, the leaf is still held"))
        except (Failed, UnownedAccess) as e:
            rec(Note(story.heap.step, str(e)))
    return graph_player(rec.recording, "Your kinds: a tree whose root goes first")


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

__all__ = ["EXERCISE", "ExerciseARC", "Runtime", "demo", "demo_choose"]
