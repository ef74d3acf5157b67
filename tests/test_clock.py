"""Virtual time and the Wait state: durations, timestamps, their runtime errors, and the
VirtualClock that makes a one-day Wait take microseconds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anyio
import pytest

import asl
from helpers import GUARD

pytestmark = pytest.mark.anyio


PREFIX = "An error occurred while executing the state 'W' (entered at the event id #2). "
T0 = datetime(2030, 1, 1, tzinfo=UTC).timestamp()


def waiting(**fields: Any) -> asl.StateMachine:
    return asl.parse({"StartAt": "W", "States": {"W": {"Type": "Wait", **fields, "End": True}}})


async def run(mach: asl.StateMachine, value: Any, clock: asl.VirtualClock) -> asl.Execution:
    with anyio.fail_after(GUARD):
        return await asl.execute(mach, value, clock=clock)


# -- the VirtualClock ------------------------------------------------------------------------


def test_virtual_clock_starts_at_the_given_epoch_seconds() -> None:
    assert asl.VirtualClock(T0).now() == T0


def test_virtual_clock_accepts_an_aware_datetime() -> None:
    assert asl.VirtualClock(datetime(2030, 1, 1, tzinfo=UTC)).now() == T0


def test_virtual_clock_advances_by_hand() -> None:
    clock = asl.VirtualClock(T0)
    clock.advance(90)
    assert clock.now() == T0 + 90


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_one_day_wait_advances_virtual_time_by_exactly_one_day(anyio_backend: str) -> None:
    clock = asl.VirtualClock(T0)
    execution = await run(waiting(Seconds=86_400), {"k": 1}, clock)
    assert execution.output == {"k": 1}
    assert clock.now() == T0 + 86_400


def test_one_day_wait_under_the_sync_runner() -> None:
    clock = asl.VirtualClock(T0)
    execution = asl.run(waiting(Seconds=86_400), {}, clock=clock)
    assert execution.status is asl.Status.SUCCEEDED
    assert clock.now() == T0 + 86_400


async def test_consecutive_waits_add_up() -> None:
    clock = asl.VirtualClock(T0)
    mach = asl.parse(
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Wait", "Seconds": 10, "Next": "B"},
                "B": {"Type": "Wait", "Seconds": 5, "End": True},
            },
        }
    )
    await run(mach, {}, clock)
    assert clock.now() == T0 + 15


async def test_wait_events_are_stamped_with_virtual_time() -> None:
    execution = await run(waiting(Seconds=60), {}, asl.VirtualClock(T0))
    stamps = {event.type: event.timestamp for event in execution.history}
    assert stamps["WaitStateEntered"] == T0
    assert stamps["WaitStateExited"] == T0 + 60
    assert execution.history[-1].to_dict()["timestamp"] == "2030-01-01T00:01:00.000Z"


async def test_execution_start_time_in_the_context_comes_from_the_clock() -> None:
    mach = asl.parse(
        {
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "Parameters": {"t.$": "$$.Execution.StartTime"}, "End": True}},
        }
    )
    execution = await run(mach, {}, asl.VirtualClock(T0))
    assert execution.output == {"t": "2030-01-01T00:00:00.000Z"}


async def test_branches_wake_in_virtual_time_order() -> None:
    clock = asl.VirtualClock(T0)
    woke: list[tuple[str, float]] = []

    def note(event: Any) -> Any:
        woke.append((event["v"], clock.now() - T0))
        return event

    def branch(label: str, *delays: int) -> dict[str, Any]:
        states: dict[str, Any] = {}
        for step, delay in enumerate(delays):
            after = {"End": True} if step == len(delays) - 1 else {"Next": f"{label}W{step + 1}"}
            states[f"{label}W{step}"] = {"Type": "Wait", "Seconds": delay, "Next": f"{label}T{step}"}
            states[f"{label}T{step}"] = {
                "Type": "Task",
                "Resource": "note",
                "Parameters": {"v": f"{label}{step}"},
                **after,
            }
        return {"StartAt": f"{label}W0", "States": states}

    mach = asl.parse(
        {
            "StartAt": "P",
            "States": {"P": {"Type": "Parallel", "Branches": [branch("A", 5), branch("B", 3, 1, 4)], "End": True}},
        }
    )
    with anyio.fail_after(GUARD):
        execution = await asl.execute(mach, {}, resources={"note": note}, clock=clock)
    assert execution.status is asl.Status.SUCCEEDED
    assert woke == [("B0", 3), ("B1", 4), ("A0", 5), ("B2", 8)]


# -- Wait: durations --------------------------------------------------------------------------


async def test_wait_zero_seconds_does_not_advance_time() -> None:
    clock = asl.VirtualClock(T0)
    await run(waiting(Seconds=0), {}, clock)
    assert clock.now() == T0


async def test_seconds_path_reads_the_duration_from_the_input() -> None:
    clock = asl.VirtualClock(T0)
    await run(waiting(SecondsPath="$.delay"), {"delay": 42}, clock)
    assert clock.now() == T0 + 42


async def test_seconds_path_missing_is_a_runtime_failure() -> None:
    execution = await run(waiting(SecondsPath="$.input.waitSeconds"), {"input": {}}, asl.VirtualClock(T0))
    assert execution.error == "States.Runtime"
    assert (
        execution.cause == PREFIX + "The SecondsPath parameter does not reference an input value: $.input.waitSeconds"
    )


async def test_seconds_path_negative_is_a_runtime_failure() -> None:
    execution = await run(waiting(SecondsPath="$.s"), {"s": -1}, asl.VirtualClock(T0))
    assert execution.error == "States.Runtime"
    assert execution.cause == PREFIX + "The SecondsPath parameter references a negative value: $.s == -1"


@pytest.mark.parametrize("value", [1.5, -1.5])
async def test_seconds_path_fractional_is_a_runtime_failure(value: float) -> None:
    execution = await run(waiting(SecondsPath="$.s"), {"s": value}, asl.VirtualClock(T0))
    assert execution.error == "States.Runtime"
    assert execution.cause == PREFIX + f"The SecondsPath parameter cannot be parsed as a long value: $.s == {value}"


async def test_wait_runtime_failure_records_no_exited_event() -> None:
    execution = await run(waiting(SecondsPath="$.s"), {"s": -1}, asl.VirtualClock(T0))
    assert [event.type for event in execution.history] == ["ExecutionStarted", "WaitStateEntered", "ExecutionFailed"]


async def test_wait_applies_input_path_and_output_path() -> None:
    clock = asl.VirtualClock(T0)
    execution = await run(waiting(Seconds=1, InputPath="$.a", OutputPath="$.b"), {"a": {"b": 2}, "c": 3}, clock)
    assert execution.output == 2


# -- Wait: timestamps ------------------------------------------------------------------------


async def test_timestamp_waits_until_that_instant() -> None:
    clock = asl.VirtualClock(T0)
    await run(waiting(Timestamp="2030-01-02T00:00:00Z"), {}, clock)
    assert clock.now() == T0 + 86_400


async def test_timestamp_with_an_offset_is_an_instant() -> None:
    clock = asl.VirtualClock(T0)
    await run(waiting(Timestamp="2030-01-01T03:00:00+02:00"), {}, clock)
    assert clock.now() == T0 + 3_600


async def test_timestamp_with_fractional_seconds_is_accepted() -> None:
    clock = asl.VirtualClock(T0)
    await run(waiting(Timestamp="2030-01-01T00:00:10.500Z"), {}, clock)
    assert clock.now() == T0 + 10.5


async def test_timestamp_in_the_past_does_not_wait() -> None:
    clock = asl.VirtualClock(T0)
    execution = await run(waiting(Timestamp="2016-03-14T01:59:00Z"), {"k": 1}, clock)
    assert execution.output == {"k": 1}
    assert clock.now() == T0


async def test_timestamp_path_waits_until_the_input_instant() -> None:
    clock = asl.VirtualClock(T0)
    await run(waiting(TimestampPath="$.until"), {"until": "2030-01-01T00:30:00Z"}, clock)
    assert clock.now() == T0 + 1_800


@pytest.mark.parametrize("value", ["2016-12-05T21:29:29", "2016-12-05 21:29:29Z", "05-12-2016T21:29:29", "2016-12-05"])
async def test_timestamp_path_not_an_asl_timestamp_is_a_runtime_failure(value: str) -> None:
    execution = await run(waiting(TimestampPath="$.TimestampValue"), {"TimestampValue": value}, asl.VirtualClock(T0))
    assert execution.error == "States.Runtime"
    assert execution.cause == PREFIX + (
        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: "
        f"$.TimestampValue == {value}"
    )


async def test_wait_delay_beyond_two_to_the_31_seconds_is_too_long() -> None:
    execution = await run(waiting(SecondsPath="$.s"), {"s": 2**31 + 10}, asl.VirtualClock(T0))
    assert execution.error == "States.Runtime"
    assert execution.cause == PREFIX + "Wait state delay is too long."


async def test_wait_assign_sees_the_effective_input() -> None:
    mach = asl.parse(
        {
            "StartAt": "W",
            "States": {
                "W": {"Type": "Wait", "Seconds": 1, "InputPath": "$.a", "Assign": {"seen.$": "$"}, "Next": "P"},
                "P": {"Type": "Pass", "Parameters": {"seen.$": "$seen"}, "End": True},
            },
        }
    )
    execution = await run(mach, {"a": {"v": 1}}, asl.VirtualClock(T0))
    assert execution.output == {"seen": {"v": 1}}


# -- code outside the run: the task holding asl.start, and runs nothing can move on --------------

CALLBACK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
APPROVE = {
    "Type": "Task",
    "Resource": CALLBACK,
    "Parameters": {"token.$": "$$.Task.Token"},
    "TimeoutSeconds": 60,
    "End": True,
}
WAITING = {key: value for key, value in APPROVE.items() if key != "TimeoutSeconds"}  # for ever
# While the caller polls for the token, a Wait in another branch and the Task's timeout are due.
RACE = asl.parse(
    {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 30, "End": True}}},
                    {"StartAt": "Approve", "States": {"Approve": APPROVE}},
                ],
                "End": True,
            }
        },
    }
)


async def poll_then_answer(seed: int) -> asl.Execution:
    clock = asl.VirtualClock(0)
    with anyio.fail_after(GUARD):
        async with asl.start(RACE, {}, resources={CALLBACK: lambda event: None}, clock=clock, seed=seed) as execution:
            while not execution.task_tokens:
                await anyio.sleep(0.001)  # real time: virtual time stands still while the caller is awake
            await anyio.sleep(0.001)
            execution.send_task_success(execution.task_tokens[0], {"approved": seed})
    assert clock.now() == 30  # the Wait ended once the caller awaited the execution; the timeout never fired
    return execution


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_a_caller_polling_in_real_time_never_loses_to_virtual_time(anyio_backend: str) -> None:
    runs = 100 if anyio_backend == "asyncio" else 20
    executions = [await poll_then_answer(seed) for seed in range(runs)]
    assert [execution.status for execution in executions] == [asl.Status.SUCCEEDED] * runs
    assert executions[7].output == [{}, {"approved": 7}]


async def test_time_moves_while_the_caller_awaits_the_execution() -> None:
    clock = asl.VirtualClock(0)
    mach = asl.parse({"StartAt": "Approve", "States": {"Approve": APPROVE}})
    with anyio.fail_after(GUARD):
        async with asl.start(mach, {}, resources={CALLBACK: lambda event: None}, clock=clock) as execution:
            await anyio.sleep(0.01)
            assert clock.now() == 0  # the caller is awake
    # At the end of the block the caller awaits the execution: the Task's timeout is the next deadline.
    assert (execution.status, execution.error, clock.now()) == (asl.Status.FAILED, "States.Timeout", 60)


async def test_a_follower_answering_from_events_keeps_time_still_while_it_acts() -> None:
    clock = asl.VirtualClock(0)
    with anyio.fail_after(GUARD):
        async with asl.start(RACE, {}, resources={CALLBACK: lambda event: None}, clock=clock) as execution:
            async for event in execution.events():
                if event.type == "TaskSubmitted":
                    await anyio.sleep(0.01)  # acting on the event in real time
                    execution.send_task_success(execution.task_tokens[0], "yes")
    assert (execution.status, execution.output) == (asl.Status.SUCCEEDED, [{}, "yes"])


def unanswered(**fields: Any) -> asl.StateMachine:
    task = {"Type": "Task", "Resource": CALLBACK, "Parameters": {"token.$": "$$.Task.Token"}, **fields}
    return asl.parse({"StartAt": "Approve", "States": {"Approve": {**task, "End": True}}})


async def test_a_token_nothing_can_answer_ends_the_run_naming_the_state_and_token() -> None:
    tokens: list[str] = []
    with anyio.fail_after(GUARD):
        execution = await asl.execute(
            unanswered(),
            {},
            resources={CALLBACK: lambda event: tokens.append(event["token"])},
            clock=asl.VirtualClock(0),
        )
    assert (execution.status, execution.error) == (asl.Status.ABORTED, "asl.Stalled")
    assert execution.cause is not None
    assert execution.cause.startswith(f"state 'Approve' waits for task token {tokens[0]}. Nothing can answer it")
    assert "send_task_success" in execution.cause and "asl run" in execution.cause
    assert execution.history[-1].type == "ExecutionAborted"


def test_a_stalled_run_ends_under_the_sync_runner_too() -> None:
    execution = asl.run(unanswered(), {}, resources={CALLBACK: lambda event: None}, clock=asl.VirtualClock(0))
    assert execution.error == "asl.Stalled"


async def test_a_stalled_run_names_every_waiting_token() -> None:
    branch = {"StartAt": "Approve", "States": {"Approve": WAITING}}
    second = {"StartAt": "Review", "States": {"Review": WAITING}}
    mach = asl.parse({"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [branch, second], "End": True}}})
    with anyio.fail_after(GUARD):
        execution = await asl.execute(mach, {}, resources={CALLBACK: lambda event: None}, clock=asl.VirtualClock(0))
    assert execution.error == "asl.Stalled"
    assert "state 'Approve' waits for task token" in str(execution.cause)
    assert "state 'Review' waits for task token" in str(execution.cause)


async def test_a_run_is_not_stalled_while_an_async_resource_works() -> None:
    async def slow(event: Any) -> str:
        await anyio.sleep(0.05)  # the world outside the run: it may still answer
        return "worked"

    branch = {"StartAt": "Approve", "States": {"Approve": WAITING}}
    other = {"StartAt": "Slow", "States": {"Slow": {"Type": "Task", "Resource": "slow", "End": True}}}
    mach = asl.parse({"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [branch, other], "End": True}}})
    with anyio.fail_after(GUARD):
        execution = await asl.execute(
            mach, {}, resources={CALLBACK: lambda event: None, "slow": slow}, clock=asl.VirtualClock(0)
        )
    assert execution.error == "asl.Stalled"
    kinds = [event.type for event in execution.history]
    assert kinds.index("TaskSucceeded") < kinds.index("ExecutionAborted")  # the resource finished first


async def test_a_timer_keeps_a_token_wait_from_being_stalled() -> None:
    clock = asl.VirtualClock(0)
    with anyio.fail_after(GUARD):
        execution = await asl.execute(
            unanswered(TimeoutSeconds=300), {}, resources={CALLBACK: lambda event: None}, clock=clock
        )
    assert (execution.error, clock.now()) == ("States.Timeout", 300)


async def test_a_caller_that_answers_at_the_end_of_its_block_is_not_too_late() -> None:
    with anyio.fail_after(GUARD):
        async with asl.start(
            unanswered(), {}, resources={CALLBACK: lambda event: None}, clock=asl.VirtualClock(0)
        ) as execution:
            while not execution.task_tokens:
                await anyio.sleep(0.001)
            execution.send_task_success(execution.task_tokens[0], "late but fine")
    assert execution.output == "late but fine"


async def test_a_token_whose_context_was_handed_on_is_not_declared_stalled() -> None:
    import asyncio

    async def hand_off(event: Any, context: Any) -> None:  # answers later, from code the clock does not see
        asyncio.get_running_loop().call_later(0.05, context.send_task_success, "answered later")

    with anyio.fail_after(GUARD):
        execution = await asl.execute(unanswered(), {}, resources={CALLBACK: hand_off}, clock=asl.VirtualClock(0))
    assert (execution.status, execution.output) == (asl.Status.SUCCEEDED, "answered later")
