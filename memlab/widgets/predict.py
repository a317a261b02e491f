"""Predict mode: the player asks before it shows.

OSTEP's ``malloc.py -c`` homework hides the heap until the student has predicted it; a memlab
player does the same at the steps a notebook marks. Stepping or playing towards frame ``step``
stops one frame before it, on the state the question is about, and asks. The learner answers,
sees *right* or *not quite* with the reason, and a running score; then the player shows the step.
Answers travel with the frames and are checked in the browser, so predict mode works with no
kernel (an exported page, a lecture hall). ``show me`` skips a question without scoring it.

Two kinds of question, one class::

    from memlab.viz import keys
    from memlab.widgets import Ask, heap_player

    heap_player(rec.recording, predict=[
        # choose one of several answers
        Ask(step=9, question="Which of the four coalescing cases is this?",
            choices=["case 1", "case 2", "case 3", "case 4"], answer="case 3",
            why="the left neighbour is free and the right one allocated"),
        # click a shape in the picture: the answer is its stable id (see memlab.viz.keys)
        Ask(step=4, question="Click the block that first fit will take.",
            answer=keys.block(0x1010), why="it is the first free block big enough"),
        # several answers (a list): the learner picks all of them, then presses "check"
        Ask(step=12, question="Click every object that is garbage.",
            answer=[keys.obj(1), keys.obj(2)], why="no variable reaches them"),
    ])

``answer`` is a string for one answer, a list (or tuple, or set) for several; with ``choices``
the answers are among them, without ``choices`` they are the keys of shapes drawn in the frame
before ``step``. The shapes that can be clicked are those of the answer's kind (every block, or
every object), or exactly the keys listed in ``among``; a "click every" question may have no
answer at all ("click every object that is freed" when none is), and then needs ``among``.
The player checks every question when it is built and raises :class:`~memlab.errors.BadRequest`
naming the step if a question cannot be answered.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from ..errors import BadRequest


def _answers(answer: str | Collection[str]) -> tuple[str, ...]:
    if isinstance(answer, str):
        return (answer,)
    return tuple(sorted(answer)) if isinstance(answer, (set, frozenset)) else tuple(answer)


@dataclass(frozen=True)
class Ask:
    """A question asked before frame ``step`` is shown (see the module's docstring)."""

    step: int
    question: str
    answer: str | Collection[str]
    why: str
    choices: Sequence[str] = field(default=())
    among: Sequence[str] = field(default=())

    @property
    def answers(self) -> tuple[str, ...]:
        """The right answers, as a tuple."""
        return _answers(self.answer)

    @property
    def kind(self) -> str:
        """``"choose"`` (buttons with the choices) or ``"click"`` (shapes in the picture)."""
        return "choose" if self.choices else "click"

    @property
    def several(self) -> bool:
        """Whether the learner picks several answers (and presses "check") rather than one."""
        return not isinstance(self.answer, str)

    def check(self, frames: int, before: str) -> None:
        """Raise :class:`BadRequest` unless this question can be asked in a recording of ``frames``
        frames whose frame ``step - 1`` is drawn as ``before``."""

        def bad(problem: str) -> BadRequest:
            return BadRequest(f"predict question {self.question!r}: {problem}", step=self.step)

        if not 1 <= self.step < frames:
            raise bad(f"step {self.step} is not a step of this recording (1 to {frames - 1})")
        if not self.question.strip() or not self.why.strip():
            raise bad("a question needs its words and a reason ('why')")
        if not self.answers and not (self.several and self.among and not self.choices):
            raise bad("no answer given (a 'click every' question with none needs the shapes to click, 'among')")
        if self.choices:
            if len(set(self.choices)) != len(self.choices) or len(self.choices) < 2:
                raise bad(f"choices must be two or more different answers, not {list(self.choices)}")
            wrong = [a for a in self.answers if a not in self.choices]
            if wrong:
                raise bad(f"the answer {wrong[0]!r} is not one of the choices {list(self.choices)}")
            return
        drawn = set(re.findall(r'data-key="([^"#]+)', before))
        outside = [a for a in self.answers if self.among and a not in self.among]
        if outside:
            raise bad(f"the answer {outside[0]!r} is not one of the shapes to click, {list(self.among)}")
        missing = [a for a in (*self.answers, *self.among) if a not in drawn]
        if missing:
            kind = missing[0].split(":")[0] + ":"
            like = sorted(k for k in drawn if k.startswith(kind))[:8]
            raise bad(
                f"no shape {missing[0]!r} is drawn in frame {self.step - 1}, the frame the question is asked on"
                f" (shapes of that kind there: {', '.join(like) or 'none'})"
            )

    def data(self) -> dict:
        """What the browser needs: plain JSON."""
        return {
            "step": self.step,
            "question": self.question,
            "kind": self.kind,
            "choices": list(self.choices),
            "among": list(self.among),
            "answers": list(self.answers),
            "several": self.several,
            "why": self.why,
        }


__all__ = ["Ask"]
