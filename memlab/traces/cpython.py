"""Python's own allocation calls, recorded from the real interpreter, and memlab's pymalloc checked against them.

:func:`record_python` runs a piece of Python code in a real CPython (the one running memlab) and
records every call the interpreter makes to its object allocator, from the very first one at
start-up, together with the report of ``sys._debugmallocstats()`` taken at the end of the same
run. Replaying the calls into :class:`~memlab.allocators.pymalloc.PyMalloc` must then give the
same report, number for number: :meth:`PythonRecording.compare` says whether it does.

How the calls are caught: CPython lets a program replace its allocators (PEP 445,
``PyMem_SetAllocator``) for three *domains*: RAW (always the C library), MEM (``PyMem_Malloc``)
and OBJ (``PyObject_Malloc``); MEM and OBJ both go to pymalloc. A small C program,
``_pyrecord.c``, embeds the interpreter: it pre-initializes it with pymalloc, wraps MEM, OBJ and
the arena allocator with hooks that log each call, initializes Python, runs the code, stops
logging and writes pymalloc's report. memlab compiles it on first use with the C compiler and the
headers of this Python (``python3-dev`` on Debian), into a cache folder (``$MEMLAB_CACHE``, else
``~/.cache/memlab``).

Turning the log into a :class:`~memlab.traces.Trace` keeps what pymalloc sees:

* ``calloc(n, size)`` becomes a request of ``n * size`` bytes; ``realloc(NULL, n)`` a request;
* a request of 0 bytes goes to the C library in CPython and stays there when it is reallocated,
  while a memlab block holds at least a byte: such blocks are left out (``notes`` counts them),
  and ``realloc`` of a pymalloc block to 0 bytes becomes its free;
* arenas are told apart from the interpreter's other direct mappings (3.11 also maps its frame
  stack chunks this way) by their size; their offsets from pool alignment are kept, because an
  arena that ``mmap`` did not place on a pool boundary has room for one pool fewer, and the
  replay reproduces that (``PyMalloc(arena_offsets=...)``).

Three recordings ship with memlab (:func:`load`, :data:`WORKLOADS`): a dict-heavy, a
list-of-tuples and an import-heavy program, recorded with CPython 3.11 on Linux x86-64 without
the ``site`` module (like ``python -S``), each with its real report.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import sysconfig
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .. import host
from ..allocators.pymalloc import ARENA_SIZE, POOL_SIZE, SMALL_REQUEST_THRESHOLD, MallocStats, PyMalloc
from ..errors import BadRequest, NeedsMachine
from .rep import ALLOC, FREE, REALLOC, Op, Trace, format_rep, parse_rep

SOURCE = Path(__file__).with_name("_pyrecord.c")
RECORD = struct.Struct("<cQQQ")  # op, pointer, size, result: one record of the C program's log

WORKLOADS = {
    "dicts": (
        "# dict-heavy: 1,000 records as small dicts, an index over them, then half of them dropped\n"
        "people = []\n"
        "for i in range(1000):\n"
        '    people.append({"name": f"person {i}", "age": i % 90, "tags": {"t" + str(i % 7): i}})\n'
        'index = {p["name"]: p for p in people}\n'
        "for p in people[::2]:\n"
        '    del index[p["name"]]\n'
        "del people[::2]\n"
    ),
    "tuples": (
        "# list of tuples: 2,000 (int, str, float) rows, sorted by their text, then filtered\n"
        "rows = [(i, str(i), i * 0.5) for i in range(2000)]\n"
        "rows.sort(key=lambda row: row[1])\n"
        "evens = [row for row in rows if row[0] % 2 == 0]\n"
        "del rows\n"
    ),
    "imports": (
        "# import-heavy: json and what it imports (re, enum, ...): modules, classes, code objects\nimport json\n"
    ),
}
"""The workloads of the shipped recordings, by name."""


class RecorderUnavailable(NeedsMachine):
    """The recorder cannot be built or run here (no C compiler, no Python headers, not CPython, the browser, ...)."""


# -- the recording ------------------------------------------------------------------------------------
@dataclass
class Comparison:
    """memlab's pymalloc after the replay, against the real interpreter's report."""

    real: MallocStats
    simulated: MallocStats
    differences: list[str]

    @property
    def exact(self) -> bool:
        """True when every number of the two reports agrees."""
        return not self.differences

    def table(self) -> str:
        """Pools and blocks in use per size class, real and simulated, side by side."""
        real, sim = self.real.by_class(), self.simulated.by_class()
        head = f"{'class':>5} {'size':>5} {'pools: real':>12} {'memlab':>7} {'blocks: real':>13} {'memlab':>7}"
        lines = [head]
        for index in sorted(set(real) | set(sim)):
            r, s = real.get(index), sim.get(index)
            size = (r or s).size
            rp, sp = (r.pools if r else 0), (s.pools if s else 0)
            rb, sb = (r.blocks if r else 0), (s.blocks if s else 0)
            mark = "" if (rp, rb) == (sp, sb) else "   <- differs"
            lines.append(f"{index:>5} {size:>5} {rp:>12} {sp:>7} {rb:>13} {sb:>7}{mark}")
        lines.append(
            f"{'all':>5} {'':>5} {self.real.pools:>12} {self.simulated.pools:>7} "
            f"{self.real.blocks:>13} {self.simulated.blocks:>7}"
        )
        return "\n".join(lines)

    def summary(self) -> str:
        """One line: how much agrees."""
        n = len(self.real.classes)
        if self.exact:
            return (
                f"exact agreement: {n} size classes, {self.real.pools} pools, {self.real.blocks} blocks in use, "
                f"{self.real.arenas_current} arenas, every byte of the report"
            )
        return f"{len(self.differences)} numbers differ: " + "; ".join(self.differences[:5])


@dataclass
class PythonRecording:
    """What the real interpreter asked of pymalloc while running ``code``, and its report at the end."""

    trace: Trace
    real: MallocStats
    arena_offsets: tuple[int, ...]
    notes: Counter[str] = field(default_factory=Counter)
    code: str = ""
    python: str = ""
    output: str = ""
    site: bool = True
    report: str = ""  # the real report, as CPython printed it

    def replay(self, **options) -> PyMalloc:
        """The trace replayed into a fresh memlab pymalloc placed like the real one's arenas."""
        options.setdefault("arena_offsets", self.arena_offsets or None)
        options.setdefault("limit", _limit(self.trace))
        heap = PyMalloc(**options)
        run(self.trace, heap)
        return heap

    def compare(self, **options) -> Comparison:
        """Replay, then compare memlab's report with the real one, number by number."""
        sim = self.replay(**options).mallocstats()
        return Comparison(self.real, sim, sim.differences(self.real))

    def __repr__(self) -> str:
        return f"<PythonRecording {self.trace.name}: {len(self.trace)} ops, {self.real.arenas_current} arenas>"


