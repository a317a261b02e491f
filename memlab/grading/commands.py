"""The grading subcommands: ``memlab grade`` and ``memlab exercises build``."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from ..errors import BadRequest
from .limits import Limits


def grade_command(parser: argparse.ArgumentParser):
    """grade exercise notebooks, each question in its own sandboxed process.

    Grade each SUBMISSION (a notebook made from exercises/, or a folder of them). Every question
    runs in its own process with a time limit and an output cap; a crash, hang or flood scores that
    question 0 with the reason. Hidden tests come from the exercises' source notebooks (--source).
    """
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--json", action="store_true", help="a JSON list, one object per submission (Gradescope's shape)")
    how.add_argument("--csv", action="store_true", help="one row per submission and test")
    parser.add_argument("--source", metavar="DIR", help="source notebooks with hidden tests (default exercises/source)")
    parser.add_argument("--no-hidden", action="store_true", help="skip the hidden tests")
    parser.add_argument("--timeout", type=float, default=20.0, metavar="S", help="seconds per question (default 20)")
    parser.add_argument("--jobs", "-j", type=int, default=2, metavar="N", help="questions graded at once (default 2)")

    def run(args: argparse.Namespace) -> int:
        from .grader import grade

        if args.timeout <= 0 or args.jobs <= 0:
            raise BadRequest("--timeout and --jobs must be positive")
        source = None if args.no_hidden else (args.source or "default")
        results = grade(args.submissions, source_dir=source, limits=Limits(seconds=args.timeout), workers=args.jobs)
        if args.json:
            json.dump([r.as_gradescope() for r in results], sys.stdout, indent=1, ensure_ascii=False)
            print()
        elif args.csv:
            out = csv.writer(sys.stdout, lineterminator="\n")
            out.writerow(["submission", "exercise", "test", "score", "max_score"])
            for r in results:
                for t in r.tests:
                    out.writerow([r.submission, r.exercise, t.name, f"{t.score:g}", f"{t.max_score:g}"])
                out.writerow([r.submission, r.exercise, "total", f"{r.score:g}", f"{r.max_score:g}"])
        else:
            print("\n\n".join(r.text() for r in results))
        return 0

    return run


def exercises_build_command(parser: argparse.ArgumentParser):
    """make exercises/ and solutions/ from exercises/source/.

    Build the learners' exercises (stubs, no hidden tests) and the executed solutions from the
    source notebooks. --check only reports drift between the committed files and their sources.
    """
    parser.add_argument("names", nargs="*", metavar="EXERCISE", help="numbers or names (default: all)")
    parser.add_argument("--root", default=".", help="the course folder (default: here)")
    parser.add_argument("--no-execute", action="store_true", help="do not run the solutions")
    parser.add_argument("--check", action="store_true", help="report drift, build nothing")

    def run(args: argparse.Namespace) -> int:
        from .builder import build, drift

        if args.check:
            problems = drift(args.root)
            print("\n".join(problems) or "exercises and solutions match their sources")
            return 1 if problems else 0
        for path in build(args.root, names=args.names or None, run=not args.no_execute):
            print(f"wrote {path}")
        return 0

    return run
