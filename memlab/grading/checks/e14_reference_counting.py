"""Exercise 14: the reference-counting cascade, as CPython's ``Py_DECREF`` does it.

The learner writes ``decref(rt, obj)``: take one from the object's count (a word in its
header, in simulated memory); at zero, drop each of its references (which may free more
objects: the cascade) and give its memory back. :class:`ExerciseRefCounting` is memlab's
:class:`~memlab.reclaim.refcount.RefCounting` with its decrement replaced by the learner's,
through the small runtime :class:`RefcountRuntime` (counts, references, free).
"""

from __future__ import annotations

from ...reclaim.events import Decref
from ...reclaim.objects import Heap, Obj, Slot
from ...reclaim.refcount import RefCounting
from ...reclaim.types import DEAD, DEINITING, LIVE, ReclaimError
from ..questions import Cases, Exercise, Question
from .graph_kit import alive, graph_player, listed, scope


class RefcountRuntime:
    """What the learner's decref may use: a count in the header, the references, and free."""

    def __init__(self, scheme: RefCounting) -> None:
        self.scheme = scheme

    @property
    def heap(self) -> Heap:
        return self.scheme.heap

    def _usable(self, obj: Obj, what: str) -> None:
        if not isinstance(obj, Obj) or not self.heap.allocated(obj):
            name = getattr(obj, "name", repr(obj))
            raise ReclaimError(f"{what}({name}): {name} was already freed (a use after free)")

    def rc(self, obj: Obj) -> int:
        """The object's reference count, read from its header."""
        self._usable(obj, "rc")
        return self.heap.word(obj, "rc")

    def set_rc(self, obj: Obj, n: int) -> None:
        """Write the object's reference count into its header."""
        self._usable(obj, "set_rc")
        self.heap.set_word(obj, "rc", n)
        if self.heap.recorder is not None:
            self.heap.emit(Decref(self.heap.step, obj.name, obj.id, obj.address, n, ""))

    def clear(self, obj: Obj) -> list[Obj]:
        """Set each reference field of ``obj`` to nil; return the objects they referred to, in field order."""
        self._usable(obj, "clear")
        targets = []
        for f in obj.type.fields:
            if f.is_ref:
                slot = Slot(obj, f)
                target = self.scheme.decode(slot, slot.get())
                slot.put(0)
                if target is not None:
                    targets.append(target)
        return targets

    def free(self, obj: Obj) -> None:
        """Run the object's deinit and give its memory back (only at count zero)."""
        self._usable(obj, "free")
        if self.rc(obj):
            raise ReclaimError(f"free({obj.name}): its count is {self.rc(obj)}, so something still refers to it")
        self.heap.set_state(obj, DEINITING)
        self.heap.run_deinit(obj)
        self.heap.dealloc(obj, DEAD)


class ExerciseRefCounting(RefCounting):
    """CPython-style reference counting whose decrement (and cascade) is the learner's."""

    def __init__(self, decref) -> None:
        super().__init__()
        self.learner_decref = decref
        self.runtime = RefcountRuntime(self)

    def decref(self, obj: Obj, why: str = "") -> None:
        self.heap.counters["decref"] += 1
        self.learner_decref(self.runtime, obj)


def new_heap(decref) -> tuple[Heap, object]:
    heap = Heap(ExerciseRefCounting(decref))
    return heap, heap.type("Node", ["left", "right"])


def _leaks(heap: Heap, cases: Cases, what: str) -> None:
    """No object may stay allocated once nothing refers to it (except inside a cycle)."""
    left = alive(heap)
    cases.expect(not left, f"{what}: {listed(left)} still allocated although nothing refers to them")


def check_decref(fns: dict) -> Cases:
    decref, cases = fns["decref"], Cases()
    with cases.case("a count that stays above zero", 1):
        heap, Node = new_heap(decref)
        with scope(heap) as s:
            s.a = heap.new(Node, name="a")
            s.b = s.a
            del s.b
            rc = heap.word(s.a, "rc")
            cases.expect(rc == 1 and heap.allocated(s.a), f"after `b = nil`, a has rc {rc}; expected 1, and a alive")
    with cases.case("a count that reaches zero frees the object", 1):
        heap, Node = new_heap(decref)
        with scope(heap) as s:
            s.a = heap.new(Node, name="a")
        _leaks(heap, cases, "after the scope holding the only reference to a ended")
    with cases.case("the cascade: freeing a frees what only a referred to", 1):
        heap, Node = new_heap(decref)
        with scope(heap) as s:
            s.a = heap.new(Node, name="a", left=heap.new(Node, name="b", left=heap.new(Node, name="c")))
            s.a.right = heap.new(Node, name="d")
        _leaks(heap, cases, "after the only reference to a (a → b → c, a → d) went away")
    with cases.case("a shared child survives its first parent", 1):
        heap, Node = new_heap(decref)
        with scope(heap) as s:
            s.a = heap.new(Node, name="a", left=heap.new(Node, name="c"))
            s.b = heap.new(Node, name="b", left=s.a.left)
            del s.a
            left = alive(heap)
            cases.expect(left == ["b", "c"], f"after `a = nil` the live objects are {listed(left)}; expected b, c")
            heap.check()
        _leaks(heap, cases, "at the end of the scope")
    with cases.case("a cycle is never freed (the surprise of notebook 14)", 1):
        heap, Node = new_heap(decref)
        with scope(heap) as s:
            s.a = heap.new(Node, name="a", left=heap.new(Node, name="b"))
            s.a.left.left = s.a
        left = alive(heap)
        cases.expect(
            left == ["a", "b"], f"a ⇄ b should leak (each keeps the other's count at 1); alive: {listed(left)}"
        )
        rcs = [heap.word(o, "rc") for o in heap.objects.values() if heap.allocated(o)]
        cases.expect(rcs == [1, 1], f"a and b should have rc 1 each; they have {rcs}")
    return cases


def demo(decref):
    """A little tree a → (b → c, d), dropped at the end of its scope: one decrement frees four objects."""
    heap, Node = new_heap(decref)
    with heap.record() as rec:
        with heap.scope("main") as s:
            s.a = heap.new(Node, name="a", left=heap.new(Node, name="b", left=heap.new(Node, name="c")))
            s.a.right = heap.new(Node, name="d")
    return graph_player(rec.recording, "Your decref: the cascade")


EXERCISE = Exercise(
    "14_reference_counting",
    "Reference counting: the cascade",
    (Question("decref", "decrement and cascade", ("decref",), 5, check_decref),),
)

__all__ = ["LIVE", "EXERCISE", "ExerciseRefCounting", "RefcountRuntime", "demo"]