def run(trace: Trace, heap) -> dict[int, int]:
    """Replay every operation of ``trace`` on ``heap``; return the addresses still live, by id."""
    address: dict[int, int] = {}
    alloc, free, realloc = heap.alloc, heap.free, heap.realloc
    for kind, ident, size in trace.ops:
        if kind == ALLOC:
            address[ident] = alloc(size)
        elif kind == FREE:
            free(address.pop(ident))
        else:
            address[ident] = realloc(address[ident], size)
    return address


def _limit(trace: Trace) -> int:
    """Simulated memory for a replay: room for the trace's peak, its arenas and their slack."""
    return max(64 << 20, 1 << (4 * trace.peak_live_bytes).bit_length())


# -- the log -----------------------------------------------------------------------------------------
def convert(log: bytes, *, name: str = "python") -> tuple[Trace, tuple[int, ...], Counter[str]]:
    """A trace, the arenas' offsets from pool alignment, and the adjustments, from the C program's log."""
    if len(log) % RECORD.size:
        raise BadRequest(f"the allocation log of {name} is cut short ({len(log)} bytes)")
    ops: list[Op] = []
    live: dict[int, tuple[int, int]] = {}  # pointer -> (id, size)
    dropped: set[int] = set()  # pointers of 0-byte requests, which CPython hands to the C library
    offsets: list[int] = []
    notes: Counter[str] = Counter()
    next_id = 0

    def new(pointer: int, size: int) -> None:
        nonlocal next_id
        if size == 0:
            dropped.add(pointer)
            notes["0-byte requests left out (CPython passes them to the C library's malloc)"] += 1
            return
        live[pointer] = (next_id, size)
        ops.append((ALLOC, next_id, size))
        next_id += 1

    for op, pointer, size, result in RECORD.iter_unpack(log):
        if op == b"A":
            if size == ARENA_SIZE:
                offsets.append(result % POOL_SIZE)
            else:
                notes["direct mappings that are not arenas (frame stack chunks) ignored"] += 1
        elif op == b"F":
            continue
        elif op in (b"m", b"c") or (op == b"r" and not pointer):
            if result:
                new(result, size)
        elif op == b"f":
            if not pointer:
                continue
            if pointer in dropped:
                dropped.discard(pointer)
            elif pointer in live:
                ops.append((FREE, live.pop(pointer)[0], 0))
            else:
                notes["frees of blocks allocated before recording began, skipped"] += 1
        elif op == b"r":
            if not result:
                notes["failed reallocs skipped"] += 1
            elif pointer in dropped:
                dropped.discard(pointer)
                dropped.add(result)  # the C library keeps it
            elif pointer not in live:
                notes["reallocs of blocks allocated before recording began, recorded as requests"] += 1
                new(result, size)
            else:
                ident, old = live.pop(pointer)
                if size == 0 and old <= SMALL_REQUEST_THRESHOLD:  # pymalloc frees it; malloc gets 0 bytes
                    ops.append((FREE, ident, 0))
                    dropped.add(result)
                else:
                    size = size or 1  # the C library's realloc to 0: CPython asks it for 1 byte
                    live[result] = (ident, size)
                    ops.append((REALLOC, ident, size))
        else:
            raise BadRequest(f"the allocation log of {name} has an unknown record {op!r}")
    return Trace(ops, name), tuple(offsets), notes


