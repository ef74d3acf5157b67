"""Run one state by itself, as AWS's TestState API does: one attempt, its status and its data flow.

    result = asl.teststate.test_state(definition, "Charge", input={"id": 7}, mock={"ok": True},
                                      inspection_level="DEBUG")
    result.status, result.output, result.next_state, result.inspection_data["afterParameters"]

`definition` is a whole machine (a StateMachine, its definition, JSON text or a path) with the
name of the state to test, or the definition of a single state. A Task, Parallel or Map runs
one attempt and reports what would follow it: SUCCEEDED, RETRIABLE (a Retrier would retry;
`retrier_retry_count` says how many retries that Retrier already made), CAUGHT_ERROR (a
Catcher took the error: `output` is the Catcher's output, `next_state` its Next) or FAILED.
A `mock` (a result, or an `asl.TaskFailed`) replaces a Task's resource, or the whole work of a
Parallel or Map, as TestState's mock does. Time is virtual unless a clock is given.
"""

from __future__ import annotations

import os
import random as _random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Literal

import anyio

from . import resources as resources_module
from .clock import Clock, VirtualClock, iso
from .context import JSON, Env
from .dataflow import caught, finish, select
from .errors import AslError, ExecutionError, TaskFailed
from .history import History, HistoryEvent, Lane
from .model import MapState, ParallelState, PassState, Scope, State, StateMachine, TaskState
from .runtime import ACCOUNT, REGION, Frame, Limits, Run, locate

__all__ = ["InspectionLevel", "StateTestResult", "TestStatus", "test_state", "test_state_async"]

InspectionLevel = Literal["INFO", "DEBUG", "TRACE"]
_LEVELS: Final = ("INFO", "DEBUG", "TRACE")
START: Final = 1_704_067_200.0  # 2024-01-01T00:00:00Z: `$$` timestamps are the same on every run
_PLACEHOLDER: Final = {"Type": "Succeed"}


class TestStatus(StrEnum):
    """How the tested state ended, with the meanings of TestState's `status`."""

    __test__ = False

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"  # an error no Retrier would retry and no Catcher takes
    RETRIABLE = "RETRIABLE"  # a Retrier would run the state again
    CAUGHT_ERROR = "CAUGHT_ERROR"  # a Catcher took the error


@dataclass(slots=True)
class StateTestResult:
    """The outcome of one tested state: status, output or error and cause, next state, inspection data.

    `inspection_data` holds, by AWS's names, `errorDetails` at every level; from DEBUG on, the
    data flow (`input`, `afterInputPath`, `afterParameters` or `afterArguments`, `result`,
    `afterResultSelector`, `afterResultPath`, `variables`); at TRACE, the `request` the
    resource received and its `response`. `history` holds the events the attempt recorded.
    """

    status: TestStatus
    output: JSON = None
    error: str | None = None
    cause: str | None = None
    next_state: str | None = None
    inspection_data: dict[str, JSON] = field(default_factory=dict)
    history: list[HistoryEvent] = field(default_factory=list)


def test_state(
    definition: StateMachine | Mapping[str, Any] | str | bytes | os.PathLike[str],
    state_name: str | None = None,
    *,
    input: JSON = None,  # noqa: A002 - the ASL word
    variables: Mapping[str, JSON] | None = None,
    mock: JSON | TaskFailed = None,
    inspection_level: InspectionLevel = "INFO",
    retrier_retry_count: int = 0,
    resources: Mapping[str, Callable[..., Any]] | None = None,
    task_override: Callable[[str], Callable[..., Any] | None] | None = None,
    context: Mapping[str, JSON] | None = None,
    clock: Clock | None = None,
    seed: int | None = 0,
) -> StateTestResult:
    """Run one state once, from synchronous code (the twin of `test_state_async`).

    Raises DefinitionError for an invalid definition, AslError for an unknown state name or
    inspection level, and ResourceError when an unmocked Task's resource has no callable.
    """

    async def main() -> StateTestResult:
        return await test_state_async(
            definition,
            state_name,
            input=input,
            variables=variables,
            mock=mock,
            inspection_level=inspection_level,
            retrier_retry_count=retrier_retry_count,
            resources=resources,
            task_override=task_override,
            context=context,
            clock=clock,
            seed=seed,
        )

    return anyio.run(main)


