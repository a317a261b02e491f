"""The ``memlab`` command: every subcommand, named in one table.

Each subcommand is a function ``declare(parser) -> run`` in the module of its layer
(:mod:`memlab.traces.commands`, :mod:`memlab.grading.commands`, :mod:`memlab.site.commands`,
:mod:`memlab.demos.commands`): it
declares its arguments and returns ``run(args) -> exit status``; its docstring's first line is the help, the rest the
description. :data:`COMMANDS` names them; a name with a space (``"trace record"``) makes a group
(``memlab trace ...``) with one subcommand per second word. Errors a user can fix (a bad trace, an
unknown allocator) print one line ``memlab: error: ...`` and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .demos import commands as demos
from .errors import MemlabError
from .grading import commands as grading
from .site import commands as site
from .traces import commands as traces

Runner = Callable[[argparse.Namespace], int | None]
Declare = Callable[[argparse.ArgumentParser], Runner]

COMMANDS: dict[str, Declare] = {
    "replay": traces.replay_command,
    "trace record": traces.trace_record_command,
    "trace record-python": traces.trace_record_python_command,
    "trace convert": traces.trace_convert_command,
    "trace generate": traces.trace_generate_command,
    "trace info": traces.trace_info_command,
    "grade": grading.grade_command,
    "exercises build": grading.exercises_build_command,
    "exercises release": grading.exercises_release_command,
    "exercises autograder": grading.exercises_autograder_command,
    "site build": site.site_build_command,
    "demos export": demos.demos_export_command,
}
"""Every subcommand and the function that declares it."""


def _help(declare: Declare) -> tuple[str, str]:
    """(help, description) from a command's docstring: its first line, and all of it."""
    doc = (declare.__doc__ or "").strip()
    first = doc.split("\n", 1)[0].rstrip(".")
    rest = " ".join(line.strip() for line in doc.split("\n\n", 1)[1:]).replace("\n", " ") if "\n\n" in doc else ""
    return first, " ".join(rest.split()) or first


def parser() -> argparse.ArgumentParser:
    """The full argument parser, with every subcommand."""
    top = argparse.ArgumentParser(prog="memlab", description="memlab: how memory is allocated and reclaimed.")
    top.add_argument("--version", action="version", version=f"memlab {_version()}")
    groups: dict[str, argparse._SubParsersAction] = {}
    subs = top.add_subparsers(dest="command", metavar="COMMAND")
    for name in sorted(COMMANDS):
        declare = COMMANDS[name]
        help_, description = _help(declare)
        head, _, tail = name.partition(" ")
        where = subs
        if tail:
            if head not in groups:
                group = subs.add_parser(head, help=f"{head} subcommands")
                groups[head] = group.add_subparsers(dest=f"{head}_command", metavar="SUBCOMMAND", required=True)
            where = groups[head]
        sub = where.add_parser(tail or head, help=help_, description=description)
        sub.set_defaults(run=declare(sub))
    return top


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``memlab`` with ``argv`` (default: the process's arguments); return the exit status."""
    p = parser()
    args = p.parse_args(argv)
    if getattr(args, "run", None) is None:
        p.print_help()
        return 2
    try:
        status = args.run(args)
    except MemlabError as e:
        print(f"memlab: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("memlab: interrupted", file=sys.stderr)
        return 130
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
