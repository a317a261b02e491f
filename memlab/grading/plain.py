"""The plain data a learner's process may send the grader: the format, its encoder and its strict decoder.

``memlab grade`` runs a learner's function in an isolated process (:mod:`.student`) on a copy of
the arguments the grader's check passed (:mod:`.boundary` pickles them: that process trusts the
grader). What comes back is JSON text that can describe values and nothing else: no code, no
class of the learner's, no object that could lie about what it is. The grader reads it with
:func:`decode`, which checks every part (exact types, sizes, depth, objects and classes it knows)
*before* it changes anything, and then :meth:`Answer.apply` writes the new state into the
grader's own objects, which the check goes on to judge.

An answer is one JSON object::

    {"id": 7, "state": [ENTRY, ...], "result": VALUE, "printed": "..."}   # the call returned
    {"id": 7, "state": [ENTRY, ...], "raise": EXC, "printed": "..."}      # it raised EXC
    {"id": 7, "stop": ["exit", 3] | ["output"] | ["interrupt"], "printed": "..."}
    {"id": 7, "bad": "why the answer could not be sent", "printed": "..."}

The grader sent a *table*: every object of the arguments that has state (memlab's objects, lists,
dicts, sets, deques, bytearrays, simulated memory), numbered from 0. An ENTRY gives the new state
of one that changed, ``[pos, kind, payload]``, or of an object that memlab's own code made during
the call, ``[-n, kind, class, payload]`` (numbered -1, -2, ...)::

    obj        {"attribute": VALUE or ["K"] (unchanged), ...}: every attribute, none added or removed
    list, set  [VALUE, ...]            deque  [maxlen, [VALUE, ...]]      bytearray  "base64"
    dict, counter, odict  [[KEY, VALUE], ...]      ddict  [[KEY, VALUE], ...] (class: its factory)
    mem        [[offset, "base64"], ...]: the pages of simulated memory the call changed

A VALUE is ``null``, a bool, an int (at most 1024 bits), a float, a string, or a tagged list:
``["R", pos]`` (an object of the table, or a new one), ``["T", [...]]`` a tuple, ``["FS", [...]]``
a frozenset, ``["B", "base64"]`` bytes, ``["NT", class, [...]]`` a named tuple, ``["EN", class,
name]`` an enum member, ``["EX", class, args, attributes, where]`` an exception. A class is
``"module:qualname"`` of one of memlab's own classes (never its grading machinery), ``"builtins:
ValueError"`` for a built-in exception, or ``"!Name"`` for an exception class the learner wrote.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import collections
import enum
import json
import mmap
import sys
import traceback
import types

from ..memory import Memory
from .questions import raised_as

MAX_FRAME = 64 << 20
"""Bytes in one answer."""
MAX_NODES = 2_000_000
"""Values in one answer."""
MAX_DEPTH = 40
"""Nesting of tuples, frozensets and exception arguments inside one value (objects are flat)."""
MAX_STR = 1 << 20
"""Characters in one string; bytes in one bytes value."""
MAX_INT_BITS = 1024
"""The largest integer a learner's code may hand back (a 64-bit machine needs 64)."""
MAX_NEW = 200_000
"""Objects memlab's code may make during one call."""

KEEP = ["K"]
_KEEP = object()  # the decoder's marker for "unchanged"

CONTAINERS = {
    list: "list",
    dict: "dict",
    set: "set",
    bytearray: "bytearray",
    collections.deque: "deque",
    collections.Counter: "counter",
    collections.OrderedDict: "odict",
    collections.defaultdict: "ddict",
    mmap.mmap: "mem",
}
FACTORIES = {"list": list, "dict": dict, "set": set, "int": int}
"""The default factories a new defaultdict may have."""

_NOT_STATE = (
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.ModuleType,
    BaseException,
    memoryview,
    tuple,
    frozenset,
    str,
    bytes,
    int,
    float,
    enum.Enum,
    list,
    dict,
    set,
)
_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class written in Python


class BadAnswer(Exception):
    """The learner's process sent something that is not an answer of this format; says what."""


class Unencodable(Exception):
    """A value the learner's code left behind cannot be sent as plain data; says where and what."""


# -- what has state, and its attributes ----------------------------------------------------------

