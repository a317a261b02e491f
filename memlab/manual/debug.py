"""DebugAllocator: wrap any allocator and catch the bugs of manual memory management.

It combines what the real detectors do, on the simulated heap:

* **AddressSanitizer**: a poisoned *redzone* before and after every block; freed blocks wait in
  a FIFO *quarantine* (bounded in bytes) before their memory goes back to the wrapped allocator,
  so a use after free finds a freed block rather than someone else's new one. Reports:
  heap-use-after-free, heap-buffer-overflow, double-free, bad-free, SEGV.
* **Valgrind memcheck / MemorySanitizer**: which bytes were ever written (memcheck's V bits,
  kept per byte here). Reading a byte nobody wrote is reported.
* **Zig's DebugAllocator**: the allocation and free sites of every block, so a double free
  names where the block was allocated, first freed and freed again; a leak check at the end.
* **Debug heaps with canaries** (glibc's ``MALLOC_CHECK_``, the MSVC debug heap): the redzone
  bytes hold a known pattern, checked on free, resize and realloc, so writes that bypassed the
  checked pointers are still found, later.

Accesses are checked when they go through :meth:`load`, :meth:`store`, :meth:`copy` and
:meth:`fill` (the checked pointers of :mod:`memlab.manual.pointers` use them). Each of these, like
each allocator call, is one step. Simplifications: memcheck complains about undefined bytes only
when they decide a branch, an address or a system call; here, as soon as they are read. Freed
memory is filled with 0xAA (Zig's "undefined" in safe builds), new memory with 0xBE (ASan's
malloc fill byte). ``free(NULL)`` is allowed, as in C.

With ``halt=True`` (ASan's default) the first bug raises its typed error; with ``halt=False``
(memcheck's way) it is recorded in ``reports`` and the program runs on (except after a SEGV,
which ends a real process under either tool): a bad free is skipped,
a bad read returns what is in memory, and a bad write stores only its bytes that fall inside a
live block (unlike a real process, so the wrapped heap stays intact whatever the program does).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from ..allocators.base import ALLOCATED, DEAD, Block
from ..compose.wrapper import Child, Wrapper
from ..errors import BadRequest, BadSize, DoubleFree, InvalidFree, MemlabError, UseAfterFree
from ..events import Event
from ..memory import align_up
from .access import CheckedAccess, is_int
from .leak_report import Leak, LeakReport
from .leaks import classify
from .quarantine import FREE_FILL, HISTORY, Quarantine, Released
from .records import LIVE, QUARANTINED, RELEASED, BlockRecord, SpanIndex
from .redzones import LEFT_REDZONE, RIGHT_REDZONE, Redzones
from .reports import BlockInfo, BugReport
from .sites import capture

MALLOC_FILL = 0xBE


@dataclass(frozen=True, slots=True)
class BugCaught(Event):
    bug: str
    address: int | None

    def describe(self) -> str:
        where = f" at {self.address:#x}" if isinstance(self.address, int) else ""
        return f"caught: {self.bug}{where}"


class DebugAllocator(CheckedAccess, Redzones, Quarantine, Wrapper):
    """Catches double/invalid frees, use after free, overflows, uninitialised reads and leaks."""

    name = "debug"

    def __init__(
        self,
        inner: Child = "bump:size=65536",
        *,
        redzone: int = 16,
        quarantine: int = 4096,
        halt: bool = True,
        sites: bool = True,
        definedness: bool = True,
        **options: Any,
    ) -> None:
        for what, value in (("redzone", redzone), ("quarantine", quarantine)):
            if not is_int(value) or value < 0:
                raise BadRequest(f"DebugAllocator {what} must be a whole number of bytes >= 0, not {value!r}")
        super().__init__(inner, **options)
        self.redzone, self.quarantine_limit = redzone, quarantine
        self.halt, self.sites, self.definedness = bool(halt), bool(sites), bool(definedness)
        self.reports: list[BugReport] = []
        self._records: dict[int, BlockRecord] = {}  # payload -> live or quarantined record
        self._spans = SpanIndex()  # the same records, by the range they cover with redzones
        self._history = SpanIndex()  # released records, until their memory is reused
        self._history_order: deque[BlockRecord] = deque()
        self._quarantine: deque[BlockRecord] = deque()
        self.quarantined_bytes = 0
        self.bytes_allocated = 0

    # -- reporting ----------------------------------------------------------------------------
    def _site(self):
        return capture() if self.sites else None

    def _report(
        self,
        kind: str,
        cls: type,
        address: Any,
        access: str,
        *,
        size: int = 0,
        record: BlockRecord | None = None,
        at: int | None = None,
        note: str = "",
        abort: bool = True,
    ) -> None:
        """Record a bug; raise its error if halting or if the operation cannot go on."""
        block = BlockInfo.of(record, address if at is None else at) if record is not None else None
        report = BugReport(kind, cls, self.step, self._site(), address, access, size, block, note)
        self.reports.append(report)
        if self.recorder is not None:
            self._emit(BugCaught(self.step, kind, address if is_int(address) else None))
        if self.halt or abort:
            raise report.error()

    def _guard(self, fn, *args):
        """Run a public operation; without ``halt``, a reported bug only skips it.

        A segmentation fault always raises: as under memcheck, the process would not go on."""
        try:
            return fn(*args)
        except MemlabError as e:
            report = getattr(e, "report", None)
            if self.halt or report is None or report.kind == "SEGV":
                raise
            return None

    # -- the allocator calls ------------------------------------------------------------------
    def free(self, address: int) -> None:
        if address is None or (is_int(address) and address == 0):
            return  # free(NULL) does nothing, as in C
        return self._guard(super().free, address)

    def resize(self, address: int, new_size: int) -> bool:
        return self._guard(super().resize, address, new_size)

    def realloc(self, address: int | None, new_size: int) -> int:
        old = self._records.get(address) if is_int(address) and address in self._live else None
        new = self._guard(super().realloc, address, new_size)
        if old is not None and new is not None and new != address:
            keep = min(old.size, new_size)
            self._records[new].defined[:keep] = old.defined[:keep]
        return new

    def calloc(self, count: int, size: int) -> int:
        if not (is_int(count) and is_int(size) and count >= 0 and size >= 0):
            self.step += 1
            raise BadSize(f"calloc({count!r}, {size!r}): counts and sizes are integers >= 0", step=self.step)
        address = self.alloc(count * size)
        self.memory.fill(address, count * size)
        self._records[address].defined[:] = b"\x01" * (count * size)
        return address

    def _alloc(self, size: int, align: int) -> int:
        left = align_up(self.redzone, align)
        total = left + size + self.redzone
        raw = self._relay(self.inner.alloc, total, align)
        payload = raw + left
        self.memory.fill(raw, left, LEFT_REDZONE)
        self.memory.fill(payload, size, MALLOC_FILL)
        self.memory.fill(payload + size, self.redzone, RIGHT_REDZONE)
        record = BlockRecord(payload, size, raw, total, align, self.step, self._site(), bytearray(size))
        for old in self._history.overlapping(raw, raw + total):
            self._history.remove(old)
        self._records[payload] = record
        self._spans.add(record)
        self.bytes_allocated += size
        return payload

    def _live_size(self, address: object, what: str) -> int:
        """The base class asks this before resize and realloc, and before freeing a pointer that
        is not live: diagnose bad pointers here, before anything changes."""
        if is_int(address) and address in self._live:
            self._check_redzones(self._records[address], what)
            return self._live[address][0]
        if not is_int(address):
            self._report("bad-free", InvalidFree, address, what, note=f"{address!r} is not an address")
        record = self._spans.find(address) or self._history.find(address)
        if record is not None and address == record.payload and record.state != LIVE:
            kind, cls = ("double-free", DoubleFree) if what == "free" else ("heap-use-after-free", UseAfterFree)
            note = "" if record.state == QUARANTINED else "the block had already left quarantine"
            self._report(kind, cls, address, what, record=record, note=note)
        self._report("bad-free", InvalidFree, address, what, record=record)
        raise AssertionError("unreachable")  # pragma: no cover

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        record = self._records[address]
        total = record.left + new_size + self.redzone
        if not self._relay(self.inner.resize, record.raw, total):
            return False
        if new_size > old_size:
            self.memory.fill(record.end, new_size - old_size, MALLOC_FILL)
            record.defined.extend(bytes(new_size - old_size))
        else:
            del record.defined[new_size:]
        record.size, record.total = new_size, total
        self._poison(record)
        return True

    # -- leaks and views ------------------------------------------------------------------------
    def leak_check(self, roots=()) -> LeakReport:
        """Every live block, classified as LeakSanitizer and memcheck do (see :mod:`.leaks`)."""
        live = sorted((r for r in self._spans if r.state == LIVE), key=lambda r: r.alloc_step)
        kinds = classify(live, self.memory, [int(r) for r in roots])
        entries = tuple(Leak(kinds[r.payload], BlockInfo.of(r)) for r in live)
        s = self.stats()
        return LeakReport(entries, s.allocs, s.frees, self.bytes_allocated, self.step)

    def describe(self, address: int) -> str:
        """Where ``address`` lies, as ASan would say it."""
        record = self._spans.find(address) or self._history.find(address) if is_int(address) else None
        if record is None:
            return f"{address!r} is not inside any block or redzone"
        return f"{record.locate(address)}, {record.state} (allocated at step {record.alloc_step})"

    def layout(self) -> list[Block]:
        blocks = []
        for b in self.inner.layout():
            record = self._spans.get(b.payload) if b.state == ALLOCATED else None
            if record is None:
                blocks.append(b)
                continue
            live = record.state == LIVE
            blocks.append(
                Block(
                    b.address,
                    b.size,
                    ALLOCATED if live else DEAD,
                    "redzones" if live else "quarantined",
                    header=record.payload - b.address,
                    footer=b.end - record.end,
                    requested=record.size,
                )
            )
        return blocks

    def reclaimed(self) -> bool:
        return not self._quarantine and super().reclaimed()

    def _check(self) -> None:
        super()._check()
        inner = self.inner.live()
        for record in self._spans:
            if inner.get(record.raw) != record.total:
                self._corrupt(
                    f"block {record.payload:#x}: its {record.total} bytes are not live in the child", record.raw
                )
            if record.state == LIVE and record.payload not in self._live:
                self._corrupt(f"block {record.payload:#x} is recorded live but was freed", record.payload)
            left, right = self._damage(record)
            if record.state == LIVE and (left >= 0 or right >= 0):
                side = "left" if left >= 0 else "right"
                self._corrupt(f"the {side} redzone of block {record.payload:#x} was overwritten", record.payload)
        if self.quarantined_bytes != sum(r.total for r in self._quarantine):
            self._corrupt(
                f"quarantine holds {sum(r.total for r in self._quarantine)} bytes, counted {self.quarantined_bytes}"
            )
        if any(r.state != RELEASED for r in self._history):
            self._corrupt("a remembered released block is not released")


__all__ = [
    "FREE_FILL",
    "HISTORY",
    "LEFT_REDZONE",
    "MALLOC_FILL",
    "RIGHT_REDZONE",
    "BugCaught",
    "DebugAllocator",
    "Released",
]
