"""Allocation traces and CS:APP malloclab's ``.rep`` file format.

A trace is what a program asked of ``malloc``: a list of operations on block *ids*,

* ``a id size`` — ``p[id] = malloc(size)``
* ``r id size`` — ``p[id] = realloc(p[id], size)``
* ``f id`` — ``free(p[id])``

In a ``.rep`` file these lines follow a 4-line header, as in the malloclab driver (Bryant and
O'Hallaron, CS:APP): suggested heap size (unused), number of ids, number of operations, weight
(unused). Some copies of the traces strip the header to 2 lines (ids, operations) or carry
Windows line ends; both are accepted. Instructors bring their own malloclab traces: they are not
freely redistributable, so memlab ships none of them (see ``memlab/traces/data`` for the traces
it does ship).

Simplifications: memlab blocks hold at least one byte, so a size of 0 is rejected (the valgrind
converter turns ``malloc(0)`` into a 1-byte request), and an id may be reused once it is freed.
Every problem is reported as a :class:`TraceError` naming the file and the line, before anything
is replayed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadRequest

ALLOC, REALLOC, FREE = "a", "r", "f"

Op = tuple[str, int, int]
"""One operation: (kind, id, size); a free has size 0."""


class TraceError(BadRequest):
    """A trace that cannot be replayed: the message names the file (or trace) and the line."""


@dataclass(eq=False)
class Trace:
    """A validated list of operations, with malloclab's header fields and where it came from."""

    ops: list[Op]
    name: str = "trace"
    heap_hint: int = 0
    weight: int = 1
    source: str = ""
    lines: list[int] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.ops = list(self.ops)
        self.num_ids, self.peak_live_bytes, self.live_at_end = _validate(self)

    def __len__(self) -> int:
        return len(self.ops)

    def __repr__(self) -> str:
        return f"<Trace {self.name}: {len(self.ops)} ops, {self.num_ids} ids, peak {self.peak_live_bytes} bytes live>"

    def where(self, index: int) -> str:
        """``"file.rep, line 12"`` for operation ``index`` (or ``"trace x, op 12"``)."""
        if self.lines is not None and index < len(self.lines):
            return f"{self.source or self.name}, line {self.lines[index]}"
        return f"trace {self.name}, op {index + 1}"

    def counts(self) -> dict[str, int]:
        """How many allocs, reallocs and frees the trace holds."""
        out = {ALLOC: 0, REALLOC: 0, FREE: 0}
        for kind, _, _ in self.ops:
            out[kind] += 1
        return {"allocs": out[ALLOC], "reallocs": out[REALLOC], "frees": out[FREE]}

    def total_bytes(self) -> int:
        """Bytes requested by every alloc and realloc together (what a bump allocator may need)."""
        return sum(size for kind, _, size in self.ops if kind != FREE)

    def balanced(self) -> Trace:
        """The trace with a free appended for every block still live (malloclab's ``-bal``)."""
        live: dict[int, None] = {}
        for kind, ident, _ in self.ops:
            if kind == FREE:
                live.pop(ident, None)
            else:
                live[ident] = None
        ops = self.ops + [(FREE, ident, 0) for ident in live]
        return Trace(ops, f"{self.name}-bal", self.heap_hint, self.weight)


def _validate(trace: Trace) -> tuple[int, int, int]:
    """Check every operation; return (number of ids, peak live bytes, live bytes at the end)."""
    sizes: dict[int, int] = {}
    live = peak = top = 0
    for i, op in enumerate(trace.ops):
        if not (isinstance(op, tuple) and len(op) == 3):
            raise TraceError(f"{trace.where(i)}: {op!r} is not an operation (kind, id, size)")
        kind, ident, size = op
        if type(ident) is not int or ident < 0:
            raise TraceError(f"{trace.where(i)}: block id {ident!r} is not a non-negative integer")
        top = max(top, ident)
        if kind == FREE:
            if ident not in sizes:
                raise TraceError(f"{trace.where(i)}: free of id {ident}, which is not allocated")
            live -= sizes.pop(ident)
            continue
        if kind not in (ALLOC, REALLOC):
            raise TraceError(f"{trace.where(i)}: unknown operation {kind!r} (expected a, r or f)")
        if type(size) is not int or size < 0:
            raise TraceError(f"{trace.where(i)}: size {size!r} is negative or not an integer")
        if size == 0:
            raise TraceError(f"{trace.where(i)}: size 0 (a memlab block holds at least 1 byte)")
        if kind == ALLOC and ident in sizes:
            raise TraceError(f"{trace.where(i)}: id {ident} is allocated again before it is freed")
        if kind == REALLOC and ident not in sizes:
            raise TraceError(f"{trace.where(i)}: realloc of id {ident}, which is not allocated")
        live += size - sizes.get(ident, 0)
        sizes[ident] = size
        peak = max(peak, live)
    return (top + 1 if trace.ops else 0), peak, live


