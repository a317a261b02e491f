"""Composing allocators, Zig style: one interface, and wrappers that each add one behaviour.

``interface`` is Zig's ``std.mem.Allocator`` (a pointer and a table of four functions);
:class:`CustomAllocator` is the base for an allocator written by hand. The wrappers follow Zig's
``std.heap`` and ``std.testing``: a stack buffer with a fallback, an allocator that fails on
purpose, a leak-checking testing allocator, a thread-safe one. :class:`ArrayList` is a container
that takes its allocator as an argument.
"""

from ..allocators.registry import entry, register
from ..allocators.wrapper import Wrapper, build
from .arraylist import ArrayList
from .failing import AllocationFailureMishandled, FailingAllocator, check_all_allocation_failures
from .fallback import StackFallback
from .interface import CustomAllocator, Interface, VTable, interface
from .testing import TestingAllocator
from .threadsafe import ThreadSafe

WRAPPERS = (
    entry(
        "stackfallback",
        StackFallback,
        wraps=True,
        returns_to_empty=False,
        max_request=256,
        aligns=(None, 1, 16, 64),
        test_options={"size": 512, "fallback": "bump:size=65536"},
    ),
    entry(
        "threadsafe",
        ThreadSafe,
        wraps=True,
        returns_to_empty=False,
        max_request=256,
        aligns=(None, 1, 16, 64),
        test_options={"inner": "bump:size=65536"},
    ),
)
"""The wrappers a name builds (``memlab.allocator("threadsafe", inner="buddy")``)."""

register(*WRAPPERS)

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
    "WRAPPERS",
    "Wrapper",
    "build",
    "check_all_allocation_failures",
    "interface",
]
