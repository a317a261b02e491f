"""What a reclamation scheme may read and change of a heap: header words, the graph, lifecycles.

A scheme reads and writes the header words (``heap.word``, ``heap.set_word``) and the bits of
the flags word (``heap.flag``: type, state, colour, buffered, marked, finalized, generation,
age, remembered), walks the graph (``refs``, ``children``, ``roots``, ``live``) and moves
objects through their lives (``set_state``, ``run_deinit``, ``dealloc``). A deinit that raises
is reported and ignored, as CPython reports an exception in ``__del__``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from ..events import Event
from ..memory import WORD
from .events import Dealloc
from .handles import Obj, Slot, Var
from .types import (
    COLOURS,
    DEAD,
    DEINITING,
    FLAGS,
    INT,
    LIVE,
    STATES,
    STRONG,
    BadField,
    CollectionInProgress,
    DeadObject,
    Field,
)


class SchemeAccess:
    """The part of a :class:`~.objects.Heap` that schemes use (a mixin)."""

    @contextmanager
    def operation(self, text: str) -> Iterator[None]:
        """One learner-level step (nested operations share it); refused while the heap is frozen."""
        if self.frozen:
            raise CollectionInProgress(f"{text}: not allowed during {self.frozen}", step=self.step)
        top = self._depth == 0
        self._depth += 1
        try:
            if top:
                self.step += 1
                self.scheme.statement(text)
            yield
        finally:
            self._depth -= 1

    def emit(self, event: Event) -> None:
        if self.recorder is not None:
            self.recorder(event)

    def usable(self, obj: object, what: str) -> None:
        """Raise unless ``obj`` is an object of this heap that is live (or in its deinit)."""
        if not isinstance(obj, Obj) or obj._heap is not self:
            raise BadField(f"{what}: {obj!r} is not an object of this heap", step=self.step)
        if obj._state not in (LIVE, DEINITING):
            when = f"freed at step {obj._freed_at}" if obj._freed_at is not None else obj._state
            raise DeadObject(
                f"{what}: use of {obj._name} ({obj._address:#x}) after it was {when}",
                address=obj._address,
                step=self.step,
            )

    def word(self, obj: Obj, name: str) -> int:
        return self.memory.read_word(obj._address + self._offsets[name])

    def set_word(self, obj: Obj, name: str, value: int) -> None:
        self.memory.write_word(obj._address + self._offsets[name], value)

    def flag(self, obj: Obj, name: str) -> int:
        low, width = FLAGS[name]
        return (self.memory.read_word(obj._address) >> low) & ((1 << width) - 1)

    def set_flag(self, obj: Obj, name: str, value: int) -> None:
        low, width = FLAGS[name]
        mask = ((1 << width) - 1) << low
        word = self.memory.read_word(obj._address)
        self.memory.write_word(obj._address, (word & ~mask) | ((int(value) << low) & mask))

    def colour(self, obj: Obj) -> str:
        return COLOURS[self.flag(obj, "colour")]

    def set_colour(self, obj: Obj, colour: str) -> None:
        self.set_flag(obj, "colour", COLOURS.index(colour))

    def set_state(self, obj: Obj, state: str) -> None:
        obj._state = state
        if self.allocated(obj):
            self.set_flag(obj, "state", STATES.index(state))

    def slot_address(self, obj: Obj, field: Field) -> int:
        return obj._address + WORD * (len(self.header) + field.index)

    def allocated(self, obj: Obj) -> bool:
        """True while the object's memory belongs to it."""
        return self._at.get(obj._address) is obj

    def refs(self, obj: Obj) -> Iterator[tuple[Slot, Obj | None]]:
        """Every reference field of ``obj`` with the object it refers to (None for nil)."""
        for f in obj._type.fields:
            if f.kind != INT:
                slot = Slot(obj, f)
                yield slot, self.scheme.decode(slot, slot.get())

    def children(self, obj: Obj) -> list[Obj]:
        """The objects ``obj`` refers to strongly, in field order (duplicates kept)."""
        return [t for slot, t in self.refs(obj) if t is not None and slot.kind == STRONG]

    def roots(self, kinds: tuple[str, ...] = (STRONG,)) -> Iterator[tuple[Var | None, Obj]]:
        """Variables of these kinds (all scopes) and temporaries (place None), with their targets."""
        for frame in self.frames:
            for var in frame._vars.values():
                target = self.scheme.decode(var, var.word) if var.kind in kinds else None
                if target is not None:
                    yield var, target
            for obj in frame._temps.values():
                yield None, obj

    def live(self) -> list[Obj]:
        """Objects whose state is live, in creation order."""
        return [o for o in self.objects.values() if o._state == LIVE]

    def run_deinit(self, obj: Obj) -> None:
        """Run the type's ``deinit(obj)``; like CPython's ``__del__``, an exception is reported and ignored."""
        fn = obj._type.deinit
        if fn is None:
            return
        try:
            fn(obj)
        except Exception as e:  # noqa: BLE001  (a deinit cannot stop a cascade)
            self.ignored.append(e)
            print(f"Exception ignored in deinit of {obj._name}: {type(e).__name__}: {e}", file=sys.stderr)

    def dealloc(self, obj: Obj, state: str = DEAD, why: str = "") -> None:
        """Give the object's memory back to the allocator; ``state`` is FREED or DEAD."""
        size = obj._type.size(len(self.header))
        self.allocator.free(obj._address)
        del self._at[obj._address]
        obj._state, obj._freed_at = state, self.step
        if state == DEAD:
            self.objects.pop(obj._id, None)
        self.counters["freed"] += 1
        if self.recorder is not None:
            self.emit(Dealloc(self.step, obj._name, obj._id, obj._address, size, why))

    def bury(self, obj: Obj) -> None:
        """A freed object's last trace (ARC's side table) is gone: it is dead."""
        obj._state = DEAD
        self.objects.pop(obj._id, None)
