"""Regions: several named arenas on one child allocator, each freed whole.

The idea of Tofte & Talpin's region-based memory management (the ML Kit: every value lives in a
region, and ``letregion`` frees a region when its scope ends) and of Apache's APR pools (one pool
per request or per connection; ``apr_pool_clear`` and ``apr_pool_destroy`` free a pool whole, and
destroying a pool first destroys its subpools). There is no way to free one object by itself:
lifetimes are grouped, and a group dies at once.

Each region here is an :class:`~memlab.allocators.arena.Arena` on the shared child allocator.
``alloc`` goes to the *current* region (``with regions.region("request"):`` opens one, makes it
current and destroys it at the end, like ``letregion``); ``alloc_in(name, n)`` names the region.
``free`` of one block does what the arena does (gives it back only if it was the region's last
allocation). Simplifications: regions are named by strings, not inferred by a compiler; APR's
cleanup callbacks are left out.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from ..errors import BadRequest
from ..events import Event
from .arena import Arena, child_allocator
from .base import ALLOCATED, Allocator, Block


@dataclass(frozen=True, slots=True)
class RegionFreed(Event):
    name: str
    blocks: int
    size: int
    how: str = "destroy"

    def describe(self) -> str:
        what = "cleared (chunks kept)" if self.how == "clear" else "destroyed"
        blocks = "1 block" if self.blocks == 1 else f"{self.blocks} blocks"
        return f"region {self.name!r} {what}: {blocks} ({self.size} bytes) freed at once"


@dataclass
class Region:
    """A named arena and where it hangs in the tree of regions."""

    name: str
    arena: Arena
    parent: str | None = None


class Regions(Allocator):
    """Named regions (arenas) on one child allocator, each freed whole (Tofte-Talpin; APR pools)."""

    name = "regions"

    def __init__(self, child: str | Allocator = "page", **options: Any) -> None:
        with self._option(child=child):
            self.child = child_allocator(child, **options)
        super().__init__(os=self.child.os)
        self.regions: dict[str, Region] = {}
        self.current = "main"
        self.create("main")

    def _region(self, name: str) -> Region:
        if name not in self.regions:
            raise BadRequest(f"no region named {name!r}; regions: {', '.join(self.regions)}", step=self.step)
        return self.regions[name]

    def create(self, name: str, parent: str | None = None) -> Region:
        """A new, empty region, optionally inside ``parent`` (destroyed with it)."""
        if not isinstance(name, str) or not name or name in self.regions:
            raise BadRequest(f"region name {name!r} is empty or already taken", step=self.step)
        if parent is not None:
            self._region(parent)
        region = Region(name, Arena(self.child), parent)
        self.regions[name] = region
        return region

    def children(self, name: str) -> list[str]:
        """The regions created inside ``name``."""
        return [r.name for r in self.regions.values() if r.parent == name]

    def _forget(self, region: Region, how: str) -> None:
        self.step += 1
        blocks = region.arena.live()
        for address in blocks:
            del self._live[address]
            self._freed[address] = self.step
        self._counts["frees"] += len(blocks)
        self._live_bytes -= sum(blocks.values())
        if how == "clear":
            region.arena.reset("retain_capacity")
        else:
            region.arena.deinit()
        if self.recorder is not None:
            self._emit(RegionFreed(self.step, region.name, len(blocks), sum(blocks.values()), how))

    def destroy(self, name: str) -> None:
        """Free the region whole and give its chunks back (its subregions go first)."""
        region = self._region(name)
        if name == "main":
            raise BadRequest("the region 'main' lives as long as the allocator; clear it instead", step=self.step)
        for child in self.children(name):
            self.destroy(child)
        self._forget(region, "destroy")
        del self.regions[name]
        if self.current not in self.regions:
            self.current = region.parent or "main"

    def clear(self, name: str) -> None:
        """Free every block of the region but keep its memory for reuse (``apr_pool_clear``)."""
        region = self._region(name)
        for child in self.children(name):
            self.destroy(child)
        self._forget(region, "clear")

    @contextmanager
    def region(self, name: str, parent: str | None = None):
        """``with regions.region("request"):`` allocations go there; the region dies at the end."""
        outer = self.current
        self.create(name, parent if parent is not None else outer)
        self.current = name
        try:
            yield self.regions[name]
        finally:
            if name in self.regions:
                self.destroy(name)
            self.current = outer if outer in self.regions else "main"

    def alloc_in(self, name: str, size: int, align: int | None = None) -> int:
        """Allocate in the region ``name``."""
        self._region(name)
        outer, self.current = self.current, name
        try:
            return self.alloc(size, align)
        finally:
            self.current = outer

    def region_of(self, address: int) -> str | None:
        """The region holding the live block at ``address``."""
        return next((r.name for r in self.regions.values() if address in r.arena.live()), None)

    # -- the contract, by way of the arenas ------------------------------------------------------
    def _alloc(self, size: int, align: int) -> int:
        return self._relay(self.regions[self.current].arena.alloc, size, align)

    def _free(self, address: int, size: int) -> None:
        self._relay(self.regions[self.region_of(address)].arena.free, address)

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        return self._relay(self.regions[self.region_of(address)].arena.resize, address, new_size)

    def layout(self) -> list[Block]:
        blocks = []
        for region in self.regions.values():
            for b in region.arena.layout():
                label = region.name if b.state == ALLOCATED else f"{region.name}: {b.label}"
                blocks.append(replace(b, label=label))
        return sorted(blocks, key=lambda b: b.address)

    @property
    def footprint(self) -> int:
        return sum(r.arena.footprint for r in self.regions.values())

    def extent(self) -> tuple[int, int]:
        spans = [r.arena.extent() for r in self.regions.values() if r.arena.chunks]
        return (min(s for s, _ in spans), max(e for _, e in spans)) if spans else (0, 0)

    def reclaimed(self) -> bool:
        return not self._live and all(r.arena.reclaimed() for r in self.regions.values())

    def _check(self) -> None:
        owned = {a: s for r in self.regions.values() for a, s in r.arena.live().items()}
        if owned != self.live():
            self._corrupt("the regions' blocks differ from the live blocks")
        for region in self.regions.values():
            region.arena.check()
