"""Manual memory management: C's malloc, free and pointers, over any memlab allocator.

A :class:`ManualHeap` lets a learner write short C-like programs in Python::

    heap = ManualHeap("freelist", debug=True)
    p = heap.malloc(16)
    p.u32[0] = 42
    heap.free(p)

``debug=True`` wraps the allocator in a :class:`~memlab.manual.debug.DebugAllocator`, which
checks every access. Without it, the heap behaves like C without sanitizers: only an access to
memory the OS never handed out faults (SIGSEGV); a read of a freed block quietly returns
whatever is there now.
"""

from __future__ import annotations

from typing import Any

from ..allocators.wrapper import Child, build
from ..errors import BadRequest, BadSize
from .debug import DebugAllocator
from .errors import SegmentationFault
from .leak_report import LeakReport
from .pointers import Ptr
from .reports import BugReport
from .sites import capture

MAX_STRING = 1 << 16


class ManualHeap:
    """malloc / calloc / realloc / free and checked pointers (see the module docstring)."""

    def __init__(self, allocator: Child = "bump:size=65536", *, debug: bool = False, **debug_options: Any) -> None:
        heap = allocator if isinstance(allocator, DebugAllocator) else build(allocator)
        if debug and not isinstance(heap, DebugAllocator):
            heap = DebugAllocator(heap, **debug_options)
        elif debug_options:
            raise BadRequest(f"options {sorted(debug_options)} need debug=True")
        self.allocator = heap
        self.memory = heap.memory
        self.NULL = Ptr(self, 0)

    @property
    def debug(self) -> DebugAllocator | None:
        """The DebugAllocator checking this heap, if any."""
        return self.allocator if isinstance(self.allocator, DebugAllocator) else None

    @property
    def reports(self) -> list[BugReport]:
        """The bugs found so far (always empty without debug)."""
        return self.debug.reports if self.debug else []

    def _address(self, p: object) -> Any:
        if isinstance(p, Ptr):
            if p.heap is not self:
                raise BadRequest(f"{p!r} points into another heap")
            return p.address
        return 0 if p is None else p

    def _ptr(self, address: int | None) -> Ptr:
        return self.NULL if address is None else Ptr(self, address)

    # -- the C library -------------------------------------------------------------------------
    def malloc(self, size: int) -> Ptr:
        return self._ptr(self.allocator.malloc(size))

    def calloc(self, count: int, size: int) -> Ptr:
        return self._ptr(self.allocator.calloc(count, size))

    def realloc(self, p: Ptr | None, size: int) -> Ptr:
        return self._ptr(self.allocator.realloc(self._address(p), size))

    def free(self, p: Ptr | None) -> None:
        address = self._address(p)
        if isinstance(address, int) and not isinstance(address, bool) and address == 0:
            return  # free(NULL) does nothing
        self.allocator.free(address)

    # -- memory accesses -----------------------------------------------------------------------
    def load(self, address: int, n: int) -> bytes:
        if self.debug:
            return self.debug.load(address, n)
        self._mapped(address, n, "READ")
        return self.memory.read(address, n)

    def store(self, address: int, data: bytes) -> None:
        if self.debug:
            return self.debug.store(address, data)
        if not isinstance(data, (bytes, bytearray)):
            raise BadRequest(f"store of {data!r}: not bytes")
        self._mapped(address, len(data), "WRITE")
        self.memory.write(address, bytes(data))

    def _mapped(self, address: int, n: int, access: str) -> None:
        """Without a DebugAllocator only the simulated MMU checks: unmapped memory faults."""
        if isinstance(address, bool) or not isinstance(address, int):
            raise BadRequest(f"{access} at {address!r}: not an address")
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise BadSize(f"{access} of {n!r} bytes: sizes are positive integers")
        os = self.allocator.os
        if not (os.is_mapped(address) and os.is_mapped(address + n - 1)):
            step = self.allocator.step
            report = BugReport("SEGV", SegmentationFault, step, capture(), address, access, n)
            raise report.error()

    def memcpy(self, dest: Ptr, src: Ptr, n: int) -> Ptr:
        """Copy ``n`` bytes from ``src`` to ``dest``; return ``dest``."""
        d, s = self._address(dest), self._address(src)
        if self.debug:
            self.debug.copy(d, s, n)
        else:
            self.store(d, self.load(s, n))
        return self._ptr(d)

    def memset(self, dest: Ptr, value: int, n: int) -> Ptr:
        """Set ``n`` bytes at ``dest`` to ``value``; return ``dest``."""
        d = self._address(dest)
        if self.debug:
            self.debug.fill(d, n, value)
        else:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 256:
                raise BadRequest(f"memset value {value!r} is not a byte")
            self._mapped(d, n, "WRITE")
            self.memory.fill(d, n, value)
        return self._ptr(d)

    def strcpy(self, dest: Ptr, text: str) -> Ptr:
        """Store ``text`` and its terminating NUL byte (``len(text) + 1`` bytes!)."""
        if not isinstance(text, str):
            raise BadRequest(f"strcpy of {text!r}: not a string")
        self.store(self._address(dest), text.encode() + b"\0")
        return self._ptr(self._address(dest))

    def strlen(self, p: Ptr) -> int:
        """Bytes before the first NUL, reading one byte at a time as C does."""
        address = self._address(p)
        for n in range(MAX_STRING):
            if self.load(address + n, 1) == b"\0":
                return n
        raise BadRequest(f"no NUL byte within {MAX_STRING} bytes of {address:#x}", address=address)

    def string(self, p: Ptr) -> str:
        """The C string at ``p``."""
        return self.load(self._address(p), self.strlen(p) + 1)[:-1].decode(errors="replace")

    # -- at the end ----------------------------------------------------------------------------
    def leak_check(self, roots=()) -> LeakReport:
        """What is still allocated, and whether it is lost (needs debug=True)."""
        if not self.debug:
            raise BadRequest("leak checking needs ManualHeap(..., debug=True)")
        return self.debug.leak_check(roots)

    def __repr__(self) -> str:
        return f"<ManualHeap over {self.allocator!r}>"
