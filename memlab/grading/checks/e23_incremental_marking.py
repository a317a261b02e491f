"""Exercise 23: incremental tri-colour marking (Dijkstra et al. 1978; Yuasa 1990; GC Handbook ch. 15).

The learner writes, as functions of plain values:

* ``dijkstra(colours, source, old, new) -> list[str]`` and ``yuasa(colours, source, old, new)``:
  the write barriers. A store ``source.field = new`` that overwrites ``old`` is about to happen
  while marking is in progress; ``colours`` maps every object's name to ``"white"``, ``"gray"``
  or ``"black"``; ``old`` and ``new`` are names, or None for nil. The function returns the names
  of the objects to shade gray. :class:`ExerciseIncremental` is memlab's
  :class:`~memlab.reclaim.incremental.Incremental` (ending its marking as Dijkstra's collector
  does, with a rescan of the roots, or as Yuasa's, without) whose barrier shades what the
  learner returns.
* ``lost(snapshot) -> list[str]``: from a :class:`~memlab.reclaim.snapshot.GraphSnapshot` taken
  while a collector without a barrier is marking, the objects it is about to lose: reachable
  from a variable, white, and reachable from no gray object and no variable through white
  objects only. The checker lets the real collector finish its cycle to see what it frees.
"""

from __future__ import annotations

from ...reclaim.incremental import MARKING, Incremental
from ...reclaim.mutators import half_marked
from ...reclaim.objects import Heap, Obj, Slot
from ..questions import Cases, Exercise, Question
from .graph_kit import listed

__all__ = ["EXERCISE", "ExerciseIncremental", "demo", "hidden_heap", "lost_now", "new_heap", "started"]


class ExerciseIncremental(Incremental):
    """Incremental marking whose write barrier shades what the learner's function names."""

    def __init__(self, barrier_fn=None, *, ends_like: str = "dijkstra", **options) -> None:
        options.setdefault("slice", 1)
        options.setdefault("automatic", False)
        super().__init__(barrier=ends_like, **options)
        self.learner = barrier_fn

    def assign(self, place, old: Obj | None, new: Obj | None, consumed: bool) -> None:
        if self.learner is None or self.stage != MARKING or not isinstance(place, Slot):
            return super().assign(place, old, new, consumed)
        heap = self.heap
        heap.counters["barrier runs"] += 1
        colours = {o._name: heap.colour(o) for o in heap._at.values() if heap.allocated(o)}
        source = place.obj
        answer = self.learner(colours, source._name, old._name if old else None, new._name if new else None)
        if not isinstance(answer, list | tuple | set) or not all(isinstance(n, str) for n in answer):
            raise TypeError(f"your barrier returned {answer!r}; return a list of names, such as ['c'] or []")
        known = {o._name: o for o in (source, old, new) if o is not None}
        for name in answer:
            if name not in known:
                raise ValueError(
                    f"your barrier returned {name!r} for `{place.label} = {new._name if new else 'nil'}`; "
                    f"a barrier may shade only the objects of the store: {', '.join(known)}"
                )
            self.shade(known[name], place.label, "your barrier")
        heap.write(place, new, old, consumed)


def new_heap(barrier_fn=None, ends_like: str = "dijkstra") -> tuple[Heap, object]:
    heap = Heap(ExerciseIncremental(barrier_fn, ends_like=ends_like))
    return heap, heap.type("Node", ["left", "right"])


def started(barrier_fn, ends_like: str = "dijkstra"):
    """A heap with your barrier, a -> b -> c in main.a, one increment done: a black, b gray, c white."""
    heap = Heap(ExerciseIncremental(barrier_fn, ends_like=ends_like))
    s = half_marked(heap)
    return heap, heap.types["Node"], s


def finish(heap: Heap) -> None:
    while heap.stage != "idle":
        heap.increment()


def live_names(heap: Heap) -> list[str]:
    return sorted(o.name for o in heap.live())


def _survives(cases: Cases, heap: Heap, name: str, what: str) -> None:
    finish(heap)
    cases.expect(name in live_names(heap), f"{what}: the collector freed {name}, which the program still uses")
    heap.check()


def _hidden_survives(cases: Cases, fn, ends_like: str) -> None:
    """Notebook 23's hiding program under the learner's barrier: c must survive the cycle."""
    heap, _, s = started(fn, ends_like)
    s.a.right = s.a.left.left
    s.a.left.left = None
    _survives(cases, heap, "c", "after `a.right = c; b.left = nil`")


def check_dijkstra(fns: dict) -> Cases:
    cases = Cases()
    fn = fns["dijkstra"]
    with cases.case("the hidden object survives", 1):
        _hidden_survives(cases, fn, "dijkstra")
    with cases.case("no black object ever points to a white one", 1):
        heap, Node, s = started(fn)
        s.d = heap.new(Node, name="d")  # born black
        for source, field, target in (("a", "right", "c"), ("d", "left", "c"), ("d", "right", "b")):
            objs = {o.name: o for o in heap.live()}
            setattr(objs[source], field, objs[target])
            broken = heap.scheme.invariant()
            cases.expect(not broken, f"after `{source}.{field} = {target}`: {broken}")
    with cases.case("it shades the new target, not the old one", 1):
        heap, _, s = started(fn)
        s.a.left.left = None  # c is garbage now: nothing needs to keep it
        finish(heap)
        cases.expect(
            "c" not in live_names(heap),
            "after `b.left = nil` c was kept alive: your barrier shaded the target being overwritten, which "
            "is Yuasa's barrier; Dijkstra's shades the new target, and c (garbage) is freed this cycle",
        )
    with cases.case("a store of nil shades nothing", 1):
        heap, _, s = started(fn)
        s.a.right = None
        cases.expect(
            heap.counters["barrier shades"] == 0,
            f"`a.right = nil` shaded something: the colours are now {_colours(heap)}",
        )
    return cases


