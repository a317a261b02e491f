"""The trace subcommands: ``memlab replay``, ``memlab trace record|convert|generate|info``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import BadRequest, NeedsMachine
from . import production, shipped
from .cpython import record_python
from .generators import GENERATORS, generate
from .lineup import build
from .rep import Trace, read_rep, write_rep
from .replay import NATIVE, general_purpose, replay_all
from .report import as_json, messages, text_table
from .valgrind import Process, read_log, record

ALL = "all"
PRODUCTION = "production"

EXIT_STATUSES = """\
exit status:
  0    every replay served every request
  1    a replay stopped early: the allocator's check() found its heap corrupt, or it raised an
       error that is not a memlab error (a bug); the table shows how far it got
  2    nothing was replayed: a bad argument, a trace that cannot be read or is not valid, or an
       allocator spec that names no allocator or options it cannot take
  3    every replay ran to the end, but some requests failed (out of memory, a request too large
       for a fixed-size allocator); the errors column counts them
  130  interrupted (Ctrl-C)
"""


def _trace(text: str) -> Trace:
    """A trace from a file path or, if there is no such file, a shipped trace's name."""
    path = Path(text)
    if path.exists() or text.endswith(".rep") or "/" in text:
        return read_rep(path)
    try:
        return shipped.load(text)
    except BadRequest:
        known = ", ".join(shipped.names())
        raise BadRequest(f"{text}: no such file (and no shipped trace of that name: {known})") from None


def _specs(given: list[str] | None, trace: Trace) -> list[str]:
    """The specs to replay, each one built once first, so that a bad spec stops everything before any replay.

    A production allocator this machine lacks is left out with a message, unless it was asked for by name.
    """
    specs: list[str] = []
    for spec in given or [ALL]:
        if spec == ALL:
            specs += [*general_purpose(), NATIVE]
        elif spec == PRODUCTION:
            specs += production.names()
        else:
            specs.append(spec)
    usable = []
    for spec in dict.fromkeys(specs):
        try:
            build(spec, trace)
        except NeedsMachine as e:  # a production allocator this machine lacks: an error only if asked for by name
            if spec in (given or []):
                raise
            print(f"memlab: {spec}: skipped: {e}", file=sys.stderr)
            continue
        usable.append(spec)
    return usable


def replay_command(parser: argparse.ArgumentParser):
    """replay traces through allocators and compare them.

    Replay each TRACE (a .rep file or a shipped trace's name) through each allocator. SPEC is a
    registry name with options, e.g. freelist:list=explicit,fit=best; 'glibc', 'libjemalloc',
    'libmimalloc' and 'libtcmalloc' are this machine's production allocators, replayed natively
    (libjemalloc:lib=FILE loads another build); 'production' is all four; 'all' (the default) is
    every general-purpose allocator plus glibc. The exit status says how it went (listed below).
    """
    parser.epilog = EXIT_STATUSES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("traces", nargs="+", metavar="TRACE")
    parser.add_argument("--allocator", "-a", action="append", metavar="SPEC", help="repeat for several")
    parser.add_argument("--check", action="store_true", help="run the allocator's check() after every operation")
    parser.add_argument("--check-every", type=int, metavar="N", help="with --check: check every N-th operation only")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")

    def run(args: argparse.Namespace) -> int:
        traces = [_trace(t) for t in args.traces]  # every file is parsed before anything runs
        if args.check_every is not None and args.check_every < 1:
            raise BadRequest(f"--check-every {args.check_every}: expected a positive number of operations")
        specs = _specs(args.allocator, traces[0])  # and every allocator is built once

        def skip(spec: str, reason: str) -> None:
            print(f"memlab: {spec}: skipped: {reason}", file=sys.stderr)

        progress = False if args.no_progress else None
        check = (args.check_every or 1) if args.check else 0
        results = replay_all(traces, specs, check=check, progress=progress, on_skip=skip)
        print(as_json(results) if args.json else text_table(results))
        native = [r for r in results if isinstance(r, production.ProductionResult)]
        if native and not args.json:
            print("\nProduction allocators, measured two ways: heap by the allocator's own statistic and by the")
            print("resident set (anonymous pages); ns/op from the native loop, warm (the allocator alone) and")
            print("cold (the first pass, which pays the kernel for new pages), the fastest of three runs.\n")
            print(production.text_table(native))
        for line in messages(results):
            print(f"memlab: {line}", file=sys.stderr)
        if any(r.stopped for r in results):
            return 1
        return 3 if any(r.errors for r in results) else 0

    return run


def _write(processes: list[Process], out: Path | None, default: str, *, stream=None) -> None:
    """Write one .rep per process: ``out`` if there is one process, else ``out-PID.rep`` each."""
    stream = stream or sys.stdout
    target = out or Path(f"{default}.rep")
    for p in processes:
        file = target if len(processes) == 1 else target.with_name(f"{target.stem}-{p.pid}{target.suffix or '.rep'}")
        write_rep(p.trace, file)
        print(f"wrote {file}: {p.summary()}", file=stream)
        for note, count in sorted(p.notes.items()):
            print(f"  {count} {note}", file=stream)


