"""Object pools: preallocated objects that are acquired and released, never created or destroyed.

Follows the Object Pool pattern of Nystrom's *Game Programming Patterns* (a fixed array of
particles, each "in use" or not) and the pools of libraries such as Apache Commons Pool 1.x
(``borrowObject``/``returnObject``; when the pool is exhausted, fail or grow). The objects live
in simulated memory, one fixed-size block each from an allocator underneath (by default a
:class:`~memlab.allocators.pool.Pool`), as records of 64-bit fields. ``acquire`` hands out an
object that is not in use; ``release`` runs the *reset* callback (default: zero every field) and
puts it back. Nothing is allocated after the pool is filled, unless it grows.

``acquire`` returns a generational *handle* (see :mod:`memlab.objectpool_handles`), so a use
after release or a second release is caught even when the object was handed to someone else.

Simplifications: fields are 64-bit integers; the bookkeeping (which objects are available, their
generations) lives on the Python side, as a real pool keeps it in its own arrays; no blocking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ..errors import BadAlignment, BadRequest, DoubleFree, InvalidFree, UseAfterFree
from ..memory import WORD, is_power_of_two

if TYPE_CHECKING:
    from .objectpool import ObjectPool
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..errors import MemlabError, OutOfMemory, TooLarge
from ..events import Event, Recorder
from ..memory import align_up
from .base import ALLOCATED, FREE, Allocator, Block
from .pool import Pool

# -- Generational handles of an object pool: a stale handle is caught, never silently reused.
#
# ``acquire`` returns a handle holding the object's index and its *generation*; releasing the
# object adds one to the generation, so every older handle to it is stale from then on, even after
# the object has been handed to someone else. This is how generational handles in game engines and
# Rust's ``slotmap`` catch a use after release or a second release. Fields are read and written
# through the handle, as 64-bit integers in simulated memory, each access checked first.


class DoubleHandleRelease(DoubleFree):
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


class PoolExhausted(OutOfMemory):
    """Every object is in use and the pool's policy is "error"."""


class ObjectLeak(MemlabError):
    """The pool was closed with objects still in use."""


@dataclass(frozen=True, slots=True)
class PoolAcquire(Event):
    KIND: ClassVar[str] = "acquire"

    index: int
    address: int
    in_use: int

    def describe(self) -> str:
        return f"acquire object #{self.index} at {self.address:#x} ({self.in_use} in use)"


@dataclass(frozen=True, slots=True)
class PoolRelease(Event):
    KIND: ClassVar[str] = "release"

    index: int
    address: int
    in_use: int

    def describe(self) -> str:
        return f"release object #{self.index} at {self.address:#x}: reset, back in the pool ({self.in_use} in use)"


@dataclass(frozen=True, slots=True)
class PoolRefill(Event):
    KIND: ClassVar[str] = "refill"

    added: int
    capacity: int

    def describe(self) -> str:
        return f"pool exhausted: allocate {self.added} more objects (capacity {self.capacity})"


@dataclass(frozen=True, slots=True)
class PoolSlot:
    """One object of a snapshot: where it lives, whether it is in use, since when, its fields."""

    index: int
    address: int
    in_use: bool
    acquired_at: int | None
    values: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ObjectPoolSnapshot:
    fields: tuple[str, ...]
    slots: tuple[PoolSlot, ...]
    available: tuple[int, ...]  # indices, next to be acquired first
    acquires: int
    allocations: int


