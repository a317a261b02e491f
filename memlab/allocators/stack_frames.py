"""Frames on a stack: the saved frame pointer chain of x86-64, and popping a frame at once.

:meth:`Frames.push_frame` stores the address of the previous frame record (the *saved frame
pointer*, 0 for the outermost frame) in one word on top of the stack, as a function prologue
does with ``push rbp``; :meth:`Frames.pop_frame` frees every block above that record with one
store to ``sp``, the way a return drops all of a function's locals. Game-engine stack allocators
(Gregory, *Game Engine Architecture*) roll back to a *marker* the same way. Return addresses are
not stored.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import InvalidFree
from ..events import Event
from ..memory import WORD, align_up


class StackUnderflow(InvalidFree):
    """pop_frame() with no frame pushed."""


@dataclass(frozen=True, slots=True)
class StackFrame:
    """A frame record: where its saved frame pointer lives, its name, the step it was pushed."""

    address: int
    name: str
    step: int


@dataclass(frozen=True, slots=True)
class PushFrame(Event):
    address: int
    name: str
    saved: int

    def describe(self) -> str:
        return f"push frame {self.name!r}: the saved frame pointer {self.saved:#x} is stored at {self.address:#x}"


@dataclass(frozen=True, slots=True)
class PopFrame(Event):
    address: int
    name: str
    blocks: int
    size: int

    def describe(self) -> str:
        s = "" if self.blocks == 1 else "s"
        return (
            f"pop frame {self.name!r}: {self.blocks} block{s} ({self.size} bytes) freed at once, "
            f"the stack pointer moves back to {self.address:#x}"
        )


class Frames:
    """push_frame, pop_frame and ``with stack.frame()`` of a :class:`~.stack.Stack` (a mixin)."""

    @property
    def frames(self) -> list[StackFrame]:
        """The open frames, outermost first."""
        return list(self._frames)

    def push_frame(self, name: str = "") -> StackFrame:
        """Store the saved frame pointer on top of the stack and open a new frame."""
        self.step += 1
        name = name or f"frame {len(self._frames) + 1}"
        address = align_up(self.sp, WORD)
        self._with_step(self._room, address, WORD, f"the frame record of {name!r}")
        saved = self._frames[-1].address if self._frames else 0
        self.memory.write_word(address, saved)
        frame = StackFrame(address, name, self.step)
        self._frames.append(frame)
        self._blocks.append((address, WORD, self.sp))
        self.sp = address + WORD
        if self.recorder is not None:
            self._emit(PushFrame(self.step, address, name, saved))
        return frame

    def pop_frame(self) -> StackFrame:
        """Free every block of the innermost frame and its record: one store to ``sp``."""
        self.step += 1
        if not self._frames:
            raise StackUnderflow("pop_frame() with no frame pushed", step=self.step)
        frame = self._frames.pop()
        count = size = 0
        while True:
            address, n, before = self._blocks.pop()
            if address == frame.address:
                break
            del self._live[address]
            self._freed[address] = self.step
            count, size = count + 1, size + n
        self.sp = before
        self._counts["frees"] += count
        self._live_bytes -= size
        if self.recorder is not None:
            self._emit(PopFrame(self.step, self.sp, frame.name, count, size))
        return frame

    @contextmanager
    def frame(self, name: str = ""):
        """``with stack.frame("f"):`` pushes a frame and pops it on the way out, even on an error."""
        pushed = self.push_frame(name)
        try:
            yield pushed
        finally:
            if pushed in self._frames:
                while self._frames[-1] is not pushed:
                    self.pop_frame()
                self.pop_frame()
