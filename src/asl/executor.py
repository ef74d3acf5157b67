"""The run loop: transitions, input/output processing, Retry and Catch, Parallel and Map.

`execute()` runs one execution of a compiled `StateMachine` and returns an `Execution`
result. What changes during a run (history, clock, variables, `$$`) lives in a `Run` and
in the arguments of the functions below; the graph itself is never modified.
"""

from __future__ import annotations

import base64
import json
import random as _random
import uuid
from collections import ChainMap
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

import anyio

from . import paths, resources
from .clock import Clock, SystemClock, iso
from .context import JSON, Env
from .errors import (
    DataLimitExceeded,
    ExceedToleratedFailureThreshold,
    ExecutionError,
    NoChoiceMatched,
    QueryEvaluationError,
    RuntimeFailure,
    TaskFailed,
    Timeout,
)
from .history import History, HistoryEvent, Lane
from .model import (
    Catcher,
    ChoiceState,
    Expr,
    FailState,
    MapState,
    ParallelState,
    PassState,
    Retrier,
    Scope,
    State,
    StateMachine,
    SucceedState,
    TaskState,
    WaitState,
)

__all__ = ["Execution", "Status", "execute"]

Variables = MutableMapping[str, JSON]

REGION: Final = "us-east-1"
ACCOUNT: Final = "123456789012"
MAX_WAIT_SECONDS: Final = 2**31 - 1
INLINE_CONCURRENCY: Final = 40  # AWS runs at most about 40 inline iterations at once
DISTRIBUTED_CONCURRENCY: Final = 1000


class Status(str, Enum):
    """How an execution ended."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"

    def __str__(self) -> str:
        return self.value


@dataclass(slots=True)
class Execution:
    """The result of one execution: status, output or error and cause, and its history."""

    name: str
    arn: str
    input: JSON
    status: Status = Status.RUNNING
    output: JSON = None
    error: str | None = None
    cause: str | None = None
    history: list[HistoryEvent] = field(default_factory=list)
    start_time: float = 0.0
    stop_time: float | None = None

    def raise_for_status(self) -> None:
        """Raise the execution's error as an ExecutionError unless it succeeded."""
        if self.status is not Status.SUCCEEDED:
            raise ExecutionError(self.cause or "", error=self.error or self.status.value)


class Run:
    """Everything one execution shares across its states, branches and iterations."""

    def __init__(
        self,
        machine: StateMachine,
        clock: Clock,
        resolver: resources.Resolver,
        rng: _random.Random,
        history: History,
        base_context: dict[str, JSON],
        task_override: Callable[[str], Callable[..., Any] | None] | None = None,
    ) -> None:
        self.machine = machine
        self.clock = clock
        self.resolver = resolver
        self.random = rng
        self.history = history
        self.base = base_context
        self.task_override = task_override

    def context(self, state: State, entered: float, retry_count: int | None = None) -> dict[str, JSON]:
        """A fresh `$$` for one state entry; Execution and StateMachine are shared, read-only."""
        entry: dict[str, JSON] = {"Name": state.name, "EnteredTime": iso(entered)}
        if retry_count is not None:
            entry["RetryCount"] = retry_count
        return {**self.base, "State": entry}


class _Located(Exception):
    """Internal: a state failed with an error whose cause already names the state."""


def _locate(error: ExecutionError, state: State, entered_id: int) -> ExecutionError:
    if error.located and not getattr(error, "_prefixed", False):
        error.cause = (
            f"An error occurred while executing the state '{state.name}' "
            f"(entered at the event id #{entered_id}). {error.cause}"
        )
        error._prefixed = True  # type: ignore[attr-defined]
    return error


# -- input and output processing ------------------------------------------------------------


def _get(path: paths.Path | None, null: bool, value: JSON, env: Env) -> JSON:
    if path is None:
        return {} if null else value
    return path.get(value, env)


def effective_input(state: State, raw: JSON, env: Env) -> JSON:
    """JSONPath: InputPath, then Parameters."""
    value = _get(state.input_path, state.input_null, raw, env)
    if state.parameters is not None:
        value = state.parameters(Scope(value, env))
    return value


def place_result(state: State, raw: JSON, result: JSON, env: Env) -> JSON:
    """JSONPath: ResultSelector, ResultPath into the raw input, then OutputPath."""
    if state.result_selector is not None:
        result = state.result_selector(Scope(result, env))
    if state.result_null:
        value = raw
    elif state.result_path is None:
        value = result
    else:
        value = state.result_path.put(raw, result)
    return _get(state.output_path, state.output_null, value, env)


