"""Synchronous cycle collection by trial deletion (Bacon & Rajan, ECOOP 2001).

Reference counting plus a buffer of *possible roots*. When a decrement leaves a count above
zero, the object may have become the entry to a garbage cycle: it turns purple and is
buffered. ``heap.collect()`` (or a full buffer) then runs three phases, with colours in each
object's header:

1. **MarkRoots**: from every purple root, MarkGray paints gray what the root reaches and
   subtracts one from a child's count for every reference inside that gray part (trial
   deletion: "pretend to delete the root and see what dies").
2. **ScanRoots**: a gray object whose count is still above zero is referenced from outside;
   ScanBlack paints it and everything it reaches black again and restores their counts.
   A gray object at zero turns white.
3. **CollectRoots**: CollectWhite frees the white objects: they were garbage cycles.

Colours: black (in use), gray (possible member of a cycle), white (garbage), purple (possible
root). Every colour change is an event, so a player can step through a collection.

Simplifications: the deinits of white objects run (before any is freed) while the heap is
frozen, so they can read but not store; the paper's algorithm has no finalizers. The graph
walks use explicit stacks, in the order of the paper's recursive procedures.
"""

from __future__ import annotations

from ..errors import HeapCorruption
from .events import Buffered, Collected, Colour, Decref, Incref, Phase
from .objects import Obj
from .refcount import RefCounting
from .types import DEAD, DEINITED, DEINITING, CollectionInProgress

BLACK, GRAY, WHITE, PURPLE = "black", "gray", "white", "purple"


