"""Lecture demo: segregated fits go straight to the right size class (CS:APP 9.9.14).

A heap with one free list per size class (16, 24, ..., 64 bytes, then powers of two). Small and
large blocks are allocated and some freed; each free block hangs on the list of its class. Then
new requests search only their own class and larger ones. Each step says how many free blocks
the search examined, next to what an implicit list (CS:APP's first heap) examines for the same
request on the same heap: the segregated search stays short while the implicit one walks the
whole heap.
"""

from __future__ import annotations

from ..allocators.freelist.heap import FreeListHeap
from ..allocators.freelist.lists import class_range, size_class
from ..allocators.freelist.tags import adjusted_size
from ..events import Note, Recording
from ..viz.tags import tags_view
from ..widgets.player import Player

TITLE = "Segregated fits: each request searches its own size class"

SETUP = (8,) * 6 + (100, 8, 40, 8, 300, 8, 20, 8, 60, 8, 100, 8)
"""Requests made first: small separators between blocks of several classes."""

FREED = (6, 8, 10, 12, 14)
"""Which of them are freed, leaving holes on five different lists."""

REQUESTS = (90, 16, 56, 200)
"""The requests whose searches the demo counts."""


def _class_name(size: int) -> str:
    lo, hi = class_range(size_class(size))
    return f"{lo}" if lo == hi else f"{lo}-{hi}" if hi else f"{lo}+"


def searches(list_kind: str = "segregated", **options) -> Recording:
    """Record the setup frees and the requests, with a note on each search's cost."""
    heaps = [FreeListHeap(list=list_kind, chunk=1024, **options), FreeListHeap(chunk=1024)]
    for heap in heaps:
        held = [heap.alloc(n) for n in SETUP]
        for i in FREED:
            heap.free(held[i])
    heap, implicit = heaps
    with heap.record() as rec:
        for n in REQUESTS:
            before, before_implicit = heap.lists.examined, implicit.lists.examined
            heap.alloc(n)
            implicit.alloc(n)
            looked, walked = heap.lists.examined - before, implicit.lists.examined - before_implicit
            size = adjusted_size(n)
            rec(
                Note(
                    heap.step,
                    f"alloc({n}) needs {size} bytes: search starts at class {_class_name(size)}, "
                    f"examines {looked} free block{'s' * (looked != 1)}; an implicit list examines {walked} blocks",
                )
            )
    return rec.recording


def demo(scale: float = 1.6) -> Player:
    recording = searches()
    return Player(recording, tags_view(recording, width=640, free_only=True), title=TITLE, scale=scale)
