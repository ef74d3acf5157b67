"""The Task state: invoke a resource as AWS would, with timeouts, heartbeats and task tokens.

History follows the resource's family: a Lambda function ARN records `LambdaFunction*`
events, everything else `Task*` events (`resourceType`/`resource` split from the ARN).
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import anyio
import anyio.lowlevel

from .. import paths, resources
from ..context import JSON, Env
from ..dataflow import effective_input, states_scope
from ..errors import ExecutionError, HeartbeatTimeout, QueryEvaluationError, RuntimeFailure, TaskFailed, Timeout
from ..history import History, Lane
from ..model import Expr, Scope, TaskState
from ..runtime import REGION, Run, TaskToken, field_text, number, text

if TYPE_CHECKING:
    from ..durable import Replayed

__all__ = ["run_task", "with_timeout"]


@dataclass(slots=True)
class _Call:
    """How one attempt invokes its resource."""

    function: resources.Resource | None
    name: str  # the function name or resource, for "not found" messages
    payload: JSON
    lambda_style: str | None  # None: a plain callable; else how Lambda errors are quoted
    limit_name: str  # how AWS names the task when its result is too large
    envelope: bool  # lambda:invoke wraps the result in AWS's response
    log_tail: bool = False  # lambda:invoke with LogType Tail
    mocked: bool = False  # a mocked response answers at once, even for a task token


def _plan(run: Run, state: TaskState, target: resources.Target, payload: JSON) -> _Call:
    override = run.task_override(state.name) if run.task_override is not None else None
    if override is not None:  # a mocked response: the result exactly as given
        return _Call(override, state.name, payload, None, state.resource, False, mocked=True)
    if target.style == "lambda-arn":
        return _Call(run.resolver.find(state.resource), state.resource, payload, "spaced", state.resource, False)
    if target.style == "lambda-invoke":
        name = str(payload.get("FunctionName", "")) if isinstance(payload, dict) else ""
        event = payload.get("Payload") if isinstance(payload, dict) else None
        if event is None:  # Lambda receives an empty event
            event = {}
        elif isinstance(event, str):  # a string Payload is sent as raw JSON text
            with contextlib.suppress(ValueError):
                event = json.loads(event)
        tail = isinstance(payload, dict) and payload.get("LogType") == "Tail"
        return _Call(run.resolver.find(name), name, event, "compact", target.resource_type, True, tail)
    return _Call(run.resolver.find(state.resource), state.resource, payload, None, state.resource, False)


def _seconds(state: TaskState, expr: Expr | None, field: str, scope: Scope) -> int | None:
    if expr is None:
        return None
    try:
        value = expr(scope)
    except paths.PathNotFound as missing:
        raise RuntimeFailure(missing.cause) from None
    if field.endswith("Path"):
        return int(number(value, field, field_text(state, field)))
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise QueryEvaluationError(f"The {field} field must be a positive integer but was: {text(value)}")
    return int(value)


async def run_task(run: Run, state: TaskState, raw: JSON, env: Env, history: History, lane: Lane) -> JSON:
    """One attempt of a Task: its result, or the ExecutionError it failed with."""
    target = resources.classify(state.resource)
    token: TaskToken | None = None
    if target.pattern == ".waitForTaskToken":
        token = TaskToken(run.uuid(), state.name)
        context = env.context
        assert isinstance(context, dict)  # the executor always makes `$$` an object
        context.setdefault("Task", {"Token": token.token})  # TestState may give `$$` with a token of its own
    payload = effective_input(state, raw, env)
    if payload is not raw:  # an unchanged input was measured when it was made
        run.check_size(payload, state.name)  # DG: an input over the quota after Parameters is terminal
    scope = states_scope(env, raw) if state.jsonata else Scope(raw, env)
    timeout = _seconds(state, state.timeout_seconds, state.timeout_field, scope)
    heartbeat = _seconds(state, state.heartbeat_seconds, state.heartbeat_field, scope)
    request_id = run.uuid()

    if target.style == "lambda-arn":
        scheduled: dict[str, JSON] = {"resource": state.resource, "input": payload}
        if timeout is not None:
            scheduled["timeoutInSeconds"] = timeout
        history.add(lane, "LambdaFunctionScheduled", scheduled)
        history.add(lane, "LambdaFunctionStarted")
        prefix, tail = "LambdaFunction", {}
    else:
        scheduled = {
            "resourceType": target.resource_type,
            "resource": target.api,
            "region": REGION,
            "parameters": payload,
        }
        if timeout is not None:
            scheduled["timeoutInSeconds"] = timeout
        if heartbeat is not None:
            scheduled["heartbeatInSeconds"] = heartbeat
        history.add(lane, "TaskScheduled", scheduled)
        prefix, tail = "Task", {"resourceType": target.resource_type, "resource": target.api}
        history.add(lane, "TaskStarted", dict(tail))

    call = _plan(run, state, target, payload)
    # A durable execution's record may already hold this attempt's outcome: then it is not called again.
    replayed: Replayed | None = run.recorder.recorded_task(lane, prefix) if run.recorder is not None else None

    async def attempt() -> JSON:
        if replayed is None:
            result = await _invoke(run, call, request_id, token)
        elif not replayed.submitted:
            return replayed.finish(timeout, heartbeat)
        else:  # the resource was called; what it returned is recorded
            result = replayed.result
            if token is not None:
                run.tokens[token.token] = token
                run.recorder.before_call(token, state.name)
        if call.mocked or (token is None and target.pattern == ""):
            return result
        history.add(lane, "TaskSubmitted", {**tail, "output": result})
        if token is None:  # .sync: the job's result is the callable's result
            return result
        if replayed is not None and replayed.outcome is not None:
            return replayed.finish(timeout, heartbeat)
        output = await _wait_for_token(run, token, heartbeat)  # JSON: send_task_success checks it
        run.check_size(output, state.name, catchable=True)  # as an oversized result is
        return output

    try:
        result = await with_timeout(run, attempt, timeout)
    except ExecutionError as error:
        kind = "TimedOut" if error.error == "States.Timeout" else "Failed"
        failure: dict[str, JSON] = {**tail, "error": error.error}
        if error.cause:
            failure["cause"] = error.cause
        history.add(lane, f"{prefix}{kind}", failure)
        raise
    finally:
        if token is not None:
            run.tokens.pop(token.token, None)
            if run.recorder is not None:
                run.recorder.token_closed(token.token)
    history.add(lane, f"{prefix}Succeeded", {**tail, "output": result})
    return cast(JSON, result)


async def _invoke(run: Run, call: _Call, request_id: str, token: TaskToken | None) -> JSON:
    if token is not None:
        run.tokens[token.token] = token
    if run.recorder is not None:  # durable: what led to the call (and its token) is committed first
        run.recorder.before_call(token, call.name)
    if call.function is None:
        raise _not_found(run, call)
    function = call.function
    context = resources.Invocation(call.name, request_id, token)
    if token is not None and resources._accepts_context(function):
        token.handed = True
    outside = resources.is_async(function)
    if outside:  # an async resource awaits the world, not our clock
        run.clock.away()
    try:
        result = await resources.invoke(
            function,
            call.payload,
            context,
            lambda_style=call.lambda_style,
            request_id=request_id,
            name=call.limit_name,
            limit=run.limits.payload_bytes,
        )
    finally:
        if outside:
            run.clock.back()
    await anyio.lowlevel.checkpoint_if_cancelled()  # a callable that swallowed its cancellation stops here
    if call.envelope:
        return lambda_envelope(result, request_id, call.log_tail)
    return result


def _not_found(run: Run, call: _Call) -> ExecutionError:
    if call.lambda_style == "compact":
        arn = run.resolver.function_arn(call.name)
        return TaskFailed(
            "Lambda.ResourceNotFoundException",
            f"Function not found: {arn}:$LATEST (Service: AWSLambda; Status Code: 404; Error Code: "
            f"ResourceNotFoundException; Request ID: {run.uuid()}; Proxy: null)",
        )
    return TaskFailed("States.TaskFailed", f"No callable was given for the resource '{call.name}'.")


async def _wait_for_token(run: Run, token: TaskToken, heartbeat: int | None) -> JSON:
    """Wait (parked on the clock) for SendTaskSuccess/Failure; a missed heartbeat is a timeout."""
    run.clock.park()
    try:
        while not token.done.is_set():
            if heartbeat is None:
                await token.done.wait()
                break
            beat = token.heartbeat
            if not await _any_before(run, (token.done, beat), heartbeat):
                raise HeartbeatTimeout("")
            if beat.is_set():
                token.heartbeat = anyio.Event()
    finally:
        run.clock.unpark()
    if token.error is not None:
        raise token.error
    return token.output


async def _any_before(run: Run, events: tuple[anyio.Event, ...], seconds: float) -> bool:
    """Whether one of `events` is set before `seconds` of clock time pass."""
    happened = False

    async def watch(event: anyio.Event) -> None:
        nonlocal happened
        await event.wait()
        happened = True
        tg.cancel_scope.cancel()

    async def timer() -> None:
        try:
            await run.clock.sleep(seconds)
        finally:
            run.clock.idle()
        tg.cancel_scope.cancel()

    async with anyio.create_task_group() as tg:
        for event in events:
            tg.start_soon(watch, event)
        run.clock.busy()
        tg.start_soon(timer)
    return happened


async def with_timeout(run: Run, work: Callable[[], Awaitable[Any]], seconds: float | None) -> Any:
    """Await `work()`; past `seconds` of clock time it is cancelled and States.Timeout raised."""
    if seconds is None:
        return await work()
    outcome: dict[str, Any] = {}

    async def timer() -> None:
        try:
            await run.clock.sleep(seconds)
            outcome.setdefault("timeout", True)
            tg.cancel_scope.cancel()
        finally:
            run.clock.idle()

    async def worker() -> None:
        try:
            outcome.setdefault("result", await work())
            tg.cancel_scope.cancel()
        except ExecutionError as error:
            outcome.setdefault("error", error)
            tg.cancel_scope.cancel()
        finally:
            run.clock.idle()

    async with anyio.create_task_group() as tg:
        for task in (timer, worker):
            run.clock.busy()  # counted from now, so time cannot jump before the task starts
            tg.start_soon(task)
        run.clock.idle()  # this task only waits for the two above
    run.clock.busy()
    first = next(iter(outcome), "timeout")  # the first to happen wins, even if the callable ran on
    if first == "result":
        return outcome["result"]
    if first == "error":
        raise outcome["error"]
    raise Timeout("")


def lambda_envelope(result: JSON, request_id: str, log_tail: bool) -> JSON:
    """AWS's lambda:invoke result; `LogType: Tail` adds the log tail header as AWS does."""
    length = str(len(json.dumps(result).encode()))
    all_headers: dict[str, JSON] = {
        "X-Amz-Executed-Version": ["$LATEST"],
        "x-amzn-Remapped-Content-Length": ["0"],
        "Connection": ["keep-alive"],
        "x-amzn-RequestId": [request_id],
        "Content-Length": [length],
        "Date": ["Thu, 01 Jan 2026 00:00:00 GMT"],
        "X-Amzn-Trace-Id": ["Root=1-00000000-000000000000000000000000;Sampled=0"],
        "Content-Type": ["application/json"],
    }
    headers: dict[str, JSON] = {
        "Connection": "keep-alive",
        "Content-Length": length,
        "Content-Type": "application/json",
        "Date": "Thu, 01 Jan 2026 00:00:00 GMT",
        "X-Amz-Executed-Version": "$LATEST",
        "x-amzn-Remapped-Content-Length": "0",
        "x-amzn-RequestId": request_id,
        "X-Amzn-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
    }
    envelope: dict[str, JSON] = {"ExecutedVersion": "$LATEST"}
    if log_tail:
        log = base64.b64encode(f"START RequestId: {request_id} Version: $LATEST\n".encode()).decode()
        envelope["LogResult"] = log
        all_headers = {"X-Amz-Log-Result": [log], **all_headers}
        headers["X-Amz-Log-Result"] = log
    envelope["Payload"] = result
    envelope["SdkHttpMetadata"] = {"AllHttpHeaders": all_headers, "HttpHeaders": headers, "HttpStatusCode": 200}
    envelope["SdkResponseMetadata"] = {"RequestId": request_id}
    envelope["StatusCode"] = 200
    return envelope
