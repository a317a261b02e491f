"""Allocation traces and CS:APP malloclab's ``.rep`` file format.

A trace is what a program asked of ``malloc``: a list of operations on block *ids*,

* ``a id size`` — ``p[id] = malloc(size)``
* ``r id size`` — ``p[id] = realloc(p[id], size)``
* ``f id`` — ``free(p[id])``

In a ``.rep`` file these lines follow a 4-line header, as in the malloclab driver (Bryant and
O'Hallaron, CS:APP): suggested heap size (unused), number of ids, number of operations, weight
(unused). Some copies of the traces strip the header to 2 lines (ids, operations), carry Windows
line ends or start with a UTF-8 byte order mark; all are accepted. Instructors bring their own
malloclab traces: they are not freely redistributable, so memlab ships none of them (see
``memlab/traces/data`` for the traces it does ship).

A trace of millions of operations is read as a stream, line by line, and kept compactly: a byte
for the kind and machine integers for the id, the size and the line, about 30 bytes an
operation where a list of tuples takes about 150 (``benchmarks/bench_trace_memory.py`` measures
it). Ids are only names: a replay gives each block a *slot*, the lowest one free when it is
allocated, so its tables grow with the blocks live at once, never with the largest id.

Simplifications: memlab blocks hold at least one byte, so a size of 0 is rejected (the valgrind
converter turns ``malloc(0)`` into a 1-byte request), and an id may be reused once it is freed.
Every problem is reported as a :class:`TraceError` naming the file (or trace) and the line,
before anything is replayed.
"""

from __future__ import annotations

import os
import re
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import BadRequest

ALLOC, REALLOC, FREE = "a", "r", "f"

Op = tuple[str, int, int]
"""One operation: (kind, id, size); a free has size 0."""

LONGEST_LINE = 4096
"""Bytes a line of a ``.rep`` file may hold; a longer one means the file is no trace (``/dev/zero``)."""

_CODES = {ALLOC: ord(ALLOC), REALLOC: ord(REALLOC), FREE: ord(FREE)}
_KINDS = {code: kind for kind, code in _CODES.items()}
_LARGEST = (1 << 63) - 1  # ids and sizes are kept as signed 64-bit integers


class TraceError(BadRequest):
    """A trace that cannot be replayed: the message names the file (or trace) and the line."""


