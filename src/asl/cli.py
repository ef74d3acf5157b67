"""The `asl` command line: `asl validate`, `asl run` and `asl graph`.

Each subcommand is one `_add_<name>` function that declares its arguments and one `_<name>` function
that runs it and returns the exit status. Nothing heavy is imported before a command runs, so
`asl --help` answers at once.

Exit statuses (every failure is one line on stderr, never a traceback):

    0  success
    1  `run`: the execution did not succeed (FAILED, TIMED_OUT, ABORTED); `validate`: a file is invalid
    2  usage error, or an invalid definition (`run`, `graph`: the validator's problems), or a
       --state-machine / --test-case the mock configuration lacks
    3  a file cannot be read or written, --input / --execution is not JSON or --input is over the
       payload quota (256 KiB), or --mock-config is malformed
    4  --resources cannot be loaded, or a Task names a resource it does not provide
    5  `graph --format svg`: Graphviz's `dot` is missing or failed
  130  interrupted (the execution is aborted)
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any, NoReturn, cast

__all__ = ["main"]

Command = Callable[[argparse.Namespace, IO[str], IO[str]], int]

OK, FAILED, USAGE, UNREADABLE, RESOURCES, GRAPHVIZ, INTERRUPTED = 0, 1, 2, 3, 4, 5, 130


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


def main(argv: Sequence[str] | None = None, *, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
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
        return USAGE
    try:
        return command(arguments, out, err)
    except _Stop as stop:
        if stop.message:
            err.write(f"asl: {stop.message}\n")
        return stop.status
    except KeyboardInterrupt:
        err.write("asl: interrupted\n")
        return INTERRUPTED


class _Stop(Exception):
    """Ends a command with an exit status and one line for stderr (none when already reported)."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status, self.message = status, message


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
    _add_run(commands)
    _add_graph(commands)
    return parser


# -- validate ------------------------------------------------------------------------------------


