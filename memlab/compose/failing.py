"""An allocator that fails on purpose, and a test of every failure point.

Follows Zig's ``std.testing.FailingAllocator``: ``fail_index`` is the number of allocations
that succeed; the next one, and every one after it, fails with OutOfMemory. ``resize_fail_index``
does the same for in-place resizes. It counts allocations, frees and bytes like Zig's does.

:func:`check_all_allocation_failures` is Zig's ``std.testing.checkAllAllocationFailures``: run
the function once to count its allocations, then once more for each of them with that one
failing. Each run must let OutOfMemory reach the caller *and* leave nothing allocated; a run that
returns normally has "swallowed" the failure (Zig: ``error.SwallowedOutOfMemoryError``), and a
run that never reaches the failing allocation shows the function is not deterministic
(``error.NondeterministicMemoryUsage``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..allocators.base import Allocator
from ..allocators.wrapper import Child, Wrapper, build
from ..errors import BadRequest, MemlabError, OutOfMemory
from ..manual.sites import Site, capture


def _index(name: str, value: object) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise BadRequest(f"{name} must be None or an integer >= 0, not {value!r}")


class FailingAllocator(Wrapper):
    """Fails the allocation numbered ``fail_index`` (from 0) and every one after it."""

    name = "failing"

    def __init__(
        self,
        inner: Child = "bump:size=65536",
        *,
        fail_index: int | None = None,
        resize_fail_index: int | None = None,
        **options: Any,
    ) -> None:
        self.fail_index = _index("fail_index", fail_index)
        self.resize_fail_index = _index("resize_fail_index", resize_fail_index)
        super().__init__(inner, **options)
        self.alloc_index = self.resize_index = 0
        self.allocations = self.deallocations = 0
        self.allocated_bytes = self.freed_bytes = 0
        self.has_induced_failure = False
        self.failure_site: Site | None = None
        self.sites: dict[int, Site | None] = {}  # where each live block was allocated

    def _alloc(self, size: int, align: int) -> int:
        if self.alloc_index == self.fail_index:
            if not self.has_induced_failure:
                self.has_induced_failure, self.failure_site = True, capture()
            raise OutOfMemory(f"FailingAllocator: allocation #{self.alloc_index} fails on purpose")
        address = super()._alloc(size, align)
        self.alloc_index += 1
        self.allocations += 1
        self.allocated_bytes += size
        self.sites[address] = capture()
        return address

    def _free(self, address: int, size: int) -> None:
        super()._free(address, size)
        self.deallocations += 1
        self.freed_bytes += size
        self.sites.pop(address, None)

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        if self.resize_index == self.resize_fail_index or not super()._resize(address, old_size, new_size):
            return False
        self.resize_index += 1
        if new_size > old_size:
            self.allocated_bytes += new_size - old_size
        else:
            self.freed_bytes += old_size - new_size
        return True

    def leaks(self) -> str:
        """The live blocks in words, or an empty string."""
        live = self.live()
        if not live:
            return ""
        sites = sorted({str(self.sites.get(a)) for a in live if self.sites.get(a)})
        where = f", allocated at {'; '.join(sites)}" if sites else ""
        return f"{sum(live.values())} bytes in {len(live)} block{'s' if len(live) > 1 else ''}{where}"


class AllocationFailureMishandled(MemlabError, AssertionError):
    """check_all_allocation_failures found a failure point the function mishandles."""


@dataclass(frozen=True)
class FailurePoint:
    """One run, with allocation ``index`` failing (None: the run where nothing fails)."""

    index: int | None
    outcome: str  # ok, leaked, swallowed, raised, nondeterministic
    detail: str
    site: Site | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def __str__(self) -> str:
        at = f" in {self.site}" if self.site else ""
        what = "no allocation failing" if self.index is None else f"allocation #{self.index} failing{at}"
        return f"{what}: {self.outcome.upper() if not self.ok else 'ok'}" + (f", {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class FailureReport:
    """What every failure point did."""

    function: str
    allocations: int
    points: tuple[FailurePoint, ...]

    @property
    def mishandled(self) -> list[FailurePoint]:
        return [p for p in self.points if not p.ok]

    def __str__(self) -> str:
        lines = [f"{self.function}: {self.allocations} allocations, so {self.allocations} failure points"]
        lines += [f"  {p}" for p in self.points]
        bad = len(self.mishandled)
        lines.append(f"{bad} of {len(self.points)} runs mishandled" if bad else "every failure point is handled")
        return "\n".join(lines)


def _fresh(backing: str | Callable[[], Allocator]) -> Allocator:
    if not isinstance(backing, str) and (isinstance(backing, Allocator) or not callable(backing)):
        raise BadRequest("backing must be an allocator spec or a factory: every run needs a fresh allocator")
    return build(backing)


def _run(fn: Callable, args: tuple, backing, fail_index: int) -> FailurePoint:
    failing = FailingAllocator(_fresh(backing), fail_index=fail_index)
    try:
        fn(failing, *args)
    except OutOfMemory as e:
        if failing.has_induced_failure:
            outcome, detail = "ok", ""
        else:
            outcome, detail = "raised", f"a real OutOfMemory before the induced one: {e}"
    except Exception as e:  # the function under test may raise anything; that is what we report
        outcome, detail = "raised", f"raised {type(e).__name__} ({e}) instead of letting OutOfMemory through"
    else:
        if failing.has_induced_failure:
            outcome, detail = "swallowed", "returned normally although an allocation failed"
        else:
            outcome, detail = "nondeterministic", "never reached this allocation (it did in the first run)"
    leaked = failing.leaks()
    if leaked:
        outcome = "leaked" if outcome == "ok" else outcome
        detail = "; ".join(filter(None, [detail, f"left {leaked}"]))
    return FailurePoint(fail_index, outcome, detail, failing.failure_site)


def check_all_allocation_failures(
    fn: Callable[..., Any],
    *args: Any,
    backing: str | Callable[[], Allocator] = "bump:size=65536",
    raise_on_failure: bool = True,
) -> FailureReport:
    """Run ``fn(allocator, *args)`` once per allocation it makes, failing that one allocation.

    Raises AllocationFailureMishandled (an AssertionError, so tests fail) when a run mishandles
    its failure, unless ``raise_on_failure=False``; returns the report either way.
    """
    first = FailingAllocator(_fresh(backing))
    fn(first, *args)  # must work when nothing fails; its errors propagate
    points = []
    if first.live():
        points.append(FailurePoint(None, "leaked", f"left {first.leaks()}"))
    points += [_run(fn, args, backing, i) for i in range(first.alloc_index)]
    report = FailureReport(getattr(fn, "__name__", repr(fn)), first.alloc_index, tuple(points))
    if report.mishandled and raise_on_failure:
        error = AllocationFailureMishandled(str(report))
        error.report = report
        raise error
    return report
