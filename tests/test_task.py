"""Task states through whole executions: how callables are invoked, how their failures are named,
Lambda ARNs versus `lambda:invoke`, ResultSelector, timeouts and heartbeats on virtual time."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest

import asl
from helpers import CALLBACK, GUARD, hang, machine, run

pytestmark = pytest.mark.anyio


FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:work"
INVOKE = "arn:aws:states:::lambda:invoke"


def task(resource: str = "work", **fields: Any) -> asl.StateMachine:
    return machine({"T": {"Type": "Task", "Resource": resource, **fields, "End": True}})


# -- invoking callables -----------------------------------------------------------------------------


async def test_sync_callable_result_is_the_task_output() -> None:
    execution = await run(task(), {"n": 2}, resources={"work": lambda event: {"double": event["n"] * 2}})
    assert execution.output == {"double": 4}


async def test_async_callable_result_is_the_task_output() -> None:
    async def work(event: Any) -> Any:
        await anyio.lowlevel.checkpoint()
        return [event, "async"]

    execution = await run(task(), 1, resources={"work": work})
    assert execution.output == [1, "async"]


async def test_two_argument_callable_receives_a_lambda_like_context() -> None:
    seen: list[Any] = []

    def work(event: Any, context: Any) -> Any:
        seen.append((context.function_name, context.aws_request_id))
        return event

    execution = await run(task(), {"a": 1}, resources={"work": work})
    assert execution.output == {"a": 1}
    assert seen[0][0] == "work"
    assert isinstance(seen[0][1], str) and seen[0][1]


async def test_callable_receives_the_effective_input() -> None:
    seen: list[Any] = []
    mach = task(InputPath="$.order", Parameters={"id.$": "$.id", "fixed": True})
    await run(mach, {"order": {"id": 7, "x": 0}}, resources={"work": lambda event: seen.append(event)})
    assert seen == [{"id": 7, "fixed": True}]


async def test_callable_registered_by_function_name_serves_its_lambda_arn() -> None:
    execution = await run(task(FUNCTION_ARN), {}, resources={"work": lambda _: "by-name"})
    assert execution.output == "by-name"


async def test_task_failed_keeps_its_error_name_and_cause() -> None:
    def work(_event: Any) -> Any:
        raise asl.TaskFailed("PaymentDeclined", "card expired")

    execution = await run(task(), {}, resources={"work": work})
    assert execution.status is asl.Status.FAILED
    assert (execution.error, execution.cause) == ("PaymentDeclined", "card expired")


async def test_plain_exception_is_named_after_its_class() -> None:
    class OutOfStock(Exception):
        pass

    def work(_event: Any) -> Any:
        raise OutOfStock("no more widgets")

    execution = await run(task(), {}, resources={"work": work})
    assert (execution.error, execution.cause) == ("OutOfStock", "no more widgets")


async def test_async_callable_exception_is_named_after_its_class() -> None:
    async def work(_event: Any) -> Any:
        raise KeyError("k")

    execution = await run(task(), {}, resources={"work": work})
    assert execution.error == "KeyError"


async def test_raise_for_status_raises_the_execution_error() -> None:
    def work(_event: Any) -> Any:
        raise asl.TaskFailed("Boom", "why")

    execution = await run(task(), {}, resources={"work": work})
    with pytest.raises(asl.ExecutionError) as raised:
        execution.raise_for_status()
    assert (raised.value.error, raised.value.cause) == ("Boom", "why")


# -- Lambda function ARN versus lambda:invoke ------------------------------------------------------


async def test_lambda_arn_result_is_the_return_value_itself() -> None:
    execution = await run(task(FUNCTION_ARN), {"a": 1}, resources={FUNCTION_ARN: lambda event: {"got": event}})
    assert execution.output == {"got": {"a": 1}}


async def test_lambda_arn_records_lambda_function_events() -> None:
    execution = await run(task(FUNCTION_ARN), {}, resources={FUNCTION_ARN: lambda event: event})
    assert [event.type for event in execution.history] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]


async def test_lambda_arn_exception_cause_is_the_lambda_runtime_json() -> None:
    def handler(event: Any, context: Any) -> Any:
        raise ValueError("bad value")

    execution = await run(task(FUNCTION_ARN), {}, resources={FUNCTION_ARN: handler})
    assert execution.error == "ValueError"
    assert execution.cause is not None
    body = json.loads(execution.cause)
    assert body["errorMessage"] == "bad value"
    assert body["errorType"] == "ValueError"
    assert isinstance(body["requestId"], str) and body["requestId"]
    assert any("raise ValueError" in line for line in body["stackTrace"])
    assert '"errorType": "ValueError"' in execution.cause  # spaced separators for function ARNs


async def test_lambda_invoke_wraps_the_return_value_in_the_aws_envelope() -> None:
    mach = task(INVOKE, Parameters={"FunctionName": FUNCTION_ARN, "Payload.$": "$"})
    execution = await run(mach, {"a": 1}, resources={FUNCTION_ARN: lambda event: {"got": event}})
    assert execution.output["Payload"] == {"got": {"a": 1}}
    assert execution.output["StatusCode"] == 200
    assert execution.output["ExecutedVersion"] == "$LATEST"
    assert set(execution.output) == {
        "ExecutedVersion",
        "Payload",
        "SdkHttpMetadata",
        "SdkResponseMetadata",
        "StatusCode",
    }


async def test_lambda_invoke_resolves_a_bare_function_name() -> None:
    mach = task(INVOKE, Parameters={"FunctionName": "work", "Payload": {"k": 1}}, OutputPath="$.Payload")
    execution = await run(mach, {}, resources={FUNCTION_ARN: lambda event: event})
    assert execution.output == {"k": 1}


async def test_lambda_invoke_records_task_events_with_resource_type_lambda() -> None:
    mach = task(INVOKE, Parameters={"FunctionName": "work"})
    execution = await run(mach, {}, resources={"work": lambda event: event})
    scheduled = next(event for event in execution.history if event.type == "TaskScheduled")
    assert scheduled.details is not None
    assert (scheduled.details["resourceType"], scheduled.details["resource"]) == ("lambda", "invoke")


async def test_lambda_invoke_exception_cause_is_compact_lambda_json() -> None:
    def handler(event: Any, context: Any) -> Any:
        raise RuntimeError("broken")

    mach = task(INVOKE, Parameters={"FunctionName": "work"})
    execution = await run(mach, {}, resources={"work": handler})
    assert execution.error == "RuntimeError"
    assert execution.cause is not None and execution.cause.startswith(
        '{"errorMessage":"broken","errorType":"RuntimeError",'
    )


async def test_lambda_invoke_unknown_function_is_a_resource_not_found_failure() -> None:
    mach = task(INVOKE, Parameters={"FunctionName.$": "$.fn"})
    execution = await run(mach, {"fn": "nope"}, resources={})
    assert execution.error == "Lambda.ResourceNotFoundException"
    assert execution.cause is not None
    assert execution.cause.startswith(
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST (Service: AWSLambda; "
        "Status Code: 404; Error Code: ResourceNotFoundException; Request ID: "
    )


# -- ResultSelector ---------------------------------------------------------------------------------


async def test_result_selector_shapes_the_result() -> None:
    mach = task(ResultSelector={"total.$": "$.sum", "kind": "summary"})
    execution = await run(mach, {}, resources={"work": lambda _: {"sum": 10, "noise": [1, 2]}})
    assert execution.output == {"total": 10, "kind": "summary"}


async def test_result_selector_runs_before_result_path() -> None:
    mach = task(ResultSelector={"total.$": "$.sum"}, ResultPath="$.result")
    execution = await run(mach, {"keep": 1}, resources={"work": lambda _: {"sum": 10}})
    assert execution.output == {"keep": 1, "result": {"total": 10}}


async def test_result_selector_over_the_lambda_invoke_envelope() -> None:
    mach = task(INVOKE, Parameters={"FunctionName": "work"}, ResultSelector={"body.$": "$.Payload.body"})
    execution = await run(mach, {}, resources={"work": lambda _: {"body": "hi"}})
    assert execution.output == {"body": "hi"}


async def test_result_selector_path_missing_is_a_runtime_failure() -> None:
    mach = task(ResultSelector={"v.$": "$.absent"})
    execution = await run(mach, {}, resources={"work": lambda _: {"present": 1}})
    assert execution.error == "States.Runtime"
    assert execution.cause == (
        "An error occurred while executing the state 'T' (entered at the event id #2). "
        "The JSONPath '$.absent' specified for the field 'v.$' could not be found in the input '{\"present\":1}'"
    )


async def test_task_result_over_the_payload_quota_is_caught_by_states_all() -> None:
    mach = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "work",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        }
    )
    execution = await run(mach, {}, resources={"work": lambda _: "x" * 300_000})
    assert execution.status is asl.Status.SUCCEEDED
    assert execution.output["Error"] == "States.DataLimitExceeded"


# -- timeouts ------------------------------------------------------------------------------------


async def test_timeout_seconds_fails_a_slow_task_with_states_timeout() -> None:
    clock = asl.VirtualClock(0)
    execution = await run(task(TimeoutSeconds=5), {}, resources={"work": hang}, clock=clock)
    assert (execution.status, execution.error) == (asl.Status.FAILED, "States.Timeout")
    assert clock.now() == 5


async def test_timeout_records_a_task_timed_out_event_without_cause() -> None:
    execution = await run(task(TimeoutSeconds=5), {}, resources={"work": hang})
    timed_out = [event for event in execution.history if event.type == "TaskTimedOut"]
    assert len(timed_out) == 1
    assert timed_out[0].details is not None
    assert timed_out[0].details["error"] == "States.Timeout"
    assert "cause" not in timed_out[0].details


async def test_lambda_arn_timeout_records_lambda_function_timed_out() -> None:
    execution = await run(task(FUNCTION_ARN, TimeoutSeconds=3), {}, resources={FUNCTION_ARN: hang})
    assert execution.error == "States.Timeout"
    assert "LambdaFunctionTimedOut" in [event.type for event in execution.history]


async def test_task_that_finishes_in_time_is_not_timed_out() -> None:
    async def quick(event: Any) -> Any:
        await anyio.lowlevel.checkpoint()
        return "done"

    execution = await run(task(TimeoutSeconds=5), {}, resources={"work": quick})
    assert execution.output == "done"


async def test_timeout_seconds_path_reads_the_limit_from_the_input() -> None:
    clock = asl.VirtualClock(0)
    execution = await run(task(TimeoutSecondsPath="$.limit"), {"limit": 12}, resources={"work": hang}, clock=clock)
    assert execution.error == "States.Timeout"
    assert clock.now() == 12


async def test_timeout_seconds_path_is_recorded_on_task_scheduled() -> None:
    execution = await run(task(TimeoutSecondsPath="$.limit"), {"limit": 12}, resources={"work": hang})
    scheduled = next(event for event in execution.history if event.type == "TaskScheduled")
    assert scheduled.details is not None and scheduled.details["timeoutInSeconds"] == 12


async def test_timeout_seconds_path_missing_is_a_runtime_failure() -> None:
    execution = await run(task(TimeoutSecondsPath="$.limit"), {}, resources={"work": hang})
    assert execution.error == "States.Runtime"
    assert execution.cause == (
        "An error occurred while executing the state 'T' (entered at the event id #2). "
        "Invalid path '$.limit' : No results for path: $['limit']"
    )


# -- callbacks and heartbeats -------------------------------------------------------------------


async def test_task_token_is_available_as_context_task_token() -> None:
    seen: list[Any] = []
    mach = task(CALLBACK, Parameters={"token.$": "$$.Task.Token"}, HeartbeatSeconds=5)
    await run(mach, {}, resources={CALLBACK: lambda event: seen.append(event)})
    assert isinstance(seen[0]["token"], str) and seen[0]["token"]


async def test_missed_heartbeat_fails_with_states_timeout_after_heartbeat_seconds() -> None:
    clock = asl.VirtualClock(0)
    mach = task(CALLBACK, Parameters={"t.$": "$$.Task.Token"}, HeartbeatSeconds=5, TimeoutSeconds=60)
    execution = await run(mach, {}, resources={CALLBACK: lambda event: None}, clock=clock)
    assert (execution.error, execution.cause) == ("States.Timeout", None)
    assert clock.now() == 5


async def test_missed_heartbeat_is_caught_as_states_heartbeat_timeout() -> None:
    mach = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": CALLBACK,
                "HeartbeatSeconds": 5,
                "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        }
    )
    execution = await run(mach, {}, resources={CALLBACK: lambda event: None})
    assert execution.output == {"Error": "States.Timeout", "Cause": ""}


async def test_heartbeats_keep_a_callback_task_alive_past_heartbeat_seconds() -> None:
    tokens: list[str] = []
    holder: list[asl.Execution] = []
    beats = 0

    def on_event(event: asl.HistoryEvent) -> None:
        nonlocal beats
        if event.type != "WaitStateExited":
            return
        beats += 1
        if beats < 3:
            holder[0].send_task_heartbeat(tokens[0])
        else:
            holder[0].send_task_success(tokens[0], {"after": beats})

    callback = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": CALLBACK,
                "Parameters": {"t.$": "$$.Task.Token"},
                "HeartbeatSeconds": 10,
                "End": True,
            }
        },
    }
    beater = {
        "StartAt": "W1",
        "States": {
            "W1": {"Type": "Wait", "Seconds": 8, "Next": "W2"},
            "W2": {"Type": "Wait", "Seconds": 8, "Next": "W3"},
            "W3": {"Type": "Wait", "Seconds": 8, "End": True},
        },
    }
    mach = machine({"P": {"Type": "Parallel", "Branches": [callback, beater], "End": True}})
    clock = asl.VirtualClock(0)
    resources = {CALLBACK: lambda event: tokens.append(event["t"])}
    with anyio.fail_after(GUARD):
        async with asl.start(mach, {}, resources=resources, clock=clock, on_event=on_event) as execution:
            holder.append(execution)
    assert execution.status is asl.Status.SUCCEEDED, (execution.error, execution.cause)
    assert execution.output == [{"after": 3}, {}]
    assert clock.now() == 24


async def test_callback_task_records_task_submitted_with_the_resource_output() -> None:
    mach = task(CALLBACK, HeartbeatSeconds=5)
    execution = await run(mach, {}, resources={CALLBACK: lambda event: {"MessageId": "m-1"}})
    submitted = next(event for event in execution.history if event.type == "TaskSubmitted")
    assert submitted.details is not None and submitted.details["output"] == {"MessageId": "m-1"}


async def test_each_attempt_gets_a_fresh_task_token() -> None:
    tokens: list[str] = []
    mach = task(
        CALLBACK,
        Parameters={"t.$": "$$.Task.Token"},
        HeartbeatSeconds=5,
        Retry=[{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 1}],
    )
    execution = await run(mach, {}, resources={CALLBACK: lambda event: tokens.append(event["t"])})
    assert execution.error == "States.Timeout"
    assert len(tokens) == 2 and tokens[0] != tokens[1]


async def test_heartbeat_seconds_path_reads_the_interval_from_the_input() -> None:
    clock = asl.VirtualClock(0)
    mach = task(CALLBACK, HeartbeatSecondsPath="$.hb")
    execution = await run(mach, {"hb": 7}, resources={CALLBACK: lambda event: None}, clock=clock)
    assert execution.error == "States.Timeout"
    assert clock.now() == 7


# -- mocks ---------------------------------------------------------------------------------------


async def test_task_override_replaces_the_resource_of_one_state() -> None:
    def override(state: str) -> Any:
        return (lambda _event: "mocked") if state == "T" else None

    execution = await run(task("arn:aws:lambda:us-east-1:123456789012:function:absent"), {}, task_override=override)
    assert execution.output == "mocked"
