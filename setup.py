"""The build's one dynamic part: memlab's optional C accelerators.

Everything else about the package is in pyproject.toml. Every C file in the package is an
optional extension module of the same dotted name (``memlab/allocators/freelist/_fast.c`` builds
``memlab.allocators.freelist._fast``, the free-list heap's fast path); an install without a C
compiler still succeeds and runs the same code in Python. With the environment variable
``MEMLAB_PURE_PYTHON=1`` they are left out altogether, so the wheel is a pure ``py3-none-any``
one: the kind Pyodide, the Python of the browser course (``memlab site build``), can install.
"""

import os
from pathlib import Path

from setuptools import Extension, setup

PURE = os.environ.get("MEMLAB_PURE_PYTHON", "").strip() not in ("", "0")

ACCELERATORS = [
    Extension(".".join(source.with_suffix("").parts), sources=[source.as_posix()], optional=True)
    for source in sorted(Path("memlab").rglob("*.c"))
]

setup(ext_modules=[] if PURE else ACCELERATORS)
