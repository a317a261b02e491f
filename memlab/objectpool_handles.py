"""Generational handles of an object pool: a stale handle is caught, never silently reused.

``acquire`` returns a handle holding the object's index and its *generation*; releasing the
object adds one to the generation, so every older handle to it is stale from then on, even after
the object has been handed to someone else. This is how generational handles in game engines and
Rust's ``slotmap`` catch a use after release or a second release. Fields are read and written
through the handle, as 64-bit integers in simulated memory, each access checked first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import BadRequest, DoubleFree, InvalidFree, UseAfterFree
from .memory import WORD

if TYPE_CHECKING:
    from .objectpool import ObjectPool


class DoubleRelease(DoubleFree):
    """release() of an object through a handle that was already released."""


class ForeignObject(InvalidFree):
    """release() of something that is not a handle from this pool."""


class UseAfterRelease(UseAfterFree):
    """A field read or written through a handle whose object was released."""


class Handle:
    """A reference to one pooled object, valid until that object is released."""

    __slots__ = ("pool", "index", "generation")
    _fields: tuple[str, ...] = ()

    def __init__(self, pool: ObjectPool, index: int, generation: int) -> None:
        self.pool, self.index, self.generation = pool, index, generation

    @property
    def address(self) -> int:
        return self.pool.addresses[self.index]

    @property
    def alive(self) -> bool:
        """True until this handle's object is released."""
        return self.pool._generation[self.index] == self.generation and self.index in self.pool._in_use

    def values(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in self._fields}

    def __repr__(self) -> str:
        state = ", ".join(f"{k}={v}" for k, v in self.values().items()) if self.alive else "released"
        return f"<{type(self).__name__} #{self.index} at {self.address:#x}: {state}>"


def field_property(i: int, name: str) -> property:
    def get(self: Handle) -> int:
        return self.pool._word(self, name, i)

    def put(self: Handle, value: int) -> None:
        self.pool._store(self, name, i, value)

    return property(get, put, doc=f"the 64-bit field {name!r} at offset {i * WORD}")


class HandleChecks:
    """Checking a handle, and field access through it, for :class:`~.objectpool.ObjectPool` (a mixin)."""

    def _valid(self, handle: object, what: str) -> int:
        if not isinstance(handle, Handle):
            raise ForeignObject(f"{what} of {handle!r}: not an object of this pool", step=self.step)
        if handle.pool is not self:
            raise ForeignObject(f"{what} of object #{handle.index} of another pool", step=self.step)
        i = handle.index
        if i >= len(self._generation):
            raise ForeignObject(f"{what} of object #{i}: this pool was closed", step=self.step)
        if self._generation[i] == handle.generation and i in self._in_use:
            return i
        fate = f"was released at step {self._released_at[i]}"
        if i in self._in_use:
            fate += f" and acquired again at step {self._in_use[i]}"
        cls = DoubleRelease if what == "release" else UseAfterRelease
        text = "double release" if what == "release" else f"{what} through a stale handle"
        raise cls(f"{text}: object #{i} {fate}", address=self.addresses[i], step=self.step)

    def _word(self, handle: Handle, name: str, i: int) -> int:
        index = self._valid(handle, f"read of .{name}")
        return int.from_bytes(self.memory.read(self.addresses[index] + i * WORD, WORD), "little", signed=True)

    def _store(self, handle: Handle, name: str, i: int, value: int) -> None:
        index = self._valid(handle, f"write of .{name}")
        if type(value) is not int or not -(1 << 63) <= value < 1 << 63:
            raise BadRequest(f"field {name!r} holds a 64-bit integer, not {value!r}", step=self.step)
        self.memory.write(self.addresses[index] + i * WORD, value.to_bytes(WORD, "little", signed=True))
