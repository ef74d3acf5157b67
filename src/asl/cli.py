"""The `asl` command line: `asl validate`, `asl run` and `asl graph`.

Each subcommand is one `_add_<name>` function that declares its arguments and one `_<name>` function
that runs it and returns the exit status. Nothing heavy is imported before a command runs, so
`asl --help` answers at once.

Exit statuses (every failure is one line on stderr, never a traceback):

    0  success
    1  `run`: the execution did not succeed (FAILED, TIMED_OUT, ABORTED); `validate`: a file is invalid
    2  usage error, or an invalid definition (`run`, `graph`: the validator's problems), a
       --state-machine / --test-case the mock configuration lacks, or a `graph --execution`
       history of another state machine
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


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    stdin: IO[str] | None = None,
) -> int:
    """Run the command line with `argv` (default: sys.argv[1:]); returns the exit status, never raises.

    `stdin` (default: sys.stdin) gives `--input -` and the answers to task tokens.
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    parser = _build_parser(out, err)
    try:
        arguments = parser.parse_args(argv)
    except _Exit as done:
        return done.status
    arguments.stdin = stdin or sys.stdin
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
    parser.add_argument("--version", action="version", version=f"asl {_version()}")
    # Subcommand parsers write to the same streams.
    parser_class = cast(type[_Parser], functools.partial(_Parser, out=out, err=err))
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=parser_class)
    _add_validate(commands)
    _add_run(commands)
    _add_graph(commands)
    _add_serve(commands)
    _add_durable(commands)
    return parser


def _version() -> str:
    from . import __version__

    return __version__


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
        try:
            source = arguments.stdin.read().encode() if name == "-" else _read_definition(name)
        except _Stop as stop:
            err.write(f"asl: {stop.message}\n")
            status = UNREADABLE
            continue
        problems = validation.validate(source)
        if problems:
            status = max(status, FAILED)
            for problem in problems:
                where = f"{name}#{problem.path}" if problem.path else name
                out.write(f"{where}: {problem.message}\n")
        else:
            count = _count_states(validation.load(source))
            out.write(f"{name}: valid ({count} state{'s' * (count != 1)})\n")
    return status


