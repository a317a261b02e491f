"""What every tracing collector shares: the roots, the byte trigger, and the record of pauses.

Mark-sweep (:mod:`.tracing`) and Cheney's copying collector (:mod:`.copying`) both run only when
the bytes allocated pass a threshold; afterwards the threshold becomes ``max(threshold, growth ×
bytes still live)`` (clox, *Crafting Interpreters* ch. 26, doubles it; Go's ``GOGC=100`` is the
same rule with a minimum heap). Both start from the same roots: variables of open scopes,
globals, temporaries, and objects being passed to ``new``.

The pause of each collection is measured in *work units*, objects marked plus objects swept,
because a wall clock is not deterministic. Marking costs in proportion to what is live;
sweeping in proportion to the whole heap. Collectors that do not stop the world
(:mod:`.generational`, :mod:`.incremental`) record one :class:`Pause` per pause, of their own
``kind``.

A collector that frees a live object leaves a *dangling* reference: a word that still holds
the address of memory given back. Every tracing heap remembers which object last lived at each
address it freed (its *graveyard*, until the address is used again), so that reading such a
field raises :class:`~.types.DeadObject` naming the lost object, ``check()`` names it too, and
a snapshot draws the freed object at the end of the dangling reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ..errors import HeapCorruption
from ..events import Event
from .events import Collected, Phase
from .objects import Obj, Slot, VarSlot
from .scheme import Scheme
from .types import DEINITED, DEINITING, LIVE, STRONG, BadField, DeadObject


@dataclass(frozen=True, slots=True)
class Pause:
    """What one collection did; ``work`` is the pause in work units."""

    reason: str
    before: int  # bytes allocated when it began
    after: int  # bytes live when it ended
    marked: int  # objects marked (each also scanned); copying: objects copied
    swept: int  # objects the sweeper visited (0 for copying)
    freed: int  # objects found to be garbage
    threshold: int  # the next trigger, in bytes
    kind: str = "full"  # "full" (stop-the-world); "minor", "major"; "start", "mark", "final", "sweep"

    @property
    def work(self) -> int:
        return self.marked + self.swept


class Tracing(Scheme):
    """What mark-sweep and copying share: no counting, a byte trigger, a history of pauses."""

    colours = True
    exports = ("history", "bytes_allocated", "next_gc", "work")

    def __init__(self, threshold: int = 1024, growth: float = 2.0, stress: bool = False, automatic: bool = True):
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
            raise BadField(f"threshold {threshold!r} must be a whole number of bytes >= 0")
        if isinstance(growth, bool) or not isinstance(growth, int | float) or not 1 <= growth < math.inf:
            raise BadField(f"growth {growth!r} must be a finite number >= 1 (2.0 doubles the threshold)")
        for name, flag in (("stress", stress), ("automatic", automatic)):
            if not isinstance(flag, bool):
                raise BadField(f"{name}={flag!r} must be True or False")
        self.threshold, self.growth = threshold, float(growth)
        self.stress, self.automatic = stress, automatic
        self.next_gc = threshold
        self.bytes_allocated = 0
        self.history: list[Pause] = []
        self.graveyard: dict[int, tuple[Obj, int]] = {}  # address -> the object freed there, and the step

    @property
    def work(self) -> int:
        """Work units of every collection so far."""
        return sum(p.work for p in self.history)

    def reason_only(self, call: str, reason: object, options: dict) -> None:
        """Refuse anything but a text ``reason`` for ``collect()``: all a tracing collector takes."""
        self.no_options(call, options, "only reason")
        if not isinstance(reason, str):
            raise BadField(f"collect(reason={reason!r}): the reason is a text, like 'heap full'", step=self.heap.step)

    def validate(self, place, old: Obj | None, new: Obj | None) -> None:
        if place.kind != STRONG:
            raise BadField(
                f"{place.label}: the {self.name} collector traces strong references only, not {place.kind} ones",
                step=self.heap.step,
            )

    def init(self, obj: Obj) -> None:
        self.heap.set_colour(obj, "white")
        self.bytes_allocated += self.size(obj)
        self.graveyard.pop(obj._address, None)  # the address holds a new object now

    def finalize(self, garbage: list[Obj]) -> None:
        """Run the deinits of ``garbage`` (the heap is frozen: a deinit may read, not store)."""
        heap = self.heap
        for obj in garbage:
            heap.set_state(obj, DEINITING)
            heap.run_deinit(obj)
            heap.set_state(obj, DEINITED)

    def bury(self, obj: Obj, address: int) -> None:
        """The collector gave ``obj``'s memory at ``address`` back: remember who lived there."""
        self.graveyard[address] = (obj, self.heap.step)

    def dangling(self, word: int) -> Obj | None:
        """The freed object whose address a dangling reference still holds (None if it is not one)."""
        found = self.graveyard.get(word) if word not in self.heap._at else None
        return found[0] if found else None

    def load(self, place, obj: Obj | None) -> Obj | None:
        """A reference that still holds the address of freed memory is a use after free."""
        if obj is None:
            word = place.get()
            if word and word in self.graveyard:
                lost, step = self.graveyard[word]
                name = lost._name
                raise DeadObject(
                    f"read {place.label}: it still holds {word:#x}, where {name} lived until the collector "
                    f"freed it at step {step}: use after free of a live object",
                    address=word,
                    step=self.heap.step,
                )
        return obj

    def check_references(self) -> None:
        """Every reference of a live object or a variable is nil or the address of an allocated object.

        (Garbage waiting for its sweep may refer to garbage swept before it.)
        """
        heap = self.heap
        live = [o for o in heap._at.values() if o._state == LIVE]
        places: list[Slot | VarSlot] = [Slot(o, f) for o in live for f in o._type.refs]
        places += [v for frame in heap.frames for v in frame._vars.values()]
        for place in places:
            word = place.get()
            if word and word not in heap._at:
                lost, step = self.graveyard.get(word, (None, heap.step))
                name = lost._name if lost is not None else "no object"
                raise HeapCorruption(
                    f"{place.label} holds {word:#x}, where {name} lived until the collector freed it at step "
                    f"{step}: a live object was freed",
                    address=word,
                    step=heap.step,
                )

    def size(self, obj: Obj) -> int:
        return obj._type.size(len(self.heap.header))

    def due(self, size: int) -> str:
        """Why the next allocation of ``size`` bytes must collect first ("" if it need not)."""
        if self.stress:
            return "stress mode: collect before every allocation"
        if self.bytes_allocated + size > self.next_gc:
            return f"{self.bytes_allocated} + {size} bytes would pass the threshold of {self.next_gc}"
        return ""

    def reserve(self, size: int) -> None:
        reason = self.due(size) if self.automatic else ""
        if reason:
            self.collect(reason=reason)

    def roots_now(self) -> list[tuple[VarSlot | None, str, Obj]]:
        """Every root with its variable and a label: variables, temporaries, arguments of ``new``."""
        heap, found = self.heap, []
        for var, obj in heap.roots():
            found.append((var, var.label if var is not None else f"temporary ({obj._name})", obj))
        found += [(None, f"argument ({obj._name})", obj) for obj in heap.arguments if obj._state == LIVE]
        return found

    def emit(self, event: Event) -> None:
        if self.heap.recorder is not None:
            self.heap.emit(event)

    def phase(self, name: str, detail: str) -> None:
        self.emit(Phase(self.heap.step, name, detail))

    def next_threshold(self) -> int:
        """The trigger after a collection: ``growth`` times what survived, at least ``threshold``."""
        return max(self.threshold, int(self.bytes_allocated * self.growth))

    def trigger_text(self) -> str:
        return f"next collection above {self.next_gc} bytes"

    def finished(self, pause: Pause, label: str) -> int:
        self.next_gc = self.next_threshold()
        pause = replace(pause, after=self.bytes_allocated, threshold=self.next_gc)
        self.history.append(pause)
        self.heap.counters["collections"] += 1
        self.emit(Collected(self.heap.step, label, pause.freed, pause.marked + pause.freed))
        self.phase("done", f"pause of {pause.work} work units; {pause.after} bytes live; {self.trigger_text()}")
        return pause.freed

    def tags(self, obj: Obj) -> tuple[str, ...]:
        tags = list(super().tags(obj))
        if self.heap.allocated(obj) and self.heap.flag(obj, "marked"):
            tags.append("marked")
        return tuple(tags)
