"""Reading a heap of objects: its words as they sit in simulated memory, and the graph snapshot.

``words(obj)`` lists the header words (flags, then the scheme's counts, as CPython's
``ob_refcnt`` and Swift's ``HeapObject`` counts sit before the fields) and the field words, with
what each means; ``snapshot()`` gives the graph views draw: objects with their counts,
references and the variables that are roots (and, where a collector freed an object that is
still referred to, that object as ``freed``, at the end of its dangling references).
"""

from __future__ import annotations

from .handles import Obj, Slot
from .snapshot import Edge, GraphSnapshot, Node, Variable
from .types import INT, STATES


class HeapInspection:
    """``words`` and ``snapshot`` of a :class:`~.objects.Heap` (a mixin)."""

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
