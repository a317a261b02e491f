"""Exercise 12: replaying a trace and measuring it as CS:APP's malloclab and Johnstone–Wilson do.

The learner writes ``peak_live(ops)`` (the most payload a trace holds at once; a realloc changes
live bytes by new - old size, a free gives back the block's latest size) and
``measure(ops, heap)`` (replay ``a``/``r``/``f`` by id through a memlab allocator; return
malloclab's utilization and Johnstone and Wilson's fragmentation). Both are checked against
:func:`memlab.traces.replay` on hand-made traces and on the shipped real ones. To name the
operation where a live count first goes wrong, the check reads the learner's count after each
prefix of the trace: it appends one huge allocation, whose peak is that count plus its size.
"""

from __future__ import annotations

from ...allocators.freelist.heap import FreeListHeap
from ...allocators.registry import allocator
from ...errors import MemlabError
from ...traces import from_ops, replay, shipped
from ...traces.rep import ALLOC, FREE, Trace
from ..questions import Cases, Exercise, Question

PROBE = 10**12
"""The size of the allocation appended to read a learner's live count (larger than any trace)."""

ALLOCS_AND_FREES = [("a", 0, 40), ("a", 1, 24), ("f", 0, 0), ("a", 2, 16), ("a", 3, 64), ("f", 1, 0), ("f", 3, 0)]
GROWING = [("a", 0, 40), ("a", 1, 24), ("r", 0, 100), ("a", 2, 8), ("f", 1, 0), ("r", 0, 160), ("f", 2, 0)]
SHRINKING = [("a", 0, 200), ("a", 1, 50), ("r", 0, 30), ("f", 0, 0), ("a", 2, 180), ("f", 1, 0), ("f", 2, 0)]
REUSED = [("a", 0, 10), ("a", 1, 20), ("f", 0, 0), ("a", 0, 300), ("f", 1, 0), ("r", 0, 5), ("f", 0, 0)]
MOVING = [("a", 0, 40), ("a", 1, 8), ("r", 0, 200), ("a", 2, 16), ("f", 0, 0), ("f", 1, 0), ("f", 2, 0)]
GIVES_BACK = [("a", 0, 5000), ("a", 1, 100), ("f", 0, 0), ("a", 2, 60)]
GROWS_LATER = [("a", i, 100) for i in range(4)] + [("f", 0, 0), ("f", 2, 0), ("a", 4, 150), ("f", 1, 0)]


def _num(value) -> str:
    return f"{value:,}" if isinstance(value, int) else repr(value)


def _op(op) -> str:
    kind, ident, size = op
    return f"`{kind} {ident}`" if kind == FREE else f"`{kind} {ident} {size}`"


def _where(trace: Trace, i: int) -> str:
    if trace.lines is not None:
        return f"{trace.name}.rep, line {trace.lines[i]}"
    return f"op {i + 1}"


def _reference(ops) -> tuple[list[int], list[str]]:
    """Live bytes after each operation, and what each operation should have done to them."""
    sizes: dict[int, tuple[int, int | None, int]] = {}  # id -> (size, index of last realloc, first size)
    live, out, hints = 0, [], []
    for i, (kind, ident, size) in enumerate(ops):
        old, by, first = sizes.get(ident, (0, None, size))
        if kind == ALLOC:
            hints.append(f"an alloc adds its size, {size} bytes")
            sizes[ident] = (size, None, size)
        elif kind == FREE:
            hint = f"a free gives back the block's latest size, {old} bytes"
            if by is not None:
                hint += f" (set by the realloc at op {by + 1}; it was allocated with {first})"
            hints.append(hint)
            del sizes[ident]
            size = 0
        else:
            hints.append(
                f"a realloc changes live bytes by the new size minus the old one ({size} - {old} = {size - old:+})"
            )
            sizes[ident] = (size, i, first)
        live += size - old
        out.append(live)
    return out, hints


