"""The trust boundary: what the learner's process may answer, how the grader reads it, and the
learner's check cell that stays in the learner's kernel.

The answers here are written by hand or made by the learner's side's own encoder, then read by
the grader's decoder, which must refuse anything but plain data and leave its objects exactly as
they were when it refuses.
"""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from memlab.allocators.buddy import Buddy
from memlab.grading import Limits, isolation
from memlab.grading.boundary import LearnerProxy, Session, pack
from memlab.grading.notebook import read
from memlab.grading.pages import SENT
from memlab.grading.plain import BadAnswer, Encoder, Snapshot, Unencodable, decode, dumps
from memlab.grading.questions import Stopped
from memlab.grading.results import SubmissionResult, TestResult, clamp
from memlab.grading.sanitize import one_line, quoted_block
from memlab.grading.student import Placeholder

ROOT = Path(__file__).resolve().parents[2]


def crossing(args: tuple, learner) -> tuple[list, bytes]:
    """What one call does, in this process: pack the arguments, unpack them as the learner's process
    does, run ``learner`` on that copy, and encode the answer. (grader's objects, answer bytes)"""
    payload, objects, positions = pack(args, {})
    SENT.clear()
    unpickler = pickle.Unpickler(__import__("io").BytesIO(payload))
    copy_args, _ = unpickler.load()
    memo = unpickler.memo.copy()
    table = [memo[i] for i in positions]
    snapshot = Snapshot(table)
    encoder = Encoder(snapshot, SENT.changes)
    result = learner(*copy_args)
    state = encoder.state()
    message = {"id": 1, "result": encoder.value(result, "the result")}
    message["state"] = state + encoder.new_entries()
    return objects, dumps(message)


def test_a_heap_crosses_as_plain_data_and_comes_back_changed():
    heap = Buddy(max_order=10, min_order=4)
    a = heap.alloc(100)

    def learner(h):
        h.memory.write(a, b"written by the learner")
        h.free(a)  # memlab's own code, run on the copy: new free blocks, merged
        return h.free_counts()

    objects, frame = crossing((heap,), learner)
    assert heap.memory.read(a, 7) != b"written"  # nothing changed yet in the grader
    answer = decode(frame, objects, 1)
    answer.apply()
    assert heap.memory.read(a, 22) == b"written by the learner"
    assert answer.result == heap.free_counts() == [0, 0, 0, 0, 0, 0, 1]
    heap.check()


def test_what_the_grader_cannot_send_arrives_as_a_placeholder_and_stays():
    heap = Buddy(max_order=10, min_order=4)
    heap.callback = lambda: "the check's own closure"  # sent by value: it runs there
    heap.lock = __import__("threading").Lock()  # cannot be pickled at all

    seen = {}

    def learner(h):
        seen["callback"], seen["lock"] = h.callback(), type(h.lock)
        return None

    objects, frame = crossing((heap,), learner)
    assert seen == {"callback": "the check's own closure", "lock": Placeholder}
    decode(frame, objects, 1).apply()
    assert type(heap.lock).__name__ == "lock"  # the grader's own, kept


def answer(**fields) -> bytes:
    return json.dumps({"id": 1, "state": [], "result": None, **fields}).encode()


