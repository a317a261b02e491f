"""Lecture demo: best fit is not always best (CS:APP 9.9.7; an example of the kind in TAOCP 2.5).

Two holes, 328 and 304 bytes, and three requests that cost 256, 280 and 64 bytes. Best fit puts
the first request in the tighter hole, leaves two 48-byte slivers and must grow the heap for the
third; first fit, on the same heap and requests, fits all three without asking the OS for more.
"""

from __future__ import annotations

from ..allocators.freelist.heap import FreeListHeap
from ..events import Frame, Note, Recording
from ..viz import keys
from ..widgets import Ask, heap_player

TITLE = "Free lists: best fit is not always best"

HOLES = (320, 296)
"""Requests whose blocks (328 and 304 bytes) become the two holes."""

REQUESTS = (248, 272, 56)
"""Requests that cost 256, 280 and 64 bytes."""


def two_holes(fit: str = "first", **options) -> FreeListHeap:
    """A full 664-byte heap with two free holes of 328 and 304 bytes, allocated blocks between."""
    heap = FreeListHeap(fit=fit, chunk=664, **options)
    holes = []
    for n in HOLES:
        holes.append(heap.alloc(n))
        heap.alloc(8)
    for bp in holes:
        heap.free(bp)
    return heap


def placement(fit: str, **options) -> Recording:
    """The three requests on a fresh :func:`two_holes` heap, with a note first."""
    heap = two_holes(fit, **options)
    footprint = heap.footprint
    with heap.record() as rec:
        rec(Note(heap.step, f"{fit} fit: holes of 328 and 304 bytes; requests of 248, 272 and 56 bytes arrive"))
        for n in REQUESTS:
            heap.alloc(n)
        grown = heap.footprint - footprint
        verdict = f"the heap had to grow by {grown} bytes" if grown else "all three fit, the heap did not grow"
        rec(Note(heap.step, f"{fit} fit done: {verdict}; footprint {heap.footprint} bytes"))
    return rec.recording


def join(*recordings: Recording) -> Recording:
    """Recordings one after another, renumbered; each later start becomes a plain frame."""
    frames = []
    for recording in recordings:
        for frame in recording if not frames else recording[1:]:
            frames.append(Frame(len(frames), frame.event, frame.snapshot))
    return Recording(frames)


def questions(runs: Recording) -> list[Ask]:
    """Predict where each policy puts a request, on ``join(placement("best"), placement("first"))``."""
    return [
        Ask(
            step=runs.find("split").index,
            question="Best fit: click the hole the 248-byte request (a 256-byte block) goes into.",
            answer=keys.block(0x1164),
            why="Best fit takes the smallest hole that fits: the 304-byte one, leaving a 48-byte sliver.",
        ),
        Ask(
            step=runs.find("alloc", nth=6).index,
            question="First fit: click the block the 56-byte request (a 64-byte block) goes into.",
            answer=keys.block(0x110C),
            why="First fit left one 72-byte sliver instead of best fit's two 48-byte ones, and 72 bytes hold 64.",
        ),
    ]


def demo(scale: float = 1.6):
    """Best fit, then first fit, on the same holes and requests."""
    runs = join(placement("best"), placement("first"))
    return heap_player(runs, title=TITLE, scale=scale, width=640, predict=questions(runs))
