"""Real traces: run a program under Valgrind and turn its malloc log into a :class:`Trace`.

``valgrind --trace-malloc=yes`` (memcheck's malloc replacement) prints one line per call::

    --4242-- malloc(40) = 0x4A5B040
    --4242-- calloc(3,8) = 0x4A5B0A0
    --4242-- realloc(0x4A5B040,100) = 0x4A5B100
    --4242-- realloc(0x0,64)malloc(64) = 0x4A5B200          realloc of NULL is a malloc
    --4242-- realloc(0x4A5B100,0)free(0x4A5B100)            realloc to 0 frees; " = 0" follows
    --4242-- _Znwm(16) = 0x4A5B300   /  _ZdlPv(0x4A5B300)   C++ new / delete (mangled names)
    --4242-- memalign(al 64, size 100) = 0x4A5B400          posix_memalign, aligned_alloc too

Each process (PID) becomes its own trace: pointers are mapped to fresh block ids, so the trace
says only *what* was asked, not *where* glibc put it. A call whose pointer is not hexadecimal or
whose size is negative is no valgrind output: it is a :class:`~memlab.traces.rep.TraceError`
naming the file and the line. ``free(NULL)`` is dropped, ``malloc(0)``
becomes a 1-byte request (memlab has no empty blocks), and a free of a block the log never saw
allocated (inherited from a parent across ``fork``) is skipped; every such adjustment is listed
in :attr:`Process.notes`. Alignment requests are kept as plain sizes: ``.rep`` has no alignment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import host
from ..errors import BadRequest, NeedsMachine
from .rep import ALLOC, FREE, REALLOC, Op, Trace, TraceError

_LINE = re.compile(r"^--(\d+)-- ?(.*)$")
_CALL = re.compile(r"^\s*([A-Za-z_]\w*)\(([^)]*)\)(.*)$")
_RESULT = re.compile(r"=\s*(0x[0-9A-Fa-f]+|\d+|\(nil\))\s*$")
_COMMAND = re.compile(r"^==(\d+)== Command: (.*)$")
_POINTER = re.compile(r"^(0x[0-9A-Fa-f]+|\(nil\)|NULL|0)$")
LONGEST_LINE = 1 << 16
"""Bytes a log line may hold; a longer one means the file is no log (``/dev/zero``)."""
_ALLOCS = {"malloc", "calloc", "memalign", "valloc", "pvalloc", "aligned_alloc", "posix_memalign"}
_ALLOCS |= {"__builtin_new", "__builtin_vec_new"}
_FREES = {"free", "cfree", "__builtin_delete", "__builtin_vec_delete"}


class ValgrindMissing(NeedsMachine):
    """valgrind is not installed (or cannot run: the browser), so a real program cannot be recorded here."""


@dataclass
class Process:
    """One process of a log: its trace and what the conversion had to adjust."""

    pid: int
    command: str = ""
    ops: list[Op] = field(default_factory=list, repr=False)
    notes: Counter[str] = field(default_factory=Counter)
    trace: Trace | None = None
    _live: dict[int, tuple[int, int]] = field(default_factory=dict, repr=False)  # address -> (id, size)
    _next: int = field(default=0, repr=False)
    _pending: tuple[str, int, int] | None = field(default=None, repr=False)

    # -- building the trace ----------------------------------------------------------------
    def alloc(self, size: int, address: int) -> None:
        if not address:
            self.notes["failed allocations (NULL) skipped"] += 1
            return
        if address in self._live:
            self.notes["blocks allocated twice at one address (a free the log missed)"] += 1
            self.free(address)
        if size == 0:
            self.notes["malloc(0) requests turned into 1 byte"] += 1
            size = 1
        self._live[address] = (self._next, size)
        self.ops.append((ALLOC, self._next, size))
        self._next += 1

    def free(self, address: int) -> None:
        if not address:
            return
        entry = self._live.pop(address, None)
        if entry is None:
            self.notes["frees of blocks allocated before tracing (e.g. across fork) skipped"] += 1
            return
        self.ops.append((FREE, entry[0], 0))

    def realloc(self, old: int, size: int, address: int) -> None:
        if not old:
            self.alloc(size, address)
        elif old not in self._live:
            self.notes["reallocs of blocks allocated before tracing became allocs"] += 1
            self.alloc(size, address)
        elif size == 0:
            self.free(old)
        elif not address:
            self.notes["failed reallocs (NULL) skipped"] += 1
        else:
            ident, _ = self._live.pop(old)
            if address in self._live:
                self.notes["blocks allocated twice at one address (a free the log missed)"] += 1
                self.free(address)
            self._live[address] = (ident, size)
            self.ops.append((REALLOC, ident, size))

    def finish(self, name: str, source: str = "") -> Trace:
        """The validated trace of this process."""
        self.trace = Trace(self.ops, name, source=source)
        return self.trace

    def summary(self) -> str:
        """One line: pid, command, operations."""
        t = self.trace
        c = t.counts() if t else {"allocs": 0, "reallocs": 0, "frees": 0}
        what = f"{len(self.ops)} ops ({c['allocs']} allocs, {c['reallocs']} reallocs, {c['frees']} frees)"
        peak = f", peak {t.peak_live_bytes:,} bytes live" if t else ""
        return f"pid {self.pid} {self.command or '?'}: {what}{peak}"


def _size(name: str, args: str) -> int:
    """The byte count of an allocation call from its printed arguments."""
    found = re.search(r"size (-?\d+)", args)
    numbers = [int(found.group(1))] if found else [int(n) for n in re.findall(r"-?\b\d+\b", args)]
    if any(n < 0 for n in numbers):
        raise ValueError(f"{name}({args}): a negative size")
    if name == "calloc" and len(numbers) >= 2:
        return numbers[0] * numbers[1]
    return numbers[-1] if found else (numbers[0] if numbers else 0)


def _pointer(text: str) -> int:
    text = text.strip().split(",")[0].strip()
    if not _POINTER.match(text):
        raise ValueError(f"{text!r} is not a pointer (valgrind prints them as 0x... in hexadecimal)")
    return int(text, 16) if text.lower().startswith("0x") else 0


def _result(text: str) -> int | None:
    found = _RESULT.search(text)
    if not found:
        return None
    value = found.group(1)
    return int(value, 16) if value.startswith("0x") else (0 if value == "(nil)" else int(value))


def _is_alloc(name: str) -> bool:
    return name in _ALLOCS or name.startswith("_Zn")


def _is_free(name: str) -> bool:
    return name in _FREES or name.startswith("_Zd")


def _handle(p: Process, body: str) -> None:
    call = _CALL.match(body)
    if call is None:
        result = _result(body)
        if result is not None and p._pending is not None:
            kind, a, b = p._pending
            p._pending = None
            p.alloc(a, result) if kind == ALLOC else p.realloc(a, b, result)
        return
    name, args, rest = call.groups()
    result = _result(rest)
    if _is_free(name):
        p.free(_pointer(args))
    elif name == "realloc":
        old, size = _pointer(args), _size(name, args.partition(",")[2])
        if old and size == 0:
            p.free(old)
        elif result is None:
            p._pending = (REALLOC, old, size)
        else:
            p.realloc(old, size, result)
    elif _is_alloc(name):
        size = _size(name, args)
        if result is None:
            p._pending = (ALLOC, size, 0)
        else:
            p.alloc(size, result)
    else:
        p.notes[f"calls to {name} ignored"] += 1


def parse_log(text: str | Iterable[str], *, name: str = "trace", source: str = "") -> list[Process]:
    """Every process of a ``--trace-malloc=yes`` log (its text, or its lines) that allocated something, by PID."""
    processes: dict[int, Process] = {}
    for n, line in enumerate(text.splitlines() if isinstance(text, str) else text, 1):
        m = _LINE.match(line)
        if m is None:
            c = _COMMAND.match(line)
            if c is not None:
                processes.setdefault(int(c.group(1)), Process(int(c.group(1)))).command = c.group(2).strip()
            continue
        pid = int(m.group(1))
        try:
            _handle(processes.setdefault(pid, Process(pid)), m.group(2))
        except ValueError as e:
            raise TraceError(f"{source or name}, line {n}: {e}") from None
    kept = [p for p in processes.values() if p.ops]
    for p in kept:
        p.finish(name if len(kept) == 1 else f"{name}-{p.pid}", source)
    return kept


def read_log(path: str | os.PathLike) -> list[Process]:
    """Parse a Valgrind log file; traces are named after the file."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            return parse_log(_log_lines(file, path), name=path.stem, source=str(path))
    except OSError as e:
        raise TraceError(f"{path}: cannot read: {e.strerror or e}") from None


