"""Memory: what a full 64 MiB simulated heap costs the real process (resident set size).

Simulated memory is one anonymous mmap, so a 64 MiB heap should cost about 64 MiB once every
page is touched, plus the Python bookkeeping of its blocks (the base class's table of live
blocks). Each case runs in a fresh Python process: import memlab, read the RSS, build a
segregated free-list heap over 64 MiB, allocate blocks of one size until the heap is full,
write every byte of every block, read the RSS again (the child's own list of addresses
costs about 40 bytes a block of that). Printed: the difference, and its ratio to
the 64 MiB of simulated memory. The cost per block shows in the case with small blocks.

Run: ``python benchmarks/bench_memory.py`` (or ``python benchmarks/run.py memory``); Linux only
(it reads /proc/self/status).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from common import table

MIB = 1 << 20
LIMIT = 64 * MIB

CHILD = """
import json, sys
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
import memlab
from memlab.errors import OutOfMemory
before = rss()
block = int(sys.argv[1])
heap = memlab.allocator("freelist", list="segregated", limit=int(sys.argv[2]), chunk=1 << 20)
blocks = []
try:
    while True:
        blocks.append(heap.alloc(block))
except OutOfMemory:
    pass
data = bytes([0x5A]) * block
for address in blocks:
    heap.memory.write(address, data)
print(json.dumps({"before": before, "after": rss(), "blocks": len(blocks), "live": heap.stats().live_bytes}))
"""


def measure(block: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(block), str(LIMIT)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def main() -> None:
    if not Path("/proc/self/status").exists():
        print("skipped: needs Linux's /proc/self/status to read the resident set size")
        return
    rows = []
    for block in (4000, 256):
        m = measure(block)
        grown = m["after"] - m["before"]
        per_block = (grown - LIMIT) / m["blocks"]
        rows.append((f"{block}-byte blocks", f"{m['blocks']:,}", f"{m['live'] / MIB:.1f}", f"{grown / MIB:.1f}",
                     f"{grown / LIMIT:.2f}", f"{per_block:.0f}"))  # fmt: skip
    header = ["heap filled with", "blocks", "live MiB", "RSS growth MiB", "x 64 MiB", "bytes/block beyond"]
    print(f"A {LIMIT // MIB} MiB simulated heap, filled and written\n")
    print(table(rows, header))


if __name__ == "__main__":
    main()
