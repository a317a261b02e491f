"""memlab's pymalloc against the real CPython: the calls of real Python code, recorded from
interpreter start-up with PEP 445 hooks, replayed into memlab's pymalloc, give the report that
sys._debugmallocstats() printed in the same process, number for number.

The shipped recordings are checked everywhere; fresh recordings need a C compiler and Python's
headers (CI has both) and skip with the reason where the recorder cannot be built."""

from __future__ import annotations

import struct

import pytest

from memlab import host
from memlab.allocators.pymalloc import MallocStats
from memlab.cli import main
from memlab.errors import BadRequest, NeedsMachine
from memlab.traces import cpython
from memlab.traces.cpython import RecorderUnavailable, convert, record_python

RECORD = struct.Struct("<cQQQ")


def log(*records) -> bytes:
    return b"".join(RECORD.pack(op, pointer, size, result) for op, pointer, size, result in records)


# -- the shipped recordings: a dict-heavy, a list-of-tuples and an import-heavy program -----------------
@pytest.mark.parametrize("name", ["dicts", "tuples", "imports"])
def test_each_shipped_recording_agrees_with_the_real_report_in_every_number(name):
    recording = cpython.load(name)
    comparison = recording.compare()
    assert comparison.differences == []
    assert comparison.exact
    real = recording.real
    assert real.arenas_current >= 2 and real.pools > 80 and real.blocks > 10_000  # a real heap, not a toy
    assert comparison.simulated.by_class() == real.by_class()
    assert comparison.simulated.text().splitlines() == recording.report.split("\n\narena map counts")[0].splitlines()


def test_without_the_real_arena_placement_only_the_alignment_numbers_can_differ():
    """mmap puts an arena anywhere on a 4 KiB page; one not on a 16 KiB pool boundary loses a pool.

    The replay reproduces the real placement; without it, memlab's simulated OS places the arenas
    itself. Then pools and blocks per class still agree exactly; only the unused pools and the bytes
    lost to arena alignment may differ, by whole pools."""
    differing = set()
    for name in cpython.names():
        recording = cpython.load(name)
        comparison = recording.compare(arena_offsets=None)
        assert comparison.simulated.by_class() == recording.real.by_class()
        fields = {d.split(":")[0] for d in comparison.differences}
        assert fields <= {"unused_pools", "alignment_bytes"}
        if fields:
            sim, real = comparison.simulated, recording.real
            assert (real.unused_pools - sim.unused_pools) * 16384 == sim.alignment_bytes - real.alignment_bytes
        differing |= fields
    assert differing == {"unused_pools", "alignment_bytes"}  # the check above is not vacuous


def test_the_table_puts_real_and_memlab_side_by_side():
    comparison = cpython.load("tuples").compare()
    table = comparison.table().splitlines()
    assert table[0].split() == ["class", "size", "pools:", "real", "memlab", "blocks:", "real", "memlab"]
    assert "differs" not in comparison.table()
    assert comparison.summary().startswith("exact agreement: 29 size classes, 87 pools, 13122 blocks in use")


def test_the_shipped_recordings_are_what_their_code_says():
    assert cpython.names() == ["dicts", "imports", "tuples"]
    for name in cpython.names():
        recording = cpython.load(name)
        assert recording.code == cpython.WORKLOADS[name] and recording.python.startswith("3.11")
        assert not recording.site
    with pytest.raises(BadRequest, match="no recording of CPython named 'nope'; shipped: dicts, imports, tuples"):
        cpython.load("nope")


