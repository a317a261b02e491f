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
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

STUB = "not written yet: replace `raise NotImplementedError` with your code"


class Failed(Exception):
    """A case found a wrong result; the message says what and where."""


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
    """``TypeError: ... (your code, cell 3 line 5)``: the exception and the learner's last line in it."""
    where = ""
    for frame in reversed(traceback.extract_tb(e.__traceback__)):
        if frame.filename.startswith("<cell"):
            where = f" (in your code, {frame.filename[1:-1]} line {frame.lineno})"
            break
    text = str(e)
    if len(text) > 300:
        text = text[:300] + "..."
    return f"raised {type(e).__name__}: {text}{where}"


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