def _add_validate(commands: Any) -> None:
    parser = commands.add_parser(
        "validate",
        help="check definitions as AWS would, reporting every problem",
        description="Check state machine definitions as AWS would. Prints every problem as "
        "FILE#POINTER: MESSAGE and exits 1 if any file is invalid, 0 if all are valid.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="a definition (JSON); - reads standard input")
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

    if "\0" in name:  # only a program calling main() can pass one; the OS would refuse it
        raise _Stop(UNREADABLE, f"{name!r}: a file name cannot contain a NUL character")
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


# -- run -----------------------------------------------------------------------------------------


def _add_run(commands: Any) -> None:
    parser = commands.add_parser(
        "run",
        help="run a state machine in-process and print its output",
        description="Run one execution of a state machine in this process and print its output as "
        "JSON. Task resources are Python callables named by --resources; a definition never names "
        "code to import. Exit status: 0 succeeded, 1 the execution failed (error and cause on "
        "stderr), 2 invalid definition, 3 unreadable file or input, 4 resources problem.",
    )
    parser.add_argument("machine", metavar="MACHINE", help="the definition (a JSON file)")
    parser.add_argument(
        "--input", metavar="FILE", help="the execution input: a JSON file, or - for standard input (default: {})"
    )
    parser.add_argument(
        "--resources",
        metavar="MODULE:ATTR",
        help="a mapping of Task resource (ARN or function name) to Python callable: a module importable "
        "from the current directory (examples.order.resources:RESOURCES) or a file "
        "(path/to/resources.py:RESOURCES); ATTR defaults to RESOURCES",
    )
    parser.add_argument(
        "--virtual-time", action="store_true", help="Wait states, retries and timeouts take no real time"
    )
    parser.add_argument("--seed", type=int, metavar="N", help="repeatable UUIDs, task tokens and retry jitter")
    parser.add_argument("--name", help="the execution's name (default: a UUID)")
    parser.add_argument(
        "--history", metavar="FILE", help="write the execution's events as JSON (GetExecutionHistory's shape)"
    )
    mocks = parser.add_argument_group("mocked Task states (a Step Functions Local mock configuration file)")
    mocks.add_argument("--mock-config", metavar="FILE", help="the mock configuration file (MockConfigFile.json)")
    mocks.add_argument("--test-case", metavar="NAME", help="the test case whose mocked responses answer the Tasks")
    mocks.add_argument(
        "--state-machine",
        metavar="NAME",
        help="the state machine of the file, when it configures several (default: the one named like MACHINE's "
        "file, `order` for order.asl.json)",
    )
    parser.set_defaults(command=_run)


def _run(arguments: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import json

    from . import Status, VirtualClock, run
    from .errors import AslError, DataLimitExceeded, InvalidName, ResourceError

    machine = _load_machine(arguments.machine, err)
    value = _read_json(arguments.input, "--input") if arguments.input is not None else {}
    resources = _load_resources(arguments.resources) if arguments.resources else {}
    task_override = _load_test_case(arguments, machine, err)
    try:
        execution = run(
            machine,
            value,
            resources=resources,
            clock=VirtualClock() if arguments.virtual_time else None,
            seed=arguments.seed,
            name=arguments.name,
            on_event=_Progress(err) if _is_terminal(err) else None,
            task_override=task_override,
        )
    except ResourceError as error:
        raise _Stop(RESOURCES, str(error)) from None
    except InvalidName as error:
        raise _Stop(USAGE, f"--name: {error}") from None
    except DataLimitExceeded as error:  # AWS refuses to start with such an input
        raise _Stop(UNREADABLE, f"--input {arguments.input}: {error.cause}") from None
    except AslError as error:  # anything else the run refused before it started
        raise _Stop(FAILED, str(error)) from None
    if arguments.history:
        events = [event.to_dict() for event in execution.history]
        _write(arguments.history, json.dumps(events, indent=2, ensure_ascii=False) + "\n", "--history")
    if execution.status is not Status.SUCCEEDED:
        reason = ": ".join(part for part in (execution.error, execution.cause) if part)
        err.write(f"asl: execution {execution.status.value}{': ' + reason if reason else ''}\n")
        return FAILED
    out.write(json.dumps(execution.output, indent=2, ensure_ascii=False) + "\n")
    return OK


def _load_test_case(arguments: argparse.Namespace, machine: Any, err: IO[str]) -> Any:
    """The task_override of --test-case in --mock-config, or None when no mocks are asked for.

    A malformed or unreadable file prints its problems (status 3); a name the file lacks, or a
    mocked state the machine lacks, is a usage error (status 2).
    """
    if arguments.mock_config is None:
        if arguments.test_case is not None or arguments.state_machine is not None:
            raise _Stop(USAGE, "--test-case and --state-machine need --mock-config")
        return None
    if arguments.test_case is None:
        raise _Stop(USAGE, "--mock-config needs --test-case NAME")
    from . import mocks

    try:
        config = mocks.load(_path(arguments.mock_config))
        case = config.test_case(arguments.state_machine, arguments.test_case, machine_file=arguments.machine)
        case.check(machine)
    except mocks.MockConfigError as error:
        for problem in error.problems:
            where = f"{arguments.mock_config}#{problem.path}" if problem.path else arguments.mock_config
            err.write(f"{where}: {problem.message}\n")
        raise _Stop(UNREADABLE) from None
    except mocks.MockNotFound as error:
        raise _Stop(USAGE, f"--mock-config {arguments.mock_config}: {error}") from None
    return case.override()


def _load_machine(name: str, err: IO[str]) -> Any:
    """The compiled machine in file `name`; an invalid one prints the validator's problems (status 2)."""
    from . import validation
    from .compiler import compile_machine
    from .errors import AslError, DefinitionError
    from .states import basic

    try:
        document = validation.load(_path(name))
        problems = validation.validate(document)
    except DefinitionError as error:
        if error.problems and error.problems[0].code == "FILE_NOT_FOUND":
            raise _Stop(UNREADABLE, error.problems[0].message) from None
        problems = error.problems
    if problems:
        for problem in problems:
            where = f"{name}#{problem.path}" if problem.path else name
            err.write(f"{where}: {problem.message}\n")
        raise _Stop(USAGE)
    try:
        return compile_machine(document, basic.compose)  # type: ignore[arg-type]  # validated: an object
    except AslError as error:
        raise _Stop(USAGE, f"{name}: {error}") from None


def _read_json(name: str, option: str) -> Any:
    """The JSON value in file `name` (- : standard input); status 3 when unreadable or not JSON."""
    import json

    if name == "-":
        text = sys.stdin.read()
    else:
        try:
            text = _path(name).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise _Stop(UNREADABLE, f"{option} {name}: No such file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise _Stop(UNREADABLE, f"{option} {name}: cannot read: {_reason(error)}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = "standard input" if name == "-" else name
        raise _Stop(
            UNREADABLE, f"{option} {where}: Invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except RecursionError:
        raise _Stop(UNREADABLE, f"{option} {name}: Invalid JSON: nested too deeply") from None


def _write(name: str, text: str, option: str) -> None:
    try:
        _path(name).write_text(text, encoding="utf-8")
    except OSError as error:
        raise _Stop(UNREADABLE, f"{option} {name}: cannot write: {_reason(error)}") from None


def _reason(error: BaseException) -> str:
    return str(getattr(error, "strerror", None) or error)


def _load_resources(spec: str) -> dict[str, Callable[..., Any]]:
    """The mapping named by MODULE:ATTR (or FILE.py:ATTR); status 4 for anything unusable.

    This is the only way code enters a run: a definition's Resource strings are keys, never imported.
    """
    import importlib
    import importlib.util
    import os
    from collections.abc import Mapping

    source, colon, attribute = spec.rpartition(":")
    if not colon or not source:  # no attribute given
        source, attribute = spec, "RESOURCES"
    what = f"--resources {spec}"
    try:
        if source.endswith(".py") or "/" in source or os.sep in source:
            path = _path(source)
            if not path.is_file():
                raise _Stop(RESOURCES, f"{what}: No such file: {source}")
            module_spec = importlib.util.spec_from_file_location(f"_asl_resources_{path.stem}", path)
            if module_spec is None or module_spec.loader is None:
                raise _Stop(RESOURCES, f"{what}: cannot import {source}")
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
        else:
            here = os.getcwd()
            added = here not in sys.path
            if added:
                sys.path.insert(0, here)
            try:
                module = importlib.import_module(source)
            finally:
                if added:
                    sys.path.remove(here)
    except _Stop:
        raise
    except ModuleNotFoundError as error:
        raise _Stop(RESOURCES, f"{what}: cannot import {source}: {error}") from None
    except BaseException as error:  # the module's own code failed (even sys.exit): still one line
        if isinstance(error, KeyboardInterrupt):
            raise
        raise _Stop(RESOURCES, f"{what}: importing {source} failed: {type(error).__name__}: {error}") from None
    if not hasattr(module, attribute):
        raise _Stop(RESOURCES, f"{what}: {source} has no attribute {attribute!r}")
    mapping = getattr(module, attribute)
    if not isinstance(mapping, Mapping):
        raise _Stop(
            RESOURCES,
            f"{what}: {attribute} is a {type(mapping).__name__}, not a mapping of resource name to callable",
        )
    for key, function in mapping.items():
        if not isinstance(key, str) or not callable(function):
            raise _Stop(RESOURCES, f"{what}: {attribute}[{key!r}] is not a callable")
    return dict(mapping)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class _Progress:
    """One line per state entered and exited (and per failure), for a person watching a terminal."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.start: float | None = None

    def __call__(self, event: Any) -> None:
        if self.start is None:
            self.start = event.timestamp
        kind: str = event.type
        details = event.details or {}
        if kind.endswith("StateEntered"):
            line = f"enter {details.get('name')} ({kind.removesuffix('StateEntered')})"
        elif kind.endswith("StateExited"):
            line = f"exit  {details.get('name')}"
        elif kind.endswith(("Failed", "TimedOut")) and "error" in details:
            cause = str(details.get("cause") or "")
            line = f"error {details['error']}" + (f": {cause[:120]}" if cause else "")
        elif kind.startswith("Execution") and kind != "ExecutionStarted":
            line = kind.removeprefix("Execution").upper()
        else:
            return
        self.stream.write(f"[{event.timestamp - self.start:9.3f}s] {line}\n")
        self.stream.flush()


# -- graph ---------------------------------------------------------------------------------------


def _add_graph(commands: Any) -> None:
    parser = commands.add_parser(
        "graph",
        help="draw a state machine (Mermaid, Graphviz DOT or SVG)",
        description="Draw a state machine: every state with its type, Choice rules on their edges, "
        "Catch edges dashed with their errors, Parallel branches and Map processors as nested "
        "clusters. With --execution, the path one execution took is coloured, its failed state "
        "marked, and states entered more than once show how many times.",
    )
    parser.add_argument("machine", metavar="MACHINE", help="the definition (a JSON file)")
    parser.add_argument(
        "--format",
        choices=("mermaid", "dot", "svg"),
        default="mermaid",
        help="mermaid (default), dot, or svg (runs Graphviz's dot -Tsvg)",
    )
    parser.add_argument(
        "--execution", metavar="HISTORY", help="a history written by `asl run --history`: colour its path"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the diagram here (default: stdout)")
    parser.set_defaults(command=_graph)


def _graph(arguments: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from . import diagram

    machine = _load_machine(arguments.machine, err)
    run = _load_trace(arguments.execution) if arguments.execution else None
    if arguments.format == "mermaid":
        text = diagram.mermaid(machine, run)
    else:
        text = diagram.dot(machine, run)
        if arguments.format == "svg":
            text = _svg(text)
    if arguments.output:
        _write(arguments.output, text, "--output")
    else:
        out.write(text)
    return OK


def _load_trace(name: str) -> Any:
    from . import diagram

    events = _read_json(name, "--execution")
    if isinstance(events, dict):  # GetExecutionHistory's own response
        events = events.get("events")
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        expected = "a JSON list of events, as `asl run --history` writes"
        raise _Stop(UNREADABLE, f"--execution {name}: not a history ({expected})")
    return diagram.trace(events)


def _svg(text: str) -> str:
    import shutil
    import subprocess

    program = shutil.which("dot")
    if program is None:
        raise _Stop(
            GRAPHVIZ,
            "--format svg needs Graphviz, and its `dot` program is not on PATH: install Graphviz "
            "(e.g. apt-get install graphviz) or use --format dot",
        )
    try:
        done = subprocess.run([program, "-Tsvg"], input=text, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError) as error:
        raise _Stop(GRAPHVIZ, f"dot -Tsvg failed: {error}") from None
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[0]
        raise _Stop(GRAPHVIZ, f"dot -Tsvg failed: {first}")
    return done.stdout
