"""The pytest plugin: fixtures that load and run state machines, and a coverage report.

Fixtures:
    asl_machine(path)                    -> StateMachine (parsed once per session; paths are
                                            relative to the test file, then the rootdir)
    asl_run(path_or_machine, input, resources=..., mocks=..., test_case=...)   -> Execution
    await asl_execute(...)               the same, for async (anyio) tests
    async with asl_start(...) as execution:   `asl.start` with the same defaults, to answer
                                            task tokens or abort from the test
    asl_coverage                         the session's `asl.coverage.Coverage`

A machine is a StateMachine, a path, or a definition (dict, JSON text, bytes).

Runs use a `VirtualClock` (waits and retry intervals take no time; `$$` times start at
2024-01-01T00:00:00Z) and seed 0 unless told otherwise, so every run is repeatable.

Options: `--asl-coverage` prints a table of what the session's runs exercised, per machine
file; `--asl-coverage-json PATH` writes the full report as JSON.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Final

import pytest

from .clock import Clock, VirtualClock
from .context import JSON
from .coverage import Coverage
from .errors import AslError
from .executor import Execution, _checked, execute, start
from .mocks import MockConfig, MockNotFound
from .mocks import load as load_mocks
from .model import StateMachine

__all__ = ["AslExecute", "AslRun", "AslRunner", "AslStart", "MachineLoader"]

START: Final = 1_704_067_200.0  # 2024-01-01T00:00:00Z
SEED: Final = 0
_STATE: Final = pytest.StashKey["_Session"]()

Override = Callable[[str], Callable[..., Any] | None]
Machine = StateMachine | str | os.PathLike[str] | Mapping[str, Any] | bytes


class _Session:
    """What the plugin keeps for one test session: parsed machines, their labels, coverage."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.machines: dict[Path, StateMachine] = {}
        self.labels: dict[int, str] = {}
        self.mocks: dict[Path, MockConfig] = {}
        self.coverage = Coverage()

    def resolve(self, path: str | os.PathLike[str], base: Path) -> Path:
        candidate = Path(path)
        if candidate.is_absolute():
            return candidate
        for folder in (base, self.root):
            if (folder / candidate).exists():
                return (folder / candidate).resolve()
        return (base / candidate).resolve()

    def machine(self, path: str | os.PathLike[str], base: Path) -> StateMachine:
        from . import parse

        where = self.resolve(path, base)
        machine = self.machines.get(where)
        if machine is None:
            machine = self.machines[where] = parse(where)
            self.labels[id(machine)] = self.label(where)
        return machine

    def label(self, where: Path) -> str:
        try:
            return where.relative_to(self.root).as_posix()
        except ValueError:
            return where.as_posix()

    def mock_config(self, source: str | os.PathLike[str] | Mapping[str, Any] | MockConfig, base: Path) -> MockConfig:
        if isinstance(source, MockConfig):
            return source
        if isinstance(source, Mapping):
            return load_mocks(source)
        where = self.resolve(source, base)
        config = self.mocks.get(where)
        if config is None:
            config = self.mocks[where] = load_mocks(where)
        return config


class MachineLoader:
    """The `asl_machine` fixture: `asl_machine("machines/order.asl.json")` gives the parsed machine."""

    def __init__(self, session: _Session, base: Path) -> None:
        self._session, self._base = session, base

    def __call__(self, path: str | os.PathLike[str]) -> StateMachine:
        """Parse a definition file once per session; raises DefinitionError when it is invalid."""
        return self._session.machine(path, self._base)


