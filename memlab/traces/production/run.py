"""Replay a trace through a production allocator: the trace goes to the replayer, numbers come back.

Each replay runs ``replayer.c`` (see there) in fresh processes: one *measure* run, then
``repeat`` *time* runs, of which the fastest counts (the others lost time to the machine, not to
the allocator). A time run replays the trace three times: the first pass is *cold* (the
allocator takes memory from the OS and the kernel maps every page at its first touch:
``ns_per_op_cold``), the other two are *warm* (the memory is in the allocator's hands already;
the faster one gives ``ns_per_op``, the allocator's own speed). The trace goes in binary over a
pipe; plain numbers come back as JSON. So no Python allocation ever lands in the heap being
measured, and the speed is the allocator's, not Python's.

The heap is measured twice, the same way for every allocator:

* by the allocator's **own statistic** (:mod:`.libraries` says which): ``heap_bytes``, and with
  it utilization and fragmentation, as for memlab's allocators;
* by the process's **resident set**, anonymous pages only (``/proc/self/statm``: resident less
  file-backed, so that code the allocator runs for the first time does not count), with the
  replay writing every byte of every block as a program would: ``heap_bytes_rss``.

Both grow from a baseline read just before the first operation (the allocator has served and
freed one byte by then, so its start-up costs are not the trace's), and both are read whenever
live bytes reach a new peak, at :data:`~..result.SAMPLES` evenly spaced points and at the end.

**How well they agree** (:data:`SLACK`, :data:`OVER`). Neither may say less than the trace's peak
of live bytes (less :data:`SLACK`: the first blocks may share pages already counted in the
baseline), and the resident set never exceeds the own statistic by more than :data:`OVER` plus
:data:`SLACK` (the allocator's metadata, which not every statistic counts). glibc and TCMalloc
write into everything they set aside (glibc a header per chunk, TCMalloc a free-list link in
every object of a new span), so for them the two agree within :data:`OVER` plus :data:`SLACK`
both ways. jemalloc (bitmaps, nothing written into a free region) and mimalloc (pages extended
4 KiB at a time, a link written only at the start of each block) set aside slab and page space
that no block has touched yet; it counts in their statistic and not in the resident set, so for
them the resident set can be much lower (on the shipped traces, 45 to 98% of the statistic).

Failed requests (NULL) are reported with the trace's file and line, as memlab's own replay
reports them; a replayer that dies (a library that aborts) or hangs gives a result that says so
(``stopped``), never an exception. Blocks are written only while the live bytes stay under
:data:`WRITE_LIMIT`; past it the resident set is not measured (``heap_bytes_rss`` is None).
"""

from __future__ import annotations

import array
import json
import os
import signal
import subprocess
from dataclasses import dataclass, field

from ..rep import ALLOC, FREE, REALLOC, Trace
from ..result import SAMPLES, Result
from .helper import ProductionUnavailable, replayer
from .libraries import LIBRARIES, Library

REPEAT = 3
"""Timed runs (processes) per replay; the fastest counts."""
TIMEOUT = 600.0
"""Seconds one replayer process may take before it is stopped."""
WRITE_LIMIT = 1 << 30
"""The most live bytes the replay writes into (beyond it, no resident-set measurement)."""
SLACK = 64 << 10
"""Bytes either measure may be off by, whatever the trace (pages shared with the baseline, metadata)."""
OVER = 0.05
"""The share by which the resident set may exceed the allocator's own statistic (its metadata)."""
EXTRA = ("library", "version", "statistic", "heap_bytes_rss", "ns_per_op", "ns_per_op_cold", "pages")
"""Keys a production replay's :meth:`~ProductionResult.as_dict` adds after ``KEYS``."""

_KIND = {ALLOC: 0, REALLOC: 1, FREE: 2}
_SIZE_MAX = (1 << 64) - 1
_PROBED: dict[tuple[str, str, str], dict] = {}


@dataclass
class PageClass:
    """mimalloc's pages of one block size at the census: how many, blocks in use, bytes committed."""

    block_size: int
    pages: int
    used: int
    committed: int