def _read_definition(name: str) -> bytes:
    """The bytes of definition file `name`; status 3 when it cannot be read."""
    try:
        data: bytes = _path(name).read_bytes()
    except FileNotFoundError:
        raise _Stop(UNREADABLE, f"{name}: No such file") from None
    except IsADirectoryError:
        raise _Stop(UNREADABLE, f"{name}: is a directory, not a file") from None
    except OSError as error:
        raise _Stop(UNREADABLE, f"{name}: cannot read: {_reason(error)}") from None
    return data


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
    parser.add_argument(
        "--aws",
        action="store_true",
        help="call AWS (boto3's configuration: credentials, profile, region, AWS_ENDPOINT_URL) for the Tasks and "
        "S3 readers and writers that --resources and mocks do not serve",
    )
    parser.add_argument("--name", help="the execution's name (default: a UUID)")
    parser.add_argument(
        "--store",
        metavar="DB",
        help="run durably in this store (a SQLite path or sqlite:/// URL; needs --name): the same command "
        "resumes the execution after a crash, and once it has ended prints its recorded result",
    )
    parser.add_argument(
        "--history",
        metavar="FILE",
        help="write the execution's events as JSON, GetExecutionHistory's shape {\"events\": [...]}, "
        "also when it is interrupted",
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

    from . import Status, VirtualClock
    from .errors import AslError, DataLimitExceeded, DefinitionError, InvalidName, ResourceError

    machine = _load_machine(arguments.machine, err)
    value = _read_json(arguments.input, "--input", arguments.stdin) if arguments.input is not None else {}
    resources = _load_resources(arguments.resources) if arguments.resources else {}
    task_override = _load_test_case(arguments, machine, err)
    if arguments.store is not None and arguments.name is None:
        raise _Stop(USAGE, "--store needs --name: the name is how the execution is found again")
    # Task tokens are answered from standard input, unless --input took it (or the execution is
    # durable: then any process answers with `asl send-task-success --store`).
    answers = None if arguments.input == "-" or arguments.store is not None else arguments.stdin
    started: list[Any] = []  # the execution, once it exists: its history is written even on Ctrl-C
    try:
        execution = _execute(
            machine,
            value,
            answers,
            err,
            started,
            resources=resources,
            clock=VirtualClock() if arguments.virtual_time else None,
            seed=arguments.seed,
            name=arguments.name,
            on_event=_Progress(err) if _is_terminal(err) else None,
            task_override=task_override,
            store=arguments.store,
            **({"aws": True} if arguments.aws else {}),
        )
    except KeyboardInterrupt:
        if started and started[0].done and arguments.history:
            _write_history(arguments.history, started[0])
        raise
    except DefinitionError as error:  # --aws: a service or action boto3 does not know
        for problem in error.problems:
            err.write(f"{arguments.machine}#{problem.path}: {problem.message}\n")
        raise _Stop(USAGE) from None
    except ResourceError as error:
        raise _Stop(RESOURCES, str(error)) from None
    except InvalidName as error:
        raise _Stop(USAGE, f"--name: {error}") from None
    except DataLimitExceeded as error:  # AWS refuses to start with such an input
        raise _Stop(UNREADABLE, f"--input {arguments.input}: {error.cause}") from None
    except AslError as error:  # anything else the run refused before it started
        _durable_failure(error)
        raise _Stop(FAILED, str(error)) from None
    if arguments.history:
        _write_history(arguments.history, execution)
    if execution.status is not Status.SUCCEEDED:
        reason = ": ".join(part for part in (execution.error, execution.cause) if part)
        err.write(f"asl: execution {execution.status.value}{': ' + reason if reason else ''}\n")
        return FAILED
    out.write(json.dumps(execution.output, indent=2, ensure_ascii=False) + "\n")
    return OK


def _execute(
    machine: Any, value: Any, answers: IO[str] | None, err: IO[str], started: list[Any], **options: Any
) -> Any:
    """Run the execution to its end, answering its task tokens from `answers` (a person at a
    terminal, or lines piped in) when a Task waits for one. With a `store`, run it durably."""
    from . import start
    from .executor import run_blocking

    store = options.pop("store")
    if store is not None:
        from . import durable

        return durable.run(machine, value, store=store, **options)

    async def main() -> Any:
        async with start(machine, value, **options) as execution:
            started.append(execution)
            if answers is not None:
                await _answer_tokens(execution, answers, err)
        return execution

    return run_blocking(main)  # as asl.run: one event loop kept for the process


ANSWERS = "success JSON | failure [ERROR [CAUSE]] | heartbeat"


async def _answer_tokens(execution: Any, answers: IO[str], err: IO[str]) -> None:
    """Follow the execution; each time a Task waits for a task token, ask for the answer (one
    line: `success JSON`, `failure ERROR CAUSE` or `heartbeat`). Under virtual time, time
    stands still while the question is open."""
    asked: set[str] = set()
    ended = False  # standard input ended: nothing more can be read
    async for event in execution.events():
        if ended or event.type != "TaskSubmitted":
            continue
        for token in execution.task_tokens:
            if token not in asked:
                asked.add(token)
                ended = not await _ask(execution, token, answers, err)


async def _ask(execution: Any, token: str, answers: IO[str], err: IO[str]) -> bool:
    """Ask for the answer to one token until one is given; False when the input has ended."""
    import json

    from .errors import AslError

    run = execution._run
    waiter = run.tokens.get(token) if run is not None else None
    state = waiter.state if waiter is not None else "?"
    terminal = _is_terminal(answers)
    err.write(f"asl: state '{state}' waits for task token {token}\nasl: answer with one line: {ANSWERS}\n")
    while True:
        if terminal:
            err.write("> ")
        err.flush()
        line = await _read_line(execution, token, answers)
        if line is None:  # the token is no longer awaited (the Task ended, or the execution)
            return True
        if not line:
            err.write("asl: standard input ended; the task token stays unanswered\n")
            return False
        verb, _, rest = line.strip().partition(" ")
        try:
            if verb == "success":
                try:
                    output = json.loads(rest)
                except ValueError as error:
                    err.write(f"asl: not JSON: {error}; answer with: success JSON\n")
                    continue
                execution.send_task_success(token, output)
                return True
            if verb == "failure":
                error_name, _, cause = rest.strip().partition(" ")
                execution.send_task_failure(token, error_name, cause.strip())
                return True
            if verb == "heartbeat":
                execution.send_task_heartbeat(token)
                continue
        except AslError as error:
            err.write(f"asl: {error}\n")
            return True
        if verb:
            err.write(f"asl: {verb!r} is not an answer; answer with one line: {ANSWERS}\n")


async def _read_line(execution: Any, token: str, answers: IO[str]) -> str | None:
    """One line of `answers` ("" at its end), or None once `token` is no longer awaited."""
    import anyio

    line: str | None = None

    async def read() -> None:
        nonlocal line
        try:
            line = await anyio.to_thread.run_sync(answers.readline, abandon_on_cancel=True)
        except (OSError, ValueError):  # closed, or not readable (pytest's stdin)
            line = ""
        tg.cancel_scope.cancel()

    async def watch() -> None:
        while token in execution.task_tokens and not execution.done:
            await anyio.sleep(0.05)  # real time: a person is answering
        tg.cancel_scope.cancel()

    async with anyio.create_task_group() as tg:
        tg.start_soon(read)
        tg.start_soon(watch)
    return line


def _write_history(name: str, execution: Any) -> None:
    """The execution's events as GetExecutionHistory returns them: {"events": [...]}."""
    import json

    events = [event.to_dict() for event in execution.history]
    _write(name, json.dumps({"events": events}, indent=2, ensure_ascii=False) + "\n", "--history")


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
        document = validation.load(_read_definition(name))
        problems = validation.validate(document)
    except DefinitionError as error:
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


def _read_json(name: str, option: str, stdin: IO[str] | None = None) -> Any:
    """The JSON value in file `name` (- : standard input); status 3 when unreadable or not JSON."""
    import json

    if name == "-":
        text = (stdin or sys.stdin).read()
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
        "--execution",
        metavar="HISTORY",
        help="a history of this machine (`asl run --history`, or GetExecutionHistory's JSON): colour its path",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the diagram here (default: stdout)")
    parser.set_defaults(command=_graph)


def _graph(arguments: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from . import diagram

    machine = _load_machine(arguments.machine, err)
    run = _load_trace(arguments.execution, machine, arguments.machine) if arguments.execution else None
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


def _load_trace(name: str, machine: Any, machine_file: str) -> Any:
    """The trace of history file `name`: {"events": [...]} (GetExecutionHistory's shape, which
    `asl run --history` writes) or a bare list of events. A history that enters states the
    machine lacks belongs to another machine: a usage error (status 2)."""
    from . import diagram

    events = _read_json(name, "--execution")
    if isinstance(events, dict):  # GetExecutionHistory's own response
        events = events.get("events")
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        expected = '{"events": [...]} as `asl run --history` writes, or a JSON list of events'
        raise _Stop(UNREADABLE, f"--execution {name}: not a history ({expected})")
    trace = diagram.trace(events)
    foreign = sorted(set(trace.entered) - _state_names(machine))
    if foreign:
        shown = ", ".join(repr(state) for state in foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise _Stop(
            USAGE,
            f"--execution {name}: this history is not of {machine_file}: it enters states the machine does not "
            f"have ({shown})",
        )
    return trace


def _state_names(machine: Any) -> set[str]:
    """The names of every state of a compiled machine, nested ones included."""
    names: set[str] = set()
    graphs = [machine]
    while graphs:
        current = graphs.pop()
        for state in current.states.values():
            names.add(state.name)
            graphs.extend(getattr(state, "branches", ()))
            processor = getattr(state, "processor", None)
            if processor is not None:
                graphs.append(processor)
    return names


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


# -- serve ---------------------------------------------------------------------------------------


def _add_serve(commands: Any) -> None:
    parser = commands.add_parser(
        "serve",
        help="answer the AWS Step Functions API on localhost (boto3, the AWS CLI, every AWS SDK)",
        description="Serve the AWS Step Functions API (AWS's JSON 1.0 protocol) until Ctrl-C or SIGTERM. "
        "Prints 'listening on http://HOST:PORT' on stderr once it accepts requests. What it creates lives "
        "in memory and is gone when it stops.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="the address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8083, help="the port (default 8083; 0 picks a free one)")
    parser.add_argument("--resources", metavar="MODULE:ATTR", help="Task resources, as for `asl run`")
    parser.add_argument("--aws", action="store_true", help="let Task states call AWS services")
    parser.add_argument(
        "--mock-config",
        metavar="FILE",
        help="a Step Functions Local mock configuration file (default: $SFN_MOCK_CONFIG); start an execution "
        "of STATE_MACHINE_ARN#TEST_CASE to run with a test case's mocked responses",
    )
    parser.add_argument(
        "--machines", metavar="DIR", help="create a state machine of each DIR/NAME.asl.json (or NAME.json) at start"
    )
    parser.set_defaults(command=_serve)


def _serve(arguments: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import os

    try:
        from . import server
    except ImportError as error:  # starlette or uvicorn missing
        raise _Stop(USAGE, f"serve needs the serve extra (pip install 'asl-local[serve]'): {error}") from None
    resources = _load_resources(arguments.resources) if arguments.resources else {}
    mocks = _load_mocks(arguments.mock_config or os.environ.get("SFN_MOCK_CONFIG"), err)
    if arguments.aws and not server.actions.execute_accepts("aws"):
        raise _Stop(USAGE, "--aws: this version of asl cannot call AWS services")
    scale = _wait_time_scale(os.environ.get("WAIT_TIME_SCALE"))
    service = server.Service(resources=resources, mocks=mocks, aws=arguments.aws, wait_time_scale=scale)
    if arguments.machines:
        _create_machines(service, arguments.machines)
    try:
        server.serve(service, host=arguments.host, port=arguments.port, stderr=err)
    except OSError as error:
        raise _Stop(UNREADABLE, f"cannot listen on {arguments.host}:{arguments.port}: {_reason(error)}") from None
    return OK


def _wait_time_scale(text: str | None) -> float:
    """Step Functions Local's WAIT_TIME_SCALE: a factor for every wait (0 makes them instant)."""
    if text is None or not text.strip():
        return 1.0
    try:
        scale = float(text)
    except ValueError:
        scale = -1.0
    if not 0 <= scale < float("inf"):
        raise _Stop(USAGE, f"WAIT_TIME_SCALE={text}: not a number of 0 or more")
    return scale


def _load_mocks(name: str | None, err: IO[str]) -> Any:
    if not name:
        return None
    from . import mocks

    try:
        return mocks.load(_path(name))
    except mocks.MockConfigError as error:
        for problem in error.problems:
            err.write(f"asl: {name}#{problem.path}: {problem.message}\n")
        raise _Stop(UNREADABLE) from None
    except OSError as error:
        raise _Stop(UNREADABLE, f"--mock-config {name}: {_reason(error)}") from None


def _create_machines(service: Any, folder: str) -> None:
    import anyio

    from .server.protocol import ApiError

    directory = _path(folder)
    if not directory.is_dir():
        raise _Stop(UNREADABLE, f"--machines {folder}: not a directory")
    for path in sorted(directory.glob("*.json")):
        name = path.name.split(".")[0]
        try:
            definition = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise _Stop(UNREADABLE, f"--machines {path}: {_reason(error)}") from None
        body = {"name": name, "definition": definition, "roleArn": "arn:aws:iam::123456789012:role/StepFunctionsRole"}
        try:
            anyio.run(service.create_state_machine, body)
        except ApiError as error:
            raise _Stop(USAGE, f"--machines {path}: {error.name}: {error.message}") from None


# -- durable executions (asl.durable) --------------------------------------------------------------


def _durable_failure(error: BaseException) -> None:
    """A store that cannot be used exits 3; a name taken by another input or definition, 2."""
    from .store import ExecutionExists, StoreError

    if isinstance(error, ExecutionExists):
        raise _Stop(USAGE, f"ExecutionAlreadyExists: {error}") from None
    if isinstance(error, StoreError):
        raise _Stop(UNREADABLE, str(error)) from None


def _add_durable(commands: Any) -> None:
    for verb, helped in (
        ("send-task-success", "complete the Task waiting on TOKEN with OUTPUT_JSON"),
        ("send-task-failure", "fail the Task waiting on TOKEN"),
        ("send-task-heartbeat", "tell the Task waiting on TOKEN that its worker is alive"),
    ):
        parser = commands.add_parser(
            verb,
            help=helped,
            description=f"{helped[0].upper()}{helped[1:]} (a durable "
            "execution in --store, run by any process). Exit status: 0 done, 3 no such "
            "token awaited, or the store cannot be used.",
        )
        parser.add_argument("--store", metavar="DB", required=True, help="the store of the execution")
        parser.add_argument("token", metavar="TOKEN")
        if verb == "send-task-success":
            parser.add_argument("output", metavar="OUTPUT_JSON", help="the Task's result, as JSON text")
        elif verb == "send-task-failure":
            parser.add_argument("--error", default="", help="the error name")
            parser.add_argument("--cause", default="", help="the cause")
        parser.set_defaults(command=_send_task, verb=verb)
    parser = commands.add_parser(
        "executions",
        help="list the executions of a store, or show one",
        description="List the executions of a store (name, status, start time), or with NAME print one "
        "execution's status and output or error as JSON (--history: its events too). Exit status: 0, "
        "3 when the store cannot be used or has no such execution.",
    )
    parser.add_argument("--store", metavar="DB", required=True, help="the store")
    parser.add_argument("name", metavar="NAME", nargs="?", help="one execution to show")
    parser.add_argument("--history", action="store_true", help="with NAME: include its events")
    parser.set_defaults(command=_executions)


def _send_task(arguments: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import json

    from . import durable
    from .errors import AslError

    try:
        if arguments.verb == "send-task-success":
            try:
                output = json.loads(arguments.output)
            except ValueError as error:
                raise _Stop(UNREADABLE, f"OUTPUT_JSON is not JSON: {error}") from None
            durable.send_task_success(arguments.store, arguments.token, output)
        elif arguments.verb == "send-task-failure":
            durable.send_task_failure(arguments.store, arguments.token, arguments.error, arguments.cause)
        else:
            durable.send_task_heartbeat(arguments.store, arguments.token)
    except AslError as error:
        raise _Stop(UNREADABLE, str(error)) from None
    return OK


def _executions(arguments: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import json

    from . import durable, store
    from .clock import iso
    from .errors import AslError

    try:
        if arguments.name is None:
            opened = store.open_store(arguments.store)
            try:
                for record in opened.executions():
                    out.write(f"{record.name}\t{record.status}\t{iso(record.start_time)}\n")
            finally:
                opened.close()
            return OK
        execution = durable.describe(arguments.store, arguments.name)
    except AslError as error:
        raise _Stop(UNREADABLE, str(error)) from None
    shown: dict[str, Any] = {"name": execution.name, "status": execution.status.value}
    if execution.status.value == "SUCCEEDED":
        shown["output"] = execution.output
    elif execution.error or execution.cause:
        shown["error"], shown["cause"] = execution.error, execution.cause
    if arguments.history:
        shown["events"] = [event.to_dict() for event in execution.history]
    out.write(json.dumps(shown, indent=2, ensure_ascii=False) + "\n")
    return OK