def _assign(expr: Expr | None, scope: Scope) -> dict[str, JSON] | None:
    if expr is None:
        return None
    values = expr(scope)
    return values if isinstance(values, dict) else None


def _render(value: JSON) -> str:
    """A value as AWS quotes it in `refers to value "..."` messages."""
    return value if isinstance(value, str) else paths.dumps(value)


def _integer(value: JSON, field: str, path_text: str, *, kind: str = "integer") -> int | float:
    if isinstance(value, str):  # AWS reads numeric text too ("1")
        try:
            value = float(value) if kind == "float" else int(value)
        except ValueError:
            pass
    if kind == "float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
    elif isinstance(value, int) and not isinstance(value, bool):
        return value
    elif isinstance(value, float) and value.is_integer():
        return int(value)
    raise RuntimeFailure(f'The {field} field refers to value "{_render(value)}" which is not a valid {kind}: {path_text}')


# -- the run loop ---------------------------------------------------------------------------


class Frame:
    """One thread of control inside a graph: its history lane and its variable scope."""

    __slots__ = ("lane", "variables")

    def __init__(self, lane: Lane, variables: Variables) -> None:
        self.lane, self.variables = lane, variables


async def run_graph(run: Run, graph: StateMachine, value: JSON, frame: Frame) -> JSON:
    """Run a graph from StartAt to a terminal state; returns its output or raises its error."""
    name: str | None = graph.start_at
    while name is not None:
        state = graph.states[name]
        value, name = await run_state(run, state, value, frame)
    return value


async def run_state(run: Run, state: State, raw: JSON, frame: Frame) -> tuple[JSON, str | None]:
    """Enter one state, run it, exit it: (output, name of the next state or None)."""
    history = run.history
    entered_id = history.add(frame.lane, f"{state.kind}StateEntered", {"name": state.name, "input": raw})
    entered = run.clock.now()
    try:
        if isinstance(state, TaskState | ParallelState | MapState):
            return await _run_with_retry(run, state, raw, frame, entered, entered_id)
        env = Env(run.context(state, entered), frame.variables, run.random)
        output, next_name, assigned = await _run_simple(run, state, raw, env)
    except ExecutionError as error:
        raise _locate(error, state, entered_id) from None
    if isinstance(state, FailState):
        raise AssertionError("unreachable")
    _exit(run, state, output, assigned, frame)
    return output, next_name


def _exit(run: Run, state: State, output: JSON, assigned: dict[str, JSON] | None, frame: Frame) -> None:
    _check_size(output, state.name)
    details: dict[str, JSON] = {"name": state.name, "output": output}
    if assigned:
        frame.variables.update(assigned)
        details["assignedVariables"] = assigned
    run.history.add(frame.lane, f"{state.kind}StateExited", details)


def _check_size(value: JSON, name: str) -> None:
    if isinstance(value, str | list | dict) and _large(value):
        error = DataLimitExceeded(
            f"The state/task '{name}' returned a result with a size exceeding the maximum number of bytes service limit."
        )
        error.catchable = False  # type: ignore[misc]
        raise error


def _large(value: JSON) -> bool:
    # Cheap screen first: only payloads that could be near the quota are serialised.
    if isinstance(value, str):
        return len(value) * 4 > resources.PAYLOAD_LIMIT and len(value.encode()) > resources.PAYLOAD_LIMIT
    if len(value) < 64:  # type: ignore[arg-type]
        return False
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()) > resources.PAYLOAD_LIMIT


