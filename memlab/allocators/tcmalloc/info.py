"""What a TCMalloc heap shows: its events, its snapshot for views, and its layout.

Every object sits somewhere a learner can point at: allocated to the program, in a thread's
cache, in a transfer-cache batch, or on its span's free list in the central free list. The
layout labels free objects with that place (runs of neighbours in the same place become one
block, so a fresh span of a thousand objects is one block, not a thousand).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...events import Alloc, Event, Free
from ..base import ALLOCATED, DEAD, FREE, Block, HeapSnapshot


@dataclass(frozen=True, slots=True)
class ThreadView:
    """One thread cache: (size, objects cached, longest allowed) for each class it has used."""

    thread: int
    lists: tuple[tuple[int, int, int], ...]
    bytes: int
    limit: int


@dataclass(frozen=True, slots=True)
class ClassView:
    """The middle end of one size class: objects in the transfer cache and on central spans."""

    size: int
    batch: int
    transfer: int
    central: int
    spans: int


@dataclass(frozen=True, slots=True)
class SpanView:
    """A span of the page heap: ``small`` (cut into objects), ``large`` (one object) or ``free``."""

    address: int
    pages: int
    kind: str
    size: int = 0
    objects: int = 0
    allocated: int = 0


@dataclass(frozen=True, slots=True)
class TCMallocSnapshot(HeapSnapshot):
    """A heap snapshot plus the three ends of TCMalloc and the lock counts."""

    threads: tuple[ThreadView, ...] = ()
    classes: tuple[ClassView, ...] = ()
    spans: tuple[SpanView, ...] = ()
    locks: tuple[tuple[str, int], ...] = ()
    page_size: int = 8192


@dataclass(frozen=True, slots=True)
class ThreadAlloc(Alloc):
    """An allocation, naming the simulated thread that made it (kind ``alloc``)."""

    thread: int = 0

    @property
    def kind(self) -> str:
        return "alloc"

    def describe(self) -> str:
        return f"thread {self.thread}: {Alloc.describe(self)}"


@dataclass(frozen=True, slots=True)
class ThreadFree(Free):
    """A free, naming the simulated thread that made it (kind ``free``)."""

    thread: int = 0

    @property
    def kind(self) -> str:
        return "free"

    def describe(self) -> str:
        return f"thread {self.thread}: {Free.describe(self)}"


@dataclass(frozen=True, slots=True)
class Refill(Event):
    """A thread's list ran empty and fetched objects from the middle end."""

    thread: int
    size: int
    count: int
    source: str

    def describe(self) -> str:
        return f"thread {self.thread}'s {self.size}-byte list is empty: it takes {self.count} from the {self.source}"


@dataclass(frozen=True, slots=True)
class Flush(Event):
    """A thread's list grew too long (or the thread scavenged) and gave objects back."""

    thread: int
    size: int
    count: int
    dest: str
    why: str = "is too long"

    def describe(self) -> str:
        verb = "goes" if self.count == 1 else "go"
        return f"thread {self.thread}'s {self.size}-byte list {self.why}: {self.count} {verb} back to the {self.dest}"


@dataclass(frozen=True, slots=True)
class SpanCarve(Event):
    """The central free list took a span from the page heap and cut it into objects."""

    address: int
    pages: int
    size: int
    objects: int

    def describe(self) -> str:
        return (
            f"the central list for {self.size}-byte objects takes a {self.pages}-page span at "
            f"{self.address:#x} from the page heap and cuts it into {self.objects} objects"
        )


@dataclass(frozen=True, slots=True)
class SpanReturn(Event):
    """Every object of a span came home: the span went back to the page heap."""

    address: int
    pages: int
    size: int

    def describe(self) -> str:
        return (
            f"every {self.size}-byte object of the {self.pages}-page span at {self.address:#x} is home: "
            "the span goes back to the page heap"
        )


def span_blocks(address: int, size: int, objects: int, span_bytes: int, live: dict, where: dict) -> list[Block]:
    """The blocks of a small-object span: live objects one by one, free runs grouped by place."""
    blocks: list[Block] = []
    run_start, run_place, run_len = 0, None, 0
    for i in range(objects + 1):
        a = address + i * size
        place = None if i == objects or a in live else where.get(a, "in transit")
        if run_len and place != run_place:
            label = f"{run_len} free {size}-byte objects: {run_place}" if run_len > 1 else f"free: {run_place}"
            blocks.append(Block(run_start, run_len * size, FREE, label))
            run_len = 0
        if i == objects:
            break
        if place is None:
            blocks.append(Block(a, size, ALLOCATED, f"{size}-byte class", requested=live[a][0]))
        else:
            if not run_len:
                run_start, run_place = a, place
            run_len += 1
    tail = span_bytes - objects * size
    if tail:
        blocks.append(Block(address + objects * size, tail, DEAD, "span tail: too small for an object"))
    return blocks
