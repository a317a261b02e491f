"""Graded exercises: checks with instant feedback, a builder, and a sandboxed batch grader.

* In a notebook: ``from memlab.grading import check`` then ``check("04")``.
* Instructors: ``memlab exercises build`` makes ``exercises/`` (for learners) and
  ``solutions/`` from ``exercises/source/``; ``memlab grade SUBMISSION... [--json|--csv]``
  grades notebooks, each question in its own process with time and output limits.
"""

from .feedback import Feedback, check
from .limits import Limits
from .questions import Case, Cases, Exercise, Question
from .results import SubmissionResult, TestResult

__all__ = [
    "Case",
    "Cases",
    "Exercise",
    "Feedback",
    "Limits",
    "Question",
    "SubmissionResult",
    "TestResult",
    "check",
]
