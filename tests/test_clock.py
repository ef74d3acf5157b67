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
