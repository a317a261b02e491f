"""The `memlab` command: replay, trace info/generate, and one-line errors instead of tracebacks."""

import json
import os
import subprocess
import sys

import pytest

from memlab.cli import main
from memlab.traces import KEYS, native, read_rep, shipped

KEYS_IN_ORDER = [
    "allocator",
    "trace",
    "ops",
    "peak_live_bytes",
    "heap_bytes",
    "utilization",
    "fragmentation",
    "ops_per_second",
    "errors",
]
TRACE = "4096\n3\n5\n1\na 0 100\na 1 200\nr 0 300\nf 1\na 2 8\n"


@pytest.fixture
def rep(tmp_path):
    path = tmp_path / "mini.rep"
    path.write_text(TRACE)
    return path


def test_json_has_exactly_the_documented_keys(rep, capsys):
    assert main(["replay", str(rep), "-a", "freelist:list=explicit,fit=best", "-a", "buddy", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert list(KEYS) == KEYS_IN_ORDER
    assert [list(row) for row in rows] == [KEYS_IN_ORDER, KEYS_IN_ORDER]
    assert [row["allocator"] for row in rows] == ["freelist:list=explicit,fit=best", "buddy"]
    assert {row["peak_live_bytes"] for row in rows} == {500}, "300 + 200, just after the realloc"
    assert all(row["trace"] == "mini" and row["ops"] == 5 and row["errors"] == 0 for row in rows)


def test_table_by_default_with_a_row_per_trace_and_allocator(rep, capsys):
    assert main(["replay", str(rep), "sort", "-a", "slab", "-a", "tcmalloc", "--check"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["allocator", "trace", "ops"]
    assert [line.split()[:2] for line in lines[2:]] == [
        ["slab", "mini"],
        ["tcmalloc", "mini"],
        ["slab", "sort"],
        ["tcmalloc", "sort"],
    ]


@pytest.mark.skipif(native.available() is not None, reason=f"no glibc here: {native.available()}")
def test_glibc_in_the_same_table(rep, capsys):
    assert main(["replay", str(rep), "-a", "glibc", "-a", "freelist", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["allocator"] for r in rows] == ["glibc", "freelist"]
    assert rows[0]["peak_live_bytes"] == rows[1]["peak_live_bytes"] == 500


def test_all_means_every_general_purpose_allocator_and_glibc(capsys):
    assert main(["replay", "sort", "--json"]) == 0
    names = [r["allocator"] for r in json.loads(capsys.readouterr().out)]
    assert {"freelist", "buddy", "slab", "tcmalloc"} <= set(names)
    assert "pool" not in names
    assert names[-1] == "glibc" or native.available() is not None


def test_a_bad_trace_stops_everything_before_any_replay(rep, tmp_path, capsys):
    bad = tmp_path / "bad.rep"
    bad.write_text("4096\n2\n2\n1\na 0 8\nf 1\n")
    assert main(["replay", str(rep), str(bad), "-a", "freelist"]) == 2
    out, err = capsys.readouterr()
    assert out == "", "no half replay: not even the good trace's row"
    assert err == f"memlab: error: {bad}, line 6: free of id 1, which is not allocated\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["replay", "nosuch"], "nosuch: no such file (and no shipped trace of that name: cc1-hello,"),
        (["replay", "sort", "-a", "nosuch"], "memlab: error: no allocator named 'nosuch'"),
        (["replay", "sort", "--check", "--check-every", "0"], "--check-every 0: expected a positive number"),
        (["replay", "missing.rep"], "missing.rep: cannot read"),
    ],
)
def test_user_mistakes_are_one_line_not_a_traceback(args, message, capsys):
    main(args)
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_failed_check_exits_with_status_1(rep, capsys, monkeypatch):
    from memlab.allocators.freelist.heap import FreeListHeap
    from memlab.errors import HeapCorruption

    def broken(self):
        raise HeapCorruption("epilogue header is not 0/1")

    monkeypatch.setattr(FreeListHeap, "check", broken)
    assert main(["replay", str(rep), "-a", "freelist", "--check"]) == 1
    err = capsys.readouterr().err
    assert f"memlab: freelist on mini: stopped: {rep}, line 5: HeapCorruption: epilogue header is not 0/1" in err


def test_info_and_generate(tmp_path, capsys):
    out = tmp_path / "r.rep"
    assert main(["trace", "generate", "random", "-n", "300", "--seed", "3", "-o", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: 300 ops, peak ")
    again = tmp_path / "again.rep"
    assert main(["trace", "generate", "random", "-n", "300", "--seed", "3", "-o", str(again)]) == 0
    assert again.read_text() == out.read_text() and len(read_rep(out)) == 300, "seeded: the same file again"
    capsys.readouterr()
    assert main(["trace", "info", "sort"]) == 0
    sort = shipped.load("sort")
    assert capsys.readouterr().out == (
        f"sort: 427 ops ({sort.counts()['allocs']} allocs, {sort.counts()['reallocs']} reallocs, "
        f"{sort.counts()['frees']} frees), 220 ids, peak 3,051,804 bytes live, "
        f"{sort.live_at_end:,} bytes live at the end\n"
    )
    assert main(["trace", "generate", "random", "-n", "1"]) == 2


def test_python_dash_m_memlab_runs_the_command(rep):
    done = subprocess.run(
        [sys.executable, "-m", "memlab", "replay", str(rep), "-a", "buddy", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["allocator"] == "buddy"


def test_no_command_prints_help_and_version_is_known(capsys):
    assert main([]) == 2
    assert "replay" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("memlab ")


# -- exit statuses: a script can tell a typo, a failed request and a corrupt heap apart -----------------
@pytest.mark.parametrize("spec", ["nosuch", "freelist:fit=worstest", "freelist:limit=99999999999999", "bump:size=-1"])
@pytest.mark.parametrize("json", [[], ["--json"]])
def test_a_bad_allocator_spec_exits_2_before_anything_is_replayed(rep, capsys, spec, json):
    assert main(["replay", str(rep), "-a", "buddy", "-a", spec, *json]) == 2  # was 0, with an empty table
    out, err = capsys.readouterr()
    assert out == "", "no table, not even [] or the good allocator's row"
    assert err.startswith("memlab: error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_a_replay_whose_requests_fail_exits_3_and_says_how_many(rep, capsys):
    assert main(["replay", str(rep), "-a", "buddy", "-a", "bump:size=256", "--json"]) == 3
    out, err = capsys.readouterr()
    rows = {row["allocator"]: row for row in json.loads(out)}
    assert rows["buddy"]["errors"] == 0 and rows["bump:size=256"]["errors"] > 0
    assert "bump:size=256 on mini: " in err and "request(s) failed" in err


def test_the_exit_statuses_are_in_the_help(capsys):
    with pytest.raises(SystemExit):
        main(["replay", "--help"])
    text = capsys.readouterr().out
    for status in ("0 ", "1 ", "2 ", "3 ", "130 "):
        assert f"\n  {status}" in text
    assert "some requests failed" in text and "nothing was replayed" in text


# -- small defects: each a one-line error naming the file (and the line), and a non-zero exit ---------
def one_line_error(capsys, *words):
    err = capsys.readouterr().err
    assert err.startswith("memlab: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    return err


def test_a_byte_order_mark_before_the_header_is_read_past(tmp_path, capsys):
    path = tmp_path / "bom.rep"
    path.write_bytes(b"\xef\xbb\xbf" + TRACE.encode())  # was: "truncated header"
    assert main(["replay", str(path), "-a", "buddy", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["ops"] == 5


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this system")
def test_dev_zero_is_not_read_until_memory_runs_out(capsys):
    assert main(["replay", "/dev/zero", "-a", "buddy"]) == 2
    one_line_error(capsys, "/dev/zero, line 1", "not a .rep trace")
    assert main(["trace", "convert", "/dev/zero"]) == 2
    one_line_error(capsys, "/dev/zero, line 1", "not a valgrind log")


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("--7-- free(0xZZ)", ["bad.log, line 3", "'0xZZ' is not a pointer"]),  # was a ValueError traceback
        ("--7-- malloc(-5) = 0x4A41040", ["bad.log, line 3", "malloc(-5): a negative size"]),  # was 5 bytes
        ("--7-- calloc(2,-8) = 0x4A41040", ["bad.log, line 3", "a negative size"]),
    ],
)
def test_a_valgrind_log_with_a_bad_pointer_or_size_names_the_line(tmp_path, capsys, line, words):
    log = tmp_path / "bad.log"
    log.write_text(f"==7== Command: ./x\n--7-- malloc(8) = 0x4A41000\n{line}\n")
    assert main(["trace", "convert", str(log), "-o", str(tmp_path / "out.rep")]) == 2
    one_line_error(capsys, *words)
    assert not (tmp_path / "out.rep").exists()


@pytest.mark.parametrize("where", ["missing/folder/out.rep", "."])
def test_an_output_path_that_cannot_be_written_names_the_file(tmp_path, capsys, where):
    log = tmp_path / "ok.log"
    log.write_text("==7== Command: ./x\n--7-- malloc(8) = 0x4A41000\n")
    target = tmp_path / where
    assert main(["trace", "convert", str(log), "-o", str(target)]) == 2  # was a FileNotFoundError traceback
    one_line_error(capsys, str(target), "cannot write")
    assert main(["trace", "generate", "random", "-n", "10", "-o", str(target)]) == 2
    one_line_error(capsys, str(target), "cannot write")