async def _run_simple(
    run: Run, state: State, raw: JSON, env: Env
) -> tuple[JSON, str | None, dict[str, JSON] | None]:
    """Pass, Choice, Wait, Succeed, Fail: (output, next state, variables assigned)."""
    if state.jsonata:
        scope = Scope(None, env, {"input": raw, "context": env.context})
        if isinstance(state, ChoiceState):
            for branch in state.choices:
                if branch.condition(scope):
                    assigned = _assign(branch.assign, scope)
                    output = branch.output(scope) if branch.output is not None else raw
                    return output, branch.next, assigned
            if state.default is None:
                raise NoChoiceMatched("No Matches!")
            assigned = _assign(state.assign, scope)
            return (state.output(scope) if state.output else raw), state.default, assigned
        if isinstance(state, FailState):
            _fail(state, scope)
        if isinstance(state, WaitState):
            await _wait(run, state, scope)
        assigned = _assign(state.assign, scope)
        output = state.output(scope) if state.output is not None else raw
        return output, _next(state), assigned

    match state:
        case PassState():
            effective = effective_input(state, raw, env)
            result = state.result if state.has_result else effective
            assigned = _assign(state.assign, Scope(result, env))
            return place_result(state, raw, result, env), state.next, assigned
        case ChoiceState():
            effective = _get(state.input_path, state.input_null, raw, env)
            scope = Scope(effective, env)
            for branch in state.choices:
                if branch.condition(scope):
                    assigned = _assign(branch.assign, scope)
                    return _get(state.output_path, state.output_null, effective, env), branch.next, assigned
            if state.default is None:
                raise NoChoiceMatched("No Matches!")
            assigned = _assign(state.assign, scope)
            return _get(state.output_path, state.output_null, effective, env), state.default, assigned
        case WaitState():
            effective = _get(state.input_path, state.input_null, raw, env)
            scope = Scope(effective, env)
            await _wait(run, state, scope)
            assigned = _assign(state.assign, scope)
            return _get(state.output_path, state.output_null, effective, env), state.next, assigned
        case SucceedState():
            effective = _get(state.input_path, state.input_null, raw, env)
            return _get(state.output_path, state.output_null, effective, env), None, None
        case FailState():
            _fail(state, Scope(raw, env))
    raise AssertionError(f"unknown state kind {state.kind}")


def _next(state: State) -> str | None:
    return None if state.end or isinstance(state, SucceedState) else state.next


def _fail(state: FailState, scope: Scope) -> None:
    error = state.error(scope) if state.error is not None else None
    cause = state.cause(scope) if state.cause is not None else None
    raise ExecutionError(_text(cause), error=_text(error) or "")


def _text(value: JSON) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else paths.dumps(value)


async def _wait(run: Run, state: WaitState, scope: Scope) -> None:
    from . import timestamps

    if state.seconds is not None:
        try:
            value = state.seconds(scope)
        except paths.PathNotFound:
            raise RuntimeFailure(
                f"The SecondsPath parameter does not reference an input value: {_path_text(state, 'SecondsPath')}"
            ) from None
        seconds = _wait_seconds(state, value)
    else:
        assert state.timestamp is not None
        try:
            value = state.timestamp(scope)
        except paths.PathNotFound:
            raise RuntimeFailure(
                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time "
                f"format string: {_path_text(state, 'TimestampPath')} == null"
            ) from None
        moment = timestamps.parse(value) if isinstance(value, str) else None
        if moment is None:
            if state.timestamp_field == "TimestampPath":
                raise RuntimeFailure(
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time "
                    f"format string: {_path_text(state, 'TimestampPath')} == {_text(value)}"
                )
            raise QueryEvaluationError(
                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: "
                f"{_text(value)}"
            )
        seconds = moment.timestamp() - run.clock.now()
    if seconds > MAX_WAIT_SECONDS:
        raise RuntimeFailure("Wait state delay is too long.")
    if seconds > 0:
        await run.clock.sleep(seconds)


def _path_text(state: State, key: str) -> str:
    return str(state.raw.get(key, ""))


def _wait_seconds(state: WaitState, value: JSON) -> float:
    path = state.seconds_field == "SecondsPath"
    where = _path_text(state, "SecondsPath")
    if isinstance(value, bool) or not isinstance(value, int | float):
        if path:
            raise RuntimeFailure(f"The SecondsPath parameter cannot be parsed as a long value: {where} == {_text(value)}")
        raise QueryEvaluationError(f"The Seconds field must be a non-negative integer but was: {_text(value)}")
    if isinstance(value, float) and not value.is_integer():
        if path:
            raise RuntimeFailure(f"The SecondsPath parameter cannot be parsed as a long value: {where} == {value}")
        raise QueryEvaluationError(f"The Seconds field must be a non-negative integer but was: {value}")
    if value < 0:
        if path:
            raise RuntimeFailure(f"The SecondsPath parameter references a negative value: {where} == {_text(value)}")
        raise QueryEvaluationError(f"The Seconds field must be a non-negative integer but was: {_text(value)}")
    return float(value)


# -- Retry and Catch ------------------------------------------------------------------------


def _matches(names: tuple[str, ...], error: str) -> bool:
    for name in names:
        if name == error or name == "States.ALL":
            return True
        if name == "States.TaskFailed" and error != "States.Timeout":
            return True
    return False


def _delay(retrier: Retrier, attempt: int, rng: _random.Random) -> float:
    """Seconds before retry number `attempt` (1-based) of one retrier."""
    delay = retrier.interval_seconds * retrier.backoff_rate ** (attempt - 1)
    if retrier.max_delay_seconds is not None:
        delay = min(delay, retrier.max_delay_seconds)
    if retrier.jitter_strategy == "FULL":
        delay = rng.uniform(0, delay)
    return delay


