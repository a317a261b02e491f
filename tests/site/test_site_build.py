"""memlab site build's parts that need no browser: the wheels, the lock it rewrites, the command line."""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from memlab.cli import main
from memlab.site.build import BOOT, EXTRAS, course_root, needed_wheels, pure_wheel
from memlab.site.pyodide import canonical, kernel_pins, on_pyodide, requirements_of, rewrite_lock

ROOT = Path(__file__).resolve().parents[2]
CDN = "https://cdn.example/pyodide/v1/full"


def fake_wheel(folder: Path, name: str, version: str, requires: list[str] = ()) -> Path:
    path = folder / f"{name}-{version}-py3-none-any.whl"
    meta = "".join(f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr(f"{name}/__init__.py", "")
        whl.writestr(
            f"{name}-{version}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{meta}"
        )
    return path


def test_the_lock_serves_local_wheels_and_sends_the_rest_to_the_cdn(tmp_path):
    lock = {
        "info": {"python": "3.14.2"},
        "packages": {
            "pkga": {
                "name": "pkga",
                "version": "1.0",
                "file_name": "pkga-1.0-py3-none-any.whl",
                "sha256": "0" * 64,
                "depends": [],
                "imports": ["pkga"],
            },
            "numpy": {
                "name": "numpy",
                "version": "2.0",
                "file_name": "numpy-2.0-cp314-cp314-pyemscripten_wasm32.whl",
                "sha256": "1" * 64,
                "depends": [],
                "imports": ["numpy"],
            },
        },
    }
    a = fake_wheel(tmp_path, "pkga", "1.0")
    b = fake_wheel(tmp_path, "pkgb", "2.0", ["pkga>=1", 'pexpectlike; sys_platform != "emscripten"', "numpy"])
    out = rewrite_lock(lock, [a, b], "3.14", CDN)["packages"]
    assert out["pkga"]["file_name"] == a.name
    assert out["pkga"]["sha256"] == hashlib.sha256(a.read_bytes()).hexdigest() != lock["packages"]["pkga"]["sha256"]
    assert out["pkgb"]["file_name"] == b.name and out["pkgb"]["imports"] == ["pkgb"]
    assert out["pkgb"]["depends"] == ["pkga"], "only what the site serves; never what Emscripten does not need"
    assert out["numpy"]["file_name"] == f"{CDN}/numpy-2.0-cp314-cp314-pyemscripten_wasm32.whl"
    assert lock["packages"]["pkga"]["sha256"] == "0" * 64, "the input lock is left as it was"
    assert requirements_of(b, "3.14") == ["pkga", "numpy"]


def test_only_the_wheels_the_kernel_and_memlab_need_are_served(tmp_path):
    a = fake_wheel(tmp_path, "pkga", "1.0")
    b = fake_wheel(tmp_path, "pkgb", "2.0", ["pkga"])
    c = fake_wheel(tmp_path, "pkgc", "1.0")  # pip fetched it for the machine's platform only
    assert [w.name for w in needed_wheels([a, b, c], roots=["pkgb"], python="3.14")] == [a.name, b.name]


def test_the_site_wheel_is_pure_python(tmp_path):
    wheel = pure_wheel(ROOT, tmp_path)
    assert wheel.name.endswith("-py3-none-any.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.endswith((".so", ".pyd"))]
    assert "memlab/allocators/freelist/fast.py" in names
    assert [n for n in names if n.startswith("memlab/traces/data/") and n.endswith(".rep")], "the shipped traces"
    assert not list(ROOT.glob("build")), "built from a copy: the checkout gets no build folder"


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler here: the C accelerator cannot be built")
def test_an_install_still_builds_the_c_accelerator(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "memlab", src / "memlab", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    env = {k: v for k, v in os.environ.items() if k != "MEMLAB_PURE_PYTHON"}
    argv = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(src)]
    subprocess.run(argv, env=env, check=True, capture_output=True)
    [wheel] = tmp_path.glob("memlab-*.whl")
    assert not wheel.name.endswith("-none-any.whl"), wheel.name
    assert [n for n in zipfile.ZipFile(wheel).namelist() if "freelist/_fast" in n and n.endswith(".so")]


def test_site_build_outside_a_checkout_says_so_in_one_line(tmp_path, capsys):
    assert main(["site", "build", "--course", str(tmp_path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("memlab: error: no course here") and "\n" not in err
    assert course_root() == ROOT


def test_site_build_never_overwrites_the_course(capsys):
    assert main(["site", "build", "-o", str(ROOT / "notebooks")]) == 2
    assert "would overwrite the course" in capsys.readouterr().err
    assert json.loads((ROOT / "notebooks" / "00_the_simulated_machine.ipynb").read_text())["cells"]


def imports_of(notebook: Path) -> set[str]:
    """The top-level modules a notebook's code cells import (IPython's magics left out)."""
    found = set()
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        lines = "".join(cell["source"]).splitlines()
        tree = ast.parse("\n".join(line for line in lines if not line.lstrip().startswith(("%", "!"))))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def served_modules() -> set[str]:
    """The top-level modules a notebook in the site can import: memlab and what it needs there
    (matplotlib's family from Pyodide's CDN, the rest served by the site), the kernel's own, and EXTRAS.

    Followed through the installed distributions' requirements as they apply on Pyodide, as the
    build follows the wheels' own.
    """
    python = kernel_pins()[1]
    installed = {canonical(d.metadata["Name"]): d for d in importlib.metadata.distributions()}
    todo, seen = ["memlab", *BOOT, *EXTRAS], set()
    while todo:
        name = canonical(todo.pop())
        if name in seen or name not in installed:
            continue
        seen.add(name)
        todo += on_pyodide(installed[name].requires or [], python)
    return {
        module
        for module, dists in importlib.metadata.packages_distributions().items()
        if any(canonical(d) in seen for d in dists)
    }


def test_every_module_the_course_imports_is_served_by_the_site():
    """A notebook importing what the site lacks fails in the browser at that cell (Hypothesis did, in notebook 11)."""
    allowed = set(sys.stdlib_module_names) | served_modules()
    missing = {}
    for notebook in sorted(p for d in ("notebooks", "exercises", "solutions") for p in (ROOT / d).glob("*.ipynb")):
        if lacking := imports_of(notebook) - allowed:
            missing[notebook.relative_to(ROOT).as_posix()] = sorted(lacking)
    assert missing == {}, f"imported in the course, not served by the site: {missing}"