# -- the .rep file format ---------------------------------------------------------------------
_VALGRIND = re.compile(r"^(==|--)\d+(==|--)")


def _number(text: str, where: str, what: str) -> int:
    if text.startswith("-") and text[1:].isdigit():
        raise TraceError(f"{where}: {what} {text} is negative")
    if not text.isdigit():
        raise TraceError(f"{where}: {what} {text!r} is not a number")
    return int(text)


def parse_rep(text: str, *, name: str = "trace", source: str = "") -> Trace:
    """Parse the text of a ``.rep`` file (4- or 2-line header; blank lines and CRLF allowed)."""
    label = source or name
    rows = [(n, line.split()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    header = 0
    while header < min(len(rows), 5) and len(rows[header][1]) == 1 and rows[header][1][0].lstrip("-").isdigit():
        header += 1
    if header not in (2, 4):
        if header == 5:
            raise TraceError(f"{label}, line {rows[4][0]}: expected an operation, found {rows[4][1][0]!r}")
        where = f"{label}, line {rows[header][0]}" if header < len(rows) else f"{label}, end of file"
        if rows and _VALGRIND.match(" ".join(rows[0][1])):
            raise TraceError(
                f"{label}: this is a valgrind log, not a .rep trace: convert it with `memlab trace convert`"
            )
        raise TraceError(f"{where}: truncated header: {header} number line(s), expected 4 (or 2)")
    values = [_number(rows[i][1][0], f"{label}, line {rows[i][0]}", "header value") for i in range(header)]
    heap_hint, num_ids, num_ops, weight = values if header == 4 else (0, values[0], values[1], 1)
    ids_line, ops_line = (rows[1][0], rows[2][0]) if header == 4 else (rows[0][0], rows[1][0])
    body = rows[header:]
    if len(body) > num_ops:
        raise TraceError(
            f"{label}, line {body[num_ops][0]}: one operation too many: "
            f"the header (line {ops_line}) declares {num_ops} operations"
        )
    if len(body) < num_ops:
        raise TraceError(
            f"{label}: truncated: the header (line {ops_line}) declares {num_ops} operations, the file has {len(body)}"
        )
    ops: list[Op] = []
    for n, tokens in body:
        where = f"{label}, line {n}"
        kind = tokens[0]
        want = {ALLOC: 3, REALLOC: 3, FREE: 2}.get(kind)
        if want is None:
            raise TraceError(f"{where}: unknown operation {kind!r} (expected a, r or f)")
        if len(tokens) < want:
            raise TraceError(f"{where}: truncated line {' '.join(tokens)!r}: {kind} needs {want - 1} numbers")
        if len(tokens) > want:
            raise TraceError(f"{where}: unexpected {tokens[want]!r} after {' '.join(tokens[:want])!r}")
        ident = _number(tokens[1], where, "block id")
        if ident >= num_ids:
            raise TraceError(f"{where}: id {ident} is out of range: the header (line {ids_line}) declares {num_ids}")
        size = _number(tokens[2], where, "size") if want == 3 else 0
        ops.append((kind, ident, size))
    return Trace(ops, name, heap_hint, weight, source, [n for n, _ in body])


def read_rep(path: str | os.PathLike) -> Trace:
    """Read a ``.rep`` file; the trace is named after the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError as e:
        raise TraceError(f"{path}: cannot read: {e.strerror or e}") from None
    return parse_rep(text, name=path.stem, source=str(path))


def format_rep(trace: Trace) -> str:
    """The trace as ``.rep`` text with the 4-line header."""
    hint = trace.heap_hint or max(20000, trace.peak_live_bytes)
    lines = [str(hint), str(trace.num_ids), str(len(trace.ops)), str(trace.weight)]
    lines += [f"{k} {i}" if k == FREE else f"{k} {i} {s}" for k, i, s in trace.ops]
    return "\n".join(lines) + "\n"


def write_rep(trace: Trace, path: str | os.PathLike) -> Path:
    """Write ``trace`` as a ``.rep`` file; return the path."""
    path = Path(path)
    path.write_text(format_rep(trace), encoding="ascii")
    return path


def from_ops(ops: Iterable[Op], name: str = "trace") -> Trace:
    """A trace from (kind, id, size) tuples, validated."""
    return Trace(list(ops), name)
