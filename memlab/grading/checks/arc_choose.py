"""Exercise 15, question 3: strong, weak or unowned for each reference of five object graphs.

Each graph (from the Swift book and Apple's conventions: an owner, what it creates, a reference
back) is played on memlab's own ARC with the learner's kinds, and the checks name a leak (a
strong cycle), a trap (an unowned reference to a deinited object), an object lost at once, or a
needless side table (weak where the owned object cannot outlive its owner).
"""

from __future__ import annotations

from ...reclaim.arc import UnownedAccess
from ...reclaim.objects import Heap
from ...reclaim.types import LIVE, WEAK
from ..questions import Cases
from .graph_kit import graph_player

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
                    f"no leak, no dangling reference, but weak gives its target a side table (32 bytes in Swift) "
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