class Trace:
    """A validated list of operations, with malloclab's header fields and where it came from.

    ``ops`` is a list of ``(kind, id, size)`` tuples, made afresh on each access (the trace keeps its
    operations compactly); :meth:`iter_ops` walks them without making the list.
    """

    def __init__(
        self,
        ops: Iterable[Op],
        name: str = "trace",
        heap_hint: int = 0,
        weight: int = 1,
        source: str = "",
        lines: Iterable[int] | None = None,
    ) -> None:
        self.name, self.heap_hint, self.weight, self.source = name, heap_hint, weight, source
        self.kinds, self.ids, self.sizes = bytearray(), array("q"), array("q")
        self.lines = None if lines is None else array("L", lines)
        for i, op in enumerate(ops):
            if not (isinstance(op, tuple) and len(op) == 3):
                raise TraceError(f"{self.where(i)}: {op!r} is not an operation (kind, id, size)")
            kind, ident, size = op
            if kind not in _CODES:
                raise TraceError(f"{self.where(i)}: unknown operation {kind!r} (expected a, r or f)")
            if type(ident) is not int or not 0 <= ident <= _LARGEST:
                raise TraceError(f"{self.where(i)}: block id {ident!r} is not a non-negative integer")
            if type(size) is not int or not 0 <= size <= _LARGEST:
                raise TraceError(f"{self.where(i)}: size {size!r} is negative or not an integer")
            self.kinds.append(_CODES[kind])
            self.ids.append(ident)
            self.sizes.append(size)
        self._validate()

    @classmethod
    def _read(cls, kinds: bytearray, ids: array, sizes: array, lines: array, **fields) -> Trace:
        """A trace of operations a parser has already stored compactly (and checked for syntax)."""
        trace = cls.__new__(cls)
        trace.name, trace.heap_hint = fields["name"], fields["heap_hint"]
        trace.weight, trace.source = fields["weight"], fields["source"]
        trace.kinds, trace.ids, trace.sizes, trace.lines = kinds, ids, sizes, lines
        trace._validate()
        return trace

    def __len__(self) -> int:
        return len(self.kinds)

    def __repr__(self) -> str:
        return f"<Trace {self.name}: {len(self)} ops, {self.num_ids} ids, peak {self.peak_live_bytes} bytes live>"

    @property
    def ops(self) -> list[Op]:
        """The operations as ``(kind, id, size)`` tuples (a new list each time)."""
        return list(self.iter_ops())

    def op(self, index: int) -> Op:
        """Operation ``index`` as ``(kind, id, size)``."""
        return _KINDS[self.kinds[index]], self.ids[index], self.sizes[index]

    def iter_ops(self) -> Iterator[Op]:
        """The operations one by one, as ``(kind, id, size)``."""
        kinds = _KINDS
        return ((kinds[k], i, s) for k, i, s in zip(self.kinds, self.ids, self.sizes))

    def requests(self) -> Iterator[int]:
        """The size of every alloc and realloc, in order."""
        free = _CODES[FREE]
        return (s for k, s in zip(self.kinds, self.sizes) if k != free)

    def where(self, index: int) -> str:
        """``"file.rep, line 12"`` for operation ``index`` (or ``"trace x, op 12"``)."""
        if self.lines is not None and index < len(self.lines):
            return f"{self.source or self.name}, line {self.lines[index]}"
        return f"trace {self.name}, op {index + 1}"

    def counts(self) -> dict[str, int]:
        """How many allocs, reallocs and frees the trace holds."""
        kinds = self.kinds
        return {"allocs": kinds.count(b"a"), "reallocs": kinds.count(b"r"), "frees": kinds.count(b"f")}

    def total_bytes(self) -> int:
        """Bytes requested by every alloc and realloc together (what a bump allocator may need)."""
        return sum(self.requests())

    def balanced(self) -> Trace:
        """The trace with a free appended for every block still live (malloclab's ``-bal``)."""
        live: dict[int, None] = {}
        for kind, ident, _ in self.iter_ops():
            if kind == FREE:
                live.pop(ident, None)
            else:
                live[ident] = None
        ops = [*self.iter_ops(), *((FREE, ident, 0) for ident in live)]
        return Trace(ops, f"{self.name}-bal", self.heap_hint, self.weight)

    def _validate(self) -> None:
        """Check that every free and realloc names a live block; measure the trace; give each block a slot.

        Sets ``num_ids`` (the largest id + 1, as malloclab's header counts them), ``peak_live_bytes``,
        ``live_at_end``, and ``slots``: for each operation, the slot its block has in a replay's
        tables (the lowest slot free when the block was allocated), ``num_slots`` of them in all.
        """
        a, f = _CODES[ALLOC], _CODES[FREE]
        live: dict[int, tuple[int, int]] = {}  # id -> (size, slot): the live blocks only
        spare: list[int] = []  # slots given back, reused lowest first
        slots = array("l", bytes(8 * len(self.kinds)))
        total = peak = top = used = 0
        for i, (kind, ident, size) in enumerate(zip(self.kinds, self.ids, self.sizes)):
            if ident > top:
                top = ident
            block = live.get(ident)
            if kind == f:
                if block is None:
                    raise TraceError(f"{self.where(i)}: free of id {ident}, which is not allocated")
                del live[ident]
                total -= block[0]
                slots[i] = block[1]
                _give_back(spare, block[1])
                continue
            if size == 0:
                raise TraceError(f"{self.where(i)}: size 0 (a memlab block holds at least 1 byte)")
            if kind == a:
                if block is not None:
                    raise TraceError(f"{self.where(i)}: id {ident} is allocated again before it is freed")
                slot = _take(spare) if spare else used
                used = max(used, slot + 1)
                block = (0, slot)
            elif block is None:
                raise TraceError(f"{self.where(i)}: realloc of id {ident}, which is not allocated")
            live[ident] = (size, block[1])
            slots[i] = block[1]
            total += size - block[0]
            if total > peak:
                peak = total
        self.slots, self.num_slots = slots, used
        self.num_ids = top + 1 if len(self.kinds) else 0
        self.peak_live_bytes, self.live_at_end = peak, total


