"""The bug classes the DebugAllocator reports, as typed errors.

Each subclasses the general memlab error it refines (a heap-buffer-overflow *is* a
BufferOverflow), so code that catches the general class still works. Double free, invalid free
and use after free reuse :class:`~memlab.errors.DoubleFree`, :class:`~memlab.errors.InvalidFree`
and :class:`~memlab.errors.UseAfterFree`. An error raised for a report carries it as ``.report``.
"""

from __future__ import annotations

from ..errors import BufferOverflow, MemlabError, OutOfBounds


class HeapBufferOverflow(BufferOverflow):
    """An access at or past the end of a heap block (ASan: heap-buffer-overflow)."""


class HeapBufferUnderflow(HeapBufferOverflow):
    """An access before the start of a heap block (ASan reports it as heap-buffer-overflow too)."""


class UninitialisedRead(MemlabError):
    """A read of bytes nobody wrote since the allocation (MemorySanitizer, memcheck's definedness)."""


class MemoryLeak(MemlabError):
    """Blocks still allocated when the program (or test) ended (LeakSanitizer, Zig's testing allocator)."""


class SegmentationFault(OutOfBounds):
    """An access to memory the OS never handed out, such as NULL (SIGSEGV)."""


class WildAccess(OutOfBounds):
    """An access to heap memory that belongs to no block, with no block nearby to blame."""
