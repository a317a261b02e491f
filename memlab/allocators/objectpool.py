"""An object pool behind the allocator contract, registered as ``objectpool``.

``alloc(n)`` acquires a preallocated object of at least ``n`` bytes from a
:class:`~memlab.objectpool.ObjectPool`; ``free`` releases it, and release *resets* it (zeroes its
bytes), as a pool of game objects or database connections does. So, unlike ``pool``, a freed
block never keeps its old contents, and nothing is allocated after the pool is filled unless it
grows (``on_empty="grow"`` doubles it, ``"error"`` raises :class:`~memlab.objectpool.PoolExhausted`).

This adapter exists so the object pool runs through the same property suite and trace replays as
every other strategy; programs that want fields and handles use :class:`~memlab.objectpool.ObjectPool`.
Simplification: one object size per pool (a request above it is :class:`~memlab.errors.TooLarge`).
"""

from __future__ import annotations

from ..errors import BadRequest, TooLarge
from ..memory import WORD, align_up
from ..objectpool import Handle, ObjectPool
from .base import ALLOCATED, FREE, Allocator, Block
from .pool import Pool
from .registry import register


@register(
    "objectpool",
    test_options={"size": 256, "capacity": 16},
    max_request=256,
    aligns=(None, 8),
)
class PooledObjects(Allocator):
    """Object pool as an allocator: acquire on alloc, reset and release on free."""

    name = "objectpool"

    def __init__(self, size: int = 64, capacity: int = 16, *, on_empty: str = "grow", **kw) -> None:
        if type(size) is not int or size <= 0:
            raise BadRequest(f"object size {size!r} must be a positive integer")
        words = align_up(size, WORD) // WORD
        pool_kw = {k: kw.pop(k) for k in ("os", "limit") if k in kw}
        if type(capacity) is not int or capacity <= 0:
            raise BadRequest(f"object pool capacity {capacity!r} must be a positive integer")
        under = Pool(words * WORD, blocks=capacity, grow=on_empty == "grow", **pool_kw)
        self.objects = ObjectPool([f"w{i}" for i in range(words)], capacity, on_empty=on_empty, allocator=under)
        super().__init__(os=under.os, **kw)
        self.object_size = words * WORD
        self._handles: dict[int, Handle] = {}

    @property
    def footprint(self) -> int:
        return self.objects.allocator.footprint

    def _alloc(self, size: int, align: int) -> int:
        if size > self.object_size:
            raise TooLarge(f"a {size}-byte request does not fit this pool's {self.object_size}-byte objects")
        handle = self.objects.acquire()
        self._handles[handle.address] = handle
        return handle.address

    def _free(self, address: int, size: int) -> None:
        self.objects.release(self._handles.pop(address))

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        return new_size <= self.object_size

    def layout(self) -> list[Block]:
        size, live = self.object_size, self._live
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
