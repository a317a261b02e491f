"""The learner's handles: an object, a reference field, a variable, a scope.

``Obj`` turns ``a.next = b`` into a store through the heap's scheme and ``a.next`` into a load;
``ScopeFrame`` does the same for the variables of a scope, which are the roots. ``Slot`` is a
reference field as a word in simulated memory; ``VarSlot`` is a variable, whose word is kept beside
the heap. As in CPython and Swift, a reference is one machine word; these Python objects are only
handles to those words, and every rule is the heap's (:mod:`.objects`) and its scheme's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .types import LIVE, STRONG, Field, ObjType

if TYPE_CHECKING:
    from .objects import Heap


class Obj:
    """An object on the simulated heap, and the learner's handle to it.

    Fields are attributes: ``a.next = b`` stores through the scheme, ``a.next`` loads.
    """

    __slots__ = ("_heap", "_type", "_id", "_name", "_address", "_state", "_temp", "_var", "_freed_at")

    def __init__(self, heap: Heap, t: ObjType, oid: int, name: str, address: int) -> None:
        for key, value in (
            ("_heap", heap),
            ("_type", t),
            ("_id", oid),
            ("_name", name),
            ("_address", address),
            ("_state", LIVE),
            ("_temp", None),
            ("_var", None),
            ("_freed_at", None),
        ):
            object.__setattr__(self, key, value)

    name = property(lambda self: self._name, doc="The label given at ``new``.")
    type = property(lambda self: self._type, doc="The :class:`ObjType`.")
    address = property(lambda self: self._address, doc="Where the header starts.")
    state = property(lambda self: self._state, doc="live, deiniting, deinited, freed or dead.")
    id = property(lambda self: self._id)
    heap = property(lambda self: self._heap)

    def __getattr__(self, field: str):
        if field.startswith("_"):
            raise AttributeError(field)
        return self._heap.load(self, field)

    def __setattr__(self, field: str, value: object) -> None:
        if field.startswith("_"):
            object.__setattr__(self, field, value)
        else:
            self._heap.store(self, field, value)

    def __delattr__(self, field: str) -> None:
        self._heap.store(self, field, None)

    def __dir__(self) -> list[str]:
        return sorted(set(object.__dir__(self)) | {f.name for f in self._type.fields})

    def __repr__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self._heap.scheme.counts(self)) if self._heap.allocated(self) else ""
        where = f" at {self._address:#x}" if self._address else ""
        return f"<{self._type.name} {self._name}{where}, {self._state}{', ' + counts if counts else ''}>"


class Slot:
    """A reference field of an object: a word in simulated memory."""

    __slots__ = ("obj", "field")

    def __init__(self, obj: Obj, field: Field) -> None:
        self.obj, self.field = obj, field

    kind = property(lambda self: self.field.kind)
    label = property(lambda self: f"{self.obj._name}.{self.field.name}")
    address = property(lambda self: self.obj._heap.slot_address(self.obj, self.field))

    def get(self) -> int:
        return self.obj._heap.memory.read_word(self.address)

    def put(self, word: int) -> None:
        self.obj._heap.memory.write_word(self.address, word)


class VarSlot:
    """A variable of a scope (a root). Its word is kept beside the heap."""

    __slots__ = ("frame", "name", "kind", "word")

    def __init__(self, frame: ScopeFrame, name: str, kind: str) -> None:
        self.frame, self.name, self.kind, self.word = frame, name, kind, 0

    @property
    def label(self) -> str:
        return self.name if self.frame._name == "globals" else f"{self.frame._name}.{self.name}"

    def get(self) -> int:
        return self.word

    def put(self, word: int) -> None:
        self.word = word


class ScopeFrame:
    """A scope: its variables are roots, dropped in reverse order when it ends."""

    __slots__ = ("_heap", "_name", "_vars", "_temps", "_open")
    RESERVED = frozenset({"var", "close", "names"})

    def __init__(self, heap: Heap, name: str) -> None:
        for key, value in (("_heap", heap), ("_name", name), ("_vars", {}), ("_temps", {}), ("_open", True)):
            object.__setattr__(self, key, value)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._heap.read_var(self, name)

    def __setattr__(self, name: str, value: object) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self._heap.bind(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._heap.unbind(self, name)

    def var(self, name: str, value: Obj | None = None, *, kind: str = STRONG) -> None:
        """Declare a variable of a given kind (``"strong"``, ``"weak"``, ``"unowned"``)."""
        self._heap.bind(self, name, value, kind=kind)

    def names(self) -> list[str]:
        return list(self._vars)

    def close(self) -> None:
        """Leave the scope (what ``with`` does at its end)."""
        self._heap.leave(self)

    def __enter__(self) -> ScopeFrame:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._open:
            self._heap.leave(self)

    def __repr__(self) -> str:
        return f"<scope {self._name}: {', '.join(self._vars) or 'no variables'}>"
