"""Graded exercises: checks with instant feedback, a builder, an isolated batch grader, and Gradescope.

* In a notebook: ``from memlab.grading import check`` then ``check("04")``: the checks run on the
  learner's own functions in the learner's own kernel (they trust the learner). This path starts no
  process and no thread, so it works in a browser-only Python (Pyodide, JupyterLite).
* Instructors: ``memlab exercises build`` makes ``exercises/`` (for learners) and ``solutions/``
  from ``exercises/source/``; ``memlab exercises release OUT`` writes a student bundle without
  solutions or hidden tests; ``memlab grade SUBMISSION... [--json|--csv] [--exercise NN]`` grades
  a class with the checks in the grader and each submission's code in an isolated process
  (:mod:`.boundary`, :mod:`.isolation`); ``memlab exercises autograder NN`` writes a Gradescope
  autograder (:mod:`.autograder`).
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