async def _run_with_retry(
    run: Run, state: State, raw: JSON, frame: Frame, entered: float, entered_id: int
) -> tuple[JSON, str | None]:
    attempts = [0] * len(state.retry)
    retry_count = 0
    while True:
        env = Env(run.context(state, entered, retry_count), frame.variables, run.random)
        try:
            match state:
                case TaskState():
                    result = await _run_task(run, state, raw, env, frame)
                case ParallelState():
                    result = await _run_parallel(run, state, raw, env, frame)
                case MapState():
                    result = await _run_map(run, state, raw, env, frame)
                case _:
                    raise AssertionError(state.kind)
            output, assigned = _finish(state, raw, result, env)
            _exit(run, state, output, assigned, frame)
            return output, _next(state)
        except ExecutionError as error:
            _locate(error, state, entered_id)
            if not error.catchable:
                raise
            retrier_index = next(
                (i for i, r in enumerate(state.retry) if _matches(r.error_equals, error.error)), None
            )
            if retrier_index is not None and attempts[retrier_index] < state.retry[retrier_index].max_attempts:
                attempts[retrier_index] += 1
                retry_count += 1
                delay = _delay(state.retry[retrier_index], attempts[retrier_index], run.random)
                if delay > 0:
                    await run.clock.sleep(delay)
                continue
            catcher = next((c for c in state.catch if _matches(c.error_equals, error.error)), None)
            if catcher is None:
                raise
            output, assigned = _caught(state, catcher, raw, error, env)
            _exit(run, state, output, assigned, frame)
            return output, catcher.next


def _finish(state: State, raw: JSON, result: JSON, env: Env) -> tuple[JSON, dict[str, JSON] | None]:
    """A Task, Parallel or Map produced `result`: apply Assign and the output fields."""
    if state.jsonata:
        scope = Scope(None, env, {"input": raw, "context": env.context, "result": result})
        assigned = _assign(state.assign, scope)
        output = state.output(scope) if state.output is not None else result
        return output, assigned
    assigned = _assign(state.assign, Scope(result, env))
    return place_result(state, raw, result, env), assigned


def _caught(
    state: State, catcher: Catcher, raw: JSON, error: ExecutionError, env: Env
) -> tuple[JSON, dict[str, JSON] | None]:
    error_output: dict[str, JSON] = {"Error": error.error, "Cause": error.cause}
    if state.jsonata:
        scope = Scope(None, env, {"input": raw, "context": env.context, "errorOutput": error_output})
        assigned = _assign(catcher.assign, scope)
        output = catcher.output(scope) if catcher.output is not None else error_output
        return output, assigned
    assigned = _assign(catcher.assign, Scope(error_output, env))
    if catcher.discard_result:
        return raw, assigned
    if catcher.result_path is None:
        return error_output, assigned
    return catcher.result_path.put(raw, error_output), assigned


# -- Task -----------------------------------------------------------------------------------


def _positive_seconds(state: TaskState, expr: Expr | None, field: str, scope: Scope) -> int | None:
    if expr is None:
        return None
    try:
        value = expr(scope)
    except paths.PathNotFound as missing:
        raise RuntimeFailure(missing.cause) from None
    if field.endswith("Path"):
        return int(_integer(value, field, _path_text(state, field)))
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise QueryEvaluationError(f"The {field} field must be a positive integer but was: {_text(value)}")
    return int(value)


