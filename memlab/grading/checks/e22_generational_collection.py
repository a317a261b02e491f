"""Exercise 22: generational collection (Ungar 1984; V8's scavenger and HotSpot's young generation).

The learner writes the two pieces a minor collection depends on, as functions of plain values:

* ``write_barrier(source, target, remembered) -> bool``: Ungar's store check. ``source`` and
  ``target`` are the generations (``"old"`` or ``"young"``; ``target`` is None for nil) of the
  object written into and of the new target; ``remembered`` says whether the source is in the
  remembered set already. True puts the source in the set. :class:`ExerciseGenerational` is
  memlab's :class:`~memlab.reclaim.generational.Generational` with its barrier asking the
  learner's function, so what survives a minor collection is what the learner recorded.
* ``minor_roots(snapshot) -> list[str]``: from a :class:`~memlab.reclaim.snapshot.GraphSnapshot`
  of a generational heap, the references (``"a.next"``) a minor collection must treat as roots
  besides the variables: every pointer from an old object to a young one, whether or not a
  variable still reaches the old object.
"""

from __future__ import annotations

from ...reclaim.generational import Generational
from ...reclaim.objects import Heap, Obj, Slot
from ...reclaim.snapshot import GraphSnapshot
from ..questions import Cases, Exercise, Question
from .graph_kit import listed, scope

__all__ = ["EXERCISE", "ExerciseGenerational", "demo", "expected_roots", "new_heap", "promote"]


class ExerciseGenerational(Generational):
    """The generational collector whose write barrier is the learner's ``write_barrier``."""

    def __init__(self, write_barrier=None, **options) -> None:
        options.setdefault("nursery", 256)
        options.setdefault("automatic", False)
        super().__init__(**options)
        self.learner = write_barrier
        self.mistakes: list[str] = []

    def write_barrier(self, place: Slot, target: Obj) -> None:
        if self.learner is None:
            return super().write_barrier(place, target)
        heap, source = self.heap, place.obj
        gen = lambda o: "old" if self.is_old(o) else "young"  # noqa: E731
        answer = self.learner(gen(source), gen(target), bool(heap.flag(source, "remembered")))
        if not isinstance(answer, bool):
            raise TypeError(f"write_barrier returned {answer!r}; return True (remember the source) or False")
        if not answer:
            return
        if not self.is_old(source):
            self.mistakes.append(
                f"{place.label} = {target._name}: your barrier remembered young {source._name}; a minor collection "
                "copies and scans every young object it reaches anyway: only old objects need remembering"
            )
        elif heap.flag(source, "remembered"):
            self.mistakes.append(
                f"{place.label} = {target._name}: {source._name} is in the remembered set already (its remembered "
                "bit is set), and your barrier added it again: test the bit first, as Ungar's store check does"
            )
        elif self.is_old(target):
            self.mistakes.append(
                f"{place.label} = {target._name}: a pointer from old {source._name} to old {target._name} needs no "
                "remembering: a minor collection cares only about pointers into the nursery"
            )
        else:
            self.remember(source, place.field.name, target, "your write barrier")

    def _store_nil(self, place: Slot) -> None:
        """A store of nil goes through the barrier too (Go's compiler skips it when it can prove nil)."""
        heap, source = self.heap, place.obj
        gen = "old" if self.is_old(source) else "young"
        answer = self.learner(gen, None, bool(heap.flag(source, "remembered")))
        if not isinstance(answer, bool):
            raise TypeError(f"write_barrier returned {answer!r} for a store of nil; return True or False")
        if answer:
            self.mistakes.append(f"{place.label} = nil: your barrier asked to remember {source._name} for a nil")

    def assign(self, place, old, new, consumed) -> None:
        super().assign(place, old, new, consumed)
        if self.learner is not None and isinstance(place, Slot) and new is None:
            self._store_nil(place)


def new_heap(write_barrier=None, **options) -> tuple[Heap, object]:
    heap = Heap(ExerciseGenerational(write_barrier, **options))
    return heap, heap.type("Node", ["next", "other"])


def promote(heap: Heap, frame, name: str, Node) -> Obj:
    """A new object in ``frame.name`` that survives until it is old."""
    setattr(frame, name, heap.new(Node, name=name))
    for _ in range(heap.scheme.promote_age):
        heap.minor()
    return getattr(frame, name)


def _mistakes(cases: Cases, heap: Heap) -> None:
    cases.expect(not heap.scheme.mistakes, heap.scheme.mistakes[0] if heap.scheme.mistakes else "")


def _nothing_remembered(cases: Cases, heap: Heap) -> None:
    _mistakes(cases, heap)
    cases.expect(not heap.remembered, f"the remembered set holds {listed(o.name for o in heap.remembered)}")


