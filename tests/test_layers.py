"""The package's structure: layers import downward only, no module cycles, and the course uses public names only."""

import importlib
import json
import re
from pathlib import Path

import grimp
import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_linter_contract_holds(capsys, monkeypatch):
    """pyproject.toml's layers: errors, memory, os, events -> allocators -> ... -> cli."""
    from importlinter import cli

    monkeypatch.chdir(ROOT)
    status = cli.lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert status == 0, out
    assert "1 kept, 0 broken" in out


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_two_modules_import_each_other_even_through_others():
    """Apart from imports under TYPE_CHECKING and the one upward call the layers contract allows."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]
    allowed = {tuple(part.strip() for part in rule.split("->")) for rule in config.get("ignore_imports", [])}
    graph = grimp.build_graph("memlab", exclude_type_checking_imports=True)
    edges = {m: {n for n in graph.find_modules_directly_imported_by(m) if (m, n) not in allowed} for m in graph.modules}
    assert strongly_connected(edges) == []


def test_the_cycle_finder_finds_a_cycle():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# -- public names ------------------------------------------------------------------------------------------

IMPORT = re.compile(r"^\s*(?:from\s+(memlab[\w.]*)\s+import\s+(\([^)]*\)|[^\n#]*)|import\s+(memlab[\w.]*))", re.M)


def is_public(module: str) -> bool:
    """A package, a top-level module, or a module its package lists in ``__all__``; nothing named _x."""
    parts = module.split(".")
    if any(p.startswith("_") for p in parts):
        return False
    mod = importlib.import_module(module)
    if hasattr(mod, "__path__") or len(parts) <= 2:
        return True
    parent = importlib.import_module(".".join(parts[:-1]))
    return parts[-1] in getattr(parent, "__all__", ())


def memlab_imports(source: str) -> list[tuple[str, list[str]]]:
    out = []
    for m in IMPORT.finditer(source):
        module = m.group(1) or m.group(3)
        names = [n.split(" as ")[0].strip() for n in (m.group(2) or "").strip("()").split(",") if n.strip()]
        out.append((module, names))
    return out


def course_files() -> list[Path]:
    folders = ("notebooks/*.ipynb", "exercises/**/*.ipynb", "solutions/*.ipynb")
    return sorted(path for pattern in folders for path in ROOT.glob(pattern))


@pytest.mark.parametrize("path", course_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_notebooks_exercises_and_solutions_import_only_public_names(path):
    nb = json.loads(path.read_text())
    wrong = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for module, names in memlab_imports("".join(cell["source"])):
            if not is_public(module):
                wrong.append(f"{module} is private")
            wrong += [f"{module}.{n} is private" for n in names if n.startswith("_")]
    assert not wrong, f"{path.name}: " + "; ".join(wrong)


def test_the_public_name_rule_tells_private_modules_apart():
    assert is_public("memlab.allocators.freelist") and is_public("memlab.errors")
    assert is_public("memlab.demos.buddy") and is_public("memlab.grading.checks.e06_buddy_allocation")
    assert not is_public("memlab.allocators.freelist.heap") and not is_public("memlab.viz.heapmap")
    assert not is_public("memlab.allocators.freelist._fast")
    assert memlab_imports("from memlab.viz.heapmap import heap_svg, _x as y\nimport memlab.widgets\n") == [
        ("memlab.viz.heapmap", ["heap_svg", "_x"]),
        ("memlab.widgets", []),
    ]
