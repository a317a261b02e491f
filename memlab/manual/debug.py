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
from ..allocators.wrapper import Child, Wrapper
from ..errors import BadRequest, BadSize, DoubleFree, InvalidFree, MemlabError, UseAfterFree
from ..events import Event
from ..memory import align_up
from .errors import HeapBufferOverflow, HeapBufferUnderflow, SegmentationFault, UninitialisedRead, WildAccess
from .leak_report import Leak, LeakReport
from .leaks import classify
from .records import LIVE, QUARANTINED, RELEASED, BlockRecord, SpanIndex
from .reports import BlockInfo, BugReport
from .sites import capture

# -- Checked loads and stores: every access of a program under the debug allocator is inspected.
#
# As AddressSanitizer's instrumentation checks the shadow byte of each load and store, ``load``,
# ``store``, ``copy`` (memcpy) and ``fill`` (memset) first find the block the access falls in:
# outside every mapping is a SEGV; in a redzone, a heap-buffer-overflow (or underflow); in a
# quarantined or released block, a heap-use-after-free; far from every block, a wild access. As
# Valgrind memcheck tracks definedness, a store marks its bytes written, memcpy copies their
# definedness along, and a load of a byte nobody wrote is a use of an uninitialised value.
# Simplification: definedness is one flag per byte (memcheck keeps one per bit).


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- The quarantine: freed blocks wait before their memory is reused, as in AddressSanitizer.
#
# A freed block is filled with 0xAA and joins a FIFO queue bounded in bytes (ASan's
# ``quarantine_size_mb``); only when the queue is over its limit does the oldest block go back to
# the wrapped allocator. Until then nobody else can be given that memory, so a use after free
# finds the freed block and is reported as such. Released blocks are still remembered (up to
# ``HISTORY`` of them) until their memory is reused, so a late use can be named too.

FREE_FILL = 0xAA
HISTORY = 4096
"""Released blocks remembered (for use-after-free reports) until their memory is reused."""


@dataclass(frozen=True, slots=True)
class Released(Event):
    address: int
    size: int

    def describe(self) -> str:
        return f"the freed {self.size}-byte block at {self.address:#x} leaves quarantine: its memory can be reused"


# -- Redzones: poisoned bytes around every block, as AddressSanitizer and debug heaps lay them out.
#
# Each block gets a redzone before and after its payload, filled with a known pattern (0xFA on the
# left, 0xFB on the right). A checked access that lands in one is reported at once;
# a write that bypassed the checks is still found, as glibc's ``MALLOC_CHECK_`` and the MSVC debug
# heap find a damaged canary: on free, resize and realloc the pattern is compared, the damage
# reported, and the pattern written again.

LEFT_REDZONE = 0xFA
RIGHT_REDZONE = 0xFB


def first_not(data: bytes, value: int) -> int:
    """Index of the first byte of ``data`` that is not ``value``, or -1."""
    stripped = data.lstrip(bytes([value]))
    return len(data) - len(stripped) if stripped else -1


MALLOC_FILL = 0xBE


@dataclass(frozen=True, slots=True)
class BugCaught(Event):
    bug: str
    address: int | None

    def describe(self) -> str:
        where = f" at {self.address:#x}" if isinstance(self.address, int) else ""
        return f"caught: {self.bug}{where}"


