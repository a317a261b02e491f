"""The grading subcommands: ``memlab grade`` and ``memlab exercises build|release|autograder``."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import BadRequest
from .limits import Limits


def grade_command(parser: argparse.ArgumentParser):
    """grade exercise notebooks, each submission's code in an isolated process.

    Grade each SUBMISSION (a notebook made from exercises/, or a folder of them: one student per
    subfolder). The checks run in the grader; each submission's code runs in a process of its own,
    isolated by bubblewrap where it works (else a documented fallback, named on stderr), with a time
    budget per test, an output cap and resource limits. A crash, hang or flood costs the case it
    happened in. Hidden tests come from the exercises' source notebooks (--source).
    """
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--json", action="store_true", help="a JSON list, one object per submission (Gradescope's fields)")
    how.add_argument("--csv", action="store_true", help="a gradebook in Canvas's columns, one row per student")
    parser.add_argument("--exercise", metavar="NN", help="grade every submission as exercise NN, whatever it says")
    parser.add_argument("--source", metavar="DIR", help="source notebooks with hidden tests (default exercises/source)")
    parser.add_argument("--no-hidden", action="store_true", help="skip the hidden tests")
    parser.add_argument("--timeout", type=float, default=20.0, metavar="S", help="seconds per test (default 20)")
    parser.add_argument("--jobs", "-j", type=int, default=0, metavar="N", help="submissions at once (default: cores)")
    parser.add_argument(
        "--isolation",
        choices=("auto", "bwrap", "fallback"),
        help="bubblewrap, the fallback, or auto (the default; also MEMLAB_GRADE_ISOLATION)",
    )

    def run(args: argparse.Namespace) -> int:
        from . import isolation
        from .checks import exercise, keys
        from .grader import grade
        from .results import canvas_csv

        if args.timeout <= 0 or args.jobs < 0:
            raise BadRequest("--timeout must be positive and --jobs at least 0")
        if args.exercise:
            try:
                exercise(args.exercise)
            except KeyError as e:
                raise BadRequest(e.args[0]) from None
        try:
            used = isolation.choose(args.isolation)
        except (RuntimeError, ValueError) as e:
            raise BadRequest(str(e)) from None
        print(f"memlab grade: isolation: {used.describe()}", file=sys.stderr)
        source = None if args.no_hidden else (args.source or "default")
        results = grade(
            args.submissions,
            source_dir=source,
            limits=Limits(seconds=args.timeout),
            workers=args.jobs or None,
            exercise=args.exercise,
            isolation=args.isolation,
        )
        if args.json:
            json.dump([r.as_gradescope() for r in results], sys.stdout, indent=1, ensure_ascii=False)
            print()
        elif args.csv:
            titles = {key: f"{key[:2]} {exercise(key).title}" for key in keys()}
            sys.stdout.write(canvas_csv(results, titles))
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


def exercises_release_command(parser: argparse.ArgumentParser):
    """write the student bundle: exercises and the package, no solutions, no hidden tests.

    Write OUT: the exercise notebooks (built afresh from exercises/source, stubs in place of answers,
    no hidden tests, no outputs), the course notebooks, the memlab package their check cells import,
    and how to install it. No file of OUT holds solution text or a hidden test. The course keeps
    solutions/ for self-paced learners.
    """
    parser.add_argument("out", metavar="OUT", help="the folder to write (must not exist, or be empty)")
    parser.add_argument("--root", default=".", help="the course folder (default: here)")

    def run(args: argparse.Namespace) -> int:
        from .release import release

        for path in release(args.root, args.out):
            print(f"wrote {path}")
        return 0

    return run


def exercises_autograder_command(parser: argparse.ArgumentParser):
    """write a Gradescope autograder bundle for one exercise.

    Write a zip for Gradescope's programming assignments: setup.sh, run_autograder, the memlab
    package (the checks) and the exercise's hidden tests. run_autograder grades the one notebook in
    /autograder/submission in isolation and writes /autograder/results/results.json.
    """
    parser.add_argument("exercise", metavar="NN", help="the exercise's number or name")
    parser.add_argument("-o", "--output", metavar="ZIP", help="where to write the zip (default NN.zip)")
    parser.add_argument("--root", default=".", help="the course folder (default: here)")
    parser.add_argument("--timeout", type=float, default=20.0, metavar="S", help="seconds per test (default 20)")

    def run(args: argparse.Namespace) -> int:
        from .autograder import bundle

        path = bundle(args.exercise, args.output, root=args.root, seconds=args.timeout)
        print(f"wrote {path}")
        return 0

    return run