def _colours(heap: Heap) -> str:
    return ", ".join(f"{o.name} {heap.colour(o)}" for o in heap.live())


def check_yuasa(fns: dict) -> Cases:
    cases = Cases()
    fn = fns["yuasa"]
    with cases.case("the hidden object survives, with no rescan at the end", 1):
        _hidden_survives(cases, fn, "yuasa")
    with cases.case("an object moved from the heap into a variable survives", 1):
        heap, _, s = started(fn, "yuasa")
        s.v = s.a.left.left  # variables have no barrier
        s.a.left.left = None
        _survives(
            cases,
            heap,
            "c",
            "after `v = b.left; b.left = nil` (no barrier sees a variable, and Yuasa's collector does not "
            "rescan them): shade what a store overwrites",
        )
    with cases.case("it shades what is overwritten, not what is stored", 1):
        heap, Node, s = started(fn, "yuasa")
        s.d = heap.new(Node, name="d")  # born black
        heap.increment()  # scan b: c is gray
        s.d.left = s.a  # overwrites nil: nothing to shade
        cases.expect(
            heap.counters["barrier shades"] == 0,
            f"`d.left = a` overwrites nil, yet your barrier shaded something ({_colours(heap)}): Yuasa's barrier "
            "shades only the target a store overwrites (shading the new one too is Go's hybrid barrier)",
        )
    return cases


def lost_now(heap: Heap) -> list[str]:
    """What the collector, finishing its cycle without a barrier, frees of what the program reaches now."""
    reachable, todo = {}, [obj for _, obj in heap.roots()]
    while todo:
        obj = todo.pop()
        if obj.name not in reachable:
            reachable[obj.name] = obj
            todo += heap.children(obj)
    finish(heap)
    return sorted(name for name, obj in reachable.items() if obj.state != "live")


def _judge_lost(cases: Cases, fn, heap: Heap, what: str) -> None:
    snapshot = heap.snapshot()
    got = fn(snapshot)
    if not isinstance(got, list | tuple | set) or not all(isinstance(x, str) for x in got):
        cases.expect(False, f"lost returned {got!r}; return a list of names such as ['c']")
    want = lost_now(heap)
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    cases.expect(not missing, f"{what}: the collector then freed {listed(missing)}, which the program still reaches")
    cases.expect(not extra, f"{what}: the collector did not lose {listed(extra)} (it found or never needed it)")


def hidden_heap() -> tuple[Heap, object, object]:
    """a -> b -> c -> d in main.a and a garbage object g, without a barrier; one increment of marking done."""
    heap = Heap("incremental", barrier=None, slice=1, automatic=False)
    Node = heap.type("Node", ["left", "right"])
    s = heap.scope("main")
    s.a = heap.new(Node, name="a")
    s.a.left = heap.new(Node, name="b")
    s.a.left.left = heap.new(Node, name="c")
    s.a.left.left.left = heap.new(Node, name="d")
    with heap.scope("temp"):
        heap.new(Node, name="g")  # garbage from the start
    heap.increment()
    heap.increment()  # a black, b gray, c, d and g white
    return heap, Node, s


def check_lost(fns: dict) -> Cases:
    cases = Cases()
    fn = fns["lost"]
    with cases.case("the hidden object and what only it leads to are lost", 1):
        heap, _, s = hidden_heap()
        s.a.right = s.a.left.left
        s.a.left.left = None
        _judge_lost(cases, fn, heap, "after `a.right = c; b.left = nil`")
    with cases.case("an object a gray one still leads to is not lost", 1):
        heap, _, s = hidden_heap()
        s.a.right = s.a.left.left  # black a -> white c, but gray b still points to c
        _judge_lost(cases, fn, heap, "after `a.right = c` alone (b, gray, still points to c)")
    with cases.case("garbage is not lost, and neither is what a variable leads to", 1):
        heap, _, s = hidden_heap()
        s.a.right = s.a.left.left.left  # black a -> white d
        s.v = s.a.left.left  # c is in a variable: the end of marking rescans the variables
        s.a.left.left = None
        _judge_lost(cases, fn, heap, "after `a.right = d; v = c; b.left = nil` (g was garbage all along)")
    return cases


def demo(dijkstra):
    """The hiding program of notebook 23, under your Dijkstra barrier."""
    from ...viz.collect import collector_view
    from ...widgets.player import Player

    heap, _, s = started(dijkstra)
    with heap.record() as rec:
        s.a.right = s.a.left.left
        s.a.left.left = None
        finish(heap)
    return Player(rec.recording, collector_view(width=700), title="Your Dijkstra barrier")


EXERCISE = Exercise(
    "23_incremental_marking",
    "Incremental marking: write barriers and the lost object",
    (
        Question("dijkstra", "Dijkstra's insertion barrier", ("dijkstra",), 4, check_dijkstra),
        Question("yuasa", "Yuasa's deletion barrier", ("yuasa",), 3, check_yuasa),
        Question("lost", "the objects a collector without a barrier loses", ("lost",), 3, check_lost),
    ),
)
