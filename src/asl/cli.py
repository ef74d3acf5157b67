"""The `asl` command line: `asl validate machine.json ...` (and, later, `run` and `graph`).

Each subcommand is one `_add_<name>` function that declares its arguments and one `_<name>` function
that runs it and returns the exit status. Nothing heavy is imported before a command runs, so
`asl --help` answers at once.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any, NoReturn, cast

__all__ = ["main"]

Command = Callable[[argparse.Namespace, IO[str], IO[str]], int]


class _Parser(argparse.ArgumentParser):
    """argparse that writes to the streams given to `main` and returns instead of exiting."""

    def __init__(self, *args: Any, out: IO[str], err: IO[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.out, self.err = out, err

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            (self.err if file is sys.stderr else self.out).write(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self.err.write(message)
        raise _Exit(status)


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


def main(
    argv: Sequence[str] | None = None, *, stdout: IO[str] | None = None, stderr: IO[str] | None = None
) -> int:
    """Run the command line with `argv` (default: sys.argv[1:]); returns the exit status, never raises."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    parser = _build_parser(out, err)
    try:
        arguments = parser.parse_args(argv)
    except _Exit as done:
        return done.status
    command: Command | None = getattr(arguments, "command", None)
    if command is None:
        parser.print_help(out)
        return 2
    return command(arguments, out, err)


def _build_parser(out: IO[str], err: IO[str]) -> _Parser:
    parser = _Parser(
        prog="asl",
        description="Amazon States Language (AWS Step Functions) state machines, locally.",
        out=out,
        err=err,
    )
    # Subcommand parsers write to the same streams.
    parser_class = cast(type[_Parser], functools.partial(_Parser, out=out, err=err))
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=parser_class)
    _add_validate(commands)
    return parser


# -- validate ------------------------------------------------------------------------------------


def _add_validate(commands: Any) -> None:
    parser = commands.add_parser(
        "validate",
        help="check definitions as AWS would, reporting every problem",
        description="Check state machine definitions as AWS would. Prints every problem as "
        "FILE#POINTER: MESSAGE and exits 1 if any file is invalid, 0 if all are valid.",
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="a definition (JSON); - reads standard input"
    )
    parser.set_defaults(command=_validate)


def _validate(arguments: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from . import validation

    status = 0
    for name in arguments.files:
        # Standard input is always JSON text (bytes), never a file name.
        source: Any = sys.stdin.read().encode() if name == "-" else _path(name)
        problems = validation.validate(source)
        if problems:
            status = 1
            for problem in problems:
                where = f"{name}#{problem.path}" if problem.path else name
                out.write(f"{where}: {problem.message}\n")
        else:
            count = _count_states(validation.load(source))
            out.write(f"{name}: valid ({count} state{'s' * (count != 1)})\n")
    return status


def _path(name: str) -> Any:
    from pathlib import Path

    return Path(name)


def _count_states(machine: Any) -> int:
    states = machine.get("States") if isinstance(machine, dict) else None
    if not isinstance(states, dict):
        return 0
    total = len(states)
    for state in states.values():
        if isinstance(state, dict):
            for branch in state.get("Branches") or ():
                total += _count_states(branch)
            total += _count_states(state.get("ItemProcessor") or state.get("Iterator"))
    return total
