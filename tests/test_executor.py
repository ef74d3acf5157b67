"""Executions as a whole: Choice, Succeed and Fail, statuses, execution timeouts, abort, task
tokens, live events, limits, resources checked up front, concurrency and both async backends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

import asl
from asl.errors import ResourceError
from helpers import CALLBACK, GUARD, LOOP, answer_callback, callback_machine, hang, machine, run

pytestmark = pytest.mark.anyio


# -- Choice ---------------------------------------------------------------------------------------


def sorter() -> asl.StateMachine:
    return machine(
        {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.n", "NumericLessThan": 0, "Next": "Negative"},
                    {
                        "And": [
                            {"Variable": "$.n", "NumericGreaterThanEquals": 0},
                            {"Variable": "$.n", "NumericLessThan": 10},
                        ],
                        "Next": "Small",
                    },
                    {"Variable": "$.name", "StringMatches": "big*", "Next": "Big"},
                ],
                "Default": "Other",
            },
            "Negative": {"Type": "Pass", "Result": "negative", "End": True},
            "Small": {"Type": "Pass", "Result": "small", "End": True},
            "Big": {"Type": "Pass", "Result": "big", "End": True},
            "Other": {"Type": "Pass", "Result": "other", "End": True},
        }
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"n": -1}, "negative"),
        ({"n": 3}, "small"),
        ({"n": 30, "name": "big-one"}, "big"),
        ({"n": 30, "name": "tiny"}, "other"),
    ],
)
async def test_choice_takes_the_first_matching_rule_or_the_default(value: Any, expected: str) -> None:
    assert (await run(sorter(), value)).output == expected


async def test_choice_rules_are_tried_in_order() -> None:
    mach = machine(
        {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.n", "NumericGreaterThan": 0, "Next": "First"},
                    {"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Second"},
                ],
            },
            "First": {"Type": "Pass", "Result": 1, "End": True},
            "Second": {"Type": "Pass", "Result": 2, "End": True},
        }
    )
    assert (await run(mach, {"n": 10})).output == 1


async def test_choice_without_a_match_or_default_fails_with_no_choice_matched() -> None:
    mach = machine(
        {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "P"}]},
            "P": {"Type": "Pass", "End": True},
        }
    )
    execution = await run(mach, {"n": 2})
    assert (execution.status, execution.error) == (asl.Status.FAILED, "States.NoChoiceMatched")


async def test_choice_passes_its_input_through_input_and_output_path() -> None:
    mach = machine(
        {
            "C": {
                "Type": "Choice",
                "InputPath": "$.a",
                "OutputPath": "$.b",
                "Choices": [{"Variable": "$.b", "IsPresent": True, "Next": "P"}],
            },
            "P": {"Type": "Pass", "End": True},
        }
    )
    assert (await run(mach, {"a": {"b": 5}})).output == 5


async def test_choice_type_mismatch_is_false_not_an_error() -> None:
    mach = machine(
        {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericEquals": 0, "Next": "Zero"}],
                "Default": "Other",
            },
            "Zero": {"Type": "Pass", "Result": "zero", "End": True},
            "Other": {"Type": "Pass", "Result": "other", "End": True},
        }
    )
    assert (await run(mach, {"n": "0"})).output == "other"


async def test_choice_can_loop_back_to_an_earlier_state() -> None:
    mach = machine(
        {
            "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericLessThan": 5, "Next": "Inc"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        }
    )
    assert (await run(mach, {"n": 0})).output == {"n": 5}


# -- Succeed and Fail -----------------------------------------------------------------------------


async def test_succeed_applies_input_path_then_output_path() -> None:
    mach = machine({"S": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}})
    execution = await run(mach, {"a": {"b": [1]}})
    assert (execution.status, execution.output) == (asl.Status.SUCCEEDED, [1])


async def test_succeed_in_a_parallel_branch_ends_only_that_branch() -> None:
    branch = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
    mach = machine(
        {
            "P": {"Type": "Parallel", "Branches": [branch], "Next": "After"},
            "After": {"Type": "Pass", "Result": "after", "End": True},
        }
    )
    assert (await run(mach, {})).output == "after"


async def test_fail_reports_its_error_and_cause() -> None:
    execution = await run(machine({"F": {"Type": "Fail", "Error": "SomeFailure", "Cause": "it broke"}}), {})
    assert (execution.status, execution.error, execution.cause) == (asl.Status.FAILED, "SomeFailure", "it broke")


async def test_fail_without_error_or_cause_records_empty_details() -> None:
    execution = await run(machine({"F": {"Type": "Fail"}}), {})
    assert execution.status is asl.Status.FAILED
    assert not execution.error and not execution.cause
    assert execution.history[-1].to_dict()["executionFailedEventDetails"] == {}


async def test_fail_with_only_a_cause_has_no_error_as_its_history_says() -> None:
    execution = await run(machine({"F": {"Type": "Fail", "Cause": "it broke"}}), {})
    assert (execution.status, execution.error, execution.cause) == (asl.Status.FAILED, None, "it broke")
    assert execution.history[-1].to_dict()["executionFailedEventDetails"] == {"cause": "it broke"}


async def test_fail_with_only_an_error_has_no_cause() -> None:
    execution = await run(machine({"F": {"Type": "Fail", "Error": "E"}}), {})
    assert (execution.error, execution.cause) == ("E", None)


async def test_fail_error_path_and_cause_path_read_the_input() -> None:
    mach = machine({"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}})
    execution = await run(mach, {"e": "error string", "c": "cause string"})
    assert (execution.error, execution.cause) == ("error string", "cause string")


async def test_fail_cause_path_may_call_an_intrinsic() -> None:
    mach = machine({"F": {"Type": "Fail", "Error": "E", "CausePath": "States.Format('caused by {}', $.who)"}})
    assert (await run(mach, {"who": "me"})).cause == "caused by me"


async def test_fail_cause_path_missing_is_a_runtime_failure() -> None:
    mach = machine(
        {"P": {"Type": "Pass", "Next": "F"}, "F": {"Type": "Fail", "Error": "E", "CausePath": "$.NoSuchCausePath"}}
    )
    execution = await run(mach, {"a": 1})
    assert execution.error == "States.Runtime"
    assert execution.cause == (
        "An error occurred while executing the state 'F' (entered at the event id #4). "
        "The JSONPath '$.NoSuchCausePath' specified for the field 'CausePath' could not be found "
        "in the input '{\"a\":1}'"
    )


async def test_fail_records_no_exited_event() -> None:
    execution = await run(machine({"F": {"Type": "Fail", "Error": "E"}}), {})
    assert [event.type for event in execution.history] == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]


# -- results and statuses ---------------------------------------------------------------------------


async def test_status_is_a_string_enum() -> None:
    execution = await run(machine({"P": {"Type": "Pass", "End": True}}), {})
    assert execution.status == "SUCCEEDED"
    assert str(execution.status) == "SUCCEEDED"


async def test_failed_execution_is_a_result_not_an_exception() -> None:
    execution = await run(machine({"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}), {})
    assert execution.output is None
    with pytest.raises(asl.ExecutionError):
        execution.raise_for_status()


async def test_succeeded_execution_raise_for_status_does_nothing() -> None:
    execution = await run(machine({"P": {"Type": "Pass", "End": True}}), {})
    execution.raise_for_status()


async def test_execution_name_and_arn() -> None:
    execution = await run(machine({"P": {"Type": "Pass", "End": True}}), {}, name="order-7")
    assert execution.name == "order-7"
    assert execution.arn == "arn:aws:states:us-east-1:123456789012:execution:StateMachine:order-7"


@pytest.mark.parametrize("name", ["has space", "what?", "x" * 81, "a/b"])
async def test_execution_name_aws_forbids_is_rejected(name: str) -> None:
    with pytest.raises((asl.AslError, ValueError)):
        await run(machine({"P": {"Type": "Pass", "End": True}}), {}, name=name)


async def test_same_seed_gives_the_same_uuids() -> None:
    mach = machine({"P": {"Type": "Pass", "Parameters": {"id.$": "States.UUID()"}, "End": True}})
    first = await run(mach, {}, seed=7)
    second = await run(mach, {}, seed=7)
    other = await run(mach, {}, seed=8)
    assert first.output == second.output
    assert first.name == second.name
    assert first.output != other.output


def test_sync_run_returns_a_finished_execution() -> None:
    execution = asl.run(machine({"P": {"Type": "Pass", "Result": "done", "End": True}}), {}, clock=asl.VirtualClock(0))
    assert (execution.status, execution.output) == (asl.Status.SUCCEEDED, "done")


def test_execute_runs_under_trio() -> None:
    mach = machine(
        {"W": {"Type": "Wait", "Seconds": 3600, "Next": "T"}, "T": {"Type": "Task", "Resource": "work", "End": True}}
    )

    async def main() -> asl.Execution:
        return await asl.execute(mach, {"a": 1}, resources={"work": lambda event: [event]}, clock=asl.VirtualClock(0))

    execution = anyio.run(main, backend="trio")
    assert execution.output == [{"a": 1}]


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_parallel_tasks_and_waits_run_on_both_backends(anyio_backend: str) -> None:
    async def work(event: Any) -> Any:
        await anyio.lowlevel.checkpoint()
        return event * 2

    branches = [
        {
            "StartAt": f"T{i}",
            "States": {f"T{i}": {"Type": "Task", "Resource": "work", "InputPath": f"$[{i}]", "End": True}},
        }
        for i in range(3)
    ]
    waiting = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}
    mach = machine({"P": {"Type": "Parallel", "Branches": [*branches, waiting], "End": True}})
    clock = asl.VirtualClock(0)
    with anyio.fail_after(GUARD):
        execution = await asl.execute(mach, [1, 2, 3], resources={"work": work}, clock=clock)
    assert execution.output == [2, 4, 6, [1, 2, 3]]
    assert clock.now() == 60


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_one_machine_runs_many_executions_concurrently(anyio_backend: str) -> None:
    mach = machine(
        {
            "W": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "T"},
            "T": {"Type": "Task", "Resource": "work", "ResultPath": "$.result", "End": True},
        }
    )

    async def work(event: Any) -> Any:
        await anyio.lowlevel.checkpoint()
        return event["n"] * 10

    results: dict[int, asl.Execution] = {}
    clocks = {n: asl.VirtualClock(0) for n in range(20)}

    async def one(n: int) -> None:
        results[n] = await asl.execute(mach, {"n": n, "delay": 20 - n}, resources={"work": work}, clock=clocks[n])

    async with anyio.create_task_group() as tg:
        for n in range(20):
            tg.start_soon(one, n)
    for n in range(20):
        assert results[n].output == {"n": n, "delay": 20 - n, "result": n * 10}
        assert clocks[n].now() == 20 - n
    assert len({execution.name for execution in results.values()}) == 20


# -- execution timeout and abort -------------------------------------------------------------------


async def test_execution_timeout_seconds_times_the_execution_out() -> None:
    clock = asl.VirtualClock(0)
    mach = machine({"W": {"Type": "Wait", "Seconds": 100, "End": True}}, TimeoutSeconds=30)
    execution = await run(mach, {}, clock=clock)
    assert (execution.status, execution.error) == (asl.Status.TIMED_OUT, "States.Timeout")
    assert clock.now() == 30
    assert execution.history[-1].type == "ExecutionTimedOut"


async def test_execution_timeout_does_not_fire_when_the_execution_finishes_first() -> None:
    mach = machine({"W": {"Type": "Wait", "Seconds": 10, "End": True}}, TimeoutSeconds=30)
    assert (await run(mach, {})).status is asl.Status.SUCCEEDED


async def test_execution_timeout_cuts_a_hanging_task() -> None:
    clock = asl.VirtualClock(0)
    mach = machine({"T": {"Type": "Task", "Resource": "hang", "End": True}}, TimeoutSeconds=5)
    execution = await run(mach, {}, resources={"hang": hang}, clock=clock)
    assert execution.status is asl.Status.TIMED_OUT
    assert clock.now() == 5


async def test_abort_stops_a_running_execution() -> None:
    mach = machine({"T": {"Type": "Task", "Resource": "hang", "End": True}})
    with anyio.fail_after(GUARD):
        async with asl.start(mach, {}, resources={"hang": hang}, clock=asl.VirtualClock(0)) as execution:
            async for event in execution.events():
                if event.type == "TaskStarted":
                    execution.abort()
    assert execution.status is asl.Status.ABORTED
    types = [event.type for event in execution.history]
    assert types[-2:] == ["TaskStateAborted", "ExecutionAborted"]


async def test_abort_records_its_error_and_cause() -> None:
    mach = machine({"T": {"Type": "Task", "Resource": "hang", "End": True}})
    with anyio.fail_after(GUARD):
        async with asl.start(mach, {}, resources={"hang": hang}, clock=asl.VirtualClock(0)) as execution:
            async for event in execution.events():
                if event.type == "TaskStarted":
                    execution.abort("Stopped.ByUser", "no longer needed")
    assert (execution.error, execution.cause) == ("Stopped.ByUser", "no longer needed")
    assert execution.history[-1].to_dict()["executionAbortedEventDetails"] == {
        "error": "Stopped.ByUser",
        "cause": "no longer needed",
    }


async def test_abort_marks_running_tasks_and_the_map_aborted() -> None:
    processor = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "hang", "End": True}}}
    mach = machine({"M": {"Type": "Map", "ItemProcessor": processor, "End": True}})
    with anyio.fail_after(GUARD):
        async with asl.start(mach, [1, 2], resources={"hang": hang}, clock=asl.VirtualClock(0)) as execution:
            started = 0
            async for event in execution.events():
                started += event.type == "TaskStarted"
                if started == 2:
                    execution.abort()
                    started += 1
    types = [event.type for event in execution.history]
    assert types.count("TaskStateAborted") == 2
    assert "MapStateAborted" in types
    assert types[-1] == "ExecutionAborted"


async def test_abort_after_the_end_changes_nothing() -> None:
    with anyio.fail_after(GUARD):
        async with asl.start(machine({"P": {"Type": "Pass", "End": True}}), {}, clock=asl.VirtualClock(0)) as execution:
            pass
    execution.abort()
    assert execution.status is asl.Status.SUCCEEDED


# -- task tokens ----------------------------------------------------------------------------------


async def test_send_task_success_completes_a_callback_task() -> None:
    tokens: list[str] = []
    resources = {CALLBACK: lambda event: tokens.append(event["token"])}
    with anyio.fail_after(GUARD):
        async with asl.start(callback_machine(), {}, resources=resources, clock=asl.VirtualClock(0)) as execution:
            async for event in execution.events():
                if event.type == "TaskSubmitted":
                    assert execution.task_tokens == (tokens[0],)
                    execution.send_task_success(tokens[0], {"approved": True})
    assert (execution.status, execution.output) == (asl.Status.SUCCEEDED, {"approved": True})
    assert execution.task_tokens == ()


async def test_send_task_failure_fails_a_callback_task() -> None:
    execution = await answer_callback(
        lambda execution, token: execution.send_task_failure(token, "Rejected", "by a human")
    )
    assert (execution.status, execution.error, execution.cause) == (asl.Status.FAILED, "Rejected", "by a human")
    assert "TaskFailed" in [event.type for event in execution.history]


async def test_send_task_success_from_a_worker_thread() -> None:
    execution = await answer_callback(
        lambda execution, token: anyio.to_thread.run_sync(execution.send_task_success, token, "from a thread")
    )
    assert execution.output == "from a thread"


async def test_virtual_time_waits_for_a_follower_acting_on_an_event() -> None:
    """The follower answers from a worker thread; the 5 s execution timeout must not fire first."""
    clock = asl.VirtualClock(0)
    task = {"Type": "Task", "Resource": CALLBACK, "Parameters": {"token.$": "$$.Task.Token"}, "End": True}

    async def later(execution: asl.Execution, token: str) -> None:
        for _ in range(20):
            await anyio.sleep(0)  # the run loop gets every chance to move time on
        await anyio.to_thread.run_sync(execution.send_task_success, token, "answered")

    execution = await answer_callback(later, machine({"T": task}, TimeoutSeconds=5), clock=clock)
    assert (execution.status, execution.output, clock.now()) == (asl.Status.SUCCEEDED, "answered", 0)


async def test_a_follower_that_stops_early_lets_virtual_time_move() -> None:
    clock = asl.VirtualClock(0)
    mach = machine({"W": {"Type": "Wait", "Seconds": 3600, "Next": "P"}, "P": {"Type": "Pass", "End": True}})
    with anyio.fail_after(GUARD):
        async with asl.start(mach, {}, clock=clock) as execution:
            async for _event in execution.events():
                break  # holds one event, leaves others unread in its buffer
    assert (execution.status, clock.now()) == (asl.Status.SUCCEEDED, 3600)


async def test_unknown_task_token_raises() -> None:
    def answer(execution: asl.Execution, token: str) -> None:
        with pytest.raises(asl.AslError):
            execution.send_task_success("not-a-token", {})
        execution.send_task_success(token, "ok")

    execution = await answer_callback(answer)
    assert execution.output == "ok"


async def test_task_token_is_invalid_once_the_task_has_finished() -> None:
    tokens: list[str] = []

    def answer(execution: asl.Execution, token: str) -> None:
        tokens.append(token)
        execution.send_task_success(token, "ok")

    execution = await answer_callback(answer)
    with pytest.raises(asl.AslError):
        execution.send_task_success(tokens[0], "again")


# -- events -------------------------------------------------------------------------------------


async def test_events_stream_live_while_the_execution_runs() -> None:
    seen: list[tuple[str, bool]] = []
    with anyio.fail_after(GUARD):
        async with asl.start(
            callback_machine(), {}, resources={CALLBACK: lambda event: None}, clock=asl.VirtualClock(0)
        ) as execution:
            async for event in execution.events():
                seen.append((event.type, execution.done))
                if event.type == "TaskSubmitted":
                    execution.send_task_success(execution.task_tokens[0], "ok")
    assert [kind for kind, _ in seen] == [event.type for event in execution.history]
    assert ("TaskSubmitted", False) in seen


async def test_events_after_the_end_replays_the_history() -> None:
    with anyio.fail_after(GUARD):
        async with asl.start(machine({"P": {"Type": "Pass", "End": True}}), {}, clock=asl.VirtualClock(0)) as execution:
            pass
    replayed = [event async for event in execution.events()]
    assert replayed == execution.history
    assert replayed[-1].type == "ExecutionSucceeded"


async def test_on_event_sees_every_event_in_order() -> None:
    seen: list[asl.HistoryEvent] = []
    execution = await run(machine({"P": {"Type": "Pass", "End": True}}), {}, on_event=seen.append)
    assert seen == execution.history


async def test_wait_returns_the_finished_execution() -> None:
    with anyio.fail_after(GUARD):
        async with asl.start(
            machine({"W": {"Type": "Wait", "Seconds": 5, "End": True}}), {}, clock=asl.VirtualClock(0)
        ) as execution:
            finished = await execution.wait()
            assert finished is execution
            assert execution.done
    assert execution.status is asl.Status.SUCCEEDED


# -- limits -------------------------------------------------------------------------------------


async def test_state_output_over_the_payload_limit_fails_the_execution() -> None:
    mach = machine({"Big": {"Type": "Pass", "Result": "x" * 1_000, "End": True}})
    execution = await run(mach, {}, limits=asl.Limits(payload_bytes=500))
    assert execution.error == "States.DataLimitExceeded"
    assert execution.cause == (
        "The state/task 'Big' returned a result with a size exceeding the maximum number of bytes service limit."
    )
    assert [event.type for event in execution.history] == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]


async def test_oversized_pass_output_is_not_caught_by_a_parallel_catcher() -> None:
    branch = {"StartAt": "Big", "States": {"Big": {"Type": "Pass", "Result": "x" * 1_000, "End": True}}}
    mach = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [branch],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        }
    )
    execution = await run(mach, {}, limits=asl.Limits(payload_bytes=500))
    assert execution.error == "States.DataLimitExceeded"


async def test_default_payload_limit_is_256_kib() -> None:
    under = await run(machine({"P": {"Type": "Pass", "Result": "x" * 200_000, "End": True}}), {})
    over = await run(machine({"P": {"Type": "Pass", "Result": "x" * 300_000, "End": True}}), {})
    assert under.status is asl.Status.SUCCEEDED
    assert over.error == "States.DataLimitExceeded"


async def test_transition_cap_fails_an_endless_loop_clearly() -> None:
    execution = await run(machine(LOOP), {}, limits=asl.Limits(transitions=50))
    assert execution.status is asl.Status.FAILED
    assert execution.error == "States.Runtime"
    assert execution.cause is not None and "50 state transitions" in execution.cause


async def test_history_event_quota_fails_the_execution() -> None:
    execution = await run(machine(LOOP), {}, limits=asl.Limits(history_events=100))
    assert execution.status is asl.Status.FAILED
    assert len(execution.history) == 100
    assert execution.history[-1].type == "ExecutionFailed"


async def test_task_input_over_the_payload_limit_after_parameters_fails() -> None:
    called: list[Any] = []
    mach = machine(
        {"T": {"Type": "Task", "Resource": "work", "Parameters": {"a.$": "$.big", "b.$": "$.big"}, "End": True}}
    )
    execution = await run(mach, {"big": "x" * 200_000}, resources={"work": lambda event: called.append(1)})
    assert execution.error == "States.DataLimitExceeded"
    assert called == []


async def test_execution_timeout_cuts_a_pending_retry_delay() -> None:
    clock = asl.VirtualClock(0)

    def boom(_event: Any) -> Any:
        raise asl.TaskFailed("Boom", "again")

    mach = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "work",
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 100}],
                "End": True,
            }
        },
        TimeoutSeconds=30,
    )
    execution = await run(mach, {}, resources={"work": boom}, clock=clock)
    assert execution.status is asl.Status.TIMED_OUT
    assert clock.now() == 30


# -- resources are checked before the run ----------------------------------------------------------


async def test_missing_resource_raises_before_anything_runs() -> None:
    called: list[Any] = []
    seen: list[asl.HistoryEvent] = []
    mach = machine(
        {
            "First": {"Type": "Task", "Resource": "present", "Next": "Second"},
            "Second": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:absent",
                "End": True,
            },
        }
    )
    with pytest.raises(ResourceError) as raised:
        await asl.execute(
            mach, {}, resources={"present": called.append}, clock=asl.VirtualClock(0), on_event=seen.append
        )
    assert "absent" in str(raised.value)
    assert called == [] and seen == []


async def test_missing_resource_inside_a_map_is_found_before_the_run() -> None:
    processor = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "inner", "End": True}}}
    mach = machine({"M": {"Type": "Map", "ItemProcessor": processor, "End": True}})
    with pytest.raises(ResourceError):
        await asl.execute(mach, [1], resources={}, clock=asl.VirtualClock(0))


def test_missing_resource_raises_from_the_sync_runner() -> None:
    mach = machine({"T": {"Type": "Task", "Resource": "absent", "End": True}})
    with pytest.raises(ResourceError):
        asl.run(mach, {}, resources={})


async def test_missing_resource_raises_resource_error_from_start() -> None:
    mach = machine({"T": {"Type": "Task", "Resource": "absent", "End": True}})
    with pytest.raises(ResourceError):
        with anyio.fail_after(GUARD):
            async with asl.start(mach, {}, resources={}, clock=asl.VirtualClock(0)):
                pass


# -- what the verbs accept --------------------------------------------------------------------------

DEFINITION = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "done", "End": True}}}


def test_run_accepts_a_definition_dict() -> None:
    assert asl.run(DEFINITION, {}).output == "done"


async def test_execute_accepts_json_text_and_bytes() -> None:
    text = json.dumps(DEFINITION)
    assert (await asl.execute(text, {})).output == "done"
    assert (await asl.execute(text.encode(), {})).output == "done"


async def test_start_accepts_a_path(tmp_path: Path) -> None:
    path = tmp_path / "machine.asl.json"
    path.write_text(json.dumps(DEFINITION))
    with anyio.fail_after(GUARD):
        async with asl.start(path, {}, clock=asl.VirtualClock(0)) as execution:
            pass
    assert execution.output == "done"


async def test_an_invalid_definition_given_to_execute_raises_definition_error() -> None:
    with pytest.raises(asl.DefinitionError):
        await asl.execute({"StartAt": "Nowhere", "States": {}}, {})


def test_an_unknown_keyword_names_asl_run() -> None:
    with pytest.raises(TypeError, match=r"^asl\.run\(\) got an unexpected keyword argument 'type'"):
        asl.run(DEFINITION, {}, type="EXPRESS")


async def test_an_unknown_keyword_names_asl_execute() -> None:
    with pytest.raises(TypeError, match=r"^asl\.execute\(\) got an unexpected keyword argument 'colour'"):
        await asl.execute(DEFINITION, {}, colour="red")


async def test_an_unknown_keyword_names_asl_start() -> None:
    with pytest.raises(TypeError, match=r"^asl\.start\(\) got an unexpected keyword argument 'type'"):
        async with asl.start(DEFINITION, {}, type="EXPRESS"):
            pass


# -- the block of asl.start -------------------------------------------------------------------------


class Mine(Exception):
    pass


async def test_an_exception_in_the_start_block_comes_out_as_itself() -> None:
    with anyio.fail_after(GUARD), pytest.raises(Mine) as raised:
        async with asl.start(callback_machine(), {}, resources={CALLBACK: lambda event: None}) as execution:
            raise Mine("from the block")
    assert type(raised.value) is Mine and str(raised.value) == "from the block"
    assert execution.status is asl.Status.ABORTED


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_an_exception_in_the_start_block_comes_out_unwrapped_on_both_backends(anyio_backend: str) -> None:
    with anyio.fail_after(GUARD), pytest.raises(KeyError):
        async with asl.start(machine({"W": {"Type": "Wait", "Seconds": 60, "End": True}}), {}):
            raise KeyError("k")


async def test_an_outer_cancel_still_cancels_the_block() -> None:
    with anyio.move_on_after(0.05) as scope:
        async with asl.start(callback_machine(), {}, resources={CALLBACK: lambda event: None}) as execution:
            await anyio.sleep_forever()
    assert scope.cancelled_caught
    assert execution.status is asl.Status.ABORTED