def _take(spare: list[int]) -> int:
    """The lowest spare slot (``spare`` is a binary heap)."""
    import heapq

    return heapq.heappop(spare)


def _give_back(spare: list[int], slot: int) -> None:
    import heapq

    heapq.heappush(spare, slot)


# -- the .rep file format ---------------------------------------------------------------------
_VALGRIND = re.compile(rb"^(==|--)\d+(==|--)")
CONVERT = "memlab trace convert"
_BOM = b"\xef\xbb\xbf"


def _number(token: bytes, where: str, what: str, largest: int | None = _LARGEST) -> int:
    if not token.isdigit():
        if token.startswith(b"-") and token[1:].isdigit():
            raise TraceError(f"{where}: {what} {token.decode()} is negative")
        raise TraceError(f"{where}: {what} {_text(token)!r} is not a number")
    value = int(token)
    if largest is not None and value > largest:
        raise TraceError(f"{where}: {what} {value} is too large (at most 2**63 - 1)")
    return value


def _text(token: bytes) -> str:
    return token.decode("ascii", "replace")


def _rows(lines: Iterable[bytes], label: str) -> Iterator[tuple[int, list[bytes]]]:
    """(line number, tokens) of every line that is not blank; a BOM before the first line is dropped."""
    for n, line in enumerate(lines, 1):
        if n == 1 and line.startswith(_BOM):
            line = line[len(_BOM) :]
        if len(line) > LONGEST_LINE:
            raise TraceError(f"{label}, line {n}: longer than {LONGEST_LINE} bytes: this is not a .rep trace")
        if b"\0" in line:
            raise TraceError(f"{label}, line {n}: holds NUL bytes: this is not a .rep trace")
        tokens = line.split()
        if tokens:
            yield n, tokens


def _file_lines(file) -> Iterator[bytes]:
    """The lines of a binary file, each read with a limit, so that a file without line ends ends the read."""
    while True:
        line = file.readline(LONGEST_LINE + 1)
        if not line:
            return
        yield line


def _parse(lines: Iterable[bytes], *, name: str, source: str) -> Trace:
    """Parse ``.rep`` lines (bytes) as they come; see :func:`parse_rep`."""
    label = source or name
    rows = _rows(lines, label)
    header: list[tuple[int, list[bytes]]] = []
    first = None  # the first row after the header
    for row in rows:
        if len(header) < 5 and len(row[1]) == 1 and row[1][0].lstrip(b"-").isdigit():
            header.append(row)
            continue
        first = row
        break
    if len(header) not in (2, 4):
        if len(header) == 5:
            n, tokens = header[4]
            raise TraceError(f"{label}, line {n}: expected an operation, found {_text(tokens[0])!r}")
        if not header and first is not None and _VALGRIND.match(b" ".join(first[1])):
            raise TraceError(f"{label}: this is a valgrind log, not a .rep trace: convert it with `{CONVERT}`")
        where = f"{label}, line {first[0]}" if first is not None else f"{label}, end of file"
        raise TraceError(f"{where}: truncated header: {len(header)} number line(s), expected 4 (or 2)")
    values = [_number(tokens[0], f"{label}, line {n}", "header value", None) for n, tokens in header]
    heap_hint, num_ids, num_ops, weight = values if len(header) == 4 else (0, values[0], values[1], 1)
    ids_line, ops_line = header[-3][0] if len(header) == 4 else header[0][0], header[-2][0]
    kinds, ids, sizes, numbers = bytearray(), array("q"), array("q"), array("L")
    body = rows if first is None else _chain(first, rows)
    count = 0
    try:
        for n, tokens in body:
            if count == num_ops:
                raise TraceError(
                    f"{label}, line {n}: one operation too many: "
                    f"the header (line {ops_line}) declares {num_ops} operations"
                )
            count += 1
            # the common, well-formed line is read here; anything else goes to _operation, which names the problem
            kind = tokens[0]
            if len(tokens) == 3 and (kind == b"a" or kind == b"r") and tokens[1].isdigit() and tokens[2].isdigit():
                ident, size = int(tokens[1]), int(tokens[2])
                if ident < num_ids and ident <= _LARGEST and size <= _LARGEST:
                    kinds.append(kind[0])
                    ids.append(ident)
                    sizes.append(size)
                    numbers.append(n)
                    continue
            elif len(tokens) == 2 and kind == b"f" and tokens[1].isdigit():
                ident = int(tokens[1])
                if ident < num_ids and ident <= _LARGEST:
                    kinds.append(kind[0])
                    ids.append(ident)
                    sizes.append(0)
                    numbers.append(n)
                    continue
            code, ident, size = _operation(tokens, f"{label}, line {n}", num_ids, ids_line)
            kinds.append(code)
            ids.append(ident)
            sizes.append(size)
            numbers.append(n)
    except MemoryError:
        raise TraceError(
            f"{label}: not enough memory to hold the trace (stopped after {len(kinds):,} operations)"
        ) from None
    if len(kinds) < num_ops:
        raise TraceError(
            f"{label}: truncated: the header (line {ops_line}) declares {num_ops} operations, the file has {len(kinds)}"
        )
    try:
        return Trace._read(kinds, ids, sizes, numbers, name=name, heap_hint=heap_hint, weight=weight, source=source)
    except MemoryError:
        raise TraceError(f"{label}: not enough memory to check the trace's {len(kinds):,} operations") from None


