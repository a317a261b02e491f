"""Lecture demo: the first calls a real program makes to malloc, replayed on a free-list heap.

The trace is ``ls -R`` recorded under Valgrind (shipped with memlab). Its opening is glibc
reading a file while it starts up, the same in every shipped program: ``fopen`` takes 472 bytes
for the FILE and 4096 for its buffer, then 1600 and 1024 bytes, one block grown to 2048 by
realloc, and ``fclose`` frees the buffer and the FILE. Real programs are not random. The heap is
CS:APP's explicit free list in address order (Johnstone and Wilson's good policy).
"""

from __future__ import annotations

from ..allocators.freelist.heap import FreeListHeap
from ..events import Note, Recording
from ..traces import from_ops, replay, shipped
from ..widgets import Ask, heap_player

TITLE = "Real workloads: the first malloc calls of ls"
TRACE = "ls-zoneinfo"
OPS = 15
OPENING = (472, 4096, 1600, 1024)
"""The C library's start-up requests (then a realloc to 2048) that open every shipped trace."""


def opening(ops: int = OPS):
    """The first ``ops`` operations of the shipped ``ls`` trace, as a trace of their own."""
    return from_ops(shipped.load(TRACE).ops[:ops], f"{TRACE}, first {ops} ops")


def recording(ops: int = OPS):
    """A recording of the opening replayed on an address-ordered explicit free list."""
    trace = opening(ops)
    heap = FreeListHeap(list="explicit", order="address")
    with heap.record() as rec:
        rec(Note(heap.step, f"ls -R, recorded under valgrind: its first {ops} calls to malloc, realloc and free"))
        replay(trace, heap, progress=False)
        live = heap.stats()
        opening_sizes = ", ".join(map(str, OPENING))
        rec(
            Note(
                heap.step,
                f"after {ops} calls {live.live_blocks} blocks are live ({live.live_bytes:,} bytes). The run "
                f"{opening_sizes}, realloc to 2048 is the C library reading a file as it starts up (fopen's "
                "FILE and buffer, freed by fclose): all four shipped programs make these same calls early on",
            )
        )
    return rec.recording


def questions(opening: Recording) -> list[Ask]:
    """Predict the size of the next request once the first file is closed (on :func:`recording`)."""
    return [
        Ask(
            step=opening.find("alloc", nth=5).index - 1,
            question="The first file is closed and its blocks are free. What size is the next large request?",
            choices=["472 bytes, as before", "a size it has not asked for yet", "any size: it is random"],
            answer="472 bytes, as before",
            why="The C library opens a second file: fopen asks for a 472-byte FILE and a 4096-byte buffer again. "
            "Real programs ask for a few sizes over and over, their structs and buffers.",
        )
    ]


def demo(scale: float = 1.6):
    """Replay the opening of ``ls`` on a heap map, one allocator event per step."""
    opening = recording()
    return heap_player(opening, title=TITLE, scale=scale, width=680, predict=questions(opening))