class AslRunner:
    """The `asl_run` and `asl_execute` fixtures: run a machine (or a file) with test defaults."""

    def __init__(self, session: _Session, base: Path) -> None:
        self._session, self._base = session, base

    def prepare(
        self,
        machine: Machine,
        *,
        mocks: str | os.PathLike[str] | Mapping[str, Any] | MockConfig | None,
        test_case: str | None,
        state_machine: str | None,
        task_override: Override | None,
        clock: Clock | None,
        seed: int | None,
        options: dict[str, Any],
    ) -> tuple[StateMachine, str | None, dict[str, Any]]:
        name: str | None = None
        if isinstance(machine, os.PathLike) or (isinstance(machine, str) and not machine.lstrip().startswith("{")):
            name = Path(machine).name.split(".")[0]
            machine = self._session.machine(machine, self._base)
        elif not isinstance(machine, StateMachine):  # a definition: dict, JSON text or bytes
            from . import parse

            machine = parse(machine)  # type: ignore[arg-type]  # a Mapping of JSON
        override = task_override
        if mocks is not None:
            if test_case is None:
                raise AslError("mocks= needs test_case=, the name of the test case to run")
            config = self._session.mock_config(mocks, self._base)
            case = config.test_case(state_machine, test_case, machine_file=name)
            case.check(machine)
            override = _chain(case.override(), task_override)
        elif test_case is not None:
            raise MockNotFound("test_case= needs mocks=, the mock configuration file that defines it")
        options.setdefault("state_machine_name", state_machine or name or "StateMachine")
        options["clock"] = clock if clock is not None else VirtualClock(START)
        options["seed"] = seed
        options["task_override"] = override
        return machine, self._session.labels.get(id(machine)), options

    def record(self, machine: StateMachine, label: str | None, execution: Execution) -> Execution:
        self._session.coverage.record(machine, execution, label=label)
        return execution


class AslRun(AslRunner):
    def __call__(
        self,
        machine: Machine,
        input: JSON = None,  # noqa: A002 - the ASL word
        *,
        resources: Mapping[str, Callable[..., Any]] | None = None,
        mocks: str | os.PathLike[str] | Mapping[str, Any] | MockConfig | None = None,
        test_case: str | None = None,
        state_machine: str | None = None,
        task_override: Override | None = None,
        clock: Clock | None = None,
        seed: int | None = SEED,
        **options: Any,
    ) -> Execution:
        """Run to the end and return the Execution (a failed one too); for async tests, use asl_execute."""
        import anyio

        _refuse_inside_event_loop()
        _checked("asl_run", options)
        graph, label, keywords = self.prepare(
            machine,
            mocks=mocks,
            test_case=test_case,
            state_machine=state_machine,
            task_override=task_override,
            clock=clock,
            seed=seed,
            options=options,
        )

        async def main() -> Execution:
            return await execute(graph, input, resources=resources, **keywords)

        return self.record(graph, label, anyio.run(main))


class AslExecute(AslRunner):
    async def __call__(
        self,
        machine: Machine,
        input: JSON = None,  # noqa: A002 - the ASL word
        *,
        resources: Mapping[str, Callable[..., Any]] | None = None,
        mocks: str | os.PathLike[str] | Mapping[str, Any] | MockConfig | None = None,
        test_case: str | None = None,
        state_machine: str | None = None,
        task_override: Override | None = None,
        clock: Clock | None = None,
        seed: int | None = SEED,
        **options: Any,
    ) -> Execution:
        """Run to the end and return the Execution, from an async test."""
        _checked("asl_execute", options)
        graph, label, keywords = self.prepare(
            machine,
            mocks=mocks,
            test_case=test_case,
            state_machine=state_machine,
            task_override=task_override,
            clock=clock,
            seed=seed,
            options=options,
        )
        return self.record(graph, label, await execute(graph, input, resources=resources, **keywords))


