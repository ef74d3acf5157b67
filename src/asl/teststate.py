"""Run one state by itself, as AWS's TestState API does: one attempt, its status and its data flow.

    result = asl.teststate.test_state(definition, "Charge", input={"id": 7}, mock={"ok": True},
                                      inspection_level="DEBUG")
    result.status, result.output, result.next_state, result.inspection_data["afterParameters"]

`definition` is a whole machine (a StateMachine, its definition, JSON text or a path) with the
name of the state to test, or the definition of a single state. Every keyword is one parameter
of the TestState request, by its snake_case name. The state runs once and reports what would
follow: SUCCEEDED, RETRIABLE (a Retrier would retry; `retrier_retry_count` says how many
retries that Retrier already made), CAUGHT_ERROR (a Catcher took the error) or FAILED. A request
AWS would refuse raises: `DefinitionError` for AWS's InvalidDefinition, `ValidationException`
for the rest. Time is virtual unless a clock is given.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import random as _random
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Literal, ParamSpec, TypeVar

import anyio

from . import resources as resources_module
from .clock import Clock, VirtualClock, iso
from .context import JSON, Env
from .dataflow import caught, finish, select, states_scope
from .errors import ExceedToleratedFailureThreshold, ExecutionError, TaskFailed
from .executor import RUNNERS, first_matching, retry_delay
from .history import History, HistoryEvent, Lane
from .model import MapState, ParallelState, PassState, Scope, State, StateMachine, TaskState, WaitState
from .runtime import ACCOUNT, REGION, Entry, Frame, Limits, Run
from .servicemodels import FieldValidationMode
from .states.basic import wait
from .states.map import batches, batching, items, limits, selected_item, tolerance_exceeded
from .states.task import run_task
from .teststate_checks import (
    STATE_NAME,
    NotMocked,
    ValidationException,
    check_request,
    mock_of,
    resolve,
)

__all__ = [
    "FieldValidationMode",
    "InspectionLevel",
    "StateTestResult",
    "TestStatus",
    "ValidationException",
    "test_state",
    "test_state_async",
]

InspectionLevel = Literal["INFO", "DEBUG", "TRACE"]
START: Final = 1_704_067_200.0  # 2024-01-01T00:00:00Z: `$$` timestamps are the same on every run
MACHINE_NAME: Final = "TestStateMachine"
Definition = StateMachine | Mapping[str, Any] | str | bytes | os.PathLike[str]
Override = Callable[[str], Callable[..., Any] | None]
P = ParamSpec("P")
T = TypeVar("T")

# The inspection data AWS sends, by state type and query language (besides `errorDetails` and
# `variables`, which any state may have). A key is sent only when the attempt got that far.
_JSONPATH_KEYS: Final = {
    "Task": ("input", "afterInputPath", "afterParameters", "result", "afterResultSelector", "afterResultPath"),
    "Pass": ("input", "afterInputPath", "afterParameters", "afterResultSelector", "afterResultPath"),
    "Parallel": ("input", "afterResultSelector", "afterResultPath"),
    "Map": (
        "input",
        "afterInputPath",
        "afterItemsPath",
        "afterItemSelector",
        "afterItemBatcher",
        "afterResultSelector",
        "afterResultPath",
        "maxConcurrency",
        "toleratedFailureCount",
        "toleratedFailurePercentage",
    ),
}
_PASS_WITH_RESULT: Final = ("input", "result", "afterResultSelector", "afterResultPath")
_JSONATA_KEYS: Final = {
    "Task": ("input", "afterArguments", "result"),
    "Map": (
        "input",
        "afterItemSelector",
        "afterItemBatcher",
        "maxConcurrency",
        "toleratedFailureCount",
        "toleratedFailurePercentage",
    ),
}
_ALWAYS: Final = ("errorDetails", "variables")


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

    `inspection_data` holds, by AWS's names and only from DEBUG on, what AWS sends for the
    state's type: the data flow (`input`, `afterInputPath`, `afterParameters` or
    `afterArguments`, `result`, `afterResultSelector`, `afterResultPath`; a Map's
    `afterItemsPath`, `maxConcurrency` and tolerances), `errorDetails`, and `variables` when
    there are any. `history` holds the events the attempt recorded.
    """

    status: TestStatus
    output: JSON = None
    error: str | None = None
    cause: str | None = None
    next_state: str | None = None
    inspection_data: dict[str, JSON] = field(default_factory=dict)
    history: list[HistoryEvent] = field(default_factory=list)


