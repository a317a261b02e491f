"""Composing allocators, Zig style: one interface, and wrappers that each add one behaviour.

``interface`` is Zig's ``std.mem.Allocator`` (a pointer and a table of four functions);
:class:`CustomAllocator` is the base for an allocator written by hand. The wrappers follow Zig's
``std.heap`` and ``std.testing``: a stack buffer with a fallback, an allocator that fails on
purpose, a leak-checking testing allocator, a thread-safe one. :class:`ArrayList` is a container
that takes its allocator as an argument.
"""

from ..allocators.registry import entry, register
from ..allocators.wrapper import Wrapper, build
from ..manual.debug import DebugAllocator
from .arraylist import ArrayList
from .failing import AllocationFailureMishandled, FailingAllocator, check_all_allocation_failures
from .fallback import StackFallback
from .interface import CustomAllocator, Interface, VTable, interface
from .testing import TestingAllocator
from .threadsafe import ThreadSafe

CHILDREN = ("bump:size=65536", "freelist:list=segregated", "buddy")
"""The children the property suite wraps: never reuses, a free list with tags in the bytes, powers of two."""


def wrapper(name: str, cls: type, **hints):
    """A registry entry for a wrapper: by default over a bump child (which never returns to its empty
    state), requests up to 256 bytes at small alignments, and the suite's three children as variants."""
    defaults = {
        "wraps": True,
        "returns_to_empty": False,
        "max_request": 256,
        "aligns": (None, 1, 16, 64),
        "test_options": {"inner": "bump:size=65536"},
        "varies": {"inner": CHILDREN},
    }
    return entry(name, cls, **{**defaults, **hints})


WRAPPERS = (
    wrapper(
        "stackfallback",
        StackFallback,
        test_options={"size": 512, "fallback": "bump:size=65536"},
        varies={"fallback": CHILDREN, "size": (512, 64)},
    ),
    wrapper("threadsafe", ThreadSafe),
    wrapper(
        "failing",
        FailingAllocator,
        varies={"inner": CHILDREN, "fail_index": (None, 40), "resize_fail_index": (None, 5)},
    ),
    wrapper(  # freed blocks wait in quarantine; requests leave room for the redzones
        "debug",
        DebugAllocator,
        max_request=200,
        varies={"inner": CHILDREN, "redzone": (16, 0), "quarantine": (4096, 0)},
    ),
    wrapper("testing", TestingAllocator, max_request=200),
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
