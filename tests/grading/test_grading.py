"""Graded exercises: solutions score full marks, stubs score zero, classic mistakes get partial
marks with a message that names them, and the batch grader survives whatever a submission does."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from memlab.grading import Limits, check
from memlab.grading.builder import SourceError, drift, split, split_cell
from memlab.grading.checks import exercise, keys
from memlab.grading.grader import grade
from memlab.grading.notebook import define, read

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "exercises" / "source").glob("*.ipynb"))
FAST = Limits(seconds=4)


def solution(key: str) -> Path:
    return ROOT / "solutions" / f"{exercise(key).key}.ipynb"


def submission(tmp_path: Path, key: str, **functions: str) -> Path:
    """The solution of ``key`` with the cells defining ``functions`` replaced by the given code."""
    nb = nbformat.read(solution(key), as_version=4)
    for name, code in functions.items():
        cell = next(c for c in nb.cells if c.cell_type == "code" and f"def {name}(" in c.source)
        cell.source = code
    path = tmp_path / f"{exercise(key).key}.ipynb"
    nbformat.write(nb, path)
    return path


def scores(path: Path) -> dict[str, tuple[float, float, str]]:
    """Grade in this process: question name -> (earned, points, messages)."""
    ex = exercise(read(path)["metadata"]["memlab"]["exercise"])
    ns = define(read(path)).namespace
    out = {}
    for q in ex.questions:
        cases = q.grade(ns)
        out[q.name] = (cases.earned, q.points, "\n".join(c.message for c in cases.results))
    return out


# -- one source of truth ------------------------------------------------------------------------


def test_every_exercise_a_notebook_names_exists_and_follows_that_notebook():
    named = {
        (nb.stem, key)
        for nb in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
        for key in re.findall(r"exercises/(\d\d_\w+)\.ipynb", nb.read_text())
    }
    assert sorted({key for _, key in named}) == keys(), "every exercise a notebook names, and no other"
    assert all((key, key) in named for key in keys()), "each exercise follows the notebook of its name"
    assert [p.stem for p in SOURCES] == keys()


def test_exercises_and_solutions_match_their_sources():
    assert drift(ROOT) == []


def test_drift_is_detected(tmp_path):
    (tmp_path / "exercises" / "source").mkdir(parents=True)
    (tmp_path / "exercises" / "source" / SOURCES[0].name).write_bytes(SOURCES[0].read_bytes())
    assert "missing" in drift(tmp_path)[0]
    for folder in ("exercises", "solutions"):
        (tmp_path / folder).mkdir(exist_ok=True)
        nb = nbformat.read(ROOT / folder / SOURCES[0].name, as_version=4)
        nbformat.write(nb, tmp_path / folder / SOURCES[0].name)
    assert drift(tmp_path) == []
    nb.cells[1].source += "\n# edited by hand"
    nbformat.write(nb, tmp_path / "solutions" / SOURCES[0].name)
    assert drift(tmp_path) == [f"solutions/{SOURCES[0].name} differs from its source: run `memlab exercises build`"]


def test_split_makes_a_stub_at_the_markers_indentation():
    text = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"
    student, answer = split_cell(text, "t")
    assert student == "def f(x):\n    raise NotImplementedError  # your code here\n"
    assert answer == "def f(x):\n    return x + 1\n"


def test_a_starter_replaces_the_stub_and_leaves_the_solution():
    text = (
        "def f():\n    ### BEGIN STARTER\n    return 1  # buggy\n    ### END STARTER\n"
        "    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION"
    )
    assert split_cell(text, "t") == ("def f():\n    return 1  # buggy", "def f():\n    return 2")


@pytest.mark.parametrize(
    "text",
    [
        "### BEGIN SOLUTION\nx",
        "### END SOLUTION",
        "### BEGIN SOLUTION\n### BEGIN STARTER\n### END STARTER\n### END SOLUTION",
    ],
)
def test_unbalanced_markers_are_refused(text):
    with pytest.raises(SourceError):
        split_cell(text, "t")


def test_hidden_tests_reach_the_solutions_only():
    for src in SOURCES:
        nb = nbformat.read(src, as_version=4)
        hidden = [c for c in nb.cells if "hidden-tests" in c.metadata.get("tags", [])]
        assert hidden, f"{src.name} has no hidden test"
        student, answer = split(nb, src.stem)
        assert not any("hidden test" in c.source for c in student.cells)
        assert sum("hidden test" in c.source for c in answer.cells) == len(hidden)
        assert not any("### " in c.source for c in student.cells + answer.cells)
        assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
        assert student.metadata["memlab"] == {"exercise": src.stem}


# -- scores --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", keys())
def test_every_solution_scores_full_marks_in_the_notebook_check(key):
    ns = define(read(solution(key))).namespace
    feedback = check(key, ns)
    assert feedback.score == feedback.max_score > 0, str(feedback)
    assert str(feedback).endswith("All visible checks pass. (Grading may run a few more, hidden ones.)")
    assert "<table>" in feedback._repr_html_()


@pytest.mark.parametrize("key", keys())
def test_every_untouched_exercise_scores_zero_and_says_why(key):
    path = ROOT / "exercises" / f"{exercise(key).key}.ipynb"
    stubbed = "raise NotImplementedError" in path.read_text()  # exercise 13 starts from a buggy program instead
    for earned, _, messages in scores(path).values():
        assert earned == 0
        assert messages and (not stubbed or "not written yet" in messages), messages


def test_the_bug_hunt_starts_with_the_bugs_named():
    _, _, messages = scores(ROOT / "exercises" / "13_manual_memory_and_its_bugs.ipynb")["word_lengths"]
    assert "heap-buffer-overflow: WRITE of size 5" in messages
    assert "heap-use-after-free: READ of size 1" in messages
    assert "memory-leak: 24 byte(s) leaked in 1 allocation(s)" in messages


WRONG = {
    "off-by-one split threshold": (
        "03",
        "place",
        """def place(heap, bp, asize):
    size, _ = get(heap, bp - 4)
    if size - asize > MIN_BLOCK:
        put(heap, bp - 4, asize, True)
        put(heap, bp + asize - 8, asize, True)
        put(heap, bp + asize - 4, size - asize, False)
        put(heap, bp + size - 8, size - asize, False)
    else:
        put(heap, bp - 4, size, True)
        put(heap, bp + size - 8, size, True)""",
        2,
        "a rest of 16 bytes is a valid block (header, 8 bytes, footer), so split when the rest is at least 16",
    ),
    "forgotten footer update": (
        "04",
        "coalesce",
        """def coalesce(heap, bp):
    size, _ = get(heap, bp - 4)
    prev_size, prev_allocated = get(heap, bp - 8)
    next_size, next_allocated = get(heap, bp + size - 4)
    if prev_allocated and next_allocated:
        return bp
    if not next_allocated:
        size += next_size
    if not prev_allocated:
        size += prev_size
        bp -= prev_size
    put(heap, bp - 4, size, False)
    return bp""",
        2,
        "but the footer at 0x1050 says 24/free: a merged block needs both boundary tags updated",
    ),
    "buddy by addition": (
        "06",
        "buddy_of",
        "def buddy_of(heap, block, order):\n    return block + (1 << order)",
        1,
        "adding the size finds the buddy of a left half only: use XOR",
        ("merge",),  # merge calls buddy_of, so the mistake shows there too
    ),
    "no re-scan in cycle collection": (
        "16",
        "scan",
        """def scan(gc, obj):
    if gc.colour(obj) == GRAY:
        if gc.rc(obj) > 0:
            gc.paint(obj, BLACK)
        else:
            gc.paint(obj, WHITE)
        for child in gc.children(obj):
            scan(gc, child)""",
        2,
        "gc.scan_black(obj) restores it and all it reaches",
    ),
    "a borrow released too early": (
        "17",
        "release",
        "def release(flag, mutable):\n    return 0",
        2,
        "after `drop(r1);` the flag is 0; Rust's is 1",
    ),
}


@pytest.mark.parametrize("name", WRONG)
def test_classic_wrong_answers_get_partial_marks_with_a_helpful_message(tmp_path, name):
    key, function, code, expected, message, *dependent = WRONG[name]
    got = scores(submission(tmp_path, key, **{function: code}))
    earned, points, messages = got[function]
    assert earned == expected and 0 < earned < points, messages
    assert message in messages
    others = [q for q in got if q != function and q not in (dependent[0] if dependent else ())]
    assert all(got[q][0] == got[q][1] for q in others), "a mistake in one question costs only that question"


def test_the_refcount_cascade_needs_the_children_dropped(tmp_path):
    code = "def decref(rt, obj):\n    n = rt.rc(obj) - 1\n    rt.set_rc(obj, n)\n    if n == 0:\n        rt.free(obj)"
    earned, _, messages = scores(submission(tmp_path, "14", decref=code))["decref"]
    assert earned == 3
    assert "b, c, d still allocated although nothing refers to them" in messages


def test_an_arena_that_never_takes_a_new_chunk_is_told_so(tmp_path):
    code = """def arena_alloc(arena, size, align):
    buffer, capacity = arena.current()
    if not capacity:
        arena.new_chunk(size + align)
        buffer, capacity = arena.current()
    address = (buffer + arena.end_index + align - 1) & -align
    arena.end_index = address - buffer + size
    return address"""
    earned, _, messages = scores(submission(tmp_path, "02", arena_alloc=code))["arena_alloc"]
    assert earned == 1
    assert "past the end of its chunk" in messages and "when a request does not fit, take a new chunk" in messages


def test_marking_the_roots_only_frees_live_objects(tmp_path):
    code = "def mark(gc):\n    for obj in gc.roots():\n        gc.set_mark(obj, True)"
    earned, _, messages = scores(submission(tmp_path, "18", mark=code))["mark"]
    assert earned == 1
    assert "b, c, d reachable but not marked" in messages


# -- the batch grader ----------------------------------------------------------------------------


def memlab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "memlab", *args], capture_output=True, text=True, cwd=ROOT)


def test_memlab_grade_gives_solutions_full_marks_and_exercises_zero_in_gradescope_shape():
    """Every solution, and two untouched exercises (every one scores 0 in the test above)."""
    paths = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "solutions").glob("*.ipynb"))]
    paths += ["exercises/04_coalescing_and_boundary_tags.ipynb", "exercises/13_manual_memory_and_its_bugs.ipynb"]
    done = memlab("grade", *paths, "--json")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert [r["submission"] for r in results] == paths
    for r in results:
        assert set(r) == {"submission", "exercise", "score", "max_score", "tests"}
        assert all(
            set(t) == {"name", "score", "max_score", "output", "output_format", "visibility"} for t in r["tests"]
        )
        assert r["max_score"] == sum(t["max_score"] for t in r["tests"]) > 0
        assert any("hidden test" in t["name"] for t in r["tests"])
        assert {t["visibility"] for t in r["tests"] if "hidden test" in t["name"]} == {"after_published"}
        if r["submission"].startswith("solutions"):
            assert r["score"] == r["max_score"], r
        else:
            assert r["score"] == 0, r
            assert all("could not grade" not in t["output"] for t in r["tests"])


def test_an_endless_loop_costs_only_its_question(tmp_path):
    path = submission(tmp_path, "03", find_fit="def find_fit(heap, asize):\n    while True:\n        pass")
    (result,) = grade([path], limits=Limits(seconds=2))
    by_name = {t.name: t for t in result.tests}
    looping = by_name["find_fit: first fit over the implicit list"]
    lines = looping.output.splitlines()
    assert looping.score == 0
    assert lines[0] == "✗ skips allocated blocks: stopped after 2 s: your code never finished (an endless loop?)"
    assert all(
        line.endswith("not run: stopped after 2 s: your code never finished (an endless loop?)") for line in lines[1:]
    )
    assert by_name["place: placing and splitting"].score == 4  # a fresh process, a fresh budget
    assert by_name["place: hidden test 1"].score == 0  # it calls find_fit too


@pytest.mark.parametrize(
    "body, reason",
    [
        ("print('x' * 1000)", "stopped: your code printed more than 64 KiB"),
        ("import os\n    os.write(1, b'x' * 1_000_000)", "stopped: your code wrote more than 256 KiB of output"),
        ("import os\n    os._exit(3)", "your code ended the grader's process (exit status 3)"),
    ],
)
def test_floods_and_crashes_are_stopped_and_reported(tmp_path, body, reason):
    code = f"def pop(pool):\n    while True:\n        {body.replace(chr(10), chr(10) + '    ')}"
    if "os." in body:
        code = f"def pop(pool):\n    {body}"
    path = submission(tmp_path, "07", pop=code)
    (result,) = grade([path], limits=FAST, source_dir=None)
    pop, push = result.tests
    assert pop.score == 0
    assert pop.output.splitlines()[0] == f"✗ pop returns the head and moves it to the next free block: {reason}"
    assert push.score == push.max_score


def test_only_definitions_run_at_grading_time(tmp_path):
    nb = nbformat.read(solution("04"), as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("while True:\n    pass"))
    nb.cells.insert(3, nbformat.v4.new_code_cell("def broken(:\n    pass"))
    nb.cells.insert(3, nbformat.v4.new_code_cell("%matplotlib inline\nLIMIT = 16\nprint(LIMIT)"))
    path = tmp_path / "04.ipynb"
    nbformat.write(nb, path)
    defs = define(read(path))
    assert defs.namespace["LIMIT"] == 16
    assert defs.notes == ["cell 5 has a syntax error (line 1): invalid syntax; it was skipped"]
    (result,) = grade([path], limits=FAST)
    assert result.score == result.max_score == 12
    assert "note: cell 5 has a syntax error" in result.tests[0].output


def test_a_folder_grades_every_notebook_under_it(tmp_path):
    for who in ("ada", "alan"):
        (tmp_path / who / ".ipynb_checkpoints").mkdir(parents=True)
        (tmp_path / who / "07.ipynb").write_bytes(solution("07").read_bytes())
        (tmp_path / who / ".ipynb_checkpoints" / "07-checkpoint.ipynb").write_text("{}")
    results = grade([tmp_path], limits=FAST, source_dir=None)
    assert [Path(r.submission).relative_to(tmp_path).as_posix() for r in results] == ["ada/07.ipynb", "alan/07.ipynb"]
    assert [r.score for r in results] == [5, 5]


def test_what_is_not_a_graded_notebook_gets_one_zero_with_the_reason(tmp_path):
    junk, stranger = tmp_path / "junk.ipynb", tmp_path / "99_unknown.ipynb"
    junk.write_text("not json")
    nbformat.write(nbformat.v4.new_notebook(), stranger)
    a, b = grade([junk, stranger], limits=FAST)
    assert a.tests[0].output.startswith("not a readable notebook: not JSON")
    assert b.tests[0].output.startswith("no exercise called '99'")
    assert a.score == b.score == 0


def test_csv_is_a_canvas_gradebook_and_text_reports_and_no_hidden(tmp_path):
    for who, key in (("ada", "07"), ("ada", "17"), ("alan", "07")):
        (tmp_path / who).mkdir(exist_ok=True)
        source = solution(key) if who == "ada" else ROOT / "exercises" / f"{exercise(key).key}.ipynb"
        (tmp_path / who / source.name).write_bytes(source.read_bytes())
    (tmp_path / "grace.ipynb").write_bytes(solution("17").read_bytes())  # a notebook named after its student
    done = memlab("grade", str(tmp_path), "--csv", "--no-hidden")
    rows = list(csv.reader(io.StringIO(done.stdout)))
    head = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[0] == [
        *head,
        "07 Pools: a free list threaded through free memory",
        "17 A run-time borrow checker: RefCell",
    ]
    assert rows[1] == ["Points Possible", "", "", "", "", "5", "7"]
    assert rows[2:] == [
        ["ada", "", "", "ada", "", "5", "7"],
        ["alan", "", "", "alan", "", "0", ""],
        ["grace", "", "", "grace", "", "", "7"],
    ]
    assert done.stderr.startswith("memlab grade: isolation: ")
    path = str(solution("07").relative_to(ROOT))
    text = memlab("grade", path).stdout
    assert text.startswith(f"{path}: 6/6 (07_pools_and_object_pools)")
    assert "push: hidden test 1: 1/1" in text


def test_the_notebook_check_stops_an_endless_loop():
    ns = define(read(solution("07"))).namespace
    exec("def pop(pool):\n    while True:\n        pass", ns)
    feedback = check("07", ns, time_limit=1)
    assert feedback.score == 3
    assert "stopped after 1 s: your code never finished" in str(feedback)