# -- building and running the recorder ------------------------------------------------------------------
def cache_folder() -> Path:
    """Where the compiled recorder is kept: ``$MEMLAB_CACHE``, else ``~/.cache/memlab``."""
    folder = os.environ.get("MEMLAB_CACHE")
    if folder:
        return Path(folder)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "memlab"


def recorder() -> Path:
    """The recorder program for this Python, compiled on first use; RecorderUnavailable says why not."""
    if host.in_browser():  # no compiler, and no child process to run the recorder in
        raise RecorderUnavailable(host.missing("subprocesses"))
    if os.name != "posix" or sys.implementation.name != "cpython":
        raise RecorderUnavailable(f"recording Python's allocator needs CPython on a POSIX system, not {sys.platform}")
    config = sysconfig.get_config_var
    include = config("INCLUDEPY") or sysconfig.get_paths()["include"]
    if not Path(include, "Python.h").is_file():
        raise RecorderUnavailable("Python's C headers are not installed (no Python.h; on Debian: python3-dev)")
    cc = shutil.which(os.environ.get("CC", "")) or shutil.which(config("CC") or "cc") or shutil.which("cc")
    if cc is None:
        raise RecorderUnavailable("no C compiler found (install gcc or set CC)")
    version = config("LDVERSION") or config("VERSION")
    libdir, libpl = config("LIBDIR") or "", config("LIBPL") or ""
    if config("Py_ENABLE_SHARED"):
        link = [f"-L{libdir}", f"-lpython{version}", f"-Wl,-rpath,{libdir}"]
    else:
        link = [str(Path(libpl, f"libpython{version}.a")), *(config("LINKFORSHARED") or "").split()]
    link += (config("LIBS") or "").split() + (config("SYSLIBS") or "").split()
    key = hashlib.sha256("\0".join([SOURCE.read_text(), sys.version, include, cc, *link]).encode()).hexdigest()[:16]
    program = cache_folder() / f"pyrecord-{key}"
    if program.is_file():
        return program
    program.parent.mkdir(parents=True, exist_ok=True)
    partial = program.with_name(f"{program.name}.{os.getpid()}")
    command = [cc, "-O2", "-o", str(partial), str(SOURCE), f"-I{include}", *link]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as e:  # no processes at all (a browser's Python, for one)
        raise RecorderUnavailable(f"cannot run the C compiler here: {e.strerror or e}") from None
    if done.returncode or not partial.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RecorderUnavailable("the recorder did not compile: " + " / ".join(tail))
    partial.replace(program)
    return program