def trace_record_command(parser: argparse.ArgumentParser):
    """run a program under valgrind and write its allocation trace.

    Run COMMAND under valgrind --trace-malloc=yes (child processes too) and write a .rep file per
    process that allocated memory. Example: memlab trace record -o ls.rep -- ls -R /etc
    """
    parser.add_argument("-o", "--output", type=Path, help="the .rep file to write (default: COMMAND.rep)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="set an environment variable, e.g. PYTHONMALLOC=malloc")  # fmt: skip
    parser.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- COMMAND ...")

    def run(args: argparse.Namespace) -> int:
        cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
        if not cmd:
            raise BadRequest("trace record needs a command after --, e.g. memlab trace record -- ls")
        env = {}
        for item in args.env:
            name, eq, value = item.partition("=")
            if not eq or not name:
                raise BadRequest(f"--env {item!r} is not NAME=VALUE")
            env[name] = value
        name = (args.output.stem if args.output else Path(cmd[0]).name) or "trace"
        processes = record(cmd, name=name, env=env, quiet=False)
        _write(processes, args.output, Path(cmd[0]).name, stream=sys.stderr)  # stdout is the program's
        return 0

    return run


def trace_record_python_command(parser: argparse.ArgumentParser):
    """record what CPython asks of its own allocator (pymalloc) and check memlab's pymalloc against it.

    Run FILE (or -c CODE) in a fresh CPython like this one, record every call the interpreter makes
    to pymalloc from start-up on, write the calls as a .rep trace, replay them into memlab's pymalloc
    and compare its report with the real sys._debugmallocstats() of the same run. Exit status 1 if
    any number differs. Example: memlab trace record-python -c 'import json' -o json.rep
    """
    parser.add_argument("file", nargs="?", type=Path, metavar="FILE", help="a Python file to run")
    parser.add_argument("-c", dest="code", metavar="CODE", help="Python code to run instead of a file")
    parser.add_argument("-o", "--output", type=Path, help="the .rep file to write (default: NAME.rep)")
    parser.add_argument("-S", "--no-site", action="store_true", help="do not import the site module (like python -S)")
    parser.add_argument("--table", action="store_true", help="print pools and blocks per size class, real and memlab's")

    def run(args: argparse.Namespace) -> int:
        if (args.code is None) == (args.file is None):
            raise BadRequest("trace record-python needs a FILE or -c CODE (one of the two)")
        if args.file is not None:
            try:
                code = args.file.read_text()
            except OSError as e:
                raise BadRequest(f"{args.file}: cannot read: {e.strerror or e}") from None
        else:
            code = args.code
        name = (args.output or args.file or Path("python")).stem
        recording = record_python(code, name=name, site=not args.no_site)
        trace = recording.trace
        file = write_rep(trace, args.output or Path(f"{name}.rep"))
        c = trace.counts()
        counts = f"{c['allocs']:,} allocs, {c['reallocs']:,} reallocs, {c['frees']:,} frees"
        print(f"wrote {file}: {len(trace):,} calls ({counts})")
        for note, count in sorted(recording.notes.items()):
            print(f"  {count} {note}")
        offsets = ", ".join(str(o) for o in recording.arena_offsets) or "none"
        print(f"  arenas' offsets from pool alignment, in order: {offsets}")
        comparison = recording.compare()
        if args.table:
            print(comparison.table())
        print(f"memlab's pymalloc against CPython {recording.python}: {comparison.summary()}")
        return 0 if comparison.exact else 1

    return run


def trace_convert_command(parser: argparse.ArgumentParser):
    """convert a valgrind --trace-malloc=yes log to .rep."""
    parser.add_argument("log", type=Path, metavar="LOG")
    parser.add_argument("-o", "--output", type=Path, help="the .rep file to write (default: LOG with .rep)")
    parser.add_argument("--pid", type=int, help="convert only this process of the log")

    def run(args: argparse.Namespace) -> int:
        processes = read_log(args.log)
        if args.pid is not None:
            processes = [p for p in processes if p.pid == args.pid]
        if not processes:
            which = f"process {args.pid}" if args.pid is not None else "any process"
            raise BadRequest(f"{args.log}: no allocations by {which} (was it recorded with --trace-malloc=yes?)")
        if args.pid is not None:
            processes[0].finish(args.log.stem, str(args.log))
        _write(processes, args.output, args.log.with_suffix("").name)
        return 0

    return run


def trace_generate_command(parser: argparse.ArgumentParser):
    """write a synthetic trace (random, ramp, peaks, ...)."""
    parser.add_argument("kind", choices=sorted(GENERATORS))
    parser.add_argument("-n", "--ops", type=int, default=10_000, help="about how many operations (10000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", type=Path, help="the .rep file to write (default: KIND-SEED.rep)")

    def run(args: argparse.Namespace) -> int:
        if args.ops < 2:
            raise BadRequest(f"--ops {args.ops}: a trace needs at least 2 operations")
        trace = generate(args.kind, args.ops, args.seed)
        file = write_rep(trace, args.output or Path(f"{trace.name}.rep"))
        print(f"wrote {file}: {len(trace):,} ops, peak {trace.peak_live_bytes:,} bytes live")
        return 0

    return run


def trace_info_command(parser: argparse.ArgumentParser):
    """summarize traces (operations, ids, peak live bytes)."""
    parser.add_argument("traces", nargs="+", metavar="TRACE")

    def run(args: argparse.Namespace) -> int:
        for trace in map(_trace, args.traces):
            c = trace.counts()
            print(
                f"{trace.name}: {len(trace):,} ops ({c['allocs']:,} allocs, {c['reallocs']:,} reallocs, "
                f"{c['frees']:,} frees), {trace.num_ids:,} ids, peak {trace.peak_live_bytes:,} bytes live, "
                f"{trace.live_at_end:,} bytes live at the end"
            )
        return 0

    return run
