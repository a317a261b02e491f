"""Run the benchmarks: ``python benchmarks/run.py`` runs every ``bench_*.py`` here, one after another.

``python benchmarks/run.py replay utilization`` runs only ``bench_replay.py`` and
``bench_utilization.py``; ``--list`` names them with the first line of their docstrings. Each
benchmark prints ratios against a baseline measured in the same run (usually the machine's own
malloc), never absolute targets, so the figures mean the same on a slow or a busy machine.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks() -> dict[str, Path]:
    """Every benchmark by short name (``bench_replay.py`` is ``replay``)."""
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def main(argv: list[str]) -> int:
    found = benchmarks()
    if "--list" in argv:
        for name, path in found.items():
            print(f"{name:14} {summary(path)}")
        return 0
    unknown = [name for name in argv if name not in found]
    if unknown:
        print(f"no benchmark named {', '.join(unknown)}; known: {', '.join(found)}", file=sys.stderr)
        return 2
    status = 0
    for name in argv or list(found):
        print(f"== {name}: {summary(found[name])}\n", flush=True)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(found[name])], cwd=HERE, check=False)
        status = status or done.returncode
        print(f"\n(took {time.perf_counter() - start:.0f} s)\n", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