@dataclass
class ProductionResult(Result):
    """A :class:`~..result.Result` from a production allocator, with both measures and the speed."""

    library: str = ""
    """The file that served the requests."""
    version: str = ""
    statistic: str = ""
    """Which of the allocator's own statistics ``heap_bytes`` is, as the replayer names it."""
    heap_bytes_rss: int | None = None
    """The peak growth of the resident set (anonymous pages), or None if not measured."""
    rss_at_peak: int | None = field(default=None, repr=False)
    ns_per_op: float = 0.0
    """Nanoseconds per operation, warm: the fastest pass over the trace once the allocator holds its
    memory (CLOCK_MONOTONIC around the native loop)."""
    ns_per_op_cold: float = 0.0
    """Nanoseconds per operation of the first pass, page faults and system calls included."""
    pages: list[PageClass] | None = field(default=None, repr=False)
    """mimalloc only: its pages per block size at the peak of live bytes (or at ``census=``)."""
    rss_timeline: list[tuple[int, int, int]] = field(default_factory=list, repr=False)
    """(operation, live bytes, resident-set growth) at the same points as ``timeline``."""

    def as_dict(self) -> dict:
        """``KEYS`` first (as for every replay), then the keys in ``EXTRA``."""
        out = super().as_dict()
        out.update({key: getattr(self, key) for key in EXTRA})
        if self.pages is not None:
            out["pages"] = [vars(p) for p in self.pages]
        return out

    @property
    def rss_ratio(self) -> float | None:
        """Resident-set growth / the allocator's own statistic (1.0: they agree)."""
        if self.heap_bytes_rss is None or not self.heap_bytes:
            return None
        return self.heap_bytes_rss / self.heap_bytes

    def cross_check(self) -> str | None:
        """None if the two measures agree as the module says they should, else what is wrong."""
        if self.heap_bytes_rss is None or self.stopped:
            return None
        own, rss, live = self.heap_bytes, self.heap_bytes_rss, self.peak_live_bytes
        if own < live - SLACK or rss < live - SLACK:
            return f"a measure below the peak of live bytes ({live:,}): statistic {own:,}, resident {rss:,}"
        if rss > own * (1 + OVER) + SLACK:
            return f"resident {rss:,} bytes exceeds the statistic {own:,} by more than {OVER:.0%} + {SLACK:,}"
        if self.allocator.split(":")[0] in ("glibc", "libtcmalloc") and rss < own * (1 - OVER) - SLACK:
            return f"resident {rss:,} bytes is more than {OVER:.0%} + {SLACK:,} below the statistic {own:,}"
        return None


