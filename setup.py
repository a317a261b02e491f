"""The build's one dynamic part: the free-list heap's optional C fast path.

Everything else about the package is in pyproject.toml. The C extension is optional (an install
without a C compiler still succeeds and runs the same code in Python). With the environment
variable ``MEMLAB_PURE_PYTHON=1`` it is left out altogether, so the wheel is a pure
``py3-none-any`` one: the kind Pyodide, the Python of the browser course (``memlab site
build``), can install.
"""

import os

from setuptools import Extension, setup

PURE = os.environ.get("MEMLAB_PURE_PYTHON", "").strip() not in ("", "0")

FAST_PATH = Extension(
    "memlab.allocators._freelist_c",
    sources=["memlab/allocators/_freelist_c.c"],
    optional=True,
)

setup(ext_modules=[] if PURE else [FAST_PATH])
