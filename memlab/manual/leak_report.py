"""Leak reports in the words of LeakSanitizer and of memcheck's leak summary.

Every block still allocated at the end is sorted into the categories of :mod:`.leaks`; blocks
allocated at the same place are grouped, direct leaks first and the largest first, as both tools
do. ``lsan()`` prints "Direct leak of N byte(s) in M object(s) allocated from:" and a SUMMARY;
``memcheck()`` prints the HEAP SUMMARY, one "loss record" per group and the LEAK SUMMARY
(definitely, indirectly, possibly lost, still reachable).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..errors import MemlabError
from .reports import PREFIX, BlockInfo, mc_frame
from .sites import Site

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
            lines.append(mc_frame(blocks[0].alloc_step, site))
            lines.append("")
        lines.append("LEAK SUMMARY:")
        for kind, word in (*words.items(), (REACHABLE, "still reachable")):
            blocks = self.of(kind)
            lines.append(f"   {word:>15}: {sum(b.size for b in blocks)} bytes in {len(blocks)} blocks")
        return "\n".join(f"{PREFIX} {line}" if line else PREFIX for line in lines)

    def __str__(self) -> str:
        return self.lsan()