_SLOTS: dict[type, tuple[tuple[str, object], ...]] = {}


def _slots(cls: type) -> tuple[tuple[str, object], ...]:
    """(name, descriptor) of every slot of ``cls`` and its bases."""
    if cls not in _SLOTS:
        found = []
        for klass in cls.__mro__:
            names = klass.__dict__.get("__slots__", ())
            for name in (names,) if isinstance(names, str) else names:
                if name in ("__dict__", "__weakref__"):
                    continue
                if name.startswith("__") and not name.endswith("__"):
                    name = f"_{klass.__name__.lstrip('_')}{name}"
                descriptor = klass.__dict__.get(name)
                if isinstance(descriptor, types.MemberDescriptorType):
                    found.append((name, descriptor))
        _SLOTS[cls] = tuple(found)
    return _SLOTS[cls]


_KINDS: dict[type, str | None] = {}


def kind_of(obj: object) -> str | None:
    """The kind of a stateful object (``"obj"``, ``"list"``, ``"mem"``, ...), or None for a value or an
    object that has no state to send (a function, a class, a module, an exception, a placeholder).

    It depends on the object's real type only (never on a ``__class__`` it claims), so it is kept per type.
    """
    t = type(obj)
    try:
        return _KINDS[t]
    except KeyError:
        pass
    kind = CONTAINERS.get(t)
    if kind is None and not (
        issubclass(t, _NOT_STATE) or getattr(t, "__memlab_opaque__", False) or not t.__flags__ & _HEAPTYPE
    ):
        kind = "obj" if t.__dictoffset__ or _slots(t) else None
    _KINDS[t] = kind
    return kind


def fields(obj: object) -> dict[str, object]:
    """An object's attributes: its ``__dict__`` and the slots that are set."""
    out = dict(obj.__dict__) if type(obj).__dictoffset__ else {}
    for name, descriptor in _slots(type(obj)):
        try:
            out[name] = descriptor.__get__(obj, type(obj))
        except AttributeError:
            pass
    return out


def set_field(obj: object, name: str, value: object) -> None:
    """Set one attribute without running any code of the object's class (no ``__setattr__``, no property)."""
    for slot, descriptor in _slots(type(obj)):
        if slot == name:
            descriptor.__set__(obj, value)
            return
    obj.__dict__[name] = value


# -- classes by name ------------------------------------------------------------------------------

_MACHINERY = ("memlab.grading",)
"""Modules whose classes never cross: the grading machinery itself (its checks' classes may)."""


