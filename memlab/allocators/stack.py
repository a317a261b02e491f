"""Stack allocation: last in, first out, with frames, like a program's call stack.

Follows the machine stack of x86-64 and the *stack allocators* of game engines (Gregory, *Game
Engine Architecture*, "stack-based allocators" with markers). A stack is a buffer and one
pointer, the **stack pointer** ``sp``. Allocating moves ``sp`` up past the (aligned) request;
freeing moves it back, and only the block on top can be freed. There is nothing to search and
nothing to merge, which is why stack allocation is the fastest there is.

Frames work as on x86-64 with frame pointers: a frame record holds the saved frame pointer, and
popping a frame frees all of its blocks in one store to ``sp``. The chain of saved frame pointers
is in the simulated bytes, so a hexdump shows it. Real code keeps that chain only where it is
compiled to: GCC and Clang omit the frame pointer at ``-O2`` on x86-64 (``-fomit-frame-pointer``;
GCC 12 emits no ``mov %rsp, %rbp`` there), and debuggers then unwind the stack with the DWARF call
frame information (``.eh_frame``) that the compiler writes beside the code.

Misuse is a typed error that changes nothing: freeing a block below the top raises
:class:`~memlab.errors.OutOfOrderFree` naming the block that is on top; running past the end
raises :class:`StackOverflow` (Linux's default limit for the main thread is 8 MiB,
``ulimit -s``); popping a frame that was never pushed raises :class:`StackUnderflow`.

Simplifications: the machine stack grows *down* from high addresses; this one grows up, as game
engine stack allocators do (the order of addresses does not change the idea). Return addresses
are not stored. Zig ships no ``stack_allocator``; its nearest relatives are the
FixedBufferAllocator (``bump``) and ``stackFallback``.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import BadSize, InvalidFree, OutOfMemory, OutOfOrderFree, describe_block
from ..events import Event
from ..memory import WORD, align_up
from .base import ALLOCATED, DEAD, FREE, METADATA, Allocator, Block, HeapSnapshot, machine

# -- Frames on a stack: the saved frame pointer chain of x86-64, and popping a frame at once.
#
# :meth:`Stack.push_frame` stores the address of the previous frame record (the *saved frame
# pointer*, 0 for the outermost frame) in one word on top of the stack, as a function prologue
# does with ``push rbp``; :meth:`Stack.pop_frame` frees every block above that record with one
# store to ``sp``, the way a return drops all of a function's locals. Game-engine stack allocators
# (Gregory, *Game Engine Architecture*) roll back to a *marker* the same way. Return addresses are
# not stored.


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


class StackOverflow(OutOfMemory):
    """An allocation (or a frame) that would run past the end of the stack."""


@dataclass(frozen=True, slots=True)
class StackSnapshot(HeapSnapshot):
    """A heap snapshot plus the stack pointer and the open frames (outermost first)."""

    sp: int = 0
    limit: int = 0
    frames: tuple[StackFrame, ...] = ()


class Stack(Allocator):
    """LIFO stack allocator with frames (the call stack; game-engine stack allocators)."""

    name = "stack"

    def __init__(self, size: int = 4096, **kw) -> None:
        if type(size) is not int or size <= 0:
            raise BadSize(f"stack size={size!r}: the stack needs a positive number of bytes")
        if "os" not in kw and "limit" not in kw:  # a machine just large enough for the stack
            kw["os"] = machine(self.name, "size", size, align_up(size, 4096) + (64 << 10))
        super().__init__(**kw)
        with self._option(size=size):
            self.base, self.size = self._mmap(size), size
        self.sp = self.base
        self._blocks: list[tuple[int, int, int]] = []  # (address, size, sp before), bottom first
        self._frames: list[StackFrame] = []
        self._cache: tuple[tuple, list[Block]] = ((), [])

    @property
    def limit(self) -> int:
        """The first address past the stack."""
        return self.base + self.size

    @property
    def depth(self) -> int:
        """Bytes in use, from the base to the stack pointer."""
        return self.sp - self.base

    # -- the algorithm ----------------------------------------------------------------------
    def _room(self, address: int, size: int, what: str) -> None:
        if address + size > self.limit:
            raise StackOverflow(
                f"stack overflow: {what} at {address:#x} would end {address + size - self.limit} bytes "
                f"past the {self.size}-byte stack (limit {self.limit:#x})",
                address=address,
            )

    def _alloc(self, size: int, align: int) -> int:
        address = align_up(self.sp, align)
        self._room(address, size, f"{size} bytes")
        self._blocks.append((address, size, self.sp))
        self.sp = address + size
        return address

    def _top(self) -> str:
        """The thing on top of the stack, in words, for error messages."""
        if not self._blocks:
            return "nothing"
        address, size, _ = self._blocks[-1]
        if self._frames and self._frames[-1].address == address:
            frame = self._frames[-1]
            return f"the frame {frame.name!r} pushed at step {frame.step}; pop_frame() first"
        return f"the block {describe_block(address, size, 'allocated', self._live[address][1])}"

    def _on_top(self, address: int) -> bool:
        return bool(self._blocks) and self._blocks[-1][0] == address

    def _free(self, address: int, size: int) -> None:
        if not self._on_top(address):
            raise OutOfOrderFree(
                f"free of {address:#x} out of order: a stack frees only its top, and the top is {self._top()}",
                address=address,
            )
        self.sp = self._blocks.pop()[2]

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        if not self._on_top(address) or address + new_size > self.limit:
            return False
        self._blocks[-1] = (address, new_size, self._blocks[-1][2])
        self.sp = address + new_size
        return True

    def realloc(self, address: int | None, new_size: int) -> int:
        """Only the top block can change size, in place: moving a block would free it out of order."""
        if not address:
            return self.alloc(new_size)
        self.step += 1
        old = self._live_size(address, "realloc")
        self._valid_size(new_size)
        if not self._on_top(address):
            raise OutOfOrderFree(
                f"realloc of {address:#x} would free it out of order: the top is {self._top()}",
                address=address,
                step=self.step,
            )
        self._with_step(self._room, address, new_size, f"growing the top block to {new_size} bytes")
        self._resize_in_place(address, old, new_size)
        self._counts["reallocs"] += 1
        return address

    # -- views ----------------------------------------------------------------------------
    def layout(self) -> list[Block]:
        key = (self.step, self.sp, len(self._blocks), len(self._live), self._live_bytes)
        if self._cache[0] != key:
            self._cache = (key, self._layout())
        return list(self._cache[1])

    def _layout(self) -> list[Block]:
        blocks, cursor = [], self.base
        names = {f.address: f.name for f in self._frames}
        for address, size, _ in self._blocks:
            if address > cursor:
                blocks.append(Block(cursor, address - cursor, DEAD, "alignment padding"))
            if address in names:
                blocks.append(Block(address, size, METADATA, f"frame {names[address]!r}: saved frame pointer"))
            else:
                blocks.append(Block(address, size, ALLOCATED, requested=size))
            cursor = address + size
        if self.limit > cursor:
            blocks.append(Block(cursor, self.limit - cursor, FREE, "unused stack"))
        return blocks

    def extent(self) -> tuple[int, int]:
        return self.base, self.limit

    def reclaimed(self) -> bool:
        return not self._live and not self._frames and self.sp == self.base

    def snapshot(self) -> StackSnapshot:
        b = super().snapshot()
        return StackSnapshot(b.blocks, b.start, b.end, b.stats, b.data, self.sp, self.limit, tuple(self._frames))

    def _check(self) -> None:
        if not self.base <= self.sp <= self.limit:
            self._corrupt(f"stack pointer {self.sp:#x} outside the stack [{self.base:#x}, {self.limit:#x})", self.sp)
        end = self._blocks[-1][0] + self._blocks[-1][1] if self._blocks else self.base
        if end != self.sp:
            self._corrupt(f"stack pointer {self.sp:#x} is not the end of the top block {end:#x}", self.sp)
        saved = 0
        for frame in self._frames:
            if self.memory.read_word(frame.address) != saved:
                self._corrupt(f"frame {frame.name!r} lost its saved frame pointer {saved:#x}", frame.address)
            saved = frame.address

    # -- frames: the saved frame-pointer chain, and popping a frame at once --------------------

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


__all__ = ["PopFrame", "PushFrame", "Stack", "StackFrame", "StackOverflow", "StackSnapshot", "StackUnderflow"]
