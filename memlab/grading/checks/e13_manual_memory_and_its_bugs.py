"""Exercise 13: a bug hunt with the DebugAllocator (AddressSanitizer, memcheck, LeakSanitizer).

The learner gets ``word_lengths(heap, words)``, a small C-style program with three bugs (a
buffer one byte short, a use after free, a leak) and fixes it. The checks run it on a
:class:`~memlab.manual.heap.ManualHeap` with a DebugAllocator that does not halt, so every bug
is reported, and score each kind of bug separately.
"""

from __future__ import annotations

from ...manual import ManualHeap
from ..questions import Cases, Exercise, Question

WORDS = ("heap", "stack", "arena")


def run(word_lengths, words=WORDS) -> tuple[ManualHeap, object, list]:
    """Run the program under a non-halting DebugAllocator: (heap, its result, the bug reports)."""
    heap = ManualHeap("freelist", debug=True, halt=False)
    result = word_lengths(heap, list(words))
    return heap, result, list(heap.reports)


def report(word_lengths, words=WORDS) -> str:
    """What the sanitizers say about the program: the first report of each kind, then the leak check."""
    heap, result, reports = run(word_lengths, words)
    seen, parts = set(), [f"word_lengths returned {result!r}"]
    for r in reports:
        if r.kind not in seen:
            seen.add(r.kind)
            parts.append(r.asan())
    parts.append(heap.leak_check().lsan())
    return "\n\n".join(parts)


def check_program(fns: dict) -> Cases:
    cases = Cases()
    heap, result, reports = run(fns["word_lengths"])
    kinds = {}
    for r in reports:
        kinds.setdefault(r.kind, r)
    for kind, title, hint in (
        ("heap-buffer-overflow", "no buffer overflow", "a C string needs one more byte than its letters"),
        ("heap-use-after-free", "no use after free", "read what you need from a block before you free it"),
    ):
        with cases.case(title, 1):
            first = kinds.get(kind)
            cases.expect(first is None, f"{first.headline() if first else ''} ({hint})")
    with cases.case("no leak", 1):
        leaks = heap.leak_check()
        cases.expect(not leaks, f"{leaks.headline()}: every malloc needs its free, the table of pointers too")
    with cases.case("returns the total length", 1):
        want = sum(len(w) for w in WORDS)
        cases.expect(result == want, f"word_lengths(heap, {list(WORDS)}) returned {result!r}; expected {want}")
    with cases.case("the heap is clean afterwards", 1):
        others = [r for r in reports if r.kind not in ("heap-buffer-overflow", "heap-use-after-free")]
        if reports:
            cases.expect(False, f"the DebugAllocator still reports {(others or reports)[0].headline()}")
        heap.allocator.check()
    return cases


def demo(word_lengths, words=WORDS):
    """The program's allocations and frees, as the DebugAllocator sees them (redzones included)."""
    from ...widgets import heap_player

    heap = ManualHeap("freelist", debug=True, halt=False)
    with heap.allocator.record() as rec:
        word_lengths(heap, list(words))
    return heap_player(rec.recording, title="word_lengths under the DebugAllocator")


EXERCISE = Exercise(
    "13_manual_memory_and_its_bugs",
    "Manual memory: a bug hunt",
    (Question("word_lengths", "fix the three bugs", ("word_lengths",), 5, check_program),),
)