def class_ref(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _memlab_module(module: str) -> bool:
    if not (module == "memlab" or module.startswith("memlab.")):
        return False
    return module.startswith("memlab.grading.checks.") or not module.startswith(_MACHINERY)


def crossing(cls: type) -> bool:
    """Whether objects of ``cls`` may cross: one of memlab's own classes, found again by its name."""
    module = getattr(cls, "__module__", "")
    return isinstance(module, str) and _memlab_module(module) and _find(module, cls.__qualname__) is cls


def _find(module: str, qualname: str) -> object:
    obj: object = sys.modules.get(module)
    for part in qualname.split("."):
        if not isinstance(obj, (types.ModuleType, type)) or part == "<locals>":
            return None
        obj = vars(obj).get(part)
    return obj


def find_class(ref: object) -> type:
    """The class a reference names; only memlab's own, already imported (nothing is imported here)."""
    if type(ref) is not str or len(ref) > 300 or ref.count(":") != 1:
        raise BadAnswer(f"not a class reference: {_short(ref)}")
    module, qualname = ref.split(":")
    cls = _find(module, qualname) if _memlab_module(module) else None
    if not isinstance(cls, type) or cls.__module__ != module or cls.__qualname__ != qualname:
        raise BadAnswer(f"a class the grader does not accept: {_short(ref)}")
    return cls


def _short(value: object) -> str:
    text = repr(value) if isinstance(value, (str, int, float, bool, type(None))) else type(value).__name__
    return text[:80]


# -- the learner's side: what changed, as plain data ----------------------------------------------


class Snapshot:
    """The table as the learner's process received it, so that afterwards only what changed is sent.

    ``dropped`` names, per position, attributes the process did not receive (a compiled fast path, a
    closure of the check): the object's own class serves in their place, and the answer keeps them.
    """

    def __init__(self, table: list, dropped: dict[int, set[str]] | None = None) -> None:
        self.table = table
        self.dropped = dropped or {}
        self.index = {id(obj): pos for pos, obj in enumerate(table)}
        self.kinds = [kind_of(obj) for obj in table]
        self.types = [type(obj) for obj in table]
        self.before = [_copy(obj, kind) for obj, kind in zip(table, self.kinds)]


def _copy(obj: object, kind: str | None) -> object:
    if kind == "obj":
        return fields(obj)
    if kind in ("list", "deque"):
        return list(obj)
    if kind == "set":
        return set(obj)
    if kind in ("dict", "counter", "ddict"):
        return dict(obj)
    if kind == "odict":
        return list(obj.items())
    if kind == "bytearray":
        return bytes(obj)
    return None


def _same(a: object, b: object) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - a learner's __eq__ may raise: then it changed
        return False


class Encoder:
    """Turns the state after a call, and its result, into plain data (in the learner's process)."""

    def __init__(self, snapshot: Snapshot, changes_of_memory) -> None:
        self.snap = snapshot
        self.memory_changes = changes_of_memory
        self.new: list[object] = []
        self.new_ids: dict[int, int] = {}
        self.nodes = 0

    def state(self) -> list:
        """Entries for every object of the table that changed, then for every new object they reach."""
        entries = []
        for pos, obj in enumerate(self.snap.table):
            kind = self.snap.kinds[pos]
            if kind is None:
                continue
            if type(obj) is not self.snap.types[pos]:
                raise Unencodable(f"your code changed the class of a {self.snap.types[pos].__name__} object")
            payload = self._changed(pos, obj, kind)
            if payload is not None:
                entries.append([pos, kind, payload])
        return entries

    def new_entries(self) -> list:
        """Entries for the objects memlab's code made during the call (call after everything else)."""
        entries, i = [], 0
        while i < len(self.new):
            obj = self.new[i]
            kind = kind_of(obj)
            where = f"a new {type(obj).__name__}"
            cls = class_ref(type(obj)) if kind == "obj" else None
            if kind == "ddict":
                cls = next((n for n, f in FACTORIES.items() if obj.default_factory is f), None)
            entries.append([-(i + 1), kind, cls, self._whole(obj, kind, where)])
            i += 1
        return entries

    def _changed(self, pos: int, obj: object, kind: str) -> object:
        before, where = self.snap.before[pos], f"a {type(obj).__name__}"
        if kind == "obj":
            now, dropped = fields(obj), self.snap.dropped.get(pos, set())
            added, removed = set(now) - set(before), set(before) - set(now)
            if added or removed:
                verb, name = ("added", min(added)) if added else ("removed", min(removed))
                raise Unencodable(f"your code {verb} the attribute {name!r} of a {type(obj).__name__} object")
            changed = [name for name in now if now[name] is not before[name]]
            if not changed:
                return None
            payload = {name: KEEP for name in now}
            payload.update({name: KEEP for name in dropped})
            for name in changed:
                payload[name] = self.value(now[name], f"{type(obj).__name__}.{name}")
            return payload
        if kind == "mem":
            ranges = self.memory_changes(obj)
            return [[offset, _b64(data)] for offset, data in ranges] if ranges else None
        if _same(_copy(obj, kind), before):
            return None
        return self._whole(obj, kind, where)

    def _whole(self, obj: object, kind: str, where: str) -> object:
        if kind == "obj":
            return {name: self.value(value, f"{type(obj).__name__}.{name}") for name, value in fields(obj).items()}
        if kind in ("list", "set"):
            return [self.value(x, where) for x in obj]
        if kind == "deque":
            return [obj.maxlen, [self.value(x, where) for x in obj]]
        if kind in ("dict", "counter", "odict", "ddict"):
            return [[self.value(k, where), self.value(v, where)] for k, v in obj.items()]
        if kind == "bytearray":
            return _b64(bytes(obj))
        raise Unencodable(f"{where}: memlab's code made a new simulated memory, which cannot be sent back")

    def value(self, v: object, where: str, depth: int = 0) -> object:
        """One value as plain data; objects of the table or new ones become references."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise Unencodable(f"your code's answer has more than {MAX_NODES} values")
        t = type(v)
        if v is None or t is bool or t is float:
            return v
        if t is str or t is bytes:
            if len(v) > MAX_STR:
                raise Unencodable(f"{where} holds a {t.__name__} of {len(v)} characters (at most {MAX_STR})")
            return v if t is str else ["B", _b64(v)]
        if t is int:
            if v.bit_length() > MAX_INT_BITS:
                raise Unencodable(f"{where} holds an integer of {v.bit_length()} bits (at most {MAX_INT_BITS})")
            return v
        pos = self.snap.index.get(id(v))
        if pos is not None:
            return ["R", pos]
        pos = self.new_ids.get(id(v))
        if pos is not None:
            return ["R", pos]
        if depth > MAX_DEPTH:
            raise Unencodable(f"{where} holds values nested more than {MAX_DEPTH} deep")
        if t is tuple or t is frozenset:
            return ["T" if t is tuple else "FS", [self.value(x, where, depth + 1) for x in v]]
        if isinstance(v, tuple) and hasattr(t, "_fields") and crossing(t):
            return ["NT", class_ref(t), [self.value(x, where, depth + 1) for x in v]]
        if isinstance(v, enum.Enum) and crossing(t):
            return ["EN", class_ref(t), v.name]
        if isinstance(v, BaseException):
            return self.exception(v, depth + 1)
        kind = kind_of(v)
        if kind is not None and kind != "mem" and (kind != "obj" or crossing(t)):
            self.new.append(v)
            if len(self.new) > MAX_NEW:
                raise Unencodable(f"memlab's code made more than {MAX_NEW} objects in one call")
            self.new_ids[id(v)] = -len(self.new)
            return ["R", -len(self.new)]
        raise Unencodable(f"{where} holds {_described(v)}: {_ALLOWED}")

    def exception(self, e: BaseException, depth: int = 0) -> list:
        """An exception as ``["EX", class, args, attributes, where]``."""
        t = type(e)
        if t.__module__ == "builtins" and getattr(builtins, t.__name__, None) is t:
            ref = f"builtins:{t.__name__}"
        elif crossing(t):
            ref = class_ref(t)
        else:
            ref = "!" + (t.__name__ if t.__name__.isidentifier() and len(t.__name__) <= 60 else "LearnerError")
        args = []
        for a in e.args[:16]:
            try:
                args.append(self.value(a, "an exception's argument", depth + 1))
            except Unencodable:
                args.append(_printable(a))
        attrs = {}
        if ref[0] != "!" and not ref.startswith("builtins:"):
            for name, a in getattr(e, "__dict__", {}).items():
                try:
                    attrs[name] = self.value(a, "an exception's attribute", depth + 1)
                except Unencodable:
                    pass
        return ["EX", ref, args, attrs, learner_line(e)]


_ALLOWED = (
    "graded code may hand back only plain values (None, bool, int, float, str, bytes, and lists, tuples, "
    "dicts and sets of them) and memlab's own objects"
)


def _described(v: object) -> str:
    t = type(v)
    if callable(v) and t.__module__ != "__submission__":
        return "a function, class or other callable"
    if t.__module__ in ("__submission__", "builtins") and issubclass(t, (int, str, float, bytes, tuple, list, dict)):
        return f"a {t.__name__} (a subclass of {t.__mro__[1].__name__}, not a plain one)"
    if t.__module__ == "__submission__":
        return f"a {t.__name__} object, of a class of your own"
    return f"a {t.__module__}.{t.__qualname__} object"


def _printable(value: object) -> str:
    try:
        text = str(value)
    except Exception:  # noqa: BLE001 - a learner's __str__
        text = f"<a {type(value).__name__}>"
    return text[:1000]


def learner_line(e: BaseException) -> list[int] | None:
    """[cell, line] of the last frame of the learner's own code in the exception's traceback."""
    for frame in reversed(traceback.extract_tb(e.__traceback__)):
        name = frame.filename
        if name.startswith("<cell ") and name.endswith(">") and name[6:-1].isdigit():
            return [int(name[6:-1]), int(frame.lineno or 0)]
    return None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def dumps(message: dict) -> bytes:
    """An answer as the bytes the learner's process sends."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# -- the grader's side: read strictly, then apply -------------------------------------------------


class Answer:
    """A decoded answer: the result or the exception, the stop reason, what was printed, and the
    new state, written into the grader's objects only by :meth:`apply`."""

    def __init__(self) -> None:
        self.result: object = None
        self.raised: BaseException | None = None
        self.stop: tuple | None = None
        self.bad: str | None = None
        self.printed = ""
        self.staged: list[tuple[object, str, object]] = []
        self.table: list = []  # the objects the grader sent

    def apply(self) -> None:
        """Write the new state into the grader's objects (everything was checked before)."""
        for obj, kind, new in self.staged:
            if kind == "obj":
                for name, value in new:
                    set_field(obj, name, value)
            elif kind in ("list", "bytearray"):
                obj[:] = new
            elif kind == "set":
                obj.clear()
                obj.update(new)
            elif kind == "deque":
                obj.clear()
                obj.extend(new)
            elif kind == "odict":
                obj.clear()
                for k, v in new:
                    obj[k] = v
            elif kind == "mem":
                for offset, data in new:
                    obj[offset : offset + len(data)] = data
            else:  # dict, counter, ddict: no code of theirs runs
                dict.clear(obj)
                dict.update(obj, new)
        # Bytes written straight into a simulated memory bypass its methods: tell the Memory, so that
        # whatever keeps an index of those bytes (the free list's accelerator) does not trust it.
        changed = {id(obj): new for obj, kind, new in self.staged if kind == "mem"}
        for item in self.table:
            if type(item) is Memory and id(item._bytes) in changed:
                for offset, data in changed[id(item._bytes)]:
                    item.wrote(offset, offset + len(data))


def decode(frame: bytes, table: list, call_id: int) -> Answer:
    """Check an answer to call ``call_id`` on ``table`` completely; raise BadAnswer at the first fault."""
    if len(frame) > MAX_FRAME:
        raise BadAnswer(f"an answer of {len(frame)} bytes (at most {MAX_FRAME})")
    try:
        message = json.loads(frame.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError, MemoryError) as e:
        raise BadAnswer(f"an answer that is not JSON ({type(e).__name__})") from None
    return _Reader(table).answer(message, call_id)


_OUTCOMES = ("result", "raise", "stop", "bad")


class _Reader:
    def __init__(self, table: list) -> None:
        self.table = table
        self.new: list[object] = []
        self.nodes = 0

    def answer(self, message: object, call_id: int) -> Answer:
        if type(message) is not dict:
            raise BadAnswer("an answer that is not a JSON object")
        keys = set(message)
        outcome = [k for k in _OUTCOMES if k in keys]
        allowed = {"id", "printed", "state", *_OUTCOMES}
        if len(outcome) != 1 or not keys <= allowed or message.get("id") != call_id or type(call_id) is not int:
            raise BadAnswer("an answer of the wrong shape, or to another call")
        if type(message["id"]) is not int:
            raise BadAnswer("an answer of the wrong shape, or to another call")
        out = Answer()
        out.table = self.table
        printed = message.get("printed", "")
        if type(printed) is not str or len(printed) > MAX_STR:
            raise BadAnswer("printed text that is not a string")
        out.printed = printed
        (outcome,) = outcome
        if outcome == "stop":
            out.stop = self._stop(message["stop"])
            return out
        if outcome == "bad":
            if type(message["bad"]) is not str:
                raise BadAnswer("a reason that is not a string")
            out.bad = message["bad"][:2000]
            return out
        if "state" not in message:
            raise BadAnswer("an answer without the state of its arguments")
        pending = self._state(message["state"])
        if outcome == "raise":
            raised = message["raise"]
            if type(raised) is not list or not raised or raised[0] != "EX":
                raise BadAnswer("an exception that is not one")
            out.raised = self.exception(raised, 0)
        else:
            out.result = self.value(message["result"], 0)
        out.staged = [
            (self.table[pos], kind, self._stage(self.table[pos], kind, payload)) for pos, kind, payload in pending
        ]
        return out

    @staticmethod
    def _stop(stop: object) -> tuple:
        if type(stop) is list and stop and stop[0] in ("output", "interrupt") and len(stop) == 1:
            return (stop[0],)
        if type(stop) is list and len(stop) == 2 and stop[0] == "exit" and type(stop[1]) is int:
            return ("exit", max(-(1 << 31), min(stop[1], 1 << 31)))
        raise BadAnswer("a stop reason the grader does not know")

    # -- entries
    def _state(self, entries: object) -> list:
        if type(entries) is not list or len(entries) > len(self.table) + MAX_NEW:
            raise BadAnswer("a state that is not a list of entries")
        existing, new = {}, []
        for entry in entries:
            if type(entry) is not list or len(entry) not in (3, 4) or type(entry[0]) is not int:
                raise BadAnswer("an entry of the wrong shape")
            pos, kind = entry[0], entry[1]
            if pos >= 0:
                if len(entry) != 3 or pos >= len(self.table) or pos in existing:
                    raise BadAnswer(f"an entry for object {pos}, which the grader did not send, or twice")
                if kind != kind_of(self.table[pos]):
                    raise BadAnswer(f"an entry that makes a {_short(kind)} of object {pos}")
                existing[pos] = entry[2]
            else:
                if len(entry) != 4:
                    raise BadAnswer("an entry of the wrong shape")
                new.append(entry)
        new.sort(key=lambda e: -e[0])
        if [e[0] for e in new] != [-(i + 1) for i in range(len(new))]:
            raise BadAnswer("new objects that are not numbered -1, -2, ...")
        self.new = [self._shell(kind, cls, payload) for _, kind, cls, payload in new]
        for (_, kind, _, payload), shell in zip(new, self.new):  # attributes first: dict keys may hash them
            if kind == "obj":
                self._fill_new_object(shell, payload)
        for (_, kind, _, payload), shell in zip(new, self.new):
            if kind != "obj":
                self._fill_container(shell, kind, payload)
        return [(pos, kind_of(self.table[pos]), payload) for pos, payload in existing.items()]

    def _shell(self, kind: object, cls: object, payload: object) -> object:
        if kind == "obj":
            klass = find_class(cls)
            if (
                klass.__new__ is not object.__new__
                or issubclass(klass, (BaseException, tuple, enum.Enum))
                or kind_of(object.__new__(klass)) != "obj"
            ):
                raise BadAnswer(f"a new object of a class the grader does not make: {_short(cls)}")
            return object.__new__(klass)
        if cls is not None and kind != "ddict":
            raise BadAnswer("a new container with a class")
        makers = {
            "list": list,
            "dict": dict,
            "set": set,
            "bytearray": bytearray,
            "counter": collections.Counter,
            "odict": collections.OrderedDict,
        }
        if kind in makers:
            return makers[kind]()
        if kind == "ddict":
            if cls is not None and cls not in FACTORIES:
                raise BadAnswer("a defaultdict whose factory the grader does not make")
            return collections.defaultdict(FACTORIES.get(cls))
        if kind == "deque":
            if type(payload) is not list or len(payload) != 2 or not (payload[0] is None or type(payload[0]) is int):
                raise BadAnswer("a deque of the wrong shape")
            if payload[0] is not None and not 0 <= payload[0] <= MAX_NODES:
                raise BadAnswer("a deque of the wrong shape")
            return collections.deque(maxlen=payload[0])
        raise BadAnswer(f"a new object of kind {_short(kind)}")

    def _fill_new_object(self, obj: object, payload: object) -> None:
        if type(payload) is not dict:
            raise BadAnswer("an object's attributes that are not a JSON object")
        cls, slots = type(obj), {name for name, _ in _slots(type(obj))}
        for name, raw in payload.items():
            if not name.isidentifier() or name.startswith("__") or len(name) > 100:
                raise BadAnswer(f"an attribute name the grader does not accept: {_short(name)}")
            shadowed = getattr(cls, name, None)
            if name not in slots and (callable(shadowed) or isinstance(shadowed, property)):
                raise BadAnswer(f"an attribute {name!r} that would hide a method of {cls.__name__}")
            if name not in slots and not cls.__dictoffset__:
                raise BadAnswer(f"an attribute {name!r} that a {cls.__name__} cannot have")
            set_field(obj, name, self.value(raw, 1))

    def _fill_container(self, obj: object, kind: str, payload: object) -> None:
        try:
            if kind in ("list", "set"):
                items = self._items(payload)
                obj.extend(items) if kind == "list" else obj.update(items)
            elif kind == "deque":
                obj.extend(self._items(payload[1]))
            elif kind == "bytearray":
                obj.extend(self._bytes(payload))
            else:
                for k, v in self._pairs(payload):
                    dict.__setitem__(obj, k, v) if kind != "odict" else obj.__setitem__(k, v)
        except TypeError as e:  # unhashable keys or members
            raise BadAnswer(f"a {kind} that cannot be built ({e})") from None

    def _stage(self, obj: object, kind: str, payload: object) -> object:
        try:
            if kind == "obj":
                return self._stage_object(obj, payload)
            if kind == "list":
                return self._items(payload)
            if kind == "set":
                return set(self._items(payload))
            if kind == "deque":
                if type(payload) is not list or len(payload) != 2 or payload[0] != obj.maxlen:
                    raise BadAnswer("a deque of the wrong shape")
                return self._items(payload[1])
            if kind == "bytearray":
                return self._bytes(payload)
            if kind == "odict":
                return self._pairs(payload)
            if kind == "mem":
                return self._ranges(obj, payload)
            return dict(self._pairs(payload))
        except TypeError as e:
            raise BadAnswer(f"a {kind} that cannot be built ({e})") from None

    def _stage_object(self, obj: object, payload: object) -> list:
        if type(payload) is not dict:
            raise BadAnswer("an object's attributes that are not a JSON object")
        have = fields(obj)
        if set(payload) != set(have):
            extra = sorted(set(payload) ^ set(have))
            raise BadAnswer(f"attributes of a {type(obj).__name__} that were not there, or are missing: {extra[:3]}")
        out = []
        for name, raw in payload.items():
            value = self.value(raw, 1, keep=True)
            if value is not _KEEP:
                out.append((name, value))
        return out

    def _items(self, payload: object) -> list:
        if type(payload) is not list:
            raise BadAnswer("a container that is not a list")
        return [self.value(x, 1) for x in payload]

    def _pairs(self, payload: object) -> list:
        if type(payload) is not list:
            raise BadAnswer("a mapping that is not a list of pairs")
        out = []
        for pair in payload:
            if type(pair) is not list or len(pair) != 2:
                raise BadAnswer("a mapping that is not a list of pairs")
            key = self.value(pair[0], 1)
            hash(key)  # a TypeError here: an unhashable key
            out.append((key, self.value(pair[1], 1)))
        return out

    def _ranges(self, mm: mmap.mmap, payload: object) -> list:
        if type(payload) is not list:
            raise BadAnswer("memory changes that are not a list")
        out, total = [], 0
        for item in payload:
            if type(item) is not list or len(item) != 2 or type(item[0]) is not int:
                raise BadAnswer("a memory change of the wrong shape")
            data = self._bytes(item[1], limit=MAX_FRAME)
            if item[0] < 0 or item[0] + len(data) > len(mm):
                raise BadAnswer(f"a memory change at {item[0]:#x} outside the simulated memory")
            total += len(data)
            out.append((item[0], data))
        if total > MAX_FRAME:
            raise BadAnswer("memory changes larger than an answer may be")
        return out

    @staticmethod
    def _bytes(raw: object, limit: int = MAX_STR) -> bytes:
        if type(raw) is not str or len(raw) > limit * 4 // 3 + 4:
            raise BadAnswer("bytes that are not base64, or too many")
        try:
            return base64.b64decode(raw.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error):
            raise BadAnswer("bytes that are not base64") from None

    # -- values
    def value(self, v: object, depth: int, keep: bool = False) -> object:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise BadAnswer(f"an answer of more than {MAX_NODES} values")
        t = type(v)
        if v is None or t is bool or t is float:
            return v
        if t is str:
            if len(v) > MAX_STR:
                raise BadAnswer(f"a string of more than {MAX_STR} characters")
            return v
        if t is int:
            if v.bit_length() > MAX_INT_BITS:
                raise BadAnswer(f"an integer of {v.bit_length()} bits (at most {MAX_INT_BITS})")
            return v
        if t is not list or not v or type(v[0]) is not str or depth > MAX_DEPTH:
            raise BadAnswer("a value that is not plain data")
        tag, n = v[0], len(v)
        if tag == "R" and n == 2 and type(v[1]) is int:
            pos = v[1]
            if 0 <= pos < len(self.table):
                return self.table[pos]
            if -len(self.new) <= pos < 0:
                return self.new[-pos - 1]
            raise BadAnswer(f"a reference to object {pos}, which does not exist")
        if tag == "K" and n == 1 and keep:
            return _KEEP
        if tag in ("T", "FS") and n == 2 and type(v[1]) is list:
            items = [self.value(x, depth + 1) for x in v[1]]
            try:
                return tuple(items) if tag == "T" else frozenset(items)
            except TypeError:
                raise BadAnswer("a frozenset of unhashable values") from None
        if tag == "B" and n == 2:
            return self._bytes(v[1])
        if tag == "NT" and n == 3 and type(v[2]) is list:
            cls = find_class(v[1])
            if not (issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple)):
                raise BadAnswer("a named tuple of a class that is not one")
            if len(v[2]) != len(cls._fields):
                raise BadAnswer(f"a {cls.__name__} with {len(v[2])} fields; it has {len(cls._fields)}")
            return tuple.__new__(cls, [self.value(x, depth + 1) for x in v[2]])
        if tag == "EN" and n == 3 and type(v[2]) is str:
            cls = find_class(v[1])
            member = cls._member_map_.get(v[2]) if issubclass(cls, enum.Enum) else None
            if member is None:
                raise BadAnswer("an enum member that does not exist")
            return member
        if tag == "EX":
            return self.exception(v, depth + 1)
        raise BadAnswer(f"a value with the unknown tag {_short(tag)}")

    def exception(self, v: list, depth: int) -> BaseException:
        if len(v) != 5 or type(v[1]) is not str or type(v[2]) is not list or type(v[3]) is not dict:
            raise BadAnswer("an exception of the wrong shape")
        ref, raw_args, raw_attrs, where = v[1], v[2], v[3], v[4]
        if len(raw_args) > 16 or len(raw_attrs) > 16:
            raise BadAnswer("an exception with too many arguments")
        args = tuple(self.value(a, depth + 1) for a in raw_args)
        attrs = {}
        for name, raw in raw_attrs.items():
            if not name.isidentifier() or name.startswith("_") or len(name) > 60:
                raise BadAnswer("an exception attribute the grader does not accept")
            attrs[name] = self.value(raw, depth + 1)
        e = self._exception(ref, args, attrs)
        if where is not None:
            if (
                type(where) is not list
                or len(where) != 2
                or any(type(x) is not int or not 0 <= x < 1 << 31 for x in where)
            ):
                raise BadAnswer("an exception's place that is not [cell, line]")
            e.learner_where = f"cell {where[0]} line {where[1]}"
        return e

    @staticmethod
    def _exception(ref: str, args: tuple, attrs: dict) -> BaseException:
        if ref.startswith("!"):
            name = ref[1:]
            if not name.isidentifier() or len(name) > 60:
                raise BadAnswer("an exception class name the grader does not accept")
            return raised_as(name)(*args)
        if ref.startswith("builtins:"):
            cls = getattr(builtins, ref[9:], None)
            if not (isinstance(cls, type) and issubclass(cls, Exception)):
                raise BadAnswer(f"an exception class the grader does not accept: {_short(ref)}")
            try:
                return cls(*args)
            except Exception:  # noqa: BLE001 - arguments that class does not take
                return raised_as(cls.__name__)(*args)
        cls = find_class(ref)
        if not issubclass(cls, Exception):
            raise BadAnswer(f"an exception class the grader does not accept: {_short(ref)}")
        try:
            e = cls.__new__(cls)
        except TypeError:  # a subclass of MemoryError, say, which insists on its own __new__
            try:
                e = cls(*args)
            except Exception:  # noqa: BLE001 - its __init__ wants other arguments
                return raised_as(cls.__name__)(*args)
        e.args = args
        for name, value in attrs.items():
            e.__dict__[name] = value
        return e