class Production:
    """A production allocator as a replay target: what ``build("libjemalloc")`` returns.

    Making one builds the replayer if need be and checks that the library loads; either failing
    raises :class:`ProductionUnavailable` with one line saying why and how to install it.
    """

    def __init__(self, name: str, library: str | None = None, *, label: str | None = None) -> None:
        self.spec: Library = LIBRARIES[name]
        self.name = label or name
        self.library = library or self.spec.soname or "libc.so.6"
        self.path = replayer()
        self.probed = probe(name, library)

    def replay(self, trace: Trace, *, label: str | None = None, repeat: int = REPEAT, census: int | None = None):
        """Measure ``trace`` once and time it ``repeat`` times; a :class:`ProductionResult`.

        ``census``: the operation (0-based) after which mimalloc's pages are counted; by default
        the one where live bytes first reach their peak.
        """
        peak_op, data = encode(trace, census)
        out = ProductionResult(label or self.name, trace.name, len(trace), 0, 0, None, None, 0.0, 0)
        out.library, out.version, out.statistic = (self.probed[key] for key in ("library", "version", "statistic"))
        measured = self._run("measure", data, out)
        if measured is None:
            return out
        _fill(out, measured, trace, self.spec.name)
        warm = cold = None
        for _ in range(max(1, repeat)):
            timed = self._run("time", data, out)
            if timed is None:
                return out
            warm = timed["ns"] if warm is None else min(warm, timed["ns"])
            cold = timed["ns_cold"] if cold is None else min(cold, timed["ns_cold"])
        if warm and len(trace):
            out.ns_per_op, out.ns_per_op_cold = warm / len(trace), cold / len(trace)
            out.ops_per_second = 1e9 / out.ns_per_op
        return out

    def _run(self, task: str, data: bytes, out: ProductionResult) -> dict | None:
        """One replayer process; its JSON, or None after noting in ``out`` why it stopped."""
        command, env = _command(self.path, self.spec, task, self.library), _environment(self.spec, self.library)
        try:
            done = subprocess.run(command, input=data, capture_output=True, env=env, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return _stop(out, f"the {task} run took longer than {TIMEOUT:.0f} s and was stopped")
        except OSError as e:
            return _stop(out, f"the replayer could not be started: {e}")
        if done.returncode != 0:
            return _stop(out, f"the {task} run {_death(done.returncode)}{_last_line(done.stderr)}")
        try:
            return json.loads(done.stdout)
        except ValueError:
            return _stop(out, f"the {task} run printed no JSON{_last_line(done.stderr)}")


def probe(name: str, library: str | None = None) -> dict:
    """Load ``name``'s library in the replayer: which file and version serve it (cached).

    Raises :class:`ProductionUnavailable` (one line: why, and how to install it) if it does not load.
    """
    spec = LIBRARIES[name]
    library = library or spec.soname or "libc.so.6"
    path = replayer()
    key = (str(path), name, library)
    if key in _PROBED:
        return _PROBED[key]
    try:
        done = subprocess.run(_command(path, spec, "probe", library), capture_output=True,
                              env=_environment(spec, library), timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ProductionUnavailable(f"{name}: the replayer could not be started: {e}") from None
    if done.returncode != 0:
        why = _reason(done.stderr) or _death(done.returncode)
        hint = "" if library != spec.soname else f"; {spec.install_hint()}"
        raise ProductionUnavailable(f"{name}: cannot load {library}: {why}{hint}")
    _PROBED[key] = json.loads(done.stdout)
    return _PROBED[key]


def available(name: str, library: str | None = None) -> str | None:
    """None if ``name`` can be replayed here, else the reason in one line."""
    try:
        probe(name, library)
    except ProductionUnavailable as e:
        return str(e)
    return None


def encode(trace: Trace, census: int | None = None) -> tuple[int, bytes]:
    """The trace in the replayer's binary form, and the operation where live bytes first peak."""
    words = array.array("Q")
    sizes: dict[int, int] = {}
    live, peak_op = 0, None
    for i, ((kind, ident, size), slot) in enumerate(zip(trace.iter_ops(), trace.slots)):
        words.append(slot << 2 | _KIND[kind])  # the block's slot, not its id: the replayer's tables stay small
        words.append(min(size, _SIZE_MAX))
        if kind == FREE:
            live -= sizes.pop(ident)
        else:
            live += size - sizes.get(ident, 0)
            sizes[ident] = size
            if peak_op is None and live == trace.peak_live_bytes:
                peak_op = i
    peak_op = 0 if peak_op is None else peak_op
    at = peak_op if census is None else census
    every = max(1, len(trace) // SAMPLES)
    header = array.array("Q", [len(trace), trace.num_slots, at, every, WRITE_LIMIT])
    return peak_op, b"MLTRACE1" + header.tobytes() + words.tobytes()


# -- helpers -----------------------------------------------------------------------------------
def _command(path, spec: Library, task: str, library: str) -> list[str]:
    return [str(path), spec.family, task, library]


def _environment(spec: Library, library: str) -> dict[str, str]:
    """The caller's environment, with LD_PRELOAD set for a preloaded library and cleared otherwise."""
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    if spec.loading == "preload":
        env["LD_PRELOAD"] = library
    return env


def _fill(out: ProductionResult, m: dict, trace: Trace, name: str) -> None:
    """Copy the measure run's numbers into ``out``."""
    out.peak_live_bytes = m["peak_live"]
    out.heap_bytes = m["own"]["peak"]
    peak = out.peak_live_bytes
    out.utilization = peak / out.heap_bytes if out.heap_bytes and peak else None
    out.fragmentation = m["own"]["at_peak"] / peak if peak else None
    if m["rss"] is not None:
        out.heap_bytes_rss, out.rss_at_peak = m["rss"]["peak"], m["rss"]["at_peak"]
    out.timeline = [(op, live, own) for op, live, own, _ in m["timeline"]]
    out.rss_timeline = [(op, live, rss) for op, live, _, rss in m["timeline"]]
    if "pages" in m:
        out.pages = sorted((PageClass(*row) for row in m["pages"]), key=lambda p: p.block_size)
    out.errors = m["failures"]
    for i in m["failed"]:
        kind, ident, size = trace.op(i)
        call = f"malloc({size})" if kind == ALLOC else f"realloc(block {ident}, {size})"
        out.messages.append(f"{trace.where(i)}: OutOfMemory: {name} {call} returned NULL")


def _stop(out: ProductionResult, why: str) -> None:
    out.errors += 1
    out.stopped = why
    out.messages.append(why)
    return None


def _death(status: int) -> str:
    if status < 0:
        try:
            return f"was killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"was killed by signal {-status}"
    return f"failed (exit status {status})"


def _reason(stderr: bytes) -> str:
    """The most telling line the replayer (or the dynamic loader) printed."""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    for line in lines:  # ld.so: object 'x' from LD_PRELOAD cannot be preloaded (why): ignored.
        if "from LD_PRELOAD cannot be preloaded (" in line:
            return line.split("cannot be preloaded (", 1)[1].rsplit(")", 1)[0]
    return lines[0] if lines else ""


def _last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return f": {lines[-1]}" if lines else ""


__all__ = ["EXTRA", "OVER", "REPEAT", "SLACK", "PageClass", "Production", "ProductionResult", "available", "probe"]
