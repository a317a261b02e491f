"""A snapshot of an object graph: plain data for views and tests.

Nodes are the objects (with their counts, colour and state read from their headers), edges
the references between them, and variables the roots (locals of each scope and globals).
An edge's ``source`` is a node id (an ``int``) or a variable's label (a ``str``, e.g.
``"main.a"``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Node:
    """One object: identity, where it lives, what its header says."""

    id: int
    name: str
    type: str
    address: int
    size: int
    state: str
    counts: tuple[tuple[str, int], ...] = ()
    colour: str = ""
    tags: tuple[str, ...] = ()

    def count(self, label: str) -> int:
        """One of the counts by its label (``"rc"``, ``"strong"``, ``"gc_refs"``...)."""
        for name, value in self.counts:
            if name == label:
                return value
        raise KeyError(f"{self.name} has no count {label!r}; it has {[n for n, _ in self.counts]}")


@dataclass(frozen=True, slots=True)
class Edge:
    """A reference: from an object field or a variable, to an object."""

    source: int | str
    target: int
    label: str
    kind: str = "strong"


@dataclass(frozen=True, slots=True)
class Variable:
    """A root: a variable of a scope (``frame``), a temporary, or a global."""

    frame: str
    name: str
    kind: str
    target: int | None

    @property
    def label(self) -> str:
        return self.name if self.frame == "globals" else f"{self.frame}.{self.name}"


@dataclass(frozen=True, slots=True)
class GraphSnapshot:
    """The whole object graph at one step."""

    scheme: str
    step: int
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    variables: tuple[Variable, ...] = ()
    note: str = ""

    def node(self, key: int | str) -> Node:
        """A node by id or by name."""
        for n in self.nodes:
            if n.id == key or n.name == key:
                return n
        raise KeyError(f"no object {key!r} in this snapshot")

    def names(self, state: str | None = None) -> list[str]:
        """The names of the objects (in a given state), in id order."""
        return [n.name for n in self.nodes if state is None or n.state == state]

    def __contains__(self, key: object) -> bool:
        return any(n.id == key or n.name == key for n in self.nodes)
