"""Batch grading: every submission, its questions and hidden tests, on every core, each isolated.

``grade(["alice/04.ipynb", ...])`` reads each notebook (:func:`~.notebook.read`: any file may
arrive), decides its exercise (``exercise=`` pins it; otherwise its file name and its metadata
must agree), and grades it in a worker process of the grader's own: the checks and hidden tests
run there, and the learner's code runs in an isolated process of its own (:mod:`.boundary`,
:mod:`.isolation`), ended with everything it started when the submission is done. Workers run in
parallel, one per core by default; a worker that a submission wedges is killed and replaced, and
that submission alone scores 0 with the reason. Whatever a submission is or does costs only
itself: a file that is not a notebook of a known exercise gets one zero-score test saying so.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import isolation as isolation_
from . import notebook
from .checks import exercise as find_exercise
from .hidden import find_source, hidden_tests, imports_of, run_hidden
from .limits import Limits
from .questions import STUB, Case, Exercise, Question, Stopped, crash_text
from .results import SubmissionResult, TestResult
from .sanitize import one_line, quoted_block

WORKER_MEMORY = 16 << 30
"""Address space of a grading worker (the trusted side): a bound on what a crafted heap could make it allocate."""


def default_source() -> Path | None:
    """``exercises/source`` under the working directory, else beside the installed package."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (base / "exercises" / "source").is_dir():
            return base / "exercises" / "source"
    return None


@dataclass
class Job:
    """One submission to grade: where it came from, its exercise, its code cells and notes."""

    path: str
    student: str
    key: str
    code: list[tuple[int, str]]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Hidden:
    """An exercise's hidden tests and the imports its notebook gives them (trusted, from the source)."""

    tests: tuple[dict, ...] = ()
    imports: str = ""


def expand(paths: Iterable[str | Path]) -> list[tuple[str, str]]:
    """(path, student) of each submission: a folder stands for the notebooks under it (sorted; no
    checkpoints). The student is the first folder below the one given (``submissions/ada/04.ipynb``);
    for a notebook directly in it, its name (``ada.ipynb``), unless that names an exercise
    (``04_coalescing.ipynb``): then the folder's. A link is listed, and refused when it is read."""
    out = []
    for p in map(Path, paths):
        if p.is_dir() and not p.is_symlink():
            for nb in sorted(p.rglob("*.ipynb")):
                parts = nb.relative_to(p).parts
                if ".ipynb_checkpoints" in parts:
                    continue
                out.append((str(nb), parts[0] if len(parts) > 1 else _student(nb)))
        else:
            out.append((str(p), _student(p)))
    return out


def _student(path: Path) -> str:
    named = notebook.named_exercise(path) is not None
    return (path.resolve().parent.name if named else path.stem) or path.stem


def plan(path: str, student: str, pinned: Exercise | None) -> Job | SubmissionResult:
    """The job for one submission, or its result when it cannot be graded (with the reason)."""
    try:
        nb = notebook.read(path)
    except ValueError as e:
        return _refused(path, student, str(e))
    claimed, named = notebook.claimed_exercise(nb), notebook.named_exercise(path)
    notes = []
    if pinned is not None:
        ex = pinned
        if claimed and claimed[:2] != ex.number:
            notes.append(f"this notebook says it is exercise {one_line(claimed, 60)}; it was graded as {ex.key}")
    else:
        if claimed and named and claimed[:2] != named:
            return _refused(
                path,
                student,
                f"the file's name says exercise {named}, but the notebook says {one_line(claimed, 60)}: "
                "grade it with --exercise NN to say which it is",
            )
        try:
            ex = find_exercise(named or claimed or Path(path).stem)
        except KeyError as e:
            return _refused(path, student, one_line(e.args[0]))
    code, cell_notes = notebook.cells(nb)
    return Job(path, student, ex.key, code, notes + cell_notes)


def _refused(path: str, student: str, reason: str) -> SubmissionResult:
    return SubmissionResult(path, "?", (TestResult("submission", 0, 0, reason),), student)


