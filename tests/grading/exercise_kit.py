"""What the exercise tests share: a solution's definitions, and one question graded on given answers."""

from __future__ import annotations

import textwrap
from pathlib import Path

from memlab.grading.checks import exercise
from memlab.grading.notebook import define, read

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"


def solution_path(key: str) -> Path:
    return SOLUTIONS / f"{exercise(key).key}.ipynb"


def answers(key: str, *code: str) -> dict:
    """The solution's definitions, then each piece of ``code`` (a learner's answer) run over them."""
    namespace = define(read(solution_path(key))).namespace
    for source in code:
        exec(textwrap.dedent(source), namespace)
    return namespace


def graded(key: str, question: str, namespace: dict) -> tuple[float, str]:
    """(points earned, the messages) for ``question`` of exercise ``key`` on these answers."""
    cases = exercise(key).question(question).grade(namespace)
    return cases.earned, "\n".join(c.message for c in cases.results)


def exercise_path(key: str) -> Path:
    return SOLUTIONS.parent / "exercises" / f"{exercise(key).key}.ipynb"
