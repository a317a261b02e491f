"""Every notebook runs to its end under the browser's limits, checked in CPython.

The browser course (``memlab site build``) runs on Pyodide, where a thread cannot start
(RuntimeError), a child process cannot (OSError) and no native library can be loaded (OSError),
and where memlab has no C extension (the site's wheel is pure Python). Here each notebook runs
in a fresh CPython kernel whose first, unsaved cell installs an audit hook that refuses exactly
those, with the exceptions Pyodide raises. Every cell must still run (cells tagged
``raises-exception`` raise on purpose), and a cell that needed the machine must have said so.
matplotlib is allowed: in the browser it comes from Pyodide's CDN, which this test cannot reach.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[2]

LIMITS = '''
import sys


def _pyodide_limits(event, args):
    """What Pyodide cannot do, refused with the exception Pyodide raises."""
    if event in ("_thread.start_new_thread", "_thread.start_joinable_thread"):
        raise RuntimeError("can't start new thread")
    if event in ("subprocess.Popen", "os.system", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.exec"):
        raise OSError(138, "emscripten does not support processes.")
    if event == "ctypes.dlopen" and args and args[0] is not None:  # dlopen(NULL), the process itself, is fine
        raise OSError(f"could not load dynamic lib: {args[0]}")


class _NoCompiledMemlab:
    """The browser's memlab wheel is pure Python: none of memlab's C accelerators can be imported."""

    def find_spec(self, name, path=None, target=None):
        import importlib.machinery

        if name.startswith("memlab."):
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is not None and str(spec.origin).endswith((".so", ".pyd")):
                raise ImportError(f"{name}: the browser's memlab wheel has no C extension")
        return None


sys.addaudithook(_pyodide_limits)
sys.meta_path.insert(0, _NoCompiledMemlab())
'''

NOTEBOOKS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("*.ipynb"))


def run_under_limits(path: Path, timeout: int = 600):
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(LIMITS))
    client = nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()  # a cell that raises without the raises-exception tag fails here
    return nb


def printed(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


EVERY_RUN = ("notebooks/00_the_simulated_machine.ipynb", "notebooks/09_pages_and_the_os.ipynb")
"""The notebooks the everyday run puts under the limits; all of them run with ``pytest -m extended``."""


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=() if n in EVERY_RUN else pytest.mark.extended) for n in NOTEBOOKS]
)
def test_notebook_runs_to_its_end_without_threads_processes_or_native_libraries(name, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = run_under_limits(ROOT / name)
    unexpected = [
        f"cell {i}: {o.get('ename')}: {o.get('evalue')}"
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and "raises-exception" not in c.metadata.get("tags", [])
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not unexpected, unexpected
    committed = json.loads((ROOT / name).read_text())
    if "glibc" in "".join("".join(c["source"]) for c in committed["cells"] if c["cell_type"] == "code"):
        assert "Needs the machine:" in printed(nb), f"{name} calls glibc: a cell must say that it needs the machine"