def grade(
    paths: Iterable[str | Path],
    *,
    source_dir: str | Path | None = "default",
    limits: Limits | None = None,
    workers: int | None = None,
    exercise: str | None = None,
    isolation: str | None = None,
) -> list[SubmissionResult]:
    """Grade each submission; results in the order of ``paths``.

    ``exercise`` pins what every submission must be; ``isolation`` is ``auto``, ``bwrap`` or
    ``fallback`` (default: the ``MEMLAB_GRADE_ISOLATION`` environment variable, else ``auto``).
    """
    limits = limits or Limits()
    iso = isolation_.choose(isolation)
    pinned = find_exercise(exercise) if exercise else None
    source = default_source() if source_dir == "default" else (Path(source_dir) if source_dir else None)
    planned = [plan(path, student, pinned) for path, student in expand(paths)]
    jobs = [(i, p) for i, p in enumerate(planned) if isinstance(p, Job)]
    hidden = {key: load_hidden(key, source) for key in {job.key for _, job in jobs}}
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    done = run_jobs([job for _, job in jobs], workers, limits, iso, hidden)
    results = list(planned)
    for (i, _), result in zip(jobs, done):
        results[i] = result
    return results


def load_hidden(key: str, source: Path | None) -> Hidden:
    nb = find_source(key, source)
    return Hidden(tuple(hidden_tests(nb)), imports_of(nb)) if nb else Hidden()


# -- one submission, in a worker ------------------------------------------------------------------


def grade_one(
    job: Job, limits: Limits, iso: isolation_.Isolation, user: int | None, hidden: Hidden
) -> SubmissionResult:
    """Grade one submission: start its learner's process, run every question and hidden test, end it."""
    from .boundary import Session

    ex = find_exercise(job.key)
    names = sorted({name for q in ex.questions for name in q.needs})
    budget = (len(ex.questions) + len(hidden.tests) + 1) * limits.seconds
    session = Session(job.code, names, limits, iso, user, cpu_seconds=budget)
    try:
        try:
            session.open()
        except Stopped:
            pass  # session.broken says why; every test reports it
        notes, printed = job.notes + session.notes, session.printed_at_start
        trusted = _imports(hidden.imports)
        tests = []
        for q in ex.questions:
            tests.append(_question(q, session, notes, printed))
            notes, printed = [], ""  # what the definitions said, once, with the first question
            for test in (t for t in hidden.tests if t["question"] == q.name):
                tests.append(_hidden(test, session, trusted))
    finally:
        session.end()
    return SubmissionResult(job.path, ex.key, tuple(tests), job.student)


def _question(q: Question, session, notes: list[str], printed: str) -> TestResult:
    title = f"{q.name}: {q.title}"
    with session.test() as run, _watchdog(run.seconds):
        try:
            if session.broken:  # the definitions never ran: say why, not "define a function named ..."
                raise Stopped(session.broken)
            cases = list(q.grade(session.namespace()).results)
        except Stopped as e:
            cases = [Case(q.title, q.points, 0, str(e))]
        except NotImplementedError:
            cases = [Case(q.title, q.points, 0, STUB)]
        except Exception as e:  # noqa: BLE001 - code run outside a case, or the check itself failed
            cases = [Case(q.title, q.points, 0, crash_text(e))]
    lines = [f"{'✓' if c.passed else '✗'} {one_line(c.name, 200)}: {one_line(c.message, 600)}" for c in cases]
    lines += [f"note: {one_line(n)}" for n in notes]
    printed += run.printed
    if printed.strip():
        lines += ["your code printed:", *quoted_block(printed)]
    return TestResult(title, sum(c.earned for c in cases), q.points, "\n".join(lines))


def _hidden(test: dict, session, trusted: dict) -> TestResult:
    with session.test() as run, _watchdog(run.seconds):
        try:
            if session.broken:
                raise Stopped(session.broken)
            case = run_hidden(test, {**trusted, **session.namespace()})
        except Stopped as e:
            case = Case(test["name"], test["points"], 0, str(e))
    lines = [one_line(case.message, 600)]
    if run.printed.strip():
        lines += ["your code printed:", *quoted_block(run.printed)]
    return TestResult(test["name"], case.earned, test["points"], "\n".join(lines), hidden=True)


