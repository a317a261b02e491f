"""Shared timing helpers for the benchmarks: best-of-N timing and the machine's own malloc.

Every benchmark prints ratios against a baseline measured in the same run, never absolute
targets: the machine's C library ``malloc``/``free`` called through ctypes is the usual baseline,
so the Python call overhead is on both sides of the ratio.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import random
import time
from collections.abc import Callable, Sequence


def best_of(fn: Callable[[], object], repeat: int = 5, clock: Callable[[], float] = time.perf_counter) -> float:
    """The fastest of ``repeat`` runs of ``fn()``, in seconds of ``clock`` (``time.thread_time``: CPU time)."""
    best = float("inf")
    for _ in range(repeat):
        start = clock()
        fn()
        best = min(best, clock() - start)
    return best


def libc() -> ctypes.CDLL | None:
    """The C library with malloc/free typed for 64-bit pointers, or None where there is none."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    lib = ctypes.CDLL(name)
    lib.malloc.restype = ctypes.c_void_p
    lib.malloc.argtypes = [ctypes.c_size_t]
    lib.free.argtypes = [ctypes.c_void_p]
    lib.free.restype = None
    return lib


def random_ops(n: int, *, seed: int = 1, max_size: int = 512, live: int = 200) -> list[tuple[str, int]]:
    """A seeded program of about ``n`` operations: ("a", size) or ("f", index into live blocks)."""
    rng = random.Random(seed)
    ops: list[tuple[str, int]] = []
    count = 0
    while len(ops) < n:
        if count < live and (count == 0 or rng.random() < 0.5):
            ops.append(("a", rng.randint(1, max_size)))
            count += 1
        else:
            ops.append(("f", rng.randrange(count)))
            count -= 1
    return ops


def replay(alloc: Callable[[int], int], free: Callable[[int], None], ops: Sequence[tuple[str, int]]) -> None:
    """Run a program from :func:`random_ops` against an alloc/free pair; frees what is left."""
    blocks: list[int] = []
    for op, arg in ops:
        if op == "a":
            blocks.append(alloc(arg))
        else:
            blocks[arg], blocks[-1] = blocks[-1], blocks[arg]
            free(blocks.pop())
    for b in blocks:
        free(b)


def us_per_op(alloc: Callable[[int], int], free: Callable[[int], None], ops, repeat: int = 3) -> float:
    """Microseconds per operation of :func:`replay` (best of ``repeat``)."""
    return best_of(lambda: replay(alloc, free, ops), repeat) / len(ops) * 1e6


def glibc_us_per_op(ops, repeat: int = 3) -> float | None:
    """The baseline: the C library's malloc/free through ctypes on the same program."""
    lib = libc()
    if lib is None:
        return None
    return us_per_op(lib.malloc, lib.free, ops, repeat)


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A plain text table."""
    cells = [list(map(str, header))] + [[f"{c:.3f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
