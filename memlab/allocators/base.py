"""The allocator contract every memlab allocator honours.

Modelled on Zig's ``std.mem.Allocator`` (alloc / resize / remap / free, each with an
alignment), plus the C names learners know (``malloc``, ``free``, ``realloc``, ``calloc``).

The public methods here validate every argument *before* a subclass touches memory, count
steps, keep the statistics, and turn bad input into typed errors that name the address, the
block and the step. A subclass writes only the algorithm: ``_alloc``, ``_free``, ``layout`` and,
where it can, ``_after_free``, ``_resize`` and ``_check``.

Freeing is one step in two halves, so that a recording shows them in the order a learner
reads them: ``_free`` releases the block (then the Free event goes out), and ``_after_free``
does what follows from it, such as coalescing with free neighbours, merging buddies or settling
a thread cache. ``_free`` hands ``_after_free`` whatever it needs, as its return value.

While a request is being served, ``request`` holds its size, so a snapshot taken in the middle of
an allocation (a recorder's, at a Split event) can show how much of a new block was asked for.

Like Valgrind or ASan, memlab keeps a *shadow table* of live blocks beside the simulated heap.
A real ``free`` trusts its argument and may corrupt the heap; memlab consults the shadow table
first, so a bad free is reported instead of performed. And every allocator asks the simulated
OS for memory through ``_sbrk``, ``_mmap`` and ``_munmap``, which keep its footprint.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from ..errors import (
    BadRequest,
    BadSize,
    DoubleFree,
    HeapCorruption,
    InvalidFree,
    MemlabError,
    UseAfterFree,
    describe_block,
)
from ..events import Alloc, Event, Free, Grow, Move, Note, Recorder, Resize, Shrink
from ..memory import ALIGNMENT, check_alignment, check_size
from ..os import OS
from .blocks import ALLOCATED as ALLOCATED
from .blocks import DEAD as DEAD
from .blocks import FREE as FREE
from .blocks import METADATA as METADATA
from .blocks import SNAPSHOT_BYTES as SNAPSHOT_BYTES
from .blocks import Block as Block
from .blocks import HeapSnapshot as HeapSnapshot
from .blocks import Stats as Stats


def machine(owner: str, option: str, value: object, limit: object) -> OS:
    """A fresh simulated machine of ``limit`` bytes; if it cannot be, a BadRequest naming ``owner``'s ``option``."""
    try:
        return OS(limit)  # type: ignore[arg-type]
    except MemlabError as e:
        raise BadRequest(f"{owner} {option}={value!r}: {e.message}") from None


