"""Memory of reading a long trace: bytes an operation while parsing, against a list of tuples, same run.

Writes a seeded ``.rep`` trace of ``--ops`` operations (10 million by default, about 80 MB) into a
temporary folder, then, each in a fresh child process, measures how much the peak resident memory
(``ru_maxrss``) grows over the child's own memory after its imports:

* ``read_rep``: memlab's streaming parse, which keeps a trace compactly;
* the baseline: the same operations read into a plain list of ``(kind, id, size)`` tuples, which is
  how a trace was held before (and still the cheapest Python-object form);
* a 6-line trace whose block ids are as large as 10**12: its parse and a replay must not grow with
  the id;
* the same long parse under an address-space limit (``RLIMIT_AS``) too small for it: ``memlab trace
  info`` must exit with status 2 and one line naming the file, not a traceback.

Target (issue "nothing breaks it"): at most 200 bytes an operation. Prints bytes an operation, the
ratio to the baseline, and the seconds each parse took (for scale only).

Run: ``python benchmarks/bench_trace_memory.py [--ops N]`` (or ``python benchmarks/run.py trace_memory``)
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

TARGET = 200

CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    from memlab.traces import read_rep, replay

    def rss():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB

    path, how = sys.argv[1], sys.argv[2]
    before = rss()
    start = time.perf_counter()
    if how == "memlab":
        trace = read_rep(path)
        n = len(trace)
    elif how == "replay":
        trace = read_rep(path)
        replay(trace, "freelist", progress=False)
        n = len(trace)
    else:  # the baseline: a list of tuples, read line by line
        ops = []
        with open(path) as f:
            for _ in range(4):
                f.readline()
            for line in f:
                t = line.split()
                ops.append((t[0], int(t[1]), int(t[2]) if len(t) > 2 else 0))
        n = len(ops)
    print(json.dumps({"ops": n, "grew": rss() - before, "seconds": time.perf_counter() - start}))
    """
)


def write_trace(path: Path, n: int, seed: int = 1, live: int = 2000) -> None:
    """About ``n`` operations: allocs, reallocs and frees of up to ``live`` blocks, every block freed.

    The body is written as it is made (to a second file), so that writing needs little memory.
    """
    rng = random.Random(seed)
    held: list[int] = []
    count = next_id = 0
    body = path.with_suffix(".body")
    with body.open("w") as f:
        chunk: list[str] = []
        while count + len(held) < n:
            roll = rng.random()
            if not held or (len(held) < live and roll < 0.5):
                chunk.append(f"a {next_id} {rng.randint(1, 4096)}")
                held.append(next_id)
                next_id += 1
            elif roll < 0.6:
                chunk.append(f"r {held[rng.randrange(len(held))]} {rng.randint(1, 4096)}")
            else:
                i = rng.randrange(len(held))
                held[i], held[-1] = held[-1], held[i]
                chunk.append(f"f {held.pop()}")
            count += 1
            if len(chunk) == 100_000:
                f.write("\n".join(chunk) + "\n")
                chunk = []
        chunk += [f"f {ident}" for ident in held]
        count += len(held)
        f.write("\n".join(chunk) + "\n")
    with path.open("w") as out, body.open() as f:
        out.write(f"20000\n{next_id}\n{count}\n1\n")
        shutil.copyfileobj(f, out)
    body.unlink()


def child(path: Path, how: str, limit: int | None = None) -> dict:
    def cap():
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), how], capture_output=True, text=True, preexec_fn=cap, check=False
    )
    if done.returncode:
        raise SystemExit(f"the {how} child failed:\n{done.stderr}")
    return json.loads(done.stdout)


def address_space_after_imports() -> int:
    """The virtual memory of a fresh interpreter that has imported memlab's trace layer, in bytes."""
    code = "import memlab.traces, re; print(re.search(r'VmSize:\\s+(\\d+)', open('/proc/self/status').read())[1])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(done.stdout) * 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, default=10_000_000, help="operations in the long trace (10,000,000)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="memlab-bench-") as tmp:
        long = Path(tmp, "long.rep")
        write_trace(long, args.ops)
        size = long.stat().st_size
        ours, base = child(long, "memlab"), child(long, "tuples")
        n = ours["ops"]
        print(f"a {n:,}-operation trace, {size / 1e6:.0f} MB ({size / n:.1f} bytes an operation in the file)\n")
        mine, theirs = ours["grew"] / n, base["grew"] / n
        print(f"{'parse':32}  {'bytes/op':>9}  {'vs tuples':>9}  {'seconds':>8}")
        print(f"{'memlab read_rep (streaming)':32}  {mine:9.1f}  {mine / theirs:9.2f}  {ours['seconds']:8.1f}")
        print(f"{'baseline: list of tuples':32}  {theirs:9.1f}  {1:9.2f}  {base['seconds']:8.1f}")
        verdict = "meets" if mine <= TARGET else "MISSES"
        print(f"\ntarget: at most {TARGET} bytes an operation: {verdict} it ({mine:.0f})")

        ids = Path(tmp, "ids.rep")
        big = 10**12
        ids.write_text(f"20000\n{big + 1}\n6\n1\na {big} 64\na 7 32\nr {big} 128\nf 7\nf {big}\na 3 8\n")
        grew = child(ids, "replay")["grew"]
        print(f"\nblock id 10**12, parse and replay through freelist: peak memory grew {grew / 1e6:.1f} MB")

        limit = address_space_after_imports() + max(64 << 20, int(ours["grew"] // 2))
        done = subprocess.run(
            [sys.executable, "-m", "memlab", "trace", "info", str(long)],
            capture_output=True,
            text=True,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)),
            check=False,
        )
        lines = done.stderr.strip().splitlines()
        last = lines[-1] if lines else ""
        print(f"\nunder RLIMIT_AS of {limit / 1e6:.0f} MB: exit status {done.returncode}; stderr: {last}")
        if done.returncode != 2 or len(lines) != 1 or "Traceback" in done.stderr:
            print("  NOT a one-line error with status 2")


if __name__ == "__main__":
    main()