class AslStart(AslRunner):
    def __call__(
        self,
        machine: Machine,
        input: JSON = None,  # noqa: A002 - the ASL word
        *,
        resources: Mapping[str, Callable[..., Any]] | None = None,
        mocks: str | os.PathLike[str] | Mapping[str, Any] | MockConfig | None = None,
        test_case: str | None = None,
        state_machine: str | None = None,
        task_override: Override | None = None,
        clock: Clock | None = None,
        seed: int | None = SEED,
        **options: Any,
    ) -> AbstractAsyncContextManager[Execution]:
        """`asl.start` with the plugin's defaults: `async with asl_start(...) as execution:`
        runs it in the background (answer its tokens, follow its events, abort it); the run is
        added to the coverage when the block ends."""
        _checked("asl_start", options)
        graph, label, keywords = self.prepare(
            machine,
            mocks=mocks,
            test_case=test_case,
            state_machine=state_machine,
            task_override=task_override,
            clock=clock,
            seed=seed,
            options=options,
        )
        return self._started(graph, label, input, resources, keywords)

    @asynccontextmanager
    async def _started(
        self,
        graph: StateMachine,
        label: str | None,
        input: JSON,  # noqa: A002 - the ASL word
        resources: Mapping[str, Callable[..., Any]] | None,
        keywords: dict[str, Any],
    ) -> AsyncIterator[Execution]:
        async with start(graph, input, resources=resources, **keywords) as execution:
            yield execution
        self.record(graph, label, execution)


def _chain(first: Override, second: Override | None) -> Override:
    if second is None:
        return first

    def override(state_name: str) -> Callable[..., Any] | None:
        found = first(state_name)
        return found if found is not None else second(state_name)

    return override


def _refuse_inside_event_loop() -> None:
    running = False
    try:
        asyncio.get_running_loop()
        running = True
    except RuntimeError:
        try:
            import sniffio

            sniffio.current_async_library()
            running = True
        except Exception:  # no sniffio, or no async library running: a plain sync test
            running = False
    if running:
        raise AslError("asl_run cannot be called inside an async test; use `await asl_execute(...)` there")


# -- hooks and fixtures ---------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("asl", "asl: state machine tests")
    group.addoption(
        "--asl-coverage",
        action="store_true",
        default=False,
        help="print which states, Choice rules, Retry/Catch clauses and branches the tests exercised",
    )
    group.addoption(
        "--asl-coverage-json",
        metavar="PATH",
        default=None,
        help="write the state machine coverage report as JSON to PATH",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STATE] = _Session(Path(str(config.rootpath)))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    session = config.stash.get(_STATE, None)
    if session is None:
        return
    coverage = session.coverage
    if config.getoption("--asl-coverage"):
        terminalreporter.write_sep("-", "asl state machine coverage")
        if len(coverage):
            terminalreporter.write_line(coverage.table())
        else:
            terminalreporter.write_line("no state machine ran through asl_run or asl_execute")
    path = config.getoption("--asl-coverage-json")
    if path:
        coverage.write_json(path)
        terminalreporter.write_line(f"asl coverage JSON written to {path}")


def _base(request: pytest.FixtureRequest) -> Path:
    return Path(str(request.path)).parent


@pytest.fixture(scope="session")
def asl_coverage(pytestconfig: pytest.Config) -> Coverage:
    """The session's coverage: every asl_run/asl_execute is recorded; `record()` adds others."""
    return pytestconfig.stash[_STATE].coverage


@pytest.fixture
def asl_machine(request: pytest.FixtureRequest) -> MachineLoader:
    """Load a machine file (relative to the test file, then the rootdir) into a StateMachine."""
    return MachineLoader(request.config.stash[_STATE], _base(request))


@pytest.fixture
def asl_run(request: pytest.FixtureRequest) -> AslRun:
    """Run a machine or machine file to its end: VirtualClock, seed 0, optional mock test case."""
    return AslRun(request.config.stash[_STATE], _base(request))


@pytest.fixture
def asl_execute(request: pytest.FixtureRequest) -> AslExecute:
    """The async twin of asl_run: `await asl_execute(...)` in an anyio test."""
    return AslExecute(request.config.stash[_STATE], _base(request))


@pytest.fixture
def asl_start(request: pytest.FixtureRequest) -> AslStart:
    """`async with asl_start(machine, input, ...) as execution:` in an anyio test: `asl.start`
    with the plugin's path lookup, VirtualClock, seed 0 and coverage."""
    return AslStart(request.config.stash[_STATE], _base(request))