class ObjectPool:
    """Preallocated objects with ``fields``, acquired and released (see the module docstring)."""

    recorder = None

    def __init__(
        self,
        fields: Iterable[str] = ("value",),
        capacity: int = 8,
        *,
        reset: Callable[[Handle], object] | None = None,
        on_empty: str = "error",
        allocator: Allocator | None = None,
        name: str = "Object",
    ) -> None:
        self.fields = tuple(fields)
        if (
            not self.fields
            or len(set(self.fields)) != len(self.fields)
            or not all(f.isidentifier() for f in self.fields)
        ):
            raise BadRequest(f"object fields {self.fields!r}: need distinct Python names")
        if type(capacity) is not int or capacity <= 0:
            raise BadRequest(f"object pool capacity {capacity!r} must be a positive integer")
        if on_empty not in ("error", "grow"):
            raise BadRequest(f"on_empty={on_empty!r}: choose 'error' or 'grow'")
        self.size = WORD * len(self.fields)
        self.allocator = allocator or Pool(self.size, blocks=capacity, grow=on_empty == "grow")
        self.memory = self.allocator.memory
        self.reset, self.on_empty = reset, on_empty
        self.handle_type = type(name, (Handle,), {"__slots__": (), "_fields": self.fields})
        for i, f in enumerate(self.fields):
            setattr(self.handle_type, f, field_property(i, f))
        self.addresses: list[int] = []
        self._generation: list[int] = []
        self._available: list[int] = []  # a stack of indices: the last one is acquired next
        self._in_use: dict[int, int] = {}  # index -> step acquired
        self._released_at: dict[int, int] = {}
        self.step = self.acquires = self.releases = self.allocations = self.peak_in_use = 0
        self._add(capacity)

    # -- filling ---------------------------------------------------------------------------------
    def _add(self, n: int) -> None:
        """Allocate ``n`` more objects and reset each; on any failure, undo all of it."""
        first, new = len(self.addresses), []
        try:
            for _ in range(n):
                new.append(self.allocator.alloc(self.size))
            self.addresses.extend(new)
            self._generation.extend([0] * n)
            for i in range(first, first + n):
                self._in_use[i] = self.step  # a reset callback may write the fields
                try:
                    self._clean(self.handle_type(self, i, 0))
                finally:
                    del self._in_use[i]
        except Exception as e:
            del self.addresses[first:], self._generation[first:]
            for a in new:
                self.allocator.free(a)
            if isinstance(e, MemlabError):
                raise
            raise MemlabError(f"reset of a new object failed: {e!r}", step=self.step) from e
        self.allocations += n
        self._available.extend(range(first + n - 1, first - 1, -1))

    def _clean(self, handle: Handle) -> None:
        if self.reset is None:
            self.memory.fill(handle.address, self.size)
        else:
            self.reset(handle)

    # -- the pool --------------------------------------------------------------------------------
    @property
    def capacity(self) -> int:
        return len(self.addresses)

    @property
    def in_use(self) -> int:
        return len(self._in_use)

    def acquire(self) -> Handle:
        """An object nobody uses, in its reset state."""
        self.step += 1
        if not self._available:
            if self.on_empty == "error":
                raise PoolExhausted(f"all {self.capacity} objects are in use ({self._who()})", step=self.step)
            added = self.capacity
            try:
                self._add(added)
            except MemlabError as e:
                e.step = self.step
                raise
            if self.recorder is not None:
                self._emit(PoolRefill(self.step, added, self.capacity))
        i = self._available.pop()
        self._in_use[i] = self.step
        self.acquires += 1
        self.peak_in_use = max(self.peak_in_use, len(self._in_use))
        if self.recorder is not None:
            self._emit(PoolAcquire(self.step, i, self.addresses[i], len(self._in_use)))
        return self.handle_type(self, i, self._generation[i])

    def release(self, handle: Handle) -> None:
        """Reset the object and make it available again; the handle becomes stale."""
        self.step += 1
        i = self._valid(handle, "release")
        saved = self.memory.read(self.addresses[i], self.size)
        try:
            self._clean(handle)
        except Exception as e:
            self.memory.write(self.addresses[i], saved)
            raise MemlabError(f"reset of object #{i} failed: {e!r}; it stays in use", step=self.step) from e
        del self._in_use[i]
        self._generation[i] += 1
        self._released_at[i] = self.step
        self._available.append(i)
        self.releases += 1
        if self.recorder is not None:
            self._emit(PoolRelease(self.step, i, self.addresses[i], len(self._in_use)))

    # -- leaks and closing -----------------------------------------------------------------------
    def _who(self) -> str:
        shown = [f"#{i} since step {s}" for i, s in list(self._in_use.items())[:4]]
        more = f", +{len(self._in_use) - 4} more" if len(self._in_use) > 4 else ""
        return ", ".join(shown) + more

    def leaks(self) -> list[PoolSlot]:
        """The objects still in use, oldest acquisition first."""
        snap = {s.index: s for s in self.snapshot().slots}
        return sorted((snap[i] for i in self._in_use), key=lambda s: (s.acquired_at, s.index))

    def leak_report(self) -> str:
        """In the spirit of LeakSanitizer: which objects were never released, acquired when."""
        leaks = self.leaks()
        if not leaks:
            return "no leaks: every acquired object was released"
        lines = [f"{len(leaks)} of {self.capacity} objects never released:"]
        for s in leaks:
            values = ", ".join(f"{f}={v}" for f, v in zip(self.fields, s.values))
            lines.append(f"  object #{s.index} at {s.address:#x}, acquired at step {s.acquired_at}: {values}")
        return "\n".join(lines)

    def close(self) -> None:
        """Give every object's memory back to the allocator; raise ObjectLeak if any is in use."""
        if self._in_use:
            raise ObjectLeak(self.leak_report(), step=self.step)
        for a in self.addresses:
            self.allocator.free(a)
        self.addresses, self._generation, self._available = [], [], []

    def __enter__(self) -> ObjectPool:
        return self

    def __exit__(self, kind, *exc) -> None:
        if kind is None:
            self.close()

    # -- recording -------------------------------------------------------------------------------
    def snapshot(self) -> ObjectPoolSnapshot:
        slots = []
        for i, a in enumerate(self.addresses):
            raw = self.memory.read(a, self.size)
            values = tuple(int.from_bytes(raw[j : j + WORD], "little", signed=True) for j in range(0, self.size, WORD))
            slots.append(PoolSlot(i, a, i in self._in_use, self._in_use.get(i), values))
        return ObjectPoolSnapshot(
            self.fields, tuple(slots), tuple(reversed(self._available)), self.acquires, self.allocations
        )

    def record(self, *, snapshots: bool = True) -> Recorder:
        """``with pool.record() as rec: ...`` then ``rec.recording``."""
        return Recorder(self, snapshots=snapshots)

    def _emit(self, event: Event) -> None:
        if self.recorder is not None:
            self.recorder(event)

    def __repr__(self) -> str:
        return f"<ObjectPool of {self.capacity} {self.handle_type.__name__} objects: {self.in_use} in use>"

    # -- checking a handle, and field access through it ----------------------------------------

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
        cls = DoubleHandleRelease if what == "release" else UseAfterRelease
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