# -- turning the log into a trace --------------------------------------------------------------------------
def test_the_log_becomes_a_trace_of_what_pymalloc_sees():
    trace, offsets, notes = convert(
        log(
            (b"A", 0, 1 << 20, 0x7F0000002000),  # an arena, 8 KiB past a pool boundary
            (b"A", 0, 16 << 10, 0x7F0000100000),  # a frame stack chunk: not an arena
            (b"m", 0, 40, 0x10),
            (b"c", 0, 24, 0x20),  # calloc(3, 8)
            (b"r", 0x10, 100, 0x30),  # moved
            (b"r", 0, 8, 0x40),  # realloc(NULL, 8) is malloc(8)
            (b"m", 0, 0, 0x50),  # malloc(0): the C library's, left out
            (b"r", 0x50, 64, 0x58),  # ... and stays there
            (b"f", 0x58, 0, 0),
            (b"r", 0x20, 0, 0x60),  # realloc of a pymalloc block to 0 frees it
            (b"f", 0, 0, 0),  # free(NULL)
            (b"f", 0x999, 0, 0),  # a block from before the hooks
            (b"f", 0x30, 0, 0),
        ),
        name="t",
    )
    assert trace.ops == [("a", 0, 40), ("a", 1, 24), ("r", 0, 100), ("a", 2, 8), ("f", 1, 0), ("f", 0, 0)]
    assert offsets == (8192,)
    assert notes["0-byte requests left out (CPython passes them to the C library's malloc)"] == 1
    assert notes["frees of blocks allocated before recording began, skipped"] == 1
    assert notes["direct mappings that are not arenas (frame stack chunks) ignored"] == 1


def test_a_large_block_reallocated_to_zero_keeps_one_byte_with_the_c_library():
    trace, _, _ = convert(log((b"m", 0, 4000, 0x10), (b"r", 0x10, 0, 0x10)))
    assert trace.ops == [("a", 0, 4000), ("r", 0, 1)]


def test_a_cut_log_or_an_unknown_record_is_a_clear_error():
    with pytest.raises(BadRequest, match=r"cut short \(30 bytes\)"):
        convert(log((b"m", 0, 8, 16)) + b"12345")
    with pytest.raises(BadRequest, match="unknown record b'x'"):
        convert(log((b"x", 0, 8, 16)))


def test_in_the_browser_the_recorder_says_it_needs_the_machine(monkeypatch):
    monkeypatch.setattr(host, "in_browser", lambda: True)
    with pytest.raises(NeedsMachine, match="child processes: this Python runs in the browser"):
        record_python("x = 1")
    assert cpython.load("dicts").compare().exact  # the shipped recordings replay anywhere


# -- fresh recordings from this interpreter ---------------------------------------------------------------
@pytest.fixture(scope="module")
def recorder_ready():
    try:
        cpython.recorder()
    except RecorderUnavailable as e:
        pytest.skip(f"the recorder cannot be built here: {e}")


@pytest.mark.parametrize("name", sorted(cpython.WORKLOADS))
def test_a_fresh_recording_of_each_workload_agrees_exactly(recorder_ready, name):
    recording = record_python(cpython.WORKLOADS[name], name=name, site=False)
    assert recording.compare().differences == []
    assert not recording.notes.get("frees of blocks allocated before recording began, skipped")


def test_arenas_freed_and_the_site_module_agree_too(recorder_ready):
    code = "x = [str(i) for i in range(100000)]\ndel x\ny = [str(i) * 2 for i in range(3000)]\nprint(len(y))\n"
    recording = record_python(code, name="churn")  # with the site module, as python runs by default
    assert recording.real.arenas_reclaimed >= 3  # the 100,000 strings filled arenas that were then freed
    assert recording.compare().differences == []
    assert recording.output.strip() == "3000"


def test_code_that_fails_is_reported_with_its_error(recorder_ready):
    with pytest.raises(BadRequest, match="the recorded code of oops raised an error: ZeroDivisionError"):
        record_python("1 / 0", name="oops", site=False)
    with pytest.raises(BadRequest, match="needs Python source code as a string, not int"):
        record_python(42)


def test_the_command_writes_the_trace_and_checks_it(recorder_ready, tmp_path, capsys):
    out = tmp_path / "strings.rep"
    assert main(["trace", "record-python", "-S", "-c", "s = [str(i) for i in range(5000)]", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}: " in printed and "exact agreement" in printed
    assert out.read_text().splitlines()[2].isdigit()  # a .rep with its 4-line header
    assert main(["trace", "record-python"]) == 2
    assert "needs a FILE or -c CODE" in capsys.readouterr().err


def test_the_report_parser_reads_what_the_recorder_got(recorder_ready):
    recording = record_python("pass", site=False)
    assert MallocStats.parse(recording.report) == recording.real
    assert recording.report.startswith("Small block threshold = 512, in 32 size classes.")
