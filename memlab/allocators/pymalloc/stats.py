"""``sys._debugmallocstats()``: CPython's report on its small-object allocator, as data.

CPython prints, for each size class that has pools, the pools it holds, the blocks in use and the
blocks still free in those pools; then how many arenas it mapped, freed and holds, and where the
bytes of its arenas go (blocks in use, free blocks, unused pools, pool headers, quantization,
arena alignment). :class:`MallocStats` holds exactly these numbers. memlab's pymalloc makes one
with :meth:`~memlab.allocators.pymalloc.PyMalloc.mallocstats` and prints it the way CPython does
(:meth:`MallocStats.text`); :meth:`MallocStats.parse` reads the real report back (CPython writes
it to stderr), so the two can be compared number by number (:meth:`MallocStats.differences`).

The report's later sections (the radix tree's nodes, the free lists of dicts, floats, lists and
tuples) describe CPython's other caches, not obmalloc's pools: they are not kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from ...errors import BadRequest


@dataclass(frozen=True, slots=True)
class ClassStats:
    """One line of the table: a size class, its pools, its blocks in use and its free blocks."""

    index: int
    size: int
    pools: int
    blocks: int
    avail: int


COUNTERS = (
    ("arenas_total", "# arenas allocated total"),
    ("arenas_reclaimed", "# arenas reclaimed"),
    ("arenas_highwater", "# arenas highwater mark"),
    ("arenas_current", "# arenas allocated current"),
)
BYTES = (
    ("allocated_bytes", "# bytes in allocated blocks"),
    ("available_bytes", "# bytes in available blocks"),
    ("pool_header_bytes", "# bytes lost to pool headers"),
    ("quantization_bytes", "# bytes lost to quantization"),
    ("alignment_bytes", "# bytes lost to arena alignment"),
)


@dataclass(frozen=True)
class MallocStats:
    """The numbers of a ``sys._debugmallocstats()`` report (its pymalloc part)."""

    classes: tuple[ClassStats, ...]
    arenas_total: int
    arenas_reclaimed: int
    arenas_highwater: int
    arenas_current: int
    unused_pools: int
    allocated_bytes: int
    available_bytes: int
    pool_header_bytes: int
    quantization_bytes: int
    alignment_bytes: int
    arena_size: int = 1 << 20
    pool_size: int = 1 << 14
    threshold: int = 512
    numclasses: int = 32

    def by_class(self) -> dict[int, ClassStats]:
        """The table's lines by size class index."""
        return {c.index: c for c in self.classes}

    @property
    def pools(self) -> int:
        """Pools in use (partly used or full), all classes together."""
        return sum(c.pools for c in self.classes)

    @property
    def blocks(self) -> int:
        """Blocks in use, all classes together."""
        return sum(c.blocks for c in self.classes)

    @property
    def total(self) -> int:
        """Every byte of the arenas held: what the report's two ``Total`` lines add up."""
        return (
            self.allocated_bytes
            + self.available_bytes
            + self.unused_pools * self.pool_size
            + self.pool_header_bytes
            + self.quantization_bytes
            + self.alignment_bytes
        )

    # -- printing, as CPython does ----------------------------------------------------------------
    def text(self) -> str:
        """The report in CPython's layout (``Objects/obmalloc.c``, ``_PyObject_DebugMallocStats``)."""
        lines = [f"Small block threshold = {self.threshold}, in {self.numclasses} size classes.", ""]
        lines.append("class   size   num pools   blocks in use  avail blocks")
        lines.append("-----   ----   ---------   -------------  ------------")
        lines += [f"{c.index:5} {c.size:6} {c.pools:11} {c.blocks:15} {c.avail:13}" for c in self.classes]
        lines.append("")
        lines += [_printone(label, getattr(self, name)) for name, label in COUNTERS]
        arenas = f"{self.arenas_current} arenas * {self.arena_size} bytes/arena"
        lines += [_printone(arenas, self.arenas_current * self.arena_size), ""]
        lines += [_printone(label, getattr(self, name)) for name, label in BYTES[:2]]
        unused = f"{self.unused_pools} unused pools * {self.pool_size} bytes"
        lines.append(_printone(unused, self.unused_pools * self.pool_size))
        lines += [_printone(label, getattr(self, name)) for name, label in BYTES[2:]]
        lines.append(_printone("Total", self.total))
        return "\n".join(lines)

    # -- reading CPython's report -----------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> MallocStats:
        """Read the pymalloc part of a ``sys._debugmallocstats()`` report."""
        head = re.search(r"Small block threshold = (\d+), in (\d+) size classes", text)
        if head is None:
            raise BadRequest(
                "no pymalloc report found: sys._debugmallocstats() prints one only when pymalloc is "
                "Python's allocator (not under PYTHONMALLOC=malloc or a debug build's hooks)"
            )
        rows = re.findall(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", text, flags=re.M)
        classes = tuple(ClassStats(*map(int, row)) for row in rows)
        values = {}
        for name, label in COUNTERS + BYTES:
            values[name] = _value(text, re.escape(label))
        unused = re.search(r"^(\d+) unused pools \* (\d+) bytes\s*=", text, flags=re.M)
        arenas = re.search(r"^(\d+) arenas \* (\d+) bytes/arena\s*=", text, flags=re.M)
        if unused is None or arenas is None:
            raise BadRequest("the pymalloc report has no 'unused pools' or 'bytes/arena' line")
        return cls(
            classes,
            unused_pools=int(unused.group(1)),
            pool_size=int(unused.group(2)),
            arena_size=int(arenas.group(2)),
            threshold=int(head.group(1)),
            numclasses=int(head.group(2)),
            **values,
        )

    # -- comparing ----------------------------------------------------------------------------------
    def differences(self, other: MallocStats) -> list[str]:
        """Every number that differs from ``other``'s, in words (empty: the reports agree exactly)."""
        out = []
        mine, theirs = self.by_class(), other.by_class()
        for index in sorted(set(mine) | set(theirs)):
            a = mine.get(index) or ClassStats(index, (index + 1) * 16, 0, 0, 0)
            b = theirs.get(index) or ClassStats(index, a.size, 0, 0, 0)
            for what in ("pools", "blocks", "avail"):
                if getattr(a, what) != getattr(b, what):
                    out.append(f"class {index} ({a.size} bytes): {what} {getattr(a, what)} != {getattr(b, what)}")
        for f in fields(self):
            if f.name != "classes" and getattr(self, f.name) != getattr(other, f.name):
                out.append(f"{f.name}: {getattr(self, f.name)} != {getattr(other, f.name)}")
        return out


def _printone(label: str, value: int) -> str:
    """CPython's ``printone``: the label padded to 35 columns, '=', the value with commas in 21."""
    return f"{label:<35}={value:>21,}"


def _value(text: str, label: str) -> int:
    found = re.search(rf"^{label}\s*=\s*([\d,]+)\s*$", text, flags=re.M)
    if found is None:
        raise BadRequest(f"the pymalloc report has no line {label.replace(chr(92), '')!r}")
    return int(found.group(1).replace(",", ""))