class Allocator:
    """Base class: validation, shadow table, statistics, events. See the module docstring."""

    name: ClassVar[str] = "allocator"
    default_align: ClassVar[int] = ALIGNMENT
    recorder = None

    def __init__(self, *, os: OS | None = None, limit: int = 64 << 20) -> None:
        if os is None:
            os = machine(self.name, "limit", limit, limit)
        elif not isinstance(os, OS):
            raise BadRequest(f"{self.name} os={os!r}: expected a memlab.OS (or leave it out and give a limit)")
        self.os = os
        self.memory = self.os.memory
        self.step = 0
        self._live: dict[int, tuple[int, int]] = {}  # payload address -> (size, step allocated)
        self._freed: dict[int, int] = {}  # address -> step freed, until reused
        self._counts: defaultdict[str, int] = defaultdict(int)  # not Counter: 3x faster to bump
        self._live_bytes = self._peak_live = 0
        self._footprint = self._peak_footprint = 0
        self.request = 0  # the size of the allocation being served, 0 between requests

    # -- the contract --------------------------------------------------------------------------

    def alloc(self, size: int, align: int | None = None) -> int:
        """Allocate ``size`` bytes aligned to ``align``; return the payload address."""
        self.step += 1
        if type(size) is not int or size <= 0:
            self._valid_size(size)
        if align is None:
            align = self.default_align
        elif type(align) is not int or align <= 0 or align & (align - 1):
            try:
                check_alignment(align)
            except MemlabError as e:
                e.step = self.step
                raise
        self.request = size
        try:
            address = self._alloc(size, align)
        except MemlabError as e:
            self._stamp(e)
            raise
        finally:
            self.request = 0
        self._live[address] = (size, self.step)
        if address in self._freed:
            del self._freed[address]
        self._counts["allocs"] += 1
        self._live_bytes += size
        if self._live_bytes > self._peak_live:
            self._peak_live = self._live_bytes
        if self.recorder is not None:
            self._emit(Alloc(self.step, address, size))
        return address

    def free(self, address: int) -> None:
        """Free the block whose payload starts at ``address``."""
        self.step += 1
        entry = self._live.get(address) if type(address) is int else None
        size = entry[0] if entry is not None else self._live_size(address, "free")
        try:
            pending = self._free(address, size)
        except MemlabError as e:
            self._stamp(e)
            raise
        del self._live[address]
        self._freed[address] = self.step
        self._counts["frees"] += 1
        self._live_bytes -= size
        if self.recorder is not None:
            self._emit(Free(self.step, address, size))
        if pending is not None:
            self._with_step(self._after_free, address, size, pending)

    def resize(self, address: int, new_size: int) -> bool:
        """Grow or shrink a block in place; False (and nothing changed) if it cannot."""
        self.step += 1
        old = self._live_size(address, "resize")
        return self._resize_in_place(address, old, self._valid_size(new_size))

    def remap(self, address: int, new_size: int) -> int | None:
        """Zig's remap: resize, possibly moving; None means the caller must alloc, copy, free."""
        return address if self.resize(address, new_size) else None

    def realloc(self, address: int | None, new_size: int) -> int:
        """C's realloc: resize in place if possible, else allocate, copy the payload, free.

        ``realloc(None or 0, n)`` is ``alloc(n)``; a failed move leaves the old block as it was.
        """
        if not address:
            return self.alloc(new_size)
        self.step += 1
        old = self._live_size(address, "realloc")
        self._valid_size(new_size)
        if self._resize_in_place(address, old, new_size):
            self._counts["reallocs"] += 1
            return address
        new = self._checked_alloc(new_size, None)
        self.memory.copy(new, address, min(old, new_size))
        self._checked_free(address)
        self._counts["reallocs"] += 1
        self._emit(Move(self.step, address, new, min(old, new_size)))
        return new

    # C names
    def malloc(self, size: int) -> int:
        return self.alloc(size)

    def calloc(self, count: int, size: int) -> int:
        """Allocate ``count * size`` zeroed bytes (both checked before they are multiplied)."""
        self.step += 1
        total = self._calloc_bytes(count, size)
        address = self._checked_alloc(total, None)
        self.memory.fill(address, total)
        return address

    # -- what subclasses write -----------------------------------------------------------------
    def _alloc(self, size: int, align: int) -> int:
        raise NotImplementedError

    def _free(self, address: int, size: int) -> object:
        """Release the block. Anything but None is handed to :meth:`_after_free`."""
        raise NotImplementedError

    def _after_free(self, address: int, size: int, pending: object) -> None:
        """The second half of a free, once the Free event is out (see the module docstring)."""

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        return False

    def _check(self) -> None:
        """Allocator-specific invariants; raise HeapCorruption naming the first broken one."""

    def layout(self) -> list[Block]:
        """The blocks in address order."""
        raise NotImplementedError

    def reclaimed(self) -> bool:
        """True when nothing is live and all freed memory is reusable as in a fresh allocator."""
        return not self._live and all(b.state not in (ALLOCATED, DEAD) for b in self.layout())

    # -- views of the state --------------------------------------------------------------------
    @property
    def footprint(self) -> int:
        """Bytes this allocator has taken from the OS (or from its child allocator)."""
        return self._footprint

    def stats(self) -> Stats:
        c = self._counts
        return Stats(
            live_bytes=self._live_bytes,
            peak_live_bytes=self._peak_live,
            live_blocks=len(self._live),
            footprint=self.footprint,
            peak_footprint=max(self._peak_footprint, self.footprint),
            allocs=c["allocs"],
            frees=c["frees"],
            reallocs=c["reallocs"],
            failures=c["failures"],
            syscalls=dict(self.os.syscalls),
        )

    def live(self) -> dict[int, int]:
        """Live payload addresses and their requested sizes."""
        return {a: s for a, (s, _) in self._live.items()}

    def extent(self) -> tuple[int, int]:
        """The address range a heap map should show."""
        blocks = self.layout()
        return (blocks[0].address, blocks[-1].end) if blocks else (0, 0)

    def snapshot(self) -> HeapSnapshot:
        blocks = tuple(self.layout())
        start, end = self.extent()
        data = self.memory.read(start, end - start) if 0 < end - start <= SNAPSHOT_BYTES else b""
        return HeapSnapshot(blocks, start, end, self.stats(), data)

    def record(self, *, snapshots: bool = True) -> Recorder:
        """``with heap.record() as rec: ...`` then ``rec.recording``."""
        return Recorder(self, snapshots=snapshots)

    def check(self) -> None:
        """Verify every invariant; raise HeapCorruption naming the first broken one."""
        blocks = self.layout()
        previous = None
        for b in blocks:
            if b.size <= 0:
                self._corrupt(f"block {b.address:#x} has size {b.size}", b.address)
            if previous is not None and b.address < previous.end:
                self._corrupt(
                    f"block {b.address:#x} overlaps block {previous.address:#x} ({previous.size} bytes)",
                    b.address,
                )
            previous = b
        allocated = [b for b in blocks if b.state == ALLOCATED]
        if len(allocated) != len(self._live):
            self._corrupt(f"layout shows {len(allocated)} allocated blocks, {len(self._live)} are live")
        for b in allocated:
            size, _ = self._live.get(b.payload, (None, None))
            if size is None:
                self._corrupt(f"allocated block {b.address:#x} has no live payload at {b.payload:#x}", b.address)
            if b.payload + size > b.end - b.footer:
                self._corrupt(f"payload of {size} bytes at {b.payload:#x} runs past its block", b.address)
        self._check()

    # -- helpers for subclasses ----------------------------------------------------------------
    def note(self, text: str) -> None:
        """Put a line of commentary into the recording at the current step (a ``Note`` event)."""
        self._emit(Note(self.step, str(text)))

    def _emit(self, event: Event) -> None:
        if self.recorder is not None:
            self.recorder(event)

    def _corrupt(self, message: str, address: int | None = None) -> None:
        raise HeapCorruption(message, address=address, step=self.step)

    # -- validation and bookkeeping ------------------------------------------------------------
    def _relay(self, fn, *args):
        """Call into a child allocator, renumbering its errors with this allocator's step."""
        try:
            return fn(*args)
        except MemlabError as e:
            e.step = self.step
            raise

    def _with_step(self, fn, *args):
        try:
            return fn(*args)
        except MemlabError as e:
            self._stamp(e)
            raise

    def _stamp(self, e: MemlabError) -> None:
        """Give an error raised below us our step number, and count failed requests."""
        if e.step is None:
            e.step = self.step
        if isinstance(e, MemoryError):
            self._counts["failures"] += 1

    def _calloc_bytes(self, count: object, size: object) -> int:
        """``count * size`` for calloc, once each is known to be a positive integer (two negatives
        would multiply into a positive size)."""
        for what, n in (("count", count), ("size", size)):
            if type(n) is not int or n <= 0:
                raise BadSize(f"calloc({count!r}, {size!r}): the {what} must be a positive integer", step=self.step)
        return count * size  # type: ignore[operator]

    @contextmanager
    def _option(self, **options: object):
        """Errors raised while options are put to use name them: ``bump size=...: mmap(...) finds no ...``."""
        try:
            yield
        except MemlabError as e:
            named = ", ".join(f"{k}={v!r}" for k, v in options.items())
            raise BadRequest(f"{self.name} {named}: {e.message}") from None

    def _valid_size(self, size: object) -> int:
        try:
            return check_size(size)
        except BadSize as e:
            e.step = self.step
            raise

    def _checked_alloc(self, size: int, align: int | None) -> int:
        """alloc() as part of the current step (for realloc and wrappers)."""
        self.step -= 1
        return self.alloc(size, align)

    def _checked_free(self, address: int) -> None:
        """free() as part of the current step."""
        self.step -= 1
        self.free(address)

    def _resize_in_place(self, address: int, old: int, new_size: int) -> bool:
        if new_size == old:
            return True
        if not self._with_step(self._resize, address, old, new_size):
            return False
        self._set_size(address, new_size)
        if self.recorder is not None:
            self._emit(Resize(self.step, address, old, new_size))
        return True

    def __iter__(self) -> Iterator[Block]:
        return iter(self.layout())

    def __repr__(self) -> str:
        s = self.stats()
        return (
            f"<{type(self).__name__}: {s.live_blocks} live blocks, {s.live_bytes} bytes live, footprint {s.footprint}>"
        )

    # -- asking the OS for memory: sbrk, mmap and munmap, and the footprint they change --------
    # Every call goes to :class:`~memlab.os.OS` (which may refuse with OutOfMemory, before anything
    # changes), then counts in the allocator's footprint, rounded to whole pages for ``mmap``, and is
    # announced as a Grow or Shrink event when someone records.

    def _sbrk(self, increment: int) -> int:
        """Grow the heap through the OS, counting the footprint and emitting Grow."""
        address = self.os.sbrk(increment)
        self._add_footprint(increment)
        if self.recorder is not None:
            self._emit(Grow(self.step, address, increment, "sbrk"))
        return address

    def _mmap(self, length: int) -> int:
        address = self.os.mmap(length)
        length = -(-length // self.os.page_size) * self.os.page_size
        self._add_footprint(length)
        if self.recorder is not None:
            self._emit(Grow(self.step, address, length, "mmap"))
        return address

    def _munmap(self, address: int, length: int) -> None:
        self.os.munmap(address, length)
        length = -(-length // self.os.page_size) * self.os.page_size
        self._add_footprint(-length)
        if self.recorder is not None:
            self._emit(Shrink(self.step, address, length, "munmap"))

    def _add_footprint(self, n: int) -> None:
        self._footprint += n
        if self._footprint > self._peak_footprint:
            self._peak_footprint = self._footprint

    # -- the shadow table: looking up live blocks, and the errors for pointers that are not one ---
    # Valgrind's Memcheck and AddressSanitizer keep *shadow memory* that says which bytes a program
    # may touch. memlab keeps the same knowledge per block: payload address, requested size and the
    # step that allocated it, plus the addresses freed since (``_live``, ``_freed``). ``_live_size``
    # consults the table before any operation and turns a bad pointer into the typed error that
    # names it: a double free, a use after free, an interior pointer, or no block at all.

    def _block_of(self, address: int) -> tuple[int, int] | None:
        """The live (payload address, size) containing ``address``, if any."""
        for start, (size, _) in self._live.items():
            if start <= address < start + size:
                return start, size
        return None

    def _set_size(self, address: int, size: int) -> None:
        old, since = self._live[address]
        self._live[address] = (size, since)
        self._live_bytes += size - old
        self._peak_live = max(self._peak_live, self._live_bytes)

    def _live_size(self, address: object, what: str) -> int:
        """The size of the live block at ``address``, or the right typed error."""
        entry = self._live.get(address) if isinstance(address, int) else None
        if entry is not None:
            return entry[0]
        if not isinstance(address, int) or isinstance(address, bool):
            raise InvalidFree(f"{what} of {address!r}: not an address", step=self.step)
        if address in self._freed:
            cls = DoubleFree if what == "free" else UseAfterFree
            text = "double free" if what == "free" else f"{what} of a freed block"
            raise cls(
                f"{text} at {address:#x}",
                address=address,
                block=describe_block(address, 0, "freed", self._freed[address]).replace("0 bytes, ", ""),
                step=self.step,
            )
        inside = self._block_of(address)
        if inside is not None:
            start, size = inside
            since = self._live[start][1]
            raise InvalidFree(
                f"{what} of {address:#x}: an interior pointer, {address - start} bytes inside "
                f"the {size}-byte block at {start:#x}",
                address=address,
                block=describe_block(start, size, "allocated", since),
                step=self.step,
            )
        raise InvalidFree(f"{what} of {address:#x}: not the start of any live block", address=address, step=self.step)
