"""The Pyodide runtime for the browser course, served from the site itself, and its package lock.

Pyodide is CPython compiled to WebAssembly; jupyterlite-pyodide-kernel 0.8 runs it in a web
worker. By default the kernel loads Pyodide, and every package of Pyodide's distribution, from
a CDN. Here the runtime comes from the npm package ``pyodide`` at exactly the version the kernel
pins (``PYODIDE_VERSION`` in ``jupyterlite_pyodide_kernel.constants``; 314.0.6 for kernel 0.8.6),
fetched with ``npm pack`` into a cache folder. That package holds the interpreter and the
standard library (``pyodide.mjs``, ``pyodide.asm.wasm``, ``python_stdlib.zip``) and the lock
``pyodide-lock.json``, which names every package of the full distribution, but no wheel.

:func:`rewrite_lock` points the lock at what the site serves itself: every pure-Python wheel the
kernel needs to start (IPython, jedi, comm, micropip, ...) and everything memlab needs, downloaded
from PyPI by pip at the lock's own versions. PyPI's wheels of those versions are not byte for byte
Pyodide's (Pyodide rebuilds them), so each entry gets the sha256 of the file actually served.
Every other entry (numpy, matplotlib and their compiled friends, which exist for WebAssembly only
in Pyodide's distribution) gets an absolute URL on Pyodide's CDN: they load from there, on first
import, and only when the learner is online. Simplification: a package the site adds to the lock
depends only on packages the site serves itself; memlab's own dependency on matplotlib is left to
that first import, so the kernel starts without any outside request.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterable
from email.parser import HeaderParser
from pathlib import Path

from ..errors import SiteBuildError

NPM_PACKAGE = "pyodide"
RUNTIME_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
"""What the site needs of the npm package (``pyodide.js`` and the consoles are left out)."""


def kernel_pins() -> tuple[str, str, str]:
    """(Pyodide version, its Python version, its CDN folder) as the installed kernel pins them."""
    try:
        from jupyterlite_pyodide_kernel import constants
    except ModuleNotFoundError:
        raise SiteBuildError("jupyterlite-pyodide-kernel is not installed: pip install -e '.[site]'") from None
    return constants.PYODIDE_VERSION, constants.PYODIDE_PYTHON_VERSION, constants.PYODIDE_CDN_URL


def canonical(name: str) -> str:
    """A package name as the lock and PyPI compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def fetch_runtime(cache: Path, version: str) -> Path:
    """The folder of npm's ``pyodide@version``, fetched with ``npm pack`` into ``cache`` once."""
    folder = cache / f"pyodide-{version}"
    if all((folder / name).is_file() for name in RUNTIME_FILES):
        return folder
    npm = shutil.which("npm")
    if npm is None:
        raise SiteBuildError("npm is not installed: it fetches the Pyodide runtime (Debian: apt-get install npm)")
    cache.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "pack", f"{NPM_PACKAGE}@{version}", "--pack-destination", str(cache), "--silent"],
        capture_output=True,
        text=True,
    )
    tarball = cache / f"{NPM_PACKAGE}-{version}.tgz"
    if done.returncode != 0 or not tarball.is_file():
        raise SiteBuildError(f"npm pack {NPM_PACKAGE}@{version} failed: {done.stderr.strip() or done.stdout.strip()}")
    unpacked = cache / f"pyodide-{version}.partial"
    shutil.rmtree(unpacked, ignore_errors=True)
    unpacked.mkdir()
    with tarfile.open(tarball) as tar:
        for name in RUNTIME_FILES:
            member = tar.getmember(f"package/{name}")
            with tar.extractfile(member) as src, open(unpacked / name, "wb") as out:
                shutil.copyfileobj(src, out)
    shutil.rmtree(folder, ignore_errors=True)
    unpacked.rename(folder)
    tarball.unlink()
    return folder


def is_pure(file_name: str) -> bool:
    """Whether a wheel's name says it runs on any Python 3 (``py3-none-any``, ``py2.py3-none-any``)."""
    return bool(re.search(r"-py(2\.)?3-none-any\.whl$", file_name))


def download_wheels(requirements: Iterable[str], lock: dict, python: str, dest: Path) -> list[Path]:
    """Pure wheels of ``requirements`` and their dependencies from PyPI, at the lock's versions."""
    dest.mkdir(parents=True, exist_ok=True)
    constraints = dest / "constraints.txt"
    pins = sorted(f"{p['name']}=={p['version']}" for p in lock["packages"].values())
    constraints.write_text("\n".join(pins) + "\n")
    argv = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
    argv += ["--only-binary=:all:", "--implementation", "py", "--abi", "none", "--platform", "any"]
    argv += ["--python-version", python, "-c", str(constraints), "-d", str(dest), *requirements]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
        raise SiteBuildError(f"pip download failed: {' '.join(errors) or done.stderr.strip()}")
    return sorted(dest.glob("*.whl"))


def wheel_name(path: Path) -> tuple[str, str]:
    """(canonical name, version) from a wheel's file name."""
    name, version = path.name.split("-")[:2]
    return canonical(name), version


def _metadata(path: Path):
    with zipfile.ZipFile(path) as whl:
        [meta] = [n for n in whl.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        text = whl.read(meta).decode("utf-8")
        names = whl.namelist()
        tops = sorted({n.split("/")[0] for n in names if "/" in n and ".dist-info/" not in n and ".data/" not in n})
        tops += sorted(n[:-3] for n in names if "/" not in n and n.endswith(".py"))
    return HeaderParser().parsestr(text), [t for t in tops if t.isidentifier()]


def requirements_of(path: Path, python: str) -> list[str]:
    """The canonical names a wheel requires on Pyodide (markers evaluated for Emscripten)."""
    meta, _ = _metadata(path)
    return on_pyodide(meta.get_all("Requires-Dist") or [], python)


def on_pyodide(requires: Iterable[str], python: str) -> list[str]:
    """The canonical names of the ``Requires-Dist`` lines that apply on Pyodide (no extra asked for)."""
    from packaging.requirements import Requirement

    env = {
        "sys_platform": "emscripten",
        "platform_system": "Emscripten",
        "platform_machine": "wasm32",
        "os_name": "posix",
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "extra": "",
    }
    out = []
    for line in requires:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(env):
            out.append(canonical(req.name))
    return out


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def rewrite_lock(lock: dict, wheels: Iterable[Path], python: str, cdn: str) -> dict:
    """The lock with ``wheels`` served beside it and every other package from ``cdn``.

    A wheel replaces the lock's entry of the same name (its file, version and sha256), or adds
    one. Every entry left pointing at a file the site does not serve gets ``cdn`` as its URL.
    """
    out = json.loads(json.dumps(lock))
    packages = out["packages"]
    local = {}
    for path in wheels:
        name, version = wheel_name(path)
        local[name] = path
        entry = packages.setdefault(name, {"name": name, "depends": [], "imports": []})
        _, imports = _metadata(path)
        entry.update(
            version=version,
            file_name=path.name,
            sha256=sha256(path),
            install_dir="site",
            package_type="package",
            shared_library=False,
            unvendored_tests=False,
        )
        entry["imports"] = entry.get("imports") or imports
    for name, path in local.items():  # depends only on what is served here (see the module docstring)
        needs = {canonical(d) for d in packages[name].get("depends", [])} | set(requirements_of(path, python))
        packages[name]["depends"] = sorted(n for n in needs if n in local)
    for name, entry in packages.items():
        if name not in local and "://" not in entry["file_name"]:
            entry["file_name"] = f"{cdn.rstrip('/')}/{entry['file_name']}"
    return out