class BaconRajan(RefCounting):
    """Reference counting with synchronous trial-deletion cycle collection."""

    name = "bacon-rajan"

    colours = True
    exports = ("buffer",)

    def __init__(self, buffer_size: int | None = None) -> None:
        super().__init__()
        self.buffer: list[Obj] = []  # the paper's Roots
        self.buffer_size = buffer_size  # collect when this many roots are buffered (None: only on demand)
        self.collections = 0

    # -- colours and counts --------------------------------------------------------------------
    def paint(self, obj: Obj, colour: str, why: str) -> None:
        heap = self.heap
        old = heap.colour(obj)
        if old == colour:
            return
        heap.set_colour(obj, colour)
        if heap.recorder is not None:
            heap.emit(Colour(heap.step, obj._name, obj._id, obj._address, old, colour, why))

    def _trial(self, obj: Obj, delta: int, why: str) -> None:
        """Change a count without any of the consequences (no freeing, no buffering)."""
        heap = self.heap
        rc = heap.word(obj, "rc") + delta
        heap.set_word(obj, "rc", rc)
        heap.counters["trial decrements" if delta < 0 else "restores"] += 1
        if heap.recorder is not None:
            cls = Incref if delta > 0 else Decref
            heap.emit(cls(heap.step, obj._name, obj._id, obj._address, rc, why))

    def _buffered(self, obj: Obj, added: bool) -> None:
        heap = self.heap
        heap.set_flag(obj, "buffered", int(added))
        if heap.recorder is not None:
            heap.emit(Buffered(heap.step, obj._name, obj._id, obj._address, added))

    def incref(self, obj: Obj, why: str = "") -> None:
        super().incref(obj, why)
        self.paint(obj, BLACK, "Increment")

    def nonzero(self, obj: Obj) -> None:
        """PossibleRoot: a decrement left the count above zero."""
        if self.heap.colour(obj) != PURPLE:
            self.paint(obj, PURPLE, "PossibleRoot")
            if not self.heap.flag(obj, "buffered"):
                self._buffered(obj, True)
                self.buffer.append(obj)

    def statement(self, text: str) -> None:
        if self.buffer_size is not None and len(self.buffer) >= self.buffer_size:
            self.collect()

    def finish(self, obj: Obj) -> None:
        """Release: the references are dropped; a buffered object waits for MarkRoots to free it."""
        self.paint(obj, BLACK, "Release")
        if self.heap.flag(obj, "buffered"):
            self.heap.set_state(obj, DEINITED)
        else:
            super().finish(obj)

    def validate(self, place, old: Obj | None, new: Obj | None) -> None:
        super().validate(place, old, new)
        if self.heap.frozen:
            raise CollectionInProgress(f"{place.label}: no stores during {self.heap.frozen}", step=self.heap.step)

    # -- CollectCycles ---------------------------------------------------------------------------
    def collect(self, **options: object) -> int:
        """CollectCycles: MarkRoots, ScanRoots, CollectRoots; returns how many objects were freed."""
        heap = self.heap
        self.no_options("bacon-rajan collect()", options)
        with heap.operation("collect_cycles()"):
            heap.frozen = "a cycle collection"
            try:
                examined = self._mark_roots()
                self._scan_roots()
                freed = self._collect_roots()
            finally:
                heap.frozen = ""
            self.collections += 1
            if heap.recorder is not None:
                heap.emit(Collected(heap.step, "Bacon–Rajan", freed, examined))
        return freed

    def _phase(self, name: str, detail: str) -> None:
        if self.heap.recorder is not None:
            self.heap.emit(Phase(self.heap.step, name, detail))

    def _mark_roots(self) -> int:
        heap = self.heap
        self._phase("MarkRoots", f"{len(self.buffer)} possible roots; trial-delete what each one reaches")
        kept, grayed = [], 0
        for root in self.buffer:
            if heap.colour(root) == PURPLE and heap.word(root, "rc") > 0:
                grayed += self._mark_gray(root)
                kept.append(root)
            else:
                self._buffered(root, False)
                if heap.colour(root) == BLACK and heap.word(root, "rc") == 0:
                    heap.dealloc(root, DEAD, "released while buffered")
        self.buffer = kept
        return grayed

    def _mark_gray(self, root: Obj) -> int:
        if self.heap.colour(root) == GRAY:
            return 0
        self.paint(root, GRAY, "MarkGray")
        stack, count = [(root, iter(self.heap.children(root)))], 1
        while stack:
            child = next(stack[-1][1], None)
            if child is None:
                stack.pop()
                continue
            self._trial(child, -1, f"trial deletion of {stack[-1][0]._name}'s reference")
            if self.heap.colour(child) != GRAY:
                self.paint(child, GRAY, "MarkGray")
                stack.append((child, iter(self.heap.children(child))))
                count += 1
        return count

    def _scan_roots(self) -> None:
        self._phase("ScanRoots", "gray objects still counted from outside turn black again; the rest turn white")
        for root in self.buffer:
            stack = [root]
            while stack:
                obj = stack.pop()
                if self.heap.colour(obj) != GRAY:
                    continue
                if self.heap.word(obj, "rc") > 0:
                    self._scan_black(obj)
                else:
                    self.paint(obj, WHITE, "Scan")
                    stack.extend(reversed(self.heap.children(obj)))

    def _scan_black(self, start: Obj) -> None:
        self.paint(start, BLACK, "ScanBlack")
        stack = [(start, iter(self.heap.children(start)))]
        while stack:
            child = next(stack[-1][1], None)
            if child is None:
                stack.pop()
                continue
            self._trial(child, +1, "restored")
            if self.heap.colour(child) != BLACK:
                self.paint(child, BLACK, "ScanBlack")
                stack.append((child, iter(self.heap.children(child))))

    def _collect_roots(self) -> int:
        heap = self.heap
        self._phase("CollectRoots", "free every white object")
        garbage: list[Obj] = []
        for root in self.buffer:
            self._buffered(root, False)
            self._collect_white(root, garbage)
        self.buffer = []
        for obj in garbage:
            heap.set_state(obj, DEINITING)
            heap.run_deinit(obj)
            heap.set_state(obj, DEINITED)
        for obj in garbage:
            self.manual_counts.pop(obj._id, None)
            heap.dealloc(obj, DEAD, "white: garbage cycle")
        return len(garbage)

    def _collect_white(self, start: Obj, garbage: list[Obj]) -> None:
        heap = self.heap

        def white(obj: Obj) -> bool:
            return heap.colour(obj) == WHITE and not heap.flag(obj, "buffered")

        if not white(start):
            return
        self.paint(start, BLACK, "CollectWhite")
        stack = [(start, iter(heap.children(start)))]
        while stack:
            child = next(stack[-1][1], None)
            if child is None:
                garbage.append(stack.pop()[0])
            elif white(child):
                self.paint(child, BLACK, "CollectWhite")
                stack.append((child, iter(heap.children(child))))

    # -- views -------------------------------------------------------------------------------------
    def tags(self, obj: Obj) -> tuple[str, ...]:
        tags = super().tags(obj)
        return tags + ("buffered",) if self.heap.allocated(obj) and self.heap.flag(obj, "buffered") else tags

    def check(self) -> None:
        """Counts are exact between collections; buffered objects are exactly the flagged ones."""
        super().check()
        flagged = [o for o in self.heap._at.values() if self.heap.flag(o, "buffered")]
        if sorted(o._id for o in flagged) != sorted(o._id for o in self.buffer):
            raise HeapCorruption("the buffered flags and the root buffer disagree", step=self.heap.step)