async def test_state_async(
    definition: StateMachine | Mapping[str, Any] | str | bytes | os.PathLike[str],
    state_name: str | None = None,
    *,
    input: JSON = None,  # noqa: A002 - the ASL word
    variables: Mapping[str, JSON] | None = None,
    mock: JSON | TaskFailed = None,
    inspection_level: InspectionLevel = "INFO",
    retrier_retry_count: int = 0,
    resources: Mapping[str, Callable[..., Any]] | None = None,
    task_override: Callable[[str], Callable[..., Any] | None] | None = None,
    context: Mapping[str, JSON] | None = None,
    clock: Clock | None = None,
    seed: int | None = 0,
) -> StateTestResult:
    """Run one state once and report its status, output, next state and inspection data.

    `mock=None` means not mocked. Raises as `test_state` does.
    """
    if inspection_level not in _LEVELS:
        raise AslError(f"inspection_level must be one of {', '.join(_LEVELS)}, not {inspection_level!r}")
    if retrier_retry_count < 0:
        raise AslError("retrier_retry_count cannot be negative")
    machine, state = _resolve(definition, state_name)
    tester = _Tester(
        state,
        {} if input is None else input,
        dict(variables or {}),
        mock,
        inspection_level,
        retrier_retry_count,
        resources,
        task_override,
        context,
        clock or VirtualClock(START),
        seed,
    )
    return await tester.drive()


test_state.__test__ = False  # type: ignore[attr-defined]  # a library function, not a pytest test
test_state_async.__test__ = False  # type: ignore[attr-defined]


# -- which state --------------------------------------------------------------------------


def _resolve(
    definition: StateMachine | Mapping[str, Any] | str | bytes | os.PathLike[str], state_name: str | None
) -> tuple[StateMachine, State]:
    from . import parse, validation

    if isinstance(definition, StateMachine):
        machine = definition
    else:
        source: Any = definition  # a Mapping here is JSON that has not been checked yet
        document = validation.load(source)
        if isinstance(document, Mapping) and "States" not in document and "Type" in document:
            name = state_name or "TestState"
            document = _single_state_machine(name, document)
            state_name = name
        machine = parse(document)
    name = state_name or machine.start_at
    state = _find(machine, name)
    if state is None:
        raise AslError(f"no state named {name!r} in the definition; its states are: {', '.join(_all_names(machine))}")
    return machine, state


def _single_state_machine(name: str, state: Mapping[str, Any]) -> dict[str, Any]:
    """A one-state machine around a state definition; the states it may go to are placeholders."""
    targets = [state.get("Next"), state.get("Default")]
    targets += [rule.get("Next") for rule in state.get("Choices", ()) if isinstance(rule, Mapping)]
    targets += [catcher.get("Next") for catcher in state.get("Catch", ()) if isinstance(catcher, Mapping)]
    states: dict[str, Any] = {name: dict(state)}
    for target in targets:
        if isinstance(target, str) and target not in states:
            states[target] = dict(_PLACEHOLDER)
    return {"StartAt": name, "States": states}


def _find(machine: StateMachine, name: str) -> State | None:
    if name in machine.states:
        return machine.states[name]
    for state in machine.states.values():
        for graph in _children(state):
            found = _find(graph, name)
            if found is not None:
                return found
    return None


def _children(state: State) -> tuple[StateMachine, ...]:
    if isinstance(state, ParallelState):
        return state.branches
    if isinstance(state, MapState) and state.processor is not None:
        return (state.processor,)
    return ()


def _all_names(machine: StateMachine) -> list[str]:
    names: list[str] = []
    for state in machine.states.values():
        names.append(state.name)
        for graph in _children(state):
            names.extend(_all_names(graph))
    return names


# -- one attempt --------------------------------------------------------------------------


