"""The ``memlab`` command: a small registry of subcommands on top of argparse.

A module adds a subcommand with :func:`command`::

    @command("grade", help="grade a folder of submissions")
    def grade(parser):                      # called once, to declare the arguments
        parser.add_argument("folder")
        return run_grade                    # run_grade(args) -> exit status

A name with a space (``"trace record"``) makes a group (``memlab trace ...``) with one
subcommand per second word. :data:`MODULES` lists the modules that register commands; one that
is not installed is skipped. Errors a user can fix (a bad trace, an unknown allocator) print
one line ``memlab: error: ...`` and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .errors import MemlabError

MODULES = ("memlab.traces.commands", "memlab.grading.commands", "memlab.demos.commands")
"""Modules that register subcommands when imported (missing ones are skipped)."""

Runner = Callable[[argparse.Namespace], int | None]


@dataclass(frozen=True)
class Command:
    """One subcommand: its words, a one-line help, and the function that declares its arguments."""

    name: str
    help: str
    declare: Callable[[argparse.ArgumentParser], Runner]
    description: str = ""


COMMANDS: dict[str, Command] = {}


def command(name: str, *, help: str, description: str = "") -> Callable:  # noqa: A002 - argparse's word
    """Decorator: register ``declare(parser) -> run`` as ``memlab <name>``."""

    def register(declare: Callable[[argparse.ArgumentParser], Runner]) -> Callable:
        COMMANDS[name] = Command(name, help, declare, description)
        return declare

    return register


def _load() -> None:
    for module in MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name is None or not module.startswith(e.name):
                raise


def parser() -> argparse.ArgumentParser:
    """The full argument parser, with every registered subcommand."""
    _load()
    top = argparse.ArgumentParser(prog="memlab", description="memlab: how memory is allocated and reclaimed.")
    top.add_argument("--version", action="version", version=f"memlab {_version()}")
    groups: dict[str, argparse._SubParsersAction] = {}
    subs = top.add_subparsers(dest="command", metavar="COMMAND")
    for name in sorted(COMMANDS):
        cmd = COMMANDS[name]
        head, _, tail = name.partition(" ")
        where = subs
        if tail:
            if head not in groups:
                group = subs.add_parser(head, help=f"{head} subcommands")
                groups[head] = group.add_subparsers(dest=f"{head}_command", metavar="SUBCOMMAND", required=True)
            where = groups[head]
        sub = where.add_parser(tail or head, help=cmd.help, description=cmd.description or cmd.help)
        sub.set_defaults(run=cmd.declare(sub))
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
