"""Lecture demo: a use after free reads someone else's data, until a DebugAllocator quarantines it.

The same five-line C-style program runs twice. A session stores a password in a 16-byte block
and frees it, but keeps the pointer; the next malloc of 16 bytes gets the same block (the free
list hands back what was just freed, as glibc's tcache does) and another user's name is written
there. On a plain heap the stale pointer quietly reads the new owner's data. Under the
:class:`~memlab.manual.DebugAllocator` (AddressSanitizer's scheme) the freed block waits in
quarantine, the new block is placed elsewhere, and the stale read is reported as
heap-use-after-free.
"""

from __future__ import annotations

from ..allocators.freelist.heap import FreeListHeap
from ..errors import UseAfterFree
from ..events import Frame, Note, Recording
from ..manual import DebugAllocator, ManualHeap
from ..viz.heapmap import heap_svg
from ..viz.hexdump import hexdump_html
from ..widgets import Ask
from ..widgets.player import Player

TITLE = "Manual memory: a use after free reads someone else's data"
WINDOW = 128
"""Bytes of the hexdump under the heap map (from the start of the heap)."""


def _run(heap: ManualHeap, title: str) -> Recording:
    """The program on ``heap``, recorded, with a note after each line that writes or reads."""
    allocator = heap.allocator
    with allocator.record() as rec:

        def say(text: str) -> None:
            rec(Note(allocator.step, text))

        say(title)
        password = heap.malloc(16)
        heap.strcpy(password, "hunter2")
        say(f'password = malloc(16) at {int(password):#x}; strcpy(password, "hunter2")')
        heap.free(password)
        say("free(password): the program forgets to set password = NULL")
        name = heap.malloc(16)
        heap.strcpy(name, "alice")
        where = "the same block" if name == password else "a different block"
        say(f'name = malloc(16) gets {where}, {int(name):#x}; strcpy(name, "alice")')
        try:
            seen = heap.string(password)
        except UseAfterFree as e:
            say(f"reading password is caught: {e.report.headline()}")
        else:
            say(f"reading the stale password pointer gives {seen!r}: someone else's data, and no error")
    return rec.recording


def plain() -> Recording:
    """The program on a plain free-list heap (C without a sanitizer)."""
    return _run(ManualHeap(FreeListHeap(chunk=256)), "A plain heap, like C without sanitizers")


def debug() -> Recording:
    """The same program under a DebugAllocator over the same kind of heap."""
    return _run(ManualHeap(DebugAllocator(FreeListHeap(chunk=256))), "The same program under the DebugAllocator")


def join(*recordings: Recording) -> Recording:
    """Recordings one after another, renumbered; a later recording's opening frame is dropped."""
    frames = [frame for k, recording in enumerate(recordings) for frame in (recording[1:] if k else recording)]
    return Recording([Frame(i, f.event, f.snapshot) for i, f in enumerate(frames)])


def view(recording: Recording, width: int = 640):
    """Heap map and the first bytes of the heap, changed bytes boxed."""

    def draw(frame: Frame) -> str:
        previous = recording[frame.index - 1].snapshot if frame.index else None
        if previous is not None and previous.start != frame.snapshot.start:
            previous = None  # the first frame of the second heap
        dump = hexdump_html(frame.snapshot, previous=previous, length=WINDOW)
        return heap_svg(frame.snapshot, event=frame.event, width=width) + dump

    return draw


def questions(recording: Recording) -> list[Ask]:
    """Predict what the stale pointer reads on the plain heap (on ``join(plain(), debug())``)."""
    read = next(f.index for f in recording if "reading the stale password" in f.describe())
    return [
        Ask(
            step=read,
            question="The program now reads password, which it freed at step 5. What does it read?",
            choices=['"hunter2": freed memory keeps its bytes', '"alice": someone else\'s data', "an error"],
            answer='"alice": someone else\'s data',
            why="name = malloc(16) got the very block just freed, and strcpy wrote alice over hunter2. A plain "
            "heap checks nothing: the stale pointer reads alice's data, and nothing says so.",
        )
    ]


def demo(scale: float = 1.6) -> Player:
    """The plain heap, then the DebugAllocator, one step per allocator event or program line."""
    recording = join(plain(), debug())
    return Player(recording, view(recording), title=TITLE, scale=scale, predict=questions(recording))
