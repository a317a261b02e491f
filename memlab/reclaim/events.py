"""Reclamation events: what the object model and its schemes did, one step at a time.

Each event names the object by its label (``obj``), its id (``oid``, for views to highlight it)
and its address; ``describe()`` says what happened in plain words. The names follow the real
systems: CPython's ``Py_INCREF``/``Py_DECREF``, Swift's ``swift_retain``/``swift_release``,
Bacon & Rajan's colours, CPython's ``gc_refs`` and generations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..events import Event


@dataclass(frozen=True, slots=True)
class ObjEvent(Event):
    """An event about one object."""

    obj: str
    oid: int
    address: int


@dataclass(frozen=True, slots=True)
class New(ObjEvent):
    type: str
    size: int

    def describe(self) -> str:
        return f"new {self.type} {self.obj}: {self.size} bytes at {self.address:#x}"


@dataclass(frozen=True, slots=True)
class Store(Event):
    """A reference (or integer) stored into a field or a variable."""

    place: str
    old: str | None
    new: str | None
    ref: str = "strong"
    handover: bool = False

    def describe(self) -> str:
        kind = "" if self.ref == "strong" else f" ({self.ref})"
        was = f" (was {self.old})" if self.old is not None else ""
        new = "nil" if self.new is None else self.new
        takes = ": the new object's first reference, nothing to count" if self.handover else ""
        return f"{self.place} = {new}{kind}{was}{takes}"


@dataclass(frozen=True, slots=True)
class Incref(ObjEvent):
    count: int
    why: str = ""

    def describe(self) -> str:
        why = f" ({self.why})" if self.why else ""
        return f"incref {self.obj}: refcount {self.count - 1} → {self.count}{why}"


@dataclass(frozen=True, slots=True)
class Decref(ObjEvent):
    count: int
    why: str = ""

    def describe(self) -> str:
        why = f" ({self.why})" if self.why else ""
        zero = ", it is garbage" if self.count == 0 and not self.why else ""
        return f"decref {self.obj}: refcount {self.count + 1} → {self.count}{zero}{why}"


@dataclass(frozen=True, slots=True)
class Retain(ObjEvent):
    """Swift's runtime adds one to a count: strong, unowned or weak."""

    count: int
    which: str = "strong"
    call: str = "swift_retain"

    def describe(self) -> str:
        return f"{self.call}({self.obj}): {self.which} count {self.count - 1} → {self.count}"


@dataclass(frozen=True, slots=True)
class Release(ObjEvent):
    count: int
    which: str = "strong"
    call: str = "swift_release"

    def describe(self) -> str:
        return f"{self.call}({self.obj}): {self.which} count {self.count + 1} → {self.count}"


@dataclass(frozen=True, slots=True)
class Deinit(ObjEvent):
    def describe(self) -> str:
        return f"deinit {self.obj}: its count reached zero, so it is torn down"


@dataclass(frozen=True, slots=True)
class StateChange(ObjEvent):
    old: str
    new: str

    def describe(self) -> str:
        return f"{self.obj}: {self.old} → {self.new}"


@dataclass(frozen=True, slots=True)
class Dealloc(ObjEvent):
    size: int
    why: str = ""

    def describe(self) -> str:
        why = f" ({self.why})" if self.why else ""
        return f"free {self.obj}: {self.size} bytes at {self.address:#x} go back to the allocator{why}"


@dataclass(frozen=True, slots=True)
class Colour(ObjEvent):
    """Bacon & Rajan's colours (and tricolour marking): black, gray, white, purple."""

    old: str
    new: str
    why: str = ""

    def describe(self) -> str:
        why = f"{self.why}: " if self.why else ""
        return f"{why}{self.obj} {self.old} → {self.new}"


@dataclass(frozen=True, slots=True)
class Buffered(ObjEvent):
    """An object enters (or leaves) the buffer of possible cycle roots."""

    added: bool = True

    def describe(self) -> str:
        if self.added:
            return f"{self.obj} may be the root of a garbage cycle: buffered"
        return f"{self.obj} leaves the buffer of possible roots"


@dataclass(frozen=True, slots=True)
class Phase(Event):
    """A collector enters a phase (MarkRoots, ScanRoots, update_refs, ...)."""

    name: str
    detail: str = ""

    def describe(self) -> str:
        return f"{self.name}: {self.detail}" if self.detail else self.name


@dataclass(frozen=True, slots=True)
class GcRefs(ObjEvent):
    """CPython's gc_refs: a scratch copy of the refcount used to find garbage."""

    value: int
    why: str = ""

    def describe(self) -> str:
        why = f"{self.why}: " if self.why else ""
        return f"{why}gc_refs({self.obj}) = {self.value}"


@dataclass(frozen=True, slots=True)
class Moved(ObjEvent):
    """An object moves between a collector's lists (generations, unreachable, ...)."""

    to: str
    why: str = ""

    def describe(self) -> str:
        why = f" ({self.why})" if self.why else ""
        return f"{self.obj} → {self.to}{why}"


@dataclass(frozen=True, slots=True)
class Finalize(ObjEvent):
    """A finalizer (``__del__``, Swift's ``deinit`` body) runs."""

    def describe(self) -> str:
        return f"run the finalizer of {self.obj}"


@dataclass(frozen=True, slots=True)
class Resurrect(ObjEvent):
    def describe(self) -> str:
        return f"{self.obj} was resurrected by a finalizer: it stays alive"


@dataclass(frozen=True, slots=True)
class WeakCleared(ObjEvent):
    refs: int = 1

    def describe(self) -> str:
        return f"clear {self.refs} weak reference(s) to {self.obj}: they now read None"


@dataclass(frozen=True, slots=True)
class ScopeExit(Event):
    frame: str
    released: tuple[str, ...] = ()

    def describe(self) -> str:
        gone = ", ".join(self.released) if self.released else "nothing"
        return f"leave scope {self.frame}: drop {gone}"


@dataclass(frozen=True, slots=True)
class Collected(Event):
    """A collection finished."""

    scheme: str
    found: int
    examined: int
    generation: int = -1

    def describe(self) -> str:
        gen = f" of generation {self.generation}" if self.generation >= 0 else ""
        return f"{self.scheme} collection{gen}: examined {self.examined} objects, {self.found} were garbage"


@dataclass(frozen=True, slots=True)
class PoolPushPop(Event):
    """An autorelease pool is pushed or popped."""

    KIND: ClassVar[str] = "pool"

    depth: int
    push: bool = True
    pending: int = 0

    def describe(self) -> str:
        if self.push:
            return f"objc_autoreleasePoolPush: pool {self.depth} begins"
        return f"objc_autoreleasePoolPop: pool {self.depth} ends, releasing {self.pending} object(s)"