def check_write_barrier(fns: dict) -> Cases:
    cases = Cases()
    fn = fns["write_barrier"]
    with cases.case("an old object that now points to a young one is remembered", 1):
        heap, Node = new_heap(fn)
        with scope(heap) as s:
            promote(heap, s, "config", Node)
            s.config.next = heap.new(Node, name="session")
            heap.minor()
            survived = "session" in [o.name for o in heap.live()]
            cases.expect(
                survived,
                "after `config.next = session` and a minor collection, session was freed: config (old) was not in "
                "the remembered set, so the minor collection never saw config.next",
            )
            heap.check()
    with cases.case("young objects are never remembered", 1):
        heap, Node = new_heap(fn)
        with scope(heap) as s:
            promote(heap, s, "old", Node)
            s.a = heap.new(Node, name="a")
            s.a.next = heap.new(Node, name="b")  # young -> young
            s.a.other = s.old  # young -> old
            _nothing_remembered(cases, heap)
    with cases.case("pointers to old objects, and nil, are not remembered", 1):
        heap, Node = new_heap(fn)
        with scope(heap) as s:
            promote(heap, s, "a", Node)
            promote(heap, s, "b", Node)
            s.a.next = s.b  # old -> old
            s.a.next = None  # nil
            _nothing_remembered(cases, heap)
    with cases.case("an object is remembered once, however many young objects it gets", 1):
        heap, Node = new_heap(fn)
        with scope(heap) as s:
            promote(heap, s, "config", Node)
            s.config.next = heap.new(Node, name="x")
            s.config.other = heap.new(Node, name="y")
            _mistakes(cases, heap)
            cases.expect(
                [o.name for o in heap.remembered] == ["config"],
                f"the remembered set is {listed(o.name for o in heap.remembered)}; expected config, once",
            )
            heap.minor()
            cases.expect(
                sorted(o.name for o in heap.live()) == ["config", "x", "y"],
                f"after a minor collection the objects are {listed(sorted(o.name for o in heap.live()))}",
            )
    return cases


def expected_roots(snapshot: GraphSnapshot) -> list[str]:
    """Every reference from an old object to a young one, as "source.field" (the checker's answer)."""
    by_id = {n.id: n for n in snapshot.nodes}
    return sorted(
        f"{by_id[e.source].name}.{e.label}"
        for e in snapshot.edges
        if isinstance(e.source, int) and "old" in by_id[e.source].tags and "young" in by_id[e.target].tags
    )


def _judge_roots(cases: Cases, fn, heap: Heap, why: dict[str, str]) -> None:
    """Call the learner's minor_roots on ``heap``'s snapshot and compare with the truth, naming each mistake."""
    snapshot = heap.snapshot()
    got = fn(snapshot)
    if not isinstance(got, list | tuple | set) or not all(isinstance(x, str) for x in got):
        cases.expect(False, f"minor_roots returned {got!r}; return a list of strings such as 'a.next'")
    want = expected_roots(snapshot)
    missing = [r for r in want if r not in got]
    extra = sorted(r for r in set(got) if r not in want)
    for label in missing:
        cases.expect(False, why.get(label, f"{label} points from an old object to a young one, and is missing"))
    for label in extra:
        cases.expect(False, why.get(label, f"{label} is not a pointer from an old object to a young one"))


def check_minor_roots(fns: dict) -> Cases:
    cases = Cases()
    fn = fns["minor_roots"]
    with cases.case("an old object's pointer to a young one is a root", 1):
        heap, Node = new_heap(None, barrier=False)
        with scope(heap) as s:
            promote(heap, s, "config", Node)
            s.config.next = heap.new(Node, name="session")
            _judge_roots(cases, fn, heap, {})
    with cases.case("pointers from young objects are not", 1):
        heap, Node = new_heap(None, barrier=False)
        with scope(heap) as s:
            promote(heap, s, "old", Node)
            s.a = heap.new(Node, name="a", next=heap.new(Node, name="b"), other=s.old)
            why = {
                "a.next": "a.next points from young a: the minor collection scans a anyway, once it has copied it",
                "a.other": "a.other points from young a to old: the minor collection never moves old objects",
            }
            _judge_roots(cases, fn, heap, why)
    with cases.case("pointers between old objects are not", 1):
        heap, Node = new_heap(None, barrier=False)
        with scope(heap) as s:
            promote(heap, s, "a", Node)
            promote(heap, s, "b", Node)
            s.a.next = s.b
            s.a.other = heap.new(Node, name="y")
            why = {"a.next": "a.next points from old a to old b: nothing in the nursery, nothing to copy"}
            _judge_roots(cases, fn, heap, why)
    with cases.case("an old object that no variable reaches still counts", 1):
        heap, Node = new_heap(None, barrier=False)
        with scope(heap) as s:
            promote(heap, s, "config", Node)
            promote(heap, s, "gone", Node)
            s.config.next = heap.new(Node, name="a")
            s.gone.next = heap.new(Node, name="b")
            s.gone = None
            why = {
                "gone.next": (
                    "you left out gone.next, from old gone, which no variable reaches: to know gone is dead you "
                    "would have to trace the old generation, which a minor collection never does. It treats the "
                    "pointer as a root, and b survives until a major collection (nepotism)"
                )
            }
            _judge_roots(cases, fn, heap, why)
    return cases


def demo(write_barrier):
    """Notebook 22's program with your write barrier: config (old) gets a young session, then a minor collection."""
    from ...viz.generations import generational_view
    from ...widgets.player import Player

    heap, Node = new_heap(write_barrier, nursery=128)
    s = heap.scope("main")
    promote(heap, s, "config", Node)
    with heap.record() as rec:
        s.config.next = heap.new(Node, name="session")
        with heap.scope("request"):
            heap.new(Node, name="tmp1")
            heap.new(Node, name="tmp2")
        heap.minor()
    return Player(rec.recording, generational_view(heap, width=700), title="Your write barrier")


EXERCISE = Exercise(
    "22_generational_collection",
    "Generational collection: the write barrier and the roots of a minor collection",
    (
        Question("write_barrier", "Ungar's store check", ("write_barrier",), 4, check_write_barrier),
        Question("minor_roots", "the roots of a minor collection", ("minor_roots",), 4, check_minor_roots),
    ),
)
