"""Valgrind --trace-malloc=yes logs become .rep traces; `memlab trace record` runs a real program."""

import shutil
import subprocess

import pytest

from memlab.cli import main
from memlab.traces import parse_log, read_log, read_rep
from memlab.traces.valgrind import ValgrindMissing, valgrind

# The shapes valgrind 3.19 prints (checked against a real run): realloc of NULL prints the
# malloc it becomes; realloc to 0 prints the free, then " = 0" on a line of its own.
LOG = """\
==4242== Memcheck, a memory error detector
==4242== Command: ./demo --fast
==4242==
--4242-- malloc(40) = 0x4A41040
--4242-- calloc(3,8) = 0x4A410B0
--4242-- realloc(0x4A41040,100) = 0x4A41110
--4242-- realloc(0x0,64)malloc(64) = 0x4A411C0
--4242-- free(0x0)
--4242-- realloc(0x4A411C0,0)free(0x4A411C0)
--4242--  = 0
--4242-- _Znwm(16) = 0x4A41300
--4242-- _Znam(24) = 0x4A41340
--4242-- _ZdlPvm(0x4A41300)
--4242-- _ZdaPv(0x4A41340)
--4242-- memalign(al 64, size 100) = 0x4A41400
--4242-- malloc(0) = 0x4A41500
--4242-- free(0x4A41110)
--4242-- free(0x4A410B0)
--4242-- free(0x9999)
==4242== HEAP SUMMARY:
"""


def test_every_call_kind_becomes_the_right_operation():
    [p] = parse_log(LOG, name="demo")
    assert p.pid == 4242 and p.command == "./demo --fast"
    assert p.trace.name == "demo"
    assert p.trace.ops == [
        ("a", 0, 40),  # malloc
        ("a", 1, 24),  # calloc(3, 8) = 24 bytes
        ("r", 0, 100),  # realloc keeps the block's id
        ("a", 2, 64),  # realloc(NULL, 64) is a malloc
        ("f", 2, 0),  # realloc(p, 0) frees; free(NULL) left no trace
        ("a", 3, 16),  # operator new
        ("a", 4, 24),  # operator new[]
        ("f", 3, 0),  # sized operator delete
        ("f", 4, 0),  # operator delete[]
        ("a", 5, 100),  # memalign keeps the size
        ("a", 6, 1),  # malloc(0) becomes 1 byte
        ("f", 0, 0),
        ("f", 1, 0),
    ]
    assert p.notes["malloc(0) requests turned into 1 byte"] == 1
    assert p.notes["frees of blocks allocated before tracing (e.g. across fork) skipped"] == 1
    assert "pid 4242 ./demo --fast: 13 ops (7 allocs, 1 reallocs, 5 frees)" in p.summary()


def test_several_processes_give_one_trace_each():
    log = "--10-- malloc(8) = 0x100\n--11-- malloc(16) = 0x100\n--10-- free(0x100)\n--11-- malloc(32) = 0x200\n"
    first, second = parse_log(log, name="run")
    assert (first.pid, second.pid) == (10, 11)
    assert (first.trace.name, second.trace.name) == ("run-10", "run-11")
    assert first.trace.ops == [("a", 0, 8), ("f", 0, 0)]
    assert second.trace.ops == [("a", 0, 16), ("a", 1, 32)], "the same address in another process is another block"


def test_a_process_that_never_allocates_is_left_out():
    assert [p.pid for p in parse_log("--1-- free(0x0)\n--2-- malloc(4) = 0x10\n")] == [2]


def test_an_address_reused_without_a_free_closes_the_old_block():
    [p] = parse_log("--1-- malloc(8) = 0x10\n--1-- malloc(8) = 0x10\n")
    assert p.trace.ops == [("a", 0, 8), ("f", 0, 0), ("a", 1, 8)]
    assert p.notes["blocks allocated twice at one address (a free the log missed)"] == 1


def test_convert_writes_a_rep_and_lists_the_adjustments(tmp_path, capsys):
    log = tmp_path / "demo.log"
    log.write_text(LOG)
    assert main(["trace", "convert", str(log), "-o", str(tmp_path / "demo.rep")]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'demo.rep'}: pid 4242 ./demo --fast: 13 ops" in out
    assert "1 malloc(0) requests turned into 1 byte" in out
    assert read_rep(tmp_path / "demo.rep").ops == read_log(log)[0].trace.ops


def test_convert_one_pid_and_several(tmp_path, capsys):
    log = tmp_path / "two.log"
    log.write_text("--10-- malloc(8) = 0x100\n--11-- malloc(16) = 0x100\n")
    assert main(["trace", "convert", str(log), "-o", str(tmp_path / "out.rep")]) == 0
    assert sorted(p.name for p in tmp_path.glob("out-*.rep")) == ["out-10.rep", "out-11.rep"]
    assert main(["trace", "convert", str(log), "--pid", "11", "-o", str(tmp_path / "only.rep")]) == 0
    assert read_rep(tmp_path / "only.rep").ops == [("a", 0, 16)]
    assert main(["trace", "convert", str(log), "--pid", "12"]) == 2
    assert "no allocations by process 12" in capsys.readouterr().err


def test_convert_of_something_that_is_not_a_log(tmp_path, capsys):
    junk = tmp_path / "junk.log"
    junk.write_text("hello\n")
    assert main(["trace", "convert", str(junk)]) == 2
    assert "was it recorded with --trace-malloc=yes?" in capsys.readouterr().err
    assert main(["trace", "convert", str(tmp_path / "missing.log")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_record_without_valgrind_says_what_to_do(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ValgrindMissing, match="install it .* or convert a log recorded elsewhere"):
        valgrind()


def test_record_needs_a_command(capsys):
    assert main(["trace", "record", "--"]) == 2
    assert "needs a command after --" in capsys.readouterr().err
    assert main(["trace", "record", "--env", "NOEQUALS", "--", "true"]) == 2
    assert "--env 'NOEQUALS' is not NAME=VALUE" in capsys.readouterr().err


TINY = r"""
#include <stdlib.h>
#include <string.h>
void *(*volatile re)(void *, size_t) = realloc;   /* volatile: the compiler keeps every call */
int main(void) {
    char *a = malloc(40);
    char *b = calloc(3, 8);
    a = re(a, 1000);
    char *c = re(NULL, 64);
    free(NULL);
    memset(a, 1, 1000);
    free(c);
    free(a);
    free(b);
    return 0;
}
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed: `memlab trace record` cannot run a program here")
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build the tiny program to record")
    folder = tmp_path_factory.mktemp("record")
    (folder / "tiny.c").write_text(TINY)
    subprocess.run([cc, "-O0", "-o", str(folder / "tiny"), str(folder / "tiny.c")], check=True)
    return folder


def test_record_a_real_program_under_valgrind(tiny, capsys):
    out = tiny / "tiny.rep"
    assert main(["trace", "record", "-o", str(out), "--", str(tiny / "tiny")]) == 0
    assert f"wrote {out}: pid" in capsys.readouterr().err
    ops = read_rep(out).ops[-7:]
    # The C library may allocate on its own first (ids shift); the program's calls come last, in order.
    first = ops[0][1]
    assert [(k, i - first, s) for k, i, s in ops] == [
        ("a", 0, 40),
        ("a", 1, 24),
        ("r", 0, 1000),
        ("a", 2, 64),
        ("f", 2, 0),
        ("f", 0, 0),
        ("f", 1, 0),
    ]