def _log_lines(file, path: Path) -> Iterable[str]:
    """The lines of a log as text, each read with a limit, so that a file without line ends ends the read."""
    n = 0
    while line := file.readline(LONGEST_LINE + 1):
        n += 1
        if len(line) > LONGEST_LINE or b"\0" in line:
            raise TraceError(f"{path}, line {n}: over {LONGEST_LINE} bytes long or with NUL bytes: not a valgrind log")
        yield line.decode("utf-8", "replace").rstrip("\r\n")


def valgrind() -> str:
    """The path of the valgrind executable, or ValgrindMissing with what to do instead."""
    if host.in_browser():
        why = host.missing("valgrind")
        raise ValgrindMissing(f"{why}: convert a log recorded elsewhere with `memlab trace convert LOG`")
    path = shutil.which("valgrind")
    if path is None:
        raise ValgrindMissing(
            "valgrind is not installed here: install it (e.g. apt-get install valgrind) to record "
            "a program, or convert a log recorded elsewhere with `memlab trace convert LOG`"
        )
    return path


def record(
    command: list[str], *, name: str | None = None, env: dict[str, str] | None = None, quiet: bool = True
) -> list[Process]:
    """Run ``command`` under ``valgrind --trace-malloc=yes`` (children too); return its processes.

    ``env`` adds environment variables (``{"PYTHONMALLOC": "malloc"}`` sends CPython's small
    objects through malloc). With ``quiet`` the program's own output is discarded.
    """
    if not command:
        raise BadRequest("record needs a command to run")
    tool = valgrind()
    name = name or Path(command[0]).name
    with tempfile.TemporaryDirectory(prefix="memlab-trace-") as tmp:
        log = Path(tmp, "valgrind.%p.log")
        argv = [tool, "--tool=memcheck", "--trace-malloc=yes", "--trace-children=yes", "--leak-check=no"]
        argv += ["--undef-value-errors=no", f"--log-file={log}", *command]
        out = subprocess.DEVNULL if quiet else None
        try:
            subprocess.run(argv, env={**os.environ, **(env or {})}, stdout=out, stderr=out, check=False)
        except OSError as e:
            raise BadRequest(f"cannot run valgrind: {e.strerror or e}") from None
        text = "\n".join(p.read_text(errors="replace") for p in sorted(Path(tmp).glob("valgrind.*.log")))
    processes = parse_log(text, name=name)
    if not processes:
        raise BadRequest(f"valgrind recorded no allocations for {' '.join(command)!r}")
    return processes