def _operation(tokens: list[bytes], where: str, num_ids: int, ids_line: int) -> tuple[int, int, int]:
    """An operation line read slowly and thoroughly: (kind, id, size), or the TraceError it deserves."""
    kind = tokens[0]
    code = kind[0] if len(kind) == 1 else 0
    want = 3 if code in (_CODES[ALLOC], _CODES[REALLOC]) else 2 if code == _CODES[FREE] else 0
    if not want:
        raise TraceError(f"{where}: unknown operation {_text(kind)!r} (expected a, r or f)")
    if len(tokens) != want:
        shown = _text(b" ".join(tokens[:want]))
        if len(tokens) < want:
            raise TraceError(f"{where}: truncated line {shown!r}: {_text(kind)} needs {want - 1} numbers")
        raise TraceError(f"{where}: unexpected {_text(tokens[want])!r} after {shown!r}")
    ident = _number(tokens[1], where, "block id")
    if ident >= num_ids:
        raise TraceError(f"{where}: id {ident} is out of range: the header (line {ids_line}) declares {num_ids}")
    return code, ident, _number(tokens[2], where, "size") if want == 3 else 0


def _chain(first, rest):
    yield first
    yield from rest


def parse_rep(text: str, *, name: str = "trace", source: str = "") -> Trace:
    """Parse the text of a ``.rep`` file (4- or 2-line header; blank lines, CRLF and a BOM allowed)."""
    data = text.encode("utf-8", "replace")
    return _parse(data.splitlines(keepends=True), name=name, source=source)


def read_rep(path: str | os.PathLike) -> Trace:
    """Read a ``.rep`` file as a stream; the trace is named after the file."""
    path = Path(path)
    try:
        file = path.open("rb")
    except OSError as e:
        raise TraceError(f"{path}: cannot read: {e.strerror or e}") from None
    with file:
        try:
            return _parse(_file_lines(file), name=path.stem, source=str(path))
        except OSError as e:  # a directory, or a device that fails to read
            raise TraceError(f"{path}: cannot read: {e.strerror or e}") from None


def format_rep(trace: Trace) -> str:
    """The trace as ``.rep`` text with the 4-line header."""
    hint = trace.heap_hint or max(20000, trace.peak_live_bytes)
    lines = [str(hint), str(trace.num_ids), str(len(trace)), str(trace.weight)]
    lines += [f"{k} {i}" if k == FREE else f"{k} {i} {s}" for k, i, s in trace.iter_ops()]
    return "\n".join(lines) + "\n"


def write_rep(trace: Trace, path: str | os.PathLike) -> Path:
    """Write ``trace`` as a ``.rep`` file; return the path."""
    path = Path(path)
    try:
        path.write_text(format_rep(trace), encoding="ascii")
    except OSError as e:  # a missing folder, a directory, no permission
        raise TraceError(f"{path}: cannot write: {e.strerror or e}") from None
    return path


def from_ops(ops: Iterable[Op], name: str = "trace") -> Trace:
    """A trace from (kind, id, size) tuples, validated."""
    return Trace(ops, name)
