"""Replay results as a text table, an HTML table or JSON (the keys of ``result.KEYS``)."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from .result import KEYS, Result

HEADER = ("allocator", "trace", "ops", "peak live", "heap", "util", "frag", "ops/s", "errors")


def _cells(r: Result) -> list[str]:
    util = "-" if r.utilization is None else f"{r.utilization:.1%}"
    frag = "-" if r.fragmentation is None else f"{r.fragmentation:.2f}"
    speed = f"{r.ops_per_second:,.0f}"
    return [r.allocator, r.trace, f"{r.ops:,}", f"{r.peak_live_bytes:,}", f"{r.heap_bytes:,}", util, frag, speed,
            str(r.errors)]  # fmt: skip


def text_table(results: Sequence[Result], *, speed: bool = True) -> str:
    """A readable, right-aligned table; ``speed=False`` leaves out the ops/s column."""
    keep = [i for i, h in enumerate(HEADER) if speed or h != "ops/s"]
    rows = [[HEADER[i] for i in keep]] + [[c[i] for i in keep] for c in map(_cells, results)]
    widths = [max(len(row[j]) for row in rows) for j in range(len(keep))]
    lines = ["  ".join(cell.ljust(w) if j < 2 else cell.rjust(w) for j, (cell, w) in enumerate(zip(row, widths)))
             for row in rows]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def html_table(results: Sequence[Result], *, speed: bool = True) -> str:
    """The same table as HTML, for a notebook's ``display(HTML(...))``."""
    keep = [i for i, h in enumerate(HEADER) if speed or h != "ops/s"]
    head = "".join(f"<th>{HEADER[i]}</th>" for i in keep)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c[i])}</td>" for i in keep) + "</tr>" for c in map(_cells, results)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def as_json(results: Sequence[Result]) -> str:
    """A JSON list of objects with exactly the keys in ``KEYS``."""
    return json.dumps([r.as_dict() for r in results], indent=2)


def messages(results: Sequence[Result]) -> list[str]:
    """One line per replay that had errors or stopped, with its first error."""
    out = []
    for r in results:
        if r.stopped:
            out.append(f"{r.allocator} on {r.trace}: stopped: {r.stopped}")
        elif r.errors:
            first = r.messages[0] if r.messages else ""
            out.append(f"{r.allocator} on {r.trace}: {r.errors} request(s) failed; first: {first}")
    return out


__all__ = ["HEADER", "KEYS", "as_json", "html_table", "messages", "text_table"]
