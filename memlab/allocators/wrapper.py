"""Wrappers: allocators that serve every request from another allocator, their *child*.

Zig builds its debugging and testing allocators this way: ``FailingAllocator`` and
``DebugAllocator`` each hold a child ``std.mem.Allocator`` and pass requests on, adding one
behaviour, as ``ThreadSafeAllocator`` (a mutex around the child) did through Zig 0.15; Zig 0.16
dropped it when its ``ArenaAllocator`` became thread-safe. A memlab wrapper is itself a full memlab allocator (the
contract, the property suite and the players all work on it), shares its child's simulated
machine, and shows the child's layout.

The child's own events (splits, coalescing, growth) are passed on to whoever records the wrapper,
renumbered with the wrapper's steps; its alloc and free events are dropped, because the wrapper
reports those itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..errors import BadRequest
from ..events import Alloc, Event, Free, Move, Resize
from .base import Allocator, Block, Stats
from .registry import allocator as build_spec

Child = str | Allocator | Callable[[], Allocator]


def build(child: Child, **options: Any) -> Allocator:
    """An allocator from a registry spec (``"bump:size=4096"``), an instance or a factory."""
    if isinstance(child, str):
        made = build_spec(child, **options)
    elif options:
        raise BadRequest(f"options {sorted(options)} only apply when the child is given by name")
    elif isinstance(child, Allocator):
        made = child
    elif callable(child):
        made = child()
    else:
        raise BadRequest(f"cannot build an allocator from {child!r}")
    if not isinstance(made, Allocator):
        raise BadRequest(f"{child!r} did not give a memlab allocator")
    if made.live():
        raise BadRequest(f"the child {type(made).__name__} already has live blocks; wrap a fresh allocator")
    return made


class Wrapper(Allocator):
    """Pass every request to ``self.inner``; subclasses add one behaviour each."""

    name = "wrapper"
    child_option = "inner"
    """The name under which the constructor takes the child (errors about the child name it)."""

    def __init__(self, inner: Child = "bump", **options: Any) -> None:
        self._recorder = None
        with self._option(**{self.child_option: inner}):
            self.inner = build(inner, **options)
        super().__init__(os=self.inner.os)
        self.default_align = self.inner.default_align

    def children(self) -> list[Allocator]:
        """The allocators this one takes memory from."""
        return [self.inner]

    # -- recording: forward the children's own events ---------------------------------------
    @property
    def recorder(self):
        return self._recorder

    @recorder.setter
    def recorder(self, value) -> None:
        self._recorder = value
        for child in self.children():
            child.recorder = None if value is None else self._forward

    def _forward(self, event: Event) -> None:
        if self._recorder is not None and not isinstance(event, (Alloc, Free, Resize, Move)):
            self._recorder(replace(event, step=self.step))

    # -- requests go to the child ---------------------------------------------------------------
    def _alloc(self, size: int, align: int) -> int:
        return self._relay(self.inner.alloc, size, align)

    def _free(self, address: int, size: int) -> None:
        self._relay(self.inner.free, address)

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        return self._relay(self.inner.resize, address, new_size)

    # -- views: the child's ---------------------------------------------------------------------
    def layout(self) -> list[Block]:
        return self.inner.layout()

    def extent(self) -> tuple[int, int]:
        return self.inner.extent()

    def reclaimed(self) -> bool:
        return not self._live and all(child.reclaimed() for child in self.children())

    @property
    def footprint(self) -> int:
        return sum(child.footprint for child in self.children())

    def stats(self) -> Stats:
        mine = super().stats()
        peak = sum(child.stats().peak_footprint for child in self.children())
        return replace(mine, footprint=self.footprint, peak_footprint=peak)

    def _check(self) -> None:
        for child in self.children():
            child.check()
