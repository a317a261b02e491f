"""The object model: typed objects with a header and reference slots, on a simulated heap.

It follows the layout of real managed runtimes: CPython's ``PyObject`` (a refcount and a type
before the fields) and Swift's ``HeapObject`` (a type pointer and the reference counts before
the stored properties). Every object lives in bytes handed out by a memlab allocator: first
the header words, then one word per field, each holding the address of the object it refers
to (0 for nil) or an integer. A reclamation *scheme* (refcount, ARC, a cycle collector, ...)
sees every store, every scope exit and every load, and records what it does as events.

Stable API::

    heap = Heap("refcount")          # or "arc", "bacon-rajan", "cpython", "mark-sweep", "copying",
                                     #    "generational", "incremental", "manual"
    Node = heap.type("Node", ["next", "weak prev", "unowned owner", "int value"], deinit=fn)
    with heap.scope("main") as s:    # a scope's variables are roots; leaving drops them
        s.a = heap.new(Node, name="a")       # a new object is a +1 temporary; the first
        s.a.next = heap.new(Node, name="b")  # strong store takes that +1 over (no retain)
        s.var("w", s.a, kind="weak")         # declare a weak (or unowned) variable
    heap.globals.g = ...             # globals: a scope that never ends
    heap.snapshot()                  # GraphSnapshot: nodes, edges, variables
    with heap.record() as rec: ...   # events with snapshots, for players and tests

For schemes (subclass :class:`Scheme`, give it a ``name``, list it in :mod:`memlab.reclaim`):
header words ``Scheme.header`` read with ``heap.word(obj, name)`` / ``heap.set_word``; flag
bits ``heap.flag(obj, "colour" | "buffered" | "marked" | "finalized" | "generation" | "age" | "remembered")`` /
``heap.set_flag``; the graph ``heap.refs(obj)``, ``heap.children(obj)``, ``heap.roots()``,
``heap.live()``, ``heap.arguments`` (objects being passed to ``new``, roots while it
allocates); the lifecycle ``heap.set_state``, ``heap.run_deinit``, ``heap.dealloc``,
``heap.emit``. A scheme's hooks: ``reserve`` (before an allocation), ``init``, ``assign``,
``retain``, ``release``, ``load``, ``encode``, ``decode``, ``counts``, ``tags``, ``check``,
``collect``.

Simplifications: no value types or strings (an object's name is kept beside the heap, for
display); variables live in Python-side frames, not on a simulated stack; each count takes a
whole header word (Swift packs strong and unowned counts into one word).
"""

from __future__ import annotations

import inspect
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from ..allocators import Allocator, allocator
from ..events import Event, Recorder
from ..memory import WORD
from .events import Dealloc, New, ScopeExit, Store
from .handles import Obj, ScopeFrame, Slot, VarSlot
from .scheme import Scheme, make_scheme
from .snapshot import Edge, GraphSnapshot, Node, Variable
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
    ObjType,
    ScopeError,
    check_kind,
)

DEFAULT_ALLOCATOR = "bump:size=1048576"


def _build_allocator(spec: Allocator | str | None) -> Allocator:
    if spec is None:
        return allocator(DEFAULT_ALLOCATOR)
    if isinstance(spec, str):
        return allocator(spec)
    if isinstance(spec, Allocator):
        return spec
    raise BadField(f"allocator {spec!r} is neither an Allocator nor a registry name")