__all__ = [
    "PoolAcquire",
    "DoubleHandleRelease",
    "ForeignObject",
    "Handle",
    "ObjectLeak",
    "ObjectPool",
    "ObjectPoolSnapshot",
    "PoolExhausted",
    "PoolRefill",
    "PoolRelease",
    "PoolSlot",
    "UseAfterRelease",
]

# -- An object pool behind the allocator contract, registered as ``objectpool``.
#
# ``alloc(n)`` acquires a preallocated object of at least ``n`` bytes from a
# :class:`~memlab.objectpool.ObjectPool`; ``free`` releases it, and release *resets* it (zeroes its
# bytes), as a pool of game objects or database connections does. So, unlike ``pool``, a freed
# block never keeps its old contents, and nothing is allocated after the pool is filled unless it
# grows (``on_empty="grow"`` doubles it, ``"error"`` raises :class:`~memlab.objectpool.PoolExhausted`).
#
# This adapter exists so the object pool runs through the same property suite and trace replays as
# every other strategy; programs that want fields and handles use :class:`~memlab.objectpool.ObjectPool`.
# Every object is aligned to ``align`` bytes (a word by default, the underlying pool's alignment); a
# request for a stricter alignment raises :class:`~memlab.errors.BadAlignment`, as ``pool`` does.
# Simplification: one object size per pool (a request above it is :class:`~memlab.errors.TooLarge`).


class PooledObjects(Allocator):
    """Object pool as an allocator: acquire on alloc, reset and release on free."""

    name = "objectpool"

    def __init__(self, size: int = 64, capacity: int = 16, *, on_empty: str = "grow", align: int = WORD, **kw) -> None:
        if type(size) is not int or size <= 0:
            raise BadRequest(f"objectpool size={size!r}: the object size must be a positive integer")
        if type(capacity) is not int or capacity <= 0:
            raise BadRequest(f"objectpool capacity={capacity!r}: must be a positive integer")
        if type(align) is not int or not is_power_of_two(align):
            raise BadRequest(f"objectpool align={align!r}: must be a power of two")
        words = align_up(size, WORD) // WORD
        pool_kw = {k: kw.pop(k) for k in ("os", "limit") if k in kw}
        with self._option(size=size, capacity=capacity):
            under = Pool(words * WORD, blocks=capacity, grow=on_empty == "grow", align=align, **pool_kw)
        self.objects = ObjectPool([f"w{i}" for i in range(words)], capacity, on_empty=on_empty, allocator=under)
        super().__init__(os=under.os, **kw)
        self.object_size = words * WORD
        self.align = under.align
        self._handles: dict[int, Handle] = {}

    @property
    def footprint(self) -> int:
        return self.objects.allocator.footprint

    def _alloc(self, size: int, align: int) -> int:
        if size > self.object_size:
            raise TooLarge(f"a {size}-byte request does not fit this pool's {self.object_size}-byte objects")
        if align > self.align:
            raise BadAlignment(f"this pool's objects are aligned to {self.align} bytes, not {align}")
        handle = self.objects.acquire()
        self._handles[handle.address] = handle
        return handle.address

    def _free(self, address: int, size: int) -> None:
        self.objects.release(self._handles.pop(address))

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        return new_size <= self.object_size

    def layout(self) -> list[Block]:
        size, live = self.objects.allocator.block_size, self._live  # the object, and padding up to ``align``
        return [
            Block(a, size, ALLOCATED, "in use", requested=live[a][0])
            if a in live
            else Block(a, size, FREE, "reset, ready to acquire")
            for a in sorted(self.objects.addresses)
        ]

    def reclaimed(self) -> bool:
        return not self._live and self.objects.in_use == 0

    def _check(self) -> None:
        for a, h in self._handles.items():
            if not h.alive or a not in self._live:
                self._corrupt(f"object at {a:#x} is held by the pool adapter but not in use", a)
        if len(self._handles) != self.objects.in_use:
            self._corrupt(f"{self.objects.in_use} objects in use, but {len(self._handles)} blocks are live")
        self.objects.allocator.check()
