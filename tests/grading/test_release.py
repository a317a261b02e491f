"""The instructor's two bundles: the student release (no answer, no hidden test in any file) and the
Gradescope autograder (its results.json follows Gradescope's specification; solutions get full
marks, untouched exercises 0, in a simulated /autograder)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest

from memlab.errors import BadRequest
from memlab.grading import release as release_module
from memlab.grading.autograder import bundle
from memlab.grading.checks import exercise, keys
from memlab.grading.release import release

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())
CONTROL = re.compile(r"^(for|if|elif|while|with|except|def|class)\b.*:$|^(else|try|finally):$")


def nontrivial(line: str) -> bool:
    """A line that says something: 16 characters or more, not a comment, not a bare `if ...:`."""
    return len(line) >= 16 and not line.startswith("#") and not CONTROL.match(line)


def lines_of(nb_path: Path, *, hidden: bool | None = None) -> set[str]:
    nb = nbformat.read(nb_path, as_version=4)
    return {
        line.strip()
        for cell in nb.cells
        if hidden is None or ("hidden-tests" in cell.metadata.get("tags", [])) == hidden
        for line in cell.source.splitlines()
    }


def library_lines(grading: bool) -> set[str]:
    """Lines of memlab's own package: its library (grading=False) or all of it."""
    return {
        line.strip()
        for path in (ROOT / "memlab").rglob("*.py")
        if grading or "grading" not in path.relative_to(ROOT / "memlab").parts
        for line in path.read_text().splitlines()
    }


def solution_and_hidden_lines() -> tuple[dict[str, str], set[str]]:
    """Every non-trivial line a solution adds to its exercise, and every hidden-test line, that the
    course does not already show (lines of memlab's own library are the real systems it teaches; a
    hidden test's imports and set-up lines that the package or the notebooks hold are public), read
    from solutions/ and exercises/ directly; and which answer lines were set aside as the library's."""
    library, package = library_lines(grading=False), library_lines(grading=True)
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        package |= lines_of(notebook)
    secret, set_aside = {}, set()
    for key in keys():
        shown = lines_of(ROOT / "exercises" / f"{key}.ipynb")
        solution = ROOT / "solutions" / f"{key}.ipynb"
        for line in lines_of(solution, hidden=False) - shown:
            if nontrivial(line):
                (set_aside.add(line) if line in library else secret.setdefault(line, key))
        for line in lines_of(solution, hidden=True) - shown:
            if nontrivial(line) and line not in package and not line.startswith(("import ", "from ")):
                secret.setdefault(line, f"{key} (hidden test)")
    return secret, set_aside


def bundle_lines(path: Path) -> set[str]:
    text = path.read_bytes().decode("utf-8", "replace")
    if path.suffix == ".ipynb":
        nb = nbformat.reads(text, as_version=4)
        return {line.strip() for cell in nb.cells for line in cell.source.splitlines()}
    return {line.strip() for line in text.splitlines()}


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "course"
    written = release(ROOT, out)
    return out, written


def test_no_file_of_the_release_holds_a_line_of_a_solution_or_a_hidden_test(released):
    out, written = released
    secret, set_aside = solution_and_hidden_lines()
    assert len(secret) > 200  # answers and hidden tests of every exercise
    headers = {line for key in keys() for line in lines_of(ROOT / "solutions" / f"{key}.ipynb", hidden=True)}
    headers = {line for line in headers if line.startswith("# hidden test:")}
    assert len(headers) >= 18
    files = [p for p in out.rglob("*") if p.is_file()]
    assert sorted(files) == sorted(written)
    for path in files:
        found = bundle_lines(path) & (set(secret) | headers)
        assert not found, f"{path.relative_to(out)}: {sorted(found)[:3]} from {[secret.get(x) for x in found][:3]}"
    # Answer lines that memlab's own library also holds (TCMalloc's refill, the trace statistics, ...)
    # are the real systems the course ships and teaches; none of them is in the grading package.
    assert set_aside and not set_aside & {
        line.strip() for p in (out / "memlab" / "grading").rglob("*.py") for line in p.read_text().splitlines()
    } - library_lines(False)


