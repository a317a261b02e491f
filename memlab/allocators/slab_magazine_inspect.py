"""Reading a magazine cache: where each round waits, the layout and snapshot, and the invariants.

Follows Bonwick & Adams (USENIX 2001): a CPU's *previous* magazine is always full or empty, a
depot magazine is full or empty as its list says, and every object the slab layer has handed
out is either live or a round in exactly one magazine. ``check()`` verifies the slab lists of
both caches first, then these, and names the first that breaks.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import ALLOCATED, FREE, Block
from .slab_geometry import INUSE
from .slab_info import SlabSnapshot
from .slab_inspect import extent_of, layout_of, snapshot_of


@dataclass(frozen=True, slots=True)
class MagazineSnapshot(SlabSnapshot):
    """A slab snapshot plus the magazines: per CPU (loaded rounds, previous rounds), and the depot."""

    rounds: int = 0
    cpus: tuple[tuple[tuple[int, ...] | None, tuple[int, ...] | None], ...] = ()
    depot_full: int = 0
    depot_empty: int = 0
    depot_locks: int = 0
    slab_calls: int = 0


class MagazineInspection:
    """Layout, snapshot and checks of a :class:`~.slab_magazine.MagazineCache` (a mixin)."""

    def held(self) -> dict[int, str]:
        """Object address -> where it waits: ``"cpu 0 loaded"``, ``"depot"``, ..."""
        where = {}
        for c in range(self.ncpus):
            for mag, label in ((self.loaded[c], f"cpu {c} loaded"), (self.previous[c], f"cpu {c} previous")):
                for i in range(self._count(mag)):
                    where[self._words[(mag >> 3) + 1 + i]] = label
        for mag in self.depot_full:
            for i in range(self._count(mag)):
                where[self._words[(mag >> 3) + 1 + i]] = "depot"
        return where

    def _rounds(self, mag: int) -> tuple[int, ...] | None:
        return tuple(self._words[(mag >> 3) + 1 + i] for i in range(self._count(mag))) if mag else None

    def layout(self) -> list[Block]:
        held = self.held()
        blocks = layout_of([self.slabs, self.magazines], self._live)
        live = self._live
        return [
            b
            if b.state != ALLOCATED
            else Block(b.address, b.size, FREE, f"round in magazine ({held[b.address]})")
            if b.address in held
            else Block(b.address, b.size, ALLOCATED, b.label, requested=live.get(b.address, (0,))[0])
            for b in blocks
        ]

    def extent(self) -> tuple[int, int]:
        return extent_of([self.slabs, self.magazines])

    def snapshot(self) -> MagazineSnapshot:
        base = snapshot_of(self, [self.slabs])
        cpus = tuple((self._rounds(self.loaded[c]), self._rounds(self.previous[c])) for c in range(self.ncpus))
        return MagazineSnapshot(
            *(base.blocks, base.start, base.end, base.stats, base.data, base.caches),
            self.rounds,
            cpus,
            len(self.depot_full),
            len(self.depot_empty),
            self.depot_locks,
            self.slab_calls,
        )

    def reclaimed(self) -> bool:
        return not self._live

    def check(self) -> None:
        """The slab lists, then the magazines (they name the broken one), then the contract's own."""
        self.slabs._verify()
        self.magazines._verify()
        self._check_magazines()
        super().check()

    def _check_magazines(self) -> None:
        held = self.held()
        for c in range(self.ncpus):
            n = self._count(self.previous[c])
            if self.previous[c] and n not in (0, self.rounds):
                self._corrupt(f"cpu {c}: the previous magazine holds {n} rounds; it must be full or empty")
        for mag in self.depot_full + self.depot_empty:
            n, full = self._count(mag), mag in self.depot_full
            if n != (self.rounds if full else 0):
                self._corrupt(f"a {'full' if full else 'empty'} depot magazine at {mag:#x} holds {n} rounds", mag)
        for c in range(self.ncpus):
            if self._count(self.loaded[c]) > self.rounds:
                self._corrupt(f"cpu {c}: the loaded magazine holds more than {self.rounds} rounds", self.loaded[c])
        rounds = sum(
            len(r or ())
            for c in range(self.ncpus)
            for r in (self._rounds(self.loaded[c]), self._rounds(self.previous[c]))
        )
        rounds += self.rounds * len(self.depot_full)
        if len(held) != rounds or any(a in self._live for a in held):
            self._corrupt("a round is in two magazines, or a magazine holds a live object")
        inuse = sum(self._words[(s.struct >> 3) + INUSE] for s in self.slabs._slabs())
        if inuse != len(self._live) + len(held):
            self._corrupt(
                f"the slabs have {inuse} objects out, but {len(self._live)} are live and {len(held)} in magazines"
            )
