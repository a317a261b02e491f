"""Batch grading: every question of every submission, each in its own sandboxed process.

``grade(["alice/04.ipynb", ...])`` reads each notebook, finds its exercise (from the metadata
the build writes, else from the file name), and runs every question, and every hidden test of
the exercise's source notebook, as one job (:mod:`.sandbox`). A job that crashes, hangs or
floods its output scores 0 for its question, with the reason; every other question still
grades. A file that is not a notebook of a known exercise gets one zero-score test saying so.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import notebook, sandbox
from .checks import exercise as find_exercise
from .hidden import find_source, hidden_tests
from .limits import Limits
from .questions import Exercise, Question
from .results import SubmissionResult, TestResult


def default_source() -> Path | None:
    """``exercises/source`` under the working directory, else beside the installed package."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (base / "exercises" / "source").is_dir():
            return base / "exercises" / "source"
    return None


def _question_result(q: Question | None, result: dict, hidden: list[dict]) -> list[TestResult]:
    """The test results of one job: a question (one test), or a hidden test."""
    if q is None:
        (h,) = hidden
        if "error" in result:
            return [TestResult(h["name"], 0, h["points"], result["error"], True)]
        return [TestResult(name, got, points, message, True) for name, points, got, message in result["cases"]]
    title = f"{q.name}: {q.title}"
    if "error" in result:
        return [TestResult(title, 0, q.points, result["error"])]
    lines = [f"{'✓' if got >= points else '✗'} {name}: {message}" for name, points, got, message in result["cases"]]
    lines += [f"note: {n}" for n in result.get("notes", [])]
    if result.get("printed"):
        lines.append("your code printed:\n" + result["printed"].rstrip())
    earned = min(q.points, sum(c[2] for c in result["cases"]))
    return [TestResult(title, earned, q.points, "\n".join(lines))]


def _unknown(path: str, reason: str) -> SubmissionResult:
    return SubmissionResult(path, "?", (TestResult("submission", 0, 0, reason),))


def plan(path: str, source_dir: Path | None) -> tuple[Exercise, list[tuple[Question | None, dict, list[dict]]]] | str:
    """The jobs for one submission, or the reason it cannot be graded."""
    try:
        nb = notebook.read(path)
    except ValueError as e:
        return str(e)
    key = notebook.exercise_of(nb, path)
    try:
        ex = find_exercise(key)
    except KeyError as e:
        return str(e.args[0])
    source = find_source(ex.key, source_dir)
    hidden = hidden_tests(source) if source else []
    jobs = []
    for q in ex.questions:  # each question, then each of its hidden tests, in a job of its own
        jobs.append((q, {"notebook": path, "exercise": ex.key, "question": q.name}, []))
        for h in (h for h in hidden if h["question"] == q.name):
            jobs.append((None, {"notebook": path, "exercise": ex.key, "question": None, "hidden": [h]}, [h]))
    return ex, jobs


def expand(paths: Iterable[str | Path]) -> list[str]:
    """The paths, with each folder replaced by the notebooks under it (sorted; checkpoints skipped)."""
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(str(n) for n in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in n.parts)
        else:
            out.append(str(p))
    return out


def grade(
    paths: Iterable[str | Path],
    *,
    source_dir: str | Path | None = "default",
    limits: Limits | None = None,
    workers: int = 2,
) -> list[SubmissionResult]:
    """Grade each submission; results in the order of ``paths``."""
    limits = limits or Limits()
    source = default_source() if source_dir == "default" else (Path(source_dir) if source_dir else None)
    plans = [(p, plan(p, source)) for p in expand(paths)]
    work = [
        (i, q, job, hidden) for i, (_, pl) in enumerate(plans) if not isinstance(pl, str) for q, job, hidden in pl[1]
    ]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        outcomes = list(pool.map(lambda w: sandbox.run(w[2], limits), work))
    tests: dict[int, list[TestResult]] = {}
    for (i, q, _, hidden), result in zip(work, outcomes):
        tests.setdefault(i, []).extend(_question_result(q, result, hidden))
    results = []
    for i, (path, pl) in enumerate(plans):
        if isinstance(pl, str):
            results.append(_unknown(path, pl))
        else:
            results.append(SubmissionResult(path, pl[0].key, tuple(tests.get(i, []))))
    return results
