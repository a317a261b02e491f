"""Reading a learner's notebook: its exercise, and the definitions it makes.

Grading does not replay the whole notebook (a demo cell could run for minutes). It takes, from
every code cell, only the top-level statements that *define* something: imports, functions,
classes, and assignments that call nothing (``MIN_BLOCK = 16``). Each runs on its own, so a
cell with a syntax error or a failing import costs only that statement; the notes say which.
Code is compiled with the file name ``<cell N>`` so feedback can point at the learner's line.

A submission may be anything: :func:`read` accepts only a regular file (no link, no pipe) of at
most 32 MiB of UTF-8 JSON whose top level is an object with a list of cells, and :func:`cells`
takes from it only code cells whose source is text. Whatever else is wrong is reported as one
reason and costs only that submission. The grader reads the file; the learner's process gets the
code cells' text, never the path (:mod:`.boundary`).
"""

from __future__ import annotations

import ast
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
MAX_BYTES = 32 << 20
"""The largest notebook file graded."""
MAX_CODE = 4 << 20
"""The most characters of code taken from one notebook."""
MAX_CELLS = 10_000


@dataclass
class Definitions:
    """What a notebook defines, and what went wrong while defining it."""

    namespace: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read(path: str | Path) -> dict:
    """The notebook as JSON; raises ValueError, saying why, if it is not a notebook."""
    data = _read_bytes(Path(path))
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise ValueError(f"not a readable notebook: not UTF-8 text (byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"not a readable notebook: not JSON ({e.msg}, line {e.lineno})") from None
    except (RecursionError, MemoryError, ValueError):
        raise ValueError("not a readable notebook: JSON nested too deeply or too large") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("not a notebook: no list of cells")
    return nb


def _read_bytes(path: Path) -> bytes:
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            raise ValueError("not a readable notebook: a symbolic link, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a readable notebook: not a regular file")
        if info.st_size > MAX_BYTES:
            raise ValueError(f"not a readable notebook: {info.st_size} bytes, more than {MAX_BYTES >> 20} MiB")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise ValueError(f"not a readable notebook: {e.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a readable notebook: not a regular file")
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_BYTES:
            raise ValueError(f"not a readable notebook: more than {MAX_BYTES >> 20} MiB")
        return b"".join(chunks)
    finally:
        os.close(fd)


NUMBER = re.compile(r"^(\d\d)(?:_|$)")


def claimed_exercise(nb: dict) -> str | None:
    """The exercise the notebook's metadata names (written by ``memlab exercises build``), if any."""
    meta = nb.get("metadata")
    memlab = meta.get("memlab") if isinstance(meta, dict) else None
    key = memlab.get("exercise") if isinstance(memlab, dict) else None
    return key if isinstance(key, str) and len(key) <= 100 else None


def named_exercise(path: str | Path) -> str | None:
    """The exercise number a file's name starts with (``06_buddy.ipynb``, ``06.ipynb``), if any."""
    match = NUMBER.match(Path(path).stem)
    return match.group(1) if match else None


def exercise_of(nb: dict, path: str | Path) -> str:
    """The exercise a notebook belongs to: its metadata, else its file name."""
    return claimed_exercise(nb) or Path(path).stem


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def cells(nb: dict) -> tuple[list[tuple[int, str]], list[str]]:
    """(cell number from 1, source) of every code cell whose source is text, and notes on the others."""
    out, notes, total = [], [], 0
    for i, cell in enumerate(nb["cells"][:MAX_CELLS], 1):
        if not isinstance(cell, dict):
            notes.append(f"cell {i} is not a cell (a JSON {type(cell).__name__}); it was skipped")
            continue
        if cell.get("cell_type") != "code":
            continue
        text = cell.get("source", "")
        if isinstance(text, list) and all(isinstance(line, str) for line in text):
            text = "".join(text)
        if not isinstance(text, str):
            notes.append(f"cell {i}'s source is not text; it was skipped")
            continue
        total += len(text)
        if total > MAX_CODE:
            notes.append(f"the code stops at cell {i}: more than {MAX_CODE >> 20} MiB of it")
            break
        out.append((i, text))
    if len(nb["cells"]) > MAX_CELLS:
        notes.append(f"only the first {MAX_CELLS} cells were read")
    return out, notes


def code_cells(nb: dict) -> list[tuple[int, str]]:
    """(cell number from 1, source) of every code cell."""
    return cells(nb)[0]


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
    code, notes = cells(nb)
    out = define_cells(code)
    out.notes[:0] = notes
    return out


def define_cells(code: list[tuple[int, str]]) -> Definitions:
    """Run the definitions of these (cell number, source) pairs in a fresh namespace."""
    out = Definitions({"__name__": "__submission__"})
    for number, text in code:
        name = f"<cell {number}>"
        try:
            tree = ast.parse(_without_magics(text), name)
        except SyntaxError as e:
            out.notes.append(f"cell {number} has a syntax error (line {e.lineno}): {e.msg}; it was skipped")
            continue
        except (ValueError, RecursionError, MemoryError) as e:
            out.notes.append(f"cell {number} cannot be read as Python ({type(e).__name__}); it was skipped")
            continue
        for stmt in tree.body:
            if not is_definition(stmt):
                continue
            module = ast.Module(body=[stmt], type_ignores=[])
            try:
                exec(compile(module, name, "exec"), out.namespace)  # noqa: S102 - the point of a grader
            except Exception as e:  # noqa: BLE001
                hint = (
                    " (grading runs with Python's standard library and memlab only)"
                    if isinstance(e, ImportError)
                    else ""
                )
                out.notes.append(f"cell {number} line {stmt.lineno}: {type(e).__name__}: {e}{hint}")
    return out


def _without_magics(text: str) -> str:
    """IPython magics and shell escapes (``%time``, ``!ls``) become blank lines."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines())