def record_python(code: str, *, name: str = "python", site: bool = True, timeout: float = 300) -> PythonRecording:
    """Run ``code`` in a fresh CPython (this one's version and environment) and record its allocator.

    ``site=False`` skips the ``site`` module, as ``python -S`` does (fewer calls at start-up, and
    installed packages out of reach). Raises RecorderUnavailable where no recorder can be built, and
    BadRequest naming the error when the code fails.
    """
    if not isinstance(code, str):
        raise BadRequest(f"record_python needs Python source code as a string, not {type(code).__name__}")
    program = recorder()
    env = {k: v for k, v in os.environ.items() if k not in _ALLOCATOR_VARIABLES}
    with tempfile.TemporaryDirectory(prefix="memlab-pyrecord-") as tmp:
        script, log, stats = Path(tmp, f"{name}.py"), Path(tmp, "calls.log"), Path(tmp, "stats.txt")
        script.write_text(code)
        argv = [str(program), str(log), str(stats), sys.executable, str(script), "site" if site else "nosite"]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp, check=False)
        except subprocess.TimeoutExpired:
            raise BadRequest(f"recording {name} stopped after {timeout:g} s: the code never finished") from None
        except OSError as e:
            raise RecorderUnavailable(f"cannot run the recorder here: {e.strerror or e}") from None
        output = done.stdout + done.stderr
        if done.returncode == 1:
            last = output.strip().splitlines()[-1:] or ["(no message)"]
            raise BadRequest(f"the recorded code of {name} raised an error: {last[0]}")
        if done.returncode == 3:
            raise RecorderUnavailable("this Python does not use pymalloc (a free-threaded or debug build?)")
        if done.returncode or not stats.is_file():
            raise RecorderUnavailable(f"the recorder failed (status {done.returncode}): {output.strip()[-300:]}")
        trace, offsets, notes = convert(log.read_bytes(), name=name)
        report = stats.read_text()
    python = sys.version.split()[0]
    return PythonRecording(trace, MallocStats.parse(report), offsets, notes, code, python, output, site, report)


_ALLOCATOR_VARIABLES = ("PYTHONMALLOC", "PYTHONMALLOCSTATS", "PYTHONDEVMODE", "PYTHONTRACEMALLOC", "PYTHONHASHSEED")
"""Environment variables that would change the allocator the recording sees; the recorder drops them."""


# -- shipped recordings ----------------------------------------------------------------------------------
def _folder() -> Path:
    return Path(str(resources.files(__package__).joinpath("data", "cpython")))


def names() -> list[str]:
    """The shipped recordings, by name."""
    return sorted(p.name.removesuffix(".json") for p in _folder().glob("*.json"))


def save(recording: PythonRecording, folder: str | os.PathLike) -> Path:
    """Write a recording as ``NAME.rep.gz`` (the trace) and ``NAME.json`` (report, arenas, code)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = recording.trace.name
    (folder / f"{name}.rep.gz").write_bytes(gzip.compress(format_rep(recording.trace).encode(), 9, mtime=0))
    meta = {
        "python": recording.python,
        "platform": f"{sys.platform}-{os.uname().machine}",
        "site": recording.site,
        "code": recording.code,
        "arena_offsets": list(recording.arena_offsets),
        "notes": dict(sorted(recording.notes.items())),
        "report": recording.report or recording.real.text(),
    }
    path = folder / f"{name}.json"
    path.write_text(json.dumps(meta, indent=1) + "\n")
    return path


def load(name: str) -> PythonRecording:
    """A shipped recording (see :func:`names` and :data:`WORKLOADS`)."""
    meta_path = _folder() / f"{name}.json"
    if not meta_path.is_file():
        raise BadRequest(f"no recording of CPython named {name!r}; shipped: {', '.join(names())}")
    meta = json.loads(meta_path.read_text())
    text = gzip.decompress((_folder() / f"{name}.rep.gz").read_bytes()).decode("ascii")
    trace = parse_rep(text, name=name, source=f"{name}.rep.gz")
    real = MallocStats.parse(meta["report"])
    offsets, notes = tuple(meta["arena_offsets"]), Counter(meta["notes"])
    return PythonRecording(trace, real, offsets, notes, meta["code"], meta["python"], "", meta["site"], meta["report"])
