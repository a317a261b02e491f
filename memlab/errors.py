"""One exception hierarchy for the whole package.

Every error names where it happened: the address, the block it concerns and the step (the
number of the operation, counted by the allocator or object model that raised it). The message
reads on its own, e.g.::

    DoubleFree: double free of 0x1010, block 0x100c (16 bytes, freed at step 3), step 5

Errors are raised *before* anything is changed, so the heap that raised one is exactly as it was.
"""

from __future__ import annotations


def _hex(address: int | None) -> str:
    return "?" if address is None else f"{address:#x}"


def short_traceback(error: BaseException) -> list[str]:
    """How a notebook shows a memlab error: its class and message, which name address, block and step.

    The interpreter's frames inside memlab would only hide the message a learner needs.
    """
    return [f"\x1b[0;31m{type(error).__name__}\x1b[0m: {error}"]


class MemlabError(Exception):
    """Base class: a message plus the address, block and step it concerns."""

    def __init__(
        self,
        message: str,
        *,
        address: int | None = None,
        block: str | None = None,
        step: int | None = None,
    ) -> None:
        self.message = message
        self.address = address
        self.block = block
        self.step = step
        super().__init__(str(self))

    _render_traceback_ = short_traceback  # IPython's hook for showing an exception

    def __str__(self) -> str:
        parts = [self.message]
        if self.address is not None and _hex(self.address) not in self.message:
            parts.append(f"address {_hex(self.address)}")
        if self.block:
            parts.append(f"block {self.block}")
        if self.step is not None:
            parts.append(f"step {self.step}")
        return ", ".join(parts)


class BadRequest(MemlabError, ValueError):
    """A request no allocator can serve: size <= 0, alignment not a power of two, ..."""


class BadSize(BadRequest):
    """A size of zero, a negative size or a size of the wrong type."""


class BadAlignment(BadRequest):
    """An alignment that is not a positive power of two."""


class TooLarge(BadSize):
    """A request larger than any block this allocator can ever hand out ("never", not "not now")."""


class OutOfBounds(MemlabError, IndexError):
    """An access outside simulated memory (a segmentation fault, in a real process)."""


class OutOfMemory(MemlabError, MemoryError):
    """The allocator, or the simulated OS under it, has no room for the request."""


class InvalidFree(MemlabError):
    """free() of an address that is not the start of a live block."""


class DoubleFree(InvalidFree):
    """free() of a block that is already free."""


class OutOfOrderFree(InvalidFree):
    """A LIFO allocator (the stack) asked to free a block that is not on top."""


class UseAfterFree(MemlabError):
    """A read, write, resize or realloc of a block after it was freed."""


class BufferOverflow(MemlabError):
    """An access past the end (or before the start) of a block."""


class HeapCorruption(MemlabError):
    """check() found a broken invariant; the message names the first one."""


class NeedsMachine(BadRequest):
    """What was asked needs the real computer under Python (threads, a child process, Valgrind,
    the C library), and this Python cannot reach it: in the browser course, say (see ``memlab.host``)."""


class SiteBuildError(MemlabError):
    """``memlab site build`` could not build the browser course; the message says which step failed."""


def describe_block(address: int, size: int, state: str = "", since: int | None = None) -> str:
    """The short block description errors use: ``0x1010 (24 bytes, allocated at step 3)``."""
    extra = f", {state} at step {since}" if state and since is not None else (f", {state}" if state else "")
    return f"{address:#x} ({size} bytes{extra})"