class Heap:
    """Objects on a simulated heap, managed by a reclamation scheme (see the module docstring)."""

    def __init__(self, scheme: object = "refcount", *, allocator: Allocator | str | None = None, **options) -> None:
        self.scheme: Scheme = make_scheme(scheme, **options)
        self.allocator = _build_allocator(allocator if allocator is not None else self.scheme.default_allocator)
        self.memory = self.allocator.memory
        self.header = ("flags", *self.scheme.header)
        self._offsets = {name: i * WORD for i, name in enumerate(self.header)}
        self.types: dict[str, ObjType] = {}
        self.objects: dict[int, Obj] = {}  # every object not yet dead, by id
        self._at: dict[int, Obj] = {}  # objects whose memory is allocated, by address
        self.counters: Counter[str] = Counter()
        self.ignored: list[Exception] = []  # exceptions raised by deinits, reported and ignored
        self.step = 0
        self.recorder: Callable[[Event], None] | None = None
        self._depth = 0
        self._next_id = 1
        self.frozen = ""  # set by a collector while the graph must not change
        self._interrupt: BaseException | None = None  # a Ctrl-C from a deinit, raised when the operation ends
        self.arguments: tuple[Obj, ...] = ()  # objects passed to new(), roots while it allocates
        self.globals = ScopeFrame(self, "globals")
        self.frames: list[ScopeFrame] = [self.globals]
        self.scheme.attach(self)

    def __getattr__(self, name: str):
        scheme = self.__dict__.get("scheme")
        if scheme is not None and not name.startswith("_") and name in getattr(scheme, "exports", ()):
            return getattr(scheme, name)
        raise AttributeError(f"a heap with the {getattr(scheme, 'name', '?')} scheme has no attribute {name!r}")

    def __repr__(self) -> str:
        live = sum(1 for o in self.objects.values() if o._state == LIVE)
        return f"<Heap ({self.scheme.name}): {live} live objects, step {self.step}>"

    # -- declaring and creating ------------------------------------------------------------
    def type(
        self, name: str, fields: Iterable[object] = (), *, deinit: Callable[[Obj], object] | None = None
    ) -> ObjType:
        """Declare a type: ``heap.type("Node", ["next", "weak prev", "int value"])``."""
        if isinstance(name, str) and name in self.types:
            raise BadField(f"type {name} is already declared", step=self.step)
        try:
            t = ObjType(len(self.types) + 1, name, fields, deinit)
        except BadField as e:
            e.step = self.step
            raise
        self.types[name] = t
        return t

    def new(self, t: ObjType | str, name: str | None = None, **values: object) -> Obj:
        """Allocate an object; fields start nil (or 0) unless given. It starts as a +1 temporary."""
        t = self._type_of(t)
        init = [(Slot.__new__(Slot), t.field(k), v) for k, v in values.items()]
        for _, f, v in init:
            self._check_value(f.kind, v, f"{t.name}.{f.name}")
        label = f"{t.name.lower()}{self._next_id}" if name is None else name
        if not isinstance(label, str) or not label:
            raise BadField(f"object name {label!r} is not a non-empty string", step=self.step)
        with self.operation(f'{t.name}("{label}")'):
            size = t.size(len(self.header))
            held, self.arguments = self.arguments, tuple(v for _, _, v in init if isinstance(v, Obj))
            try:
                self.scheme.reserve(size)  # a tracing collector may collect here
                address = self.allocator.alloc(size)
            finally:
                self.arguments = held
            obj = Obj(self, t, self._next_id, label, address)
            self._next_id += 1
            self.memory.fill(address, size)
            self.objects[obj._id] = obj
            self._at[address] = obj
            self.set_flag(obj, "type", t.tid)
            frame = self.frames[-1]
            obj._temp = frame
            frame._temps[obj._id] = obj
            self.scheme.init(obj)
            self.counters["new"] += 1
            if self.recorder is not None:
                self.emit(New(self.step, label, obj._id, address, t.name, size))
            for slot, f, v in init:
                slot.obj, slot.field = obj, f
                self._assign(slot, v)
        return obj

    def _type_of(self, t: object) -> ObjType:
        found = self.types.get(t) if isinstance(t, str) else t
        if not isinstance(found, ObjType) or self.types.get(found.name) is not found:
            raise BadField(f"{t!r} is not a type declared on this heap", step=self.step)
        return found

    # -- stores and loads --------------------------------------------------------------------
    def store(self, obj: Obj, field: str, value: object) -> None:
        """``obj.field = value``, through the scheme."""
        self.usable(obj, f"store into .{field}")
        slot = Slot(obj, self._field(obj, field))
        self._check_value(slot.kind, value, slot.label)
        if slot.kind != INT:
            self.scheme.validate(slot, self.scheme.decode(slot, slot.get()), value)  # type: ignore[arg-type]
        with self.operation(f"{self.label(obj)}.{field} = {self.text(value)}"):
            self._assign(slot, value)

    def load(self, obj: Obj, field: str) -> object:
        """``obj.field``: an int, an object or None (the scheme may refuse a dead target)."""
        self.usable(obj, f"read .{field}")
        slot = Slot(obj, self._field(obj, field))
        if slot.kind == INT:
            return slot.get()
        return self.scheme.load(slot, self.scheme.decode(slot, slot.get()))

    def _field(self, obj: Obj, name: str) -> Field:
        try:
            return obj._type.field(name)
        except BadField as e:
            e.step = self.step
            raise

    def _check_value(self, kind: str, value: object, where: str) -> None:
        if kind == INT:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 64:
                raise BadField(f"{where}: {value!r} is not an integer from 0 to 2**64-1", step=self.step)
            return
        if value is None:
            return
        if not isinstance(value, Obj) or value._heap is not self:
            raise BadField(f"{where}: {value!r} is not an object of this heap", step=self.step)
        if value._state not in (LIVE, DEINITING):
            raise DeadObject(
                f"{where}: cannot refer to {value._name} ({value._address:#x}), it is {value._state}"
                + (f" since step {value._freed_at}" if value._freed_at is not None else ""),
                address=value._address,
                step=self.step,
            )

    def _assign(self, place: Slot | VarSlot, value: object) -> None:
        if place.kind == INT:
            old = place.get()
            place.put(value)  # type: ignore[arg-type]
            if self.recorder is not None:
                self.emit(Store(self.step, place.label, str(old), str(value), INT))
            return
        old = self.scheme.decode(place, place.get())
        self.scheme.validate(place, old, value)  # type: ignore[arg-type]
        consumed = isinstance(value, Obj) and place.kind == STRONG and value._temp is not None
        if consumed:
            self.unfloat(value)  # type: ignore[arg-type]
            if isinstance(place, VarSlot) and value._var is None:  # type: ignore[union-attr]
                value._var = place.name  # type: ignore[union-attr]
        self.scheme.assign(place, old, value, consumed)  # type: ignore[arg-type]

    def write(self, place: Slot | VarSlot, new: Obj | None, old: Obj | None, consumed: bool = False) -> None:
        """Write the word for ``new`` into ``place`` (schemes call this from ``assign``)."""
        place.put(self.scheme.encode(place, new))
        if self.recorder is not None:
            self.emit(
                Store(
                    self.step,
                    place.label,
                    self.text(old) if old else None,
                    self.text(new) if new else None,
                    place.kind,
                    consumed,
                )
            )

    def unfloat(self, obj: Obj) -> None:
        """The temporary holding ``obj``'s first +1 hands it over (or gives it up)."""
        del obj._temp._temps[obj._id]
        obj._temp = None

    # -- learner's tools -------------------------------------------------------------------------
    def label(self, obj: Obj) -> str:
        """The variable that first owned ``obj``, else its name (used in listings)."""
        return obj._var or obj._name

    def text(self, value: object) -> str:
        return "nil" if value is None else self.label(value) if isinstance(value, Obj) else str(value)

    def free(self, obj: Obj) -> None:
        """Manual free (the "manual" scheme only)."""
        self.scheme.free(self._object(obj, "free"))

    def retain(self, obj: Obj) -> None:
        """A manual retain (Objective-C's ``[obj retain]``, CPython's ``Py_INCREF``)."""
        self.scheme.manual(self._object(obj, "retain"), "retain")

    def release(self, obj: Obj) -> None:
        """A manual release matching an earlier manual retain."""
        self.scheme.manual(self._object(obj, "release"), "release")

    def _object(self, obj: object, call: str) -> Obj:
        """``obj`` if it is an object of this heap (in any state: a scheme names a dead one's fate)."""
        if not isinstance(obj, Obj) or obj._heap is not self:
            raise BadField(f"{call}({obj!r}): not an object of this heap", step=self.step)
        return obj

    def collect(self, *args: object, **options: object) -> int:
        """Run the scheme's collector; returns how many objects it found to be garbage."""
        try:
            inspect.signature(self.scheme.collect).bind(*args, **options)
        except TypeError as e:
            raise BadField(f"collect() of the {self.scheme.name} scheme: {e}", step=self.step) from None
        return self.scheme.collect(*args, **options)

    def check(self) -> None:
        """Verify the scheme's invariants; raise HeapCorruption naming the first broken one."""
        self.allocator.check()
        self.scheme.check()

    def record(self, *, snapshots: bool = True) -> Recorder:
        """``with heap.record() as rec: ...`` then ``rec.recording``."""
        return Recorder(self, snapshots=snapshots)

    # -- scopes: opening, binding, reading and leaving -----------------------------------------
    # Scopes: variables are roots, and leaving a scope drops them in reverse order.
    #
    # A scope is what a block is to a compiled language: its variables hold references, and when it
    # ends they are dropped, last declared first (the order in which C++ destroys locals and Rust
    # drops them); then its unused temporaries, each a +1 that no store took over. The globals scope
    # never ends. Simplification: variables live in Python-side frames, not on a simulated stack.

    def scope(self, name: str | None = None) -> ScopeFrame:
        """Open a scope: ``with heap.scope("main") as s: s.x = ...``."""
        name = name or f"scope{len(self.frames)}"
        if not isinstance(name, str) or not name.isidentifier():
            raise ScopeError(f"scope name {name!r} is not an identifier", step=self.step)
        frame = ScopeFrame(self, name)
        self.frames.append(frame)
        return frame

    def _open(self, frame: ScopeFrame) -> None:
        if not frame._open:
            raise ScopeError(f"scope {frame._name} has already ended", step=self.step)

    def bind(self, frame: ScopeFrame, name: str, value: object, *, kind: str | None = None) -> None:
        """``frame.name = value``: declares the variable on first use."""
        self._open(frame)
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") or name in ScopeFrame.RESERVED:
            raise ScopeError(f"{name!r} cannot be a variable name", step=self.step)
        var = frame._vars.get(name)
        if kind is not None and check_kind(kind, f"variable {name}") == INT:
            raise BadField(f"variable {name}: variables hold references, not ints", step=self.step)
        if var is not None and kind is not None and kind != var.kind:
            raise ScopeError(f"variable {name} is already declared {var.kind}", step=self.step)
        fresh = var is None
        var = var or VarSlot(frame, name, kind or STRONG)
        self._check_value(var.kind, value, var.label)
        self.scheme.validate(var, self.scheme.decode(var, var.word), value)  # type: ignore[arg-type]
        decl = ("" if var.kind == STRONG else f"{var.kind} ") + ("var " if fresh else "")
        with self.operation(f"{decl}{name} = {self.text(value)}"):
            frame._vars[name] = var
            self._assign(var, value)

    def read_var(self, frame: ScopeFrame, name: str) -> Obj | None:
        self._open(frame)
        var = frame._vars.get(name)
        if var is None:
            raise ScopeError(f"scope {frame._name} has no variable {name!r}", step=self.step)
        return self.scheme.load(var, self.scheme.decode(var, var.word))

    def unbind(self, frame: ScopeFrame, name: str) -> None:
        """``del frame.name``: drop the reference and forget the variable."""
        self._open(frame)
        if name not in frame._vars:
            raise ScopeError(f"scope {frame._name} has no variable {name!r}", step=self.step)
        with self.operation(f"{name} = nil"):
            self._assign(frame._vars[name], None)
            del frame._vars[name]

    def leave(self, frame: ScopeFrame) -> None:
        """End a scope: release its variables in reverse order, then its unused temporaries."""
        self._open(frame)
        if frame is self.globals:
            raise ScopeError("the globals scope never ends", step=self.step)
        if self.frames[-1] is not frame:
            raise ScopeError(f"scope {frame._name} cannot end before scope {self.frames[-1]._name}", step=self.step)
        released: list[str] = []
        with self.operation(f"}} // end of {frame._name}"):
            for var in reversed(list(frame._vars.values())):
                old = self.scheme.decode(var, var.word)
                var.word = 0
                if old is not None:
                    released.append(var.name)
                    self.scheme.release(old, var)
            for obj in reversed(list(frame._temps.values())):
                released.append(f"temporary {obj._name}")
                self.unfloat(obj)
                self.scheme.release(obj, None)
            self.frames.remove(frame)
            frame._open = False
            if self.recorder is not None:
                self.emit(ScopeExit(self.step, frame._name, tuple(released)))

    # -- what schemes use: header words, flags, the graph, the lifecycle -----------------------
    # What a reclamation scheme may read and change of a heap: header words, the graph, lifecycles.
    #
    # A scheme reads and writes the header words (``heap.word``, ``heap.set_word``) and the bits of
    # the flags word (``heap.flag``: type, state, colour, buffered, marked, finalized, generation,
    # age, remembered), walks the graph (``refs``, ``children``, ``roots``, ``live``) and moves
    # objects through their lives (``set_state``, ``run_deinit``, ``dealloc``). A deinit that raises
    # is reported and ignored, as CPython reports an exception in ``__del__``.

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
            interrupt = self._interrupt if top else None
            if top:
                self._interrupt = None
        if interrupt is not None:  # the operation is complete: now the Ctrl-C a deinit took may stop the program
            raise interrupt

    def defer(self, interrupt: BaseException) -> None:
        """A deinit or a weakref callback raised KeyboardInterrupt (or another BaseException that is not
        an Exception): finish the operation first, so the heap stays whole, then raise it."""
        if self._depth == 0:
            raise interrupt
        if self._interrupt is None:
            self._interrupt = interrupt

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

    def roots(self, kinds: tuple[str, ...] = (STRONG,)) -> Iterator[tuple[VarSlot | None, Obj]]:
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
        except BaseException as e:  # Ctrl-C: the cascade or collection finishes first, then it stops the program
            self.defer(e)

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

    # -- looking at the heap: words and snapshots ----------------------------------------------
    # Reading a heap of objects: its words as they sit in simulated memory, and the graph snapshot.
    #
    # ``words(obj)`` lists the header words (flags, then the scheme's counts, as CPython's
    # ``ob_refcnt`` and Swift's ``HeapObject`` counts sit before the fields) and the field words, with
    # what each means; ``snapshot()`` gives the graph views draw: objects with their counts,
    # references and the variables that are roots (and, where a collector freed an object that is
    # still referred to, that object as ``freed``, at the end of its dangling references).

    def words(self, obj: Obj) -> str:
        """The object's words as they sit in simulated memory: header first, then fields."""
        if not self.allocated(obj):
            return f"{obj._name} is {obj._state}: its memory at {obj._address:#x} is no longer its own"
        lines = []
        for name in self.header:
            value = self.word(obj, name)
            note = self._flags_text(obj) if name == "flags" else ""
            lines.append(f"{obj._address + self._offsets[name]:#08x}  {name:<10} {value:#018x}  {note}".rstrip())
        for f in obj._type.fields:
            slot = Slot(obj, f)
            value = slot.get()
            if f.kind == INT:
                note = f"int {value}"
            else:
                target = self.scheme.decode(slot, value)
                note = f"{f.kind} → {target._name}" if target else f"{f.kind}, nil"
            lines.append(f"{slot.address:#08x}  {f.name:<10} {value:#018x}  {note}")
        return "\n".join(lines)

    def _dangling(self, word: int, ghosts: dict[int, Obj]) -> Obj | None:
        """The freed object a dangling reference holds the address of (a collector that lost it knows)."""
        lost = self.scheme.dangling(word) if word else None
        if lost is not None:
            ghosts[lost._id] = lost
        return lost

    def _flags_text(self, obj: Obj) -> str:
        bits = [f"type {obj._type.name}", STATES[self.flag(obj, "state")]]
        if self.scheme.colours:
            bits.append(self.colour(obj))
        bits += [name for name in ("buffered", "marked", "finalized") if self.flag(obj, name)]
        return ", ".join(bits)

    def snapshot(self) -> GraphSnapshot:
        """The object graph now: objects with their counts, references, variables."""
        scheme, nodes, edges, variables = self.scheme, [], [], []
        ghosts: dict[int, Obj] = {}  # freed objects that a dangling reference still points at
        for obj in self.objects.values():
            here = self.allocated(obj)
            nodes.append(
                Node(
                    obj._id,
                    obj._name,
                    obj._type.name,
                    obj._address,
                    obj._type.size(len(self.header)),
                    obj._state,
                    scheme.counts(obj) if here else (),
                    self.colour(obj) if here and scheme.colours else "",
                    scheme.tags(obj),
                )
            )
            if here:
                for slot, target in self.refs(obj):
                    if target is not None and target._id in self.objects:
                        edges.append(Edge(obj._id, target._id, slot.field.name, slot.kind))
                    elif target is None and (lost := self._dangling(slot.get(), ghosts)):
                        edges.append(Edge(obj._id, lost._id, slot.field.name, slot.kind))
        for frame in self.frames:
            for var in frame._vars.values():
                target = scheme.decode(var, var.word) or self._dangling(var.word, ghosts)
                variables.append(Variable(frame._name, var.name, var.kind, target._id if target else None))
            for obj in frame._temps.values():
                variables.append(Variable(frame._name, f"({obj._name})", "temporary", obj._id))
        words = len(self.header)
        for g in ghosts.values():
            nodes.append(Node(g._id, g._name, g._type.name, g._address, g._type.size(words), "freed", tags=("freed",)))
        return GraphSnapshot(scheme.name, self.step, tuple(nodes), tuple(edges), tuple(variables), scheme.note())


__all__ = ["DEFAULT_ALLOCATOR", "ScopeFrame", "Heap", "Obj", "Slot", "VarSlot"]
