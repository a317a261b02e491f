"""The magazine layer: Bonwick & Adams, "Magazines and Vmem" (USENIX 2001), over a slab cache.

A *magazine* is a small array of up to ``rounds`` object pointers (M rounds) plus a count. Each
simulated CPU holds two: the *loaded* one and the *previous* one, which is always full or empty.
Allocation pops a round from the loaded magazine; freeing pushes one. When the loaded magazine
runs dry (or overflows), the CPU swaps it with the previous one; only when both are unusable does
it go to the *depot*, a lock-protected stock of full and empty magazines, to trade a whole
magazine at once. Only when the depot has nothing does the request reach the slab layer. So most
operations touch no lock at all, and at most one in M takes the depot lock.

Objects in magazines are allocated as far as the slab layer knows, and stay constructed: the
constructor ran when their slab was made. Magazines themselves are objects of an internal slab
cache, so the rounds are words in simulated memory: word 0 counts them, words 1..M hold them.

Simplifications: a fixed M (Solaris grows M when the depot lock is contended); CPUs are simulated
(``heap.cpu = 1`` chooses which one runs); :meth:`MagazineCache.reap` empties the whole depot
instead of keeping its recent working set; lock acquisitions are counted, not contended.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import BadAlignment, BadRequest, MemlabError, TooLarge
from ...events import Event
from ..base import ALLOCATED, FREE, Allocator, Block
from .cache import SlabCache, extent_of, free_then_moves, layout_of, relieve, snapshot_of, word_view
from .geometry import INUSE
from .info import SlabSnapshot

# -- Reading a magazine cache: where each round waits, the layout and snapshot, and the invariants.
#
# Follows Bonwick & Adams (USENIX 2001): a CPU's *previous* magazine is always full or empty, a
# depot magazine is full or empty as its list says, and every object the slab layer has handed
# out is either live or a round in exactly one magazine. ``check()`` verifies the slab lists of
# both caches first, then these, and names the first that breaks.


@dataclass(frozen=True, slots=True)
class MagazineSnapshot(SlabSnapshot):
    """A slab snapshot plus the magazines: per CPU (loaded rounds, previous rounds), and the depot."""

    rounds: int = 0
    cpus: tuple[tuple[tuple[int, ...] | None, tuple[int, ...] | None], ...] = ()
    depot_full: int = 0
    depot_empty: int = 0
    depot_locks: int = 0
    slab_calls: int = 0


@dataclass(frozen=True, slots=True)
class MagazineStep(Event):
    """What the magazine layer did beyond a plain pop or push."""

    cpu: int
    text: str

    def describe(self) -> str:
        return f"cpu {self.cpu}: {self.text}"


class MagazineCache(Allocator):
    """Slab cache with per-CPU magazines and a depot (Bonwick & Adams 2001)."""

    name = "magazine"

    def __init__(
        self, name: str = "cache", size: int = 64, align: int = 8, ctor=None, dtor=None, *, rounds=4, cpus=2, **kw
    ):
        for what, value in (("rounds", rounds), ("cpus", cpus)):
            if type(value) is not int or not 1 <= value <= 64:
                raise BadRequest(f"magazine {what}={value!r} must be an integer from 1 to 64")
        super().__init__(**kw)
        self.slabs = SlabCache(name, size, align, ctor, dtor, host=self)
        self.magazines = SlabCache(f"{name}-magazine", 8 * (rounds + 1), host=self, internal=True)
        self.default_align = self.slabs.default_align
        self.rounds, self.ncpus, self._cpu = rounds, cpus, 0
        self.loaded: list[int] = [0] * cpus  # magazine addresses, 0 for none
        self.previous: list[int] = [0] * cpus
        self.depot_full: list[int] = []
        self.depot_empty: list[int] = []
        self.depot_locks = self.slab_calls = 0
        self._words = word_view(self.memory)

    @property
    def cpu(self) -> int:
        """The simulated CPU that runs the next operation."""
        return self._cpu

    @cpu.setter
    def cpu(self, value: int) -> None:
        if type(value) is not int or not 0 <= value < self.ncpus:
            raise BadRequest(f"cpu {value!r}: this cache has CPUs 0..{self.ncpus - 1}")
        self._cpu = value

    # -- one magazine: word 0 counts, words 1..M are the rounds -------------------------------
    def _count(self, mag: int) -> int:
        return self._words[mag >> 3] if mag else 0

    def _pop(self, mag: int) -> int:
        w = mag >> 3
        n = self._words[w] - 1
        self._words[w] = n
        return self._words[w + 1 + n]

    def _push(self, mag: int, obj: int) -> None:
        w = mag >> 3
        n = self._words[w]
        self._words[w + 1 + n] = obj
        self._words[w] = n + 1

    def _say(self, text: str) -> None:
        if self.recorder is not None:
            self._emit(MagazineStep(self.step, self._cpu, text))

    # -- the algorithm ----------------------------------------------------------------------
    def _alloc(self, size: int, align: int) -> int:
        g = self.slabs.geometry
        if size > g.objsize:
            raise TooLarge(f"cache {self.slabs.cache_name!r} holds {g.objsize}-byte objects; {size} bytes do not fit")
        if align > g.align:
            raise BadAlignment(f"cache {self.slabs.cache_name!r} aligns objects to {g.align}, not {align}")
        c = self._cpu
        if self._count(self.loaded[c]):
            return self._pop(self.loaded[c])
        if self._count(self.previous[c]):
            self.loaded[c], self.previous[c] = self.previous[c], self.loaded[c]
            self._say("loaded magazine empty, previous full: swap them")
            return self._pop(self.loaded[c])
        self.depot_locks += 1
        if self.depot_full:
            if self.previous[c]:
                self.depot_empty.append(self.previous[c])
                how = "both magazines empty: the previous one goes to the depot, the loaded one becomes previous"
            elif self.loaded[c]:
                how = "loaded magazine empty: it becomes the previous one"
            else:
                how = "no magazines yet"
            self.previous[c], self.loaded[c] = self.loaded[c], self.depot_full.pop()
            self._say(f"{how}; load a full magazine from the depot (lock)")
            return self._pop(self.loaded[c])
        self.slab_calls += 1
        address = self.slabs._take()
        self._say("no full magazine in the depot: take an object from the slab layer")
        return address

    def free(self, address: int) -> None:
        """Push the object on this CPU's magazines (a slab move, if any, is shown after the free)."""
        free_then_moves(self, super().free, address)

    def _free(self, address: int, size: int) -> None:
        c = self._cpu
        loaded = self.loaded[c]
        if loaded and self._count(loaded) < self.rounds:
            return self._push(loaded, address)
        if loaded and self.previous[c] and not self._count(self.previous[c]):
            self.loaded[c], self.previous[c] = self.previous[c], loaded
            self._push(self.loaded[c], address)
            return self._say("loaded magazine full, previous empty: swap them")
        self.depot_locks += 1
        source = "from the depot" if self.depot_empty else "a new one"
        empty = self.depot_empty.pop() if self.depot_empty else self._new_magazine()
        if not empty:
            self.slab_calls += 1
            self.slabs._put(self.slabs._owners[address >> self.slabs._shift], address)
            return self._say("no empty magazine to be had: the object goes back to its slab")
        if self.previous[c]:
            self.depot_full.append(self.previous[c])
            how = "both magazines full: the previous one goes to the depot, the loaded one becomes previous"
        elif loaded:
            how = "loaded magazine full: it becomes the previous one"
        else:
            how = "no magazine loaded"
        self.previous[c], self.loaded[c] = loaded, empty
        self._push(empty, address)
        self._say(f"{how}; load an empty magazine, {source} (lock)")

    def _new_magazine(self) -> int:
        try:
            mag = self.magazines._take()
        except MemlabError:
            return 0
        self._words[mag >> 3] = 0
        return mag

    # -- reaping ------------------------------------------------------------------------------
    def _drain(self, mags: list[int]) -> int:
        """Return the rounds of ``mags`` to their slabs and the magazines to their cache."""
        returned = 0
        for mag in mags:
            while self._count(mag):
                obj = self._pop(mag)
                self.slabs._put(self.slabs._owners[obj >> self.slabs._shift], obj)
                returned += 1
            self.magazines._put(self.magazines._owners[mag >> self.magazines._shift], mag)
        return returned

    def _drain_depot(self) -> int:
        mags, self.depot_full, self.depot_empty = self.depot_full + self.depot_empty, [], []
        return self._drain(mags)

    def purge(self) -> int:
        """Empty every magazine, the CPUs' and the depot's, into the slab layer; return the rounds.

        The objects stay constructed; only reaping their slabs runs the destructor.
        """
        self.step += 1
        mags = [m for m in self.loaded + self.previous if m]
        self.loaded, self.previous = [0] * self.ncpus, [0] * self.ncpus
        returned = self._drain(mags) + self._drain_depot()
        if self.recorder is not None:
            self._emit(MagazineStep(self.step, self._cpu, f"purge: {returned} rounds go back to their slabs"))
        return returned

    def reap(self) -> int:
        """Purge the magazines, then destroy every completely free slab; return the slabs destroyed."""
        self.purge()
        return self.slabs._reap() + self.magazines._reap()

    def _relieve(self, pages: int) -> bool:
        """Memory pressure: empty the depot (the CPUs keep theirs), then reap if that makes room."""
        self._drain_depot()
        return relieve([self.slabs, self.magazines], pages)

    # -- where each round waits: layout, snapshot and checks -----------------------------------

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


__all__ = ["MagazineCache", "MagazineSnapshot", "MagazineStep"]