async def _run_task(run: Run, state: TaskState, raw: JSON, env: Env, frame: Frame) -> JSON:
    if state.jsonata:
        scope = Scope(None, env, {"input": raw, "context": env.context})
        payload = state.arguments(scope) if state.arguments is not None else raw
    else:
        payload = effective_input(state, raw, env)
        scope = Scope(raw, env)
    timeout = _positive_seconds(state, state.timeout_seconds, state.timeout_field, scope)
    heartbeat = _positive_seconds(state, state.heartbeat_seconds, state.heartbeat_field, scope)
    target = resources.classify(state.resource)
    history, lane = run.history, frame.lane
    request_id = str(uuid.UUID(int=run.random.getrandbits(128), version=4))

    if target.style == "lambda-arn":
        details: dict[str, JSON] = {"resource": state.resource, "input": payload}
        if timeout is not None:
            details["timeoutInSeconds"] = timeout
        history.add(lane, "LambdaFunctionScheduled", details)
        history.add(lane, "LambdaFunctionStarted")
        prefix, function_name = "LambdaFunction", state.resource
        function = run.resolver.find(state.resource)
        call_payload = payload
        style = "spaced"
    else:
        details = {
            "resourceType": target.resource_type,
            "resource": target.api,
            "region": REGION,
            "parameters": payload,
        }
        if timeout is not None:
            details["timeoutInSeconds"] = timeout
        if heartbeat is not None:
            details["heartbeatInSeconds"] = heartbeat
        history.add(lane, "TaskScheduled", details)
        history.add(lane, "TaskStarted", {"resourceType": target.resource_type, "resource": target.api})
        prefix = "Task"
        if target.style == "lambda-invoke":
            function_name = str(payload.get("FunctionName", "")) if isinstance(payload, dict) else ""
            function = run.resolver.find(function_name)
            call_payload = payload.get("Payload") if isinstance(payload, dict) else None
            if call_payload is None:  # Lambda receives an empty event
                call_payload = {}
            elif isinstance(call_payload, str):
                try:
                    call_payload = json.loads(call_payload)
                except ValueError:
                    pass
            style = "compact"
        else:
            function_name = state.resource
            function = run.resolver.find(state.resource)
            call_payload = payload
            style = None  # type: ignore[assignment]
    tail = {} if prefix == "LambdaFunction" else {"resourceType": target.resource_type, "resource": target.api}
    override = run.task_override(state.name) if run.task_override is not None else None
    if override is not None:  # a mocked response: the result exactly as given, no envelope
        function, call_payload, style = override, payload, None  # type: ignore[assignment]
        target = resources.Target(target.resource, "custom", target.resource_type, target.api, target.pattern)
    try:
        if function is None:
            raise _missing_function(run, target, function_name)
        context = resources.Invocation(function_name, request_id, None)
        waits_outside = resources.is_async(function)

        async def call() -> JSON:
            if waits_outside:  # an async resource awaits the world, not our clock
                run.clock.idle()
            try:
                return await resources.invoke(
                    function,
                    call_payload,
                    context,
                    lambda_style=style if target.style != "custom" else None,
                    request_id=request_id,
                    name=state.resource if target.style in ("lambda-arn", "custom") else target.resource_type,
                )
            finally:
                if waits_outside:
                    run.clock.busy()

        result = await _with_timeout(run, call, timeout)
    except ExecutionError as error:
        kind = "TimedOut" if error.error == "States.Timeout" else "Failed"
        failure: dict[str, JSON] = {**tail, "error": error.error}
        if error.cause:
            failure["cause"] = error.cause
        history.add(lane, f"{prefix}{kind}", failure)
        raise
    if target.style == "lambda-invoke":
        tail_log = isinstance(payload, dict) and payload.get("LogType") == "Tail"
        result = _lambda_envelope(result, request_id, tail_log)
    history.add(lane, f"{prefix}Succeeded", {**tail, "output": result})
    return result


def _missing_function(run: Run, target: resources.Target, name: str) -> ExecutionError:
    if target.style == "lambda-invoke":
        arn = run.resolver.function_arn(name)
        return TaskFailed(
            "Lambda.ResourceNotFoundException",
            f"Function not found: {arn}:$LATEST (Service: AWSLambda; Status Code: 404; Error Code: "
            f"ResourceNotFoundException; Request ID: {uuid.UUID(int=run.random.getrandbits(128), version=4)}; "
            "Proxy: null)",
        )
    return TaskFailed("States.TaskFailed", f"No callable was given for the resource '{name}'.")


def _lambda_envelope(result: JSON, request_id: str, tail_log: bool) -> JSON:
    """AWS's lambda:invoke result; `LogType: Tail` adds the (here empty) log tail as AWS does."""
    length = str(len(json.dumps(result).encode()))
    envelope: dict[str, Any] = {
        "ExecutedVersion": "$LATEST",
        "Payload": result,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "X-Amz-Executed-Version": ["$LATEST"],
                "x-amzn-Remapped-Content-Length": ["0"],
                "Connection": ["keep-alive"],
                "x-amzn-RequestId": [request_id],
                "Content-Length": [length],
                "Date": ["Thu, 01 Jan 2026 00:00:00 GMT"],
                "X-Amzn-Trace-Id": ["Root=1-00000000-000000000000000000000000;Sampled=0"],
                "Content-Type": ["application/json"],
            },
            "HttpHeaders": {
                "Connection": "keep-alive",
                "Content-Length": length,
                "Content-Type": "application/json",
                "Date": "Thu, 01 Jan 2026 00:00:00 GMT",
                "X-Amz-Executed-Version": "$LATEST",
                "x-amzn-Remapped-Content-Length": "0",
                "x-amzn-RequestId": request_id,
                "X-Amzn-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
            },
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": 200,
    }
    if tail_log:
        log = base64.b64encode(f"START RequestId: {request_id} Version: $LATEST\n".encode()).decode()
        envelope = {"ExecutedVersion": "$LATEST", "LogResult": log, **envelope}
        envelope["SdkHttpMetadata"]["AllHttpHeaders"] = {
            "X-Amz-Log-Result": [log],
            **envelope["SdkHttpMetadata"]["AllHttpHeaders"],
        }
        envelope["SdkHttpMetadata"]["HttpHeaders"]["X-Amz-Log-Result"] = log
    return envelope