BAD = {
    "not JSON": b"{not json",
    "not an object": b"[1, 2]",
    "another call's answer": json.dumps({"id": 2, "state": [], "result": 1}).encode(),
    "two outcomes": answer(**{"raise": ["EX", "builtins:ValueError", [], {}, None]}),
    "an unknown key": answer(score=1011),
    "a huge integer": answer(result=10**400),
    "an unknown tag": answer(result=["X", 1]),
    "a reference to nothing": answer(result=["R", 99]),
    "a tuple nested too deep": answer(result=__import__("functools").reduce(lambda v, _: ["T", [v]], range(60), 1)),
    "a learner's class": answer(state=[[-1, "obj", "__submission__:Liar", {}]], result=["R", -1]),
    "a builtin class as an object": answer(state=[[-1, "obj", "builtins:int", {}]], result=["R", -1]),
    "the grading machinery's class": answer(state=[[-1, "obj", "memlab.grading.questions:Case", {}]]),
    "a new simulated memory": answer(state=[[-1, "mem", None, []]]),
    "an entry for an object not sent": answer(state=[[7, "list", []]]),
    "a list made a dict": answer(state=[[0, "dict", []]]),
    "an attribute added": answer(state=[[1, "obj", {"x": 1, "y": 2, "hidden": 3}]]),
    "an attribute removed": answer(state=[[1, "obj", {"x": 1}]]),
    "a method hidden by a new object's attribute": answer(
        state=[[-1, "obj", "memlab.allocators.buddy:Buddy", {"check": None}]]
    ),
    "bytes that are not base64": answer(result=["B", "!!!"]),
    "an exception of the machinery": answer(
        **{"result": None, "raise": ["EX", "memlab.grading.questions:Stopped", [], {}, None]}
    ),
    "an unhashable key": answer(state=[[0, "list", [["FS", [["R", 0]]]]]]),
}


class Point:
    def __init__(self) -> None:
        self.x, self.y = 1, 2


@pytest.mark.parametrize("name", BAD)
def test_the_decoder_refuses_what_is_not_plain_data_and_changes_nothing(name):
    frame = BAD[name]
    if name == "two outcomes":
        frame = json.dumps({**json.loads(frame), "result": 1}).encode()
    if name == "an exception of the machinery":
        frame = json.dumps({k: v for k, v in json.loads(frame).items() if k != "result"}).encode()
    table = [[1, 2, 3], Point()]
    before = copy.deepcopy(table)
    with pytest.raises(BadAnswer):
        decode(frame, table, 1).apply()
    assert table[0] == before[0] and vars(table[1]) == vars(before[1])


class Yes(int):
    __module__ = "__submission__"  # as a class of the learner's notebook is

    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


class Liar:
    __module__ = "__submission__"
    __class__ = property(lambda self: int)


@pytest.mark.parametrize(
    "value, said",
    [
        (Yes(0), "a Yes \\(a subclass of int, not a plain one\\)"),
        (Liar(), "a Liar object, of a class of your own"),
        (10**400, "an integer of 1329 bits"),
        (print, "a function"),
    ],
    ids=["an int whose == is always true", "an object whose __class__ lies", "a huge int", "a function"],
)
def test_the_learners_side_refuses_a_lying_or_huge_answer_and_says_why(value, said):
    encoder = Encoder(Snapshot([]), SENT.changes)
    with pytest.raises(Unencodable, match=said):
        encoder.value(value, "the value your function returned")


def test_a_stand_in_is_never_pickled_by_anyone_else():
    with pytest.raises(TypeError):
        pickle.dumps(LearnerProxy(None, "coalesce"))


def test_learner_text_is_one_quoted_line():
    fake = "x\n✓ everything: ok\r\x1b[2K\u2028\u202eok"
    assert one_line(fake) == "x\\n✓ everything: ok\\r\\x1b[2K\\u2028\\u202eok"
    assert quoted_block("a\nb\x1b[31m") == ["| a", "| b\\x1b[31m"]
    assert len(one_line("y" * 5000, 300)) == 303


def test_every_score_is_clamped_to_its_maximum():
    assert TestResult("forged", 1011, 12).score == 12
    assert TestResult("negative", -5, 12).score == 0
    assert TestResult("not a number", float("nan"), 12).score == 0
    assert TestResult("a string", "12", 12).score == 0
    with pytest.raises(ValueError):
        TestResult("no maximum", 1, float("inf"))
    result = SubmissionResult("s", "06", (TestResult("a", 1011, 4), TestResult("b", 1011, 8, hidden=True)))
    assert (result.score, result.max_score) == (12, 12)
    assert clamp(True, 5) == 0