class DebugAllocator(Wrapper):
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
        self.step += 1
        total = self._calloc_bytes(count, size)
        address = self._checked_alloc(total, None)
        self.memory.fill(address, total)
        self._records[address].defined[:] = b"\x01" * total
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

    # -- checked loads and stores (ASan's instrumentation) -------------------------------------

    def load(self, address: int, n: int) -> bytes:
        """Read ``n`` bytes, checking that they belong to a live block and were written."""
        self.step += 1
        return self._guard(self._load, address, n, True)

    def _load(self, address: int, n: int, defined: bool) -> bytes:
        record = self._check_access(address, n, "READ")
        if defined and record is not None and self.definedness:
            offset = address - record.payload
            undefined = record.defined.find(0, offset, offset + n)
            if undefined >= 0:
                note = f"byte {undefined} of the block was never written"
                self._report(
                    "use-of-uninitialized-value",
                    UninitialisedRead,
                    address,
                    "READ",
                    size=n,
                    record=record,
                    at=record.payload + undefined,
                    note=note,
                    abort=False,
                )
        return self.memory.read(address, n)

    def store(self, address: int, data: bytes) -> None:
        """Write ``data``, checking that every byte belongs to a live block."""
        self.step += 1
        self._guard(self._store, address, data)

    def _store(self, address: int, data: bytes) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise BadRequest(f"store of {data!r}: not bytes", step=self.step)
        data = bytes(data)
        self._write(self._check_access(address, len(data), "WRITE"), address, data)

    def _write(self, record: BlockRecord | None, address: int, data: bytes, bits: bytes | None = None) -> None:
        """Store the part of ``data`` that lies in the live block ``record`` and mark it defined.

        Only a reported bug without ``halt`` gets here with bytes outside the block: those are
        dropped, so the program's bug cannot corrupt the wrapped heap (a real one would)."""
        if record is None or record.state != LIVE:
            return
        lo, hi = max(address, record.payload), min(address + len(data), record.end)
        if hi > lo:
            self.memory.write(lo, data[lo - address : hi - address])
            piece = bits[lo - address : hi - address] if bits is not None else b"\x01" * (hi - lo)
            record.defined[lo - record.payload : hi - record.payload] = piece

    def copy(self, dest: int, src: int, n: int) -> None:
        """memcpy: copies the bytes and their definedness; undefined bytes may be copied freely."""
        self.step += 1
        self._guard(self._copy, dest, src, n)

    def _copy(self, dest: int, src: int, n: int) -> None:
        data = self._load(src, n, False)
        source = self._spans.find(src)
        bits = None
        if source is not None and source.state == LIVE and source.payload <= src and src + n <= source.end:
            bits = bytes(source.defined[src - source.payload : src - source.payload + n])
        self._write(self._check_access(dest, n, "WRITE"), dest, data, bits)

    def fill(self, address: int, n: int, value: int = 0) -> None:
        """memset: set ``n`` bytes to ``value``."""
        self.step += 1
        self._guard(self._fill, address, n, value)

    def _fill(self, address: int, n: int, value: int) -> None:
        if not (is_int(value) and 0 <= value < 256):
            raise BadRequest(f"memset value {value!r} is not a byte", step=self.step)
        record = self._check_access(address, n, "WRITE")
        self._write(record, address, bytes([value]) * n)

    def _check_access(self, address: int, n: int, access: str) -> BlockRecord | None:
        """Report a bad access; return the live block the access starts in, if it does."""
        if not is_int(address):
            raise BadRequest(f"{access} at {address!r}: not an address", step=self.step)
        if not is_int(n) or n <= 0:
            raise BadSize(f"{access} of {n!r} bytes: sizes are positive integers", step=self.step)
        if not (self.os.is_mapped(address) and self.os.is_mapped(address + n - 1)):
            self._report("SEGV", SegmentationFault, address, access, size=n)
        record = self._spans.find(address)
        if record is None:
            self._stray(address, n, access)
            return None
        if record.state != LIVE:
            self._report("heap-use-after-free", UseAfterFree, address, access, size=n, record=record, abort=False)
            return None
        if address < record.payload:
            self._report(
                "heap-buffer-overflow", HeapBufferUnderflow, address, access, size=n, record=record, abort=False
            )
        elif address + n > record.end:
            inside = address - record.payload
            note = f"the {n}-byte access starts {inside} bytes inside and runs {address + n - record.end} past the end"
            self._report(
                "heap-buffer-overflow",
                HeapBufferOverflow,
                address,
                access,
                size=n,
                record=record,
                at=max(address, record.end),
                note=note if address < record.end else "",
                abort=False,
            )
        return record

    def _stray(self, address: int, n: int, access: str) -> None:
        """An access outside every live or quarantined block (and its redzones)."""
        old = self._history.find(address)
        if old is not None:
            note = "the block has left quarantine; its memory may already belong to someone else"
            self._report(
                "heap-use-after-free", UseAfterFree, address, access, size=n, record=old, note=note, abort=False
            )
            return
        left, right = self._spans.neighbours(address)
        gap_left = address - left.end if left else None
        gap_right = right.payload - address if right else None
        if left is None and right is None:
            self._report(
                "wild-access", WildAccess, address, access, size=n, note="no block is near this address", abort=False
            )
        elif right is None or (left is not None and gap_left <= gap_right):
            self._report("heap-buffer-overflow", HeapBufferOverflow, address, access, size=n, record=left, abort=False)
        else:
            self._report(
                "heap-buffer-overflow", HeapBufferUnderflow, address, access, size=n, record=right, abort=False
            )

    # -- redzones: poisoned bytes around every block -------------------------------------------

    def _damage(self, record: BlockRecord) -> tuple[int, int]:
        """The first overwritten byte of the left and of the right redzone (-1 where intact)."""
        left = first_not(self.memory.read(record.raw, record.left), LEFT_REDZONE)
        right = first_not(self.memory.read(record.end, record.right), RIGHT_REDZONE)
        return left, right

    def _check_redzones(self, record: BlockRecord, when: str) -> None:
        """Find writes into the redzones (canaries) that the checked accesses did not see."""
        left, right = self._damage(record)
        if left < 0 and right < 0:
            return
        at = record.raw + left if left >= 0 else record.end + right
        cls = HeapBufferUnderflow if left >= 0 else HeapBufferOverflow
        side = "left" if left >= 0 else "right"
        note = f"the {side} redzone was overwritten before this {when}"
        self._report("heap-buffer-overflow", cls, at, when, record=record, note=note, abort=False)
        self._poison(record)

    def _poison(self, record: BlockRecord) -> None:
        self.memory.fill(record.raw, record.left, LEFT_REDZONE)
        self.memory.fill(record.end, record.right, RIGHT_REDZONE)

    # -- the quarantine: freed blocks wait before reuse ----------------------------------------

    def _free(self, address: int, size: int) -> None:
        record = self._records[address]
        self._check_redzones(record, "free")
        record.state, record.free_step, record.free_site = QUARANTINED, self.step, self._site()
        self.memory.fill(record.payload, record.size, FREE_FILL)
        self._quarantine.append(record)
        self.quarantined_bytes += record.total
        while self.quarantined_bytes > self.quarantine_limit and self._quarantine:
            self._release(self._quarantine.popleft())

    def _release(self, record: BlockRecord) -> None:
        self.quarantined_bytes -= record.total
        self._relay(self.inner.free, record.raw)
        self._spans.remove(record)
        del self._records[record.payload]
        record.state = RELEASED
        self._history.add(record)
        self._history_order.append(record)
        if len(self._history_order) > HISTORY:
            self._history.remove(self._history_order.popleft())
        if self.recorder is not None:
            self._emit(Released(self.step, record.payload, record.size))

    def drain(self) -> None:
        """Empty the quarantine: give every freed block back to the wrapped allocator."""
        while self._quarantine:
            self._release(self._quarantine.popleft())


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
