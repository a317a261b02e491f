"""Composing allocators, Zig style: one interface, and wrappers that each add one behaviour.

``interface`` is Zig's ``std.mem.Allocator`` (a pointer and a table of four functions);
:class:`CustomAllocator` is the base for an allocator written by hand. The wrappers follow Zig's
``std.heap`` and ``std.testing``: a stack buffer with a fallback, an allocator that fails on
purpose, a leak-checking testing allocator, a thread-safe one. :class:`ArrayList` is a container
that takes its allocator as an argument.
"""

from .wrapper import Wrapper, build  # noqa: I001  (first: the others build on it)
from .arraylist import ArrayList
from .failing import AllocationFailureMishandled, FailingAllocator, check_all_allocation_failures
from .fallback import StackFallback
from .interface import CustomAllocator, Interface, VTable, interface
from .threadsafe import ThreadSafe


def __getattr__(name: str):
    # testing builds on memlab.manual, which builds on this package: import it on first use
    if name == "TestingAllocator":
        from .testing import TestingAllocator

        return TestingAllocator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AllocationFailureMishandled",
    "ArrayList",
    "CustomAllocator",
    "FailingAllocator",
    "Interface",
    "StackFallback",
    "TestingAllocator",
    "ThreadSafe",
    "VTable",
    "Wrapper",
    "build",
    "check_all_allocation_failures",
    "interface",
]
