"""memlab.host: what the real computer can do here, and what the browser (Pyodide) cannot."""

from __future__ import annotations

import sys
import types

import pytest

from memlab import host
from memlab.errors import BadRequest, NeedsMachine
from memlab.traces import native, valgrind


@pytest.fixture
def in_the_browser(monkeypatch):
    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setattr(host, "_LIBC", None)
    monkeypatch.setattr(native, "_LIB", None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the machine's glibc is Linux's")
def test_a_linux_machine_has_threads_processes_and_glibc():
    assert host.missing("threads") is None and host.missing("subprocesses") is None
    assert host.missing("glibc") is None and host.can("glibc")


def test_in_the_browser_every_need_is_missing_with_the_reason(in_the_browser):
    for need in host.NEEDS:
        assert "runs in the browser (Pyodide)" in host.missing(need)
    with pytest.raises(NeedsMachine, match="browser"):
        host.require("threads")
    with pytest.raises(native.NativeUnavailable, match="browser"):
        native.mallinfo()
    assert "browser" in native.available()
    with pytest.raises(valgrind.ValgrindMissing, match="memlab trace convert"):
        valgrind.valgrind()


def test_a_cell_that_needs_the_machine_says_so_in_one_line(in_the_browser, capsys):
    assert host.can("glibc", leaving_out="glibc's column") is False
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("Needs the machine: the C library (glibc)")
    assert out.strip().endswith("Left out here: glibc's column.")


def test_an_unknown_need_is_a_clear_error():
    with pytest.raises(BadRequest, match="unknown need 'gpu'"):
        host.missing("gpu")


class FakeShell:
    def __init__(self):
        self.recorded = []

    def _showtraceback(self, etype, evalue, stb):
        self.recorded.append(stb)


def test_in_jupyterlite_a_cell_tagged_raises_exception_shows_its_error_and_lets_run_all_go_on(monkeypatch, capsys):
    shell, parent = FakeShell(), {"metadata": {"tags": ["raises-exception"]}}
    kernel = types.SimpleNamespace(get_parent=lambda: parent)
    monkeypatch.setitem(sys.modules, "pyodide_kernel", types.SimpleNamespace(kernel_instance=kernel))
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    assert host.keep_going_past_expected_errors()
    shell._showtraceback(ValueError, ValueError("bad"), ["DoubleFree: double free of 0x1010"])
    assert shell.recorded == [], "recorded, it would make the reply an error and stop Run All"
    assert "DoubleFree: double free of 0x1010" in capsys.readouterr().err
    parent["metadata"]["tags"] = []
    shell._showtraceback(ValueError, ValueError("bad"), ["ValueError: bad"])
    assert shell.recorded == [["ValueError: bad"]], "an unexpected error still stops Run All"


def test_outside_jupyterlite_nothing_is_changed(monkeypatch):
    monkeypatch.delitem(sys.modules, "pyodide_kernel", raising=False)
    assert host.keep_going_past_expected_errors() is False
