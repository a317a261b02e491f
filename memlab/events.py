"""What happened: events, and recordings of them that can be stepped forwards and backwards.

This is the seam that makes every algorithm animatable. Algorithms *emit* events; a
:class:`Recorder` attached to a source (an allocator, an object graph) stores each event with a
snapshot of the source taken right after it. Views only ever *replay* a :class:`Recording`.

Emitting is free when nobody records: sources keep ``recorder = None`` and guard each emission
with ``if self.recorder is not None``, so no event object is even built.

Events are small frozen dataclasses; ``describe()`` says what happened in words. Other modules
add their own event types by subclassing :class:`Event`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened at ``step`` (the source's operation counter)."""

    step: int

    @property
    def kind(self) -> str:
        """The event type in lower case: ``"alloc"``, ``"split"``, ... (or the class's ``KIND``)."""
        return getattr(type(self), "KIND", None) or type(self).__name__.lower()

    def describe(self) -> str:
        """One line in plain words."""
        values = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)[1:])
        return f"{self.kind} {values}".strip()


@dataclass(frozen=True, slots=True)
class Alloc(Event):
    address: int
    size: int
    block_size: int = 0

    def describe(self) -> str:
        cost = f" (block of {self.block_size} bytes)" if self.block_size else ""
        return f"alloc {self.size} bytes at {self.address:#x}{cost}"


@dataclass(frozen=True, slots=True)
class Free(Event):
    address: int
    size: int

    def describe(self) -> str:
        return f"free the {self.size}-byte block at {self.address:#x}"


@dataclass(frozen=True, slots=True)
class Split(Event):
    address: int
    size: int
    first: int
    second: int

    def describe(self) -> str:
        return f"split {self.size}-byte free block at {self.address:#x} into {self.first} + {self.second}"


@dataclass(frozen=True, slots=True)
class Coalesce(Event):
    address: int
    size: int
    parts: tuple[int, ...]
    case: int = 0
    told: int = 0  # a heap without allocated footers: the header after the block, told "free on your left"

    def describe(self) -> str:
        case = f"case {self.case}: " if self.case else ""
        told = f"; the header at {self.told:#x} now says the block to its left is free" if self.told else ""
        if len(self.parts) == 1:
            where = f"the {self.size}-byte free block at {self.address:#x}"
            return f"{case}no free neighbour, so {where} stays as it is{told}"
        joined = " + ".join(str(p) for p in self.parts)
        return f"{case}coalesce {joined} into one {self.size}-byte free block at {self.address:#x}{told}"


@dataclass(frozen=True, slots=True)
class Grow(Event):
    address: int
    size: int
    how: str = "sbrk"

    def describe(self) -> str:
        return f"grow: {self.how} gives {self.size} bytes at {self.address:#x}"


@dataclass(frozen=True, slots=True)
class Shrink(Event):
    address: int
    size: int
    how: str = "munmap"

    def describe(self) -> str:
        return f"shrink: {self.how} returns {self.size} bytes at {self.address:#x}"


@dataclass(frozen=True, slots=True)
class Resize(Event):
    address: int
    old_size: int
    new_size: int

    def describe(self) -> str:
        return f"resize the block at {self.address:#x} in place: {self.old_size} -> {self.new_size} bytes"


@dataclass(frozen=True, slots=True)
class Move(Event):
    old_address: int
    new_address: int
    size: int

    def describe(self) -> str:
        return f"realloc moves {self.size} bytes from {self.old_address:#x} to {self.new_address:#x}"


@dataclass(frozen=True, slots=True)
class Reset(Event):
    mode: str = "free_all"

    def describe(self) -> str:
        return f"reset ({self.mode}): every block is gone at once"


@dataclass(frozen=True, slots=True)
class Note(Event):
    """Free text, for steps that need no type of their own."""

    text: str

    def describe(self) -> str:
        return self.text


