"""``memlab site build``: the whole course as a static website that runs in the browser.

The site is JupyterLite (JupyterLab compiled to static files) with the Pyodide kernel (CPython
compiled to WebAssembly), as built by jupyterlite-core and jupyterlite-pyodide-kernel 0.8. Any
static web server can serve it (GitHub Pages, a USB stick opened by ``python -m http.server``);
nothing is installed, and each learner's edits stay in their own browser's storage.

It holds every notebook, every exercise, the solutions (unless ``solutions=False``), the shipped
traces, a pure-Python memlab wheel (built without the optional C extension, see setup.py) and
the Pyodide runtime (:mod:`.pyodide`). The kernel preloads memlab and everything it needs to
start from the site itself, so the course runs with no outside request, offline too. Only
matplotlib (and numpy under it) comes from Pyodide's CDN, at a notebook's first plot: they exist
for WebAssembly only there. The site's first page (:mod:`.front`) says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import SiteBuildError
from . import front
from .pyodide import (
    RUNTIME_FILES,
    canonical,
    download_wheels,
    fetch_runtime,
    is_pure,
    kernel_pins,
    requirements_of,
    rewrite_lock,
    wheel_name,
)

KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
BOOT = ("micropip", "piplite", "ipykernel", "comm", "pyodide-kernel", "jedi", "ipython")
"""What the Pyodide kernel installs as it starts (``initPackageManager`` and ``initKernel``)."""
EXTRAS = ("hypothesis",)
"""What the notebooks import beyond memlab's own requirements (notebook 11 runs the property suite
under Hypothesis): served from the site too, loaded at the first import."""
SHIPPED_TRACES = Path("memlab") / "traces" / "data"


def course_root(start: Path | None = None) -> Path:
    """The folder holding ``notebooks/``, ``exercises/`` and ``pyproject.toml`` (memlab's checkout)."""
    candidates = [start] if start else [Path(__file__).resolve().parents[2], Path.cwd()]
    for root in candidates:
        if (root / "notebooks").is_dir() and (root / "pyproject.toml").is_file():
            return root
    where = ", ".join(str(c) for c in candidates)
    raise SiteBuildError(f"no course here ({where}): the site is built from a checkout of memlab's repository")


def default_cache() -> Path:
    """Where downloads are kept between builds: ``$XDG_CACHE_HOME/memlab/site`` (``~/.cache`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "memlab" / "site"


def build(
    output: Path | str,
    *,
    solutions: bool = True,
    course: Path | None = None,
    cache: Path | None = None,
    say: Callable[[str], None] = print,
) -> Path:
    """Build the site into ``output`` (replaced if it exists) and return its path."""
    root = course_root(course)
    output = Path(output).resolve()
    if output == root or output in root.parents or (output.parent == root and output.name in _COURSE_PARTS):
        raise SiteBuildError(f"{output}: would overwrite the course itself; choose another output folder")
    cache = Path(cache) if cache else default_cache()
    version, python, cdn = kernel_pins()
    with tempfile.TemporaryDirectory(prefix="memlab-site-") as tmp:
        work = Path(tmp)
        lite = work / "lite"
        say(f"memlab wheel (pure Python) from {root}")
        memlab_wheel = pure_wheel(root, work / "memlab-wheel")
        say(f"Pyodide {version} runtime (npm)")
        runtime = fetch_runtime(cache / "npm", version)
        static = lite / "static" / "pyodide"
        static.mkdir(parents=True)
        for name in RUNTIME_FILES:
            shutil.copy2(runtime / name, static / name)
        lock = json.loads((runtime / "pyodide-lock.json").read_text())
        shims = kernel_wheels()
        from_cdn = {n for n, p in lock["packages"].items() if not is_pure(p["file_name"])}
        wanted = [r for r in requirements_of(memlab_wheel, python) if r not in from_cdn and r not in shims]
        wanted += [b for b in (*BOOT, *EXTRAS) if b not in shims]
        say(f"pure wheels from PyPI at the lock's versions: {', '.join(sorted(wanted))}")
        downloaded = download_wheels(wanted, lock, python, work / "wheels")
        wheels = needed_wheels(
            [memlab_wheel, *shims.values(), *downloaded], roots=["memlab", *BOOT, *EXTRAS], python=python
        )
        for wheel in wheels:
            shutil.copy2(wheel, static / wheel.name)
        served = rewrite_lock(lock, [static / w.name for w in wheels], python, cdn)
        (static / "pyodide-lock.json").write_text(json.dumps(served, indent=1, sort_keys=True))
        contents = lite / "files"
        copy_course(root, contents, solutions=solutions)
        (lite / "jupyter-lite.json").write_text(json.dumps(lite_settings(), indent=2))
        say("jupyter lite build")
        jupyter_lite_build(lite, contents, work / "out")
        front.write(work / "out", solutions=solutions, pyodide=version, cdn=cdn)
        if output.exists():
            shutil.rmtree(output)
        shutil.copytree(work / "out", output)
    say(f"site built in {output}: serve it with any static web server, e.g. python -m http.server -d {output}")
    return output


_COURSE_PARTS = {"notebooks", "exercises", "solutions", "memlab", "tests", "benchmarks"}


def pure_wheel(root: Path, dest: Path) -> Path:
    """memlab as a ``py3-none-any`` wheel: setup.py leaves the C extension out under MEMLAB_PURE_PYTHON=1.

    Built from a copy of the sources, so the checkout gets no build/ folder and no compiled
    extension of the machine's own can slip into the wheel.
    """
    src = dest / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "*.pyc")
    shutil.copytree(root / "memlab", src / "memlab", ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(root / name, src / name)
    env = dict(os.environ, MEMLAB_PURE_PYTHON="1")
    argv = [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps"]
    done = subprocess.run([*argv, "-w", str(dest), str(src)], env=env, capture_output=True, text=True)
    found = sorted(dest.glob("memlab-*.whl"))
    if done.returncode != 0 or len(found) != 1:
        raise SiteBuildError(f"building memlab's wheel failed: {done.stderr.strip()[-2000:]}")
    if not found[0].name.endswith("-py3-none-any.whl"):
        raise SiteBuildError(f"memlab's wheel {found[0].name} is not py3-none-any: Pyodide cannot load it")
    return found[0]


def kernel_wheels() -> dict[str, Path]:
    """The wheels the Pyodide kernel's lab extension carries (its ipykernel and widgets shims, piplite, ...)."""
    from jupyter_core.paths import jupyter_path

    for folder in jupyter_path("labextensions"):
        pypi = Path(folder) / "@jupyterlite" / "pyodide-kernel-extension" / "static" / "pypi"
        if pypi.is_dir():
            found: dict[str, Path] = {}
            for wheel in sorted(pypi.glob("*.whl"), key=lambda p: _version_key(wheel_name(p)[1])):
                found[wheel_name(wheel)[0]] = wheel  # the newest of each name wins
            return found
    raise SiteBuildError("the Pyodide kernel's lab extension is not installed: pip install -e '.[site]'")


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def needed_wheels(candidates: list[Path], roots: list[str], python: str) -> list[Path]:
    """The wheels ``roots`` need on Pyodide, following requirements; the first wheel of a name wins."""
    by_name: dict[str, Path] = {}
    for wheel in candidates:
        by_name.setdefault(wheel_name(wheel)[0], wheel)
    seen: set[str] = set()
    todo = [canonical(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        todo += requirements_of(by_name[name], python)
    return [by_name[n] for n in sorted(seen)]


def copy_course(root: Path, contents: Path, *, solutions: bool) -> None:
    """The notebooks, the exercises (never their sources: those hold the answers), the solutions, the traces."""
    skip = shutil.ignore_patterns(".*", "__pycache__", "source")  # hidden: checkpoints, tools' caches
    shutil.copytree(root / "notebooks", contents / "notebooks", ignore=skip)
    shutil.copytree(root / "exercises", contents / "exercises", ignore=skip)
    if solutions:
        shutil.copytree(root / "solutions", contents / "solutions", ignore=skip)
    traces = contents / "traces"
    traces.mkdir()
    for path in sorted((root / SHIPPED_TRACES).iterdir()):
        if path.suffix in (".rep", ".md"):
            shutil.copy2(path, traces / path.name)
    (contents / "README.md").write_text(front.readme(solutions=solutions))


def lite_settings() -> dict:
    """jupyter-lite.json: the kernel preloads memlab and its own packages from the site, never from PyPI."""
    kernel = {"disablePyPIFallback": True, "loadPyodideOptions": {"packages": [*BOOT, "memlab"]}}
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {"appName": "memlab", "litePluginSettings": {KERNEL_PLUGIN: kernel}},
    }


def jupyter_lite_build(lite: Path, contents: Path, out: Path) -> None:
    argv = [sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(lite), "--output-dir", str(out)]
    argv += ["--contents", str(contents), "--no-sourcemaps"]
    done = subprocess.run(argv, cwd=lite, capture_output=True, text=True)
    if done.returncode != 0 or not (out / "static" / "pyodide" / "pyodide.mjs").is_file():
        tail = (done.stdout + done.stderr).strip()[-3000:]
        raise SiteBuildError(f"jupyter lite build failed (exit {done.returncode}): {tail}")
