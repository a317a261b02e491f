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

For schemes (subclass :class:`Scheme`, register with ``@scheme("name")``):
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

from collections import Counter
from collections.abc import Callable, Iterable

from ..allocators import Allocator, allocator
from ..events import Event, Recorder
from ..memory import WORD
from .events import New, Store
from .handles import Frame, Obj, Slot, Var
from .heap_access import SchemeAccess
from .objects_inspect import HeapInspection
from .scheme import Scheme, make_scheme
from .scopes import Scopes
from .types import DEINITING, INT, LIVE, STRONG, BadField, DeadObject, Field, ObjType

DEFAULT_ALLOCATOR = "bump:size=1048576"


def _build_allocator(spec: Allocator | str | None) -> Allocator:
    if spec is None:
        return allocator(DEFAULT_ALLOCATOR)
    if isinstance(spec, str):
        return allocator(spec)
    if isinstance(spec, Allocator):
        return spec
    raise BadField(f"allocator {spec!r} is neither an Allocator nor a registry name")


class Heap(Scopes, SchemeAccess, HeapInspection):
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
        self.arguments: tuple[Obj, ...] = ()  # objects passed to new(), roots while it allocates
        self.globals = Frame(self, "globals")
        self.frames: list[Frame] = [self.globals]
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
        if name in self.types:
            raise BadField(f"type {name} is already declared", step=self.step)
        t = ObjType(len(self.types) + 1, name, fields, deinit)
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

    def _assign(self, place: Slot | Var, value: object) -> None:
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
            if isinstance(place, Var) and value._var is None:  # type: ignore[union-attr]
                value._var = place.name  # type: ignore[union-attr]
        self.scheme.assign(place, old, value, consumed)  # type: ignore[arg-type]

    def write(self, place: Slot | Var, new: Obj | None, old: Obj | None, consumed: bool = False) -> None:
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
        self.scheme.free(obj)

    def retain(self, obj: Obj) -> None:
        """A manual retain (Objective-C's ``[obj retain]``, CPython's ``Py_INCREF``)."""
        self.scheme.manual(obj, "retain")

    def release(self, obj: Obj) -> None:
        """A manual release matching an earlier manual retain."""
        self.scheme.manual(obj, "release")

    def collect(self, *args: object, **options: object) -> int:
        """Run the scheme's collector; returns how many objects it found to be garbage."""
        return self.scheme.collect(*args, **options)

    def check(self) -> None:
        """Verify the scheme's invariants; raise HeapCorruption naming the first broken one."""
        self.allocator.check()
        self.scheme.check()

    def record(self, *, snapshots: bool = True) -> Recorder:
        """``with heap.record() as rec: ...`` then ``rec.recording``."""
        return Recorder(self, snapshots=snapshots)


__all__ = ["DEFAULT_ALLOCATOR", "Frame", "Heap", "Obj", "Slot", "Var"]
