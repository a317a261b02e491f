"""What a reclamation scheme decides, and the registry that builds schemes by name.

The object model (:mod:`memlab.reclaim.objects`) does the mechanics: it allocates objects,
writes words, keeps scopes. A scheme decides what a store, a scope exit and a load *mean*:
counting (refcount, ARC), buffering possible cycle roots (Bacon–Rajan), nothing at all until
a collection (tracing). The base class counts nothing; ``"manual"`` adds an explicit
``heap.free(obj)``, as in C.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from .types import DEAD, LIVE, BadField, ReclaimError

if TYPE_CHECKING:
    from .objects import Heap, Obj

SCHEMES: dict[str, type[Scheme]] = {}
"""Every scheme ``Heap(name)`` can build, by its ``name``; :mod:`memlab.reclaim` lists them."""


def register(*classes: type[Scheme]) -> None:
    """Make ``Heap(cls.name)`` build each scheme class."""
    for cls in classes:
        if cls.name in SCHEMES and SCHEMES[cls.name] is not cls:
            raise BadField(f"the scheme name {cls.name!r} is taken by {SCHEMES[cls.name].__name__}")
        SCHEMES[cls.name] = cls


def make_scheme(spec: object, **options) -> Scheme:
    """A scheme from a name, a Scheme class or an instance."""
    if isinstance(spec, Scheme):
        return spec
    if isinstance(spec, type) and issubclass(spec, Scheme):
        return spec(**options)
    if not isinstance(spec, str) or spec not in SCHEMES:
        raise BadField(f"no reclamation scheme named {spec!r}; known: {', '.join(sorted(SCHEMES))}")
    cls = SCHEMES[spec]  # type: ignore[index]
    takes = [p for p in inspect.signature(cls).parameters if p != "self"]
    unknown = [k for k in options if k not in takes]
    if unknown:
        raise BadField(
            f"Heap({spec!r}, {unknown[0]}=...): the {spec} scheme has no option {unknown[0]!r}; "
            f"it takes {', '.join(takes) or 'none'}"
        )
    return cls(**options)


class Scheme:
    """The hooks a scheme overrides. The defaults do no counting at all."""

    name = "none"
    header: tuple[str, ...] = ()
    """Header words after the flags word, e.g. ``("rc",)``."""
    colours = False
    """True if the view should show the colour bits (Bacon–Rajan, tricolour marking)."""
    default_allocator: str | None = None
    """The allocator ``Heap(name)`` builds when none is given (None: the heap's default bump allocator)."""

    heap: Heap

    def attach(self, heap: Heap) -> None:
        self.heap = heap

    def init(self, obj: Obj) -> None:
        """Fill the header of a new object (whose +1 is held by a temporary)."""

    def reserve(self, size: int) -> None:
        """``size`` bytes are about to be allocated (a tracing collector may collect first)."""

    def statement(self, text: str) -> None:
        """A learner's operation begins (ARC lists the calls it inserts under it)."""

    def validate(self, place, old: Obj | None, new: Obj | None) -> None:
        """Raise, before anything changes, if this store is not allowed."""

    def assign(self, place, old: Obj | None, new: Obj | None, consumed: bool) -> None:
        """Retain the new target (unless it hands over a temporary's +1), write, release the old."""
        if new is not None and not consumed:
            self.retain(new, place)
        self.heap.write(place, new, old, consumed)
        if old is not None:
            self.release(old, place)

    def retain(self, obj: Obj, place) -> None:
        """A reference to ``obj`` was made at ``place`` (None: a temporary)."""

    def release(self, obj: Obj, place) -> None:
        """A reference to ``obj`` at ``place`` (None: a temporary) went away."""

    def encode(self, place, obj: Obj | None) -> int:
        """The word a reference field holds for ``obj``."""
        return 0 if obj is None else obj._address

    def decode(self, place, word: int) -> Obj | None:
        """The object a field's word refers to (ARC's weak words point at a side table)."""
        return self.heap._at.get(word) if word else None

    def dangling(self, word: int) -> Obj | None:
        """The object freed at ``word`` that a reference still holds, if the scheme knows (a view draws it)."""
        return None

    def load(self, place, obj: Obj | None) -> Obj | None:
        """What reading a reference gives (a weak reference to a dead object reads None)."""
        return obj

    def counts(self, obj: Obj) -> tuple[tuple[str, int], ...]:
        """The counts a view shows for ``obj``."""
        return tuple((w, self.heap.word(obj, w)) for w in self.header)

    def tags(self, obj: Obj) -> tuple[str, ...]:
        """Short words a view shows beside the object (``buffered``, ``gen 1``...)."""
        return ("temporary",) if obj._temp is not None else ()

    def note(self) -> str:
        """A line about the scheme's own state for a snapshot (a collector's phase...); "" if none."""
        return ""

    def check(self) -> None:
        """Verify the scheme's invariants (counts match references, ...)."""

    def collect(self, *args, **options) -> int:
        raise ReclaimError(f"the {self.name} scheme has no collector", step=self.heap.step)

    def no_options(self, call: str, options: dict, takes: str = "no options") -> None:
        """Refuse keyword options a collector does not take, naming them."""
        if options:
            named = ", ".join(f"{k}=" for k in options)
            raise BadField(f"{call} takes {takes}, not {named}", step=self.heap.step)

    def free(self, obj: Obj) -> None:
        raise ReclaimError(
            f"the {self.name} scheme frees objects itself: there is no free({obj._name})", step=self.heap.step
        )

    def manual(self, obj: Obj, op: str) -> None:
        """An explicit retain or release by the learner (Objective-C's manual retain/release)."""
        raise ReclaimError(f"the {self.name} scheme has no manual {op}({obj._name})", step=self.heap.step)


class Manual(Scheme):
    """C's way: nothing is counted; ``heap.free(obj)`` gives an object back."""

    name = "manual"

    def free(self, obj: Obj) -> None:
        heap = self.heap
        heap.usable(obj, f"free({obj._name})")
        with heap.operation(f"free({obj._name})"):
            if obj._temp is not None:
                heap.unfloat(obj)
            heap.run_deinit(obj)
            heap.dealloc(obj, DEAD)

    def tags(self, obj: Obj) -> tuple[str, ...]:
        return () if obj._state == LIVE else (obj._state,)
