"""Execution history as AWS records it: the event envelope, detail shapes rendered by `to_dict()`,
`previousEventId` links, and the sequence of events per kind of state."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import asl
from helpers import GUARD, LOOP, hang, machine, run, types

pytestmark = pytest.mark.anyio


FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:work"


def first(execution: asl.Execution, kind: str) -> dict[str, Any]:
    return next(event.to_dict() for event in execution.history if event.type == kind)


# -- the envelope ---------------------------------------------------------------------------------


async def test_event_ids_start_at_one_and_increase_by_one() -> None:
    execution = await run(machine({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}}), {})
    assert [event.id for event in execution.history] == list(range(1, len(execution.history) + 1))


async def test_execution_started_and_first_state_entered_follow_no_event() -> None:
    execution = await run(machine({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}}), {})
    assert [(event.type, event.previous_event_id) for event in execution.history] == [
        ("ExecutionStarted", 0),
        ("PassStateEntered", 0),
        ("PassStateExited", 2),
        ("PassStateEntered", 3),
        ("PassStateExited", 4),
        ("ExecutionSucceeded", 5),
    ]


async def test_to_dict_renders_the_aws_envelope() -> None:
    execution = await run(machine({"A": {"Type": "Pass", "End": True}}), {"a": 1}, clock=asl.VirtualClock(1.5))
    assert execution.history[0].to_dict() == {
        "id": 1,
        "previousEventId": 0,
        "timestamp": "1970-01-01T00:00:01.500Z",
        "type": "ExecutionStarted",
        "executionStartedEventDetails": {
            "input": '{"a":1}',
            "inputDetails": {"truncated": False},
            "roleArn": "arn:aws:iam::123456789012:role/StepFunctionsRole",
        },
    }


async def test_state_entered_details_carry_the_name_and_compact_input_text() -> None:
    execution = await run(machine({"A": {"Type": "Pass", "End": True}}), {"a": [1, 2], "b": "x"})
    assert first(execution, "PassStateEntered")["stateEnteredEventDetails"] == {
        "name": "A",
        "input": '{"a":[1,2],"b":"x"}',
        "inputDetails": {"truncated": False},
    }


async def test_state_exited_details_have_no_assigned_variables_when_nothing_was_assigned() -> None:
    execution = await run(machine({"A": {"Type": "Pass", "Result": {"r": 1}, "End": True}}), {})
    assert first(execution, "PassStateExited")["stateExitedEventDetails"] == {
        "name": "A",
        "output": '{"r":1}',
        "outputDetails": {"truncated": False},
    }


async def test_state_exited_details_carry_assigned_variables_as_json_text() -> None:
    mach = machine({"A": {"Type": "Pass", "Assign": {"n": 42, "s": "text", "l": [1, 2, 3]}, "End": True}})
    details = first(await run(mach, {}), "PassStateExited")["stateExitedEventDetails"]
    assert details["assignedVariables"] == {"n": "42", "s": '"text"', "l": "[1,2,3]"}
    assert details["assignedVariablesDetails"] == {"truncated": False}


async def test_execution_succeeded_carries_the_output_text() -> None:
    execution = await run(machine({"A": {"Type": "Pass", "Result": [True, None], "End": True}}), {})
    assert execution.history[-1].to_dict()["executionSucceededEventDetails"] == {
        "output": "[true,null]",
        "outputDetails": {"truncated": False},
    }


async def test_execution_failed_carries_error_and_cause() -> None:
    execution = await run(machine({"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}), {})
    assert execution.history[-1].to_dict()["executionFailedEventDetails"] == {"error": "E", "cause": "C"}


# -- recorded cheaply, read whole ----------------------------------------------------------------
# A state that runs without waiting is recorded as one step and becomes its two events when the
# history is read; with a follower (or near the quota) each event is recorded as it happens.
# Both ways must give the same history.


def _events(execution: asl.Execution) -> list[tuple[Any, ...]]:
    return [(e.id, e.previous_event_id, e.timestamp, e.type, e.details) for e in execution.history]


BAD_PATH = {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "InputPath": "$.missing", "End": True}}
TOO_BIG = {
    "A": {"Type": "Pass", "Next": "B"},
    "B": {"Type": "Pass", "Parameters": {"a.$": "$.s", "b.$": "$.s"}, "End": True},
}
ASSIGNS = {"A": {"Type": "Pass", "Assign": {"n": 1}, "Next": "B"}, "B": {"Type": "Pass", "End": True}}
FAILS = {"A": {"Type": "Pass", "Next": "F"}, "F": {"Type": "Fail", "Error": "E", "Cause": "C"}}


@pytest.mark.parametrize(
    ("states", "value", "limit"),
    [
        *((LOOP, {}, quota) for quota in range(2, 14)),
        (BAD_PATH, {}, 25_000),
        (TOO_BIG, {"s": "x" * 140_000}, 25_000),
        (ASSIGNS, {}, 25_000),
        (FAILS, {}, 25_000),
    ],
)
async def test_history_is_the_same_whether_followed_or_not(states: dict[str, Any], value: Any, limit: int) -> None:
    limits = asl.Limits(history_events=limit, transitions=20)
    alone = await run(machine(states), value, limits=limits, clock=asl.VirtualClock(7))
    followed = await run(machine(states), value, limits=limits, clock=asl.VirtualClock(7), on_event=lambda event: None)
    assert (alone.status, alone.error, alone.cause) == (followed.status, followed.error, followed.cause)
    assert _events(alone) == _events(followed)
    assert [event.id for event in alone.history] == list(range(1, len(alone.history) + 1))


async def test_a_listener_is_given_the_very_events_the_history_holds() -> None:
    given: list[asl.HistoryEvent] = []
    execution = await run(machine(ASSIGNS), {}, on_event=given.append)
    assert len(given) == len(execution.history) == 6
    assert all(mine is theirs for mine, theirs in zip(given, execution.history, strict=True))


async def test_a_failing_instant_state_has_its_entered_event_and_no_exited_event() -> None:
    execution = await run(machine(BAD_PATH), {})
    assert types(execution) == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "PassStateEntered", "ExecutionFailed",
    ]  # fmt: skip
    assert "(entered at the event id #4)" in (execution.cause or "")


async def test_history_read_while_the_execution_waits_holds_every_event_so_far() -> None:
    reached, release = anyio.Event(), anyio.Event()

    async def work(_event: Any) -> Any:
        reached.set()
        await release.wait()
        return "done"

    states = {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "T"},
              "T": {"Type": "Task", "Resource": "work", "Next": "C"}, "C": {"Type": "Pass", "End": True}}  # fmt: skip
    with anyio.fail_after(GUARD):
        async with asl.start(machine(states), {}, resources={"work": work}, clock=asl.VirtualClock(0)) as execution:
            await reached.wait()
            so_far = execution.history
            assert [event.type for event in so_far] == [
                "ExecutionStarted", "PassStateEntered", "PassStateExited", "PassStateEntered", "PassStateExited",
                "TaskStateEntered", "TaskScheduled", "TaskStarted",
            ]  # fmt: skip
            release.set()
    assert execution.history is so_far  # one list, which grew
    assert types(execution)[-4:] == ["TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert [(event.id, event.previous_event_id) for event in execution.history][-3:] == [(11, 10), (12, 11), (13, 12)]


# -- Task events ------------------------------------------------------------------------------------


async def test_task_scheduled_holds_the_effective_input_as_parameters_text() -> None:
    mach = machine({"T": {"Type": "Task", "Resource": "work", "Parameters": {"id.$": "$.id"}, "End": True}})
    execution = await run(mach, {"id": 7, "noise": 0}, resources={"work": lambda event: event})
    assert first(execution, "TaskScheduled")["taskScheduledEventDetails"] == {
        "resourceType": "custom",
        "resource": "work",
        "region": "us-east-1",
        "parameters": '{"id":7}',
    }


async def test_task_scheduled_splits_a_service_arn_into_type_and_resource() -> None:
    resource = "arn:aws:states:::sqs:sendMessage"
    mach = machine({"T": {"Type": "Task", "Resource": resource, "TimeoutSeconds": 30, "End": True}})
    execution = await run(mach, {}, resources={resource: lambda event: {"MessageId": "m"}})
    details = first(execution, "TaskScheduled")["taskScheduledEventDetails"]
    assert (details["resourceType"], details["resource"], details["timeoutInSeconds"]) == ("sqs", "sendMessage", 30)
    succeeded = first(execution, "TaskSucceeded")["taskSucceededEventDetails"]
    assert succeeded == {
        "resourceType": "sqs",
        "resource": "sendMessage",
        "output": '{"MessageId":"m"}',
        "outputDetails": {"truncated": False},
    }


async def test_task_events_link_to_each_other() -> None:
    execution = await run(
        machine({"T": {"Type": "Task", "Resource": "work", "End": True}}), {}, resources={"work": lambda e: e}
    )
    assert [(event.type, event.previous_event_id) for event in execution.history] == [
        ("ExecutionStarted", 0),
        ("TaskStateEntered", 0),
        ("TaskScheduled", 2),
        ("TaskStarted", 3),
        ("TaskSucceeded", 4),
        ("TaskStateExited", 5),
        ("ExecutionSucceeded", 6),
    ]


async def test_lambda_function_scheduled_details() -> None:
    mach = machine({"T": {"Type": "Task", "Resource": FUNCTION_ARN, "End": True}})
    execution = await run(mach, {"a": 1}, resources={FUNCTION_ARN: lambda event: event})
    assert first(execution, "LambdaFunctionScheduled")["lambdaFunctionScheduledEventDetails"] == {
        "resource": FUNCTION_ARN,
        "input": '{"a":1}',
        "inputDetails": {"truncated": False},
    }


async def test_task_failed_details_carry_error_and_cause() -> None:
    def work(_event: Any) -> Any:
        raise asl.TaskFailed("Boom", "why")

    execution = await run(
        machine({"T": {"Type": "Task", "Resource": "work", "End": True}}), {}, resources={"work": work}
    )
    assert first(execution, "TaskFailed")["taskFailedEventDetails"] == {
        "resourceType": "custom",
        "resource": "work",
        "error": "Boom",
        "cause": "why",
    }
    assert types(execution)[-2:] == ["TaskFailed", "ExecutionFailed"]


# -- Parallel and Map sequences -----------------------------------------------------------------


async def test_parallel_sequence_brackets_the_interleaved_branch_events() -> None:
    def chain(*names: str) -> dict[str, Any]:
        states = {name: {"Type": "Pass", "Next": after} for name, after in zip(names, names[1:], strict=False)}
        states[names[-1]] = {"Type": "Pass", "End": True}
        return {"StartAt": names[0], "States": states}

    mach = machine(
        {
            "LoadInput": {"Type": "Pass", "Result": [1, 2, 3, 4], "Next": "ParallelState"},
            "ParallelState": {
                "Type": "Parallel",
                "Branches": [
                    chain("Branch1"),
                    chain("Branch21", "Branch22"),
                    chain("Branch31", "Branch32", "Branch33"),
                ],
                "End": True,
            },
        }
    )
    execution = await run(mach, {})
    kinds = types(execution)
    # AWS interleaves branches arbitrarily; what is fixed is the bracket and each branch's own order.
    assert kinds[:5] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ParallelStateEntered",
        "ParallelStateStarted",
    ]
    assert kinds[-2:] == ["ParallelStateExited", "ExecutionSucceeded"]
    inner = [(event.type, event.details["name"]) for event in execution.history[5:-2] if event.details]
    assert sorted(kind for kind, _ in inner) == ["PassStateEntered"] * 6 + ["PassStateExited"] * 6
    for branch in (["Branch1"], ["Branch21", "Branch22"], ["Branch31", "Branch32", "Branch33"]):
        own = [item for item in inner if item[1] in branch]
        assert own == [(kind, name) for name in branch for kind in ("PassStateEntered", "PassStateExited")]


async def test_parallel_branch_first_events_follow_parallel_state_started() -> None:
    branches = [{"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}} for name in ("A", "B")]
    execution = await run(machine({"P": {"Type": "Parallel", "Branches": branches, "End": True}}), {})
    started = first(execution, "ParallelStateStarted")["id"]
    entered = [event for event in execution.history if event.type == "PassStateEntered"]
    assert [event.previous_event_id for event in entered] == [started, started]


async def test_sequential_map_sequence_matches_aws() -> None:
    processor = {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": True}}}
    mach = machine({"M": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": processor, "End": True}})
    execution = await run(mach, [1, 2, 3])
    assert types(execution) == [
        "ExecutionStarted",
        "MapStateEntered",
        "MapStateStarted",
        *["MapIterationStarted", "PassStateEntered", "PassStateExited", "MapIterationSucceeded"] * 3,
        "MapStateSucceeded",
        "MapStateExited",
        "ExecutionSucceeded",
    ]


async def test_map_state_started_and_iteration_details() -> None:
    processor = {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": True}}}
    execution = await run(
        machine({"M": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": processor, "End": True}}), ["a", "b"]
    )
    assert first(execution, "MapStateStarted")["mapStateStartedEventDetails"] == {"length": 2}
    iterations = [event.to_dict() for event in execution.history if event.type == "MapIterationStarted"]
    assert [event["mapIterationStartedEventDetails"] for event in iterations] == [
        {"name": "M", "index": 0},
        {"name": "M", "index": 1},
    ]


async def test_sequential_map_iteration_follows_the_last_state_event_of_the_one_before() -> None:
    processor = {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": True}}}
    execution = await run(
        machine({"M": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": processor, "End": True}}), [1, 2]
    )
    by_id = {event.id: event for event in execution.history}
    second = [event for event in execution.history if event.type == "MapIterationStarted"][1]
    assert by_id[second.previous_event_id].type == "PassStateExited"


async def test_fail_inside_a_map_iteration_sequence() -> None:
    processor = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}
    execution = await run(machine({"M": {"Type": "Map", "ItemProcessor": processor, "End": True}}), [1])
    assert types(execution) == [
        "ExecutionStarted",
        "MapStateEntered",
        "MapStateStarted",
        "MapIterationStarted",
        "FailStateEntered",
        "MapIterationFailed",
        "MapStateFailed",
        "ExecutionFailed",
    ]


async def test_caught_map_failure_still_exits_the_map_state() -> None:
    processor = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}
    mach = machine(
        {
            "M": {
                "Type": "Map",
                "ItemProcessor": processor,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
                "End": True,
            },
            "Done": {"Type": "Pass", "End": True},
        }
    )
    execution = await run(mach, [1])
    assert types(execution)[-6:] == [
        "MapIterationFailed",
        "MapStateFailed",
        "MapStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]


async def test_distributed_map_records_a_map_run_and_keeps_child_events_out() -> None:
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Inner",
        "States": {"Inner": {"Type": "Pass", "End": True}},
    }
    execution = await run(machine({"M": {"Type": "Map", "ItemProcessor": processor, "End": True}}), [1, 2])
    assert types(execution) == [
        "ExecutionStarted",
        "MapStateEntered",
        "MapStateStarted",
        "MapRunStarted",
        "MapRunSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
        "ExecutionSucceeded",
    ]
    arn = first(execution, "MapRunStarted")["mapRunStartedEventDetails"]["mapRunArn"]
    assert arn.startswith("arn:aws:states:us-east-1:123456789012:mapRun:StateMachine/")


async def test_map_iteration_cancelled_by_a_sibling_failure_is_recorded_aborted() -> None:
    processor = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$", "StringEquals": "bad", "Next": "F"}], "Default": "T"},
            "F": {"Type": "Fail", "Error": "Bad"},
            "T": {"Type": "Task", "Resource": "hang", "End": True},
        },
    }
    execution = await run(
        machine({"M": {"Type": "Map", "ItemProcessor": processor, "End": True}}),
        ["slow", "bad"],
        resources={"hang": hang},
    )
    assert "MapIterationAborted" in types(execution)


async def test_map_iterations_running_at_abort_are_recorded_aborted() -> None:
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
    assert types(execution).count("MapIterationAborted") == 2


async def test_parallel_state_aborted_on_abort() -> None:
    branch = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "hang", "End": True}}}
    mach = machine({"P": {"Type": "Parallel", "Branches": [branch], "End": True}})
    with anyio.fail_after(GUARD):
        async with asl.start(mach, {}, resources={"hang": hang}, clock=asl.VirtualClock(0)) as execution:
            async for event in execution.events():
                if event.type == "TaskStarted":
                    execution.abort()
    assert types(execution)[-3:] == ["TaskStateAborted", "ParallelStateAborted", "ExecutionAborted"]


async def test_a_stop_records_the_aborted_children_in_index_order_every_time() -> None:
    """anyio cancels a scope's tasks in the order of a set (by address); the history must not."""

    def branch(n: int) -> dict[str, Any]:
        processor = {"StartAt": f"T{n}", "States": {f"T{n}": {"Type": "Task", "Resource": "hang", "End": True}}}
        return {"StartAt": f"M{n}", "States": {f"M{n}": {"Type": "Map", "ItemProcessor": processor, "End": True}}}

    mach = machine({"P": {"Type": "Parallel", "Branches": [branch(0), branch(1)], "End": True}}, TimeoutSeconds=5)
    for _ in range(5):
        execution = await run(mach, [0, 1, 2, 3, 4, 5, 6, 7], resources={"hang": hang})
        stops = [
            (event.type, (event.details or {}).get("index"))
            for event in execution.history
            if event.type.endswith("Aborted")
        ]
        one_map = [item for index in range(8) for item in (("TaskStateAborted", None), ("MapIterationAborted", index))]
        assert stops == [*one_map, ("MapStateAborted", None)] * 2 + [("ParallelStateAborted", None)]


async def test_a_stop_records_lone_branch_parallels_inside_a_parallel_in_branch_order() -> None:
    """A Parallel of one branch hands its stop events to its parent directly; they must come
    out in the same order as those of branches held and passed on."""

    def lone(n: int) -> dict[str, Any]:
        inner = {"StartAt": f"T{n}", "States": {f"T{n}": {"Type": "Task", "Resource": "hang", "End": True}}}
        return {"StartAt": f"P{n}", "States": {f"P{n}": {"Type": "Parallel", "Branches": [inner], "End": True}}}

    mach = machine({"P": {"Type": "Parallel", "Branches": [lone(0), lone(1)], "End": True}}, TimeoutSeconds=5)
    for _ in range(5):
        execution = await run(mach, {}, resources={"hang": hang})
        stops = [(event.type, event.previous_event_id) for event in execution.history if event.type.endswith("Aborted")]
        assert [kind for kind, _ in stops] == ["TaskStateAborted", "ParallelStateAborted"] * 2 + [
            "ParallelStateAborted"
        ]
        assert execution.status is asl.Status.TIMED_OUT
