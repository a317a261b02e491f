"""Reading a learner's notebook: its exercise, and the definitions it makes.

Grading does not replay the whole notebook (a demo cell could run for minutes). It takes, from
every code cell, only the top-level statements that *define* something: imports, functions,
classes, and assignments that call nothing (``MIN_BLOCK = 16``). Each runs on its own, so a
cell with a syntax error or a failing import costs only that statement; the notes say which.
Code is compiled with the file name ``<cell N>`` so feedback can point at the learner's line.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass
class Definitions:
    """What a notebook defines, and what went wrong while defining it."""

    namespace: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read(path: str | Path) -> dict:
    """The notebook as JSON; raises ValueError if it is not a notebook."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"not a readable notebook: {e}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("not a notebook: no list of cells")
    return nb


def exercise_of(nb: dict, path: str | Path) -> str:
    """The exercise a notebook belongs to: its metadata, else its file name's number."""
    meta = nb.get("metadata", {}).get("memlab", {})
    if isinstance(meta, dict) and isinstance(meta.get("exercise"), str):
        return meta["exercise"]
    return Path(path).stem


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def code_cells(nb: dict) -> list[tuple[int, str]]:
    """(cell number from 1, source) of every code cell."""
    return [(i, source(c)) for i, c in enumerate(nb["cells"], 1) if c.get("cell_type") == "code"]


def _calls_nothing(node: ast.AST) -> bool:
    return not any(isinstance(n, (ast.Call, ast.Await, ast.Lambda, ast.comprehension)) for n in ast.walk(node))


def is_definition(stmt: ast.stmt) -> bool:
    if isinstance(stmt, DEFINITIONS):
        return True
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return all(isinstance(t, ast.Name) for t in targets) and (stmt.value is None or _calls_nothing(stmt.value))
    return False


def define(nb: dict) -> Definitions:
    """Run the notebook's definitions in a fresh namespace (see the module docstring)."""
    out = Definitions({"__name__": "__submission__"})
    for number, text in code_cells(nb):
        name = f"<cell {number}>"
        try:
            tree = ast.parse(_without_magics(text), name)
        except SyntaxError as e:
            out.notes.append(f"cell {number} has a syntax error (line {e.lineno}): {e.msg}; it was skipped")
            continue
        for stmt in tree.body:
            if not is_definition(stmt):
                continue
            module = ast.Module(body=[stmt], type_ignores=[])
            try:
                exec(compile(module, name, "exec"), out.namespace)  # noqa: S102 - the point of a grader
            except Exception as e:  # noqa: BLE001
                out.notes.append(f"cell {number} line {stmt.lineno}: {type(e).__name__}: {e}")
    return out


def _without_magics(text: str) -> str:
    """IPython magics and shell escapes (``%time``, ``!ls``) become blank lines."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines())
