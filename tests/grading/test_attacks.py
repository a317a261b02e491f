"""The attack corpus, graded as a class: under bubblewrap and under the fallback, every attack scores
what the untouched stub scores, leaks nothing, harms nobody, and leaves no process behind.

Each attack in ``attacks/`` is a cell added to exercise 06's untouched notebook (see its README).
The class also holds an honest submission (the victim, exercise 06's solution with a marker), the
untouched stub, the solution of exercise 01 saved under 06's name, and malformed notebooks of
every kind. The controls at the end run three attacks with nothing to confine them, through the
learner's own check cell, to show that they are real: there they get full marks.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from memlab.grading import isolation
from memlab.grading.grader import grade
from memlab.grading.limits import Limits
from memlab.grading.release import secrets

ROOT = Path(__file__).resolve().parents[2]
ATTACKS = sorted(p.stem for p in (Path(__file__).parent / "attacks").glob("*.py"))
KEY = "06_buddy_allocation"
VICTIM_MARKER = "VICTIM-MARKER-5e1f"
ENV_SECRET = "grader-secret-7f3e0b"
LIMITS = Limits(seconds=4)

MALFORMED = {
    "metadata_is_a_list": b'{"cells": [], "metadata": []}',
    "nested_100000_deep": b"[" * 100_000 + b"]" * 100_000,
    "cells_nested_deep": b'{"cells": [' + b"[" * 50_000 + b"]" * 50_000 + b"]}",
    "huge_33_mib": b'{"cells": [], "padding": "' + b"x" * (33 << 20) + b'"}',
    "not_utf8": b'\xff\xfe{"cells": []}',
    "cells_not_a_list": b'{"cells": {"0": {"cell_type": "code", "source": "x = 1"}}}',
    "cells_not_cells": b'{"cells": [1, "x", null, [], {"cell_type": "code", "source": 7}]}',
    "a_json_string": b'"a notebook"',
    "empty_file": b"",
    "huge_numbers": b'{"cells": [], "metadata": {"n": 1' + b"0" * 5000 + b', "f": 1e400, "x": NaN}}',
}


def notebook_with(cell: str) -> nbformat.NotebookNode:
    nb = nbformat.read(ROOT / "exercises" / f"{KEY}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(cell))
    return nb


def write(folder: Path, student: str, nb: nbformat.NotebookNode) -> Path:
    path = folder / student / f"{KEY}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def victim() -> nbformat.NotebookNode:
    nb = nbformat.read(ROOT / "solutions" / f"{KEY}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(f"# {VICTIM_MARKER}: an honest student's work"))
    return nb


def make_class(folder: Path) -> None:
    for attack in ATTACKS:
        write(folder, attack, notebook_with((Path(__file__).parent / "attacks" / f"{attack}.py").read_text()))
    write(folder, "victim", victim())
    write(folder, "stub", nbformat.read(ROOT / "exercises" / f"{KEY}.ipynb", as_version=4))
    write(folder, "wrong_exercise", nbformat.read(ROOT / "solutions" / "01_stack_allocation.ipynb", as_version=4))
    for name, data in MALFORMED.items():
        (folder / name).mkdir()
        (folder / name / f"{KEY}.ipynb").write_bytes(data)
    (folder / "symlink_to_victim").mkdir()
    (folder / "symlink_to_victim" / f"{KEY}.ipynb").symlink_to(folder / "victim" / f"{KEY}.ipynb")
    (folder / "fifo").mkdir()
    os.mkfifo(folder / "fifo" / f"{KEY}.ipynb")


@pytest.fixture(scope="module", params=["bwrap", "fallback"])
def graded(request, tmp_path_factory):
    """The class graded once per isolation (the malformed ones and the victim alone too)."""
    mode = request.param
    if mode == "bwrap" and isolation.choose("auto").kind != "bwrap":
        pytest.skip(f"bubblewrap does not work on this machine: {isolation.choose('auto').why}")
    if mode == "fallback" and isolation.choose("fallback").kind == "weak":
        pytest.skip("not root: the fallback here is the weak one, which cannot keep files from the learner's code")
    folder = tmp_path_factory.mktemp(f"class-{mode}")
    make_class(folder)
    before = (folder / "victim" / f"{KEY}.ipynb").read_bytes()
    os.environ["MEMLAB_GRADER_SECRET"] = ENV_SECRET
    try:
        results = grade([folder], exercise="06", limits=LIMITS, isolation=mode, workers=2)
        alone_folder = tmp_path_factory.mktemp(f"alone-{mode}")
        write(alone_folder, "victim", victim())
        (alone,) = grade([alone_folder], exercise="06", limits=LIMITS, isolation=mode)
    finally:
        del os.environ["MEMLAB_GRADER_SECRET"]
    by_student = {r.student: r for r in results}
    return {"mode": mode, "folder": folder, "results": by_student, "alone": alone, "victim_bytes": before}


def feedback(result) -> str:
    return result.text() + "\n" + json.dumps(result.as_gradescope(), ensure_ascii=False)


@pytest.mark.parametrize("attack", ATTACKS + ["wrong_exercise"])
def test_every_attack_scores_what_the_untouched_stub_scores(graded, attack):
    stub, got = graded["results"]["stub"], graded["results"][attack]
    assert stub.score == 0 and stub.max_score == 12
    assert got.exercise == KEY, got.text()
    assert [(t.name, t.score, t.max_score) for t in got.tests] == [(t.name, t.score, t.max_score) for t in stub.tests]


def test_the_untouched_stub_and_the_victim_are_graded_as_usual(graded):
    stub, victim = graded["results"]["stub"], graded["results"]["victim"]
    assert all("not written yet" in t.output for t in stub.tests if not t.hidden), stub.text()
    assert victim.score == victim.max_score == 12, victim.text()


@pytest.mark.parametrize("attack", ATTACKS)
def test_no_attack_leaks_a_solution_a_hidden_test_another_submission_or_the_environment(graded, attack):
    shown = feedback(graded["results"][attack])
    mine = {line: where for line, where in secrets(ROOT).items() if where.startswith(KEY)}
    assert mine, "exercise 06 has answer and hidden-test lines to look for"
    leaked = [line for line in mine if line in shown]
    assert not leaked, leaked
    for secret in (VICTIM_MARKER, ENV_SECRET, "hidden test: merge"):
        assert secret not in shown


def test_no_other_submission_changes_the_victims_result(graded):
    victim, alone = graded["results"]["victim"], graded["alone"]
    assert [(t.name, t.score, t.output) for t in victim.tests] == [(t.name, t.score, t.output) for t in alone.tests]
    assert (graded["folder"] / "victim" / f"{KEY}.ipynb").read_bytes() == graded["victim_bytes"]


def test_nothing_is_written_outside_the_scratch_folder(graded):
    for place in (graded["folder"], ROOT / "memlab", ROOT, Path("/tmp")):
        depth = None if place == graded["folder"] else 1
        found = list(place.rglob("memlab-attack*")) if depth is None else list(place.glob("memlab-attack*"))
        assert not found, found


def test_no_process_started_by_a_submission_outlives_the_batch(graded):
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            uid = os.stat(f"/proc/{pid}").st_uid
        except OSError:
            continue
        if cmdline[:2] == [b"sleep", b"313"] or uid in isolation.claimed():
            left.append((pid, uid, cmdline))
    assert not left


@pytest.mark.parametrize("name", [*MALFORMED, "symlink_to_victim", "fifo"])
def test_a_malformed_notebook_costs_only_itself(graded, name):
    """Refused with the reason, or (a list of cells, however odd) graded like the stub it is."""
    got, stub = graded["results"][name], graded["results"]["stub"]
    assert got.score == stub.score == 0, got.text()
    if len(got.tests) == 1:
        assert got.tests[0].output.startswith(("not a readable notebook", "not a notebook")), got.tests[0].output
    else:
        assert [t.name for t in got.tests] == [t.name for t in stub.tests]
        assert "define a function named buddy_of()" in got.tests[0].output


def test_the_wrong_exercise_is_graded_as_the_one_asked_for_and_said_so(graded):
    got = graded["results"]["wrong_exercise"]
    assert "this notebook says it is exercise 01_stack_allocation; it was graded as 06_buddy_allocation" in got.text()
    unpinned = grade([graded["folder"] / "wrong_exercise"], limits=LIMITS, isolation=graded["mode"])
    assert unpinned[0].score == 0
    assert "the file's name says exercise 06, but the notebook says 01_stack_allocation" in unpinned[0].text()


def test_injected_text_never_starts_a_line_of_the_report(graded):
    report = graded["results"]["injected_feedback"].text()
    assert "everything: ok" in report  # it is there, quoted, inside the learner's own line
    for line in report.splitlines():
        assert not re.match(r"\s*(✓|\x1b|\r)", line) or re.match(r"\s*✓ [a-z]", line) is None, line
        assert "\r" not in line and "\x1b" not in line and "\u2028" not in line


# -- controls: the same attacks with nothing to confine them -------------------------------------

CONTROL = """
import json, sys
from memlab.grading import check
from memlab.grading.notebook import define, read
ns = define(read(sys.argv[1])).namespace
feedback = check("06", ns)
print(json.dumps([feedback.score, feedback.max_score]))
"""


@pytest.mark.parametrize("attack", ["steal_solution", "patch_checker", "read_other_submissions"])
def test_the_attacks_are_real_they_win_where_nothing_confines_them(tmp_path, attack):
    write(tmp_path, "victim", victim())
    path = write(tmp_path, attack, notebook_with((Path(__file__).parent / "attacks" / f"{attack}.py").read_text()))
    done = subprocess.run(
        [sys.executable, "-c", CONTROL, str(path)], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    score, maximum = json.loads(done.stdout.strip().splitlines()[-1])
    assert score == maximum == 11
