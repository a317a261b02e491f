"""Scores: one result per test, one per submission, in Gradescope's ``results.json`` shape.

A *test* here is one graded question (or one hidden test of it): a name, a score, the maximum
and the feedback text. A submission's result is the list of its tests; ``as_gradescope()``
gives the object Gradescope's autograder expects (``score``, ``max_score``, ``tests``), plus
the submission's path.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class TestResult:
    """One graded test: ``score`` out of ``max_score``, with feedback in ``output``."""

    __test__ = False  # not a pytest class

    name: str
    score: float
    max_score: float
    output: str = ""
    hidden: bool = False

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "score": round(self.score, 2),
            "max_score": self.max_score,
            "output": self.output,
        }


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    """Every test of one submitted notebook."""

    submission: str
    exercise: str
    tests: tuple[TestResult, ...] = field(default_factory=tuple)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 2)

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

    def text(self) -> str:
        """A short report: the total, then one line per test and its feedback, indented."""
        lines = [f"{self.submission}: {self.score:g}/{self.max_score:g} ({self.exercise})"]
        for t in self.tests:
            lines.append(f"  {t.name}: {t.score:g}/{t.max_score:g}")
            lines += [f"    {line}" for line in t.output.splitlines()]
        return "\n".join(lines)
