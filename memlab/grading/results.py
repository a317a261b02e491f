"""Scores: one result per test, one per submission; Gradescope's ``results.json`` and Canvas's gradebook.

A *test* is one graded question or one hidden test: a name, a score, the maximum and the feedback
text. Every score is checked where it is made: a number, at least 0 and at most its test's
maximum (anything else is clamped), so no total can pass the maximum.

* :meth:`SubmissionResult.as_gradescope` is one object per submission (``memlab grade --json``);
  :meth:`SubmissionResult.results_json` is the ``results.json`` of Gradescope's autograder
  specification: ``score``, ``execution_time``, ``output`` and ``tests``, each test with
  ``name``, ``score``, ``max_score``, ``output``, ``output_format`` and ``visibility`` (hidden
  tests ``after_published``: shown once the instructor publishes the grades).
* :func:`canvas_csv` is a gradebook in the shape Canvas exports and imports: the columns
  ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, one column per exercise, a
  ``Points Possible`` row, then one row per student.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

from .sanitize import one_line

VISIBLE, HIDDEN = "visible", "after_published"


def clamp(score: object, maximum: float) -> float:
    """``score`` as a number in [0, maximum]; anything that is not a finite number counts 0."""
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
        return 0.0
    return float(min(max(score, 0.0), maximum))


@dataclass(frozen=True, slots=True)
class TestResult:
    """One graded test: ``score`` out of ``max_score`` (clamped on creation), with feedback in ``output``."""

    __test__ = False  # not a pytest class

    name: str
    score: float
    max_score: float
    output: str = ""
    hidden: bool = False

    def __post_init__(self) -> None:
        maximum = self.max_score
        if isinstance(maximum, bool) or not isinstance(maximum, (int, float)) or not 0 <= maximum < 1e6:
            raise ValueError(f"test {self.name!r}: a maximum of {maximum!r} points")
        object.__setattr__(self, "max_score", float(maximum))
        object.__setattr__(self, "score", clamp(self.score, float(maximum)))

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "score": round(self.score, 2),
            "max_score": self.max_score,
            "output": self.output,
            "output_format": "text",
            "visibility": HIDDEN if self.hidden else VISIBLE,
        }


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    """Every test of one submitted notebook, and who submitted it (for a gradebook)."""

    submission: str
    exercise: str
    tests: tuple[TestResult, ...] = field(default_factory=tuple)
    student: str = ""

    @property
    def score(self) -> float:
        return round(clamp(sum(t.score for t in self.tests), self.max_score), 2)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    def as_gradescope(self) -> dict:
        return {
            "submission": self.submission,
            "exercise": self.exercise,
            "score": self.score,
            "max_score": self.max_score,
            "tests": [t.as_dict() for t in self.tests],
        }

    def results_json(self, execution_time: float, output: str = "") -> dict:
        """The ``results.json`` object of Gradescope's autograder specification."""
        return {
            "score": self.score,
            "execution_time": max(0, round(execution_time)),
            "output": output,
            "tests": [t.as_dict() for t in self.tests],
        }

    def text(self) -> str:
        """A short report: the total, then one line per test and its feedback, indented."""
        lines = [f"{one_line(self.submission)}: {self.score:g}/{self.max_score:g} ({one_line(self.exercise)})"]
        for t in self.tests:
            lines.append(f"  {one_line(t.name)}: {t.score:g}/{t.max_score:g}")
            lines += [f"    {line}" for line in t.output.splitlines()]
        return "\n".join(lines)


def canvas_csv(results: list[SubmissionResult], titles: dict[str, str]) -> str:
    """A Canvas gradebook: one row per student, one column per exercise (the best score if several)."""
    exercises = sorted({r.exercise for r in results if r.exercise in titles})
    students: dict[str, dict[str, float]] = {}
    for r in results:
        row = students.setdefault(r.student or r.submission, {})
        if r.exercise in titles:
            row[r.exercise] = max(row.get(r.exercise, 0.0), r.score)
    possible = {key: 0.0 for key in exercises}
    for r in results:
        if r.exercise in possible:
            possible[r.exercise] = max(possible[r.exercise], r.max_score)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *(titles[k] for k in exercises)])
    writer.writerow(["Points Possible", "", "", "", "", *(f"{possible[k]:g}" for k in exercises)])
    for student in sorted(students):
        scores = students[student]
        cells = [f"{scores[k]:g}" if k in scores else "" for k in exercises]
        writer.writerow([_cell(student), "", "", _cell(student), "", *cells])
    return out.getvalue()


def _cell(text: str) -> str:
    """A student's folder name as a spreadsheet cell: one line, and never a formula."""
    text = one_line(text, 200)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