def _learner_live(peak_live, ops, k: int) -> int:
    """The learner's live count after the first ``k`` operations."""
    probe = max((ident for _, ident, _ in ops), default=0) + 1
    return peak_live(list(ops[:k]) + [(ALLOC, probe, PROBE)]) - PROBE


def _first_wrong(peak_live, trace: Trace) -> str:
    """Name the operation where the learner's live count goes wrong, or say that only the peak is."""
    want, hints = _reference(trace.ops)
    n = len(trace.ops)
    if n <= 200:
        k = next((k for k in range(1, n + 1) if _learner_live(peak_live, trace.ops, k) != want[k - 1]), None)
        right = "after every operation"
    elif _learner_live(peak_live, trace.ops, n) == want[-1]:
        k, right = None, "at the end"
    else:  # a long trace: bisect between a right count (no operation done) and a wrong one (all done)
        lo, hi = 0, n
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if _learner_live(peak_live, trace.ops, mid) == want[mid - 1] else (lo, mid)
        k = hi
    if k is None:
        top = max(want, default=0)
        at = want.index(top) if want else 0
        return (
            f"your live count is right {right}, but the peak is {top:,} bytes, reached at "
            f"{_where(trace, at)}: return the largest live count, not the last"
        )
    i, before = k - 1, (want[k - 2] if k > 1 else 0)
    got = _learner_live(peak_live, trace.ops, k)
    return (
        f"your live count goes wrong at {_where(trace, i)}, {_op(trace.ops[i])}: {before} bytes are live before it "
        f"and {want[i]} after it, your count says {got}; {hints[i]}"
    )


def check_peak_live(fns: dict) -> Cases:
    peak_live, cases = fns["peak_live"], Cases()

    def expect(ops, what: str) -> None:
        trace = from_ops(ops, what)
        got = peak_live(list(ops))
        if got != trace.peak_live_bytes:
            cases.expect(
                False,
                f"{what}: peak_live gave {_num(got)}, expected {trace.peak_live_bytes:,}. "
                + _first_wrong(peak_live, trace),
            )

    with cases.case("allocs and frees", 1):
        expect(ALLOCS_AND_FREES, "allocs and frees only")
    with cases.case("a realloc that grows a block counts only the difference", 1):
        expect(GROWING, "a block grown twice by realloc")
    with cases.case("a free after a realloc gives back the block's latest size", 1):
        expect(SHRINKING, "a block shrunk by realloc, then freed")
    with cases.case("an id used again after its free is a new block", 1):
        expect(REUSED, "id 0 freed, then allocated again")
    with cases.case("the four shipped real traces", 1):
        for trace in shipped.load_all():
            got = peak_live(list(trace.ops))
            if got != trace.peak_live_bytes:
                cases.expect(
                    False,
                    f"{trace.name}: peak_live gave {_num(got)}, expected {trace.peak_live_bytes:,}. "
                    + _first_wrong(peak_live, trace),
                )
    return cases


def _diagnose(what: str, got, want: float, wrong: dict[str, float]) -> str:
    for why, value in wrong.items():
        if isinstance(got, float | int) and value and abs(got - value) <= 1e-9 * abs(value):
            return f"{what} {got:.4f}: {why}"
    return f"{what} is {got!r}; memlab's replay measures {want:.4f}"