async def _with_timeout(run: Run, call: Callable[[], Any], seconds: float | None) -> Any:
    """Await `call()`; past `seconds` of clock time it is cancelled and States.Timeout raised."""
    if seconds is None:
        return await call()
    outcome: dict[str, Any] = {}

    async def timer() -> None:
        try:
            await run.clock.sleep(seconds)
            outcome.setdefault("timeout", True)
            tg.cancel_scope.cancel()
        finally:
            run.clock.idle()

    async def work() -> None:
        try:
            outcome.setdefault("result", await call())
            tg.cancel_scope.cancel()
        finally:
            run.clock.idle()

    async with anyio.create_task_group() as tg:
        for task in (timer, work):
            run.clock.busy()
            tg.start_soon(task)
        run.clock.idle()  # this task only waits for the two above
    run.clock.busy()
    if "result" in outcome:
        return outcome["result"]
    raise Timeout("")


# -- Parallel -------------------------------------------------------------------------------


async def _run_children(run: Run, count: int, workers: int, child: Callable[[int], Any]) -> None:
    """Run `child(0..count-1)` with at most `workers` at once; the first error cancels the rest."""
    failure: list[ExecutionError] = []
    indices = iter(range(count))

    async def worker() -> None:
        try:
            for index in indices:
                await child(index)
        except ExecutionError as error:
            if not failure:
                failure.append(error)
            tg.cancel_scope.cancel()
        finally:
            run.clock.idle()

    async with anyio.create_task_group() as tg:
        for _ in range(min(workers, count)):
            run.clock.busy()  # counted from now, so time cannot jump before the worker starts
            tg.start_soon(worker)
        run.clock.idle()  # this task only waits for its children
    run.clock.busy()
    if failure:
        raise failure[0]


async def _run_parallel(run: Run, state: ParallelState, raw: JSON, env: Env, frame: Frame) -> JSON:
    if state.jsonata:
        scope = Scope(None, env, {"input": raw, "context": env.context})
        value = state.arguments(scope) if state.arguments is not None else raw
    else:
        value = effective_input(state, raw, env)
    history = run.history
    started = history.add(frame.lane, "ParallelStateStarted")
    results: list[JSON] = [None] * len(state.branches)

    async def branch(index: int) -> None:
        lane = Lane(started)
        results[index] = await run_graph(run, state.branches[index], value, Frame(lane, ChainMap({}, frame.variables)))

    try:
        await _run_children(run, len(state.branches), len(state.branches), branch)
    except ExecutionError:
        history.add(frame.lane, "ParallelStateFailed", previous=history.last_id)
        raise
    history.add(frame.lane, "ParallelStateSucceeded", previous=history.last_id)
    return results


# -- Map ------------------------------------------------------------------------------------


def _map_items(state: MapState, raw: JSON, effective: JSON, env: Env) -> list[JSON]:
    from . import jsonata

    if state.jsonata:
        if state.items is None:
            if not isinstance(raw, list):
                raise QueryEvaluationError(f"Map state input must be an array but was: {paths.dumps(raw)}")
            return raw
        value = state.items(Scope(None, env, {"input": raw, "context": env.context}))
        expression = jsonata.compile(state.raw["Items"]) if jsonata.is_expression(state.raw.get("Items")) else None
        return jsonata.expect(value, "array", expression, "Items")  # type: ignore[return-value]
    value = effective if state.items is None else state.items(Scope(effective, env))
    if not isinstance(value, list):
        raise RuntimeFailure(f'Reference path "{state.items_field}" must point to array.')
    return value


