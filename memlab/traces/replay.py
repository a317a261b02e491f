"""Replay a trace through any allocator and measure it the way malloclab and Wilson do.

Per (trace, allocator) a :class:`Result` with

* ``peak_live_bytes`` — the peak of the payload the program holds (requested bytes only): a
  property of the trace, the same for every allocator that serves every request;
* ``heap_bytes`` — the most memory the allocator ever held from the OS (its peak footprint; for
  malloclab's sbrk-only heaps that is the heap size at the end, since sbrk never shrinks);
* ``utilization`` — malloclab's: peak live payload / heap bytes (1.0 is perfect);
* ``fragmentation`` — Johnstone and Wilson's (1998): memory the allocator used / live memory,
  both at the moment of peak live memory (1.0 is none; they print it as a percentage over 100);
* ``ops_per_second`` and ``errors`` (requests the allocator could not serve).

The replay loop does nothing per operation beyond the allocator call and a running sum of live
bytes; the footprint is read only when live memory reaches a new peak. Its tables hold one entry per
block live at once (the trace's *slots*), however large the block ids are. ``check=True`` runs the
allocator's ``check()`` after every operation and stops at the first broken invariant.
The machine's production allocators (``"glibc"``, ``"libjemalloc"``, ``"libmimalloc"``,
``"libtcmalloc"``) replay natively, each in a process of its own (:mod:`.production`), with the
same measurements and a few more. Where that replayer cannot run, ``"glibc"`` is replayed in this
process through ctypes, twice: once reading each chunk's header after every call (the
measurements: where its heap reaches, :mod:`.native_chunks`), once calling the C functions
directly (the speed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

from ..errors import BadRequest, HeapCorruption, MemlabError, NeedsMachine
from .lineup import NATIVE, build, general_purpose, skipped
from .native import NativeHeap, direct, on_fresh_thread, release
from .production import Production
from .progress import Progress
from .rep import ALLOC, FREE, Trace
from .result import KEYS, SAMPLES, Result


# -- the replay loop ------------------------------------------------------------------------------
def _with_check(fn: Callable, check: Callable[[], None], every: int, count: list[int]) -> Callable:
    """``fn`` followed by ``check()`` on every ``every``-th operation (``count`` is shared)."""
    if every == 1:

        def run(*args):
            result = fn(*args)
            check()
            return result

        return run

    def run_some(*args):
        result = fn(*args)
        count[0] += 1
        if count[0] % every == 0:
            check()
        return result

    return run_some


def _peak_footprint(heap) -> int:
    return heap.stats().peak_footprint if hasattr(heap, "stats") else heap.peak_footprint


def _buffers(trace: Trace) -> tuple[list[int], list[int], list]:
    """The replay's tables (address and size by block id, timeline samples), made up front.

    For glibc they are made before the replay's thread starts, so they live in the main
    thread's arena, not in the one being measured.
    """
    every = max(1, len(trace) // SAMPLES)
    return [0] * trace.num_slots, [0] * trace.num_slots, [None] * (len(trace) // every + 2)


def _execute(trace: Trace, heap, *, check: int, progress: Progress | None, out: Result, buffers=None) -> list[int]:
    """Run every operation; fill ``out``; return the addresses still held at the end."""
    kinds, slots, sizes, n = trace.kinds, trace.slots, trace.sizes, len(trace)
    address, size, samples = buffers or _buffers(trace)
    every = max(1, n // SAMPLES)
    if hasattr(heap, "begin"):
        heap.begin()
    alloc, free, realloc = heap.alloc, heap.free, heap.realloc
    if check:
        count = [0]
        alloc, free, realloc = (_with_check(f, heap.check, check, count) for f in (alloc, free, realloc))
    live = peak = used = taken = 0
    a, f = ord(ALLOC), ord(FREE)
    i, tick = 0, min(n, every)
    while i < n:
        try:
            for i in range(i, tick):  # noqa: B020 - i resumes after a failed operation
                kind, b, s = kinds[i], slots[i], sizes[i]
                if kind == a:
                    address[b] = alloc(s)
                    size[b] = s
                    live += s
                elif kind == f:
                    if address[b]:
                        free(address[b])
                        address[b] = 0
                        live -= size[b]
                    continue
                else:
                    address[b] = realloc(address[b], s)
                    live += s - size[b]
                    size[b] = s
                if live > peak:
                    peak, used = live, heap.footprint
            i = tick
            tick = min(n, i + every)
            samples[taken] = (i, live, heap.footprint)
            taken += 1
            if progress is not None:
                progress.update(i)
        except Exception as e:  # noqa: BLE001 - an allocator bug must not take the whole run down
            out.errors += 1
            if len(out.messages) < 5:
                out.messages.append(f"{trace.where(i)}: {type(e).__name__}: {e}")
            if isinstance(e, HeapCorruption) or not isinstance(e, MemlabError):
                out.stopped = f"{trace.where(i)}: {type(e).__name__}: {e}"
                break
            i += 1
    if check and out.stopped is None:
        try:
            heap.check()
        except Exception as e:  # noqa: BLE001 - reported, like the checks in the loop
            out.errors += 1
            out.stopped = f"{trace.name}, after the last operation: {type(e).__name__}: {e}"
    del samples[taken:]  # in place: a copy would be made in the arena being measured
    out.timeline = samples
    out.peak_live_bytes = peak
    out.heap_bytes = _peak_footprint(heap)
    out.utilization = peak / out.heap_bytes if out.heap_bytes and peak else None
    out.fragmentation = used / peak if peak else None
    return address


def replay(
    trace: Trace,
    spec: str | object = "freelist",
    *,
    check: bool | int = False,
    progress: bool | None = None,
    label: str = "",
) -> Result:
    """Replay ``trace`` through the allocator ``spec`` names (or through an allocator object).

    ``check=True`` runs ``check()`` after every operation; ``check=N`` after every N-th one and
    at the end (for long traces). ``progress``: None shows a bar only on a long replay, False
    never, True always. A production allocator checks itself (and aborts on corruption), so
    ``check`` does nothing for one, and its replay, quick in C, shows no progress bar.
    """
    if isinstance(spec, str):
        heap = build(spec, trace)
    else:
        heap, spec = spec, label or getattr(spec, "name", type(spec).__name__)
    check = int(check)
    if check < 0:
        raise BadRequest(f"check={check}: expected True, False or a positive number of operations")
    if isinstance(heap, Production):
        return heap.replay(trace, label=label or spec)
    result = Result(label or spec, trace.name, len(trace), 0, 0, None, None, 0.0, 0)
    bar = None
    if progress is not False:
        bar = Progress(len(trace), f"{trace.name} · {label or spec}", delay=0.0 if progress else 0.5)
    try:
        if isinstance(heap, NativeHeap):
            tables = _buffers(trace)
            run = lambda: _execute(trace, heap, check=check, progress=bar, out=result, buffers=tables)  # noqa: E731
            on_fresh_thread(lambda: release(run()))
            elapsed = on_fresh_thread(lambda: _time_native(trace))
        else:
            start = time.perf_counter()
            _execute(trace, heap, check=check, progress=bar, out=result)
            elapsed = time.perf_counter() - start
    finally:
        if bar is not None:
            bar.close()
    result.ops_per_second = len(trace) / elapsed if elapsed > 0 else 0.0
    return result


def _time_native(trace: Trace) -> float:
    """Seconds for a replay through glibc calling malloc/free/realloc directly."""
    scratch = Result(NATIVE, trace.name, len(trace), 0, 0, None, None, 0.0, 0)
    start = time.perf_counter()
    left = _execute(trace, direct(), check=0, progress=None, out=scratch)
    elapsed = time.perf_counter() - start
    release(left)
    return elapsed


def replay_all(
    traces: Iterable[Trace],
    specs: Sequence[str],
    *,
    check: bool | int = False,
    progress: bool | None = None,
    on_skip: Callable[[str, str], None] | None = None,
) -> list[Result]:
    """Every trace through every allocator; a production allocator this machine lacks is skipped.

    ``on_skip(spec, reason)`` hears about each skipped allocator (once). A spec that names no
    allocator, or options it cannot take, raises BadRequest: a typo must not pass as a skip.
    """
    results, skipped_specs = [], set()
    for trace in traces:
        for spec in specs:
            if spec in skipped_specs:
                continue
            try:
                results.append(replay(trace, spec, check=check, progress=progress))
            except NeedsMachine as e:  # glibc, jemalloc, mimalloc or TCMalloc missing here
                skipped_specs.add(spec)
                if on_skip is not None:
                    on_skip(spec, str(e))
    return results


__all__ = ["KEYS", "NATIVE", "Result", "build", "general_purpose", "replay", "replay_all", "skipped"]
