"""Grading one student's solutions to every exercise with isolation, against the same checks run in one process.

The baseline is what a learner's check cell does, for every exercise, plus the hidden tests: the
checks call the learner's functions directly, in the same process, trusting them. The measured
side is ``memlab grade`` on the same notebooks: one isolated process per submission (bubblewrap
here if it works, else the fallback; the line above the table says which), every call crossing
the boundary as plain data, on every core. The ratio is what trust costs.

Run: ``python benchmarks/bench_grading.py``
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from memlab.grading import isolation
from memlab.grading.checks import exercise, keys
from memlab.grading.grader import grade
from memlab.grading.hidden import hidden_tests, run_hidden
from memlab.grading.notebook import define, read

ROOT = Path(__file__).resolve().parent.parent


def in_one_process() -> float:
    """Seconds to run every question and hidden test of every solution on its own functions."""
    start = time.perf_counter()
    for key in keys():
        ex = exercise(key)
        namespace = define(read(ROOT / "solutions" / f"{ex.key}.ipynb")).namespace
        for q in ex.questions:
            assert q.grade(namespace).earned == q.points, (key, q.name)
        for test in hidden_tests(read(ROOT / "exercises" / "source" / f"{ex.key}.ipynb")):
            assert run_hidden(test, namespace).earned == test["points"], (key, test["name"])
    return time.perf_counter() - start


def isolated() -> float:
    start = time.perf_counter()
    results = grade([ROOT / "solutions"], source_dir=ROOT / "exercises" / "source")
    assert all(r.score == r.max_score > 0 for r in results), [r.text() for r in results if r.score < r.max_score]
    return time.perf_counter() - start


def main() -> None:
    print(f"isolation: {isolation.choose().describe()}; {os.cpu_count()} cores")
    isolated()  # the first run compiles memlab for the learner's processes once
    base = min(in_one_process() for _ in range(2))
    measured = min(isolated() for _ in range(2))
    print(f"{'every solution, question and hidden test':46} {'seconds':>8} {'ratio':>6}")
    print(f"{'  in one process (the check cell, trusting)':46} {base:8.1f} {1:6.2f}")
    print(f"{'  memlab grade, isolated, on every core':46} {measured:8.1f} {measured / base:6.2f}")


if __name__ == "__main__":
    main()