def test_the_release_holds_the_exercises_the_course_and_the_package_and_nothing_else(released):
    out, _ = released
    tops = sorted(p.name for p in out.iterdir())
    assert tops == ["README.md", "environment.yml", "exercises", "memlab", "notebooks", "pyproject.toml"]
    assert sorted(p.stem for p in (out / "exercises").glob("*.ipynb")) == keys()
    assert not list(out.rglob("*.so")) and not list(out.rglob("__pycache__")) and not (out / "solutions").exists()
    for nb_path in (out / "exercises").glob("*.ipynb"):
        nb = nbformat.read(nb_path, as_version=4)
        assert not any("hidden-tests" in c.metadata.get("tags", []) for c in nb.cells)
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_a_release_that_would_show_an_answer_is_refused_and_removed(tmp_path, monkeypatch):
    leaky = tmp_path / "leaky.py"
    leaky.write_text("def coalesce(heap, bp):\n    put(heap, bp + size - 8, size, False)\n")
    files = release_module.package_files()
    pasted = ("memlab/grading/checks/leaky.py", leaky)  # an answer pasted into a check module
    monkeypatch.setattr(release_module, "package_files", lambda: [*files, pasted])
    with pytest.raises(BadRequest, match="would show answers or hidden tests"):
        release(ROOT, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(BadRequest, match="not an empty folder"):
        release(ROOT, tmp_path)


# -- Gradescope -----------------------------------------------------------------------------------


def autograder(tmp_path: Path, key: str) -> Path:
    """Gradescope's layout: the zip unpacked in source/, run_autograder copied beside it."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle(key, tmp_path / f"{key}.zip", root=ROOT, seconds=10)) as z:
        z.extractall(root / "source")
        for info in z.infolist():
            os.chmod(root / "source" / info.filename, info.external_attr >> 16 or 0o644)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    return root


def run(root: Path, notebook: Path) -> dict:
    shutil.copy(notebook, root / "submission" / "my_work.ipynb")
    done = subprocess.run(
        [str(root / "run_autograder")],
        cwd=root,
        env={**os.environ, "MEMLAB_PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    return results


def test_the_autograder_bundle_holds_what_gradescope_runs_and_no_solution(tmp_path):
    path = bundle("06", tmp_path / "06.zip", root=ROOT)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert {"setup.sh", "run_autograder", "grading.json", "hidden.json"} <= set(names)
        assert all(
            n.startswith("memlab/")
            for n in names
            if n not in ("setup.sh", "run_autograder", "grading.json", "hidden.json")
        )
        assert z.getinfo("run_autograder").external_attr >> 16 & 0o111
        hidden = json.loads(z.read("hidden.json"))
        assert [t["name"] for t in hidden["tests"]] == ["merge: hidden test 1"]
        assert "bubblewrap" in z.read("setup.sh").decode()
        text = "\n".join(z.read(n).decode("utf-8", "replace") for n in names if n != "hidden.json")
    secret, _ = solution_and_hidden_lines()
    assert not [line for line, key in secret.items() if key.startswith("06") and line in text]


@pytest.mark.parametrize("folder, score", [("solutions", 12), ("exercises", 0)])
def test_the_autograder_in_a_simulated_gradescope_writes_results_to_the_specification(tmp_path, folder, score):
    root = autograder(tmp_path, "06")
    results = run(root, ROOT / folder / f"{exercise('06').key}.ipynb")
    assert set(results) == {"score", "execution_time", "output", "tests"}
    assert results["score"] == score
    assert sum(t["score"] for t in results["tests"]) == score
    assert sum(t["max_score"] for t in results["tests"]) == 12
    for test in results["tests"]:
        assert set(test) == {"name", "score", "max_score", "output", "output_format", "visibility"}
        assert test["visibility"] == ("after_published" if "hidden test" in test["name"] else "visible")
    assert results["output"].startswith(f"Exercise 06_buddy_allocation: {min(score, 11)}/11 on the visible tests")
