"""Parallel and Map through whole executions: result order, failure and cancellation, items and
ItemSelector, tolerated failures, concurrency bounds, and a large fan-out."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import asl
from helpers import hang, machine, run

pytestmark = pytest.mark.anyio


DISTRIBUTED = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}


def graph(states: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states}


def passing(name: str = "Inner", **fields: Any) -> dict[str, Any]:
    return graph({name: {"Type": "Pass", **fields, "End": True}})


def task_processor(resource: str = "work") -> dict[str, Any]:
    return graph({"T": {"Type": "Task", "Resource": resource, "End": True}})


# A processor that fails with `Bad` for the item "bad" and passes every other item through.
FAIL_ON_BAD = graph(
    {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$", "StringEquals": "bad", "Next": "F"}], "Default": "P"},
        "F": {"Type": "Fail", "Error": "Bad", "Cause": "a bad item"},
        "P": {"Type": "Pass", "End": True},
    }
)


class Gauge:
    """An async resource that counts how many invocations are in progress at once."""

    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self.order: list[Any] = []

    async def __call__(self, event: Any) -> Any:
        self.running += 1
        self.peak = max(self.peak, self.running)
        self.order.append(event)
        for _ in range(3):
            await anyio.lowlevel.checkpoint()
        self.running -= 1
        return event


# -- Parallel -----------------------------------------------------------------------------------


async def test_parallel_gives_every_branch_the_same_effective_input() -> None:
    mach = machine(
        {
            "P": {
                "Type": "Parallel",
                "InputPath": "$.shared",
                "Branches": [passing("A"), passing("B", Parameters={"copy.$": "$.v"})],
                "End": True,
            }
        }
    )
    execution = await run(mach, {"shared": {"v": 1}, "other": 2})
    assert execution.output == [{"v": 1}, {"copy": 1}]


async def test_parallel_results_follow_branch_order_not_completion_order() -> None:
    slow = graph(
        {"W1": {"Type": "Wait", "Seconds": 10, "Next": "R1"}, "R1": {"Type": "Pass", "Result": "slow", "End": True}}
    )
    fast = graph(
        {"W2": {"Type": "Wait", "Seconds": 1, "Next": "R2"}, "R2": {"Type": "Pass", "Result": "fast", "End": True}}
    )
    mach = machine({"P": {"Type": "Parallel", "Branches": [slow, fast], "End": True}})
    execution = await run(mach, {})
    assert execution.output == ["slow", "fast"]
    finished = [
        event.details["output"] for event in execution.history if event.type == "PassStateExited" and event.details
    ]
    assert finished == ["fast", "slow"]


async def test_parallel_branches_run_concurrently_in_virtual_time() -> None:
    clock = asl.VirtualClock(0)
    waits = [graph({f"W{seconds}": {"Type": "Wait", "Seconds": seconds, "End": True}}) for seconds in (5, 7, 3)]
    await run(machine({"P": {"Type": "Parallel", "Branches": waits, "End": True}}), {}, clock=clock)
    assert clock.now() == 7


async def test_parallel_result_selector_and_result_path() -> None:
    mach = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [passing("A", Result=1), passing("B", Result=2)],
                "ResultSelector": {"first.$": "$[0]", "second.$": "$[1]"},
                "ResultPath": "$.results",
                "End": True,
            }
        }
    )
    execution = await run(mach, {"keep": True})
    assert execution.output == {"keep": True, "results": {"first": 1, "second": 2}}


async def test_parallel_failure_surfaces_the_branch_own_error() -> None:
    failing = graph({"F": {"Type": "Fail", "Error": "BranchBroke", "Cause": "inner cause"}})
    mach = machine({"P": {"Type": "Parallel", "Branches": [passing("A"), failing], "End": True}})
    execution = await run(mach, {})
    assert (execution.status, execution.error, execution.cause) == (asl.Status.FAILED, "BranchBroke", "inner cause")


async def test_parallel_failure_cancels_a_waiting_branch() -> None:
    clock = asl.VirtualClock(0)
    waiting = graph({"W": {"Type": "Wait", "Seconds": 100, "Next": "After"}, "After": {"Type": "Pass", "End": True}})
    failing = graph({"F": {"Type": "Fail", "Error": "Stop"}})
    execution = await run(
        machine({"P": {"Type": "Parallel", "Branches": [waiting, failing], "End": True}}), {}, clock=clock
    )
    assert execution.error == "Stop"
    assert clock.now() == 0
    types = [event.type for event in execution.history]
    assert "WaitStateAborted" in types
    assert "WaitStateExited" not in types


async def test_parallel_failure_aborts_a_running_task() -> None:
    failing = graph({"W": {"Type": "Wait", "Seconds": 1, "Next": "F"}, "F": {"Type": "Fail", "Error": "Stop"}})
    mach = machine({"P": {"Type": "Parallel", "Branches": [task_processor("hang"), failing], "End": True}})
    execution = await run(mach, {}, resources={"hang": hang})
    assert execution.error == "Stop"
    assert "TaskStateAborted" in [event.type for event in execution.history]


async def test_task_failure_in_a_branch_keeps_its_name_and_cause() -> None:
    def work(_event: Any) -> Any:
        raise asl.TaskFailed("Custom.Error", "from the branch")

    mach = machine({"P": {"Type": "Parallel", "Branches": [task_processor()], "End": True}})
    execution = await run(mach, {}, resources={"work": work})
    assert (execution.error, execution.cause) == ("Custom.Error", "from the branch")


# -- Map: items and ItemSelector ------------------------------------------------------------------


async def test_map_runs_each_item_through_the_processor() -> None:
    mach = machine({"M": {"Type": "Map", "ItemProcessor": task_processor(), "End": True}})
    execution = await run(mach, [1, 2, 3], resources={"work": lambda item: item * item})
    assert execution.output == [1, 4, 9]


async def test_map_items_path_selects_the_array() -> None:
    mach = machine({"M": {"Type": "Map", "ItemsPath": "$.orders", "ItemProcessor": passing(), "End": True}})
    execution = await run(mach, {"orders": ["a", "b"], "other": 1})
    assert execution.output == ["a", "b"]


async def test_map_items_path_applies_after_input_path() -> None:
    mach = machine(
        {"M": {"Type": "Map", "InputPath": "$.batch", "ItemsPath": "$.items", "ItemProcessor": passing(), "End": True}}
    )
    execution = await run(mach, {"batch": {"items": [1]}, "items": [2]})
    assert execution.output == [1]


async def test_map_over_an_empty_array_gives_an_empty_array() -> None:
    mach = machine({"M": {"Type": "Map", "ItemProcessor": passing(), "End": True}})
    assert (await run(mach, [])).output == []


async def test_map_items_path_not_an_array_is_a_runtime_failure() -> None:
    mach = machine({"M": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": passing(), "End": True}})
    execution = await run(mach, {"items": {"a": 1}})
    assert execution.error == "States.Runtime"
    assert execution.cause == (
        "An error occurred while executing the state 'M' (entered at the event id #2). "
        'Reference path "$.items" must point to array.'
    )


async def test_item_selector_sees_map_item_index_and_value() -> None:
    selector = {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "shared.$": "$.shared"}
    mach = machine(
        {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": selector,
                "ItemProcessor": passing(),
                "End": True,
            }
        }
    )
    execution = await run(mach, {"items": ["a", "b"], "shared": 7})
    assert execution.output == [{"index": 0, "value": "a", "shared": 7}, {"index": 1, "value": "b", "shared": 7}]


async def test_parameters_is_the_legacy_name_of_item_selector() -> None:
    mach = machine(
        {"M": {"Type": "Map", "Parameters": {"i.$": "$$.Map.Item.Index"}, "Iterator": passing(), "End": True}}
    )
    execution = await run(mach, ["x", "y"])
    assert execution.output == [{"i": 0}, {"i": 1}]


async def test_map_results_follow_item_order_not_completion_order() -> None:
    processor = graph({"W": {"Type": "Wait", "SecondsPath": "$", "End": True}})
    mach = machine({"M": {"Type": "Map", "ItemProcessor": processor, "End": True}})
    execution = await run(mach, [30, 10, 20])
    assert execution.output == [30, 10, 20]
    finished = [
        event.details["output"] for event in execution.history if event.type == "WaitStateExited" and event.details
    ]
    assert finished == [10, 20, 30]


async def test_map_result_selector_and_result_path() -> None:
    mach = machine(
        {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": passing(),
                "ResultSelector": {"count.$": "States.ArrayLength($)"},
                "ResultPath": "$.summary",
                "End": True,
            }
        }
    )
    execution = await run(mach, {"items": [1, 2, 3]})
    assert execution.output == {"items": [1, 2, 3], "summary": {"count": 3}}


async def test_map_iteration_failure_fails_the_map_with_its_own_error() -> None:
    mach = machine({"M": {"Type": "Map", "ItemProcessor": FAIL_ON_BAD, "End": True}})
    execution = await run(mach, ["ok", "bad", "ok"])
    assert (execution.error, execution.cause) == ("Bad", "a bad item")


async def test_map_iteration_failure_cancels_running_iterations() -> None:
    processor = graph(
        {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$", "StringEquals": "bad", "Next": "F"}], "Default": "T"},
            "F": {"Type": "Fail", "Error": "Bad"},
            "T": {"Type": "Task", "Resource": "hang", "End": True},
        }
    )
    mach = machine({"M": {"Type": "Map", "ItemProcessor": processor, "End": True}})
    execution = await run(mach, ["slow", "bad"], resources={"hang": hang})
    assert execution.error == "Bad"
    assert "TaskStateAborted" in [event.type for event in execution.history]


# -- Map: tolerated failures -------------------------------------------------------------------


def tolerant(**tolerance: Any) -> asl.StateMachine:
    processor = {**FAIL_ON_BAD, "ProcessorConfig": DISTRIBUTED}
    return machine({"M": {"Type": "Map", "ItemProcessor": processor, **tolerance, "End": True}})


async def test_tolerated_failure_count_lets_the_map_succeed() -> None:
    execution = await run(tolerant(ToleratedFailureCount=1), ["a", "bad", "c"])
    assert execution.status is asl.Status.SUCCEEDED
    assert [execution.output[0], execution.output[2]] == ["a", "c"]


async def test_failures_beyond_the_tolerated_count_fail_the_map() -> None:
    execution = await run(tolerant(ToleratedFailureCount=1), ["a", "bad", "bad"])
    assert execution.error == "States.ExceedToleratedFailureThreshold"
    assert execution.cause == "The specified tolerated failure threshold was exceeded"


async def test_tolerated_failure_percentage_lets_the_map_succeed() -> None:
    execution = await run(tolerant(ToleratedFailurePercentage=50), ["a", "bad", "c", "bad"])
    assert execution.status is asl.Status.SUCCEEDED


async def test_failures_beyond_the_tolerated_percentage_fail_the_map() -> None:
    execution = await run(tolerant(ToleratedFailurePercentage=49), ["a", "bad", "c", "bad"])
    assert execution.error == "States.ExceedToleratedFailureThreshold"


async def test_tolerated_failure_count_path_reads_the_input() -> None:
    mach = machine(
        {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {**FAIL_ON_BAD, "ProcessorConfig": DISTRIBUTED},
                "ToleratedFailureCountPath": "$.tolerate",
                "End": True,
            }
        }
    )
    assert (await run(mach, {"items": ["bad", "bad"], "tolerate": 2})).status is asl.Status.SUCCEEDED
    assert (await run(mach, {"items": ["bad", "bad"], "tolerate": 1})).error == "States.ExceedToleratedFailureThreshold"


async def test_negative_tolerated_failure_count_is_a_runtime_failure() -> None:
    mach = machine(
        {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {**FAIL_ON_BAD, "ProcessorConfig": DISTRIBUTED},
                "ToleratedFailureCountPath": "$.tolerate",
                "End": True,
            }
        }
    )
    execution = await run(mach, {"items": ["a"], "tolerate": -1})
    assert execution.error == "States.Runtime"
    assert execution.cause == (
        "An error occurred while executing the state 'M' (entered at the event id #2). "
        "ToleratedFailureCount cannot be negative."
    )


# -- Map: concurrency -----------------------------------------------------------------------------


async def test_max_concurrency_bounds_the_iterations_running_at_once() -> None:
    gauge = Gauge()
    mach = machine({"M": {"Type": "Map", "MaxConcurrency": 3, "ItemProcessor": task_processor(), "End": True}})
    execution = await run(mach, list(range(20)), resources={"work": gauge})
    assert execution.output == list(range(20))
    assert gauge.peak == 3


async def test_max_concurrency_one_runs_items_one_by_one_in_order() -> None:
    gauge = Gauge()
    mach = machine({"M": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": task_processor(), "End": True}})
    await run(mach, list(range(8)), resources={"work": gauge})
    assert gauge.peak == 1
    assert gauge.order == list(range(8))


async def test_max_concurrency_path_reads_the_bound_from_the_input() -> None:
    gauge = Gauge()
    mach = machine(
        {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrencyPath": "$.limit",
                "ItemProcessor": task_processor(),
                "End": True,
            }
        }
    )
    await run(mach, {"items": list(range(12)), "limit": 4}, resources={"work": gauge})
    assert gauge.peak == 4


async def test_max_concurrency_path_not_an_integer_is_a_runtime_failure() -> None:
    mach = machine(
        {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrencyPath": "$.limit",
                "ItemProcessor": passing(),
                "End": True,
            }
        }
    )
    execution = await run(mach, {"items": [1], "limit": "NoNumber"})
    assert execution.error == "States.Runtime"
    assert execution.cause == (
        "An error occurred while executing the state 'M' (entered at the event id #2). "
        'The MaxConcurrencyPath field refers to value "NoNumber" which is not a valid integer: $.limit'
    )


async def test_unbounded_map_runs_many_iterations_at_once() -> None:
    gauge = Gauge()
    mach = machine({"M": {"Type": "Map", "ItemProcessor": task_processor(), "End": True}})
    await run(mach, list(range(20)), resources={"work": gauge})
    assert gauge.peak == 20


async def test_distributed_map_of_ten_thousand_items_completes() -> None:
    processor = {**passing(Parameters={"n.$": "$"}), "ProcessorConfig": DISTRIBUTED}
    mach = machine({"M": {"Type": "Map", "ItemProcessor": processor, "End": True}})
    execution = await run(mach, list(range(10_000)))
    assert execution.status is asl.Status.SUCCEEDED
    assert execution.output == [{"n": n} for n in range(10_000)]


async def test_inline_map_of_ten_thousand_items_completes_with_a_larger_history_quota() -> None:
    mach = machine({"M": {"Type": "Map", "ItemProcessor": passing(), "End": True}})
    execution = await run(mach, list(range(10_000)), limits=asl.Limits(history_events=100_000))
    assert execution.status is asl.Status.SUCCEEDED
    assert execution.output == list(range(10_000))


async def test_inline_map_of_ten_thousand_items_exceeds_the_aws_history_quota() -> None:
    mach = machine({"M": {"Type": "Map", "ItemProcessor": passing(), "End": True}})
    execution = await run(mach, list(range(10_000)))
    assert execution.error == "States.Runtime"
    assert len(execution.history) <= 25_000


async def test_inline_map_without_a_bound_runs_at_most_forty_at_once() -> None:
    gauge = Gauge()
    mach = machine({"M": {"Type": "Map", "ItemProcessor": task_processor(), "End": True}})
    await run(mach, list(range(100)), resources={"work": gauge})
    assert 1 < gauge.peak <= 40


@pytest.mark.parametrize(("bound", "elapsed"), [(1, 15), (2, 10), (3, 5)])
async def test_max_concurrency_shapes_virtual_time(bound: int, elapsed: int) -> None:
    clock = asl.VirtualClock(0)
    processor = graph({"W": {"Type": "Wait", "SecondsPath": "$", "End": True}})
    mach = machine({"M": {"Type": "Map", "MaxConcurrency": bound, "ItemProcessor": processor, "End": True}})
    await run(mach, [5, 5, 5], clock=clock)
    assert clock.now() == elapsed


async def test_sequential_map_stops_at_the_first_failure() -> None:
    seen: list[str] = []

    def work(item: str) -> str:
        seen.append(item)
        if item == "bad":
            raise asl.TaskFailed("Bad", "stop here")
        return item

    mach = machine({"M": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": task_processor(), "End": True}})
    execution = await run(mach, ["ok", "bad", "never"], resources={"work": work})
    assert execution.error == "Bad"
    assert seen == ["ok", "bad"]


async def test_exceeded_tolerance_can_be_caught() -> None:
    processor = {**FAIL_ON_BAD, "ProcessorConfig": DISTRIBUTED}
    mach = machine(
        {
            "M": {
                "Type": "Map",
                "ItemProcessor": processor,
                "ToleratedFailureCount": 0,
                "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Done"}],
                "End": True,
            },
            "Done": {"Type": "Pass", "End": True},
        }
    )
    execution = await run(mach, ["bad"])
    assert execution.output == {
        "Error": "States.ExceedToleratedFailureThreshold",
        "Cause": "The specified tolerated failure threshold was exceeded",
    }


async def test_parallel_catch_result_path_merges_the_branch_error() -> None:
    failing = graph({"F": {"Type": "Fail", "Error": "E", "Cause": "C"}})
    mach = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [failing],
                "Catch": [{"ErrorEquals": ["E"], "ResultPath": "$.err", "Next": "Done"}],
                "End": True,
            },
            "Done": {"Type": "Pass", "End": True},
        }
    )
    execution = await run(mach, {"k": 1})
    assert execution.output == {"k": 1, "err": {"Error": "E", "Cause": "C"}}


async def test_runtime_failure_in_a_branch_is_not_caught_by_the_parallel_state() -> None:
    broken = graph({"B": {"Type": "Pass", "InputPath": "$.nope", "End": True}})
    mach = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [broken],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
                "End": True,
            },
            "Done": {"Type": "Pass", "End": True},
        }
    )
    execution = await run(mach, {})
    assert execution.error == "States.Runtime"
    assert execution.cause == (
        "An error occurred while executing the state 'B' (entered at the event id #4). "
        "Invalid path '$.nope' : No results for path: $['nope']"
    )


async def test_parallel_assign_sees_the_raw_branch_results() -> None:
    mach = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [passing("A", Result="one"), passing("B", Result="two")],
                "ResultSelector": {"x": 1},
                "Assign": {"second.$": "$[1]"},
                "Next": "Out",
            },
            "Out": {"Type": "Pass", "Parameters": {"second.$": "$second", "output.$": "$"}, "End": True},
        }
    )
    assert (await run(mach, {})).output == {"second": "two", "output": {"x": 1}}


async def test_succeed_inside_a_map_iteration_ends_only_that_iteration() -> None:
    processor = graph({"Done": {"Type": "Succeed"}})
    mach = machine(
        {"M": {"Type": "Map", "ItemProcessor": processor, "Next": "After"}, "After": {"Type": "Pass", "End": True}}
    )
    assert (await run(mach, [1, 2])).output == [1, 2]


async def test_map_catch_assign_sets_an_outer_variable() -> None:
    processor = graph({"F": {"Type": "Fail", "Error": "E"}})
    mach = machine(
        {
            "M": {
                "Type": "Map",
                "ItemProcessor": processor,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"caught.$": "$.Error"}, "Next": "Out"}],
                "End": True,
            },
            "Out": {"Type": "Pass", "Parameters": {"caught.$": "$caught"}, "End": True},
        }
    )
    assert (await run(mach, [1])).output == {"caught": "E"}


async def test_map_item_is_not_in_the_context_inside_the_processor() -> None:
    processor = graph({"Inner": {"Type": "Pass", "Parameters": {"i.$": "$$.Map.Item.Index"}, "End": True}})
    execution = await run(machine({"M": {"Type": "Map", "ItemProcessor": processor, "End": True}}), [1])
    assert execution.error == "States.Runtime"


async def test_nested_map_item_selector_sees_its_own_item() -> None:
    inner = graph(
        {
            "InnerMap": {
                "Type": "Map",
                "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value"},
                "ItemProcessor": passing(),
                "End": True,
            }
        }
    )
    execution = await run(machine({"M": {"Type": "Map", "ItemProcessor": inner, "End": True}}), [["a", "b"], ["c"]])
    assert execution.output == [[{"index": 0, "value": "a"}, {"index": 1, "value": "b"}], [{"index": 0, "value": "c"}]]


@pytest.mark.parametrize("waits", [False, True])
async def test_no_map_iteration_starts_after_one_has_failed(waits: bool) -> None:
    # With only instant states the iterations run one after another in the Map's own task;
    # with a Wait they run on workers. Either way, the failure of item 1 ends the Map there.
    after = {"Type": "Wait", "Seconds": 0, "End": True} if waits else {"Type": "Pass", "End": True}
    processor = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 1, "Next": "F"}], "Default": "P"},
            "F": {"Type": "Fail", "Error": "Broke"},
            "P": after,
        },
    }
    mach = machine({"M": {"Type": "Map", "ItemProcessor": processor, "End": True}})
    assert mach.states["M"].processor.instant is not waits
    execution = await run(mach, [0, 1, 2, 3, 4])
    assert execution.error == "Broke"
    started = [e.details["index"] for e in execution.history if e.type == "MapIterationStarted"]
    assert started == [0, 1]
    assert [e.type for e in execution.history][-3:] == ["MapIterationFailed", "MapStateFailed", "ExecutionFailed"]
