"""A testing allocator: the test fails if it leaks. Zig's ``std.testing.allocator``.

In Zig, ``std.testing.allocator`` is a DebugAllocator; after each test the runner calls its
``deinit``, and any allocation still live fails the test with the place it was allocated.
Here :class:`TestingAllocator` is a :class:`~memlab.manual.debug.DebugAllocator` whose
:meth:`deinit` raises :class:`~memlab.manual.errors.MemoryLeak` (with a LeakSanitizer-style
report as ``.report``) when something is still allocated; a recording gets one
:class:`LeakFound` event per leaked block, so a player shows the leak. Use it as a context
manager::

    with TestingAllocator() as a:
        code_under_test(a)      # leaves the block: deinit() runs, a leak raises
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..allocators.wrapper import Child
from ..events import Event
from ..manual.debug import DebugAllocator
from ..manual.sites import at


@dataclass(frozen=True, slots=True)
class LeakFound(Event):
    """The test ended with this block still allocated: the test fails."""

    address: int
    size: int
    where: str  # "step 3 in test_list (cell:4)"

    def describe(self) -> str:
        return (
            f"the test ends, but the {self.size}-byte block at {self.address:#x} (allocated at {self.where}) "
            "was never freed: the test fails"
        )


class TestingAllocator(DebugAllocator):
    """A DebugAllocator whose ``deinit`` (or the end of a ``with`` block) fails on a leak."""

    __test__ = False  # not a pytest test class, despite the name
    name = "testing"

    def __init__(self, inner: Child = "bump:size=65536", **options: Any) -> None:
        super().__init__(inner, **options)

    def deinit(self) -> None:
        """End of the test: raise MemoryLeak if any block is still allocated."""
        report = self.leak_check()
        if report.entries and self.recorder is not None:
            for entry in report.entries:
                b = entry.block
                where = at(b.alloc_step, b.alloc_site)
                self._emit(LeakFound(self.step, b.payload, b.size, where))
        if report.entries:
            if not report:  # everything still reachable from roots: Zig reports these too
                report = type(report)(
                    tuple(type(e)("direct", e.block) for e in report.entries),
                    report.allocs,
                    report.frees,
                    report.bytes_allocated,
                    report.step,
                )
            raise report.error()

    def __enter__(self) -> TestingAllocator:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.deinit()
