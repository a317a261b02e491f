"""Bug reports in the words of the real tools.

A :class:`BugReport` prints like AddressSanitizer (``str(report)`` or ``report.asan()``) or
like Valgrind's memcheck (``report.memcheck()``); leak reports are in :mod:`.leak_report`. The
layout and the terms follow the real reports (heap-use-after-free, "located 0 bytes to the right
of 16-byte region", "Invalid read of size 4"); instead of return addresses they show memlab's
step numbers and the learner's Python call sites. Reports print ``==memlab==`` where the real
tools print a process id.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import MemlabError, describe_block
from .records import LIVE, BlockRecord
from .sites import Site, at

PREFIX = "==memlab=="
TOOL = "DebugAllocator"


@dataclass(frozen=True, slots=True)
class BlockInfo:
    """A block as it was when a report was made (records keep changing afterwards)."""

    payload: int
    size: int
    live: bool
    alloc_step: int
    alloc_site: Site | None
    free_step: int | None
    free_site: Site | None
    located: str = ""
    relation: str = ""

    @classmethod
    def of(cls, record: BlockRecord, address: int | None = None) -> BlockInfo:
        here = record.payload if address is None else address
        return cls(
            record.payload,
            record.size,
            record.state == LIVE,
            record.alloc_step,
            record.alloc_site,
            record.free_step,
            record.free_site,
            record.locate(here),
            record.relation(here),
        )

    def describe(self) -> str:
        state, since = ("allocated", self.alloc_step) if self.live else ("freed", self.free_step)
        return describe_block(self.payload, self.size, state, since)


def _frame(step: int | None, site: Site | None) -> str:
    return f"    #0 {at(step, site)}"


def mc_frame(step: int | None, site: Site | None) -> str:
    return f"   at {at(step, site).replace(' in ', ': ', 1)}"


@dataclass(frozen=True, slots=True)
class BugReport:
    """One bug: its kind (ASan's name), where it happened, and the block it concerns."""

    kind: str
    error_type: type
    step: int | None
    site: Site | None
    address: int | None
    access: str = ""  # READ, WRITE, free, realloc, resize
    size: int = 0
    block: BlockInfo | None = None
    note: str = ""

    @property
    def is_access(self) -> bool:
        return self.access in ("READ", "WRITE")

    def headline(self) -> str:
        """One line, used as the error message."""
        if self.is_access:
            what = f"{self.access} of size {self.size} at {self.address:#x}"
        else:
            what = f"{self.access} of {self.address:#x}" if isinstance(self.address, int) else self.access
        where = f"; {self.block.located}" if self.block else ""
        note = f"; {self.note}" if self.note else ""
        return f"{self.kind}: {what}{where}{note}"

    def error(self) -> MemlabError:
        """The typed error for this report, with the report attached as ``.report``."""
        e = self.error_type(
            self.headline(),
            address=self.address if isinstance(self.address, int) else None,
            block=self.block.describe() if self.block else None,
            step=self.step,
        )
        e.report = self
        return e

    # -- AddressSanitizer style ----------------------------------------------------------------
    def asan(self) -> str:
        address = f"{self.address:#x}" if isinstance(self.address, int) else repr(self.address)
        title = {
            "double-free": f"attempting double-free on {address}",
            "bad-free": f"attempting {self.access} on address which was not malloc()-ed: {address}",
            "SEGV": f"SEGV on unknown address {address}",
        }.get(self.kind, f"{self.kind} on address {address}")
        level = "WARNING" if self.kind == "use-of-uninitialized-value" else "ERROR"
        lines = [f"{PREFIX} {level}: {TOOL}: {title} at step {self.step}"]
        if self.is_access:
            lines.append(f"{self.access} of size {self.size} at {address}")
        lines.append(_frame(self.step, self.site))
        if self.kind == "SEGV":
            lines.append(f"The signal is caused by a {self.access or 'free'} memory access.")
            if isinstance(self.address, int) and 0 <= self.address < 4096:
                lines.append("Hint: address points to the zero page.")
        if self.note:
            lines.append(f"Note: {self.note}")
        b = self.block
        if b is not None:
            lines.append(b.located)
            if self.kind == "use-of-uninitialized-value":
                lines.append("Uninitialized value was created by a heap allocation")
                lines.append(_frame(b.alloc_step, b.alloc_site))
            else:
                if not b.live:
                    lines += [f"freed by step {b.free_step} here:", _frame(b.free_step, b.free_site)]
                lines.append(("previously allocated" if not b.live else "allocated") + f" by step {b.alloc_step} here:")
                lines.append(_frame(b.alloc_step, b.alloc_site))
        where = f" in {self.site}" if self.site else ""
        lines.append(f"SUMMARY: {TOOL}: {self.kind}{where}")
        return "\n".join(lines)

    # -- memcheck style ------------------------------------------------------------------------
    def memcheck(self) -> str:
        if self.kind == "use-of-uninitialized-value":
            title = f"Use of uninitialised value of size {self.size}"
        elif self.kind == "heap-buffer-overflow" and not self.is_access:
            title = f"Heap block overrun found at {self.access}(): a redzone was written"
        elif self.is_access:
            title = f"Invalid {self.access.lower()} of size {self.size}"
        else:
            title = "Invalid free() / delete / delete[] / realloc()"
        lines = [title, mc_frame(self.step, self.site)]
        b = self.block
        if b is not None and self.kind == "use-of-uninitialized-value":
            lines += [" Uninitialised value was created by a heap allocation", mc_frame(b.alloc_step, b.alloc_site)]
        elif b is not None:
            lines.append(f" {b.relation}")
            if not b.live:
                lines += [mc_frame(b.free_step, b.free_site), " Block was alloc'd at"]
            lines.append(mc_frame(b.alloc_step, b.alloc_site))
        elif isinstance(self.address, int):
            lines.append(f" Address {self.address:#x} is not stack'd, malloc'd or (recently) free'd")
        if self.kind == "SEGV":
            lines.append("Process terminating with default action of signal 11 (SIGSEGV)")
        return "\n".join(f"{PREFIX} {line}" for line in lines)

    def __str__(self) -> str:
        return self.asan()