def _compare(cases: Cases, measure, ops, make, what: str) -> None:
    """Run the learner's replay and memlab's on fresh heaps from ``make``; compare what they measured."""
    trace, heap, theirs = from_ops(ops, what), make(), make()
    ref = replay(trace, theirs, progress=False)
    try:
        got = measure(list(ops), heap)
    except MemlabError as e:
        i = min(max(heap.step - 1, 0), len(ops) - 1)
        moved = any(kind == "r" for kind, _, _ in ops[:i])
        hint = (
            "heap.realloc may move a block: keep the address it returns for that id"
            if moved
            else "pass heap.free and heap.realloc the address heap.alloc returned for that id"
        )
        cases.expect(False, f"{what}: the heap refused op {i + 1}, {_op(ops[i])}: {e}. {hint}")
    cases.expect(
        isinstance(got, tuple) and len(got) == 2,
        f"{what}: measure returned {got!r}; expected a pair (utilization, fragmentation)",
    )
    mine, real = heap.stats(), theirs.stats()
    cases.expect(
        (mine.allocs, mine.frees, mine.reallocs, mine.peak_footprint)
        == (real.allocs, real.frees, real.reallocs, real.peak_footprint),
        f"{what}: your replay made {mine.allocs} allocs, {mine.reallocs} reallocs and {mine.frees} frees and took "
        f"{mine.peak_footprint} bytes; memlab's made {real.allocs}, {real.reallocs} and {real.frees} and took "
        f"{real.peak_footprint}: call heap.alloc, heap.realloc or heap.free once per operation",
    )
    peak, heap_bytes, end = ref.peak_live_bytes, ref.heap_bytes, heap.footprint
    used = ref.fragmentation * peak
    u, f = got
    cases.expect(
        abs(u - ref.utilization) <= 1e-9,
        _diagnose(
            f"{what}: utilization",
            u,
            ref.utilization,
            {
                f"that is {peak} peak live bytes / {end}, the heap at the end; malloclab divides by the largest "
                f"heap ever held, {heap_bytes} bytes (heap.stats().peak_footprint)": peak / end,
                f"upside down: it is peak live bytes / heap bytes, {peak} / {heap_bytes}": heap_bytes / peak,
            },
        ),
    )
    cases.expect(
        abs(f - ref.fragmentation) <= 1e-9,
        _diagnose(
            f"{what}: fragmentation",
            f,
            ref.fragmentation,
            {
                f"that is the heap at the end ({end} bytes) / the peak; take heap.footprint at the moment live "
                f"memory first reaches its peak ({used:.0f} bytes then)": end / peak,
                f"that is the largest heap ({heap_bytes} bytes) / the peak; Johnstone and Wilson take the memory held "
                f"at the moment live memory peaks ({used:.0f} bytes)": heap_bytes / peak,
                f"upside down: it is memory used / live memory at the peak, {used:.0f} / {peak}": peak / used,
            },
        ),
    )


def check_measure(fns: dict) -> Cases:
    measure, cases = fns["measure"], Cases()
    with cases.case("a small trace on a free-list heap", 1):
        _compare(cases, measure, GROWING, lambda: FreeListHeap(chunk=128), "a small trace")
    with cases.case("a realloc that moves its block", 1):
        _compare(cases, measure, MOVING, lambda: FreeListHeap(chunk=128), "a realloc that must move")
    with cases.case("a heap that gives memory back: utilization uses the largest heap", 1):
        _compare(cases, measure, GIVES_BACK, lambda: allocator("page"), "the page allocator")
    with cases.case("a heap that grows after the peak: fragmentation is taken at the peak", 1):
        _compare(cases, measure, GROWS_LATER, lambda: FreeListHeap(chunk=128), "a heap that grows later")
    with cases.case("two shipped real traces on best fit", 1):
        for name in ("sort", "ls-zoneinfo"):
            _compare(cases, measure, shipped.load(name).ops, lambda: FreeListHeap(list="explicit", fit="best"), name)
    return cases


def demo(measure):
    """The first 15 calls of ``ls`` replayed by the learner's measure, with its two numbers at the end."""
    from ...demos.workloads import opening
    from ...events import Note
    from ...widgets import heap_player

    heap = FreeListHeap(list="explicit", order="address")
    with heap.record() as rec:
        u, f = measure(list(opening().ops), heap)
        rec(Note(heap.step, f"your measure: utilization {u:.1%}, fragmentation {f:.2f}"))
    return heap_player(rec.recording, title="Your replay of the first 15 calls of ls", width=680)


EXERCISE = Exercise(
    "12_real_workloads",
    "Real workloads: replaying and measuring a trace",
    (
        Question("peak_live", "the peak of live bytes", ("peak_live",), 5, check_peak_live),
        Question("measure", "utilization and fragmentation", ("measure",), 5, check_measure),
    ),
)
