"""The machine's own malloc (glibc's ptmalloc2) as a replay target, through ctypes, in this process.

Real ``malloc``, ``free`` and ``realloc`` of the C library this Python runs on. ``"glibc"``
replays natively, in a process of its own (:mod:`.production`), wherever that replayer can be
built; this in-process replay is what it falls back to without a C compiler, and what
benchmarks use to time memlab's Python allocators against glibc with Python's overhead on both
sides (``replay(trace, NativeHeap())``). Its footprint is
malloclab's heap size, measured on the replay's own chunks (:mod:`.native_chunks`): the bytes
from the lowest chunk to the highest chunk end so far, holes included, plus the chunks glibc
mapped on their own while they live. ``mallinfo2()`` (glibc 2.33+; ``mallinfo()`` on older ones) only tells
that the C library is glibc.

The replay runs on a thread of its own (:func:`on_fresh_thread`): its tcache starts empty, so
chunks Python left in the main thread's tcache are not silently reused, and glibc usually gives
the thread an arena of its own, away from Python's blocks. A thread frees its tcache only as it
exits, after Python's ``join`` has returned, so the next measurement waits until the thread is
gone: otherwise those frees would land in the middle of it. Which arena it gets depends on what
the process did before, so glibc's figures vary a little from run to run; the CLI, which starts
a fresh process each time, gives the same figures every time. Simplifications: Python itself
may malloc in the same arena during the replay (a few KiB of noise), and nothing here can check
glibc's heap (glibc checks itself and aborts on corruption).
"""

from __future__ import annotations

import ctypes
import gc
import os
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace

from .. import host
from ..errors import NeedsMachine, OutOfMemory
from .native_chunks import ChunkMap

_FIELDS = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in _FIELDS]


class _Mallinfo(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int) for name in _FIELDS]


class NativeUnavailable(NeedsMachine):
    """This machine's C library cannot be measured (not glibc, no mallinfo, or no C library at all: the browser)."""


_LIB: ctypes.CDLL | None = None


def _library() -> ctypes.CDLL:
    global _LIB
    if _LIB is not None:
        return _LIB
    try:
        lib = host.libc()
    except NeedsMachine as e:
        raise NativeUnavailable(str(e)) from None
    if hasattr(lib, "mallinfo2"):
        lib.mallinfo2.restype, lib.mallinfo2.argtypes = _Mallinfo2, []
    else:
        lib.mallinfo.restype, lib.mallinfo.argtypes = _Mallinfo, []
    lib.malloc.restype, lib.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    lib.realloc.restype, lib.realloc.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_size_t]
    lib.free.restype, lib.free.argtypes = None, [ctypes.c_void_p]
    if hasattr(lib, "malloc_trim"):
        lib.malloc_trim.restype, lib.malloc_trim.argtypes = ctypes.c_int, [ctypes.c_size_t]
    _LIB = lib
    return lib


def available() -> str | None:
    """None if the machine's malloc can be replayed here, else the reason it cannot."""
    try:
        _library()
    except NativeUnavailable as e:
        return str(e)
    return None


def mallinfo() -> dict[str, int]:
    """glibc's heap statistics right now (``mallinfo2`` fields)."""
    lib = _library()
    info = lib.mallinfo2() if hasattr(lib, "mallinfo2") else lib.mallinfo()
    return {name: getattr(info, name) & ((1 << 64) - 1) for name in _FIELDS}


class NativeHeap:
    """glibc's malloc with the interface a replay needs: alloc, free, realloc, footprint.

    Every call reads the chunk's header to keep the footprint, which makes it slow: time the
    C library with :func:`direct` instead.
    """

    name = "glibc"

    def __init__(self) -> None:
        self.lib = _library()
        self.chunks = ChunkMap()
        self.peak_footprint = 0

    def begin(self) -> None:
        """Start measuring: ``malloc_trim(0)`` first, so free chunks glibc kept are merged."""
        if hasattr(self.lib, "malloc_trim"):
            self.lib.malloc_trim(0)
        self.chunks = ChunkMap()
        self.peak_footprint = 0

    @property
    def footprint(self) -> int:
        """Bytes of glibc's heap the replay's chunks have reached (see :mod:`.native_chunks`)."""
        return self.chunks.bytes

    def _after(self, address: int) -> None:
        self.chunks.add(address)
        f = self.chunks.bytes
        if f > self.peak_footprint:
            self.peak_footprint = f

    def alloc(self, size: int) -> int:
        address = self.lib.malloc(size)
        if not address:
            raise OutOfMemory(f"glibc malloc({size}) returned NULL")
        self._after(address)
        return address

    def free(self, address: int) -> None:
        self.chunks.remove(address)
        self.lib.free(address)

    def realloc(self, address: int | None, size: int) -> int:
        new = self.lib.realloc(address or None, size)
        if not new:
            raise OutOfMemory(f"glibc realloc({address or 0:#x}, {size}) returned NULL")
        if address:
            self.chunks.remove(address)
        self._after(new)
        return new

    def check(self) -> None:
        """Nothing to do: glibc checks its own heap and aborts the process on corruption."""

    def release(self, addresses) -> None:
        """Free every address still held (the replay's leftovers), so the process does not leak."""
        release(addresses)


def direct() -> SimpleNamespace:
    """malloc, free and realloc themselves, unmeasured (footprint 0): the speed baseline."""
    lib = _library()
    return SimpleNamespace(alloc=lib.malloc, free=lib.free, realloc=lib.realloc, footprint=0, peak_footprint=0)


def release(addresses) -> None:
    """free() every non-zero address in ``addresses``."""
    free = _library().free
    for address in addresses:
        if address:
            free(address)


def on_fresh_thread(work: Callable[[], object], *, timeout: float = 2.0):
    """Run ``work()`` on a new thread with the garbage collector paused; return its result.

    Returns only once the thread has really exited (its ``/proc`` entry is gone, so glibc has
    flushed its tcache), or after ``timeout`` seconds.
    """
    box: dict[str, object] = {}

    def body() -> None:
        box["tid"] = threading.get_native_id()
        try:
            box["result"] = work()
        except BaseException as e:  # handed back to the caller below
            box["error"] = e

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        thread = threading.Thread(target=body, name="memlab-glibc-replay")
        thread.start()
        thread.join()
        _wait_gone(box.get("tid"), timeout)
    finally:
        if was_enabled:
            gc.enable()
    if "error" in box:
        raise box["error"]
    return box.get("result")


def _wait_gone(tid: object, timeout: float) -> None:
    """Wait until the OS thread ``tid`` of this process has exited (Linux's /proc/self/task)."""
    if not isinstance(tid, int):
        return
    task = f"/proc/self/task/{tid}"
    deadline = time.perf_counter() + timeout
    while os.path.exists(task) and time.perf_counter() < deadline:
        time.sleep(0.0005)
