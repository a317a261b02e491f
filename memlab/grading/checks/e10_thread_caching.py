"""Exercise 10: size classes and batch moves of a thread cache (TCMalloc's design document).

The learner writes ``size_class(heap, size)`` (round a request up to its class),
``refill(heap, cache, cls)`` (an empty list fetches a batch from the middle end, slow start)
and ``release(heap, cache, cls)`` (a list past its limit gives a batch back).
:class:`ExerciseTCMalloc` is memlab's :class:`~memlab.allocators.tcmalloc.TCMalloc` calling
them; the checks read the thread caches, transfer caches, spans and lock counts back.
"""

from __future__ import annotations

from ...allocators.tcmalloc.sizes import SizeClass
from ..questions import Cases, Exercise, Question
from .tcmalloc_kit import ExerciseTCMalloc, _name


def _span(heap: ExerciseTCMalloc, address: int):
    return heap.pageheap.pagemap[address >> heap.pageheap.shift]


def _counts_bytes(cases: Cases, heap: ExerciseTCMalloc, thread: int, fix: str) -> None:
    cache = heap.caches[thread]
    held = sum(len(lst) for lst in cache.lists) * 64
    cases.expect(
        cache.size == held, f"thread {thread}'s cache holds {held} bytes but cache.size says {cache.size}: {fix}"
    )
    heap.check()


def check_size_class(fns: dict) -> Cases:
    size_class, cases = fns["size_class"], Cases()
    heap = ExerciseTCMalloc(size_class=size_class)

    def expect(size: int, why: str) -> None:
        want, got = heap.cls(size), size_class(heap, size)
        if got != want and isinstance(got, SizeClass) and got.size < size:
            why = f"its objects are {got.size} bytes, too small for {size}: round up"
        cases.expect(got == want, f"size_class(heap, {size}) gave {_name(got)}; expected {_name(want)}: {why}")

    with cases.case("a size that is a class gets that class", 1):
        for size in (8, 16, 64, 128, 1024, 32768):
            expect(size, f"{size} bytes fit an object of {size} exactly (>=, not >)")
        a = heap.alloc(64)
        span = _span(heap, a)
        cases.expect(span.sizeclass == heap.cls(64).index, f"alloc(64) returned {a:#x}, in a span of another class")
    with cases.case("sizes between classes round up to the next class", 1):
        for size in (9, 65, 129, 1000, 1025, 20000, 1):
            nxt = heap.cls(size).size
            expect(size, f"the smallest class of at least {size} bytes is {nxt}; it wastes {nxt - size} bytes")
    with cases.case("past the largest class: None, a large object from the page heap", 1):
        top = heap.sizes.max_size
        expect(top + 1, f"the largest class is {top} bytes; larger requests get whole pages")
        a = heap.alloc(40_000)
        span = _span(heap, a)
        cases.expect(span.sizeclass == 0, f"alloc(40000) returned {a:#x} in a span cut into small objects")
    return cases


def _locks(heap: ExerciseTCMalloc, before: dict) -> str:
    return ", ".join(f"{k} {heap.locks[k] - before[k]}" for k in ("transfer", "central")) + " lock(s)"


def check_refill(fns: dict) -> Cases:
    cases = Cases()
    with cases.case("the first malloc of a class takes one object (slow start)", 1):
        heap = ExerciseTCMalloc(refill=fns["refill"])
        a = heap.alloc(64, thread=1)
        cache, i = heap.caches[1], heap.cls(64).index
        cases.expect(
            heap.refills[0][2] == 1,
            f"thread 1's first refill took {heap.refills[0][2]} objects: slow start takes "
            "min(max_length, batch) = 1 the first time, so a thread that needs one object hoards none",
        )
        span = _span(heap, a)
        cases.expect(a == heap.pageheap.address(span), f"alloc(64) returned {a:#x}, not the span's first object")
        cases.expect(
            cache.max_length[i] == 2,
            f"max_length is {cache.max_length[i]} after one refill; call cache.grow_limit(cls)",
        )
    with cases.case("each refill takes one more: 1, 2, 3, 4", 1):
        heap = ExerciseTCMalloc(refill=fns["refill"])
        got = [heap.alloc(64, thread=1) for _ in range(10)]
        counts = [r[2] for r in heap.refills]
        hint = " (call cache.grow_limit(cls) after each refill)" if counts[:2] == [1, 1] else ""
        cases.expect(counts == [1, 2, 3, 4], f"ten mallocs made refills of {counts}; expected [1, 2, 3, 4]{hint}")
        want = [got[0] + 64 * k for k in range(10)]
        cases.expect(got == want, f"ten mallocs returned {[hex(a) for a in got]}; expected {[hex(a) for a in want]}")
    with cases.case("a whole batch comes from the transfer cache under one lock", 1):
        heap = ExerciseTCMalloc(refill=fns["refill"])
        i, transfer = heap.cls(64).index, heap.transfer[heap.cls(64).index]
        with heap.real():
            objs = [heap.alloc(64, thread=1) for _ in range(33)]
            heap.free(objs[0], thread=2)
            heap.caches[2].max_length[i] = 32
            for a in objs[1:]:
                heap.free(a, thread=2)  # 33 > 32: a batch of 32 goes to the transfer cache
            heap.alloc(64, thread=3)
            heap.caches[3].max_length[i] = 32
        batch, before = list(transfer.batches[-1]), dict(heap.locks)
        heap.alloc(64, thread=3)
        cases.expect(
            not transfer.batches,
            f"thread 3 (max_length 32) refilled {heap.refills[-1][2]} objects; the transfer cache still holds the "
            "batch of 32 thread 2 gave back: take it with heap.transfer[cls.index].remove_range(32)",
        )
        got = heap.caches[3].lists[i]
        cases.expect(len(got) == 31 and set(got) <= set(batch), "thread 3's list should hold 31 of the batch's objects")
        cases.expect(
            heap.locks["central"] == before["central"],
            f"the refill took {_locks(heap, before)}: a batch from the transfer cache needs no central lock",
        )
    with cases.case("the cache counts the bytes it holds", 1):
        heap = ExerciseTCMalloc(refill=fns["refill"])
        for _ in range(11):
            heap.alloc(64, thread=1)
        _counts_bytes(cases, heap, 1, "add len(objects) * cls.size")
    return cases