def _imports(code: str) -> dict:
    namespace: dict = {"__name__": "__hidden_test__"}
    if code:
        exec(compile(code, "<exercise imports>", "exec"), namespace)  # noqa: S102 - the course's own imports
    return namespace


class _Overrun(Stopped):
    """The grader's own side of a test ran far past its budget (a check wandering through a heap the
    learner's code wrecked); the test stops with this reason."""


class _watchdog:
    """A SIGALRM that stops the grader's side of one test after a generous multiple of its budget."""

    def __init__(self, seconds: float) -> None:
        self.seconds = 3 * seconds + 30

    def __enter__(self):
        self.usable = hasattr(signal, "setitimer") and multiprocessing.parent_process() is not None
        if self.usable:

            def ring(signum, frame):
                signal.setitimer(signal.ITIMER_REAL, 5)  # again, until the test is over
                raise _Overrun(f"stopped: grading this test took more than {self.seconds:g} s")

            self.old = signal.signal(signal.SIGALRM, ring)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc) -> None:
        if self.usable:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)


# -- the workers ----------------------------------------------------------------------------------


def _worker(conn, user: int | None, limits: Limits, iso, hidden: dict) -> None:  # pragma: no cover - a worker
    isolation_.become_subreaper()
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    except (ImportError, ValueError, OSError):
        pass
    while True:
        message = conn.recv()
        if message is None:
            return
        index, job = message
        try:
            result = grade_one(job, limits, iso, user, hidden[job.key])
        except BaseException as e:  # noqa: BLE001 - a fault of the grader's: this submission only
            result = _refused(job.path, job.student, f"the grader failed on this submission: {one_line(repr(e))}")
        conn.send((index, result))


def run_jobs(jobs: list[Job], workers: int, limits: Limits, iso, hidden: dict) -> list[SubmissionResult]:
    """Grade the jobs on ``workers`` worker processes; a worker stuck past a job's deadline is replaced."""
    results: list[SubmissionResult | None] = [None] * len(jobs)
    if not jobs:
        return []
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    pending = list(enumerate(jobs))[::-1]
    slots: dict[int, tuple] = {}
    users = isolation_.users(workers) if iso.kind != "weak" else [None] * workers

    def start(slot: int):
        ours, theirs = context.Pipe()
        proc = context.Process(target=_worker, args=(theirs, users[slot], limits, iso, hidden), daemon=True)
        proc.start()
        theirs.close()
        slots[slot] = (proc, ours, None, 0.0)

    def feed(slot: int) -> None:
        proc, conn, _, _ = slots[slot]
        if pending:
            index, job = pending.pop()
            conn.send((index, job))
            questions = len(find_exercise(job.key).questions) + len(hidden[job.key].tests)
            slots[slot] = (proc, conn, index, time.monotonic() + (questions + 2) * limits.seconds * 3 + 120)
        else:
            conn.send(None)
            slots[slot] = (proc, conn, None, 0.0)

    for slot in range(workers):
        start(slot)
        feed(slot)
    while any(s[2] is not None for s in slots.values()):
        busy = {s[1]: slot for slot, s in slots.items() if s[2] is not None}
        sentinels = {s[0].sentinel: slot for slot, s in slots.items() if s[2] is not None}
        soonest = min(s[3] for s in slots.values() if s[2] is not None)
        ready = multiprocessing.connection.wait([*busy, *sentinels], timeout=max(0.0, soonest - time.monotonic()))
        for slot, (proc, conn, index, deadline) in list(slots.items()):
            if index is None:
                continue
            if conn in ready:
                try:
                    got, result = conn.recv()
                except (EOFError, OSError):
                    got, result = index, None
                if result is not None:
                    results[got] = result
                    feed(slot)
                    continue
            if conn in ready or proc.sentinel in ready or time.monotonic() > deadline:
                job = jobs[index]
                why = "it ran too long" if proc.is_alive() else "its worker process died"
                results[index] = _refused(job.path, job.student, f"grading stopped: {why}")
                proc.kill()
                proc.join()
                if users[slot] is not None:
                    isolation_.sweep_user(users[slot])
                start(slot)
                feed(slot)
    for proc, *_ in slots.values():
        proc.join(5)
        if proc.is_alive():
            proc.kill()
    return results  # type: ignore[return-value]
