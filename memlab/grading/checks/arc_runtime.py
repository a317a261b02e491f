"""Exercise 15's runtime: memlab's ARC with its strong and unowned releases in the learner's hands.

``ARCRuntime`` is all a learner's ``strong_release`` and ``unowned_release`` may touch: the counts
in the object's header, the lifecycle steps (deinit, clear the properties, end the deinit, free)
and the releases by kind, each refusing a step out of order with a hint, as Swift's runtime
would trap. ``ExerciseARC`` routes each release to the learner's function or to memlab's own.
"""

from __future__ import annotations

from ...reclaim.arc import ARC
from ...reclaim.objects import Obj
from ...reclaim.types import DEINITED, DEINITING, LIVE, STRONG, UNOWNED, WEAK, ReclaimError


class ARCRuntime:
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
        self.rt = ARCRuntime(self)

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
