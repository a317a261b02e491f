"""Exercise 04: the four coalescing cases, with boundary tags in simulated bytes (CS:APP 9.9.11).

The learner writes ``coalesce(heap, bp)``; each case frees the middle one of three blocks
with its neighbours set up by memlab's own code, then reads the tags back from memory. Then
``coalesce_lean(heap, bp, left_free)``, the same on a heap whose allocated blocks have no
footer (CS:APP homework 9.18): the left footer may be read only when ``left_free`` says so (the
word there is otherwise the left block's payload, set here to look like a free tag), and the
block after the merged one must learn that its left neighbour is now free.
"""

from __future__ import annotations

from ..questions import Cases, Exercise, Question
from .boundary_tags import WSIZE, ExerciseHeap, get, left_free, tags

CASES = {
    1: ("both neighbours allocated", ()),
    2: ("next block free", ("c",)),
    3: ("previous block free", ("a",)),
    4: ("both neighbours free", ("a", "c")),
}


DECOY = 48
"""The last payload word of an allocated left neighbour, in the lean cases: it reads as "48, free"."""


def four_blocks(coalesce, footers: str = "all") -> tuple[ExerciseHeap, dict[str, int]]:
    """A heap with blocks a, b, c, d of 24 bytes each (16-byte payloads; 20 without footers)."""
    heap = ExerciseHeap(coalesce=coalesce, footers=footers)
    return heap, {name: heap.alloc(16) for name in "abcd"}


def run_case(coalesce, case: int, cases: Cases, *, lean: bool = False) -> None:
    title, free_first = CASES[case]
    heap, p = four_blocks(coalesce, "free" if lean else "all")
    with heap.real():
        for name in free_first:
            heap.free(p[name])
    if lean and "a" not in free_first:
        heap.memory.write_word(p["b"] - 2 * WSIZE, DECOY, WSIZE)  # a's payload, just below b's header
    start = p["a"] if case in (3, 4) else p["b"]
    size = 24 * (1 + len(free_first))
    heap.free(p["b"])  # the learner's coalesce runs here
    head, head_used = get(heap, start - WSIZE)
    foot, foot_used = get(heap, start + head - 2 * WSIZE) if head >= 16 else (0, True)
    want = f"{size}/free"
    cases.expect(
        (head, head_used) == (size, False),
        f"after free(b={p['b']:#x}), the header at {start - WSIZE:#x} says "
        f"{head}/{'allocated' if head_used else 'free'}; expected {want}"
        + (" (the merged block starts at the previous block's header)" if case in (3, 4) else ""),
    )
    cases.expect(
        (foot, foot_used) == (size, False),
        f"the header at {start - WSIZE:#x} says {want}, but the footer at {start + size - 2 * WSIZE:#x} "
        f"says {foot}/{'allocated' if foot_used else 'free'}: a merged block needs both boundary tags updated",
    )
    if lean:
        after = start + size - WSIZE  # the header of the block after the merged one
        cases.expect(
            left_free(heap, after),
            f"the header at {after:#x}, just after the merged block, still says its left neighbour is "
            "allocated: set its bit 1 (set_left_free) so that freeing it finds the free block",
        )
    heap.check()  # raises HeapCorruption naming what else is wrong
    d, d_used = get(heap, p["d"] - WSIZE)
    cases.expect((d, d_used) == (24, True), f"block d at {p['d']:#x} was changed: {tags(heap, p['d'])}")


def check_coalesce(fns: dict) -> Cases:
    cases = Cases()
    for case, (title, _) in CASES.items():
        with cases.case(f"case {case} ({title})", 1):
            run_case(fns["coalesce"], case, cases)
    with cases.case("returns the merged block's bp", 1):
        heap, p = four_blocks(fns["coalesce"])
        with heap.real():
            heap.free(p["a"])
        returned = []
        heap.learner_coalesce = lambda h, bp: returned.append(fns["coalesce"](h, bp)) or returned[-1]
        heap.free(p["b"])
        cases.expect(
            returned[-1] == p["a"],
            f"case 3 returned {returned[-1]!r}; expected {p['a']:#x}, the bp of the merged block",
        )
    return cases


def check_coalesce_lean(fns: dict) -> Cases:
    cases = Cases()
    for case, (title, _) in CASES.items():
        with cases.case(f"case {case} ({title}), without allocated footers", 1):
            run_case(fns["coalesce_lean"], case, cases, lean=True)
    with cases.case("an allocated left neighbour's payload is not a footer", 1):
        heap, p = four_blocks(fns["coalesce_lean"], "free")
        heap.memory.write_word(p["b"] - 2 * WSIZE, DECOY, WSIZE)
        heap.free(p["b"])
        decoy = heap.memory.read_word(p["b"] - 2 * WSIZE, WSIZE)
        untouched = get(heap, p["a"] - WSIZE) == (24, True) and decoy == DECOY
        cases.expect(
            untouched and tags(heap, p["b"]) == "header 24/free, footer 24/free",
            f"a at {p['a']:#x} is allocated, so freeing b must leave it alone and make b one 24-byte free block; "
            f"got a: {tags(heap, p['a'])}, b: {tags(heap, p['b'])}. The word below b's header is a's payload "
            f"({DECOY:#x} looks like a free tag): read it only when left_is_free is True",
        )
    return cases


def demo(coalesce):
    """All four cases in one film: free a (1), b (3), e (1), d (2), then c between two free blocks (4)."""
    from ...widgets import heap_player

    heap = ExerciseHeap(coalesce=coalesce)
    p = {name: heap.alloc(16) for name in "abcdef"}
    with heap.record() as rec:
        for name in "abedc":
            heap.free(p[name])
    return heap_player(rec.recording, title="Your coalesce", hexdump=True, start=heap.first_bp - 4, length=160)


def demo_lean(coalesce_lean):
    """The same film on a heap whose allocated blocks keep a header only: watch bit 1 of the headers."""
    from ...viz.tags import tags_view
    from ...widgets.player import Player

    heap = ExerciseHeap(coalesce=coalesce_lean, footers="free")
    p = {name: heap.alloc(16) for name in "abcdef"}
    with heap.record() as rec:
        for name in "abedc":
            heap.free(p[name])
    return Player(rec.recording, tags_view(rec.recording, width=640), title="Your coalesce, without allocated footers")


EXERCISE = Exercise(
    "04_coalescing_and_boundary_tags",
    "Coalescing and boundary tags",
    (
        Question("coalesce", "the four coalescing cases", ("coalesce",), 5, check_coalesce),
        Question(
            "coalesce_lean", "the four cases without allocated footers", ("coalesce_lean",), 5, check_coalesce_lean
        ),
    ),
)
