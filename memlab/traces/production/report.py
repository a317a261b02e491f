"""The side-by-side table: production allocators measured two ways, beside memlab's allocators.

One row per replay: utilization by the allocator's own statistic and by the resident set, and
the native speed in nanoseconds per operation, warm (the allocator alone) and cold (the first
pass, which also pays the kernel for every new page). A memlab allocator's row has its
utilization only (its speed is Python's, not comparable with C), and an allocator that could not
run has a row that says why, in one line.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from ..result import Result
from .run import ProductionResult

HEADER = ("allocator", "trace", "peak live", "heap", "util", "heap (RSS)", "util (RSS)", "warm ns/op", "cold ns/op")


def _percent(part: int, whole: int | None) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def rows(
    results: Sequence[Result], unavailable: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None
) -> list[list[str]]:
    """The table's cells, one list per row (an unavailable allocator: its name and the reason).

    ``labels`` gives an allocator a shorter name in the table (a spec to "best fit").
    """
    labels = labels or {}
    out = []
    for r in results:
        live, name = r.peak_live_bytes, labels.get(r.allocator, r.allocator)
        cells = [name, r.trace, f"{live:,}", f"{r.heap_bytes:,}", _percent(live, r.heap_bytes)]
        if isinstance(r, ProductionResult) and not r.stopped:
            rss = r.heap_bytes_rss
            speed = [f"{r.ns_per_op:.1f}", f"{r.ns_per_op_cold:.1f}"]
            cells += ["-" if rss is None else f"{rss:,}", _percent(live, rss), *speed]
        elif isinstance(r, ProductionResult):
            cells += ["-", "-", "-", f"stopped: {r.stopped}"]
        else:
            cells += ["-", "-", "-", "-"]
        out.append(cells)
    for name, why in (unavailable or {}).items():
        out.append([labels.get(name, name), f"not available: {why}"])
    return out


def text_table(
    results: Sequence[Result], unavailable: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None
) -> str:
    """The table as text, right-aligned numbers; an unavailable allocator's row is one line."""
    body = rows(results, unavailable, labels)
    full = [HEADER, *(row for row in body if len(row) == len(HEADER))]
    widths = [max(len(row[j]) for row in full) for j in range(len(HEADER))]

    def line(row) -> str:
        if len(row) != len(HEADER):
            return f"{row[0].ljust(widths[0])}  {row[1]}"
        return "  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))).rstrip()

    return "\n".join([line(HEADER), "  ".join("-" * w for w in widths), *map(line, body)])


def html_table(
    results: Sequence[Result], unavailable: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None
) -> str:
    """The same table as HTML, for a notebook's ``display(HTML(...))``."""
    head = "".join(f"<th>{h}</th>" for h in HEADER)
    lines = []
    for row in rows(results, unavailable, labels):
        if len(row) != len(HEADER):
            cells = f"<td>{html.escape(row[0])}</td><td colspan='{len(HEADER) - 1}'>{html.escape(row[1])}</td>"
        else:
            align = ["left", "left"] + ["right"] * (len(HEADER) - 2)
            cells = "".join(f"<td style='text-align:{a}'>{html.escape(c)}</td>" for a, c in zip(align, row))
        lines.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"
