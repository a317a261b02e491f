"""Object types, field kinds, object states, header flag bits and the reclamation errors.

A type is a name and a list of fields; each field is one word of the object and has a kind:
``strong`` (owns its target), ``weak`` (zeroing: reads nil once the target is gone),
``unowned`` (does not own; reading it after the target died is an error) or ``int`` (a plain
64-bit number). Field declarations read like Swift's: ``"weak tenant"``, ``"unowned customer"``.
Object states follow the Swift runtime's lifecycle: live → deiniting → deinited → freed → dead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..errors import BadRequest, MemlabError, UseAfterFree

STRONG, WEAK, UNOWNED, INT = "strong", "weak", "unowned", "int"
KINDS = (STRONG, WEAK, UNOWNED, INT)
REF_KINDS = (STRONG, WEAK, UNOWNED)

LIVE, DEINITING, DEINITED, FREED, DEAD = "live", "deiniting", "deinited", "freed", "dead"
STATES = (LIVE, DEINITING, DEINITED, FREED, DEAD)
COLOURS = ("black", "gray", "white", "purple")
"""Bacon & Rajan's colours; black (0) is the colour of a fresh header."""

FLAGS = {
    "type": (0, 16),
    "state": (16, 3),
    "colour": (19, 2),
    "buffered": (21, 1),
    "marked": (22, 1),
    "finalized": (23, 1),
    "generation": (24, 2),
    "age": (26, 4),
    "remembered": (30, 1),
}
"""Bit fields of the first header word: name -> (lowest bit, width)."""

RESERVED = frozenset({"name", "type", "address", "state", "id", "heap"})


class ReclaimError(MemlabError):
    """Misuse of the object model or of a reclamation scheme."""


class BadField(ReclaimError, BadRequest):
    """A bad type declaration, an unknown field or option, or a value of the wrong sort."""


class DeadObject(ReclaimError, UseAfterFree):
    """Use of an object (through a stale handle) after its memory was given back."""


class ScopeError(ReclaimError):
    """Leaving scopes out of order, or using a scope or a variable that does not exist."""


class DoubleRelease(ReclaimError):
    """A release with no reference left to give up (Objective-C's over-release)."""


class RetainOfFreed(ReclaimError):
    """A retain of an object whose count already reached zero."""


class CollectionInProgress(ReclaimError):
    """The heap was changed from inside a collection (a finalizer storing a reference)."""


@dataclass(frozen=True, slots=True)
class Field:
    """One word of an object: its name, kind and index after the header."""

    name: str
    kind: str
    index: int

    @property
    def is_ref(self) -> bool:
        return self.kind != INT


def check_kind(kind: object, where: str) -> str:
    if kind not in KINDS:
        raise BadField(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    return kind  # type: ignore[return-value]


def parse_field(spec: object, index: int, type_name: str) -> Field:
    """``"next"``, ``"weak prev"`` or ``("prev", "weak")`` -> a Field."""
    if isinstance(spec, tuple) and len(spec) == 2:
        name, kind = spec
    elif isinstance(spec, str):
        words = spec.split()
        name, kind = (words[0], STRONG) if len(words) == 1 else (words[-1], " ".join(words[:-1]))
    else:
        raise BadField(f"type {type_name}: field {spec!r} is not 'name' or 'kind name'")
    check_kind(kind, f"type {type_name}, field {name}")
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        raise BadField(f"type {type_name}: field name {name!r} is not a plain identifier")
    if name in RESERVED:
        raise BadField(f"type {type_name}: {name!r} is reserved (objects already have .{name})")
    return Field(name, kind, index)


class ObjType:
    """A type: a name, fields in declaration order and an optional ``deinit(obj)``."""

    __slots__ = ("tid", "name", "fields", "deinit", "_by_name")

    def __init__(
        self, tid: int, name: str, fields: Iterable[object] = (), deinit: Callable[[object], object] | None = None
    ) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise BadField(f"type name {name!r} is not an identifier")
        if deinit is not None and not callable(deinit):
            raise BadField(f"type {name}: deinit {deinit!r} is not callable")
        if isinstance(fields, str):
            fields = [fields]
        elif not isinstance(fields, Iterable):
            raise BadField(f"type {name}: fields {fields!r} is not a list of fields like ['next', 'int value']")
        self.tid, self.name, self.deinit = tid, name, deinit
        self.fields = tuple(parse_field(spec, i, name) for i, spec in enumerate(fields))
        self._by_name = {f.name: f for f in self.fields}
        if len(self._by_name) != len(self.fields):
            raise BadField(f"type {name}: a field name is used twice")

    def field(self, name: str) -> Field:
        found = self._by_name.get(name)
        if found is None:
            known = ", ".join(self._by_name) or "no fields"
            raise BadField(f"{self.name} has no field {name!r} (it has {known})")
        return found

    @property
    def refs(self) -> tuple[Field, ...]:
        """The reference fields (every kind but int)."""
        return tuple(f for f in self.fields if f.is_ref)

    def size(self, header_words: int) -> int:
        """Bytes of an object of this type: header words then one word per field."""
        return 8 * (header_words + len(self.fields))

    def __repr__(self) -> str:
        fields = ", ".join(f.name if f.kind == STRONG else f"{f.kind} {f.name}" for f in self.fields)
        return f"<type {self.name}({fields})>"