def _thread2_frees(release, n: int, limit: int | None = None) -> ExerciseTCMalloc:
    """Thread 1 allocates ``n`` 64-byte objects, thread 2 frees them (``limit``: its list's max_length)."""
    heap = ExerciseTCMalloc(release=release)
    with heap.real():
        objs = [heap.alloc(64, thread=1) for _ in range(n)]
        heap.free(objs[0], thread=2)
    if limit:
        heap.caches[2].max_length[heap.cls(64).index] = limit
    heap.before, heap.objs = dict(heap.locks), objs
    for a in objs[1:]:
        heap.free(a, thread=2)
    return heap


def check_release(fns: dict) -> Cases:
    cases, release = Cases(), fns["release"]
    with cases.case("a list past its limit gives its objects back", 1):
        heap = _thread2_frees(release, 2)
        i, cache = heap.cls(64).index, heap.caches[2]
        left = len(cache.lists[i])
        cases.expect(heap.flushes, "thread 2's list held 2 objects, over its max_length 1, but release moved none")
        cases.expect(left == 0, f"thread 2's list holds {left} object(s); a list of 2 gives back min(batch, 2) = 2")
        lost = [hex(a) for a in heap.objs if heap.places().get(a) != "central free list"]
        cases.expect(not lost, f"{lost} did not reach their span's free list: hand them to heap.transfer[cls.index]")
    with cases.case("the limit grows by one after each release: 2, 3, 4, ...", 1):
        heap = _thread2_frees(release, 40)
        counts = [f[2] for f in heap.flushes]
        cases.expect(
            counts[:5] == [2, 3, 4, 5, 6],
            f"thread 2's releases gave back {counts[:5]} objects; expected [2, 3, 4, 5, 6]: "
            "after a release, max_length grows by one while it is below the batch size",
        )
    with cases.case("a long list gives back one batch of 32, to the transfer cache, under one lock", 1):
        heap = _thread2_frees(release, 65, limit=64)
        i, cache = heap.cls(64).index, heap.caches[2]
        counts = [f[2] for f in heap.flushes]
        cases.expect(
            counts == [32],
            f"thread 2's list (max_length 64) reached 65 objects and gave back {counts}; expected one batch of 32",
        )
        cases.expect(
            len(cache.lists[i]) == 33, f"thread 2's list holds {len(cache.lists[i])} objects, not 65 - 32 = 33"
        )
        cases.expect(
            len(heap.transfer[i].batches) == 1,
            "the batch of 32 is not in the transfer cache, where the next thread takes it in one step",
        )
        cases.expect(
            heap.locks["central"] == heap.before["central"],
            f"the release took {_locks(heap, heap.before)}: a whole batch needs only the transfer cache's lock",
        )
        cases.expect(
            cache.max_length[i] == 64,
            f"max_length is {cache.max_length[i]}; it grows only while below the batch size (32)",
        )
    with cases.case("the cache counts the bytes it holds", 1):
        heap = _thread2_frees(release, 40)
        _counts_bytes(cases, heap, 2, "subtract count * cls.size")
    return cases


def demo(size_class, refill, release):
    """Two threads, 64-byte objects: watch your refills slow-start and your releases give batches back."""
    from ...viz.tcmalloc import tcmalloc_view
    from ...widgets import Player

    heap = ExerciseTCMalloc(size_class=size_class, refill=refill, release=release)
    with heap.record() as rec:
        objs = [heap.alloc(60, thread=1) for _ in range(6)]
        for a in objs:
            heap.free(a, thread=2)
        for _ in range(3):
            for t in (1, 2):
                heap.free(heap.alloc(64, thread=t), thread=t)
    return Player(rec.recording, tcmalloc_view(), title="Your size classes, refills and releases")


EXERCISE = Exercise(
    "10_thread_caching",
    "Thread caching: size classes and batches",
    (
        Question("size_class", "rounding a request up to its size class", ("size_class",), 3, check_size_class),
        Question("refill", "refilling an empty list from the middle end", ("refill",), 4, check_refill),
        Question("release", "giving a batch back from a list that is too long", ("release",), 4, check_release),
    ),
)
