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

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .allocators.base import Allocator
from .allocators.pool import Pool
from .errors import BadRequest, MemlabError, OutOfMemory
from .events import Event, Recorder
from .memory import WORD
from .objectpool_handles import DoubleRelease, ForeignObject, Handle, HandleChecks, UseAfterRelease, field_property


class PoolExhausted(OutOfMemory):
    """Every object is in use and the pool's policy is "error"."""


class ObjectLeak(MemlabError):
    """The pool was closed with objects still in use."""


@dataclass(frozen=True, slots=True)
class Acquire(Event):
    index: int
    address: int
    in_use: int

    def describe(self) -> str:
        return f"acquire object #{self.index} at {self.address:#x} ({self.in_use} in use)"


@dataclass(frozen=True, slots=True)
class Release(Event):
    index: int
    address: int
    in_use: int

    def describe(self) -> str:
        return f"release object #{self.index} at {self.address:#x}: reset, back in the pool ({self.in_use} in use)"


@dataclass(frozen=True, slots=True)
class Refill(Event):
    added: int
    capacity: int

    def describe(self) -> str:
        return f"pool exhausted: allocate {self.added} more objects (capacity {self.capacity})"


@dataclass(frozen=True, slots=True)
class Slot:
    """One object of a snapshot: where it lives, whether it is in use, since when, its fields."""

    index: int
    address: int
    in_use: bool
    acquired_at: int | None
    values: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ObjectPoolSnapshot:
    fields: tuple[str, ...]
    slots: tuple[Slot, ...]
    available: tuple[int, ...]  # indices, next to be acquired first
    acquires: int
    allocations: int


class ObjectPool(HandleChecks):
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
                self._emit(Refill(self.step, added, self.capacity))
        i = self._available.pop()
        self._in_use[i] = self.step
        self.acquires += 1
        self.peak_in_use = max(self.peak_in_use, len(self._in_use))
        if self.recorder is not None:
            self._emit(Acquire(self.step, i, self.addresses[i], len(self._in_use)))
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
            self._emit(Release(self.step, i, self.addresses[i], len(self._in_use)))

    # -- leaks and closing -----------------------------------------------------------------------
    def _who(self) -> str:
        shown = [f"#{i} since step {s}" for i, s in list(self._in_use.items())[:4]]
        more = f", +{len(self._in_use) - 4} more" if len(self._in_use) > 4 else ""
        return ", ".join(shown) + more

    def leaks(self) -> list[Slot]:
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
            slots.append(Slot(i, a, i in self._in_use, self._in_use.get(i), values))
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


__all__ = [
    "Acquire",
    "DoubleRelease",
    "ForeignObject",
    "Handle",
    "ObjectLeak",
    "ObjectPool",
    "ObjectPoolSnapshot",
    "PoolExhausted",
    "Refill",
    "Release",
    "Slot",
    "UseAfterRelease",
]
