"""Bug and leak reports in the words of the real tools.

A :class:`BugReport` prints like AddressSanitizer (``str(report)`` or ``report.asan()``) or
like Valgrind's memcheck (``report.memcheck()``); a :class:`LeakReport` like LeakSanitizer
(``lsan()``) or memcheck's leak summary (``memcheck()``). The layout and the terms follow the
real reports (heap-use-after-free, "located 0 bytes to the right of 16-byte region",
"Invalid read of size 4", "definitely lost"); instead of return addresses they show memlab's
step numbers and the learner's Python call sites. Reports print ``==memlab==`` where the real
tools print a process id.
"""

from __future__ import annotations

from collections import defaultdict
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


def _mc_frame(step: int | None, site: Site | None) -> str:
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
        lines = [title, _mc_frame(self.step, self.site)]
        b = self.block
        if b is not None and self.kind == "use-of-uninitialized-value":
            lines += [" Uninitialised value was created by a heap allocation", _mc_frame(b.alloc_step, b.alloc_site)]
        elif b is not None:
            lines.append(f" {b.relation}")
            if not b.live:
                lines += [_mc_frame(b.free_step, b.free_site), " Block was alloc'd at"]
            lines.append(_mc_frame(b.alloc_step, b.alloc_site))
        elif isinstance(self.address, int):
            lines.append(f" Address {self.address:#x} is not stack'd, malloc'd or (recently) free'd")
        if self.kind == "SEGV":
            lines.append("Process terminating with default action of signal 11 (SIGSEGV)")
        return "\n".join(f"{PREFIX} {line}" for line in lines)

    def __str__(self) -> str:
        return self.asan()


# -- leaks -------------------------------------------------------------------------------------
DIRECT, INDIRECT, POSSIBLY, REACHABLE = "direct", "indirect", "possibly", "reachable"


@dataclass(frozen=True, slots=True)
class Leak:
    """A block still allocated at the end, and how it can (not) be reached."""

    kind: str  # direct, indirect, possibly, reachable
    block: BlockInfo


def _group(leaks: list[Leak]) -> list[tuple[str, Site | None, list[BlockInfo]]]:
    groups: dict[tuple, list[BlockInfo]] = defaultdict(list)
    for leak in leaks:
        site = leak.block.alloc_site
        key = (leak.kind, site if site is not None else leak.block.alloc_step)
        groups[key].append(leak.block)
    rows = [(kind, blocks[0].alloc_site, blocks) for (kind, _), blocks in groups.items()]
    order = {DIRECT: 0, INDIRECT: 1, POSSIBLY: 2, REACHABLE: 3}
    rows.sort(key=lambda r: (order[r[0]], -sum(b.size for b in r[2]), r[2][0].alloc_step))
    return rows


@dataclass(frozen=True)
class LeakReport:
    """Every block still allocated, sorted into LeakSanitizer's and memcheck's categories."""

    entries: tuple[Leak, ...] = ()
    allocs: int = 0
    frees: int = 0
    bytes_allocated: int = 0
    step: int | None = None

    def of(self, kind: str) -> list[BlockInfo]:
        return [e.block for e in self.entries if e.kind == kind]

    @property
    def leaks(self) -> list[Leak]:
        """The blocks the program can no longer reach: direct and indirect leaks."""
        return [e for e in self.entries if e.kind in (DIRECT, INDIRECT)]

    def bytes(self, kind: str) -> int:
        return sum(b.size for b in self.of(kind))

    @property
    def leaked_bytes(self) -> int:
        return self.bytes(DIRECT) + self.bytes(INDIRECT)

    def __bool__(self) -> bool:
        return bool(self.leaks)

    def headline(self) -> str:
        n = len(self.leaks)
        return f"memory-leak: {self.leaked_bytes} byte(s) leaked in {n} allocation(s)"

    def error(self) -> MemlabError:
        from .errors import MemoryLeak

        first = self.leaks[0].block if self.leaks else None
        e = MemoryLeak(
            self.headline(),
            address=first.payload if first else None,
            block=first.describe() if first else None,
            step=self.step,
        )
        e.report = self
        return e

    def lsan(self) -> str:
        if not self:
            return f"{PREFIX} LeakCheck: no leaks detected"
        lines = [f"{PREFIX} ERROR: LeakCheck: detected memory leaks", ""]
        for kind, site, blocks in _group(self.leaks):
            total = sum(b.size for b in blocks)
            lines.append(f"{kind.capitalize()} leak of {total} byte(s) in {len(blocks)} object(s) allocated from:")
            steps = ", ".join(str(b.alloc_step) for b in blocks)
            lines.append(f"    #0 step{'s' if len(blocks) > 1 else ''} {steps}" + (f" in {site}" if site else ""))
            lines.append("")
        lines.append(f"SUMMARY: LeakCheck: {self.leaked_bytes} byte(s) leaked in {len(self.leaks)} allocation(s).")
        return "\n".join(lines)

    def memcheck(self) -> str:
        live = self.entries
        lines = [
            "HEAP SUMMARY:",
            f"    in use at exit: {sum(e.block.size for e in live)} bytes in {len(live)} blocks",
            f"  total heap usage: {self.allocs} allocs, {self.frees} frees, {self.bytes_allocated} bytes allocated",
            "",
        ]
        words = {DIRECT: "definitely lost", INDIRECT: "indirectly lost", POSSIBLY: "possibly lost"}
        rows = [r for r in _group(list(live)) if r[0] in words]
        for i, (kind, site, blocks) in enumerate(rows, 1):
            total = sum(b.size for b in blocks)
            lines.append(f"{total} bytes in {len(blocks)} blocks are {words[kind]} in loss record {i} of {len(rows)}")
            lines.append(_mc_frame(blocks[0].alloc_step, site))
            lines.append("")
        lines.append("LEAK SUMMARY:")
        for kind, word in (*words.items(), (REACHABLE, "still reachable")):
            blocks = self.of(kind)
            lines.append(f"   {word:>15}: {sum(b.size for b in blocks)} bytes in {len(blocks)} blocks")
        return "\n".join(f"{PREFIX} {line}" if line else PREFIX for line in lines)

    def __str__(self) -> str:
        return self.lsan()