class _Tester:
    """One TestState call: builds a run around the state, runs one attempt, inspects it."""

    def __init__(
        self,
        state: State,
        raw: JSON,
        variables: dict[str, JSON],
        mock: JSON | TaskFailed,
        level: str,
        retry_count: int,
        resources: Mapping[str, Callable[..., Any]] | None,
        task_override: Callable[[str], Callable[..., Any] | None] | None,
        context: Mapping[str, JSON] | None,
        clock: Clock,
        seed: int | None,
    ) -> None:
        self.state, self.raw, self.level, self.retry_count = state, raw, level, retry_count
        self.mock = mock
        self.clock = clock
        resolver = resources_module.Resolver(resources, REGION, ACCOUNT)
        if isinstance(state, TaskState) and mock is None:
            if resources_module.classify(state.resource).pattern == ".waitForTaskToken":
                raise AslError(f"the Task {state.name!r} waits for a task token: give it a mock, as TestState requires")
            if task_override is None:
                resolver.check(_single(state))
        from .executor import RUNNERS

        override = self._override(task_override)
        self.run = Run(clock, resolver, _random.Random(seed), {}, Limits(), override, runners=RUNNERS)
        arn = f"arn:aws:states:{REGION}:{ACCOUNT}"
        name = self.run.uuid()
        self.run.base.update(
            Execution={
                "Id": f"{arn}:execution:TestState:{name}",
                "Input": raw,
                "StartTime": iso(clock.now()),
                "Name": name,
                "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/StepFunctionsRole",
                "RedriveCount": 0,
            },
            StateMachine={"Id": f"{arn}:stateMachine:TestState", "Name": "TestState"},
        )
        self.run.base.update(context or {})
        self.history = History(clock.now)
        self.frame = Frame(Lane(), variables, self.history)
        self.data: dict[str, JSON] = {}
        self.request: JSON = None

    def _override(
        self, fallback: Callable[[str], Callable[..., Any] | None] | None
    ) -> Callable[[str], Callable[..., Any] | None] | None:
        if self.mock is None or not isinstance(self.state, TaskState):
            return fallback
        mock = self.mock

        tested = self.state.name

        async def mocked(payload: JSON) -> JSON:
            # A mocked Task answers at once, a .waitForTaskToken one included (the executor
            # does not wait for a token when the resource is mocked).
            self.request = payload
            if isinstance(mock, TaskFailed):
                raise mock
            return mock

        def override(name: str) -> Callable[..., Any] | None:
            if name == tested:
                return mocked
            return fallback(name) if fallback is not None else None

        return override

    async def drive(self) -> StateTestResult:
        clock = self.clock
        async with anyio.create_task_group() as tg:
            clock.bind(tg.start_soon)
            try:
                clock.busy()
                try:
                    return await self.attempt()
                finally:
                    clock.idle()
            finally:
                clock.unbind(tg.start_soon)
                tg.cancel_scope.cancel()
        raise AssertionError("unreachable")  # pragma: no cover

    async def attempt(self) -> StateTestResult:
        from .executor import run_state

        state, raw = self.state, self.raw
        if not isinstance(state, TaskState | ParallelState | MapState):
            snapshot = self.run.random.getstate()
            try:
                output, next_name = await run_state(self.run, state, raw, self.frame)
            except ExecutionError as error:
                return self.result(TestStatus.FAILED, error=error)
            self.inspect_basic(snapshot, output)
            return self.result(TestStatus.SUCCEEDED, output=output, next_state=next_name)
        return await self.attempt_with_handlers(state)

    async def attempt_with_handlers(self, state: TaskState | ParallelState | MapState) -> StateTestResult:
        from .executor import _delay, _matches
        from .states.map import run_map
        from .states.parallel import run_parallel
        from .states.task import run_task

        run, frame, raw = self.run, self.frame, self.raw
        entered_id = self.history.add(frame.lane, f"{state.kind}StateEntered", {"name": state.name, "input": raw})
        retried = self.retry_count if state.retry else None
        env = Env(run.context(state, self.clock.now(), retried), frame.variables, run.random)
        probe = self.probe(env)
        try:
            self.inspect_input(probe)
            if isinstance(state, TaskState):
                result = await run_task(run, state, raw, env, self.history, frame.lane)
            elif self.mock is not None:  # the whole Parallel or Map is mocked
                if isinstance(self.mock, TaskFailed):
                    raise self.mock
                result = self.mock
            elif isinstance(state, ParallelState):
                result = await run_parallel(run, state, raw, env, frame)
            else:
                result = await run_map(run, state, raw, env, frame)
            self.data["result"] = result
            self.inspect_result(self.probe(env), result)
            output, assigned = finish(state, raw, result, env)
        except ExecutionError as error:
            locate(error, state, entered_id)
            if not error.catchable:
                return self.result(TestStatus.FAILED, error=error)
            owner = next((i for i, r in enumerate(state.retry) if _matches(r.error_equals, error)), None)
            if owner is not None and self.retry_count < state.retry[owner].max_attempts:
                delay = _delay(state.retry[owner], self.retry_count + 1, run.random)
                details: dict[str, JSON] = {"retryIndex": owner, "retryBackoffIntervalSeconds": _whole(delay)}
                return self.result(TestStatus.RETRIABLE, error=error, details=details)
            index = next((i for i, c in enumerate(state.catch) if _matches(c.error_equals, error)), None)
            if index is None:
                return self.result(TestStatus.FAILED, error=error)
            catcher = state.catch[index]
            output, assigned = caught(state, catcher, raw, error, env)
            self.assign(assigned)
            if not state.jsonata:
                self.data["afterResultPath"] = output
            return self.result(
                TestStatus.CAUGHT_ERROR,
                output=output,
                next_state=catcher.next,
                error=error,
                details={"catchIndex": index},
            )
        self.assign(assigned)
        return self.result(TestStatus.SUCCEEDED, output=output, next_state=None if state.end else state.next)

    # -- inspection -------------------------------------------------------------------------

    def probe(self, env: Env) -> Env:
        """An Env whose random source replays the run's: re-evaluating a field gives the same values."""
        replay = _random.Random()
        replay.setstate(self.run.random.getstate())
        return Env(env.context, env.variables, replay)

    def inspect_input(self, env: Env) -> None:
        state, raw = self.state, self.raw
        self.data["input"] = raw
        if state.jsonata:
            arguments = state.arguments
            if arguments is not None:
                self.data["afterArguments"] = _quietly(lambda: arguments(Scope(None, env, _states(env, raw))))
            return
        after_input = _quietly(lambda: select(state.input_path, state.input_null, raw, env))
        self.data["afterInputPath"] = after_input
        if isinstance(state, TaskState | ParallelState | PassState):
            if state.parameters is not None:
                self.data["afterParameters"] = _quietly(lambda: state.parameters(Scope(after_input, env)))  # type: ignore[misc]
            else:
                self.data["afterParameters"] = after_input

    def inspect_result(self, env: Env, result: JSON) -> None:
        state, raw = self.state, self.raw
        if state.jsonata:
            return
        selected = result
        if state.result_selector is not None:
            selected = _quietly(lambda: state.result_selector(Scope(result, env)))  # type: ignore[misc]
        if not isinstance(state, PassState):  # Pass has no ResultSelector
            self.data["afterResultSelector"] = selected
        if state.result_null:
            self.data["afterResultPath"] = raw
        elif state.result_path is None:
            self.data["afterResultPath"] = selected
        else:
            self.data["afterResultPath"] = _quietly(lambda: state.result_path.put(raw, selected))  # type: ignore[union-attr]

    def inspect_basic(self, snapshot: Any, output: JSON) -> None:
        replay = _random.Random()
        replay.setstate(snapshot)
        env = Env(self.run.context(self.state, self.clock.now()), self.frame.variables, replay)
        self.inspect_input(env)
        state = self.state
        if isinstance(state, PassState) and not state.jsonata:
            result = state.result if state.has_result else self.data.get("afterParameters")
            self.data["result"] = result
            self.inspect_result(env, result)

    def assign(self, assigned: dict[str, JSON] | None) -> None:
        if assigned:
            self.frame.variables.update(assigned)

    def result(
        self,
        status: TestStatus,
        *,
        output: JSON = None,
        next_state: str | None = None,
        error: ExecutionError | None = None,
        details: dict[str, JSON] | None = None,
    ) -> StateTestResult:
        inspection: dict[str, JSON] = {}
        if self.level != "INFO":
            inspection.update(self.data)
            inspection.setdefault("input", self.raw)
            inspection["variables"] = dict(self.frame.variables)
        if self.level == "TRACE" and isinstance(self.state, TaskState):
            inspection["request"] = self.request if self.request is not None else self.scheduled()
            if "result" in self.data:
                inspection["response"] = self.data["result"]
        if details:
            inspection["errorDetails"] = details
        return StateTestResult(
            status=status,
            output=output if status in (TestStatus.SUCCEEDED, TestStatus.CAUGHT_ERROR) else None,
            error=error.error if error is not None else None,
            cause=error.cause if error is not None else None,
            next_state=next_state,
            inspection_data=inspection,
            history=list(self.history.events),
        )

    def scheduled(self) -> JSON:
        """What the resource was sent, as the Scheduled event recorded it."""
        for event in self.history.events:
            if event.type in ("TaskScheduled", "LambdaFunctionScheduled") and event.details:
                return event.details.get("parameters", event.details.get("input"))
        return None


def _states(env: Env, raw: JSON) -> dict[str, JSON]:
    return {"input": raw, "context": env.context}


def _quietly(compute: Callable[[], JSON]) -> JSON:
    """An inspection value; None where the field cannot be evaluated (the attempt reports why)."""
    try:
        return compute()
    except Exception:  # the real attempt raises the same error and reports it as the status
        return None


def _whole(seconds: float) -> int | float:
    return int(seconds) if float(seconds).is_integer() else seconds


def _single(state: TaskState) -> StateMachine:
    return StateMachine(start_at=state.name, states={state.name: state})