def _map_limits(state: MapState, scope: Scope) -> tuple[int, int | None, float | None]:
    def read(expr: Expr | None, field: str) -> JSON:
        if expr is None:
            return None
        try:
            return expr(scope)
        except paths.PathNotFound as missing:
            raise RuntimeFailure(missing.cause) from None

    concurrency = read(state.max_concurrency, state.max_concurrency_field)
    if concurrency is not None and state.max_concurrency_field.endswith("Path"):
        concurrency = _integer(concurrency, "MaxConcurrencyPath", _path_text(state, "MaxConcurrencyPath"))
    count = read(state.tolerated_failure_count, state.tolerated_failure_count_field)
    if count is not None:
        if state.tolerated_failure_count_field.endswith("Path"):
            count = _integer(count, "ToleratedFailureCountPath", _path_text(state, "ToleratedFailureCountPath"))
        if count < 0:  # type: ignore[operator]
            raise RuntimeFailure("ToleratedFailureCount cannot be negative.")
    percentage = read(state.tolerated_failure_percentage, state.tolerated_failure_percentage_field)
    if percentage is not None:
        if state.tolerated_failure_percentage_field.endswith("Path"):
            percentage = _integer(
                percentage,
                "ToleratedFailurePercentagePath",
                _path_text(state, "ToleratedFailurePercentagePath"),
                kind="float",
            )
        if not 0 <= percentage <= 100:  # type: ignore[operator]
            raise RuntimeFailure("ToleratedFailurePercentage must be between 0 and 100.")
    return int(concurrency or 0), count, percentage  # type: ignore[arg-type, return-value]


async def _run_map(run: Run, state: MapState, raw: JSON, env: Env, frame: Frame) -> JSON:
    assert state.processor is not None
    if state.jsonata:
        effective = raw
        scope = Scope(None, env, {"input": raw, "context": env.context})
    else:
        effective = _get(state.input_path, state.input_null, raw, env)
        scope = Scope(effective, env)
    items = _map_items(state, raw, effective, env)
    concurrency, tolerated_count, tolerated_percentage = _map_limits(state, scope)
    if state.batch_max_items is not None:
        size = int(state.batch_max_items(scope) or 1)  # type: ignore[arg-type]
        batch_input = state.batch_input(scope) if state.batch_input is not None else None
        batches: list[JSON] = []
        for start in range(0, len(items), size):
            batch: dict[str, JSON] = {"Items": items[start : start + size]}
            if batch_input is not None:
                batch = {"BatchInput": batch_input, **batch}
            batches.append(batch)
        items = batches
    history = run.history
    started = history.add(frame.lane, "MapStateStarted", {"length": len(items)})
    if state.distributed:
        history.add(frame.lane, "MapRunStarted", {"mapRunArn": _map_run_arn(run, state)})
    results: list[JSON] = [None] * len(items)
    failed: list[ExecutionError] = []
    tolerant = tolerated_count is not None or tolerated_percentage is not None
    sequential_lane = Lane(started)
    inner_vars: Callable[[], Variables] = (lambda: {}) if state.distributed else (lambda: ChainMap({}, frame.variables))

    async def iteration(index: int) -> None:
        item = items[index]
        if state.item_selector is not None:
            context = {**env.context, "Map": {"Item": {"Index": index, "Value": item}}}
            item_env = Env(context, frame.variables, run.random)
            if state.jsonata:
                value = state.item_selector(Scope(None, item_env, {"input": raw, "context": context}))
            else:
                value = state.item_selector(Scope(effective, item_env))
        else:
            value = item
        lane = Lane(sequential_lane.last if concurrency == 1 else started)
        details = {"name": state.name, "index": index}
        if not state.distributed:
            history.add(lane, "MapIterationStarted", details)
        try:
            results[index] = await run_graph(run, state.processor, value, Frame(lane, inner_vars()))  # type: ignore[arg-type]
        except ExecutionError as error:
            if not state.distributed:
                history.add(lane, "MapIterationFailed", details)
            if not tolerant:
                raise
            failed.append(error)
            results[index] = {"Error": error.error, "Cause": error.cause}
            if _exceeded(len(failed), len(items), tolerated_count, tolerated_percentage):
                raise ExceedToleratedFailureThreshold("The specified tolerated failure threshold was exceeded") from None
        else:
            if not state.distributed:
                history.add(lane, "MapIterationSucceeded", details)
        sequential_lane.last = lane.last

    limit = concurrency or (DISTRIBUTED_CONCURRENCY if state.distributed else INLINE_CONCURRENCY)
    try:
        await _run_children(run, len(items), limit, iteration)
    except ExecutionError as error:
        if state.distributed:
            history.add(frame.lane, "MapRunFailed", {"error": error.error, "cause": error.cause}, previous=history.last_id)
        history.add(frame.lane, "MapStateFailed", previous=history.last_id)
        raise
    if state.distributed:
        history.add(frame.lane, "MapRunSucceeded", previous=history.last_id)
    history.add(frame.lane, "MapStateSucceeded", previous=history.last_id)
    return results


