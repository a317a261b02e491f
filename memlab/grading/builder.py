"""One source, two notebooks: the learner's exercise and the instructor's solution.

A source notebook ``exercises/source/NN_name.ipynb`` holds the complete solution, marked::

    def coalesce(heap, bp):
        ### BEGIN SOLUTION
        ...the answer...
        ### END SOLUTION

The *exercise* (``exercises/NN_name.ipynb``) gets, in place of each marked block, a stub
``raise NotImplementedError`` at the marker's indentation, or the block between
``### BEGIN STARTER`` and ``### END STARTER`` if the cell has one (a buggy program to fix, say);
cells tagged ``hidden-tests`` are dropped and outputs cleared. The *solution*
(``solutions/NN_name.ipynb``) keeps the answers, drops the starters, and is executed so its
outputs show. Both record the exercise's name in their metadata, which is how ``memlab grade``
knows what a submission is.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

from .hidden import TAG as HIDDEN

MARK = re.compile(r"^(\s*)### (BEGIN|END) (SOLUTION|STARTER)\s*$")
STUB = "raise NotImplementedError  # your code here"


class SourceError(ValueError):
    """A source notebook's markers do not pair up."""


def split_cell(text: str, where: str) -> tuple[str, str]:
    """(exercise text, solution text) of one cell's source."""
    student, solution = [], []
    mode = None  # None, "SOLUTION" or "STARTER"
    has_starter = "### BEGIN STARTER" in text
    for number, line in enumerate(text.split("\n"), 1):
        m = MARK.match(line)
        if not m:
            if mode != "SOLUTION":
                student.append(line)
            if mode != "STARTER":
                solution.append(line)
            continue
        indent, edge, kind = m.groups()
        if edge == "BEGIN":
            if mode is not None:
                raise SourceError(f"{where} line {number}: BEGIN {kind} inside {mode}")
            mode = kind
            if kind == "SOLUTION" and not has_starter:
                student.append(indent + STUB)
        else:
            if mode != kind:
                raise SourceError(f"{where} line {number}: END {kind} without BEGIN {kind}")
            mode = None
    if mode is not None:
        raise SourceError(f"{where}: BEGIN {mode} is never ended")
    return "\n".join(student), "\n".join(solution)


def split(source: nbformat.NotebookNode, key: str) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """The exercise and the solution notebooks made from one source notebook."""
    exercise, solution = copy.deepcopy(source), copy.deepcopy(source)
    exercise.cells, solution.cells = [], []
    for i, cell in enumerate(source.cells, 1):
        tags = cell.get("metadata", {}).get("tags", [])
        student_text, solution_text = split_cell(cell.source, f"{key} cell {i}")
        if cell.cell_type == "code":
            for nb, text in ((exercise, student_text), (solution, solution_text)):
                if nb is exercise and HIDDEN in tags:
                    continue
                new = nbformat.v4.new_code_cell(text, metadata=copy.deepcopy(cell.get("metadata", {})))
                nb.cells.append(new)
        else:
            exercise.cells.append(nbformat.v4.new_markdown_cell(student_text, metadata=dict(cell.get("metadata", {}))))
            solution.cells.append(nbformat.v4.new_markdown_cell(solution_text, metadata=dict(cell.get("metadata", {}))))
    for nb in (exercise, solution):
        nb.metadata["memlab"] = {"exercise": key}
        for n, cell in enumerate(nb.cells):
            cell["id"] = f"{key[:2]}-{n:02d}"  # stable ids, so rebuilding changes nothing
    return exercise, solution


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 120) -> None:
    """Run a notebook in place (for the solutions' outputs).

    No widget state is stored: each player's ``text/html`` output already carries its frames, and
    an export shows that output only where the notebook holds no state for the widget.
    """
    from nbclient import NotebookClient

    resources = {"metadata": {"path": str(cwd)}}
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=resources, store_widget_state=False).execute()


def build(
    root: str | Path = ".",
    *,
    names: list[str] | None = None,
    out: str | Path | None = None,
    run: bool = True,
) -> list[Path]:
    """Build ``exercises/`` and ``solutions/`` under ``out`` (default ``root``) from ``root/exercises/source``."""
    root = Path(root)
    out = Path(out) if out is not None else root
    sources = sorted((root / "exercises" / "source").glob("*.ipynb"))
    if names:
        sources = [s for s in sources if s.stem in names or s.stem[:2] in names]
    written = []
    for src in sources:
        nb = nbformat.read(src, as_version=4)
        exercise, solution = split(nb, src.stem)
        for folder, made in (("exercises", exercise), ("solutions", solution)):
            path = out / folder / src.name
            path.parent.mkdir(parents=True, exist_ok=True)
            if made is solution and run:
                execute(made, root)
            nbformat.write(made, path)
            written.append(path)
    return written


def drift(root: str | Path = ".") -> list[str]:
    """What differs between the committed exercises/solutions and a fresh build (cell sources and tags)."""
    root = Path(root)
    problems = []
    for src in sorted((root / "exercises" / "source").glob("*.ipynb")):
        exercise, solution = split(nbformat.read(src, as_version=4), src.stem)
        for folder, made in (("exercises", exercise), ("solutions", solution)):
            path = root / folder / src.name
            if not path.exists():
                problems.append(f"{folder}/{src.name} is missing: run `memlab exercises build`")
                continue
            have = nbformat.read(path, as_version=4)
            if _shape(have) != _shape(made) or have.metadata.get("memlab") != made.metadata["memlab"]:
                problems.append(f"{folder}/{src.name} differs from its source: run `memlab exercises build`")
    return problems


def _shape(nb: nbformat.NotebookNode) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.cell_type, c.source, tuple(c.get("metadata", {}).get("tags", []))) for c in nb.cells]
