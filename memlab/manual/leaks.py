"""Leak checking by a conservative scan, as LeakSanitizer and memcheck do it.

At the end of a program, a block is *reachable* if a chain of pointers leads to it from a root
(the real tools scan globals, stacks and registers; here the program names its roots). Every
aligned 8-byte word inside a reachable block that holds the address of a block is taken to be a
pointer (conservative: an integer that happens to look like an address counts too). Then:

* reached through pointers to block starts: *still reachable* (not a leak);
* reached only through interior pointers: memcheck's *possibly lost*;
* not reached, and no other lost block points to it: a *direct* leak ("definitely lost");
* not reached, but pointed to by a lost block: an *indirect* leak ("indirectly lost"). A cycle
  of lost blocks has no entry point; as memcheck does with such a clique, its oldest block is
  called the direct leak and the rest indirect.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from ..memory import WORD, Memory, align_up
from .leak_report import DIRECT, INDIRECT, POSSIBLY, REACHABLE
from .records import BlockRecord


class _Pointers:
    """Find which block (if any) a word points into."""

    def __init__(self, records: list[BlockRecord]) -> None:
        self.records = sorted(records, key=lambda r: r.payload)
        self.starts = [r.payload for r in self.records]

    def target(self, value: int) -> tuple[BlockRecord, bool] | None:
        """(block, is_start) for a value pointing into a block's payload."""
        i = bisect.bisect_right(self.starts, value) - 1
        if i >= 0:
            record = self.records[i]
            if value < record.end:
                return record, value == record.payload
        return None

    def edges(self, record: BlockRecord, memory: Memory) -> list[tuple[BlockRecord, bool]]:
        first = align_up(record.payload, WORD)
        data = memory.read(record.payload, record.size)
        found = []
        for offset in range(first - record.payload, record.size - WORD + 1, WORD):
            hit = self.target(int.from_bytes(data[offset : offset + WORD], "little"))
            if hit is not None and hit[0] is not record:
                found.append(hit)
        return found


def classify(records: Iterable[BlockRecord], memory: Memory, roots: Iterable[int] = ()) -> dict[int, str]:
    """Map each live block's payload address to direct, indirect, possibly or reachable."""
    pointers = _Pointers(list(records))
    edges = {r.payload: pointers.edges(r, memory) for r in pointers.records}
    hits = [h for h in (pointers.target(int(v)) for v in roots) if h is not None]
    kinds: dict[int, str] = {}

    def flood(start: list[tuple[BlockRecord, bool]], kind: str, starts_only: bool) -> None:
        todo = [r for r, is_start in start if is_start or not starts_only]
        while todo:
            record = todo.pop()
            if record.payload in kinds:
                continue
            kinds[record.payload] = kind
            todo += [r for r, is_start in edges[record.payload] if is_start or not starts_only]

    flood(hits, REACHABLE, True)
    reached = [r for r in pointers.records if r.payload in kinds]
    flood(hits + [h for r in reached for h in edges[r.payload]], POSSIBLY, False)
    lost = [r for r in pointers.records if r.payload not in kinds]
    pointed = {t.payload for r in lost for t, _ in edges[r.payload]}
    leaders = [r for r in lost if r.payload not in pointed]
    leaders += sorted((r for r in lost if r.payload in pointed), key=lambda r: r.alloc_step)
    for leader in leaders:
        if leader.payload in kinds:
            continue
        kinds[leader.payload] = DIRECT
        flood(edges[leader.payload], INDIRECT, False)
    return kinds