async def test_state_async(  # noqa: PLR0913 - one keyword per TestState request parameter
    definition: Definition,
    state_name: str | None = None,
    *,
    input: JSON = None,  # noqa: A002 - the ASL word
    variables: Mapping[str, JSON] | None = None,
    context: Mapping[str, JSON] | None = None,
    mock: JSON | TaskFailed = None,
    mock_result: str | None = None,
    mock_field_validation_mode: FieldValidationMode = "STRICT",
    inspection_level: InspectionLevel = "INFO",
    role_arn: str | None = None,
    reveal_secrets: bool = False,
    retrier_retry_count: int | None = None,
    map_iteration_failure_count: int | None = None,
    error_caused_by_state: str | None = None,
    map_item_reader_data: str | None = None,
    resources: Mapping[str, Callable[..., Any]] | None = None,
    task_override: Override | None = None,
    clock: Clock | None = None,
    seed: int | None = 0,
) -> StateTestResult:
    """Run one state once and report its status, output, next state and inspection data.

    Each keyword up to `map_item_reader_data` is one TestState request parameter; `mock=None`
    means not mocked (`mock_result` carries a result given as JSON text, `null` included).
    Raises DefinitionError for an invalid definition (and, as AWS does, for an unmocked Map or
    Parallel), ValidationException for a request AWS refuses (an unknown state, a mock the
    state cannot take or that does not fit its API's response, a context object AWS does not
    accept, ...), and ResourceError when an unmocked Task's resource has no callable.
    """
    mocked = mock_of(mock, mock_result)
    if variables is not None and not isinstance(variables, Mapping):
        raise ValidationException("variables must be a JSON object: its keys are the variables' names")
    state = resolve(definition, state_name)
    check_request(
        state,
        mocked,
        inspection_level=inspection_level,
        mode=mock_field_validation_mode,
        context=context,
        reveal_secrets=reveal_secrets,
        retrier_retry_count=retrier_retry_count,
        map_iteration_failure_count=map_iteration_failure_count,
        error_caused_by_state=error_caused_by_state,
        map_item_reader_data=map_item_reader_data,
    )
    if isinstance(state, TaskState) and isinstance(mocked, NotMocked) and task_override is None:
        resources_module.Resolver(resources, REGION, ACCOUNT).check(StateMachine(state.name, {state.name: state}))
    tester = _Tester(
        state,
        {} if input is None else input,
        mocked,
        inspection_level,
        _Settings(retrier_retry_count or 0, map_iteration_failure_count, map_item_reader_data, role_arn),
        dict(variables or {}),
        None if context is None else dict(context),
        resources,
        task_override,
        clock or VirtualClock(START),
        seed,
    )
    return await tester.drive()


