"""The replayer executable, built from ``replayer.c`` with the system's C compiler on first use.

The build goes into a cache folder (``$MEMLAB_CACHE``, else ``$XDG_CACHE_HOME/memlab``, else
``~/.cache/memlab``, else the temporary folder), under a name made from a hash of the source and
the compiler, so an edited source or another compiler builds a new one and two processes that
build at once each write their own file and rename it into place. ``$CC`` names the compiler
(``cc`` by default). Without a compiler, or off Linux, :func:`replayer` raises
:class:`ProductionUnavailable` with the reason in one line, and memlab goes on without the
production allocators (``glibc`` falls back to the in-process replay of :mod:`..native`).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ... import host
from ...errors import NeedsMachine

SOURCE = Path(__file__).with_name("replayer.c")
FLAGS = ["-O2", "-std=c11", "-Wall"]
LIBS = ["-ldl"]  # dlopen lives in libc from glibc 2.34 on; older ones need libdl

_BUILT: dict[tuple[str, str], Path] = {}


class ProductionUnavailable(NeedsMachine):
    """A production allocator cannot be replayed here: no compiler, not Linux, or no such library."""


def cache_dir() -> Path:
    """Where the replayer is built (created if need be)."""
    given = os.environ.get("MEMLAB_CACHE")
    candidates = [Path(given)] if given else []
    xdg = os.environ.get("XDG_CACHE_HOME")
    candidates += [Path(xdg) / "memlab"] if xdg else []
    candidates += [Path.home() / ".cache" / "memlab", Path(tempfile.gettempdir()) / f"memlab-{os.getuid()}"]
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    raise ProductionUnavailable("no writable folder to build the replayer in (set MEMLAB_CACHE)")


def compiler() -> list[str]:
    """The C compiler's command line (``$CC`` or ``cc``)."""
    command = shlex.split(os.environ.get("CC") or "cc")
    found = shutil.which(command[0]) if command else None
    if not found:
        name = command[0] if command else "(empty $CC)"
        raise ProductionUnavailable(f"no C compiler ({name}) to build the replayer of the production allocators")
    return [found, *command[1:]]


def replayer() -> Path:
    """The replayer executable, built now if this source and compiler have not built one yet."""
    if host.in_browser():  # no compiler and no child process to run the replayer in
        raise ProductionUnavailable(host.missing("subprocesses"))
    if not sys.platform.startswith("linux"):
        raise ProductionUnavailable(f"production allocators are replayed on Linux only (this is {sys.platform})")
    cc = compiler()
    folder = cache_dir()
    key = (" ".join(cc), str(folder))
    if key in _BUILT and _BUILT[key].exists():
        return _BUILT[key]
    source = SOURCE.read_bytes()
    digest = hashlib.sha256(source + "\0".join([*cc, *FLAGS, *LIBS]).encode()).hexdigest()[:16]
    target = folder / f"replayer-{digest}"
    if not os.access(target, os.X_OK):
        _build(cc, target)
    _BUILT[key] = target
    return target


def _build(cc: list[str], target: Path) -> None:
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    command = [*cc, *FLAGS, "-o", str(partial), str(SOURCE), *LIBS]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ProductionUnavailable(f"cannot build the replayer with {cc[0]}: {e}") from None
    if done.returncode != 0 or not partial.exists():
        partial.unlink(missing_ok=True)
        lines = [line for line in done.stderr.splitlines() if "error" in line] or done.stderr.splitlines() or ["?"]
        raise ProductionUnavailable(f"cannot build the replayer with {cc[0]}: {lines[0].strip()}")
    os.replace(partial, target)