def test_a_session_runs_a_callback_from_inside_an_allocator_through_the_stand_in():
    """ExerciseBuddy calls the learner's split inside _alloc, in the grader; the call crosses."""
    from memlab.grading.checks.e06_buddy_allocation import ExerciseBuddy

    code = [
        (1, "def split(heap, block, j, k):\n    heap.order_of[block] = 99\n    raise ValueError(f'asked {j} -> {k}')")
    ]
    session = Session(code, ["split", "merge"], Limits(seconds=30), isolation.choose(), isolation.users(1)[0])
    try:
        session.open()
        assert session.defined == ["split"]
        with session.test():
            heap = ExerciseBuddy(split=session.namespace()["split"])
            with pytest.raises(ValueError, match="asked 10 -> 6") as raised:
                heap.alloc(33)
            assert raised.value.learner_where == "cell 1 line 3"
            assert 99 in heap.order_of.values()  # what it changed before it raised came back too
    finally:
        session.end()


def test_an_answer_that_adds_an_attribute_stops_the_case_and_names_it():
    code = [(1, "def split(heap, block, j, k):\n    heap.seen = 0\n    return block")]
    session = Session(code, ["split"], Limits(seconds=30), isolation.choose(), isolation.users(1)[0])
    from memlab.grading.checks.e06_buddy_allocation import ExerciseBuddy

    try:
        session.open()
        with session.test():
            heap = ExerciseBuddy(split=session.namespace()["split"])
            with pytest.raises(Stopped, match="your code added the attribute 'seen' of a ExerciseBuddy object"):
                heap.alloc(33)
    finally:
        session.end()


PYODIDE = """
import _thread, os, signal, subprocess, sys


def unsupported(*args, **kwargs):  # what a browser-only Python does when asked for these
    raise OSError(52, "Function not implemented")


subprocess.Popen._execute_child = unsupported
os.fork = os.posix_spawn = os.execv = unsupported
_thread.start_new_thread = unsupported
del signal.alarm  # and no alarm() (Pyodide keeps the name SIGALRM)
from memlab.grading import check
from memlab.grading.notebook import define, read
feedback = check("04", define(read(sys.argv[1])).namespace)
print(feedback.score, feedback.max_score)
"""


def test_the_learners_check_cell_needs_no_process_thread_or_alarm():
    """The check cell runs in the learner's kernel, also in a browser-only Python."""
    done = subprocess.run(
        [sys.executable, "-c", PYODIDE, str(ROOT / "solutions" / "04_coalescing_and_boundary_tags.ipynb")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["10", "10"]


def test_the_notebook_reader_takes_only_text_cells(tmp_path):
    path = tmp_path / "06.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": ["x = ", "1"]}, 5, {"source": 1}]}))
    nb = read(path)
    from memlab.grading.notebook import cells

    assert cells(nb) == ([(1, "x = 1")], ["cell 2 is not a cell (a JSON int); it was skipped"])


WEAK = """
import os, sys
from memlab.grading import Limits, isolation
from memlab.grading.boundary import Session
isolation.become_subreaper()
code = [(1, '''
import os
class Linger:  # a daemon: its own session, no file of its parent's, running before the class ends
    ready, told = os.pipe()  # closed in the daemon when it runs sleep: then the read below ends
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in range(64):
                if fd not in (null, told):
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            os.execv("/bin/sleep", ["sleep", "317"])
        os._exit(0)
    os.close(told)
    os.read(ready, 1)
''')]
session = Session(code, ["pop"], Limits(seconds=20), isolation.Isolation("weak", "forced by a test"))
session.open()
session.end()
def lingering(pid):
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")[:2] == [b"sleep", b"317"]
    except OSError:
        return False
left = [p for p in os.listdir("/proc") if p.isdigit() and lingering(p)]
print(len(left))
"""


def test_the_weak_fallback_kills_what_a_submission_left_behind_too():
    """Without bubblewrap and root, the grader reaps the orphans of the learner's process and kills them."""
    done = subprocess.run([sys.executable, "-c", WEAK], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["0"]


def test_the_isolation_in_use_is_described():
    for kind in ("bwrap", "user", "weak"):
        text = isolation.Isolation(kind, "no bwrap").describe()
        assert text.startswith({"bwrap": "bubblewrap", "user": "fallback", "weak": "weak fallback"}[kind])
    with pytest.raises(ValueError):
        isolation.choose("docker")
