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

WRAPPERS = (
    entry(
        "stackfallback",
        StackFallback,
        wraps=True,
        returns_to_empty=False,
        max_request=256,
        aligns=(None, 1, 16, 64),
        test_options={"size": 512, "fallback": "bump:size=65536"},
        varies={"fallback": CHILDREN, "size": (512, 64)},
    ),
    entry(
        "threadsafe",
        ThreadSafe,
        wraps=True,
        returns_to_empty=False,
        max_request=256,
        aligns=(None, 1, 16, 64),
        test_options={"inner": "bump:size=65536"},
        varies={"inner": CHILDREN},
    ),
    entry(
        "failing",
        FailingAllocator,
        wraps=True,
        returns_to_empty=False,
        max_request=256,
        aligns=(None, 1, 16, 64),
        test_options={"inner": "bump:size=65536"},
        varies={"inner": CHILDREN, "fail_index": (None, 40), "resize_fail_index": (None, 5)},
    ),
    entry(
        "debug",
        DebugAllocator,
        wraps=True,
        returns_to_empty=False,  # freed blocks wait in quarantine
        max_request=200,  # room for the redzones
        aligns=(None, 1, 16, 64),
        test_options={"inner": "bump:size=65536"},
        varies={"inner": CHILDREN, "redzone": (16, 0), "quarantine": (4096, 0)},
    ),
    entry(
        "testing",
        TestingAllocator,
        wraps=True,
        returns_to_empty=False,
        max_request=200,
        aligns=(None, 1, 16, 64),
        test_options={"inner": "bump:size=65536"},
        varies={"inner": CHILDREN},
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
