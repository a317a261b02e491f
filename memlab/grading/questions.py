"""How an exercise is checked: exercises, questions, and the cases each question tries.

An :class:`Exercise` has questions; a :class:`Question` names the functions the learner writes
and a check that runs them on memlab's real allocators and object heaps. The check tries
*cases*, each worth some points, through :class:`Cases`::

    def run(fns):
        cases = Cases()
        with cases.case("case 3: the previous block is free", 1):
            ...                                  # build a heap, call fns["coalesce"]
            cases.expect(tag == 48, f"the header at {addr:#x} still says {tag}")
        return cases

A case that fails an ``expect``, raises, or is still a stub scores 0 with a message saying why;
the others keep their points, so one mistake costs only its own case.

In ``memlab grade`` the functions in ``fns`` are stand-ins that run the learner's code in another,
isolated process (:mod:`.boundary`). When that code cannot answer (it hangs, crashes, floods its
output or answers with something that is not plain data), the stand-in raises :class:`Stopped`:
a ``BaseException``, so a check's own ``except Exception`` cannot mistake it for the error a case
expects, and the case scores 0 with the reason.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .sanitize import one_line

STUB = "not written yet: replace `raise NotImplementedError` with your code"


class Failed(Exception):
    """A case found a wrong result; the message says what and where."""


class Stopped(BaseException):
    """The learner's code could not finish this case (time, a crash, output, an answer that is not
    plain data); the message says why. Not an ``Exception``: no check can catch it by accident."""


class LearnerError(Exception):
    """Stands in for an exception of a class the learner defined, raised in the isolated process.

    :func:`raised_as` makes one subclass per class name, so feedback still names the learner's class.
    """

    learner_type = "LearnerError"


_LEARNER_ERRORS: dict[str, type[LearnerError]] = {}


def raised_as(name: str) -> type[LearnerError]:
    """A :class:`LearnerError` subclass called ``name`` (a learner's own exception class)."""
    if name not in _LEARNER_ERRORS:
        _LEARNER_ERRORS[name] = type(name, (LearnerError,), {"learner_type": name, "__module__": __name__})
    return _LEARNER_ERRORS[name]


@dataclass(frozen=True, slots=True)
class Case:
    """The outcome of one case."""

    name: str
    points: float
    earned: float
    message: str

    @property
    def passed(self) -> bool:
        return self.earned >= self.points


@dataclass
class Cases:
    """The outcomes of a question's cases, collected in order."""

    results: list[Case] = field(default_factory=list)

    @contextmanager
    def case(self, name: str, points: float = 1) -> Iterator[None]:
        """Run one case; a failure, an exception or a stub costs this case only."""
        try:
            yield
        except Stopped as e:
            self.results.append(Case(name, points, 0, str(e)))
        except Failed as e:
            self.results.append(Case(name, points, 0, str(e)))
        except NotImplementedError:
            self.results.append(Case(name, points, 0, STUB))
        except Exception as e:  # noqa: BLE001 - the learner's code may raise anything
            self.results.append(Case(name, points, 0, crash_text(e)))
        else:
            self.results.append(Case(name, points, points, "ok"))

    def expect(self, condition: object, message: str) -> None:
        """Fail the current case with ``message`` unless ``condition`` holds."""
        if not condition:
            raise Failed(message)

    @property
    def earned(self) -> float:
        return sum(c.earned for c in self.results)

    @property
    def points(self) -> float:
        return sum(c.points for c in self.results)


def crash_text(e: BaseException) -> str:
    """``raised TypeError: ... (in your code, cell 3 line 5)``: the exception and the learner's last line in it.

    The message is the learner's text, so it is shown on one line with its control characters escaped.
    """
    where = getattr(e, "learner_where", "")
    if not where:
        for frame in reversed(traceback.extract_tb(e.__traceback__)):
            if frame.filename.startswith("<cell"):
                where = f"{frame.filename[1:-1]} line {frame.lineno}"
                break
    where = f" (in your code, {where})" if where else ""
    return f"raised {type(e).__name__}: {one_line(e)}{where}"


Run = Callable[[dict], Cases]


@dataclass(frozen=True)
class Question:
    """One graded question: the learner's function names, the points, and the check."""

    name: str
    title: str
    needs: tuple[str, ...]
    points: float
    run: Run

    def grade(self, namespace: dict) -> Cases:
        """Run the check on the learner's definitions; missing names score 0 with a message."""
        missing = [n for n in self.needs if not callable(namespace.get(n))]
        if missing:
            cases = Cases()
            cases.results.append(Case(self.title, self.points, 0, f"define a function named {missing[0]}()"))
            return cases
        cases = self.run({n: namespace[n] for n in self.needs})
        if abs(cases.points - self.points) > 1e-9:
            raise AssertionError(f"question {self.name}: cases are worth {cases.points}, declared {self.points}")
        return cases


@dataclass(frozen=True)
class Exercise:
    """An exercise: its notebook's name (``04_coalescing_and_boundary_tags``) and its questions."""

    key: str
    title: str
    questions: tuple[Question, ...]

    @property
    def number(self) -> str:
        return self.key[:2]

    def question(self, name: str) -> Question:
        for q in self.questions:
            if q.name == name:
                return q
        raise KeyError(f"exercise {self.key} has no question {name!r}")

    @property
    def points(self) -> float:
        return sum(q.points for q in self.questions)