def _blocking(function: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """The synchronous twin of an async function: the same parameters, run in an event loop of its own."""

    @functools.wraps(function)
    def blocking(*args: P.args, **kwargs: P.kwargs) -> T:
        return anyio.run(functools.partial(function, *args, **kwargs))

    return blocking


test_state = _blocking(test_state_async)
test_state.__name__ = test_state.__qualname__ = "test_state"
test_state.__doc__ = """Run one state once, from synchronous code: `test_state_async`'s twin.

It takes the same parameters and raises the same errors.
"""
test_state.__test__ = False  # type: ignore[attr-defined]  # a library function, not a pytest test
test_state_async.__test__ = False  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class _Settings:
    """The request's `stateConfiguration` and role, as the attempt uses them."""

    retry_count: int
    failure_count: int | None
    reader_data: str | None
    role_arn: str | None


class _TestRun(Run):
    """A Run whose `$$` is TestState's: a caller's context object as given, else an Express-shaped
    one where the state is named `StateName` and carries RetryCount when it can be retried."""

    def __init__(self, *args: Any, given: dict[str, JSON] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.given = given

    def context(self, state: State, entered: float, retry_count: int | None = None) -> dict[str, JSON]:
        if self.given is not None:
            return copy.deepcopy(self.given)
        entry: dict[str, JSON] = {"Name": STATE_NAME, "EnteredTime": iso(entered)}
        if retry_count is not None:
            entry["RetryCount"] = retry_count
        return {**self.base, "State": entry}


# -- one attempt --------------------------------------------------------------------------


class _Tester:
    """One TestState call: builds a run around the state, runs one attempt, inspects it."""

    def __init__(  # noqa: PLR0913 - what one request is made of
        self,
        state: State,
        raw: JSON,
        mock: object,
        level: str,
        settings: _Settings,
        variables: dict[str, JSON],
        context: dict[str, JSON] | None,
        resources: Mapping[str, Callable[..., Any]] | None,
        task_override: Override | None,
        clock: Clock,
        seed: int | None,
    ) -> None:
        self.state, self.raw, self.mock, self.level, self.settings = state, raw, mock, level, settings
        self.clock = clock
        resolver = resources_module.Resolver(resources, REGION, ACCOUNT)
        override = self._override(task_override)
        self.run = _TestRun(
            clock, resolver, _random.Random(seed), {}, Limits(), override, runners=RUNNERS, given=context
        )
        name = self.run.uuid()
        arn = f"arn:aws:states:{REGION}:{ACCOUNT}"
        self.run.base.update(
            Execution={
                "Id": f"{arn}:express:{MACHINE_NAME}:{name}",
                "Input": raw,
                "Name": name,
                "RoleArn": settings.role_arn,
                "StartTime": iso(clock.now()),
            },
            StateMachine={"Id": f"{arn}:stateMachine:{MACHINE_NAME}", "Name": MACHINE_NAME},
        )
        self.run.machine_name = MACHINE_NAME
        self.history = History(clock.now)
        self.frame = Frame(Lane(), variables, self.history)
        self.data: dict[str, JSON] = {}

    def _override(self, fallback: Override | None) -> Override | None:
        if isinstance(self.mock, NotMocked) or not isinstance(self.state, TaskState):
            return fallback
        mock, tested = self.mock, self.state.name

        async def mocked(payload: JSON) -> JSON:
            # A mocked Task answers at once, a .waitForTaskToken one included.
            if isinstance(mock, ExecutionError):
                raise mock
            return mock  # type: ignore[return-value]  # a JSON result

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
                    if isinstance(self.state, TaskState | ParallelState | MapState):
                        return await self.attempt(self.state)
                    return await self.step()
                finally:
                    clock.idle()
            finally:
                clock.unbind(tg.start_soon)
                tg.cancel_scope.cancel()
        raise AssertionError("unreachable")  # pragma: no cover

    async def step(self) -> StateTestResult:
        """Pass, Choice, Wait, Succeed or Fail: one run of the state."""
        state, raw, run, frame = self.state, self.raw, self.run, self.frame
        self.history.add(frame.lane, state.entered_event, {"name": state.name, "input": raw})
        env = Entry(run, state, self.clock.now(), frame.variables, run.random)
        self.inspect_input(env)
        try:
            if isinstance(state, WaitState):
                output, next_name, assigned = await wait(run, state, raw, env)
            else:
                output, next_name, assigned = state.work(raw, env, run.decisions)
        except ExecutionError as error:
            return self.result(TestStatus.FAILED, error=error)
        if isinstance(state, PassState) and not state.jsonata:
            result = state.result if state.has_result else self.data.get("afterParameters")
            self.data["result"] = result
            self.inspect_result(env, result)
        self.assign(assigned)
        self.history.add(frame.lane, state.exited_event, {"name": state.name, "output": output})
        return self.result(TestStatus.SUCCEEDED, output=output, next_state=next_name)

    async def attempt(self, state: TaskState | ParallelState | MapState) -> StateTestResult:
        """Task, Parallel or Map: one attempt, then what its Retry and Catch make of an error."""
        run, frame, raw = self.run, self.frame, self.raw
        self.history.add(frame.lane, state.entered_event, {"name": state.name, "input": raw})
        env = Entry(run, state, self.clock.now(), frame.variables, run.random, self.settings.retry_count)
        try:
            self.inspect_input(env)
            if isinstance(state, TaskState):
                result = await run_task(run, state, raw, env, self.history, frame.lane)
            elif isinstance(state, MapState):
                result = self.mocked_map(state, env)
            else:
                result = self.mocked_work()
            self.data["result"] = result
            self.inspect_result(env, result)
            output, assigned = finish(state, raw, result, env)
        except ExecutionError as error:
            return self.handle(state, error, env)
        self.assign(assigned)
        return self.result(TestStatus.SUCCEEDED, output=output, next_state=None if state.end else state.next)

    def mocked_work(self) -> JSON:
        """What a mocked Parallel or Map answers: its result, or the error it fails with."""
        if isinstance(self.mock, ExecutionError):
            raise self.mock
        return self.mock  # type: ignore[return-value]  # a JSON result

    def mocked_map(self, state: MapState, env: Entry) -> JSON:
        """A mocked Map still reads its items and settings, and fails past its failure tolerance."""
        raw = self.raw
        if state.jsonata:
            effective, scope = raw, states_scope(env, raw)
        else:
            effective = select(state.input_path, state.input_null, raw, env)
            scope = Scope(effective, env)
        found = self.map_items(state, effective, env, scope)
        concurrency, count, percentage = limits(state, scope)
        self.data["maxConcurrency"] = concurrency
        if count is not None:
            self.data["toleratedFailureCount"] = count
        if percentage is not None:
            self.data["toleratedFailurePercentage"] = float(percentage)
        result = self.mocked_work()
        failures = self.settings.failure_count
        if failures:
            total = len(result) if isinstance(result, list) else len(found or ())
            if count is None and percentage is None:
                count = 0  # a Map that tolerates nothing
            if tolerance_exceeded(failures, total, count, percentage):
                raise ExceedToleratedFailureThreshold("The specified tolerated failure threshold was exceeded")
        return result

    def map_items(self, state: MapState, effective: JSON, env: Entry, scope: Scope) -> list[JSON] | None:
        """The items a mocked Map would iterate over (None: its ItemReader was not given data),
        noting them as ItemsPath, ItemSelector and ItemBatcher make them."""
        raw = self.raw
        found: list[JSON] | None = None
        if state.item_reader is None:
            found = items(state, raw, effective, env)
            if not state.jsonata:
                self.data["afterItemsPath"] = found
        elif self.settings.reader_data is not None:
            read = _parsed(self.settings.reader_data)
            found = read if isinstance(read, list) else None
        if found is None:
            return None
        if state.item_selector is not None:
            selected = [selected_item(state, raw, effective, env, index, item) for index, item in enumerate(found)]
            self.data["afterItemSelector"] = selected
        if batching(state):
            self.data["afterItemBatcher"] = batches(state, found, scope)
        return found

    def handle(self, state: TaskState | ParallelState | MapState, error: ExecutionError, env: Env) -> StateTestResult:
        """RETRIABLE when a Retrier has attempts left, CAUGHT_ERROR when a Catcher takes it, else FAILED."""
        if not error.catchable:
            return self.result(TestStatus.FAILED, error=error)
        retried = self.settings.retry_count
        owner = first_matching(state.retry, error)
        if owner is not None and retried < state.retry[owner].max_attempts:
            delay = retry_delay(state.retry[owner], retried + 1, self.run.random)
            details: dict[str, JSON] = {"retryIndex": owner, "retryBackoffIntervalSeconds": int(delay)}
            return self.result(TestStatus.RETRIABLE, error=error, details=details)
        index = first_matching(state.catch, error)
        if index is None:
            return self.result(TestStatus.FAILED, error=error)
        catcher = state.catch[index]
        try:
            output, assigned = caught(state, catcher, self.raw, error, env)
        except ExecutionError as failure:  # the Catcher's own Output or Assign failed
            return self.result(TestStatus.FAILED, error=failure)
        self.assign(assigned)
        if not state.jsonata:
            self.data["afterResultPath"] = output
        return self.result(
            TestStatus.CAUGHT_ERROR, output=output, next_state=catcher.next, error=error, details={"catchIndex": index}
        )

    # -- inspection -------------------------------------------------------------------------

    def probe(self, env: Env) -> Env:
        """An Env whose random source replays the run's: re-evaluating a field gives the same values."""
        replay = _random.Random()
        replay.setstate(self.run.random.getstate())
        return Env(env.context, env.variables, replay)

    def note(self, key: str, compute: Callable[[], JSON]) -> bool:
        """Record one step of the data flow; a step that fails is left out (the attempt reports why)."""
        try:
            self.data[key] = compute()
        except Exception:  # the real attempt raises the same error and reports it as the status
            return False
        return True

    def inspect_input(self, env: Env) -> None:
        state, raw = self.state, self.raw
        self.data["input"] = raw
        env = self.probe(env)
        if state.jsonata:  # without Arguments a Task's arguments are its input, as Parameters' are
            arguments = state.arguments
            self.note("afterArguments", lambda: raw if arguments is None else arguments(states_scope(env, raw)))
            return
        if not self.note("afterInputPath", lambda: select(state.input_path, state.input_null, raw, env)):
            return
        if isinstance(state, TaskState | PassState):
            after_input, parameters = self.data["afterInputPath"], state.parameters
            if parameters is None:
                self.data["afterParameters"] = after_input
            else:
                self.note("afterParameters", lambda: parameters(Scope(after_input, env)))

    def inspect_result(self, env: Env, result: JSON) -> None:
        state, raw = self.state, self.raw
        if state.jsonata:
            return
        env = self.probe(env)
        selector = state.result_selector
        if selector is None:
            self.data["afterResultSelector"] = result
        elif not self.note("afterResultSelector", lambda: selector(Scope(result, env))):
            return
        selected, path = self.data["afterResultSelector"], state.result_path
        if state.result_null or path is None:
            self.data["afterResultPath"] = raw if state.result_null else selected
        else:
            self.note("afterResultPath", lambda: path.put(raw, selected))

    def assign(self, assigned: dict[str, JSON] | None) -> None:
        if assigned:
            self.frame.variables.update(assigned)

    def inspection(self, details: dict[str, JSON] | None) -> dict[str, JSON]:
        """What AWS sends as inspectionData: nothing at INFO, else the keys of the state's type."""
        if self.level == "INFO":
            return {}
        keys = _keys(self.state)
        data = {key: value for key, value in self.data.items() if key in keys}
        if self.frame.variables:
            data["variables"] = dict(self.frame.variables)
        if details:
            data["errorDetails"] = details
        return data

    def result(
        self,
        status: TestStatus,
        *,
        output: JSON = None,
        next_state: str | None = None,
        error: ExecutionError | None = None,
        details: dict[str, JSON] | None = None,
    ) -> StateTestResult:
        return StateTestResult(
            status=status,
            output=output if status in (TestStatus.SUCCEEDED, TestStatus.CAUGHT_ERROR) else None,
            error=error.error if error is not None else None,
            cause=error.cause if error is not None else None,
            next_state=next_state,
            inspection_data=self.inspection(details),
            history=list(self.history.events),
        )


def _keys(state: State) -> tuple[str, ...]:
    """The inspection data keys AWS sends for this state (see `_JSONPATH_KEYS`)."""
    if state.jsonata:
        return _JSONATA_KEYS.get(state.kind, ("input",)) + _ALWAYS
    if isinstance(state, PassState) and state.has_result:
        return _PASS_WITH_RESULT + _ALWAYS
    return _JSONPATH_KEYS.get(state.kind, ("input", "afterInputPath")) + _ALWAYS


def _parsed(text: str) -> JSON:
    try:
        value: JSON = json.loads(text)
    except ValueError:
        return None
    return value