def _exceeded(failures: int, total: int, count: int | None, percentage: float | None) -> bool:
    if count is not None and failures > count:
        return True
    if percentage is not None and total and failures * 100 / total > percentage:
        return True
    return count is None and percentage is None and failures > 0


def _map_run_arn(run: Run, state: MapState) -> str:
    machine = str(run.base["StateMachine"]["Name"])  # type: ignore[index]
    label = state.label or state.name
    return f"arn:aws:states:{REGION}:{ACCOUNT}:mapRun:{machine}/{label}:{uuid.UUID(int=run.random.getrandbits(128), version=4)}"


# -- an execution ---------------------------------------------------------------------------


async def execute(
    machine: StateMachine,
    input: JSON = None,  # noqa: A002 - the ASL word
    *,
    resources: Mapping[str, Callable[..., Any]] | None = None,
    clock: Clock | None = None,
    seed: int | None = None,
    name: str | None = None,
    state_machine_name: str = "StateMachine",
    role_arn: str | None = None,
    on_event: Callable[[HistoryEvent], None] | None = None,
    task_override: Callable[[str], Callable[..., Any] | None] | None = None,
) -> Execution:
    """Run one execution to its end and return it; a failed execution is a result, not an exception.

    `task_override(state_name)` may return a callable that replaces a Task's resource for one
    attempt (mocked responses); its return value is the Task's result as is.
    """
    from . import resources as resources_module

    clock = clock or SystemClock()
    rng = _random.Random(seed)
    value: JSON = {} if input is None else input
    name = name or str(uuid.UUID(int=rng.getrandbits(128), version=4))
    machine_arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{state_machine_name}"
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{state_machine_name}:{name}"
    role = role_arn or f"arn:aws:iam::{ACCOUNT}:role/StepFunctionsRole"
    start = clock.now()
    execution = Execution(name=name, arn=arn, input=value, start_time=start)
    history = History(clock.now, on_event)
    execution.history = history.events
    base: dict[str, JSON] = {
        "Execution": {
            "Id": arn,
            "Input": value,
            "StartTime": iso(start),
            "Name": name,
            "RoleArn": role,
            "RedriveCount": 0,
        },
        "StateMachine": {"Id": machine_arn, "Name": state_machine_name},
    }
    resolver = resources_module.Resolver(resources, REGION, ACCOUNT)
    run = Run(machine, clock, resolver, rng, history, base, task_override)
    top = Lane()
    history.add(top, "ExecutionStarted", {"input": value, "roleArn": role})
    top.last = 0  # AWS: the first state's Entered event follows no event
    timed_out = False

    async def main() -> None:
        try:
            try:
                output = await run_graph(run, machine, value, Frame(top, {}))
            except ExecutionError as error:
                execution.status, execution.error, execution.cause = Status.FAILED, error.error, error.cause
            else:
                try:
                    _check_size(output, "execution")
                except ExecutionError as error:
                    execution.status, execution.error, execution.cause = Status.FAILED, error.error, error.cause
                else:
                    execution.status, execution.output = Status.SUCCEEDED, output
        finally:
            clock.idle()
        tg.cancel_scope.cancel()

    async def deadline(seconds: float) -> None:
        nonlocal timed_out
        try:
            await clock.sleep(seconds)
        finally:
            clock.idle()
        timed_out = True
        tg.cancel_scope.cancel()

    async with anyio.create_task_group() as tg:
        tg.start_soon(clock.drive)
        if machine.timeout_seconds:
            clock.busy()
            tg.start_soon(deadline, machine.timeout_seconds)
        clock.busy()
        tg.start_soon(main)

    if timed_out:
        execution.status, execution.error, execution.cause = Status.TIMED_OUT, "States.Timeout", ""
        history.add(top, "ExecutionTimedOut", {"error": "States.Timeout"}, previous=history.last_id)
    elif execution.status is Status.SUCCEEDED:
        history.add(top, "ExecutionSucceeded", {"output": execution.output}, previous=history.last_id)
    else:
        details: dict[str, JSON] = {}
        if execution.error:
            details["error"] = execution.error
        if execution.cause:
            details["cause"] = execution.cause
        history.add(top, "ExecutionFailed", details, previous=history.last_id)
    execution.stop_time = clock.now()
    return execution
