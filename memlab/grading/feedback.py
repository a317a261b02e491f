"""Instant feedback in the notebook: ``check("04")`` grades the learner's functions on the spot.

It runs the same checks as ``memlab grade`` (without the hidden tests), in the notebook's own
process, under a time limit so an endless loop ends with a message instead of a frozen kernel:
``SIGALRM`` where the platform has ``alarm()``; elsewhere (the browser course: Pyodide has
neither threads nor ``alarm()``) a ``sys.monitoring`` watch (Python 3.12+) on the learner's loops,
which looks at the clock on every backward jump outside memlab's own code.
The result shows as a short table in the notebook and as plain text elsewhere.
"""

from __future__ import annotations

import inspect
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape

from .checks import exercise as find_exercise
from .questions import Case

TIME_LIMIT = 20


class TooSlow(BaseException):
    """The check ran past its time limit (a BaseException, so a case's ``except Exception`` lets it through)."""


def _stop(seconds: int) -> TooSlow:
    return TooSlow(f"stopped after {seconds} s: your code never finished (an endless loop?)")


@contextmanager
def _alarm(seconds: int):
    usable = hasattr(signal, "alarm") and threading.current_thread() is threading.main_thread()
    if not usable:  # Pyodide defines SIGALRM, but has no alarm()
        with _watch_loops(seconds):
            yield
        return

    def ring(signum, frame):
        raise _stop(seconds)

    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


_MEMLAB = __file__.rsplit("grading", 1)[0]  # memlab's own folder: its loops are not the learner's


@contextmanager
def _watch_loops(seconds: int):
    """Raise TooSlow from the first backward jump (a loop going round) after ``seconds``."""
    monitoring = getattr(sys, "monitoring", None)
    tool = None if monitoring is None else next((t for t in (4, 3) if monitoring.get_tool(t) is None), None)
    if tool is None:  # Python before 3.12, or no free tool id: no limit
        yield
        return
    deadline = time.monotonic() + seconds

    def jumped(code, offset, destination):
        if code.co_filename.startswith(_MEMLAB):
            return monitoring.DISABLE  # never asked again for this jump
        if destination < offset and time.monotonic() > deadline:
            raise _stop(seconds)
        return None

    monitoring.use_tool_id(tool, "memlab check")
    try:
        monitoring.register_callback(tool, monitoring.events.JUMP, jumped)
        monitoring.set_events(tool, monitoring.events.JUMP)
        yield
    finally:
        monitoring.set_events(tool, 0)
        monitoring.register_callback(tool, monitoring.events.JUMP, None)
        monitoring.free_tool_id(tool)


@dataclass(frozen=True)
class Feedback:
    """The outcome of every question of an exercise: (question title, points, cases)."""

    exercise: str
    questions: tuple[tuple[str, float, tuple[Case, ...]], ...]

    @property
    def score(self) -> float:
        return sum(min(p, sum(c.earned for c in cs)) for _, p, cs in self.questions)

    @property
    def max_score(self) -> float:
        return sum(p for _, p, _ in self.questions)

    def __str__(self) -> str:
        lines = [f"{self.exercise}: {self.score:g}/{self.max_score:g} points"]
        for title, points, cases in self.questions:
            lines.append(f"{title}: {min(points, sum(c.earned for c in cases)):g}/{points:g}")
            lines += [f"  {'✓' if c.passed else '✗'} {c.name}: {c.message}" for c in cases]
        if self.score == self.max_score:
            lines.append("All visible checks pass. (Grading may run a few more, hidden ones.)")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = []
        for title, points, cases in self.questions:
            got = min(points, sum(c.earned for c in cases))
            rows.append(f"<tr><th colspan='2' style='text-align:left'>{escape(title)}: {got:g}/{points:g}</th></tr>")
            for c in cases:
                mark = "<span style='color:#009E73'>✓</span>" if c.passed else "<span style='color:#D55E00'>✗</span>"
                rows.append(
                    f"<tr><td>{mark} {escape(c.name)}</td><td style='text-align:left'>{escape(c.message)}</td></tr>"
                )
        head = f"<b>{escape(self.exercise)}: {self.score:g}/{self.max_score:g} points</b>"
        return f"<div class='memlab-feedback'>{head}<table>{''.join(rows)}</table></div>"


def check(exercise: str, namespace: dict | None = None, *, time_limit: int = TIME_LIMIT) -> Feedback:
    """Check the learner's functions for ``exercise`` (default namespace: the caller's globals)."""
    ex = find_exercise(exercise)
    if namespace is None:
        namespace = inspect.currentframe().f_back.f_globals  # type: ignore[union-attr]
    results = []
    for q in ex.questions:
        try:
            with _alarm(time_limit):
                cases = tuple(q.grade(namespace).results)
        except TooSlow as e:
            cases = (Case(q.title, q.points, 0, str(e)),)
        except RecursionError:
            cases = (Case(q.title, q.points, 0, "stopped: endless recursion"),)
        results.append((f"{q.name}: {q.title}", q.points, cases))
    return Feedback(ex.key, tuple(results))