class Source(Protocol):
    """Anything that can be recorded: it has a ``recorder`` slot and takes snapshots."""

    recorder: Callable[[Event], None] | None

    def snapshot(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class Frame:
    """One step of a recording: the event (None for the initial state) and the state after it."""

    index: int
    event: Event | None
    snapshot: Any

    def describe(self) -> str:
        return "the initial state" if self.event is None else self.event.describe()


class Recording(Sequence[Frame]):
    """Frames in order: frame 0 is the state before the first event."""

    def __init__(self, frames: Sequence[Frame] = ()) -> None:
        self._frames = list(frames)

    def __getitem__(self, i):  # type: ignore[override]
        return self._frames[i]

    def __len__(self) -> int:
        return len(self._frames)

    def __repr__(self) -> str:
        return f"Recording({len(self)} frames)"

    @property
    def events(self) -> list[Event]:
        """The events, without the initial frame."""
        return [f.event for f in self._frames if f.event is not None]

    def snapshots(self) -> list[Any]:
        """The state after each step, frame 0 first."""
        return [f.snapshot for f in self._frames]

    def kinds(self) -> list[str]:
        """The event kinds in order, handy in tests: ``["split", "alloc"]``."""
        return [e.kind for e in self.events]

    def script(self) -> str:
        """The whole recording in words, one numbered line per event."""
        return "\n".join(f"{f.index:3}. {f.describe()}" for f in self._frames[1:])

    def play(self, **options):
        """A player over this recording, with the view its kind of snapshot calls for.

        Players live in the top layer (:func:`memlab.widgets.play`), which this asks for only
        when called, so recording never needs a widget library.
        """
        from .widgets import play

        return play(self, **options)

    def cursor(self) -> Cursor:
        """A position in this recording that steps forwards and backwards."""
        return Cursor(self)

    def find(self, kind: str, nth: int = 1, **fields: Any) -> Frame:
        """The ``nth`` frame (1 is the first) whose event is a ``kind`` with these field values.

        ``recording.find("merge").index`` is the step a predict-mode question asks about;
        ``recording.find("free", address=a)`` the step that frees ``a``.
        """
        found = [
            f
            for f in self._frames
            if f.event is not None
            and f.event.kind == kind
            and all(getattr(f.event, k, None) == v for k, v in fields.items())
        ]
        if len(found) < nth or nth < 1:
            where = ", ".join(f"{k}={v!r}" for k, v in fields.items())
            raise LookupError(
                f"no {kind} event{f' with {where}' if where else ''} number {nth} in this recording: "
                f"it has {len(found)} (the kinds are {sorted(set(self.kinds()))})"
            )
        return found[nth - 1]


class Cursor:
    """A position in a recording; stepping never runs past either end."""

    def __init__(self, recording: Recording, position: int = 0) -> None:
        self.recording = recording
        self.position = 0
        self.seek(position)

    @property
    def frame(self) -> Frame:
        return self.recording[self.position]

    @property
    def at_end(self) -> bool:
        return self.position == len(self.recording) - 1

    def seek(self, position: int) -> Frame:
        """Jump to ``position`` (clamped to the recording); negative counts from the end."""
        n = len(self.recording)
        if position < 0:
            position += n
        self.position = max(0, min(position, n - 1))
        return self.frame

    def forward(self, steps: int = 1) -> Frame:
        return self.seek(self.position + steps)

    def back(self, steps: int = 1) -> Frame:
        return self.seek(max(0, self.position - steps))

    def __iter__(self) -> Iterator[Frame]:
        while True:
            yield self.frame
            if self.at_end:
                return
            self.forward()


class Recorder:
    """Collects the events of a source, each with a snapshot taken right after it.

    Use as a context manager, ``with Recorder(heap) as rec: ...``, or attach and detach by
    hand. ``snapshots=False`` keeps events only, which is cheap enough for long traces.
    """

    def __init__(self, source: Source, *, snapshots: bool = True) -> None:
        self.source = source
        self.take_snapshots = snapshots
        self._frames: list[Frame] = []
        self._previous: Callable[[Event], None] | None = None

    def __call__(self, event: Event) -> None:
        snap = self.source.snapshot() if self.take_snapshots else None
        self._frames.append(Frame(len(self._frames), event, snap))
        if self._previous is not None:
            self._previous(event)

    def attach(self) -> Recorder:
        """Start recording; the current state becomes frame 0."""
        self._previous = self.source.recorder
        self._frames = [Frame(0, None, self.source.snapshot() if self.take_snapshots else None)]
        self.source.recorder = self
        return self

    def detach(self) -> Recording:
        """Stop recording and return what was recorded."""
        self.source.recorder = self._previous
        return self.recording

    @property
    def recording(self) -> Recording:
        return Recording(self._frames)

    def __enter__(self) -> Recorder:
        return self.attach()

    def __exit__(self, *exc: object) -> None:
        self.detach()


def record(source: Source, action: Callable[[], object], *, snapshots: bool = True) -> Recording:
    """Run ``action()`` with a recorder on ``source`` and return the recording."""
    with Recorder(source, snapshots=snapshots) as rec:
        action()
    return rec.recording
