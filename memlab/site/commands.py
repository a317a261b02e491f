"""The browser course's subcommand: ``memlab site build`` (also what its GitHub Pages workflow runs)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def site_build_command(parser: argparse.ArgumentParser):
    """build the course as a static JupyterLite site that runs in the browser.

    Build a static JupyterLite site (the Pyodide kernel, nothing to install) with every notebook,
    every exercise, the solutions (unless --no-solutions), the shipped traces, a pure-Python memlab
    wheel and the Pyodide runtime. Serve it with any static web server. Needs npm and PyPI while
    building; the Pyodide runtime is kept in a cache folder between builds.
    """
    parser.add_argument("-o", "--output", default="_site", metavar="DIR", help="where the site goes (default _site)")
    parser.add_argument("--no-solutions", action="store_true", help="leave solutions/ out (a student release)")
    parser.add_argument("--course", metavar="DIR", help="the course checkout (default: the one memlab runs from)")
    parser.add_argument("--cache", metavar="DIR", help="downloads kept between builds (default ~/.cache/memlab/site)")

    def run(args: argparse.Namespace) -> int:
        from .build import build

        build(
            args.output,
            solutions=not args.no_solutions,
            course=Path(args.course).resolve() if args.course else None,
            cache=Path(args.cache) if args.cache else None,
            say=lambda line: print(line, file=sys.stderr),
        )
        return 0

    return run
