"""Hidden tests: cells of a source notebook that learners never see.

In ``exercises/source/NN_name.ipynb`` a code cell tagged ``hidden-tests`` starts with a line

    # hidden test: coalesce (2 points)

naming the question it belongs to and its points (1 if omitted), followed by plain Python:
asserts over the learner's functions. The build removes these cells from ``exercises/`` and
keeps them in ``solutions/`` (where they run, so they are known to pass on the solution).
``memlab grade`` reads them from the source and runs each as an extra test of its question, in
the grader's own process: a hidden test is the instructor's code, and the learner's functions in
its namespace are stand-ins for the code in the learner's isolated process (:mod:`.boundary`).
The names a hidden test uses besides those come from the *exercise's* import statements
(:func:`imports_of`), never from the learner's notebook.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from . import notebook
from .questions import STUB, Case, Stopped, crash_text

TAG = "hidden-tests"
HEADER = re.compile(r"#\s*hidden test:\s*(\w+)(?:\s*\((\d+(?:\.\d+)?) points?\))?", re.I)


def hidden_tests(source_nb: dict) -> list[dict]:
    """The hidden tests of a source notebook: question, points, name and code of each."""
    tests = []
    for i, cell in enumerate(source_nb["cells"], 1):
        if cell.get("cell_type") != "code" or TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        code = notebook.source(cell)
        match = HEADER.match(code.lstrip())
        if not match:
            raise ValueError(f"hidden-tests cell {i} must start with '# hidden test: QUESTION (N points)'")
        question, points = match.group(1), float(match.group(2) or 1)
        n = 1 + sum(t["question"] == question for t in tests)
        tests.append({"question": question, "points": points, "name": f"{question}: hidden test {n}", "code": code})
    return tests


def find_source(exercise: str, source_dir: str | Path | None) -> dict | None:
    """The source notebook of an exercise in ``source_dir``, if there is one."""
    if source_dir is None:
        return None
    path = Path(source_dir) / f"{exercise}.ipynb"
    return notebook.read(path) if path.exists() else None


def imports_of(source_nb: dict) -> str:
    """The import statements of an exercise's code cells (hidden tests excluded): the names its
    notebook gives every learner, which hidden tests may use (``StackOverflow``, ``get``, ...)."""
    lines = []
    for cell in source_nb["cells"]:
        if cell.get("cell_type") != "code" or TAG in cell.get("metadata", {}).get("tags", []):
            continue
        try:
            tree = ast.parse(notebook.source(cell))
        except SyntaxError:
            continue
        lines += [ast.unparse(s) for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))]
    return "\n".join(dict.fromkeys(lines))


def run_hidden(test: dict, namespace: dict) -> Case:
    """Run one hidden test over a copy of ``namespace`` (the learner's functions, or stand-ins for them)."""
    name, points = test["name"], test["points"]
    try:
        exec(compile(test["code"], "<hidden test>", "exec"), dict(namespace))  # noqa: S102
    except Stopped as e:
        return Case(name, points, 0, str(e))
    except AssertionError as e:
        return Case(name, points, 0, f"failed: {e}" if str(e) else "failed")
    except NotImplementedError:
        return Case(name, points, 0, STUB)
    except Exception as e:  # noqa: BLE001
        return Case(name, points, 0, crash_text(e))
    return Case(name, points, points, "ok")
