"""The instructor's release: a bundle for students with the exercises and what they need, and no answers.

The course repository keeps ``solutions/`` and ``exercises/source/`` for self-paced learners, who
check their work against them. An instructor who grades hands out ``memlab exercises release OUT``
instead: ``OUT/exercises/`` holds every exercise notebook built afresh from its source (stubs or
starter code where the answers are, no hidden tests, no outputs), ``OUT/notebooks/`` the course,
``OUT/memlab/`` the package whose check cells (``check("04")``) and helpers the exercises import,
and ``OUT/pyproject.toml`` and ``OUT/README.md`` to install and start it. No compiled file is
copied (the install builds the C fast path again).

Before it returns, :func:`release` reads every file it wrote and fails, removing them, if any holds
a line of an answer or of a hidden test (:func:`secrets`): an answer pasted into a check module, a
hidden test left in an exercise, is caught before students see it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat

from ..errors import BadRequest
from .builder import MARK, split
from .hidden import TAG

SKIPPED = ("__pycache__", ".so", ".pyd", ".pyc", ".o", ".egg-info")
MIN_SECRET = 16
"""Shorter lines (``return bp``, ``else:``) say nothing about an answer and occur everywhere."""

README = """# {title}: the exercises

Install once, from this folder (Python 3.10 or newer):

```sh
python3 -m venv .venv && .venv/bin/pip install -e ".[lab]" && .venv/bin/jupyter lab
```

Then open `exercises/`, replace each `raise NotImplementedError` with your code, and run the
notebook's check cell (`check("04")`): it tries your functions on memlab's real heaps and says,
case by case, what is right and what is not. `notebooks/` holds the course the exercises follow.
Your instructor grades the notebook you hand in with more tests than the check cell runs.
"""


def package_files() -> list[tuple[str, Path]]:
    """(path inside the bundle, file) of every source file of the installed memlab package."""
    from .isolation import package_dir

    top = package_dir()
    return [
        (f"memlab/{path.relative_to(top).as_posix()}", path)
        for path in sorted(top.rglob("*"))
        if path.is_file() and not any(part.endswith(SKIPPED) for part in path.relative_to(top).parts)
    ]


CONTROL = re.compile(r"^(for|if|elif|while|with|except|def|class)\b.*:$|^(else|try|finally):$")


def nontrivial(line: str) -> bool:
    """A line that says something about an answer: :data:`MIN_SECRET` characters or more, not a
    comment, not a bare ``if ...:`` or ``for ...:`` (``return bp`` and ``except OutOfMemory:`` are
    everywhere)."""
    return len(line) >= MIN_SECRET and not line.startswith("#") and not CONTROL.match(line)


def _package_lines(grading: bool) -> set[str]:
    """The lines of memlab's library (``grading=False``: without its grading package) or of all of it."""
    from .isolation import package_dir

    top = package_dir()
    return {
        line.strip()
        for path in top.rglob("*.py")
        if grading or "grading" not in path.relative_to(top).parts[:1]
        for line in path.read_text(encoding="utf-8").splitlines()
    }


def secrets(root: str | Path) -> dict[str, str]:
    """The lines that must not leave the course: {line: where it comes from}.

    Every non-trivial line of an answer (between ``### BEGIN SOLUTION`` and ``### END SOLUTION``)
    that the exercise does not show and that memlab's library does not hold (a line of the real
    system an exercise re-implements, TCMalloc's refill say, is the course's own material), and
    every non-trivial line of a hidden test that is not an import and that neither the exercise nor
    the course's public material (the package, the notebooks) holds: ``heap = ExerciseHeap(...)``
    is how every notebook starts, not a secret.
    """
    library, package = _package_lines(grading=False), _package_lines(grading=True)
    for nb_path in sorted((Path(root) / "notebooks").glob("*.ipynb")):
        package |= lines_in(nb_path)
    found: dict[str, str] = {}
    for src in sorted((Path(root) / "exercises" / "source").glob("*.ipynb")):
        nb = nbformat.read(src, as_version=4)
        exercise, _ = split(nb, src.stem)
        shown = {line.strip() for cell in exercise.cells for line in cell.source.splitlines()}
        for i, cell in enumerate(nb.cells, 1):
            hidden = TAG in cell.get("metadata", {}).get("tags", [])
            inside = False
            for line in cell.source.splitlines():
                mark = MARK.match(line)
                if mark:
                    inside = mark.group(2) == "BEGIN" and mark.group(3) == "SOLUTION"
                    continue
                text = line.strip()
                if not nontrivial(text) or text in shown:
                    continue
                public = text in package or text.startswith(("import ", "from "))
                if (inside and text not in library) or (hidden and not public):
                    found.setdefault(text, f"{src.name} cell {i}")
    return found


def lines_in(path: Path) -> set[str]:
    """A file's lines, stripped; a notebook's are its cells' lines."""
    text = path.read_bytes().decode("utf-8", "replace")
    if path.suffix == ".ipynb":
        try:
            nb = nbformat.reads(text, as_version=4)
            return {line.strip() for cell in nb.cells for line in cell.source.splitlines()}
        except Exception:  # noqa: BLE001 - not a notebook after all: read it as text
            pass
    return {line.strip() for line in text.splitlines()}


def leaks(folder: str | Path, secret: dict[str, str]) -> list[str]:
    """``file: line (from ...)`` for every secret line that is a line of any file under ``folder``."""
    out = []
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            out += [f"{path}: {line!r} (from {secret[line]})" for line in sorted(lines_in(path) & set(secret))]
    return out


def release(root: str | Path, out: str | Path) -> list[Path]:
    """Write the student bundle to ``out`` (see the module docstring); the files written."""
    root, out = Path(root), Path(out)
    sources = sorted((root / "exercises" / "source").glob("*.ipynb"))
    if not sources:
        raise BadRequest(f"{root / 'exercises' / 'source'}: no source notebooks to release")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BadRequest(f"{out}: exists and is not an empty folder")
    written = []
    for src in sources:
        exercise, _ = split(nbformat.read(src, as_version=4), src.stem)
        written.append(_write_notebook(exercise, out / "exercises" / src.name))
    for nb in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        written.append(_copy(nb, out / "notebooks" / nb.name))
    for name, path in package_files():
        written.append(_copy(path, out / name))
    for name in ("pyproject.toml", "environment.yml"):
        if (root / name).is_file():
            written.append(_copy(root / name, out / name))
    (out / "README.md").write_text(README.format(title="memlab"), encoding="utf-8")
    written.append(out / "README.md")
    found = leaks(out, secrets(root))
    if found:
        shutil.rmtree(out)
        raise BadRequest(f"the release would show answers or hidden tests, so it was removed: {found[0]}")
    return written


def _write_notebook(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _copy(src: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return dest
