"""Run All in the browser course: seconds per notebook, exercise and solution in Chromium (Pyodide).

The budget is absolute, unlike the other benchmarks' ratios: a learner who presses "Run All"
should wait less than 60 s for any notebook (the kernel's start, about 10-30 s once per tab,
comes on top and is printed apart). The site is built with ``memlab site build`` into a
temporary folder (or ``--site DIR``), served on 127.0.0.1, and each notebook runs in a fresh
browser context, one at a time (``--tabs N`` runs N at once, which is faster in total but slows
each). No request leaves the machine: matplotlib, which the site loads from Pyodide's CDN, is
replaced by a stand-in that draws nothing, so drawing a plot is the one thing not timed.

Run: ``python benchmarks/bench_site.py [--site DIR] [--tabs N] [NAME ...]`` (NAME: part of a path)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from lite import NO_PLOTS, Guard, SiteServer, execute, expose_app, run_notebooks  # noqa: E402

BUDGET = 60.0


def exception(output: dict) -> str:
    """An error output's exception name (Pyodide's kernel writes it as "<class 'Name'>")."""
    return output["ename"].removeprefix("<class '").removesuffix("'>")


def course_paths(names: list[str]) -> list[str]:
    paths = [
        p.relative_to(ROOT).as_posix()
        for d in ("notebooks", "exercises", "solutions")
        for p in sorted((ROOT / d).glob("*.ipynb"))
    ]
    return [p for p in paths if not names or any(n in p for n in names)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", help="a site already built (default: build one now)")
    parser.add_argument("--tabs", type=int, default=1)
    parser.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("skipped: Chromium is not installed")
        return 0
    from playwright.sync_api import sync_playwright

    from memlab.site import build
    from memlab.site.pyodide import kernel_pins

    with tempfile.TemporaryDirectory(prefix="memlab-bench-site-") as tmp:
        site = Path(tmp) / "site"
        shutil.copytree(args.site, site) if args.site else build(site, say=lambda line: None)
        expose_app(site)
        server = SiteServer(site)
        guard = Guard(server.base, kernel_pins()[2])
        rows: list[float] = []
        failures: list[str] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium, args=["--headless=new", "--no-sandbox", "--disable-gpu"]
            )

            def new_context():
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                context.route("**/*", guard)
                return context

            def report(run):
                ran = sum(c["count"] is not None for c in run.cells)
                raised = [(n, c, o) for n, c in enumerate(run.cells, 1) for o in c["outputs"] if "ename" in o]
                # an exercise's Run All stops at its first task, which raises NotImplementedError until it
                # is solved (its solution, run too, times the rest); elsewhere only a cell tagged
                # raises-exception may raise, and every cell must run
                unsolved = (
                    run.path.startswith("exercises/")
                    and raised[:1] != []
                    and exception(raised[0][2]) == "NotImplementedError"
                )
                stray = [] if unsolved else [(n, o) for n, c, o in raised if "raises-exception" not in c["tags"]]
                whole = unsolved or ran == len(run.cells)
                if stray or not whole:
                    failures.append(run.path)
                flag = ("  <--" if stray or not whole or run.seconds > BUDGET else "") + (
                    f" OVER {BUDGET:.0f} s" if run.seconds > BUDGET else ""
                )
                rows.append(run.seconds)
                print(
                    f"{run.path:52} boot {run.boot_seconds:5.1f} s  run all {run.seconds:6.1f} s"
                    f"  ({ran}/{len(run.cells)} cells ran{', up to the first task' if unsolved else ''};"
                    f" {len(stray)} raised where nothing should){flag}",
                    flush=True,
                )
                for n, o in stray:
                    print(f"    code cell {n}: {exception(o)}: {o['evalue']}", flush=True)

            paths = course_paths(args.names)
            run_notebooks(
                new_context,
                server.base,
                paths,
                tabs=args.tabs,
                before=lambda run: execute(run.page, NO_PLOTS),
                after=report,
            )
            browser.close()
        server.close()
    if guard.violations:
        print(f"requests that tried to leave the machine: {guard.violations}")
    over = sum(s > BUDGET for s in rows)
    print(f"\n{len(rows)} notebooks; slowest {max(rows, default=0):.1f} s; {over} over {BUDGET:.0f} s")
    if failures:
        print(f"raised where nothing should: {', '.join(failures)}")
    return 1 if over or failures or guard.violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
